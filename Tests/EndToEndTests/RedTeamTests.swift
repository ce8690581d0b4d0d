import Foundation
import SPRXTestSupport
import Testing

/// What the red-team pass on the integrated build found (issue 14), one test per
/// finding: each failed before its fix. Extracts and pipelines are built here; expected
/// outcomes are the documented exit statuses and messages.
@Suite(.timeLimit(.minutes(10))) struct RedTeamTests {
    /// The default pipeline with `replace` applied (``pipelineVariant(in:_:name:)``).
    func pipeline(_ dir: String, _ replace: [(String, String)]) throws -> String {
        try pipelineVariant(in: dir, replace)
    }

    /// A stray quote in the free-text column of row 11 (line 12) turns every later line
    /// into one field: once as a row under the row limit (5,000 lines), once over it
    /// (30,000 lines). Before: exit 0 with about 4,990 (or 29,990) referrals silently
    /// gone. Now: 65 naming line 12, the previous output untouched.
    @Test(arguments: [5_000, 30_000])
    func aStrayQuoteFailsTheFileInsteadOfSwallowingIt(lines: Int) throws {
        let dir = scratch()
        _ = try copyPreviousOutput(to: dir + "/out")
        let before = outputTreeFingerprint(dir + "/out")
        var rows = (1...lines).map { row($0) }
        rows[10] += "\"said ok"
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/stray.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/stray.csv", "--out", dir + "/out"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("stray.csv: line 12:") && result.stderr.contains("not closed"), "\(result.stderr)")
        #expect(outputTreeFingerprint(dir + "/out") == before)
        // A quote left open in the last row only (a truncated file) is still one quarantined row.
        var truncated = (1...30).map { row($0) }
        truncated[29] += "\"notes cut off\nhalf a line"
        try (header + "\n" + truncated.joined(separator: "\n") + "\n").write(toFile: dir + "/cut.csv", atomically: true, encoding: .utf8)
        let cut = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/cut.csv", "--out", dir + "/out2", "--quiet"])
        #expect(cut.status == 0, "\(cut.stderr)")
    }

    /// Pipelines that used to crash or publish nonsense are invalid (78): brackets nested
    /// 10,000 deep (the YAML parser's recursion overflowed the stack, 139), a
    /// suppress_up_to of Int64.max (overflow, 132), a round_to that rounds published
    /// counts to 0, and one header claimed by two fields (`age: [contacts]`).
    @Test func pipelinesThatCrashedOrMisledAreInvalid() throws {
        let dir = scratch()
        try (header + "\n" + body(20)).write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        try ("version: 1\nname: deep\na: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n")
            .write(toFile: dir + "/deep.yaml", atomically: true, encoding: .utf8)
        let cases: [(String, String)] = [
            (dir + "/deep.yaml", "nested"),
            (try pipeline(dir, [("suppress_up_to: 7", "suppress_up_to: 9223372036854775807")]), "suppress_up_to"),
            (try pipeline(dir, [("round_to: 5 ", "round_to: 50 ")]), "rounds to 0"),
            (try pipeline(dir, [("age: [age]", "age: [contacts]")]), "one field only"),
            (try pipeline(dir, [("name: referral-equity", "name: \"x\\u001B[31m\"")]), "control"),
        ]
        for (path, mentions) in cases {
            let result = try sprx(["run", "--pipeline", path, "--input", dir + "/a.csv", "--out", dir + "/out"])
            #expect(result.status == 78 && result.stderr.contains(mentions), "\(mentions): \(result.status) \(result.stderr)")
        }
    }

    /// A file without a header (or with a title line above it) is not echoed: its first
    /// line is data, so the message describes it instead of listing its cells.
    @Test func aHeaderlessFileIsNotEchoed() throws {
        let dir = scratch()
        let rows = (1...5).map { row($0, notes: "SECRETNOTE") }.joined(separator: "\n") + "\n"
        try rows.write(toFile: dir + "/nohdr.csv", atomically: true, encoding: .utf8)
        try ("Export for Jane SECRETUSER\n" + header + "\n" + body(5)).write(toFile: dir + "/title.csv", atomically: true, encoding: .utf8)
        for file in ["nohdr.csv", "title.csv"] {
            let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/" + file, "--out", dir + "/out"])
            #expect(result.status == 65, "\(result.stderr)")
            #expect(result.stderr.contains("matches none of the pipeline's column names"), "\(result.stderr)")
            #expect(!result.stderr.contains("SECRET") && !result.stderr.contains("'R1'"), "\(result.stderr)")
        }
    }

    /// Absurd numbers for the other commands are usage errors, not crashes (generate's
    /// `--rows Int64.max` trapped with 132) or silent passes (validate with an infinite
    /// tolerance passed any difference).
    @Test func absurdNumbersForGenerateAndValidate() throws {
        let dir = scratch()
        #expect(try sprx(["generate", "--rows", "9223372036854775807", "--out", dir + "/gen"]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: dir + "/gen"))
        for option in [["--absolute-tolerance", "inf"], ["--relative-tolerance", "nan"], ["--absolute-tolerance", "-1"]] {
            let result = try sprx(
                ["validate", "--expected", "SampleData/expected/referral-equity", "--actual", "SampleData/expected/referral-equity"] + option)
            #expect(result.status == 64, "\(option)")
        }
    }

    /// `sprx validate` prints a differing cell escaped: an escape sequence planted in a
    /// table does not reach the terminal raw.
    @Test func validatePrintsCellsEscaped() throws {
        let dir = scratch()
        try FileManager.default.copyItem(atPath: packageRoot + "/SampleData/expected/referral-equity", toPath: dir + "/actual")
        let table = dir + "/actual/tables/route_type_by_group.csv"
        let text = try String(contentsOfFile: table, encoding: .utf8)
        try text.replacingOccurrences(of: "all,all,medical,", with: "all,all,med\u{1B}[31mical,").write(toFile: table, atomically: true, encoding: .utf8)
        let result = try sprx(["validate", "--expected", "SampleData/expected/referral-equity", "--actual", dir + "/actual"])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("\u{1B}") && result.stdout.contains("\\u{1B}[31mical"), "\(result.stdout)")
    }

    /// What a new-user trial found: a semicolon-delimited export is told about commas;
    /// an upper-case `.CSV` in a folder is read (and macOS `._` files are not).
    @Test func newUserExportsGetUsefulAnswers() throws {
        let dir = scratch()
        let semicolons = (header + "\n" + body(5)).replacingOccurrences(of: ",", with: ";")
        try semicolons.write(toFile: dir + "/semi.csv", atomically: true, encoding: .utf8)
        let semi = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/semi.csv", "--out", dir + "/out"])
        #expect(semi.status == 65 && semi.stderr.contains("semicolons but no comma"), "\(semi.stderr)")
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try (header + "\n" + body(12)).write(toFile: dir + "/in/EXPORT.CSV", atomically: true, encoding: .utf8)
        try Data([0, 5, 22, 7, 0, 2]).write(to: URL(fileURLWithPath: dir + "/in/._EXPORT.CSV"))
        let upper = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/in", "--out", dir + "/out", "--quiet"])
        #expect(upper.status == 0, "\(upper.stderr)")
        let manifest = try String(contentsOfFile: dir + "/out/manifest.json", encoding: .utf8)
        #expect(manifest.contains("EXPORT.CSV") && !manifest.contains("._EXPORT"))
    }

    /// A stop says so, and leaves no stale-lock note for the next run.
    @Test func aStopIsAnnouncedAndLeavesNoStaleLock() throws {
        let dir = scratch()
        let out = dir + "/out"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sprxBinary!)
        process.arguments = ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", FaultTests.bigInput, "--out", out, "--jobs", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var staged = false
        for _ in 0..<1000 where !staged {
            staged = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasPrefix(".out.partial-") }
            if !staged { usleep(5_000) }
        }
        kill(process.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == SIGINT && stderr.contains("stopped by SIGINT"), "\(stderr)")
        let next = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", out])
        #expect(next.status == 0 && !next.stderr.contains("stale lock"), "\(next.stderr)")
    }

    /// Second red-team pass: overlapping extracts (the same 100 referrals in two files,
    /// 40 with an unmapped sex) count each unmapped label once, as the referrals are
    /// counted once: 40 of 100, not 80 (which failed the 50% gate on clean data).
    @Test func overlappingExtractsCountUnmappedLabelsOnce() throws {
        let dir = scratch()
        var rows = (1...100).map { row($0) }
        for i in 60..<100 { rows[i] = rows[i].replacingOccurrences(of: ",F,White,", with: ",Zork,White,") }
        let text = header + "\n" + rows.joined(separator: "\n") + "\n"
        try text.write(toFile: dir + "/jan.csv", atomically: true, encoding: .utf8)
        try text.write(toFile: dir + "/jan-feb.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/jan.csv", dir + "/jan-feb.csv", "--out", dir + "/out"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("sprx: sex: 40.0% unknown, 40.0% unmapped"), "\(result.stderr)")
        let quality = try String(contentsOfFile: dir + "/out/tables/data_quality.csv", encoding: .utf8)
        #expect(quality.contains("all,unmapped:sex,40\n") && quality.contains("jan-feb.csv,unmapped:sex,0\n"), "\(quality)")
        #expect(try String(contentsOfFile: dir + "/out/tables/unmapped_labels.csv", encoding: .utf8).contains("sex,zork,40,"))
    }

    /// A stray quote with fewer than 100 lines left still fails the file when the lines
    /// after it are shaped like rows (39 referrals would have been lost, exit 0).
    @Test func aStrayQuoteNearTheEndFailsToo() throws {
        let dir = scratch()
        var rows = (1...60).map { row($0) }
        rows[20] += "\"stray"
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/late.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/late.csv", "--out", dir + "/out"])
        #expect(result.status == 65 && result.stderr.contains("late.csv: line 22:"), "\(result.stderr)")
    }

    /// An `--out` inside a previous output (its quarantine folder) is refused: the run
    /// would add to that output and spoil it. A mount point is refused where one can be
    /// made (root with tmpfs): the swap cannot rename it and would stage on the parent.
    @Test func outputsInsideOutputsAndMountPointsAreRefused() throws {
        let dir = scratch()
        _ = try copyPreviousOutput(to: dir + "/out")
        let before = outputTreeFingerprint(dir + "/out")
        let nested = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/out/quarantine/nested",
        ])
        #expect(nested.status == 64 && nested.stderr.contains("inside a previous sprx output"), "\(nested.stderr)")
        #expect(outputTreeFingerprint(dir + "/out") == before)
        try FileManager.default.createDirectory(atPath: dir + "/mnt", withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir + "/mnt"]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return }
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { return }  // not permitted here
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [dir + "/mnt"]
            try? umount.run()
            umount.waitUntilExit()
        }
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/mnt"])
        #expect(result.status == 64 && result.stderr.contains("mount point"), "\(result.stderr)")
    }

    /// `sprx validate` whose report cannot be written (stdout on a full device) fails
    /// with 73 instead of passing with nothing written.
    @Test func validateFailsWhenItsReportCannotBeWritten() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let result = try sprxInShell(
            "exec \"$1\" validate --expected SampleData/expected/referral-equity --actual SampleData/expected/referral-equity --json > /dev/full",
            in: packageRoot)
        #expect(result.status == 73, "\(result.stderr)")
    }
}
