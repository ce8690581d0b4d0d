import Foundation
import SPRXCore

/// How the report says a number, decided once by what the number is: every figure of
/// `report.html` and `report.md` (tables, sentences, chart labels) comes from here; the
/// CSV tables keep their own precision.
///
/// Rules (the user guide quotes them):
/// - **Count**: a whole number with thousands separators ("2,950", "281,396,279"
///   person-years).
/// - **Percentage**: one decimal only when the denominator is large enough for the
///   decimal to mean something, otherwise none. A published count may be up to half the
///   rounding base away from the true one (2.5 when rounded to 5; one record when exact),
///   so one decimal is shown when that error moves the percentage by at most 0.1 points:
///   denominator ≥ 1,000 × max(1, base ÷ 2), that is 2,500 when counts are rounded to 5
///   and 1,000 when they are exact. A percentage without a denominator (a fitted value,
///   a share of a population) has one decimal. A non-zero share that would print as 0
///   reads "<1" ("<0.1"), one under 100 that would print as 100 reads ">99" (">99.9").
///   An interval's limits take the estimate's decimals.
/// - **Rate**: 3 significant figures, in fixed notation (0.837, 12.3, 1,230), on the
///   table's per-1,000 or per-100,000 scale.
/// - **Ratio** (odds, rate, relative index, representation): 2 decimals.
/// - **Link worker FTE** and FTE per 50,000: 1 decimal; a deprivation score 1 decimal;
///   an average marginal effect or a gap in percentage points 1 decimal.
/// - **p**: 3 decimals, "<0.001" below that.
/// - A negative number has a true minus sign (U+2212), never a hyphen; no number is
///   ever written with an exponent; "−0" is written "0".
enum NumberFormat {
    /// The minus sign of every negative number on the page.
    static let minus = "\u{2212}"

    /// The rounding base the percentage rule assumes when the caller does not give one:
    /// sprx's default disclosure rule (nearest 5). Exact counts (control off) then get
    /// fewer decimals than they could, never more.
    static let defaultRoundingBase = 5

    /// The smallest denominator whose percentages get one decimal, for counts rounded to
    /// `roundTo` (1 or less: exact counts).
    static func oneDecimalDenominator(roundTo: Int = defaultRoundingBase) -> Double {
        1000 * max(1, Double(roundTo) / 2)
    }

    /// Decimals of a percentage of `denominator` (`nil`: not a count, one decimal).
    static func percentPlaces(denominator: Double?, roundTo: Int = defaultRoundingBase) -> Int {
        guard let denominator else { return 1 }
        return denominator >= oneDecimalDenominator(roundTo: roundTo) ? 1 : 0
    }

    /// `value` to `places` decimals, rounded half away from zero on the decimal text,
    /// thousands separated, with a true minus sign; never an exponent.
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "—" }
        let places = max(0, places)
        let text = plain(abs(value), places: places)
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = groupDigits(String(parts[0])) + (parts.count > 1 ? "." + parts[1] : "")
        let isZero = !text.contains { $0 != "0" && $0 != "." }
        return value < 0 && !isZero ? minus + whole : whole
    }

    /// `value` (≥ 0) in fixed notation with `places` decimals, rounded half away from
    /// zero on its shortest decimal text (so 0.125 → 0.13, as people round it).
    ///
    /// Done on the digits of that text (`description`, the shortest that reads back as
    /// the same double), never through `Decimal`: a report with thousands of
    /// organisations writes hundreds of thousands of chart coordinates, and `Decimal`
    /// made formatting them most of a run's time (tests compare the two).
    static func plain(_ value: Double, places: Int) -> String {
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            // safe: Double.description writes an integer exponent after the e
            exponent = Int(text[text.index(after: e)...])!
        }
        // The decimal digits, and how many of them come before the point.
        var digits: [UInt8] = []
        var point = 0
        var seenPoint = false
        for byte in mantissa.utf8 {
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.append(byte - UInt8(ascii: "0"))
                if !seenPoint { point += 1 }
            }
        }
        point += exponent
        if point < 0 {
            digits.insert(contentsOf: repeatElement(0, count: -point), at: 0)
            point = 0
        }
        if point > digits.count { digits.append(contentsOf: repeatElement(0, count: point - digits.count)) }
        let keep = point + max(0, places)
        if digits.count > keep {
            let roundsUp = digits[keep] >= 5
            digits.removeLast(digits.count - keep)
            if roundsUp {
                var i = keep - 1
                while i >= 0 && digits[i] == 9 {
                    digits[i] = 0
                    i -= 1
                }
                if i >= 0 {
                    digits[i] += 1
                } else {
                    digits.insert(1, at: 0)
                    point += 1
                }
            }
        } else {
            digits.append(contentsOf: repeatElement(0, count: keep - digits.count))
        }
        // The text: the whole part without leading zeros (at least one digit), then the decimals.
        var out: [UInt8] = []
        out.reserveCapacity(digits.count + 2)
        for digit in digits[0..<point].drop(while: { $0 == 0 }) { out.append(digit + UInt8(ascii: "0")) }
        if out.isEmpty { out.append(UInt8(ascii: "0")) }
        if places > 0 {
            out.append(UInt8(ascii: "."))
            for digit in digits[point...] { out.append(digit + UInt8(ascii: "0")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "1234567" → "1,234,567" (digits only).
    static func groupDigits(_ digits: String) -> String {
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return out
    }

    /// A count: 2950 → "2,950".
    static func count(_ value: Int64) -> String { (value < 0 ? minus : "") + groupDigits(String(value.magnitude)) }
    static func count(_ value: Int) -> String { count(Int64(value)) }
    /// A whole number of something measured (person-years): 281396278.7 → "281,396,279".
    static func whole(_ value: Double) -> String { decimal(value, places: 0) }

    /// The decimals that leave `value` with `digits` significant figures (negative: tens, hundreds…).
    static func significantPlaces(_ value: Double, digits: Int = 3) -> Int {
        guard value != 0, value.isFinite else { return 0 }
        // %e rounds to the digits first, so 9.996 gives 1.00e+01 (exponent 1, not 0).
        let text = String(format: "%.\(max(0, digits - 1))e", abs(value))
        let exponent = Int(text.split(separator: "e").last ?? "0") ?? 0
        return digits - 1 - exponent
    }

    /// `value` to `digits` significant figures in fixed notation: 0.0023964 → "0.00240",
    /// 12345 → "12,300"; never an exponent.
    static func significant(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return "—" }
        guard value != 0 else { return "0" }
        let places = significantPlaces(value, digits: digits)
        if places >= 0 { return decimal(value, places: places) }
        let unit = pow(10, Double(-places))
        return decimal((value / unit).rounded(.toNearestOrAwayFromZero) * unit, places: 0)
    }

    /// A rate on the table's scale: 3 significant figures.
    static func rate(_ value: Double) -> String { significant(value, digits: 3) }

    /// A rate and its interval limits: the rate to 3 significant figures, each limit to
    /// 3 significant figures but never more decimals than the rate ("0.132 (0.013 to
    /// 0.252)", "0.897 (0.788–1.02)").
    static func rates(_ value: Double, _ others: [Double]) -> (value: String, others: [String]) {
        let places = significantPlaces(value)
        return (
            rate(value),
            others.map { other in
                let own = significantPlaces(other)
                return own < 0 || places < 0 ? rate(other) : decimal(other, places: min(own, places))
            }
        )
    }

    /// A ratio: 2 decimals.
    static func ratio(_ value: Double) -> String { decimal(value, places: 2) }

    /// Link worker FTE, or FTE per 50,000: 1 decimal.
    static func fte(_ value: Double) -> String { decimal(value, places: 1) }

    /// Percentage points (a gap, an average marginal effect) or a score: 1 decimal.
    static func points(_ value: Double) -> String { decimal(value, places: 1) }

    /// A percentage's number (without "%") to `places` decimals, "<1"/">99" at the ends.
    static func percent(_ value: Double, places: Int) -> String {
        let text = decimal(value, places: places)
        let unit = places == 0 ? "1" : "0." + String(repeating: "0", count: places - 1) + "1"
        if value > 0, text == decimal(0, places: places) { return "<" + unit }
        if value < 100, text == decimal(100, places: places) { return ">" + decimal(100 - (places == 0 ? 1 : pow(10, Double(-places))), places: places) }
        return text
    }

    /// A percentage's number (without "%") of `denominator` (rules above).
    static func percent(_ value: Double, denominator: Double?, roundTo: Int = defaultRoundingBase) -> String {
        percent(value, places: percentPlaces(denominator: denominator, roundTo: roundTo))
    }

    /// An interval's limits of a percentage to `places` (no "<1" at the ends: a limit is a limit).
    static func percentLimit(_ value: Double, places: Int) -> String { decimal(value, places: places) }

    /// "a–b", or "a to b" when either limit is negative (a dash beside a minus misreads).
    static func range(_ low: String, _ high: String) -> String {
        low.hasPrefix(minus) || high.hasPrefix(minus) ? "\(low) to \(high)" : "\(low)–\(high)"
    }

    /// p for people: 3 decimals, "<0.001" below that.
    static func pValue(_ p: Double) -> String { p < 0.001 ? "<0.001" : decimal(p, places: 3) }

    /// Text with a hyphen-minus before a digit (a negative number written elsewhere) given a true minus sign.
    static func signed(_ text: String) -> String { text.hasPrefix("-") ? minus + text.dropFirst() : text }

    /// What a number is, which decides how it is said (rules above).
    enum Kind {
        case count, whole, rate, ratio, fte, points, significant
        /// A percentage of `denominator` (`nil`: not a count of referrals).
        case percent(of: Double?)
    }

    /// `value` said as `kind`.
    static func text(_ value: Double, as kind: Kind) -> String {
        switch kind {
        case .count, .whole: return whole(value)
        case .rate, .significant: return significant(value)
        case .ratio: return ratio(value)
        case .fte: return fte(value)
        case .points: return points(value)
        case .percent(let denominator): return percent(value, denominator: denominator)
        }
    }

    /// A published cell said as `kind`; `nil` when empty (suppressed or withheld). Text
    /// cells are shown as published (neutralised).
    static func text(_ cell: Cell, as kind: Kind) -> String? {
        if case .text(let text) = cell { return text.isEmpty ? nil : CSVText.neutralised(text) }
        if case .count(let n) = cell, let n { return count(n) }
        return cell.value.map { text($0, as: kind) }
    }
}
