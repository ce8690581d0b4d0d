/// One accepted way of writing the referral date: an entry of the pipeline's
/// `dates.formats`, tried in the order listed (the first that fits is used).
///
/// The three names the contract lists keep their meaning: `YYYY-MM-DD`; `DD/MM/YYYY`
/// (day and month of one or two digits, and, when `ISO8601-timestamp` is also listed,
/// a time after a space or `T`); `ISO8601-timestamp` (`YYYY-MM-DD`, then `T`, `t` or a
/// space and a time; its date is used). `excel_serial` is a day number of Excel's 1900
/// date system. Anything else is a ``DatePattern`` such as `DD/MM/YYYY HH:MM`.
public enum DateForm: Sendable, Hashable, CustomStringConvertible {
    case iso
    case dayMonthYear
    case timestamp
    /// A whole number of days since 1899-12-30, from 1 (a fraction, the time, is dropped).
    case excelSerial
    case pattern(DatePattern)

    /// The forms a pipeline without `dates.formats` accepts.
    public static let defaults: [DateForm] = [.iso, .dayMonthYear, .timestamp]

    /// The names that are not patterns.
    public static let names = ["YYYY-MM-DD", "DD/MM/YYYY", "ISO8601-timestamp", "excel_serial"]

    /// The form a pipeline names.
    ///
    /// - Throws: ``DatePattern/Problem`` when `text` is neither a name nor a valid pattern.
    public init(_ text: String) throws(DatePattern.Problem) {
        switch text {
        case "YYYY-MM-DD": self = .iso
        case "DD/MM/YYYY": self = .dayMonthYear
        case "ISO8601-timestamp": self = .timestamp
        case "excel_serial": self = .excelSerial
        default: self = .pattern(try DatePattern(text))
        }
    }

    /// As a pipeline file writes it.
    public var description: String {
        switch self {
        case .iso: "YYYY-MM-DD"
        case .dayMonthYear: "DD/MM/YYYY"
        case .timestamp: "ISO8601-timestamp"
        case .excelSerial: "excel_serial"
        case .pattern(let pattern): pattern.text
        }
    }
}

/// A date pattern of tokens and literal separators, compiled once when the pipeline is
/// read: `YYYY` (four digits), `MM` `DD` `HH` `mm` `ss` (two digits), `M` `D` `H` (one
/// or two). `MM` right after an hour (`HH:MM`) is minutes, as people write it; `mm` is
/// always minutes. Every other character (`/ - . : T`, a space) must appear as written.
/// The whole value must match; a time is checked (hour 0-23, minute 0-59, second 0-60: a leap second)
/// and dropped.
public struct DatePattern: Sendable, Hashable {
    /// What one element of a pattern reads.
    public enum Element: Sendable, Hashable {
        case year, month, day, hour, minute, second
        /// A byte that must appear as written.
        case literal(UInt8)
    }

    /// One element and how many digits it takes (`minDigits == maxDigits` for a fixed width).
    public struct Step: Sendable, Hashable {
        public var element: Element
        public var minDigits: Int
        public var maxDigits: Int
    }

    /// The pattern as written.
    public let text: String
    /// Its steps, in order.
    public let steps: [Step]

    /// Why a text is not a date pattern (completes "expected …").
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Compiles `text`.
    ///
    /// - Throws: ``Problem`` for a letter that is no token, a token given twice, a
    ///   pattern without year, month and day, minutes without an hour, seconds without
    ///   minutes, or a one-or-two-digit token followed directly by a digit token (it
    ///   could not tell where one ends).
    public init(_ text: String) throws(Problem) {
        self.text = text
        let bytes = Array(text.utf8)
        var steps: [Step] = []
        var i = 0
        func run(_ letter: UInt8) -> Int {
            var n = 0
            while i + n < bytes.count && bytes[i + n] == letter { n += 1 }
            return n
        }
        while i < bytes.count {
            let byte = bytes[i]
            let length = run(byte)
            let hourSeen = steps.contains { $0.element == .hour }
            let step: Step
            switch (byte, length) {
            case (UInt8(ascii: "Y"), 4): step = Step(element: .year, minDigits: 4, maxDigits: 4)
            case (UInt8(ascii: "M"), 2) where hourSeen: step = Step(element: .minute, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "M"), 2): step = Step(element: .month, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "M"), 1): step = Step(element: .month, minDigits: 1, maxDigits: 2)
            case (UInt8(ascii: "D"), 2): step = Step(element: .day, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "D"), 1): step = Step(element: .day, minDigits: 1, maxDigits: 2)
            case (UInt8(ascii: "H"), 2): step = Step(element: .hour, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "H"), 1): step = Step(element: .hour, minDigits: 1, maxDigits: 2)
            case (UInt8(ascii: "m"), 2): step = Step(element: .minute, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "s"), 2): step = Step(element: .second, minDigits: 2, maxDigits: 2)
            case (UInt8(ascii: "T"), _), (UInt8(ascii: " "), _), (UInt8(ascii: "/"), _), (UInt8(ascii: "-"), _), (UInt8(ascii: "."), _),
                (UInt8(ascii: ":"), _), (UInt8(ascii: ","), _), (UInt8(ascii: "_"), _):
                steps.append(Step(element: .literal(byte), minDigits: 0, maxDigits: 0))
                i += 1
                continue
            default:
                let shown = String(decoding: bytes[i..<(i + length)], as: UTF8.self)
                throw Problem(
                    description:
                        "a date pattern of the tokens YYYY, MM, M, DD, D, HH, H, mm, ss and the separators / - . : , _ T or a space ('\(shown)' in '\(text)' is none of them)"
                )
            }
            if steps.contains(where: { $0.element == step.element }) {
                throw Problem(description: "a date pattern naming each part once ('\(text)' repeats one)")
            }
            if let last = steps.last, last.minDigits != last.maxDigits, last.maxDigits > 0 {
                throw Problem(
                    description: "a separator after a one-or-two-digit token ('\(text)' has a token right after one, so where it ends is unknown)")
            }
            steps.append(step)
            i += length
        }
        let elements = steps.map(\.element)
        guard elements.contains(.year), elements.contains(.month), elements.contains(.day) else {
            throw Problem(description: "a date pattern with a year (YYYY), a month (MM or M) and a day (DD or D) ('\(text)' lacks one)")
        }
        if elements.contains(.minute) && !elements.contains(.hour) {
            throw Problem(description: "an hour (HH or H) before minutes in '\(text)'")
        }
        if elements.contains(.second) && !elements.contains(.minute) {
            throw Problem(description: "minutes (mm) before seconds in '\(text)'")
        }
        self.steps = steps
    }
}
