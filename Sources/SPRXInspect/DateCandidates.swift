import SPRXClean
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

    /// The day `value` (trimmed bytes) means in this format, or `nil`: read by the run's
    /// own ``DateParser`` with this one form, so a share inspect reports is the share a
    /// run with that format in `dates.formats` parses.
    public func parse(_ value: UnsafeRawBufferPointer) -> Day? {
        Self.parsers[order].parse(value)
    }

    /// One parser per candidate, built once from its pipeline name.
    // safe: every candidate's raw value is a date form name DateForm accepts (DateCandidates tests parse each)
    private static let parsers: [DateParser] = allCases.map { DateParser(forms: [try! DateForm($0.rawValue)]) }

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

    // safe: self is one of allCases
    var order: Int { Self.allCases.firstIndex(of: self)! }
}
