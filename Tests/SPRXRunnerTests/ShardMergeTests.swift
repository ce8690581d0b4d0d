import Foundation
import SPRXAggregate
import SPRXCore
import SPRXGenerate
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXPublish
@testable import SPRXRunner

/// Shards counted into partial files and merged (issue 29).
///
/// The independent expectation is the single run over every shard's inputs in shard
/// order: a different path through the engine (its ledger keeps each candidate's trace
/// and raw row; a merge's has the shards' row records, takes duplicates out from them
/// and reads a file again for its conflicts' raw rows and repeats' unmapped labels). Every published file must be byte-identical but for the manifest's
/// run-specific fields; the repeats' counts per file are also checked by hand.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ShardMergeTests {
    static let header = RunnerTests.fullHeader

    /// Four inputs whose repeats cross every split tried below. By hand: file 2 repeats A
    /// exactly (duplicate) and B with another route (conflict); file 4 repeats C exactly
    /// (duplicate) and B as file 2 wrote it: still a conflict, as the first B is file 1's
    /// (a shard holding files 2 and 4 alone would call it a duplicate). File 3 is 400
    /// generated messy rows (quarantines, unmapped labels, their own repeats).
    static func inputs() throws -> (folder: String, files: [String]) {
        let folder = temporaryDirectory("shards")
        func r(_ id: String, source: String = "GP") -> String { RunnerTests.referral(id, source: source) }
        try (header + r("A") + r("B") + r("D", source: "Wizard")).write(toFile: folder + "/1.csv", atomically: true, encoding: .utf8)
        try (header + r("A") + r("B", source: "Self") + r("C") + r("E", source: "Wizard") + "F,PF,2024-13-45,40,F,White,E01000001,GP,Anxiety,Y,2,1,U00001\n")
            .write(toFile: folder + "/2.csv", atomically: true, encoding: .utf8)
        let generated = temporaryDirectory("shards-generated")
        var generator = try ReferralGenerator(
            options: GeneratorOptions(
                rows: 400, seed: 29, files: 1, messy: true, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: generated))
        _ = try generator.run()
        try FileManager.default.copyItem(atPath: generated + "/referrals-001.csv.gz", toPath: folder + "/3.csv.gz")
        try (header + r("C") + r("B", source: "Self") + r("G")).write(toFile: folder + "/4.csv", atomically: true, encoding: .utf8)
        return (folder, ["1.csv", "2.csv", "3.csv.gz", "4.csv"].map { folder + "/" + $0 })
    }

    /// Every file of an output folder; the manifest without its run-specific fields.
    static func published(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let root = URL(fileURLWithPath: folder)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            let path = String(url.path.dropFirst(root.path.count + 1))
            var data = try Data(contentsOf: url)
            if path == "manifest.json" {
                var manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
                for key in ["started_at", "finished_at", "command_line", "workers", "models_seconds", "shards"] { manifest[key] = nil }
                manifest["models"] = ((manifest["models"] as? [[String: Any]]) ?? []).map { $0.filter { $0.key != "fit_seconds" } }
                data = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
            } else if path.hasSuffix(".gz") {
                data = Data(try PartialReader.inflated(Array(data), path: path, limit: 1 << 30))
            }
            result[path] = data
        }
        return result
    }

    static func options(_ inputs: [String], out: String = "", jobs: Int) -> RunOptions {
        RunOptions(pipelinePath: defaultPipeline, inputs: inputs, outputDirectory: out, jobs: jobs, quiet: true)
    }

    /// Counts each shard into `folder/shard-NNNN.sprxpart`; returns the paths in order.
    static func countShards(_ shards: [[String]], into folder: String, jobs: Int) throws -> [String] {
        try shards.enumerated().map { index, inputs in
            let path = folder + "/shard-" + String(format: "%04d", index) + ".sprxpart"
            _ = try RunJob.runShard(options(inputs, jobs: jobs), partialPath: path)
            return path
        }
    }

    @Test(arguments: [1, 4])
    func mergeEqualsTheSingleRunForAnySplit(jobs: Int) throws {
        let (folder, files) = try Self.inputs()
        let single = try RunJob.run(Self.options(files, out: folder + "/single", jobs: jobs))
        // By hand (see inputs()): files 1, 2 and 4 have these repeats; file 3's are its own.
        #expect(single.files[1].duplicate == 1 && single.files[1].quarantineReasons["conflicting_referral_id"] == 1)
        #expect(single.files[3].duplicate == 1 && single.files[3].quarantineReasons["conflicting_referral_id"] == 1)
        let expected = try Self.published(folder + "/single")
        #expect(expected.count > 15)
        // The counts survive the partial's compact form (every table, models, organisations).
        #expect(try CompactCoder.decode(ReferralCounts.self, from: CompactCoder.encode(single.counts)) == single.counts)
        let splits = [[[0], [1, 2], [3]], [[0, 1], [2, 3]], [[0], [1], [2], [3]]]
        for (n, split) in splits.enumerated() {
            let partials = folder + "/partials-\(n)"
            try FileManager.default.createDirectory(atPath: partials, withIntermediateDirectories: false)
            let paths = try Self.countShards(split.map { $0.map { files[$0] } }, into: partials, jobs: jobs)
            let merged = try RunJob.merge(Self.options([partials], out: folder + "/merged-\(n)", jobs: jobs), partials: [partials])
            #expect(merged.result.shards?.map(\.inputs) == split.map { $0.map { files[$0] } })
            let actual = try Self.published(folder + "/merged-\(n)")
            #expect(Set(actual.keys) == Set(expected.keys), "split \(split)")
            for (path, bytes) in expected { #expect(actual[path] == bytes, "split \(split): \(path) differs from the single run") }
            // A merge of merges is a merge of all.
            if paths.count > 2 {
                let node = partials + "/node.partial"
                _ = try RunJob.mergeToPartial(Self.options(Array(paths.prefix(2)), jobs: jobs), partials: Array(paths.prefix(2)), partialPath: node)
                let rest = Array(paths.dropFirst(2))
                _ = try RunJob.merge(Self.options([node] + rest, out: folder + "/tree-\(n)", jobs: jobs), partials: [node] + rest)
                let tree = try Self.published(folder + "/tree-\(n)")
                for (path, bytes) in expected { #expect(tree[path] == bytes, "tree of split \(split): \(path) differs") }
            }
        }
    }

    /// Refusals name the partial and use the documented statuses: 65 for damage, a
    /// repeat or a non-partial, 78 for another pipeline, reference files or format.
    @Test func badPartialsAreRefused() throws {
        let (folder, files) = try Self.inputs()
        let paths = try Self.countShards([[files[0]], [files[1]]], into: folder, jobs: 2)
        let good = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
        func refusal(_ partials: [String], pipeline: String = defaultPipeline, reference: String? = nil) -> SPRXError? {
            var options = Self.options(partials, out: folder + "/out-\(UUID().uuidString)", jobs: 2)
            options.pipelinePath = pipeline
            options.referenceDirectory = reference
            do {
                _ = try RunJob.merge(options, partials: partials)
                return nil
            } catch let error as SPRXError { return error } catch { return SPRXError(.internalError, "\(error)") }
        }
        func variant(_ name: String, _ change: (inout Data) -> Void) throws -> String {
            var data = good
            change(&data)
            let path = folder + "/" + name
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
        let cases: [(String, String, SPRXError.Code)] = [
            (try variant("flipped.sprxpart") { $0[$0.count / 2] ^= 0x40 }, "checksum", .inputFormat),
            (try variant("truncated.sprxpart") { $0 = $0.prefix($0.count - 100) }, "truncated", .inputFormat),
            (try variant("cut-in-header.sprxpart") { $0 = $0.prefix(30) }, "truncated", .inputFormat),
            (try variant("not-a-partial.sprxpart") { $0 = Data("referral_id\nA\n".utf8) }, "not a sprx partial", .inputFormat),
            (try variant("version-3.sprxpart") { $0[8] = 3 }, "format 3", .invalidPipeline),
        ]
        for (path, words, code) in cases {
            let error = try #require(refusal([paths[1], path]), "\(path) was merged")
            #expect(error.code == code, "\(path): \(error)")
            #expect(error.location?.file == path && error.message.contains(words), "\(path): \(error)")
        }
        let repeated = try #require(refusal([paths[0], paths[1], paths[0]]))
        #expect(repeated.code == .inputFormat && repeated.location?.file == paths[0] && repeated.message.contains("given twice"))
        // The same shard counted twice into two partials.
        let copy = folder + "/copy.sprxpart"
        try FileManager.default.copyItem(atPath: paths[0], toPath: copy)
        let recounted = try #require(refusal([paths[0], copy]))
        #expect(recounted.code == .inputFormat && recounted.location?.file == copy && recounted.message.contains("repeats a shard"), "\(recounted)")
        // Another pipeline: the same file with one more comment line (its sha256 differs).
        // (Beside a link to SampleData, so its relative paths find the same lookups.)
        try FileManager.default.createDirectory(atPath: folder + "/Pipelines", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder + "/SampleData", withDestinationPath: "\(packageRoot)/SampleData")
        let otherPipeline = folder + "/Pipelines/other.yaml"
        try (try String(contentsOfFile: defaultPipeline, encoding: .utf8) + "\n# another pipeline\n").write(
            toFile: otherPipeline, atomically: true, encoding: .utf8)
        let pipelineError = try #require(refusal(paths, pipeline: otherPipeline))
        #expect(
            pipelineError.code == .invalidPipeline && pipelineError.location?.file == paths[0] && pipelineError.message.contains("another pipeline"),
            "\(pipelineError)")
        // Other reference files: the same lookups, one of them compressed again at
        // another level (the same rows, another sha256).
        let reference = folder + "/reference"
        try FileManager.default.copyItem(atPath: "\(packageRoot)/SampleData/reference", toPath: reference)
        let lookup = reference + "/imd2019_england_lsoa11.csv.gz"
        let rows = try PartialReader.inflated(Array(try Data(contentsOf: URL(fileURLWithPath: lookup))), path: lookup, limit: 1 << 30)
        try Data(try GzipDeflater.compress(rows, level: 1)).write(to: URL(fileURLWithPath: lookup))
        let referenceError = try #require(refusal(paths, reference: reference))
        #expect(referenceError.code == .invalidPipeline && referenceError.message.contains("other reference files"), "\(referenceError)")
    }

    /// Numbered shards (`--shard-index`, `--shard-count`): a final merge wants each, once,
    /// in order; a merge into a partial wants them in order; numbered and unnumbered
    /// ones do not mix.
    @Test func numberedShardsMustAllComeInOrder() throws {
        let (folder, files) = try Self.inputs()
        var numbered: [String] = []
        for (index, input) in [files[0], files[1], files[3]].enumerated() {
            let path = folder + "/numbered-\(index).sprxpart"
            _ = try RunJob.runShard(Self.options([input], jobs: 1), partialPath: path, number: ShardNumber(index: index, count: 3))
            numbered.append(path)
        }
        let unnumbered = try Self.countShards([[files[2]]], into: folder, jobs: 1)[0]
        func refusal(_ partials: [String], toPartial: Bool = false) -> String? {
            let options = Self.options(partials, out: folder + "/out-\(UUID().uuidString)", jobs: 1)
            do {
                if toPartial {
                    _ = try RunJob.mergeToPartial(options, partials: partials, partialPath: folder + "/node-\(UUID().uuidString).sprxpart")
                } else {
                    _ = try RunJob.merge(options, partials: partials)
                }
                return nil
            } catch let error as SPRXError {
                #expect(error.code == .inputFormat, "\(error)")
                return (error.location?.file ?? "") + ": " + error.message
            } catch { return "\(error)" }
        }
        #expect(refusal([numbered[0], numbered[2]])?.hasPrefix(numbered[2] + ": shard 1 of 3 is missing") == true)
        #expect(refusal([numbered[0], numbered[1]])?.hasPrefix(numbered[1] + ": shards 2 to 2 of 3") == true)
        #expect(refusal([numbered[0], numbered[2], numbered[1]])?.hasPrefix(numbered[2] + ": shard 1 of 3 is missing") == true)
        #expect(refusal([numbered[1], numbered[0]], toPartial: true)?.hasPrefix(numbered[0] + ": this partial (shard 0 of 3") == true)
        #expect(refusal([numbered[0], unnumbered, numbered[1], numbered[2]])?.hasPrefix(unnumbered + ": this partial has no shard number") == true)
        // A merge tree may hold a gap (the rest comes in another branch), not a step back.
        #expect(refusal([numbered[0], numbered[2]], toPartial: true) == nil)
        #expect(refusal([numbered[2], numbered[0]], toPartial: true) != nil)
        #expect(refusal(numbered) == nil)
    }

    /// A partial whose checksum is right but whose sections lie (written on purpose, as
    /// a hostile or buggy writer would) is refused with 65 naming it, by a merge and by a
    /// merge into a partial, without trapping or taking the machine's memory.
    @Test func partialsWhoseSectionsLieAreRefused() throws {
        let (folder, files) = try Self.inputs()
        let good = try Self.countShards([[files[0], files[1]]], into: folder, jobs: 1)[0]
        let reader = try PartialReader(path: good)
        var sections: [(PartialFormat.Section, [UInt8])] = []
        try reader.forEachSection { kind, payload in sections.append((kind, Array(payload))) }
        func json(_ bytes: [UInt8]) throws -> Any {
            try JSONSerialization.jsonObject(with: Data(try PartialReader.inflated(bytes, path: good, limit: 1 << 30)))
        }
        func gzipJSON(_ value: Any) throws -> [UInt8] {
            try GzipDeflater.compress(Array(try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])))
        }
        func rewrite(_ name: String, _ change: (PartialFormat.Section, [UInt8]) throws -> [UInt8]?) throws -> String {
            let path = folder + "/" + name
            let writer = try PartialWriter(path: path)
            for (kind, payload) in sections { if let changed = try change(kind, payload) { try writer.write(kind, changed) } }
            try writer.finish()
            return path
        }
        var hostile: [String] = []
        // A file's clean count negative (its rows read then do not add up).
        hostile.append(
            try rewrite("negative.sprxpart") { kind, payload in
                guard kind == .files, var files = try json(payload) as? [[String: Any]] else { return payload }
                files[1]["clean"] = -1
                return try gzipJSON(files)
            })
        // A quarantined row naming a file the partial does not have.
        hostile.append(
            try rewrite("file-index.sprxpart") { kind, payload in
                guard kind == .quarantine else { return payload }
                var changed = payload
                changed[0] = 0xFF
                changed[1] = 0xFF
                changed[2] = 0xFF
                changed[3] = 0xFF
                return changed
            })
        // The counts section a gzip bomb: 200 MB of zeros in a few hundred kilobytes.
        let bomb = try GzipDeflater.compress([UInt8](repeating: 0x20, count: 200 << 20), level: 9)
        hostile.append(try rewrite("bomb.sprxpart") { kind, payload in kind == .counts ? bomb : payload })
        // A row record missing.
        hostile.append(
            try rewrite("short-rows.sprxpart") { kind, payload in
                guard kind == .rows else { return payload }
                let records = PartialRowRecord.unshuffled(try PartialReader.inflated(payload, path: good, limit: PartialFormat.maxSection))
                return try GzipDeflater.compress(PartialRowRecord.shuffled(Array(records.dropLast(PartialRowRecord.size))))
            })
        // A day no run makes in the counts (a checksum-valid partial would otherwise trap the merge).
        var counts = try reader.counts(schema: try PipelineLoader.load(path: defaultPipeline).groupKey)
        counts.add(key: 0, reasons: 0, contacted: false, intervention: false, day: Day(daysSinceEpoch: Int32.max - 5))
        let badDay = try GzipDeflater.compress(try CompactCoder.encode(counts))
        hostile.append(try rewrite("day.sprxpart") { kind, payload in kind == .counts ? badDay : payload })
        // A row record whose day is Int32.min (bytes 41-44 of the record).
        hostile.append(
            try rewrite("row-day.sprxpart") { kind, payload in
                guard kind == .rows else { return payload }
                var records = PartialRowRecord.unshuffled(try PartialReader.inflated(payload, path: good, limit: PartialFormat.maxSection))
                records.replaceSubrange(41..<45, with: [0, 0, 0, 0x80])
                return try GzipDeflater.compress(PartialRowRecord.shuffled(records))
            })
        for path in hostile {
            for toPartial in [false, true] {
                var options = Self.options([path], out: folder + "/out-\(UUID().uuidString)", jobs: 1)
                options.quiet = true
                do {
                    if toPartial {
                        _ = try RunJob.mergeToPartial(options, partials: [path], partialPath: folder + "/node-\(UUID().uuidString).sprxpart")
                    } else {
                        _ = try RunJob.merge(options, partials: [path])
                    }
                    Issue.record("\(path) was merged")
                } catch let error as SPRXError {
                    #expect(error.code == .inputFormat && error.location?.file == path, "\(path): \(error)")
                }
            }
        }
    }

    /// A partial holds exact counts (no disclosure control: a merge of rounded counts
    /// would be wrong) and no free text or identifier outside its quarantined rows.
    @Test func aPartialHoldsExactCountsAndNoFreeText() throws {
        let folder = temporaryDirectory("shard-privacy")
        let secretNote = "SECRET-NOTE-QX7", person = "PERSON-ZZ9"
        let header =
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id,notes\n"
        var body = ""
        for i in 0..<3 { body += "R\(i),\(person)\(i),2024-03-01,40,F,White,E01000001,GP,Anxiety,Y,2,1,U00001,\(secretNote) \(i)\n" }
        body += "BAD,\(person)B,2024-99-01,40,F,White,E01000001,GP,Anxiety,Y,2,1,U00001,\(secretNote) bad\n"
        try (header + body).write(toFile: folder + "/in.csv", atomically: true, encoding: .utf8)
        let path = folder + "/p.sprxpart"
        _ = try RunJob.runShard(Self.options([folder + "/in.csv"], jobs: 1), partialPath: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let reader = try PartialReader(path: path)
        // Exact: 3 clean referrals (a count a published table would suppress).
        #expect(try reader.counts(schema: try PipelineLoader.load(path: defaultPipeline).groupKey).referrals == 3)
        var quarantine: [UInt8] = [], rest: [UInt8] = []
        try reader.forEachSection { kind, payload in
            switch kind {
            case .quarantine: quarantine += payload
            case .rows: rest += PartialRowRecord.unshuffled(try PartialReader.inflated(Array(payload), path: path, limit: PartialFormat.maxSection))
            default: rest += (try? PartialReader.inflated(Array(payload), path: path, limit: 1 << 30)) ?? Array(payload)
            }
        }
        let restText = String(decoding: rest, as: UTF8.self)
        for secret in [secretNote, person, "R0,", "R1,"] { #expect(!restText.contains(secret), "\(secret) outside the quarantine rows") }
        #expect(String(decoding: quarantine, as: UTF8.self).contains(secretNote + " bad"))
        #expect(try reader.header().rows == 3)
    }

    /// A duplicate (same content, no unmapped label) is taken out from its shard's row
    /// record alone: the merge succeeds, equal to the single run, with the duplicates'
    /// input file gone by then.
    @Test func duplicatesAreTakenOutWithoutTheirFile() throws {
        let (folder, files) = try Self.inputs()
        let copies = folder + "/copies.csv"
        try (Self.header + RunnerTests.referral("A") + RunnerTests.referral("B") + RunnerTests.referral("H")).write(
            toFile: copies, atomically: true, encoding: .utf8)
        let single = try RunJob.run(Self.options([files[0], copies], out: folder + "/single", jobs: 2))
        #expect(single.files.map(\.duplicate) == [0, 2])  // by hand: A and B repeat file 1 exactly
        let paths = try Self.countShards([[files[0]], [copies]], into: folder, jobs: 2)
        try FileManager.default.removeItem(atPath: copies)
        _ = try RunJob.merge(Self.options(paths, out: folder + "/merged", jobs: 2), partials: paths)
        let expected = try Self.published(folder + "/single"), actual = try Self.published(folder + "/merged")
        for (path, bytes) in expected { #expect(actual[path] == bytes, "\(path) differs from the single run") }
    }

    /// A pipeline that fixes the rate period keys a referral outside it apart: a repeat
    /// read again at the merge must be keyed the same (review of issue 29: it was not,
    /// and the merge trapped taking it out).
    @Test func aFixedRatePeriodMergesAsTheSingleRun() throws {
        let (folder, files) = try Self.inputs()
        try FileManager.default.createDirectory(atPath: folder + "/Pipelines", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder + "/SampleData", withDestinationPath: "\(packageRoot)/SampleData")
        let pipeline = folder + "/Pipelines/period.yaml"
        let text = try String(contentsOfFile: defaultPipeline, encoding: .utf8)
        try text.replacingOccurrences(of: "  catchment: every_area\n", with: "  catchment: every_area\n  period: {first: 2024-01-01, last: 2024-02-28}\n")
            .write(toFile: pipeline, atomically: true, encoding: .utf8)
        var options = Self.options(files, out: folder + "/single", jobs: 2)
        options.pipelinePath = pipeline
        _ = try RunJob.run(options)
        var paths: [String] = []
        for (n, shard) in [[files[0]], [files[1], files[2]], [files[3]]].enumerated() {
            var shardOptions = Self.options(shard, jobs: 2)
            shardOptions.pipelinePath = pipeline
            paths.append(folder + "/shard-\(n).sprxpart")
            _ = try RunJob.runShard(shardOptions, partialPath: paths[n])
        }
        var mergeOptions = Self.options(paths, out: folder + "/merged", jobs: 2)
        mergeOptions.pipelinePath = pipeline
        _ = try RunJob.merge(mergeOptions, partials: paths)
        let expected = try Self.published(folder + "/single"), actual = try Self.published(folder + "/merged")
        #expect(Set(actual.keys) == Set(expected.keys))
        for (path, bytes) in expected { #expect(actual[path] == bytes, "\(path) differs from the single run") }
    }

    /// A repeat's input file changed between its shard and the merge: refused, naming it.
    @Test func aChangedInputIsRefusedAtTheMerge() throws {
        let (folder, files) = try Self.inputs()
        let paths = try Self.countShards([[files[0]], [files[1]]], into: folder, jobs: 1)
        try (Self.header + RunnerTests.referral("Z") + RunnerTests.referral("B", source: "Self")).write(
            toFile: files[1], atomically: true, encoding: .utf8)
        do {
            _ = try RunJob.merge(Self.options(paths, out: folder + "/out", jobs: 1), partials: paths)
            Issue.record("merged a shard whose input changed")
        } catch let error as SPRXError {
            #expect(error.code == .inputFormat && error.location?.file == files[1], "\(error)")
        }
    }
}
