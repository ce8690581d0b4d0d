import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// A source that hands out at most `chunk` bytes per read, to split rows anywhere.
final class MemorySource: ByteSource {
    let bytes: [UInt8]
    let chunk: Int
    var offset = 0
    init(_ bytes: [UInt8], chunk: Int) {
        self.bytes = bytes
        self.chunk = chunk
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        buffer.copyBytes(from: bytes[offset..<(offset + n)])
        offset += n
        return n
    }
}

struct DecodedRow: Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]
    var unterminated = false
    var description: String { "\(line):\(fields)\(unterminated ? " (unterminated)" : "")" }
}

/// Decodes `bytes` the way the runner does: header, then row-aligned blocks.
func decodeAll(_ bytes: [UInt8], chunk: Int, block: Int) throws -> (header: [String], rows: [DecodedRow], blank: Int) {
    let reader = RowBlockReader(source: MemorySource(bytes, chunk: chunk), fileName: "mem.csv", targetBlockSize: block, readSize: chunk)
    let header = try reader.readHeader()?.names ?? []
    var rows: [DecodedRow] = []
    var blank = 0
    let scratch = CSVDecodeScratch()
    while let b = try reader.next() {
        b.bytes.withUnsafeBytes { raw in
            CSVBlockDecoder.forEachRow(in: raw, firstLine: b.firstLine, scratch: scratch, blankLines: &blank) { row in
                rows.append(DecodedRow(line: row.line, fields: (0..<row.fieldCount).map { row.string($0) }, unterminated: row.unterminatedQuote))
            }
        }
    }
    return (header, rows, blank)
}

@Suite(.timeLimit(.minutes(10))) struct CSVDecodingTests {
    // Expected rows are written out by hand from RFC 4180's rules.
    static let tricky: [UInt8] = Array(
        "\u{FEFF}id,text,n\r\n1,plain,10\r\n2,\"with, comma\",20\n3,\"doubled \"\"quotes\"\"\",30\r\n4,\"line\nbreak\r\ninside\",40\n\n5,,\n6,\"\",\"x\"\r\n7,caf\u{E9},7"
            .utf8)
    static let expected: [DecodedRow] = [
        DecodedRow(line: 2, fields: ["1", "plain", "10"]),
        DecodedRow(line: 3, fields: ["2", "with, comma", "20"]),
        DecodedRow(line: 4, fields: ["3", "doubled \"quotes\"", "30"]),
        DecodedRow(line: 5, fields: ["4", "line\nbreak\r\ninside", "40"]),
        DecodedRow(line: 9, fields: ["5", "", ""]),
        DecodedRow(line: 10, fields: ["6", "", "x"]),
        DecodedRow(line: 11, fields: ["7", "caf\u{E9}", "7"]),
    ]

    @Test func decodesTrickyRowsAtEveryChunkSize() throws {
        for chunk in 1...Self.tricky.count + 1 {
            for block in [1, 7, 64, 1 << 20] {
                let (header, rows, blank) = try decodeAll(Self.tricky, chunk: chunk, block: block)
                #expect(header == ["id", "text", "n"], "chunk \(chunk) block \(block)")
                #expect(rows == Self.expected, "chunk \(chunk) block \(block)")
                #expect(blank == 1, "chunk \(chunk) block \(block)")
            }
        }
    }

    @Test func lenientQuotesFollowPythonCSV() throws {
        // Python 3.11: list(csv.reader(['a,"b"c,d"e\n'])) == [['a', 'bc', 'd"e']]
        let bytes = Array("h1,h2,h3\na,\"b\"c,d\"e\n".utf8)
        for chunk in 1...bytes.count {
            let (_, rows, _) = try decodeAll(bytes, chunk: chunk, block: 3)
            #expect(rows == [DecodedRow(line: 2, fields: ["a", "bc", "d\"e"])])
        }
    }

    @Test func unterminatedQuoteAtEndOfFileIsFlagged() throws {
        let bytes = Array("a,b\n1,2\n3,\"open\n4,5\n".utf8)
        for chunk in 1...bytes.count {
            let (_, rows, _) = try decodeAll(bytes, chunk: chunk, block: 2)
            #expect(rows.count == 2)
            #expect(rows.first == DecodedRow(line: 2, fields: ["1", "2"]))
            #expect(rows.last == DecodedRow(line: 3, fields: ["3", "open\n4,5\n"], unterminated: true))
        }
    }

    @Test func headerOnlyAndEmptyFiles() throws {
        let (header, rows, _) = try decodeAll(Array("a,b\r\n".utf8), chunk: 1, block: 1)
        #expect(header == ["a", "b"])
        #expect(rows.isEmpty)
        let reader = RowBlockReader(source: MemorySource([], chunk: 4), fileName: "empty.csv")
        #expect(try reader.readHeader() == nil)
    }

    @Test func splitterAgreesWithDecoderOnRandomInput() throws {
        // Random bytes drawn from the CSV alphabet; splitting then decoding at every
        // chunk size must give what decoding the whole input at once gives.
        var rng = SeededRandom(seed: 42)
        let alphabet = Array("ab,\"\n\r ".utf8)
        for _ in 0..<200 {
            let length = Int(rng.next() % 60)
            var bytes = Array("h\n".utf8)
            for _ in 0..<length { bytes.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let whole = try decodeAll(bytes, chunk: bytes.count, block: 1 << 20)
            for chunk in [1, 2, 3, 5, 8] {
                let pieces = try decodeAll(bytes, chunk: chunk, block: 1)
                #expect(pieces.rows == whole.rows, "input \(String(decoding: bytes, as: UTF8.self).debugDescription) chunk \(chunk)")
            }
        }
    }
}
