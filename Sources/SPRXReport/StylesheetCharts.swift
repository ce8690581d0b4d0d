extension Report {
    /// Style rules for charts: bars, labels, forest plots, trend panels.
    ///
    /// An on-bar label's colour is set by its class as well as its `fill` attribute,
    /// so that no rule for `svg text` can override the contrast ``Palette/text(on:)`` chose.
    static let chartCSS = """
        svg text.onbar-light { fill: \(Palette.white); }
        svg text.onbar-dark { fill: \(Palette.ink); }

        """
}
