import Dispatch
import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

/// The sprx version written into manifests.
public let sprxVersion = "0.2.0"

/// What `sprx run` was asked to do.
public struct RunOptions: Sendable {
    public var pipelinePath: String
    public var inputs: [String]
    public var outputDirectory: String
    public var jobs: Int
    public var disclosureControl: Bool
    public var quiet: Bool
    public var commandLine: [String]
    /// Target size of the row-aligned blocks handed to workers.
    public var blockSize: Int
    /// `--reference-dir`: the reference folder, first in the lookup order (``ReferenceLookup``).
    public var referenceDirectory: String?
    /// `--as-of`: the date the report is "as of" (`nil`: the day after the data period ends,
    /// so the same inputs give the same report).
    public var asOf: Day?
    /// `--progress`: how reading shows on stderr (``ProgressMode``); `quiet` shows nothing.
    public var progress: ProgressMode = .auto
    /// Seconds between lines when ``progress`` is `lines`.
    public var progressInterval: Double = ProgressLine.lineInterval
    /// Most worker threads a run uses (`--jobs` above it is a usage error).
    public static let maxJobs = 256

    public init(
        pipelinePath: String, inputs: [String], outputDirectory: String, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        disclosureControl: Bool = true, quiet: Bool = false, commandLine: [String] = CommandLine.arguments, blockSize: Int = 1 << 20,
        referenceDirectory: String? = nil
    ) {
        self.pipelinePath = pipelinePath
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.jobs = min(max(1, jobs), Self.maxJobs)
        self.disclosureControl = disclosureControl
        self.quiet = quiet
        self.commandLine = commandLine
        self.blockSize = blockSize
        self.referenceDirectory = referenceDirectory
    }
}

/// What the engine made of a run's inputs: everything publishing needs, typed.
///
/// The engine (``Runner/count(pipeline:reference:files:options:sink:)``) fills it; the
/// publishing layer (`SPRXPublish`) turns it into tables, models, the report and the
/// manifest. Nothing in it is formatted text.
public struct RunResult: Sendable {
    /// The pipeline as run (disclosure control as the command line set it).
    public var pipeline: PipelineConfiguration
    /// Per input file, in input order: rows read, clean, duplicate, quarantined and why.
    public var files: [FileReconciliation]
    /// The merged aggregation state, repeats taken out.
    public var counts: ReferralCounts
    /// Every unmapped label with its count, bounded per field.
    public var unmappedLabels: UnmappedLabelStore
    /// The figures the quality gates judged (all passed) and the end-of-run summary shows.
    public var quality: QualityFigures
    /// The reference files used.
    public var reference: [ReferenceFileInfo]
    /// The catchment's residents per group, `nil` when the pipeline names no population.
    public var population: PopulationDenominators?
    /// The organisation lookup and the link worker provision files, when the pipeline names them.
    public var organisationDirectory: OrganisationDirectory? = nil
    public var provision: ProvisionData? = nil
    /// The shards a merge added up, in order (`nil` for a run over the inputs themselves).
    public var shards: [PartialHeader.Shard]? = nil

    /// The earliest and latest referral date counted.
    public var period: (first: Day, last: Day)? { counts.period }
    /// The period the population rates' person-years cover: the pipeline's, or ``period``.
    public var ratePeriod: (first: Day, last: Day)? { pipeline.enrich.population?.period.map { ($0.lowerBound, $0.upperBound) } ?? period }
    /// Whether the pipeline fixed ``ratePeriod``.
    public var ratePeriodFixed: Bool { pipeline.enrich.population?.period != nil }
    public var rowsRead: Int { files.reduce(0) { $0 + $1.rowsRead } }
    public var clean: Int { files.reduce(0) { $0 + $1.clean } }
    public var duplicate: Int { files.reduce(0) { $0 + $1.duplicate } }
    public var quarantined: Int { files.reduce(0) { $0 + $1.quarantined } }
    /// The optional fields the inputs leave out (``FieldRecording``).
    public var recording: FieldRecording {
        var recording = FieldRecording(files: files.map { file in (file.fieldsNotRecorded.compactMap(CanonicalField.init(rawValue:)), file.clean) })
        recording.blank = [.interventions: Int(counts.interventionsBlank), .contacted: Int(counts.contactBlank)]
        recording.cleanReferrals = Int(counts.referrals)
        recording.emptyMeansNone = pipeline.emptyMeansNone
        return recording
    }
    /// Per gated field, one line with the share of clean referrals unknown and unmapped.
    /// A field not recorded at all has no line here: it is all unknown by absence, and the
    /// summary's not-recorded line says so once.
    public var fieldQualityLines: [String] {
        let absent = recording.notRecorded.map { $0.rawValue + ":" }
        return RunFigures.summaryLines(quality).filter { line in !absent.contains { line.hasPrefix($0) } }
    }
}

/// The engine: ingest → clean → enrich → aggregate over every input, into a ``RunResult``.
///
/// Design note: concurrency is plain Dispatch. Up to `jobs` files are read at once, each
/// by one reader that inflates and cuts row-aligned ``RowBlock``s; blocks go to a
/// concurrent worker queue (at most `jobs` in flight) that cleans, enriches and counts
/// them into a private ``BlockResult``. Results are merged strictly in (file, block)
/// order by ``InOrderMerger``, which makes the tables byte-identical for any `--jobs`.
/// Each file may have at most `2 × jobs + 2` blocks read but not yet merged, so memory
/// stays flat however large the input is. The engine publishes nothing and knows no
/// output folder: quarantined rows and spill files go to a ``CountSink``; the lock,
/// staging and commit belong to `sprx run`'s job (`RunJob` in `SPRXPublish`).
public enum Runner {
    /// Resolves inputs: files as given, folders as their `*.csv` and `*.csv.gz` files in name order.
    public static func resolveInputs(_ inputs: [String]) throws -> [String] {
        try InputResolver.resolve(inputs)
    }

    /// Sets the process up for a run: large blocks are allocated on one thread and freed
    /// on another.
    public static func prepareProcess() {
        #if os(Linux)
        // Blocks of about 1 MiB are allocated on reader threads and freed on others. With
        // glibc's adaptive threshold they soon come from the arenas, which then keep
        // ~100 MB they cannot give back (measured on 10 million rows); a fixed threshold
        // keeps them in mmap, returned on free.
        SystemCall.setMmapThreshold(bytes: 128 * 1024)
        #endif
    }

    /// Reads, cleans, enriches and counts every file; hands quarantined rows to `sink`;
    /// judges the quality gates, then finishes the sink.
    ///
    /// - Throws: any input, reference or sink error, and ``SPRXError/Code/qualityGate``
    ///   when the run cannot mean anything (nothing is published then).
    public static func count(
        pipeline: PipelineConfiguration, reference: ReferenceData, files: [String], options: RunOptions, sink: any CountSink
    ) throws -> RunResult {
        let counted = try countRows(pipeline: pipeline, reference: reference, files: files, options: options, sink: sink, findsRepeats: true)
        do { try counted.merger.resolveRepeats() } catch {
            counted.ledger.discard()
            throw error
        }
        return try conclude(
            counts: counted.pool.merged(with: counted.merger.removals), merger: counted.merger, reference: counted.reference,
            population: counted.population, organisations: counted.organisations, pipeline: pipeline, options: options, sink: sink)
    }

    /// What ``countRows(pipeline:reference:files:options:sink:findsRepeats:)`` leaves:
    /// every row counted, repeats not yet taken out.
    struct Counted {
        let merger: InOrderMerger
        let ledger: DuplicateLedger
        let pool: CountsPool
        let reference: ReferenceData
        let population: Deferred<PopulationDenominators?>
        let organisations: Deferred<OrganisationData>
    }

    /// The organisation lookup, the provision files and every file read (``OrganisationLoader``).
    typealias OrganisationData = (directory: OrganisationDirectory?, provision: ProvisionData?, files: [ReferenceFileInfo])

    /// Reads, cleans, enriches and counts every file in input order; records every clean
    /// row's identity in the ledger (which, with `findsRepeats`, also keeps what it needs
    /// to find and take out repeats).
    static func countRows(
        pipeline: PipelineConfiguration, reference: ReferenceData, files: [String], options: RunOptions, sink: any CountSink,
        findsRepeats: Bool
    ) throws -> Counted {
        let worker = try makeWorker(pipeline: pipeline, reference: reference)
        let ledger = try DuplicateLedger(directory: sink.workDirectory, findsRepeats: findsRepeats)
        let merger = InOrderMerger(
            files: files, sink: sink, ledger: ledger, groupKey: pipeline.groupKey, countForModels: worker.countForModels,
            clean: worker.clean)
        let pool = CountsPool(groupKey: pipeline.groupKey)
        let (population, organisations) = loadAside(pipeline: pipeline, reference: reference, options: options)
        if let error = population.failure ?? organisations.failure {
            ledger.discard()
            throw error
        }
        do {
            try execute(
                files: files, worker: worker, pipeline: pipeline, options: options, merger: merger, pool: pool,
                stopIf: { population.failure ?? organisations.failure })
        } catch {
            ledger.discard()
            throw error
        }
        for file in merger.files {
            if let warning = file.gzipPaddingWarning { StandardError.line("sprx: warning: \(DisplayText.escaped(file.path)): \(warning)") }
        }
        return Counted(merger: merger, ledger: ledger, pool: pool, reference: reference, population: population, organisations: organisations)
    }

    /// The block worker of a pipeline: its clean, enrich and count rules.
    static func makeWorker(pipeline: PipelineConfiguration, reference: ReferenceData) throws -> BlockWorker {
        var worker = BlockWorker(
            clean: CleanRules(pipeline: pipeline), enrich: EnrichRules(reference: reference, ageBands: pipeline.enrich.ageBands),
            groupKey: pipeline.groupKey, routeTypes: pipeline.routes.map(\.type), countForModels: !pipeline.models.models.isEmpty,
            modelProjection: try ModelCellProjection(models: pipeline.models.models, schema: pipeline.groupKey))
        worker.modelsByOrganisation = pipeline.models.clusterByOrganisation
        worker.ratePeriod = pipeline.enrich.population?.period
        return worker
    }

    /// The single-year-of-age populations (summed while rows are counted: only
    /// publishing needs them), the organisation lookup and the provision files (a
    /// quarter of a second of CPU), each on a thread of its own when the run may use
    /// more than one; a bad file stops the count at the next block.
    static func loadAside(
        pipeline: PipelineConfiguration, reference: ReferenceData, options: RunOptions
    ) -> (population: Deferred<PopulationDenominators?>, organisations: Deferred<OrganisationData>) {
        let population =
            options.jobs > 1
            ? Deferred { try loadDenominators(pipeline: pipeline, reference: reference) }
            : Deferred(now: { try loadDenominators(pipeline: pipeline, reference: reference) })
        let settings = pipeline.organisations, referenceDirectory = pipeline.enrich.referenceDirectory
        let organisations =
            options.jobs > 1
            ? Deferred { try OrganisationLoader.load(settings, referenceDirectory: referenceDirectory) }
            : Deferred(now: { try OrganisationLoader.load(settings, referenceDirectory: referenceDirectory) })
        return (population, organisations)
    }

    /// Judges the quality gates on the final counts, finishes the sink and gathers the
    /// ``RunResult`` (a run's, or a merge's).
    static func conclude(
        counts: ReferralCounts, merger: InOrderMerger, reference: ReferenceData, population: Deferred<PopulationDenominators?>,
        organisations: Deferred<OrganisationData>, pipeline: PipelineConfiguration, options: RunOptions, sink: any CountSink
    ) throws -> RunResult {
        // A run that cannot mean anything (no clean rows, mostly quarantined, a field
        // mostly unmapped) fails here, before anything is published.
        let figures = RunFigures.quality(counts: counts, files: merger.files, pipeline: pipeline)
        let failedGates = pipeline.quality.evaluate(figures)
        if !failedGates.isEmpty { throw QualityGates.error(for: failedGates, pipelineFile: options.pipelinePath) }
        try sink.finish()
        let denominators = try population.value()
        let organisationData = try organisations.value()
        return RunResult(
            pipeline: pipeline, files: merger.files, counts: counts, unmappedLabels: merger.unmappedLabels, quality: figures,
            reference: reference.files + (denominators?.files ?? []) + organisationData.files, population: denominators,
            organisationDirectory: organisationData.directory, provision: organisationData.provision)
    }

    /// The catchment's residents per group, as the pipeline's population section names them.
    static func loadDenominators(pipeline: PipelineConfiguration, reference: ReferenceData) throws -> PopulationDenominators? {
        try PopulationLoader.denominators(pipeline.enrich, reference: reference)
    }

    /// Reads, processes and merges every file.
    static func execute(
        files: [String], worker: BlockWorker, pipeline: PipelineConfiguration, options: RunOptions, merger: InOrderMerger,
        pool: CountsPool, stopIf: @escaping @Sendable () -> (any Error)? = { nil }
    ) throws {
        let coordinator = MergeCoordinator(merger: merger, fileCount: files.count, window: 2 * options.jobs + 2)
        let progress = ProgressLine(
            mode: options.quiet ? .none : options.progress.resolvedForStandardError, verb: "read",
            total: inputBytes(files), parts: files.count, files: files.count, interval: options.progressInterval)
        let workerQueue = DispatchQueue(label: "sprx.worker", attributes: .concurrent)
        let readerSlots = DispatchSemaphore(value: max(1, min(options.jobs, files.count)))
        let workerSlots = DispatchSemaphore(value: options.jobs)
        let group = DispatchGroup()

        for (fileIndex, path) in files.enumerated() {
            readerSlots.wait()  // files start in order, so an earlier file always has its reader
            if coordinator.failed { readerSlots.signal(); break }
            group.enter()
            // A serial queue per reader: readers block on semaphores, and libdispatch
            // gives serial queues their own thread instead of starving the worker pool.
            DispatchQueue(label: "sprx.reader.\(fileIndex)").async {
                defer {
                    readerSlots.signal()
                    group.leave()
                }
                do {
                    let opened = try InputOpener.openInput(path: path, encoding: pipeline.input.encoding)
                    let (source, raw) = (opened.source, opened.file)
                    let reader = RowBlockReader(
                        source: source, fileName: path, delimiter: pipeline.input.delimiter, targetBlockSize: options.blockSize)
                    reader.bufferPool = coordinator.buffers
                    guard let header = try reader.readHeader() else {
                        throw SPRXError(.inputFormat, "file is empty: no header row", location: DataLocation(file: path, line: 1))
                    }
                    let layout = try ColumnLayout(header: header.names, headerLines: header.lines, pipeline: pipeline, file: path)
                    coordinator.setLayout(layout, file: fileIndex)
                    var blocks = 0
                    while let block = try reader.next() {
                        progress.set(done: raw.bytesRead, part: fileIndex)
                        coordinator.waitForRoom(file: fileIndex)
                        if let error = stopIf() { throw error }
                        if coordinator.failed { return }
                        workerSlots.wait()
                        blocks += 1
                        group.enter()
                        workerQueue.async {
                            defer {
                                workerSlots.signal()
                                group.leave()
                            }
                            var counts = pool.take()
                            let result = worker.process(block, layout: layout, into: &counts, traces: coordinator.traces.take())
                            pool.give(counts)
                            coordinator.submit(result, file: fileIndex, block: block.index)
                            progress.add(rows: result.rowsRead)
                        }
                    }
                    progress.set(done: raw.bytesRead, part: fileIndex)
                    progress.fileFinished()
                    coordinator.finishFile(
                        fileIndex, blocks: blocks,
                        info: FileFinish(
                            bytes: raw.bytesRead, decodedBytes: reader.decodedBytes, sha256: raw.finalizeSHA256(),
                            gzipPaddingBytes: opened.gzip?.trailingZeroBytes ?? 0))
                } catch {
                    coordinator.fail(error)
                }
            }
        }
        group.wait()
        progress.finish(next: coordinator.failed ? nil : "tables, models and report next")
        if let error = coordinator.error { throw error }
        guard coordinator.mergedAll else {
            throw SPRXError(.internalError, "not every block was merged")
        }
    }
}

/// The inputs' total size as stored (compressed bytes for `.csv.gz`), the 100% of the
/// progress line; a file that cannot be sized counts 0 (the run itself reports it).
func inputBytes(_ files: [String]) -> Int64 {
    files.reduce(Int64(0)) { total, path in
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return total + size
    }
}

/// What is known of an input file once its reader has read it to the end.
struct FileFinish: Sendable {
    var bytes: Int64
    var decodedBytes: Int64
    var sha256: String
    /// Zero bytes of padding after its gzip data (accepted, warned about).
    var gzipPaddingBytes: Int64 = 0
}

/// Holds block results until they can be merged in order, and bounds how far each
/// file's reader may run ahead.
///
/// `@unchecked Sendable`: every stored property is guarded by `lock`, except the
/// per-file semaphores, which are themselves thread-safe.
final class MergeCoordinator: @unchecked Sendable {
    private let lock = NSLock()
    private let merger: InOrderMerger
    private var pending: [[Int: BlockResult]]
    private var blockCounts: [Int?]
    private var fileInfo: [FileFinish?]
    private var currentFile = 0
    private var nextBlock = 0
    private var firstError: (any Error)?
    private let windows: [DispatchSemaphore]
    private let windowSize: Int
    /// Merged blocks' buffers and clean row traces, for the next blocks.
    let buffers: ArrayPool<UInt8>
    let traces: ArrayPool<CleanRowTrace>

    init(merger: InOrderMerger, fileCount: Int, window: Int) {
        self.merger = merger
        pending = Array(repeating: [:], count: fileCount)
        blockCounts = Array(repeating: nil, count: fileCount)
        fileInfo = Array(repeating: nil, count: fileCount)
        windowSize = window
        windows = (0..<fileCount).map { _ in DispatchSemaphore(value: window) }
        // A block merged hands its arrays to the next block read: a few in the pool at
        // any time are enough (each holds about a megabyte).
        buffers = ArrayPool(limit: 4)
        traces = ArrayPool(limit: 4)
    }

    var failed: Bool { lock.withLock { firstError != nil } }
    var error: (any Error)? { lock.withLock { firstError } }
    var mergedAll: Bool { lock.withLock { currentFile == pending.count } }

    func waitForRoom(file: Int) { windows[file].wait() }

    func submit(_ result: BlockResult, file: Int, block: Int) {
        lock.withLock {
            pending[file][block] = result
            drain()
        }
    }

    func setLayout(_ layout: ColumnLayout, file: Int) {
        lock.withLock { merger.setLayout(layout, file: file) }
    }

    func finishFile(_ file: Int, blocks: Int, info: FileFinish) {
        lock.withLock {
            blockCounts[file] = blocks
            fileInfo[file] = info
            drain()
        }
    }

    func fail(_ error: any Error) {
        lock.withLock {
            if firstError == nil { firstError = error }
        }
        wakeReaders()
    }

    /// Wakes readers waiting for room (they see the failure and stop), once. It also
    /// leaves every window semaphore at or above its starting value, which libdispatch
    /// requires when a semaphore is freed (else it traps: "deallocated while in use").
    private func wakeReaders() {
        let first: Bool = wokeLock.withLock {
            defer { woke = true }
            return !woke
        }
        guard first else { return }
        for window in windows { for _ in 0..<(windowSize + 1) { window.signal() } }
    }
    private let wokeLock = NSLock()
    private var woke = false

    /// Merges every result that is next in order. Called with `lock` held.
    private func drain() {
        guard firstError == nil else { return }
        while currentFile < pending.count {
            if var result = pending[currentFile].removeValue(forKey: nextBlock) {
                do {
                    try merger.merge(result, file: currentFile)
                    buffers.give(&result.bytes)
                    traces.give(&result.cleanRows)
                } catch {
                    firstError = error
                    wakeReaders()
                    return
                }
                nextBlock += 1
                windows[currentFile].signal()
            } else if let count = blockCounts[currentFile], count == nextBlock, let info = fileInfo[currentFile] {
                merger.finishFile(currentFile, info)
                currentFile += 1
                nextBlock = 0
            } else {
                return
            }
        }
    }
}
