import Foundation
import SPRXCore
import Testing

@testable import SPRXIngest

/// Reads `bytes` with small limits, at most `chunk` bytes per read: every row as
/// "line:raw text", or "line:<cut off>" when the reader cut it off or (as the clean stage
/// does for a row that ended within a read of the limit) it is longer than the limit.
private func ingestReadAll(
    _ bytes: [UInt8], chunk: Int, block: Int, maxRow: Int, maxHeader: Int = 1 << 20, maxColumns: Int = 4096
) throws -> (header: [String], rows: [String], skipped: [SkippedRow]) {
    let reader = RowBlockReader(
        source: MemorySource(bytes, chunk: chunk), fileName: "mem.csv", targetBlockSize: block, readSize: chunk, maxRowBytes: maxRow,
        maxHeaderBytes: maxHeader, maxHeaderColumns: maxColumns)
    let header = try reader.readHeader()?.names ?? []
    var rows: [String] = []
    var skipped: [SkippedRow] = []
    var blank = 0
    let scratch = CSVDecodeScratch()
    while let b = try reader.next() {
        b.bytes.withUnsafeBytes { raw in
            CSVBlockDecoder.forEachRow(in: raw, firstLine: b.firstLine, scratch: scratch, blankLines: &blank) { row in
                rows.append("\(row.line):\(row.raw.count > maxRow ? "<cut off>" : String(decoding: row.raw, as: UTF8.self))")
            }
        }
        if let long = b.rowTooLong {
            skipped.append(long)
            rows.append("\(long.line):<cut off>")
        }
    }
    return (header, rows, skipped)
}

/// Limits on rows and headers, and the formats sprx names instead of misreading.
@Suite(.timeLimit(.minutes(10))) struct InputLimitTests {
    /// A row far over the limit is cut off wherever reads stop: the rows around it come
    /// through whole with their line numbers (counted by hand below), the long row is
    /// reported once at its line with its first bytes, and quoted newlines inside it still
    /// count as lines. (With reads larger than the row it arrives whole and the length
    /// check catches it: the outcome is the same.)
    @Test func aRowOverTheLimitIsCutOffAtEveryReadSize() throws {
        let long = "3,\"" + String(repeating: "y", count: 150) + "\n" + String(repeating: "z", count: 150) + "\",x"
        let text = "id,a,b\n1,p,q\n2,r,s\n" + long + "\n4,t,u\n"
        // Lines: header 1, row 1 line 2, row 2 line 3, long row lines 4-5, row 4 line 6.
        let expected = ["2:1,p,q", "3:2,r,s", "4:<cut off>", "6:4,t,u"]
        for chunk in [1, 2, 3, 7, 16, 64, 4096] {
            for block in [1, 10, 1000] {
                let result = try ingestReadAll(Array(text.utf8), chunk: chunk, block: block, maxRow: 40)
                #expect(result.header == ["id", "a", "b"])
                #expect(result.rows == expected, "chunk \(chunk) block \(block)")
                if chunk <= 16 { #expect(result.skipped.count == 1, "small reads: the reader cut it off") }
                // The prefix is the row's first bytes, at least the limit's worth read so far.
                if let skipped = result.skipped.first {
                    #expect(String(decoding: skipped.prefix, as: UTF8.self) == String(long.prefix(skipped.prefix.count)))
                    #expect(skipped.prefix.count > 40)
                }
            }
        }
    }

    /// A long last row without a line end, and one that ends the file inside quotes.
    @Test func aLongRowAtTheEndOfTheFile() throws {
        for tail in [String(repeating: "w", count: 200), "\"" + String(repeating: "w", count: 200)] {
            let text = "id,a\n1,p\n" + tail
            for chunk in [1, 5, 4096] {
                let result = try ingestReadAll(Array(text.utf8), chunk: chunk, block: 8, maxRow: 50)
                #expect(result.rows == ["2:1,p", "3:<cut off>"], "chunk \(chunk)")
            }
        }
    }

    /// A header over the byte limit or the column limit fails the file (exit 65) and says
    /// which limit, at every read size.
    @Test func aHeaderOverTheLimitsFailsTheFile() throws {
        let wide = (1...30).map { "c\($0)" }.joined(separator: ",") + "\n1\n"
        for chunk in [1, 3, 4096] {
            #expect(throws: SPRXError.self) { try ingestReadAll(Array(wide.utf8), chunk: chunk, block: 64, maxRow: 1000, maxHeader: 50) }
            #expect(throws: SPRXError.self) { try ingestReadAll(Array(wide.utf8), chunk: chunk, block: 64, maxRow: 1000, maxColumns: 29) }
            // Exactly at both limits is fine: 30 columns, 110 bytes (hand count: 9×2 + 21×3 + 29 commas).
            let ok = try ingestReadAll(Array(wide.utf8), chunk: chunk, block: 64, maxRow: 1000, maxHeader: 110, maxColumns: 30)
            #expect(ok.header.count == 30)
        }
        do {
            _ = try ingestReadAll(Array(wide.utf8), chunk: 7, block: 64, maxRow: 1000, maxHeader: 50)
        } catch let error as SPRXError {
            #expect(error.code == .inputFormat && error.message.contains("header length limit") && error.message.contains("50 bytes"))
        }
        do {
            _ = try ingestReadAll(Array(wide.utf8), chunk: 7, block: 64, maxRow: 1000, maxColumns: 29)
        } catch let error as SPRXError {
            #expect(error.code == .inputFormat && error.message.contains("30 columns") && error.message.contains("header column limit"))
        }
    }

    /// Bare-CR line ends (classic Mac OS) are detected from the header's end and read
    /// as line ends at every read size, with a CR inside quotes kept as a line break and
    /// lines counted by CR (hand count below); CRLF is not mistaken for them, even when a
    /// read stops between the CR and the LF, and a CR inside a quoted header name is not
    /// a line end.
    @Test func bareCarriageReturnLineEndsAreRead() throws {
        let cr = "id,a\r1,p\r2,\"q\rr\"\r\r3,s"
        let crlf = "id,a\r\n1,p\r\n2,\"q\rr\"\r\n"
        let quotedHeader = "\"i\rd\",a\n1,p\n"
        for chunk in [1, 2, 3, 4096] {
            let crResult = try ingestReadAll(Array(cr.utf8), chunk: chunk, block: 4, maxRow: 1000)
            #expect(crResult.header == ["id", "a"])
            #expect(crResult.rows == ["2:1,p", "3:2,\"q\nr\"", "6:3,s"], "chunk \(chunk)")
            let crlfResult = try ingestReadAll(Array(crlf.utf8), chunk: chunk, block: 4, maxRow: 1000)
            #expect(crlfResult.rows == ["2:1,p", "3:2,\"q\rr\""], "chunk \(chunk)")
            let quoted = try ingestReadAll(Array(quotedHeader.utf8), chunk: chunk, block: 4, maxRow: 1000)
            #expect(quoted.header == ["i\rd", "a"] && quoted.rows == ["2:1,p"], "chunk \(chunk)")
        }
    }

    /// Field offsets are full-width: a field past 2^31 bytes is addressable (checked on
    /// the type, not by allocating 2 GiB).
    @Test func fieldOffsetsAreFullWidth() {
        #expect(MemoryLayout.size(ofValue: CSVField(start: 0, end: Int(Int32.max) + 10, inScratch: false).end) == 8)
    }

    /// The first bytes of every encoding and compression sprx refuses, built here from
    /// their published magic numbers and byte-order marks, are named; UTF-8 CSV (with or
    /// without its mark) and gzip are read.
    @Test func wrongEncodingsAndCompressionsAreNamed() {
        let header = "referral_id,person_id"
        func utf16(_ s: String, bigEndian: Bool) -> [UInt8] {
            s.utf16.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        }
        func utf32(_ s: String, bigEndian: Bool) -> [UInt8] {
            s.unicodeScalars.flatMap { u -> [UInt8] in
                let b = [UInt8(u.value & 0xFF), UInt8((u.value >> 8) & 0xFF), UInt8((u.value >> 16) & 0xFF), UInt8(u.value >> 24)]
                return bigEndian ? b.reversed() : b
            }
        }
        let cases: [([UInt8], InputFormat)] = [
            (Array(header.utf8), .plain),
            ([0xEF, 0xBB, 0xBF] + Array(header.utf8), .plain),
            ([0x1F, 0x8B, 0x08, 0x00], .gzip),
            ([0xFF, 0xFE] + utf16(header, bigEndian: false), .utf16(bigEndian: false)),
            ([0xFE, 0xFF] + utf16(header, bigEndian: true), .utf16(bigEndian: true)),
            (utf16(header, bigEndian: false), .utf16(bigEndian: false)),
            (utf16(header, bigEndian: true), .utf16(bigEndian: true)),
            ([0xFF, 0xFE, 0x00, 0x00] + utf32(header, bigEndian: false), .utf32(bigEndian: false)),
            ([0x00, 0x00, 0xFE, 0xFF] + utf32(header, bigEndian: true), .utf32(bigEndian: true)),
            (utf32(header, bigEndian: false), .utf32(bigEndian: false)),
            ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04], .xz),
            (Array("BZh9".utf8) + [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], .bzip2),
            ([0x28, 0xB5, 0x2F, 0xFD, 0x24, 0x00], .zstd),
            ([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + Array("word/document.xml".utf8), .zip),
            ([0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + Array("[Content_Types].xml".utf8), .xlsx),
            ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04], .sevenZip),
            ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], .excel97),
            // "BZh" starting a real header is text, not bzip2.
            (Array("BZh1,x,y\n1,2,3\n".utf8), .plain),
        ]
        for (bytes, format) in cases {
            #expect(InputFormat.sniff(Array(bytes.prefix(InputFormat.sniffLength))) == format, "\(format)")
            #expect((format.problem == nil) == (format == .plain || format == .gzip))
        }
    }

    /// The bytes looked at to choose a format are handed on: nothing is lost, at any read size.
    @Test func peekingLosesNoBytes() throws {
        let bytes = Array("referral_id,person_id\n1,2\n".utf8)
        for chunk in [1, 2, 5, 100] {
            let source = PeekableByteSource(MemorySource(bytes, chunk: chunk))
            #expect(try source.peek(4) == Array(bytes[0..<4]))
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 3)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                out += buffer[0..<n]
            }
            #expect(out == bytes)
        }
    }
}
