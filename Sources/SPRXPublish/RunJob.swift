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
        // Before any work: the target must be sprx's to replace, then a second run on the
        // same output is refused (75) before it writes anything.
        let enrich = pipeline.enrich
        let readPaths =
            [options.pipelinePath, enrich.referenceDirectory] + enrich.deprivation.map { enrich.referenceDirectory + "/" + $0.file }
            + enrich.rurality.map { enrich.referenceDirectory + "/" + $0.file }
            + (enrich.population?.files ?? []).map { enrich.referenceDirectory + "/" + $0 }
            + (pipeline.organisations?.provision?.files ?? []).map { enrich.referenceDirectory + "/" + $0 }
            + (pipeline.organisations?.lookup.map { [$0.path] } ?? [])
        let target = try OutputTarget(options.outputDirectory, inputs: options.inputs + files, protected: readPaths)
        let lock = try RunLock(target: target)
        defer { withExtendedLifetime(lock) {} }
        if lock.tookOverStaleLock && !options.quiet {
            StandardError.line("sprx: note: took over a stale lock (the run that held it is no longer running)")
        }
        let reference = try ReferenceData.load(pipeline.enrich)
        let output = try OutputFolder(target: target)
        do {
            let sink = try OutputFolderSink(output: output)
            let result = try Runner.count(pipeline: pipeline, reference: reference, files: files, options: options, sink: sink)
            let summary = try Publisher.publish(result, options: options, started: started, into: output)
            try output.commit()
            return summary
        } catch {
            output.discard()
            throw error
        }
    }
}
