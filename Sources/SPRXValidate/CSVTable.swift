import SPRXCore
import SPRXIngest

/// A whole CSV table in memory: a header and rows of text cells (RFC 4180 quoting).
///
/// Only for sprx's own outputs, which are small: the whole table is held in memory.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// Parses `text` with the pipeline's own CSV reader (SPRXIngest's ``RowBlockReader``
    /// and ``CSVBlockDecoder``), so `sprx validate` and `sprx run` read quoting, line
    /// ends and blank lines by the same rules; fails naming the line when a quote is
    /// left open, the header repeats a column name, or a row has more or fewer cells
    /// than the header.
    public init(parsing text: String, file: String) throws {
        let reader = RowBlockReader(source: MemoryByteSource(Array(text.utf8)), fileName: file)
        guard let (header, _) = try reader.readHeader(), !header.isEmpty, header != [""] else {
            throw SPRXError(.inputFormat, "the table is empty: no header row", location: DataLocation(file: file, line: 1))
        }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw SPRXError(.inputFormat, "the header repeats the column \(name)", location: DataLocation(file: file, line: 1))
        }
        var rows: [[String]] = []
        let scratch = CSVDecodeScratch()
        var blankLines = 0
        while let block = try reader.next() {
            try block.bytes.withUnsafeBytes { bytes in
                try CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, scratch: scratch, blankLines: &blankLines) { row in
                    if row.unterminatedQuote {
                        throw SPRXError(.inputFormat, "the file ends inside a quoted field", location: DataLocation(file: file, line: row.line))
                    }
                    guard row.fieldCount == header.count else {
                        throw SPRXError(
                            .inputFormat, "row has \(row.fieldCount) cells, the header \(header.count)",
                            location: DataLocation(file: file, line: row.line))
                    }
                    rows.append((0..<row.fieldCount).map { row.string($0) })
                }
            }
            if let long = block.rowTooLong {
                throw SPRXError(
                    .inputFormat, "row is longer than the \(InputLimits.maxRowBytes) bytes sprx reads",
                    location: DataLocation(file: file, line: long.line))
            }
        }
        self.header = header
        self.rows = rows
    }
}
