import SPRXCore

/// A whole CSV table in memory: a header and rows of text cells (RFC 4180 quoting).
///
/// Only for sprx's own outputs, which are small; the hot-path reader is SPRXIngest's.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// Parses `text`; fails naming the line when a quote is left open, the header
    /// repeats a column name, or a row has more or fewer cells than the header.
    public init(parsing text: String, file: String) throws {
        var records: [[String]] = []
        var lines: [Int] = []
        var field: [UInt8] = []
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var atFieldStart = true
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            } else if b == UInt8(ascii: "\"") && atFieldStart {
                inQuotes = true
                atFieldStart = false
            } else if b == UInt8(ascii: ",") {
                endField()
            } else if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                if b == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                endField()
                records.append(record)
                lines.append(recordLine)
                record = []
                line += 1
                recordLine = line
            } else {
                field.append(b)
                atFieldStart = false
            }
            i += 1
        }
        if inQuotes {
            throw SPRXError(.inputFormat, "the file ends inside a quoted field", location: DataLocation(file: file, line: recordLine))
        }
        if !field.isEmpty || !record.isEmpty {
            endField()
            records.append(record)
            lines.append(recordLine)
        }
        guard let header = records.first, header != [""] else {
            throw SPRXError(.inputFormat, "the table is empty: no header row", location: DataLocation(file: file, line: 1))
        }
        var seen = Set<String>()
        for name in header where !seen.insert(name).inserted {
            throw SPRXError(.inputFormat, "the header repeats the column \(name)", location: DataLocation(file: file, line: 1))
        }
        self.header = header
        rows = []
        for (record, at) in zip(records.dropFirst(), lines.dropFirst()) {
            if record == [""] { continue }  // a blank line
            guard record.count == header.count else {
                throw SPRXError(
                    .inputFormat, "row has \(record.count) cells, the header \(header.count)", location: DataLocation(file: file, line: at))
            }
            rows.append(record)
        }
    }
}
