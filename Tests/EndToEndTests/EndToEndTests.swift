import Foundation
import SPRXTestSupport
import Testing

/// The `sprx` binary under test: the one built beside this test bundle (so
/// `swift test --sanitize=address --build-path .build-asan` runs the sanitized binary),
/// else the ordinary debug or release build.
let sprxBinary: String? = {
    let bundleFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    let candidates = ["\(bundleFolder)/sprx", "\(packageRoot)/.build/debug/sprx", "\(packageRoot)/.build/release/sprx"]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// Runs `executable` with `arguments` in `directory`; its status, stdout and stderr.
func runCaptured(
    _ executable: String, _ arguments: [String], in directory: String = packageRoot, environment: [String: String]? = nil
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Runs the built `sprx` binary (built by `make test` before the suite).
func sprx(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    guard let binary = sprxBinary else {
        Issue.record("sprx binary not built; run `swift build --product sprx` first")
        return (-1, "", "")
    }
    return try runCaptured(binary, arguments)
}

/// Runs the built `sprx` under `/usr/bin/time -f %M`: its status, its stderr (without
/// time's line) and its peak resident memory in KB (`Int.max` when it could not be
/// read, so a memory bound fails rather than passing unmeasured).
func sprxMeasured(_ arguments: [String]) throws -> (status: Int32, stderr: String, peakKB: Int) {
    let binary = try #require(sprxBinary)
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = "enable=no"
    let result = try runCaptured("/usr/bin/time", ["-f", "%M", binary] + arguments, environment: environment)
    var lines = result.stderr.split(separator: "\n").map(String.init)
    let peak = lines.popLast().flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? Int.max
    // `time` exits with the child's status (128 + n for a child killed by signal n).
    return (result.status, lines.joined(separator: "\n"), peak)
}

/// The default pipeline's text with its reference folder made absolute (so a copy can
/// live in a scratch folder) and each (old, new) edit applied.
func pipelineText(_ edits: [(String, String)] = []) -> String {
    var yaml = (try? String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)) ?? ""
    yaml = yaml.replacingOccurrences(of: "reference_dir: ../SampleData/reference", with: "reference_dir: \(packageRoot)/SampleData/reference")
        .replacingOccurrences(of: "file: ../SampleData/organisations/", with: "file: \(packageRoot)/SampleData/organisations/")
    for (old, new) in edits { yaml = yaml.replacingOccurrences(of: old, with: new) }
    return yaml
}

/// Writes a variant of the default pipeline (``pipelineText(_:)``) into `dir` and
/// returns its path; every edit's `old` text must occur in the pipeline.
func pipelineVariant(in dir: String, _ edits: [(String, String)] = [], name: String = "pipeline-\(UUID().uuidString).yaml") throws -> String {
    let original = pipelineText()
    for (old, _) in edits { #expect(original.contains(old), "edit target '\(old)' not in the pipeline") }
    let path = dir + "/" + name
    try pipelineText(edits).write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A new scratch folder, removed with the test process's scratch root (``ScratchFolder``).
func scratch() -> String { ScratchFolder.make("sprx-e2e") }

/// A good sprx output, made once per test process (the default pipeline on 20 rows of
/// ``body(_:)``): the previous output that tests of failing runs copy, and must leave as
/// it was. One run instead of one per test: each run costs the reference lookups' load.
let previousOutputTemplate: (out: String, status: Int32, stderr: String) = {
    let dir = ScratchFolder.make("previous-output")
    let input = dir + "/previous.csv"
    try? (header + "\n" + body(20)).write(toFile: input, atomically: true, encoding: .utf8)
    let result = try? sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", input, "--out", dir + "/out", "--quiet"])
    return (dir + "/out", result?.status ?? -1, result?.stderr ?? "")
}()

/// Copies ``previousOutputTemplate`` to `out` (which must not exist) and returns its
/// manifest's bytes, to compare after a failed run.
func copyPreviousOutput(to out: String) throws -> Data {
    #expect(previousOutputTemplate.status == 0, "\(previousOutputTemplate.stderr)")
    try FileManager.default.copyItem(atPath: previousOutputTemplate.out, toPath: out)
    return try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
}

@Suite(.timeLimit(.minutes(10))) struct EndToEndTests {
    @Test func runWritesTheContractOutputs() throws {
        let out = scratch() + "/out"
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", out, "--jobs", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        for file in [
            "manifest.json", "tables/data_quality.csv", "tables/route_type_by_group.csv", "tables/route_by_group.csv",
            "tables/reasons_by_group.csv", "tables/pathway_by_group.csv", "tables/models.csv", "quarantine/rejected.csv.gz",
            "tables/unmapped_labels.csv", "quarantine/unmapped_labels.csv",
        ] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"), "\(file)")
        }
        #expect(result.stderr.contains("3,000 rows read"))
        // No raw patient values on stderr: no referral or person ids.
        #expect(!result.stderr.contains("R0000") && !result.stderr.contains("P0000"))
    }

    /// A model the data cannot support (every male referral non-medical: separation)
    /// is a warning naming the model and the reason, not a failed run: the tables are
    /// still right. The manifest records it.
    @Test func unfittableModelWarnsAndTheRunSucceeds() throws {
        let dir = scratch()
        var csv =
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,contacts,interventions,organisation_id,referral_reasons,contacted\n"
        for i in 0..<40 {
            let male = i % 2 == 0
            let source = male ? "Self-referral" : (i % 4 == 1 ? "GP" : "Charity")
            csv += "R\(i),P\(i),2024-03-0\(1 + i % 9),\(30 + i),\(male ? "M" : "F"),White,E01000001,\(source),\(i % 3),\(i % 2),U0000\(i % 3),,\n"
        }
        try csv.write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "warning: model route_nonmedical not fitted: separation: quasi-complete separation: every observation with sex = Male has outcome 1"))
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"status\" : \"failed\""))
        let models = try String(contentsOfFile: out + "/tables/models.csv", encoding: .utf8)
        #expect(!models.contains("route_nonmedical,"))
    }

    /// `sprx validate` exit statuses: 0 equal (even with other paths and --jobs), 1
    /// differ, 66 missing folder; `--json` is machine-readable.
    @Test func validateExitStatuses() throws {
        let out = scratch() + "/out"
        let run = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "\(packageRoot)/SampleData/canonical", "--out", out, "--jobs", "3", "--quiet",
        ])
        #expect(run.status == 0)
        let equal = try sprx(["validate", "--pipeline", "Pipelines/referral-equity.yaml", "--expected", "SampleData/expected/referral-equity", "--actual", out])
        #expect(equal.status == 0, "\(equal.stdout)")
        let json = try sprx(["validate", "--expected", "SampleData/expected/referral-equity", "--actual", out, "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(decoded?["equal"] as? Bool == true)
        try "file,rows_read\nx,1\n".write(toFile: out + "/tables/data_quality.csv", atomically: true, encoding: .utf8)
        let differ = try sprx(["validate", "--expected", "SampleData/expected/referral-equity", "--actual", out])
        #expect(differ.status == 1)
        #expect(differ.stdout.contains("--- expected/tables/data_quality.csv"))
        let missing = try sprx(["validate", "--expected", "SampleData/expected/referral-equity", "--actual", out + "-nope"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("output folder does not exist"))
    }

    /// The issue's acceptance case: one label mapping changed in the default pipeline
    /// (GP no longer maps to primary_care) fails validation against the committed
    /// expected outputs, naming the tables and cells it moved.
    @Test func changedLabelMappingFailsValidationNamingCells() throws {
        let dir = scratch()
        let pipeline = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
            .replacingOccurrences(of: "labels: [GP, General Practice,", with: "labels: [General Practice,")
            .replacingOccurrences(of: "reference_dir: ../SampleData/reference", with: "reference_dir: \(packageRoot)/SampleData/reference")
            .replacingOccurrences(of: "file: ../SampleData/organisations/", with: "file: \(packageRoot)/SampleData/organisations/")
        try pipeline.write(toFile: dir + "/changed.yaml", atomically: true, encoding: .utf8)
        let run = try sprx(["run", "--pipeline", dir + "/changed.yaml", "--input", "SampleData/canonical", "--out", dir + "/out", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try sprx(["validate", "--expected", "SampleData/expected/referral-equity", "--actual", dir + "/out"])
        #expect(result.status == 1)
        for table in ["route_by_group.csv", "route_type_by_group.csv", "pathway_by_group.csv", "data_quality.csv", "unmapped_labels.csv", "models.csv"] {
            #expect(result.stdout.contains("+++ actual/tables/\(table)"), "\(table)")
        }
        #expect(result.stdout.contains(" dimension=all group=all route=primary_care\n-  n: "))
        #expect(result.stdout.contains("+  row field=referral_source label=gp (not in expected)"))
        #expect(result.stdout.contains("pipeline.sha256"))
    }

    /// A file with a header and no rows: the run succeeds with empty tables, the report
    /// says there is nothing to report, and every model says why it was not fitted.
    @Test func headerOnlyFileGivesAnEmptyButHonestReport() throws {
        let dir = scratch()
        try
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id\n"
            .write(toFile: dir + "/empty.csv", atomically: true, encoding: .utf8)
        // By default a run with no clean rows fails its quality gate (exit 4) and publishes nothing.
        let gated = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/empty.csv", "--out", dir + "/out"])
        #expect(gated.status == 4 && gated.stderr.contains("quality gate min_clean_rows failed: 0 clean rows"), "\(gated.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        // A pipeline that allows it (min_clean_rows: 0) gets an empty but honest report.
        let allowEmpty = try pipelineVariant(in: dir, [("  min_clean_rows: 1", "  min_clean_rows: 0")])
        let result = try sprx(["run", "--pipeline", allowEmpty, "--input", dir + "/empty.csv", "--out", dir + "/out"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("sprx: headlines: no clean referrals"))
        #expect(result.stderr.contains("model contacts not fitted: no_observations"))
        let md = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        #expect(md.contains("No clean referrals: there is nothing to report."))
        #expect(md.contains("- Period covered: no clean referrals"))
    }

    @Test func invalidPipelineExits78WithKeyPath() throws {
        let dir = scratch()
        let text = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  suppress_up_to: 7", with: "  suppress_up_to: seven")
        try text.write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", dir + "/bad.yaml", "--input", "SampleData/canonical", "--out", dir + "/out"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("disclosure.suppress_up_to") && result.stderr.contains("whole number"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test func truncatedGzipExits65NamingFileAndOffset() throws {
        let dir = scratch()
        let good = try Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/canonical/referrals-002.csv.gz"))
        try good.prefix(1000).write(to: URL(fileURLWithPath: dir + "/cut.csv.gz"))
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/cut.csv.gz", "--out", dir + "/out"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("cut.csv.gz") && result.stderr.contains("byte 1000") && result.stderr.contains("truncated"))
    }

    @Test func missingInputAndMissingColumn() throws {
        let dir = scratch()
        let missing = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/nope", "--out", dir + "/out"])
        #expect(missing.status == 66)
        try "referral_id,person_id\n1,2\n".write(toFile: dir + "/x.csv", atomically: true, encoding: .utf8)
        let noDate = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/x.csv", "--out", dir + "/out"])
        #expect(noDate.status == 65)
        #expect(noDate.stderr.contains("x.csv: line 1: column 'referral_date'"))
        let usage = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/x.csv", "--out", dir + "/o", "--jobs", "0"])
        #expect(usage.status == 64)
    }

    @Test func generateIsByteStable() throws {
        let a = scratch(), b = scratch()
        for dir in [a, b] {
            let r = try sprx(["generate", "--rows", "300", "--seed", "5", "--files", "1", "--out", dir])
            #expect(r.status == 0)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/referrals-001.csv.gz")) == Data(contentsOf: URL(fileURLWithPath: b + "/referrals-001.csv.gz")))
    }
}
