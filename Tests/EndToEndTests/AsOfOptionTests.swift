import Foundation
import SPRXTestSupport
import Testing

/// `sprx run --as-of DATE` (issue 25, item 6): a date as YYYY-MM-DD, refused as a usage
/// error (64) before anything is read or written; `--help` documents it.
@Suite(.timeLimit(.minutes(10))) struct AsOfOptionTests {
    @Test(arguments: ["2026-02-30", "31/03/2026", "2026-3-31", "tomorrow"])
    func aDateThatIsNotOneIsAUsageError(text: String) throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try sprx([
            "run", "--pipeline", "\(packageRoot)/Pipelines/hand-kept-spreadsheet.yaml", "--input", "\(packageRoot)/SampleData/spreadsheet", "--out",
            dir + "/out",
            "--as-of", text,
        ])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--as-of must be a date as YYYY-MM-DD"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test func helpDocumentsIt() throws {
        let help = try sprx(["run", "--help"])
        #expect(help.stdout.contains("--as-of"))
        // (help wraps lines: compare with runs of spaces and line breaks as one space)
        let words = help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(words.contains("the day after the data period ends"), "\(help.stdout)")
    }
}
