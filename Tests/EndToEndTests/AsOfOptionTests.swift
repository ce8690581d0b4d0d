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

    /// A date before the data period's last referral is accepted, with a warning naming
    /// both dates (audit 25 gap 7). The spreadsheet sample's last referral date is read
    /// from its expected manifest's period (not computed here); its first is 2021-01-01,
    /// so that date is before the end, and the last day itself is not.
    @Test func aDateBeforeThePeriodEndsIsWarnedAbout() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/expected/hand-kept-spreadsheet/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let last = try #require((manifest["period"] as? [String: Any])?["last"] as? String)
        let args = ["run", "--pipeline", "\(packageRoot)/Pipelines/hand-kept-spreadsheet.yaml", "--input", "\(packageRoot)/SampleData/spreadsheet", "--quiet"]
        let early = try sprx(args + ["--out", dir + "/early", "--as-of", "2021-01-01"])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(early.stderr.contains("warning: --as-of 2021-01-01 is before the data period ends (\(last))"), "\(early.stderr)")
        let onTheDay = try sprx(args + ["--out", dir + "/on", "--as-of", last])
        #expect(onTheDay.status == 0 && !onTheDay.stderr.contains("--as-of"), "\(onTheDay.stderr)")
    }

    @Test func helpDocumentsIt() throws {
        let help = try sprx(["run", "--help"])
        #expect(help.stdout.contains("--as-of"))
        // (help wraps lines: compare with runs of spaces and line breaks as one space)
        let words = help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(words.contains("the day after the data period ends"), "\(help.stdout)")
    }
}

/// `generate --help` lists its exit statuses as `run --help` does (one declaration,
/// ExitStatus), and `--progress-interval` is documented for both (audit 25 gap 7).
@Suite(.timeLimit(.minutes(10))) struct HelpTextTests {
    @Test func generateListsItsExitStatusesAndTheProgressInterval() throws {
        let generate = try sprx(["generate", "--help"])
        #expect(generate.status == 0)
        for line in [
            "Exit status:", "  0      success: the extracts are written", "  64     usage: a bad option or argument",
            "  66     a reference file is missing or unreadable",
            "  73     the output folder cannot be created or written",
        ] {
            #expect(generate.stdout.contains(line), "\(line)\n\(generate.stdout)")
        }
        for command in ["run", "generate"] {
            let help = try sprx([command, "--help"])
            let words = help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            #expect(
                words.contains("--progress-interval <seconds> With --progress lines: seconds between lines (0: a line at every update). (default: 10.0)"),
                "\(help.stdout)")
        }
    }
}
