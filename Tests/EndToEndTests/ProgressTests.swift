import Foundation
import SPRXTestSupport
import Testing

/// `--progress` on the built binary, and `run --help` (issue 25, item 8).
@Suite(.timeLimit(.minutes(10))) struct ProgressTests {
    /// The figures of one `--progress lines` line: percentage and files finished.
    struct Shown: Equatable {
        var percent: Int
        var filesDone: Int?
    }

    static func shown(_ stderr: String, verb: String) -> [Shown] {
        stderr.split(separator: "\n").compactMap { line -> Shown? in
            guard let match = line.firstMatch(of: #/^sprx: (\d+)% (read|written)(?: \(files (\d+)/\d+ done\))?, [\d,]+ rows, /#),
                match.2 == verb
            else { return nil }
            return Shown(percent: Int(match.1)!, filesDone: match.3.map { Int($0)! })
        }
    }

    /// `run --progress lines` (interval 0: a line per block) prints plain lines whose
    /// percentage and finished-file count never go backwards with 4 jobs, ending at 100%
    /// with both files done; nothing but figures (no id of the data) and no carriage
    /// return. The tables are byte-identical to a run without progress.
    @Test func runLinesNeverGoBackwardsAndChangeNoOutput() throws {
        let dir = ScratchFolder.make("progress")
        let withLines = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/lines",
            "--jobs", "4", "--block-size", "16384", "--progress", "lines", "--progress-interval", "0",
        ])
        #expect(withLines.status == 0, "\(withLines.stderr)")
        let lines = Self.shown(withLines.stderr, verb: "read")
        #expect(lines.count >= 3, "\(withLines.stderr)")
        #expect(lines.last == Shown(percent: 100, filesDone: 2))
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.percent <= $1.percent && $0.filesDone! <= $1.filesDone! })
        // The last line counts every row the summary counts (3,000 in SampleData/canonical).
        #expect(withLines.stderr.contains("sprx: 100% read (files 2/2 done), 3,000 rows, "))
        #expect(!withLines.stderr.contains("\r") && !withLines.stderr.contains("R0000") && !withLines.stderr.contains("P0000"))

        let silent = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/none",
            "--jobs", "1", "--progress", "none",
        ])
        #expect(silent.status == 0)
        #expect(Self.shown(silent.stderr, verb: "read").isEmpty && !silent.stderr.contains("% read"))
        let tables = try FileManager.default.contentsOfDirectory(atPath: dir + "/none/tables").sorted()
        #expect(!tables.isEmpty)
        for table in tables {
            #expect(
                FileManager.default.contents(atPath: dir + "/lines/tables/" + table) == FileManager.default.contents(atPath: dir + "/none/tables/" + table),
                "\(table)")
        }
    }

    /// `--quiet` silences progress whatever `--progress` says; off a terminal, `auto`
    /// (the default) shows nothing.
    @Test func quietAndAutoOffATerminalPrintNoProgress() throws {
        let dir = ScratchFolder.make("progress-quiet")
        let quiet = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/q",
            "--progress", "lines", "--progress-interval", "0", "--quiet",
        ])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let auto = try sprx(["generate", "--rows", "200", "--seed", "3", "--files", "1", "--out", dir + "/gen"])
        #expect(auto.status == 0 && auto.stderr.isEmpty, "\(auto.stderr)")
        let bad = try sprx(["generate", "--rows", "200", "--out", dir + "/gen2", "--progress", "sometimes"])
        #expect(bad.status == 64)
    }

    /// `generate --progress lines` counts rows written against `--rows`: 2,500 rows in
    /// 3 files end at 100% with 3/3 files; the files are the same bytes as without it.
    @Test func generateLinesCountRowsWritten() throws {
        let dir = ScratchFolder.make("progress-generate")
        let result = try sprx([
            "generate", "--rows", "2500", "--seed", "9", "--files", "3", "--out", dir + "/a", "--progress", "lines", "--progress-interval", "0",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.shown(result.stderr, verb: "written")
        #expect(lines.last == Shown(percent: 100, filesDone: 3), "\(result.stderr)")
        #expect(Set(result.stderr.split(separator: "\n")).count == result.stderr.split(separator: "\n").count, "no line repeated")
        #expect(result.stderr.contains("sprx: 100% written (files 3/3 done), 2,500 rows, "))
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.percent <= $1.percent && $0.filesDone! <= $1.filesDone! })
        #expect(try sprx(["generate", "--rows", "2500", "--seed", "9", "--files", "3", "--out", dir + "/b"]).status == 0)
        for file in ["referrals-001.csv.gz", "referrals-002.csv.gz", "referrals-003.csv.gz", "generate.json"] {
            #expect(FileManager.default.contents(atPath: dir + "/a/" + file) == FileManager.default.contents(atPath: dir + "/b/" + file), "\(file)")
        }
    }

    /// `run --help` gives the `--jobs` default once and lists every exit status the
    /// README's table lists for `sprx run` (0, 3, 4, 64, 65, 66, 70, 73, 75, 78; signals 128+n).
    @Test func runHelpListsExitStatusesAndOneJobsDefault() throws {
        let help = try sprx(["run", "--help"])
        #expect(help.status == 0)
        let jobs = try #require(help.stdout.components(separatedBy: "\n  --jobs <jobs>").dropFirst().first)
        let jobsHelp = jobs.components(separatedBy: "\n  --").first ?? ""
        #expect(jobsHelp.components(separatedBy: "default").count == 2, "\(jobsHelp)")
        let statuses = help.stdout.components(separatedBy: "Exit status:").dropFirst().first ?? ""
        for status in ["0", "3", "4", "64", "65", "66", "70", "73", "75", "78", "128+n"] {
            #expect(statuses.contains("\n  \(status) "), "exit status \(status) missing from run --help")
        }
        #expect(help.stdout.contains("--progress <mode>"))
    }
}
