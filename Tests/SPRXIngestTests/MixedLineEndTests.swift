import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// Line ends that change within a file (issue 24, item 11: "no row disappears"): outside
/// quotes an LF, a CRLF and a bare CR each end a row, whatever the header's line end
/// was, so an LF file whose last rows are joined by bare CRs is read row by row. Every
/// input is decoded whole, one byte a read and in random cuts (``SplitVerifier``); one
/// byte a read also takes the splitter's byte-at-a-time path, so its eight-byte path is
/// checked against it. Expected rows, lines and blank-line counts are written by hand.
@Suite(.timeLimit(.minutes(10))) struct MixedLineEndTests {
    static func decode(_ input: String, readSize: Int = 1 << 16, block: Int = 1 << 20) throws -> SplitVerificationTests.DecodedFile {
        var random = SeededRandom()
        return try SplitVerifier.verify(Array(input.utf8), random: &random) {
            try SplitVerificationTests.decode($0, readSize: readSize, block: block)
        }
    }

    static func row(_ line: Int, _ fields: String...) -> DecodedRow { DecodedRow(line: line, fields: fields) }

    @Test(arguments: SplitVerificationTests.readShapes)
    func anLFFileWithRowsJoinedByBareCRs(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b\n1,x\n2,y\r3,z\r4,w\r", readSize: readSize, block: block)
        #expect(!file.carriageReturnLineEnds)
        #expect(file.header == ["a", "b"])
        #expect(file.rows == [Self.row(2, "1", "x"), Self.row(3, "2", "y"), Self.row(4, "3", "z"), Self.row(5, "4", "w")])
        #expect(file.blankLines == 0)
    }

    @Test(arguments: SplitVerificationTests.readShapes)
    func aCRLFFileWithAStrayLF(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b\r\n1,x\n2,y\r\n3,z", readSize: readSize, block: block)
        #expect(file.rows == [Self.row(2, "1", "x"), Self.row(3, "2", "y"), Self.row(4, "3", "z")])
    }

    /// Inside quotes a CR is text (the field keeps it); after the closing quote it ends the row.
    @Test(arguments: SplitVerificationTests.readShapes)
    func aCRInsideQuotesIsTextAndAfterThemALineEnd(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b\n1,\"x\ry\"\n2,z\r\"3\",\"w\"\r4,v\n", readSize: readSize, block: block)
        #expect(file.rows == [Self.row(2, "1", "x\ry"), Self.row(3, "2", "z"), Self.row(4, "3", "w"), Self.row(5, "4", "v")])
    }

    /// `\r\r\n` is a bare CR (the row's end) and then a CRLF (a blank line).
    @Test(arguments: SplitVerificationTests.readShapes)
    func twoCRsBeforeAnLF(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b\n1,x\r\r\n2,y\n", readSize: readSize, block: block)
        #expect(file.rows == [Self.row(2, "1", "x"), Self.row(4, "2", "y")])
        #expect(file.blankLines == 1)
    }

    /// Lines: 1 header; 2 LF, 3 CRLF, 4 bare CR (blank); 5 `1,x`; 6-25 twenty LFs and
    /// 26-34 nine CRLFs (blank); 35 `2,y`. Blank lines: 3 + 20 + 9 = 32.
    @Test(arguments: SplitVerificationTests.readShapes)
    func blankLinesOfEveryKindAreCountedAndLinesKept(readSize: Int, block: Int) throws {
        let input = "a,b\n\n\r\n\r1,x\n" + String(repeating: "\n", count: 20) + String(repeating: "\r\n", count: 9) + "2,y"
        let file = try Self.decode(input, readSize: readSize, block: block)
        #expect(file.rows == [Self.row(5, "1", "x"), Self.row(35, "2", "y")])
        #expect(file.blankLines == 32)
    }

    /// The file: 10 rows joined by LF, then 500 joined by bare CR, ending in one.
    /// Read in blocks of 64 bytes (so blocks end on bare CRs); 510 rows, line n + 1 each.
    @Test func fiveHundredRowsJoinedByBareCRs() throws {
        var text = "id,n\n"
        for i in 1...10 { text += "R\(i),\(i)\n" }
        for i in 11...510 { text += "R\(i),\(i)\r" }
        var random = SeededRandom()
        let file = try SplitVerifier.verify(Array(text.utf8), randomCuts: 8, random: &random) {
            try SplitVerificationTests.decode($0, readSize: 100, block: 64)
        }
        #expect(file.rows.count == 510)
        #expect(file.rows == (1...510).map { DecodedRow(line: $0 + 1, fields: ["R\($0)", "\($0)"]) })
    }

    /// Random text of quotes, commas, CRs, LFs and letters decodes alike however it is
    /// cut: the eight-byte path (whole reads) agrees with the byte path (one byte a read)
    /// on every input, quoted line ends and CRs at word and read edges included.
    @Test func randomLineEndsDecodeAlikeHoweverCut() throws {
        var random = SeededRandom()
        let alphabet = Array("ab,\"\r\n\r\n".utf8)
        for _ in 0..<300 {
            let count = Int.random(in: 0...120, using: &random)
            let body = (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            try SplitVerifier.verify(Array("h,i\n".utf8) + body, randomCuts: 4, random: &random) {
                try SplitVerificationTests.decode($0, readSize: 64, block: 16)
            }
        }
    }
}
