import Foundation

/// Writing CSV text that Excel, R and DuckDB read back unchanged.
///
/// Cells are quoted only when they must be (comma, quote, CR or LF). Text cells that a
/// spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR) are
/// prefixed with `'` so that opening a published table never executes a label someone
/// typed into a case-management system. Control characters are escaped as `\u{XX}`.
/// Numeric cells are written by ``Cell`` and
/// never pass through ``text(_:)``.
public enum CSVText {
    /// A text cell, quoted if needed and neutralised against formula injection.
    public static func text(_ value: String) -> String { quoted(neutralised(value)) }

    /// A text cell's content before quoting: controls escaped, a formula-like start
    /// prefixed with `'` (what a person reading the cell sees).
    public static func neutralised(_ value: String) -> String {
        // Control characters, bidirectional overrides and line separators from the data
        // are written as `\u{XX}`, so a published table cannot recolour a terminal,
        // reorder a line or hide text (``DisplayText``).
        var value = DisplayText.escaped(value)
        if let first = value.utf8.first,
            first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "@") || first == 0x09 || first == 0x0D
        {
            value = "'" + value
        }
        return value
    }

    /// Quotes a cell when it holds a comma, quote or line break (RFC 4180).
    public static func quoted(_ value: String) -> String {
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One CSV line (without the terminator) from already-formatted cells.
    public static func line(_ cells: [String]) -> String { cells.joined(separator: ",") }
}

/// Fixed-point decimal formatting that does not depend on locale or Foundation.
public enum DecimalText {
    /// `value` rounded half away from zero to `places` decimals, `.` as the point.
    public static func format(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NA" : (value > 0 ? "Inf" : "-Inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        let negative = value < 0 && scaled != 0
        let integer = UInt64(scaled)
        var digits = String(integer)
        if places > 0 {
            if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
            let split = digits.index(digits.endIndex, offsetBy: -places)
            digits = digits[..<split] + "." + digits[split...]
        }
        return (negative ? "-" : "") + digits
    }
}
