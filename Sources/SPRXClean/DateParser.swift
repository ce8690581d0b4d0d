import SPRXCore
import SPRXPipeline

/// Reads referral dates in a pipeline's forms (``DateForm``), tried in the order listed.
///
/// Built once per run (``CleanRules``) and shared read-only; ``parse(_:)`` allocates
/// nothing, so it runs on every row.
public struct DateParser: Sendable {
    /// The forms, in the order they are tried.
    public let forms: [DateForm]
    private let timestampsAccepted: Bool

    public init(forms: [DateForm]) {
        self.forms = forms
        timestampsAccepted = forms.contains(.timestamp)
    }

    /// The date `bytes` (already trimmed) holds in the first form that fits, or `nil`.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> Day? {
        for form in forms {
            let day: Day?
            switch form {
            case .iso: day = Self.isoDate(bytes)
            case .timestamp: day = Self.isoTimestamp(bytes)
            case .dayMonthYear: day = Self.dayMonthYear(bytes, timeAllowed: timestampsAccepted)
            case .excelSerial: day = Self.excelSerial(bytes)
            case .pattern(let pattern): day = Self.match(bytes, pattern.steps)
            }
            if let day { return day }
        }
        return nil
    }

    /// The date in any of `forms` (tests and `sprx inspect`; a run builds one parser).
    public static func parse(_ bytes: UnsafeRawBufferPointer, forms: [DateForm]) -> Day? {
        DateParser(forms: forms).parse(bytes)
    }

    // MARK: the named forms

    @inline(__always) private static func number(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ count: Int) -> Int? {
        DecimalDigits.parse(UnsafeRawBufferPointer(rebasing: bytes[from..<(from + count)]), maxDigits: count)
    }

    /// `YYYY-MM-DD`, exactly.
    static func isoDate(_ bytes: UnsafeRawBufferPointer) -> Day? {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let y = number(bytes, 0, 4), let m = number(bytes, 5, 2), let d = number(bytes, 8, 2)
        else { return nil }
        return Day(year: y, month: m, day: d)
    }

    /// `YYYY-MM-DD`, then `T`, `t` or a space and a time (``isTime(_:)``).
    static func isoTimestamp(_ bytes: UnsafeRawBufferPointer) -> Day? {
        guard bytes.count > 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let y = number(bytes, 0, 4), let m = number(bytes, 5, 2), let d = number(bytes, 8, 2),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "t"),
            isTime(UnsafeRawBufferPointer(rebasing: bytes[11...]))
        else { return nil }
        return Day(year: y, month: m, day: d)
    }

    /// `D/M/YYYY` with one- or two-digit day and month; then, when `timeAllowed`, an
    /// optional space or `T` and a time.
    static func dayMonthYear(_ bytes: UnsafeRawBufferPointer, timeAllowed: Bool) -> Day? {
        let n = bytes.count
        var parts = (0, 0)
        var partCount = 0
        var value = 0
        var digits = 0
        var i = 0
        while i < n {
            let b = bytes[i]
            if let digit = DecimalDigits.value(of: b) {
                value = value * 10 + digit
                digits += 1
                guard digits <= 4 else { return nil }
            } else if b == UInt8(ascii: "/") && partCount < 2 {
                guard digits >= 1 && digits <= 2 else { return nil }
                if partCount == 0 { parts.0 = value } else { parts.1 = value }
                partCount += 1
                value = 0
                digits = 0
            } else {
                break
            }
            i += 1
        }
        guard partCount == 2, digits == 4 else { return nil }
        if i < n {
            guard timeAllowed, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "T"),
                isTime(UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...]))
            else { return nil }
        }
        return Day(year: value, month: parts.1, day: parts.0)
    }

    /// Largest clock hour, minute and second a time may have; a second of 60 is a leap
    /// second (RFC 3339 allows `23:59:60`, and in another zone it falls at another minute).
    static let maxHour = 23, maxMinute = 59, maxSecond = 60
    /// Largest zone offset, in minutes (UTC+14:00, Kiribati; the most negative is -12:00).
    static let maxOffsetMinutes = 14 * 60
    /// Most digits of a fraction of a second (nanoseconds).
    static let maxFractionDigits = 9

    /// A clock time, strictly: `HH:MM`, optionally `:SS` and then a fraction (`.` or `,`
    /// and 1-9 digits), then optionally a zone: `Z`, or `+`/`-` and `HH`, `HHMM` or
    /// `HH:MM` within ±14:00. Hours 00-23, minutes 00-59, seconds 00-60 (``maxSecond``);
    /// nothing else may follow. `24:59`, `12:30+99:99` and `--::` are not times.
    static func isTime(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        var i = 0
        /// Two digits at `i` as a number, advancing past them; `nil` if they are not two digits.
        func twoDigits() -> Int? {
            guard i + 2 <= n, let value = DecimalDigits.parse(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + 2)]), maxDigits: 2) else { return nil }
            i += 2
            return value
        }
        func take(_ byte: UInt8) -> Bool {
            guard i < n, bytes[i] == byte else { return false }
            i += 1
            return true
        }
        guard let hour = twoDigits(), hour <= maxHour, take(UInt8(ascii: ":")), let minute = twoDigits(), minute <= maxMinute else {
            return false
        }
        if take(UInt8(ascii: ":")) {
            guard let second = twoDigits(), second <= maxSecond else { return false }
            if take(UInt8(ascii: ".")) || take(UInt8(ascii: ",")) {
                let first = i
                while i < n, DecimalDigits.value(of: bytes[i]) != nil { i += 1 }
                guard i > first, i - first <= maxFractionDigits else { return false }
            }
        }
        if i == n { return true }
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) { return i == n }
        guard take(UInt8(ascii: "+")) || take(UInt8(ascii: "-")), let offsetHours = twoDigits() else { return false }
        var offsetMinutes = 0
        if i < n {
            _ = take(UInt8(ascii: ":"))  // `+01:00` or `+0100`
            guard let minutes = twoDigits(), minutes <= maxMinute else { return false }
            offsetMinutes = minutes
        }
        return i == n && offsetHours * 60 + offsetMinutes <= maxOffsetMinutes
    }

    // MARK: Excel serial numbers

    /// Excel's 1900 date system counts days from 1899-12-30 (so that its serial 60, the
    /// 29 February 1900 that never was, falls between 59 and 61 without shifting later dates).
    // safe: 1899-12-30 is a valid date
    static let excelEpoch = Day(year: 1899, month: 12, day: 30)!.daysSinceEpoch
    /// 9999-12-31, the last day Excel (and ``Day``) has.
    static let largestExcelSerial = 2_958_465

    /// A whole number of days from 1, optionally with a fraction (the time, dropped).
    static func excelSerial(_ bytes: UnsafeRawBufferPointer) -> Day? {
        // At most 7 digits: an eighth is not a "." below, so the field is refused.
        let (value, digits) = DecimalDigits.leading(bytes, from: 0, maxDigits: 7)
        let i = digits
        guard digits > 0 else { return nil }
        if i < bytes.count {
            guard bytes[i] == UInt8(ascii: "."), i + 1 < bytes.count else { return nil }
            for b in bytes[(i + 1)...] where DecimalDigits.value(of: b) == nil { return nil }
        }
        guard value >= 1 && value <= largestExcelSerial else { return nil }
        return Day(daysSinceEpoch: excelEpoch + Int32(value))
    }

    // MARK: patterns

    /// Matches the whole of `bytes` against a compiled pattern.
    static func match(_ bytes: UnsafeRawBufferPointer, _ steps: [DatePattern.Step]) -> Day? {
        var year = 0, month = 0, day = 0
        var i = 0
        let n = bytes.count
        for step in steps {
            if case .literal(let byte) = step.element {
                guard i < n, bytes[i] == byte else { return nil }
                i += 1
                continue
            }
            // Fixed widths take exactly their digits; a one-or-two-digit token is always
            // followed by a separator (the pattern guarantees it), so taking two is safe.
            let (value, digits) = DecimalDigits.leading(bytes, from: i, maxDigits: step.maxDigits)
            i += digits
            guard digits >= step.minDigits else { return nil }
            switch step.element {
            case .year: year = value
            case .month: month = value
            case .day: day = value
            case .hour: guard value <= maxHour else { return nil }
            case .minute: guard value <= maxMinute else { return nil }
            case .second: guard value <= maxSecond else { return nil }
            case .literal: break
            }
        }
        guard i == n else { return nil }
        return Day(year: year, month: month, day: day)
    }
}
