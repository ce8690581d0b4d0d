import Foundation
import SPRXCore
import SPRXEnrich
import SPRXPipeline
import SPRXRunner

/// `sprx run`'s job: takes the output's lock, stages a folder beside it, runs the engine
/// into it, publishes what it counted and commits the folder.
///
/// Design note: this is the only place that holds an output folder for the whole run.
/// The engine (``Runner/count(pipeline:reference:files:options:sink:)``) sees only a
/// ``CountSink`` (here an ``OutputFolderSink`` on the staging folder) and publishing
/// (``Publisher/publish(_:options:started:into:)``) only writes files into the staging
/// folder; the lock, the staging folder and the commit live here, so a caller with no
/// output folder (a shard worker) can run the engine alone. The folder is committed
/// only when every file is written; on any failure it is discarded.
public enum RunJob {
    /// Runs the pipeline and writes the output folder.
    @discardableResult
    public static func run(_ options: RunOptions) throws -> RunSummary {
        let started = Date()
        Runner.prepareProcess()
        var pipeline = try PipelineLoader.load(path: options.pipelinePath, referenceDirectory: options.referenceDirectory)
        if !options.disclosureControl { pipeline.disclosure.enabled = false }
        let files = try Runner.resolveInputs(options.inputs)
        return try publish(options, pipeline: pipeline, inputs: options.inputs + files, started: started) { reference, sink in
            try Runner.count(pipeline: pipeline, reference: reference, files: files, options: options, sink: sink)
        }
    }

    /// Takes the output's lock, stages the folder, counts into it with `count`, publishes
    /// and commits (a run's and a merge's shared steps). `inputs` are what the output
    /// may not replace, besides the pipeline and its reference files.
    static func publish(
        _ options: RunOptions, pipeline: PipelineConfiguration, inputs: [String], started: Date,
        count: (ReferenceData, OutputFolderSink) throws -> RunResult
    ) throws -> RunSummary {
        // Before any work: the target must be sprx's to replace, then a second run on the
        // same output is refused (75) before it writes anything.
        let target = try OutputTarget(options.outputDirectory, inputs: inputs, protected: readPaths(pipeline, options: options))
        let lock = try RunLock(target: target)
        defer { withExtendedLifetime(lock) {} }
        if lock.tookOverStaleLock && !options.quiet {
            StandardError.line("sprx: note: took over a stale lock (the run that held it is no longer running)")
        }
        let reference = try ReferenceData.load(pipeline.enrich)
        let output = try OutputFolder(target: target)
        do {
            let sink = try OutputFolderSink(output: output)
            let result = try count(reference, sink)
            let summary = try Publisher.publish(result, options: options, started: started, into: output)
            try output.commit()
            return summary
        } catch {
            output.discard()
            throw error
        }
    }

    /// The files a run reads besides its inputs (the pipeline and its reference files):
    /// an output may not replace them.
    static func readPaths(_ pipeline: PipelineConfiguration, options: RunOptions) -> [String] {
        let enrich = pipeline.enrich
        return [options.pipelinePath, enrich.referenceDirectory] + enrich.deprivation.map { enrich.referenceDirectory + "/" + $0.file }
            + enrich.rurality.map { enrich.referenceDirectory + "/" + $0.file }
            + (enrich.population?.files ?? []).map { enrich.referenceDirectory + "/" + $0 }
            + (pipeline.organisations?.provision?.files ?? []).map { enrich.referenceDirectory + "/" + $0 }
            + (pipeline.organisations?.lookup.map { [$0.path] } ?? [])
    }

    /// `sprx run --partial`: counts the inputs as one shard into a partial file (no
    /// output folder, no disclosure control, no quality gates: the merge has those).
    public static func runShard(_ options: RunOptions, partialPath: String, number: ShardNumber? = nil) throws -> Runner.ShardSummary {
        Runner.prepareProcess()
        let pipeline = try PipelineLoader.load(path: options.pipelinePath, referenceDirectory: options.referenceDirectory)
        let files = try Runner.resolveInputs(options.inputs)
        try refuseOverwriting(partialPath, readPaths: files + readPaths(pipeline, options: options))
        let reference = try ReferenceData.load(pipeline.enrich)
        return try Runner.countShard(
            pipeline: pipeline, reference: reference, files: files, options: options, partialPath: partialPath, number: number)
    }

    /// `sprx merge`: adds partials up into the output folder one run over every shard's
    /// inputs would have written (disclosure control applied here, and only here).
    @discardableResult
    public static func merge(_ options: RunOptions, partials: [String]) throws -> RunSummary {
        let started = Date()
        Runner.prepareProcess()
        var pipeline = try PipelineLoader.load(path: options.pipelinePath, referenceDirectory: options.referenceDirectory)
        if !options.disclosureControl { pipeline.disclosure.enabled = false }
        let paths = try Runner.resolvePartials(partials)
        return try publish(options, pipeline: pipeline, inputs: partials + paths, started: started) { reference, sink in
            try Runner.merge(pipeline: pipeline, reference: reference, partials: paths, options: options, sink: sink)
        }
    }

    /// `sprx merge --partial`: adds partials up into one partial (a node of a merge tree).
    public static func mergeToPartial(_ options: RunOptions, partials: [String], partialPath: String) throws -> Runner.ShardSummary {
        Runner.prepareProcess()
        let pipeline = try PipelineLoader.load(path: options.pipelinePath, referenceDirectory: options.referenceDirectory)
        let paths = try Runner.resolvePartials(partials)
        try refuseOverwriting(partialPath, readPaths: paths + readPaths(pipeline, options: options))
        let reference = try ReferenceData.load(pipeline.enrich)
        return try Runner.mergeToPartial(pipeline: pipeline, reference: reference, partials: paths, options: options, partialPath: partialPath)
    }

    /// Refuses a partial path that names a file the command reads.
    static func refuseOverwriting(_ partialPath: String, readPaths: [String]) throws {
        let target = URL(fileURLWithPath: partialPath).standardizedFileURL.resolvingSymlinksInPath().path
        for path in readPaths where URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw SPRXError(.usage, "--partial names a file this command reads; name a new file", location: DataLocation(file: partialPath))
        }
    }
}
