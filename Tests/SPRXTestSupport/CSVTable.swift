import Foundation
import SPRXIngest

/// A CSV file as tests read it: the header and every row as strings, decoded by the
/// project's own decoder (``CSVBlockDecoder``), so a test reads a published table the way
/// `sprx validate` and a spreadsheet would (RFC 4180 quoting, `""` inside quotes, CRLF).
///
/// The one CSV reader of the tests: no test splits a line at commas itself. Blank lines
/// are skipped, as the decoder skips them (so a one-column table's empty cell is not a
/// row; no published table has one column).
public struct CSVTable: Equatable, Sendable {
    /// The first row's fields.
    public var header: [String]
    /// Every row after the header, each its fields in order (as many as the row has).
    public var rows: [[String]]

    /// The table in `text`; an empty text is an empty header and no rows.
    public init(text: String) { self.init(bytes: Array(text.utf8)) }

    /// The table in `bytes` (UTF-8).
    public init(bytes: [UInt8]) {
        let all = Self.records(bytes)
        header = all.first ?? []
        rows = Array(all.dropFirst())
    }

    /// The table in the file at `path`.
    public init(path: String) throws {
        self.init(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Every row of `text`, the header included, each its fields in order.
    public static func records(_ text: String) -> [[String]] { records(Array(text.utf8)) }

    /// Every row of `bytes`, the header included, each its fields in order.
    public static func records(_ bytes: [UInt8]) -> [[String]] {
        var records: [[String]] = []
        var blankLines = 0
        bytes.withUnsafeBytes { block in
            CSVBlockDecoder.forEachRow(in: block, firstLine: 1, scratch: CSVDecodeScratch(), blankLines: &blankLines) { row in
                records.append((0..<row.fieldCount).map { row.string($0) })
            }
        }
        return records
    }

    /// The fields of one CSV line (a header written by a test, say).
    public static func fields(_ line: some StringProtocol) -> [String] { records(String(line)).first ?? [] }

    /// The position of column `name` in the header, if it has one.
    public func index(of name: String) -> Int? { header.firstIndex(of: name) }

    /// Column `name`'s cell in every row ("" where a row is short); empty if there is no such column.
    public func column(_ name: String) -> [String] {
        guard let index = index(of: name) else { return [] }
        return rows.map { index < $0.count ? $0[index] : "" }
    }

    /// Every row as a dictionary from column name to cell (cells past the header dropped).
    public var records: [[String: String]] {
        rows.map { row in Dictionary(zip(header, row), uniquingKeysWith: { first, _ in first }) }
    }
}
