import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// The readers' output does not depend on where reads end: every input below is
/// decoded whole, one byte a read and in random cuts (``SplitVerifier``), and the whole
/// input's output is checked against rows written out by hand.
@Suite(.timeLimit(.minutes(10))) struct SplitVerificationTests {
    /// Everything the row reader and the decoder make of a file.
    struct DecodedFile: Equatable, CustomStringConvertible {
        var header: [String]
        var rows: [DecodedRow]
        var skipped: [SkippedRow]
        var blankLines: Int
        var carriageReturnLineEnds: Bool
        var description: String { "header \(header), rows \(rows), skipped \(skipped.map { ($0.line, $0.lines) }), blank \(blankLines)" }
    }

    /// Reads `source` as the runner does: the header, then blocks of whole rows.
    static func decode(
        _ source: any ByteSource, readSize: Int, block: Int, maxRowBytes: Int = InputLimits.maxRowBytes, delimiter: FieldDelimiter = .comma
    ) throws -> DecodedFile {
        let reader = RowBlockReader(
            source: source, fileName: "split.csv", delimiter: delimiter, targetBlockSize: block, readSize: readSize, maxRowBytes: maxRowBytes)
        var file = DecodedFile(header: try reader.readHeader()?.names ?? [], rows: [], skipped: [], blankLines: 0, carriageReturnLineEnds: false)
        let scratch = CSVDecodeScratch()
        while let b = try reader.next() {
            b.bytes.withUnsafeBytes { raw in
                CSVBlockDecoder.forEachRow(in: raw, firstLine: b.firstLine, delimiter: delimiter, scratch: scratch, blankLines: &file.blankLines) { row in
                    file.rows.append(DecodedRow(line: row.line, fields: (0..<row.fieldCount).map { row.string($0) }, unterminated: row.unterminatedQuote))
                }
            }
            if let long = b.rowTooLong { file.skipped.append(long) }
        }
        file.carriageReturnLineEnds = reader.carriageReturnLineEnds
        return file
    }

    static let readShapes: [(readSize: Int, block: Int)] = [(1 << 16, 1 << 20), (5, 1), (3, 16)]

    /// The RFC 4180 cases of ``CSVDecodingTests/tricky`` (a byte-order mark, CRLF and LF,
    /// quotes, a quoted line break, a blank line, no final line end).
    @Test(arguments: readShapes)
    func rowReaderOnTrickyRows(readSize: Int, block: Int) throws {
        var random = SeededRandom()
        let whole = try SplitVerifier.verify(CSVDecodingTests.tricky, random: &random) {
            try Self.decode($0, readSize: readSize, block: block)
        }
        #expect(whole.header == ["id", "text", "n"], "\(random)")
        #expect(whole.rows == CSVDecodingTests.expected, "\(random)")
        #expect(whole.blankLines == 1, "\(random)")
    }

    /// Classic Mac OS line ends (bare CR) are decided from the header, however the
    /// header arrives; a CR inside quotes stays text.
    @Test(arguments: readShapes)
    func rowReaderOnBareCarriageReturns(readSize: Int, block: Int) throws {
        var random = SeededRandom()
        let input = Array("a,b\r1,\"x\ry\"\r3,4\r".utf8)
        let whole = try SplitVerifier.verify(input, random: &random) { try Self.decode($0, readSize: readSize, block: block) }
        #expect(whole.carriageReturnLineEnds, "\(random)")
        #expect(whole.header == ["a", "b"], "\(random)")
        // Every CR is read as an LF, the one inside quotes too (RowBlockReader's contract).
        #expect(whole.rows == [DecodedRow(line: 2, fields: ["1", "x\ny"]), DecodedRow(line: 4, fields: ["3", "4"])], "\(random)")
    }

    /// A row over the limit is skipped to its end, its line and line count kept, and the
    /// rows around it are read, whatever the reads. By design (``RowBlockReader``) a
    /// long row that arrives within one read may instead be handed on whole, for the
    /// clean stage's own length check: both are "the long row at line 3, 2 lines".
    @Test(arguments: readShapes)
    func rowReaderSkipsALongRow(readSize: Int, block: Int) throws {
        struct LongRows: Equatable {
            var rows: [DecodedRow]
            var long: [[Int]]
        }
        var random = SeededRandom()
        let limit = 12
        let input = Array("h,i\nshort,1\n\"this row is\nmuch too long\",2\nok,3\n".utf8)
        let whole = try SplitVerifier.verify(input, random: &random) { source in
            let file = try Self.decode(source, readSize: readSize, block: block, maxRowBytes: limit)
            let isLong = { (row: DecodedRow) in row.fields.joined(separator: ",").utf8.count > limit }
            let held = file.rows.filter(isLong).map { [$0.line, $0.fields.joined().split(separator: "\n").count] }
            return LongRows(rows: file.rows.filter { !isLong($0) }, long: (file.skipped.map { [$0.line, $0.lines] } + held).sorted { $0[0] < $1[0] })
        }
        #expect(whole.rows == [DecodedRow(line: 2, fields: ["short", "1"]), DecodedRow(line: 5, fields: ["ok", "3"])], "\(random)")
        #expect(whole.long == [[3, 2]], "\(random)")
    }

    /// Each delimiter a pipeline may name cuts fields, and only it: the other three and a
    /// comma are text, a quoted field may hold the delimiter and a line break, and a
    /// quote opens only at a field's start (which the delimiter decides). The rows are
    /// written out by hand.
    @Test(arguments: FieldDelimiter.allCases)
    func rowReaderOnEachDelimiter(delimiter: FieldDelimiter) throws {
        let d = String(UnicodeScalar(delimiter.byte))
        let others = ",;\t|".filter { String($0) != d }
        let input = Array(
            "\u{FEFF}id\(d)text\(d)n\r\n1\(d)plain \(others)\(d)10\n2\(d)\"with \(d) and\nbreak\"\(d)20\r\n3\(d)x\"y\(d)\"q\"\"\"\n\n4\(d)\(d)"
                .utf8)
        var random = SeededRandom()
        for (readSize, block) in Self.readShapes {
            let whole = try SplitVerifier.verify(input, random: &random) {
                try Self.decode($0, readSize: readSize, block: block, delimiter: delimiter)
            }
            #expect(whole.header == ["id", "text", "n"], "\(random)")
            #expect(
                whole.rows == [
                    DecodedRow(line: 2, fields: ["1", "plain \(others)", "10"]),
                    DecodedRow(line: 3, fields: ["2", "with \(d) and\nbreak", "20"]),
                    DecodedRow(line: 5, fields: ["3", "x\"y", "q\""]),
                    DecodedRow(line: 7, fields: ["4", "", ""]),
                ], "\(random)")
            #expect(whole.blankLines == 1, "\(random)")
        }
    }

    /// UTF-16 (either byte order) and Windows-1252 reach the row reader as UTF-8 however
    /// the raw bytes arrive, a character split across reads included. The raw bytes
    /// come from Foundation's encoders, the expected text is the string they encoded.
    @Test(arguments: [String.Encoding.utf16LittleEndian, .utf16BigEndian, .windowsCP1252])
    func transcodingToUTF8(encoding: String.Encoding) throws {
        let text =
            encoding == .windowsCP1252
            ? "id;name\r\n1;Café – “Zoë” €5 ™\r\n2;naïve Œuvre\r\n"
            : "id;name\r\n1;Café – “Zoë” €5 ™ 𝄞 😀\r\n2;日本語\r\n"
        let raw = Array(try #require(text.data(using: encoding)))
        let source: (ChunkedByteSource) -> TranscodingByteSource = {
            TranscodingByteSource($0, encoding: encoding == .windowsCP1252 ? .windows1252 : .utf16(bigEndian: encoding == .utf16BigEndian), readSize: 4)
        }
        var random = SeededRandom()
        // Byte by byte out, too: a character's UTF-8 may be handed out across reads.
        let whole = try SplitVerifier.verify(raw, random: &random) { try Self.drain(source($0), outSize: 1) }
        #expect(whole == Array(text.utf8), "\(random)")
        let rows = try SplitVerifier.verify(raw, random: &random) {
            try Self.decode(source($0), readSize: 3, block: 8, delimiter: .semicolon)
        }
        #expect(rows.rows.map(\.fields.last) == text.split(separator: "\r\n").dropFirst().map { $0.split(separator: ";").last.map(String.init) })
    }

    /// Text that is not valid in the declared encoding becomes the byte FF (never UTF-8,
    /// so the clean stage quarantines the row as invalid_encoding), and reading goes on.
    @Test func invalidSourceTextBecomesAnInvalidByte() throws {
        let cases: [(TranscodingByteSource.SourceEncoding, [UInt8], [UInt8])] = [
            // A lone low surrogate, a high surrogate followed by "a", a final odd byte.
            (.utf16(bigEndian: false), [0x61, 0x00, 0x00, 0xDC, 0x62, 0x00, 0x00, 0xD8, 0x61, 0x00, 0x63], [0x61, 0xFF, 0x62, 0xFF, 0x61, 0xFF]),
            // A high surrogate at the very end.
            (.utf16(bigEndian: true), [0x00, 0x61, 0xD8, 0x3D], [0x61, 0xFF]),
            // The five bytes CP1252.TXT leaves undefined.
            (.windows1252, [0x41, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x42], [0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x42]),
        ]
        for (encoding, input, expected) in cases {
            var random = SeededRandom()
            let out = try SplitVerifier.verify(input, random: &random) {
                try Self.drain(TranscodingByteSource($0, encoding: encoding, readSize: 4), outSize: 3)
            }
            #expect(out == expected, "\(encoding)")
        }
    }

    /// Everything `source` gives, read `outSize` bytes at a time.
    static func drain(_ source: any ByteSource, outSize: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: outSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// A quote left open runs to the end of the file and is flagged there.
    @Test func rowReaderOnAnOpenQuote() throws {
        var random = SeededRandom()
        let input = Array("a,b\n1,2\n3,\"open\n4,5\n".utf8)
        let whole = try SplitVerifier.verify(input, random: &random) { try Self.decode($0, readSize: 4, block: 2) }
        #expect(whole.rows == [DecodedRow(line: 2, fields: ["1", "2"]), DecodedRow(line: 3, fields: ["3", "open\n4,5\n"], unterminated: true)], "\(random)")
    }

    /// Gzip (two members, as `cat a.gz b.gz` makes) inflates to the same bytes however
    /// the compressed bytes arrive; the expected bytes are what `gzip` was given.
    @Test func gzipReaderOnTwoMembers() throws {
        let text = Array((0..<300).map { "row \($0),value \($0 * 7)\n" }.joined().utf8)
        let compressed = try systemGzip(Array(text[0..<2000])) + systemGzip(Array(text[2000...]))
        var random = SeededRandom()
        let whole = try SplitVerifier.verify(compressed, randomCuts: 12, random: &random) { source in
            let gzip = try GzipByteSource(compressed: source, name: "split.csv.gz", inputBufferSize: 64)
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 100)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                if n == 0 { break }
                out += buffer[0..<n]
            }
            return out
        }
        #expect(whole == text, "\(random)")
    }
}

extension SkippedRow: CustomStringConvertible {
    public var description: String { "line \(line) (\(lines) lines)" }
}
