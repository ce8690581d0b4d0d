import SPRXCore

extension DisclosureSettings {
    /// Longest label written by name, in Unicode scalars (after the label normalisation).
    public static let maxPublishedLabelCharacters = 60

    /// Whether a label of the data, seen `count` times, may be written by name where a
    /// person other than the data's owner may read it (`unmapped_labels.csv`, a drafted
    /// pipeline).
    ///
    /// Seen more often than disclosure control suppresses (`suppress_up_to` + 1 times or
    /// more), at most ``maxPublishedLabelCharacters`` long, and never shaped like an
    /// identifier (``IdentifierShape/matches(_:)``), however often seen: free text is
    /// rarely all three. The rule is about what the text may say, so it holds with
    /// disclosure control off as well.
    public func mayPublishLabel(_ label: String, count: Int) -> Bool {
        count >= suppressUpTo + 1 && label.unicodeScalars.count <= Self.maxPublishedLabelCharacters && !IdentifierShape.matches(label)
    }
}
