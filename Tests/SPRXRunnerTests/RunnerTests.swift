import Foundation
import SPRXCore
import SPRXGenerate
import Testing

@testable import SPRXRunner

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let defaultPipeline = "\(packageRoot)/Pipelines/referral-equity.yaml"

func temporaryDirectory(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sprx-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func tables(in dir: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/tables") {
        result[name] = try String(contentsOfFile: dir + "/tables/" + name, encoding: .utf8)
    }
    return result
}

struct GeneratedExpectation: Decodable {
    var rowsWritten: Int
    var expectedClean: Int
    var duplicates: Int
    var quarantined: [String: Int]
}

@Suite(.serialized) struct RunnerTests {
    /// The generator's own record of what it wrote is the independent expectation.
    @Test(arguments: [("canonical", "referral-equity.yaml"), ("casebook", "casebook-export.yaml")])
    func sampleDataReconcilesWithWhatWasWritten(folder: String, pipeline: String) throws {
        let out = temporaryDirectory("recon") + "/out"
        let summary = try Runner.run(
            RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/\(pipeline)", inputs: ["\(packageRoot)/SampleData/\(folder)"],
                outputDirectory: out, jobs: 2, quiet: true))
        let expected = try JSONDecoder().decode(
            GeneratedExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/\(folder)/generate.json")))
        #expect(summary.rowsRead == expected.rowsWritten)
        #expect(summary.clean == expected.expectedClean)
        #expect(summary.duplicate == expected.duplicates)
        var reasons: [String: Int] = [:]
        for file in summary.files {
            #expect(file.reconciles, "\(file.path)")
            for (k, v) in file.quarantineReasons { reasons[k, default: 0] += v }
        }
        #expect(reasons == expected.quarantined)
        #expect(Set(expected.quarantined.keys).count == 10, "the fixture holds every quarantine reason")
        // Quarantine holds patient rows: owner-only.
        let attributes = try FileManager.default.attributesOfItem(atPath: out + "/quarantine/rejected.csv.gz")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let totals = manifest["totals"] as! [String: Any]
        #expect(totals["reconciled"] as? Bool == true)
        // quarantine, five tables, models.csv, report.html, report.md
        #expect((manifest["outputs"] as! [[String: Any]]).count == 9)
        #expect((manifest["reference_files"] as! [[String: Any]]).count == 7)
    }

    @Test func tablesAreIdenticalForAnyJobsAndBlockSize() throws {
        let base = temporaryDirectory("jobs")
        var outputs: [[String: String]] = []
        for (jobs, block) in [(1, 1 << 20), (4, 4096), (2, 700), (8, 1)] {
            let out = "\(base)/out-\(jobs)-\(block)"
            try Runner.run(
                RunOptions(
                    pipelinePath: defaultPipeline, inputs: ["\(packageRoot)/SampleData/canonical"], outputDirectory: out, jobs: jobs,
                    quiet: true, blockSize: block))
            var published = try tables(in: out)
            for report in ["report.html", "report.md"] { published[report] = try String(contentsOfFile: out + "/" + report, encoding: .utf8) }
            outputs.append(published)
            let quarantine = try Data(contentsOf: URL(fileURLWithPath: out + "/quarantine/rejected.csv.gz"))
            let first = try Data(contentsOf: URL(fileURLWithPath: "\(base)/out-1-\(1 << 20)/quarantine/rejected.csv.gz"))
            #expect(quarantine == first)
        }
        for other in outputs.dropFirst() { #expect(other == outputs[0]) }
        #expect(outputs[0].count == 8)  // five equity/quality tables, models.csv and both reports
    }

    @Test func failedRunLeavesPreviousOutputInPlace() throws {
        let base = temporaryDirectory("fail")
        let out = base + "/out"
        try Runner.run(RunOptions(pipelinePath: defaultPipeline, inputs: ["\(packageRoot)/SampleData/canonical"], outputDirectory: out, quiet: true))
        let before = try tables(in: out)
        // A truncated copy of a fixture.
        let good = try Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/canonical/referrals-001.csv.gz"))
        let bad = base + "/bad.csv.gz"
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: bad))
        let error = #expect(throws: SPRXError.self) {
            try Runner.run(RunOptions(pipelinePath: defaultPipeline, inputs: [bad], outputDirectory: out, quiet: true))
        }
        #expect(error?.code == .inputCorrupt && error?.location?.file == bad && error?.location?.byteOffset != nil)
        #expect(try tables(in: out) == before)
        // No staging folder is left; the (empty, unlocked) lock file stays, as flock files must.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == [".out.lock", "bad.csv.gz", "out"])
    }

    @Test func duplicatesAcrossFilesKeepTheFirst() throws {
        let base = temporaryDirectory("dups")
        // Every mapped column must be in the header (issue 14); the ones this test does not use are empty.
        let header = "referral_id,person_id,referral_date,referral_source,age,sex,ethnicity,area_code,referral_reasons,contacted,contacts,interventions,organisation_id\n"
        try (header + "A,P1,2021-01-01,GP,,,,,,,,,\nB,P2,2021-01-01,Self,,,,,,,,,\n").write(toFile: base + "/1.csv", atomically: true, encoding: .utf8)
        // A again (exact, with other spacing: duplicate), B with another route (conflict), C new.
        try (header + "A, P1 ,2021-01-01,GP,,,,,,,,,\nB,P2,2021-01-01,GP,,,,,,,,,\nC,P3,2021-01-02,School,,,,,,,,,\n").write(
            toFile: base + "/2.csv", atomically: true, encoding: .utf8)
        let summary = try Runner.run(
            RunOptions(pipelinePath: defaultPipeline, inputs: [base], outputDirectory: base + "/out", jobs: 3, disclosureControl: false, quiet: true))
        #expect(summary.files.map(\.clean) == [2, 1])
        #expect(summary.files.map(\.duplicate) == [0, 1])
        #expect(summary.files[1].quarantineReasons == ["conflicting_referral_id": 1])
        let routes = try String(contentsOfFile: base + "/out/tables/route_by_group.csv", encoding: .utf8)
        #expect(routes.contains("all,all,primary_care,1,3,"))
        #expect(routes.contains("all,all,self_referral,1,3,"))
        #expect(routes.contains("all,all,education,1,3,"))
        #expect(routes.contains(",FALSE,off\n"))
    }

    @Test func generatorIsDeterministic() throws {
        var bytes: [[Data]] = []
        for _ in 0..<2 {
            let out = temporaryDirectory("gen")
            var generator = try ReferralGenerator(
                options: GeneratorOptions(
                    rows: 500, seed: 99, files: 2, messy: true, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: out))
            _ = try generator.run()
            bytes.append(try ["referrals-001.csv.gz", "referrals-002.csv.gz"].map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) })
        }
        #expect(bytes[0] == bytes[1])
    }

    /// The acceptance check: 160,128 generated rows in four gzip files; the clean
    /// stage accounts for every row and its clean count equals what the generator wrote.
    @Test func fullSizeGeneratedDataSetReconciles() throws {
        let data = temporaryDirectory("160k")
        var generator = try ReferralGenerator(
            options: GeneratorOptions(
                rows: 160_128, seed: 2024, files: 4, messy: true, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: data))
        let written = try generator.run()
        let summary = try Runner.run(RunOptions(pipelinePath: defaultPipeline, inputs: [data], outputDirectory: data + "/out", quiet: true))
        #expect(summary.files.count == 4)
        #expect(summary.rowsRead == 160_128)
        #expect(summary.clean == written.expectedClean)
        #expect(summary.duplicate == written.duplicates)
        #expect(summary.files.allSatisfy { $0.reconciles })
        try? FileManager.default.removeItem(atPath: data)
    }
}
