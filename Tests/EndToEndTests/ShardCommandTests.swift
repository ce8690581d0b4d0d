import Foundation
import SPRXTestSupport
import Testing

/// `sprx run --partial` and `sprx merge` as a shell script or a scheduler calls them
/// (issue 29): statuses, what stderr names, and the usage errors.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ShardCommandTests {
    @Test func shardsMergeThroughTheBinaryAndRefusalsExitAsDocumented() throws {
        let dir = ScratchFolder.make("shard-commands")
        let pipeline = "\(packageRoot)/Pipelines/referral-equity.yaml"
        let inputs = ["referrals-001.csv.gz", "referrals-002.csv.gz"].map { "\(packageRoot)/SampleData/canonical/\($0)" }
        for (n, input) in inputs.enumerated() {
            let shard = try sprx(["run", "--pipeline", pipeline, "--input", input, "--partial", "\(dir)/shard-000\(n).sprxpart", "--jobs", "2"])
            #expect(shard.status == 0, "\(shard.stderr)")
            #expect(shard.stderr.contains("held for the merge (which finds repeats within and across shards)"))
        }
        let merged = try sprx(["merge", "--pipeline", pipeline, "--out", "\(dir)/out", dir])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stderr.contains("merged 2 shards, 3,000 rows read"), "\(merged.stderr)")
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/manifest.json"))) as? [String: Any])
        let shards = try #require(manifest["shards"] as? [[String: Any]])
        #expect(shards.map { $0["inputs"] as? [String] ?? [] } == inputs.map { [$0] })
        // Shards run in the inputs' own folder with relative paths, merged from another:
        // the merge reads a conflict's file again where its shard read it.
        let binary = try #require(sprxBinary)
        let canonical = "\(packageRoot)/SampleData/canonical"
        for n in 0..<2 {
            let shard = try runCaptured(
                binary, ["run", "--pipeline", pipeline, "--input", "referrals-00\(n + 1).csv.gz", "--partial", "\(dir)/relative-\(n).sprxpart", "--quiet"],
                in: canonical)
            #expect(shard.status == 0, "\(shard.stderr)")
        }
        let elsewhere = try runCaptured(
            binary, ["merge", "--pipeline", pipeline, "--out", "\(dir)/relative-out", "\(dir)/relative-0.sprxpart", "\(dir)/relative-1.sprxpart"], in: dir)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        for table in ["route_by_group.csv", "data_quality.csv", "pathway_by_group.csv"] {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: "\(dir)/relative-out/tables/\(table)"))
                    == Data(contentsOf: URL(fileURLWithPath: "\(dir)/out/tables/\(table)")),
                "\(table)")
        }
        // The same shard twice: 65, naming it.
        let repeated = try sprx(["merge", "--pipeline", pipeline, "--out", "\(dir)/out2", "\(dir)/shard-0000.sprxpart", "\(dir)/shard-0000.sprxpart"])
        #expect(repeated.status == 65 && repeated.stderr.contains("shard-0000.sprxpart") && repeated.stderr.contains("given twice"), "\(repeated.stderr)")
        // A partial of another format version: 78.
        var data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/shard-0001.sprxpart"))
        data[8] = 9
        try data.write(to: URL(fileURLWithPath: "\(dir)/future.sprxpart"))
        let future = try sprx(["merge", "--pipeline", pipeline, "--out", "\(dir)/out3", "\(dir)/future.sprxpart"])
        #expect(future.status == 78 && future.stderr.contains("future.sprxpart"), "\(future.stderr)")
        // Usage: --out and --partial together, neither, and publishing options on a shard.
        for arguments in [
            ["run", "--pipeline", pipeline, "--input", inputs[0], "--out", "\(dir)/o", "--partial", "\(dir)/p.sprxpart"],
            ["run", "--pipeline", pipeline, "--input", inputs[0]],
            ["run", "--pipeline", pipeline, "--input", inputs[0], "--partial", "\(dir)/p.sprxpart", "--no-disclosure-control"],
            ["merge", "--pipeline", pipeline, dir],
        ] {
            let result = try sprx(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
        // A partial is never written over a file sprx did not make.
        try Data("not a partial\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/notes.txt"))
        let over = try sprx(["run", "--pipeline", pipeline, "--input", inputs[0], "--partial", "\(dir)/notes.txt"])
        #expect(over.status == 73, "\(over.stderr)")
        #expect(try String(contentsOfFile: "\(dir)/notes.txt", encoding: .utf8) == "not a partial\n")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") && !$0.hasSuffix(".lock") }.isEmpty, "work files left behind")
    }
}
