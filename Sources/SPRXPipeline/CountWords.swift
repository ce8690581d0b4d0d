import SPRXCore

/// A count and its noun as the summaries print them: thousands separated, the noun
/// singular for one ("1 value", "2 values", "400,000 rows"), so no message agrees
/// with its number by hand.
public enum CountWords {
    /// `n` grouped by thousands and `noun` (`plural`, else `noun` + "s", when `n` is not 1).
    public static func of(_ n: Int, _ noun: String, plural: String? = nil) -> String {
        "\(ProgressFigures.grouped(n)) \(n == 1 ? noun : plural ?? noun + "s")"
    }

    /// `n` grouped by thousands ("400,000").
    public static func number(_ n: Int) -> String { ProgressFigures.grouped(n) }
}
