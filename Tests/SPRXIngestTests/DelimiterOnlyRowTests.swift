import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// A row of delimiters only (`,,,,`: how a spreadsheet saves an empty row, the second
/// new-user trial's P13) is a blank line: counted with the blank lines, never a row, its
/// physical line kept in the numbering. Each input is decoded whole, one byte a read and
/// in random cuts (``SplitVerifier``); expected rows, lines and counts are by hand.
@Suite(.timeLimit(.minutes(10))) struct DelimiterOnlyRowTests {
    static func decode(_ input: String, readSize: Int, block: Int, delimiter: FieldDelimiter = .comma) throws -> SplitVerificationTests.DecodedFile {
        var random = SeededRandom()
        return try SplitVerifier.verify(Array(input.utf8), random: &random) {
            try SplitVerificationTests.decode($0, readSize: readSize, block: block, delimiter: delimiter)
        }
    }

    static func row(_ line: Int, _ fields: String...) -> DecodedRow { DecodedRow(line: line, fields: fields) }

    /// Lines: 1 header; 2 `1,x,y`; 3 `,,` (blank, mid-file); 4 `2,z,w`; 5 `,,,,,` (more
    /// delimiters than the header has, blank); 6 empty (blank); 7-9 `,,` CRLF three times
    /// (Excel's trailing rows, blank). Rows 2 and 4; blank lines 1 + 1 + 1 + 3 = 6.
    @Test(arguments: SplitVerificationTests.readShapes)
    func delimiterRowsAreBlankLines(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b,c\n1,x,y\n,,\n2,z,w\n,,,,,\n\n,,\r\n,,\r\n,,\r\n", readSize: readSize, block: block)
        #expect(file.header == ["a", "b", "c"])
        #expect(file.rows == [Self.row(2, "1", "x", "y"), Self.row(4, "2", "z", "w")])
        #expect(file.blankLines == 6)
    }

    /// A row with anything but delimiters is a row: an empty quoted field (`""`), a
    /// space, or a value. Lines: 2 `,,""`; 3 `, ,`; 4 `,,x`; 5 `,,` at the end without a
    /// line end (blank). Rows 2-4; blank lines 1.
    @Test(arguments: SplitVerificationTests.readShapes)
    func onlyDelimitersMakeABlankLine(readSize: Int, block: Int) throws {
        let file = try Self.decode("a,b,c\n,,\"\"\n, ,\n,,x\n,,", readSize: readSize, block: block)
        #expect(file.rows == [Self.row(2, "", "", ""), Self.row(3, "", " ", ""), Self.row(4, "", "", "x")])
        #expect(file.blankLines == 1)
    }

    /// The file's own delimiter: with tabs, a row of tabs is blank and a row of commas
    /// is a value. Lines: 2 `1\tx`; 3 `\t` (blank); 4 `,,` (a row of one field, ",,");
    /// 5 `2\ty`. Rows 2, 4 and 5; blank lines 1.
    @Test(arguments: SplitVerificationTests.readShapes)
    func theFilesOwnDelimiter(readSize: Int, block: Int) throws {
        let file = try Self.decode("a\tb\n1\tx\n\t\n,,\n2\ty\n", readSize: readSize, block: block, delimiter: .tab)
        #expect(file.rows == [Self.row(2, "1", "x"), Self.row(4, ",,"), Self.row(5, "2", "y")])
        #expect(file.blankLines == 1)
    }
}
