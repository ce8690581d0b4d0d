import SPRXCore
import SPRXPipeline

/// The date formats `sprx inspect` tries on a column, named as a pipeline's
/// `dates.formats` names them (the agreed syntax of issue 16).
///
/// Each candidate parses a whole trimmed value or nothing. `DD/MM/YYYY` takes one- or
/// two-digit day and month, as the cleaner does; `M/D/YYYY` is the same shape read the
/// American way, so the two are never both chosen.
public enum DateCandidate: String, CaseIterable, Sendable, Codable {
    case iso = "YYYY-MM-DD"
    case dayMonthYear = "DD/MM/YYYY"
    case dayMonthYearTime = "DD/MM/YYYY HH:MM"
    case timestamp = "ISO8601-timestamp"
    case compact = "YYYYMMDD"
    case monthDayYear = "M/D/YYYY"
    case excelSerial = "excel_serial"

    /// Candidates that read the same strings differently: at most one is chosen.
    var conflicts: Set<DateCandidate> {
        switch self {
        case .dayMonthYear: [.monthDayYear]
        case .monthDayYear: [.dayMonthYear, .dayMonthYearTime]
        case .dayMonthYearTime: [.monthDayYear]
        default: []
        }
    }

    /// The day `value` (trimmed bytes) means in this format, or `nil`.
    public func parse(_ value: UnsafeRawBufferPointer) -> Day? {
        let n = value.count
        func digit(_ i: Int) -> Int? { i < n && value[i] >= 0x30 && value[i] <= 0x39 ? Int(value[i] - 0x30) : nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= n else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard let d = digit(i) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        func is_(_ i: Int, _ c: Character) -> Bool { i < n && value[i] == c.asciiValue! }
        /// `a/b/YYYY` with 1-2 digit parts, then the rest's offset.
        func slashed() -> (Int, Int, Int, Int)? {
            var parts: [Int] = []
            var i = 0
            for _ in 0..<2 {
                var v = 0, digits = 0
                while let d = digit(i), digits < 2 { v = v * 10 + d; digits += 1; i += 1 }
                guard digits >= 1, is_(i, "/") else { return nil }
                parts.append(v)
                i += 1
            }
            guard let year = number(i, 4) else { return nil }
            return (parts[0], parts[1], year, i + 4)
        }
        func isClock(_ from: Int, seconds: Bool) -> Bool {
            guard let h = number(from, 2), is_(from + 2, ":"), let m = number(from + 3, 2), h <= 23, m <= 59 else { return false }
            if !seconds { return from + 5 == n }
            return from + 5 == n || (is_(from + 5, ":") && number(from + 6, 2).map { $0 <= 59 } == true && from + 8 == n)
        }
        switch self {
        case .iso:
            guard n == 10, is_(4, "-"), is_(7, "-"), let y = number(0, 4), let m = number(5, 2), let d = number(8, 2) else { return nil }
            return Day(year: y, month: m, day: d)
        case .timestamp:
            guard n >= 16, is_(4, "-"), is_(7, "-"), is_(10, "T") || is_(10, " ") || is_(10, "t"),
                let y = number(0, 4), let m = number(5, 2), let d = number(8, 2), number(11, 2) != nil, is_(13, ":"), number(14, 2) != nil
            else { return nil }
            for i in 16..<n {
                let b = value[i]
                guard (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ":") || b == UInt8(ascii: ".") || b == UInt8(ascii: "Z")
                    || b == UInt8(ascii: "z") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
                else { return nil }
            }
            return Day(year: y, month: m, day: d)
        case .dayMonthYear:
            guard let (d, m, y, end) = slashed(), end == n else { return nil }
            return Day(year: y, month: m, day: d)
        case .monthDayYear:
            guard let (m, d, y, end) = slashed(), end == n else { return nil }
            return Day(year: y, month: m, day: d)
        case .dayMonthYearTime:
            guard let (d, m, y, end) = slashed(), is_(end, " "), isClock(end + 1, seconds: false) else { return nil }
            return Day(year: y, month: m, day: d)
        case .compact:
            guard n == 8, let y = number(0, 4), let m = number(4, 2), let d = number(6, 2) else { return nil }
            return Day(year: y, month: m, day: d)
        case .excelSerial:
            // Whole days since 1899-12-30, optionally with a fraction (the time).
            var i = 0, days = 0
            while let d = digit(i), i < 7 { days = days * 10 + d; i += 1 }
            guard i >= 1, i == n || (is_(i, ".") && i + 1 < n && (i + 1..<n).allSatisfy { digit($0) != nil }), days >= 1 else { return nil }
            return Day(daysSinceEpoch: Int32(days - 25569))
        }
    }

    /// Formats that together parse the most values: the best first, then each that adds
    /// values the chosen ones do not parse and conflicts with none of them.
    ///
    /// - Parameter added: for each candidate, values it parses (within the window) that
    ///   no earlier-listed candidate parses; computed by the profile as it streams.
    static func choose(parsed: [DateCandidate: Int], exclusive: [DateCandidate: Int]) -> [DateCandidate] {
        guard let best = allCases.max(by: { (parsed[$0] ?? 0, -$0.order) < (parsed[$1] ?? 0, -$1.order) }), (parsed[best] ?? 0) > 0 else {
            return []
        }
        var chosen = [best]
        for candidate in allCases where candidate != best && (exclusive[candidate] ?? 0) > 0 {
            if chosen.contains(where: { $0.conflicts.contains(candidate) || candidate.conflicts.contains($0) }) { continue }
            chosen.append(candidate)
        }
        return chosen
    }

    var order: Int { Self.allCases.firstIndex(of: self)! }
}
