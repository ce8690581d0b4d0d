/// The plausibility bounds of the reference data, declared once per file kind.
///
/// A value outside its bounds is refused as ``SPRXError/Code/invalidReference`` (exit 78)
/// naming the file, line and column, never the value: a file holding one is not the
/// publication it claims to be, and a number far out of range would otherwise be summed,
/// divided and drawn (an FTE of 1e308 made the report stage run out of memory; -1e308
/// published `-Inf`; a population of 999,999,999,999,999 per area overflowed a sum).
///
/// Design note: each bound is wide (ten times or more the largest value of the bundled
/// files, SampleData/reference/README.md "Plausibility bounds") so that a future
/// edition passes, and narrow enough that every sum sprx makes of them stays exact:
/// a sum of up to 10^7 per row overflows `Int64` only after 9.2 × 10^11 rows, and FTE
/// sums stay far inside `Double`'s range, so no published figure can be NaN or ±Inf.
public enum ReferenceBounds {
    /// Longest field of any reference file, in bytes (the bundled files' longest is 55).
    /// A row longer than ``InputLimits/maxRowBytes`` is refused too, never skipped.
    public static let maxFieldBytes = 1024
    /// People in one small area: a population total, a single-year file's total and each
    /// single year of age (bundled: 0 to 16,004).
    public static let areaPopulation: ClosedRange<Int64> = 0...1_000_000
    /// Social prescribing link worker FTE of one primary care network at one census date
    /// (bundled: 0 to 15.6).
    public static let networkFTE: ClosedRange<Double> = 0...1_000
    /// Patients registered at one primary care network at one extract (bundled: 7,920 to 270,869).
    public static let networkPatients: ClosedRange<Int64> = 0...10_000_000
    /// Patients registered at one GP practice at one extract (bundled: 1 to 106,804).
    public static let practicePatients: ClosedRange<Int64> = 0...1_000_000
    /// A GP practice's IMD 2019 score (bundled: 3.4 to 68.7; the index's scores lie in 0-100).
    public static let practiceIMDScore: ClosedRange<Double> = 0...100
    /// A within-nation deprivation decile.
    public static let decile: ClosedRange<UInt8> = 1...10

    /// A bound in words for a message: "from 0 to 1,000,000".
    static func words<Value: Comparable>(_ range: ClosedRange<Value>) -> String {
        "from \(grouped(range.lowerBound)) to \(grouped(range.upperBound))"
    }

    /// A bound as written in a message, with thousands separators for whole numbers.
    private static func grouped<Value>(_ value: Value) -> String {
        let text: String
        if let number = value as? Double, number == number.rounded(), abs(number) < 1e15 {
            text = String(Int64(number))
        } else {
            text = "\(value)"
        }
        guard text.allSatisfy(\.isNumber), text.count > 3 else { return text }
        var out = ""
        for (i, character) in text.enumerated() {
            if i > 0 && (text.count - i) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
