import Foundation
import SPRXTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every file and folder under `root` (not following links) with its kind, mode and
/// content hash: a fingerprint that changes if anything in the tree was touched.
func outputTreeFingerprint(_ root: String) -> [String: String] {
    var result: [String: String] = [:]
    let fm = FileManager.default
    guard let enumerator = fm.enumerator(atPath: root) else { return result }
    while let relative = enumerator.nextObject() as? String {
        let path = root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        let kind = info.st_mode & S_IFMT
        var entry = "mode \(String(info.st_mode & 0o7777, radix: 8)) kind \(kind)"
        if kind == S_IFREG, let data = fm.contents(atPath: path) {
            entry += " bytes \(data.count) hash \(data.hashValue)"
        } else if kind == S_IFLNK, let destination = try? fm.destinationOfSymbolicLink(atPath: path) {
            entry += " -> \(destination)"
        }
        result[relative] = entry
    }
    return result
}

/// Runs the built binary in `directory` through `/bin/sh -c`, so a test can close
/// descriptors (`2>&-`) or set limits; returns status, stdout, stderr.
func sprxInShell(_ script: String, in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
    try runCaptured("/bin/sh", ["-c", script, "sh", sprxBinary!], in: directory)
}

/// A hostile user's `--out` (issue 14, "Data loss" and "Leaks"): the output target is
/// only ever sprx's. Each case is built here, runs the binary and checks the exit status,
/// the message, and that nothing in the working folder was changed (fingerprint of
/// every file: kind, mode, bytes, content hash).
@Suite(.serialized, .timeLimit(.minutes(10))) struct HostileOutputTests {
    /// A working folder: `in/` with a small extract, the pipeline and its reference
    /// folder copied beside it, a README and an `other/` folder with a file.
    func workspace() throws -> String {
        let dir = scratch()
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try (header + "\n" + body(30)).write(toFile: dir + "/in/a.csv", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir + "/pipelines", withIntermediateDirectories: true)
        let pipeline = try String(contentsOfFile: packageRoot + "/Pipelines/referral-equity.yaml", encoding: .utf8)
            .replacingOccurrences(of: "reference_dir: ../SampleData/reference", with: "reference_dir: ../reference")
            .replacingOccurrences(of: "file: ../SampleData/organisations/", with: "file: \(packageRoot)/SampleData/organisations/")
        try pipeline.write(toFile: dir + "/pipelines/p.yaml", atomically: true, encoding: .utf8)
        try fm.copyItem(atPath: packageRoot + "/SampleData/reference", toPath: dir + "/reference")
        try "# notes\n".write(toFile: dir + "/README.md", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir + "/other", withIntermediateDirectories: true)
        try "keep me\n".write(toFile: dir + "/other/keep.txt", atomically: true, encoding: .utf8)
        return dir
    }

    func run(_ dir: String, out: String, input: String = "in", extra: String = "") throws -> (status: Int32, stdout: String, stderr: String) {
        try sprxInShell("exec \"$1\" run --pipeline pipelines/p.yaml --input \(input) --out '\(out)' --jobs 2 \(extra)", in: dir)
    }

    /// Targets that are not sprx's: each refused with 64 before any work, tree untouched.
    @Test(arguments: [
        ("in", "it is an input"),
        ("in/a.csv", "it is an input"),
        (".", "current folder"),
        ("..", "holds the current folder"),
        ("README.md", "not a folder"),
        ("other", "did not make"),
        ("pipelines", "holds a file the run reads"),
        ("pipelines/p.yaml", "file the run reads"),
        ("reference", "file the run reads"),
        ("/", "filesystem root"),
        ("./in/../in", "it is an input"),
    ])
    func refusedTargetsAreLeftExactlyAsTheyWere(target: String, mentions: String) throws {
        let dir = try workspace()
        let before = outputTreeFingerprint(dir)
        let result = try run(dir, out: target)
        #expect(result.status == 64, "\(target): \(result.stderr)")
        #expect(result.stderr.contains("refusing --out") && result.stderr.contains(mentions), "\(target): \(result.stderr)")
        #expect(outputTreeFingerprint(dir) == before, "\(target): nothing in the working folder changed")
    }

    /// A previous sprx output is replaced; one the user has put other files into is not.
    @Test func aPreviousOutputIsReplacedButNotOneWithForeignFiles() throws {
        let dir = try workspace()
        #expect(try run(dir, out: "out").status == 0)
        #expect(try run(dir, out: "out").status == 0, "a previous sprx output is sprx's to replace")
        try "mine".write(toFile: dir + "/out/my-notes.txt", atomically: true, encoding: .utf8)
        let before = outputTreeFingerprint(dir)
        let result = try run(dir, out: "out")
        #expect(result.status == 64 && result.stderr.contains("my-notes.txt"), "\(result.stderr)")
        #expect(outputTreeFingerprint(dir) == before)
        // A folder with a manifest.json that sprx did not write is not an output.
        try FileManager.default.createDirectory(atPath: dir + "/fake", withIntermediateDirectories: true)
        try "{\"tool\": {\"name\": \"other\"}}".write(toFile: dir + "/fake/manifest.json", atomically: true, encoding: .utf8)
        #expect(try run(dir, out: "fake").status == 64)
        // A new folder inside an input folder is fine (only top-level *.csv files are read).
        #expect(try run(dir, out: "in/new").status == 0)
        // An empty folder (made by `mkdir -p` in a cron script) is fine.
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        #expect(try run(dir, out: "empty").status == 0)
    }

    /// A file of a previous output edited since sprx wrote it (its sha256 no longer the
    /// manifest's) is the user's work: the output is not replaced (64, naming it) and
    /// nothing changes; restored, the output is replaced again. (The hostile-input hunt's
    /// edited report.md was overwritten without a word.)
    @Test func aPreviousOutputWithAnEditedFileIsNotReplaced() throws {
        let dir = try workspace()
        #expect(try run(dir, out: "out").status == 0)
        let report = dir + "/out/report.md"
        let original = try String(contentsOfFile: report, encoding: .utf8)
        try (original + "\nMy notes for the board.\n").write(toFile: report, atomically: true, encoding: .utf8)
        let before = outputTreeFingerprint(dir)
        let result = try run(dir, out: "out")
        #expect(result.status == 64 && result.stderr.contains("report.md") && result.stderr.contains("changed since sprx wrote it"), "\(result.stderr)")
        #expect(outputTreeFingerprint(dir) == before, "nothing replaced")
        try original.write(toFile: report, atomically: true, encoding: .utf8)
        #expect(try run(dir, out: "out").status == 0, "as sprx wrote it, it is sprx's to replace")
    }

    /// A symbolic link as `--out` is followed: the folder it points to is replaced, the
    /// link stays a link, and a 0700 folder stays 0700.
    @Test func aSymlinkedTargetIsFollowedAndItsModeKept() throws {
        let dir = try workspace()
        try FileManager.default.createDirectory(atPath: dir + "/secure", withIntermediateDirectories: true)
        #expect(try run(dir, out: "secure/out").status == 0)
        #expect(chmod(dir + "/secure/out", 0o700) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir + "/latest", withDestinationPath: "secure/out")
        let result = try run(dir, out: "latest")
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/latest")) == "secure/out", "the link is still a link")
        var info = stat()
        #expect(stat(dir + "/secure/out", &info) == 0 && info.st_mode & 0o777 == 0o700, "the replaced folder keeps its mode")
        #expect(isCompleteOutput(dir + "/secure/out"))
        // A link to nothing is refused.
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "nowhere/at/all")
        #expect(try run(dir, out: "dangling").status == 64)
    }

    /// A lock file planted as a symbolic link is refused, never followed: the file it
    /// points to keeps its bytes and is not printed. A lock file holding what no sprx run
    /// writes (a user's file at that name) is refused, kept and never echoed; a stale
    /// sprx lock is taken over.
    @Test func theLockFileIsNeverFollowedNorEchoed() throws {
        let dir = try workspace()
        try "SECRET-FIRST-LINE\nsecond\n".write(toFile: dir + "/other/victim.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/.out.lock", withDestinationPath: "other/victim.txt")
        let result = try run(dir, out: "out")
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("symbolic link"))
        #expect(!result.stderr.contains("SECRET"))
        #expect(try String(contentsOfFile: dir + "/other/victim.txt", encoding: .utf8) == "SECRET-FIRST-LINE\nsecond\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))

        try "SECRET-IN-LOCK pid 1".write(toFile: dir + "/.out2.lock", atomically: true, encoding: .utf8)
        let foreign = try run(dir, out: "out2")
        #expect(foreign.status == 73, "\(foreign.stderr)")
        #expect(foreign.stderr.contains("not a sprx lock") && !foreign.stderr.contains("SECRET"), "\(foreign.stderr)")
        #expect(try String(contentsOfFile: dir + "/.out2.lock", encoding: .utf8) == "SECRET-IN-LOCK pid 1", "kept as it was")

        try "pid 999999 started 2026-01-01T00:00:00Z".write(toFile: dir + "/.out3.lock", atomically: true, encoding: .utf8)
        #expect(chmod(dir + "/.out3.lock", 0o644) == 0)
        let stale = try run(dir, out: "out3")
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(stale.stderr.contains("stale lock"), "\(stale.stderr)")
        var info = stat()
        #expect(stat(dir + "/.out3.lock", &info) == 0 && info.st_mode & 0o777 == 0o600, "the lock is owner-only")
    }

    /// SIGTERM, SIGINT and SIGHUP end the run by that signal, remove its staging folder
    /// and leave the previous output exactly as it was.
    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func signalsCleanUpAndLeaveThePreviousOutput(signal number: Int32) throws {
        let dir = scratch()
        let out = dir + "/out"
        _ = try copyPreviousOutput(to: out)
        let before = outputTreeFingerprint(out)
        let process = try startSprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", FaultTests.bigInput, "--out", out, "--jobs", "2"])
        // Wait until the run has its staging folder, then signal it (up to a minute: a
        // debug build on a loaded machine takes seconds to load the reference lookups).
        var staged = false
        for _ in 0..<12_000 where !staged && process.isRunning {
            staged = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix(".out.partial-") }
            if !staged { usleep(5_000) }
        }
        #expect(staged, "the run started writing")
        kill(process.processIdentifier, number)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == number, "ended by the signal")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial-") || $0.contains(".old-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(outputTreeFingerprint(out) == before, "the previous output is untouched")
    }

    /// With stderr closed (`2>&-`) and no `--quiet`, the run succeeds and no output file
    /// receives the messages meant for stderr; with stdout and stderr closed `validate` too.
    @Test func closedStandardErrorIsNotACrash() throws {
        let dir = try workspace()
        let result = try run(dir, out: "out", extra: "2>&-")
        #expect(result.status == 0, "exit \(result.status)")
        #expect(isCompleteOutput(dir + "/out"))
        for file in ["tables/route_type_by_group.csv", "report.md", "manifest.json"] {
            let text = try String(contentsOfFile: dir + "/out/" + file, encoding: .utf8)
            #expect(!text.contains("rows read:"), "\(file) received stderr's messages")
        }
        let closedBoth = try sprxInShell(
            "exec \"$1\" validate --expected out --actual out >&- 2>&-", in: dir)
        #expect(closedBoth.status == 0)
        let failing = try run(dir, out: "README.md", extra: "2>&-")
        #expect(failing.status == 64)
    }

    /// `--jobs` and the hidden block size are bounded: a huge value is a usage error (64),
    /// never a crash.
    @Test(arguments: ["--jobs 9223372036854775807", "--jobs 0", "--jobs -3", "--block-size 0", "--block-size 9223372036854775807"])
    func absurdNumbersOnTheCommandLineAreUsageErrors(option: String) throws {
        let dir = try workspace()
        let result = try run(dir, out: "out", extra: option)
        #expect(result.status == 64, "\(option): \(result.status) \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// File names are printed escaped: a name with an escape sequence and a newline
    /// cannot colour the terminal or forge a second message line.
    @Test func fileNamesAreEscapedOnStandardError() throws {
        let dir = try workspace()
        let hostile = "in/x\u{1B}[31mred\nsprx: all good.csv"
        try Data().write(to: URL(fileURLWithPath: dir + "/" + hostile))
        let result = try run(dir, out: "out")
        #expect(result.status == 65, "\(result.stderr)")
        #expect(!result.stderr.contains("\u{1B}"), "no raw escape character")
        #expect(!result.stderr.contains("\nsprx: all good"), "no forged line")
        #expect(result.stderr.contains("\\u{1B}[31mred\\u{A}sprx: all good.csv"), "\(result.stderr)")
    }

    /// `sprx generate` never overwrites files it did not make: a real extract folder
    /// whose file names happen to match is refused, a previous generate's folder is not.
    @Test func generateRefusesAFolderItDidNotMake() throws {
        let dir = try workspace()
        try "real extract".write(toFile: dir + "/in/referrals-001.csv.gz", atomically: true, encoding: .utf8)
        let before = outputTreeFingerprint(dir)
        let refused = try sprxInShell("exec \"$1\" generate --rows 10 --out in", in: dir)
        #expect(refused.status == 64 && refused.stderr.contains("refusing --out"), "\(refused.stderr)")
        let onFile = try sprxInShell("exec \"$1\" generate --rows 10 --out README.md", in: dir)
        #expect(onFile.status == 64)
        #expect(outputTreeFingerprint(dir) == before)
        #expect(try sprxInShell("exec \"$1\" generate --rows 10 --reference-dir reference --out gen", in: dir).status == 0)
        #expect(try sprxInShell("exec \"$1\" generate --rows 10 --reference-dir reference --out gen", in: dir).status == 0, "its own folder is regenerated")
    }

    /// A lock file planted as a hard link to another file is refused (73), the file keeps
    /// its bytes and mode (found by the red-team pass: O_NOFOLLOW stops only symlinks).
    @Test func aHardLinkedLockIsRefused() throws {
        let dir = try workspace()
        try "precious\n".write(toFile: dir + "/other/precious.txt", atomically: true, encoding: .utf8)
        #expect(chmod(dir + "/other/precious.txt", 0o644) == 0)
        #expect(link(dir + "/other/precious.txt", dir + "/.out.lock") == 0)
        let result = try run(dir, out: "out")
        #expect(result.status == 73 && result.stderr.contains("hard links"), "\(result.stderr)")
        #expect(try String(contentsOfFile: dir + "/other/precious.txt", encoding: .utf8) == "precious\n")
        var info = stat()
        #expect(stat(dir + "/other/precious.txt", &info) == 0 && info.st_mode & 0o777 == 0o644)
    }

    /// Names that look like sprx's leftovers are touched only when they are: a user's
    /// `.out.old-backup` and `.out.partial-mywork` are left alone, a dead run's staging
    /// folder holding a file sprx does not write is left alone, a folder at a dead pid's
    /// staging name without sprx's marker (a user's) is left alone, and a dead run's real
    /// staging folder (pid 999999: its marker and tables only) is removed.
    @Test func onlyRealLeftoversOfDeadRunsAreCleanedUp() throws {
        let dir = try workspace()
        let fm = FileManager.default
        for folder in [".out.old-backup", ".out.partial-mywork", ".out.partial-999998"] {
            try fm.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true)
            try "user file".write(toFile: dir + "/" + folder + "/notes.txt", atomically: true, encoding: .utf8)
        }
        try fm.createDirectory(atPath: dir + "/.out.partial-999997/tables", withIntermediateDirectories: true)
        // A previous output left at a staging name by a kill after the swap (unmarked): sprx's, removed.
        #expect(try run(dir, out: "prev").status == 0)
        try fm.moveItem(atPath: dir + "/prev", toPath: dir + "/.out.partial-999996")
        try fm.createDirectory(atPath: dir + "/.out.partial-999999/tables", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: dir + "/.out.partial-999999/.sprx-staging"))
        let before = outputTreeFingerprint(dir).filter { !$0.key.hasPrefix(".out.partial-999999") && !$0.key.hasPrefix(".out.partial-999996") }
        let result = try run(dir, out: "out")
        #expect(result.status == 0, "\(result.stderr)")
        let after = outputTreeFingerprint(dir).filter { !$0.key.hasPrefix("out") && !$0.key.hasPrefix(".out.lock") }
        #expect(after == before.filter { !$0.key.hasPrefix(".out.lock") }, "the user's folders are untouched")
        #expect(!fm.fileExists(atPath: dir + "/.out.partial-999999"), "a dead run's staging folder is removed")
        #expect(!fm.fileExists(atPath: dir + "/.out.partial-999996"), "a replaced output a killed run left is removed")
    }

    /// A previous output is replaceable only if every file in it is one its manifest
    /// lists: a file put into `tables/` or `quarantine/`, or a forged manifest beside
    /// other files, is refused and kept.
    @Test func filesNestedInAPreviousOutputAreNeverDeleted() throws {
        let dir = try workspace()
        #expect(try run(dir, out: "out").status == 0)
        try "mine".write(toFile: dir + "/out/tables/my_analysis.xlsx", atomically: true, encoding: .utf8)
        var result = try run(dir, out: "out")
        #expect(result.status == 64 && result.stderr.contains("tables/my_analysis.xlsx"), "\(result.stderr)")
        try FileManager.default.removeItem(atPath: dir + "/out/tables/my_analysis.xlsx")
        try FileManager.default.createDirectory(atPath: dir + "/out/quarantine/reviewed", withIntermediateDirectories: true)
        result = try run(dir, out: "out")
        #expect(result.status == 64 && result.stderr.contains("quarantine/reviewed"), "\(result.stderr)")
        try FileManager.default.createDirectory(atPath: dir + "/forged/tables", withIntermediateDirectories: true)
        try "{\"tool\": {\"name\": \"sprx\"}}".write(toFile: dir + "/forged/manifest.json", atomically: true, encoding: .utf8)
        try "thesis".write(toFile: dir + "/forged/tables/thesis.docx", atomically: true, encoding: .utf8)
        let before = outputTreeFingerprint(dir + "/forged")
        #expect(try run(dir, out: "forged").status == 64)
        #expect(outputTreeFingerprint(dir + "/forged") == before)
    }

    /// The target is checked again just before the swap: a folder created at `--out`
    /// while the run was working is not replaced (73), and the user's file survives.
    @Test func aTargetCreatedDuringTheRunIsNotReplaced() throws {
        let dir = scratch()
        let out = dir + "/out"
        let process = try startSprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", FaultTests.bigInput, "--out", out, "--jobs", "1"])
        var staged = false
        for _ in 0..<12_000 where !staged && process.isRunning {
            staged = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix(".out.partial-") }
            if !staged { usleep(5_000) }
        }
        #expect(staged, "the run started writing")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "someone else's".write(toFile: out + "/user.txt", atomically: true, encoding: .utf8)
        process.waitUntilExit()
        #expect(process.terminationStatus == 73, "refused at the swap")
        #expect(try String(contentsOfFile: out + "/user.txt", encoding: .utf8) == "someone else's")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial-") }.isEmpty)
    }

    /// A replaced output keeps its group as well as its mode (a team's 2770 folder).
    @Test func aReplacedOutputKeepsItsGroup() throws {
        let dir = try workspace()
        #expect(try run(dir, out: "out").status == 0)
        let group: gid_t = getgid() == 8 ? 12 : 8  // any group other than ours (root may give it)
        guard chown(dir + "/out", uid_t.max, group) == 0, chmod(dir + "/out", 0o2770) == 0 else { return }  // not permitted here
        #expect(try run(dir, out: "out").status == 0)
        var info = stat()
        #expect(stat(dir + "/out", &info) == 0 && info.st_gid == group && info.st_mode & 0o7777 == 0o2770)
    }

    /// Control characters in a common label are published escaped (`\u{1B}`), never as
    /// raw bytes, in the tables and both reports.
    @Test func controlCharactersInLabelsArePublishedEscaped() throws {
        let dir = try workspace()
        let rows = (101...112).map { row($0).replacingOccurrences(of: ",GP,", with: ",gp\u{1B}[31mred\u{202E}x,") }
        try (header + "\n" + body(40) + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/in/b.csv", atomically: true, encoding: .utf8)
        let result = try run(dir, out: "out")
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["tables/unmapped_labels.csv", "report.html", "report.md"] {
            let text = try String(contentsOfFile: dir + "/out/" + file, encoding: .utf8)
            #expect(!text.contains("\u{1B}") && !text.contains("\u{202E}"), "\(file) holds a raw control character")
        }
        #expect(try String(contentsOfFile: dir + "/out/tables/unmapped_labels.csv", encoding: .utf8).contains("\\u{1B}[31mred"))
    }

    /// The report shows a label as read, not as the CSV encodes it: `a,"b"` (seen 9
    /// times, published) appears unquoted, never as `"a,""b"""`.
    @Test func theReportShowsLabelsNotTheirCSVEncoding() throws {
        let dir = try workspace()
        let rows = (101...109).map { row($0).replacingOccurrences(of: ",GP,", with: ",\"weird, \"\"source\"\"\",") }
        try (header + "\n" + body(40) + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/in/b.csv", atomically: true, encoding: .utf8)
        let result = try run(dir, out: "out")
        #expect(result.status == 0, "\(result.stderr)")
        let csv = try String(contentsOfFile: dir + "/out/tables/unmapped_labels.csv", encoding: .utf8)
        #expect(csv.contains("\"weird, \"\"source\"\"\""), "the table quotes it (RFC 4180)")
        for file in ["report.md", "report.html"] {
            let text = try String(contentsOfFile: dir + "/out/" + file, encoding: .utf8)
            #expect(!text.contains("\"\"source\"\""), "\(file) shows the CSV encoding")
        }
    }
}
