/// The limits that keep a run bounded whatever its input, each declared once here.
///
/// A run's memory grows with distinct combinations, never with one row's length or the
/// number of distinct free-text values in a field; these limits are what make that true
/// for inputs sprx did not expect (a file with no line ends, a gzip bomb of one line, a
/// mapped column full of free text). Each is documented in docs/design.md's limits table ("Bounded by construction"),
/// and passing one is a quarantine reason or a named error, never a crash.
public enum InputLimits {
    /// Longest row sprx reads, in decoded bytes (quoted newlines included). A longer row
    /// is quarantined as `row_too_long` and skipped to its end without being held.
    ///
    /// 1 MiB is hundreds of times a referral row with long case notes, and keeps a block
    /// (target 1 MiB plus at most one row) within twice its usual size, so the runner's
    /// per-file window of blocks bounds memory the same way for any input.
    public static let maxRowBytes = 1 << 20
    /// How much of a `row_too_long` row the quarantine file keeps: its first bytes only.
    public static let quarantinedRowPrefixBytes = 4096
    /// Most physical lines one quarantined row may swallow (a quote left open, or a row
    /// over the row limit). More means a stray quote turned the rows after it into one
    /// field: the file fails (exit 65) naming the line where the quote opened, rather
    /// than losing those rows as a single quarantined one. (A quote open to the end of
    /// the file fails it too when any line after the quote is shaped like a row.)
    public static let maxLinesInAQuarantinedRow = 100
    /// Longest value of a mapped field, in bytes; a longer one is quarantined as
    /// `field_too_long` (free text in a column that should hold a code or a label).
    public static let maxMappedFieldBytes = 1024
    /// Longest header row, in bytes; a longer header fails the file (exit 65).
    public static let maxHeaderBytes = 1 << 20
    /// Most columns a header may have; more fails the file (exit 65).
    public static let maxHeaderColumns = 4096
    /// Most distinct unmapped labels kept per field, per worker and for the whole run;
    /// referrals with labels first seen after that are counted under
    /// ``unmappedOverflowLabel``.
    public static let maxDistinctUnmappedLabelsPerField = 5000
    /// The label under which unmapped labels beyond the limit are counted.
    public static let unmappedOverflowLabel = "(more distinct labels than sprx keeps)"
}
