import Foundation
import SPRXEnrich
import SPRXPipeline
import SPRXPublish
import SPRXTestSupport
import Testing

@testable import SPRXRunner

/// The engine run with no output folder: an in-memory sink, nothing locked or staged.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CountSinkTests {
    /// The canonical sample counted into a ``MemorySink`` equals `sprx run`'s count of it
    /// (counts, reconciliation, unmapped labels), and the sink's quarantined rows match
    /// the generator's own record of the rows it spoiled (`generate.json`, the
    /// independent expectation) and the folder run's reconciliation, reason by reason.
    @Test func engineCountsIntoMemoryAsTheFolderRunDoes() throws {
        let base = temporaryDirectory("memory-sink")
        let input = "\(packageRoot)/SampleData/canonical"
        let options = RunOptions(pipelinePath: defaultPipeline, inputs: [input], outputDirectory: base + "/unused", jobs: 2, quiet: true)
        let pipeline = try PipelineLoader.load(path: options.pipelinePath, referenceDirectory: nil)
        let reference = try ReferenceData.load(pipeline.enrich)
        let files = try Runner.resolveInputs(options.inputs)
        let sink = MemorySink(workDirectory: URL(fileURLWithPath: base + "/work"))
        let counted = try Runner.count(pipeline: pipeline, reference: reference, files: files, options: options, sink: sink)

        #expect(sink.finished)
        #expect(!FileManager.default.fileExists(atPath: base + "/unused"), "no output folder is made")
        #expect(!FileManager.default.fileExists(atPath: base + "/work"), "the spill folder is removed")

        let folder = try RunJob.run(
            RunOptions(pipelinePath: defaultPipeline, inputs: [input], outputDirectory: base + "/out", jobs: 2, quiet: true))
        #expect(counted.counts == folder.result.counts)
        #expect(counted.files == folder.result.files)
        #expect(counted.unmappedLabels == folder.result.unmappedLabels)

        let expected = try JSONDecoder().decode(
            GeneratedExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: input + "/generate.json")))
        var reasons: [String: Int] = [:]
        for entry in sink.quarantined { reasons[entry.row.reason.rawValue, default: 0] += 1 }
        #expect(reasons == expected.quarantined)
        #expect(counted.clean == expected.expectedClean)
        #expect(counted.duplicate == expected.duplicates)
        var folderReasons: [String: Int] = [:]
        for file in folder.files { for (reason, count) in file.quarantineReasons { folderReasons[reason, default: 0] += count } }
        #expect(reasons == folderReasons)
        #expect(Set(sink.quarantined.map(\.file)).isSubset(of: Set(files)))
    }
}
