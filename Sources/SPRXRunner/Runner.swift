import Dispatch
import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline
import SPRXReport

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
    /// Most worker threads a run uses (`--jobs` above it is a usage error).
    public static let maxJobs = 256

    public init(
        pipelinePath: String, inputs: [String], outputDirectory: String, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        disclosureControl: Bool = true, quiet: Bool = false, commandLine: [String] = CommandLine.arguments, blockSize: Int = 1 << 20
    ) {
        self.pipelinePath = pipelinePath
        self.inputs = inputs
        self.outputDirectory = outputDirectory
        self.jobs = min(max(1, jobs), Self.maxJobs)
        self.disclosureControl = disclosureControl
        self.quiet = quiet
        self.commandLine = commandLine
        self.blockSize = blockSize
    }
}

/// What a finished run reports back.
public struct RunSummary: Sendable {
    public var files: [FileReconciliation]
    public var counts: ReferralCounts
    /// How each declared model went.
    public var models: [ModelRunSummary]
    public var outputDirectory: String
    /// The report's headline figures in one line.
    public var headline: String
    /// Per mapped field, one line with the share of clean referrals unknown and unmapped.
    public var fieldQuality: [String] = []
    public var rowsRead: Int { files.reduce(0) { $0 + $1.rowsRead } }
    public var clean: Int { files.reduce(0) { $0 + $1.clean } }
    public var duplicate: Int { files.reduce(0) { $0 + $1.duplicate } }
    public var quarantined: Int { files.reduce(0) { $0 + $1.quarantined } }
}

/// Runs ingest → clean → enrich → aggregate over all inputs and writes the outputs.
///
/// Design note: concurrency is plain Dispatch. Up to `jobs` files are read at once, each
/// by one reader that inflates and cuts row-aligned ``RowBlock``s; blocks go to a
/// concurrent worker queue (at most `jobs` in flight) that cleans, enriches and counts
/// them into a private ``BlockResult``. Results are merged strictly in (file, block)
/// order by ``InOrderMerger``, which makes the tables byte-identical for any `--jobs`.
/// Each file may have at most `2 × jobs + 2` blocks read but not yet merged, so memory
/// stays flat however large the input is.
public enum Runner {
    /// Resolves inputs: files as given, folders as their `*.csv` and `*.csv.gz` files in name order.
    public static func resolveInputs(_ inputs: [String]) throws -> [String] {
        try InputResolver.resolve(inputs)
    }

    /// Runs the pipeline and writes the output folder.
    @discardableResult
    public static func run(_ options: RunOptions) throws -> RunSummary {
        let started = Date()
        #if os(Linux)
        // Blocks of about 1 MiB are allocated on reader threads and freed on others. With
        // glibc's adaptive threshold they soon come from the arenas, which then keep
        // ~100 MB they cannot give back (measured on 10 million rows); a fixed threshold
        // keeps them in mmap, returned on free.
        SystemCall.setMmapThreshold(bytes: 128 * 1024)
        #endif
        var pipeline = try PipelineLoader.load(path: options.pipelinePath)
        if !options.disclosureControl { pipeline.disclosure.enabled = false }
        let files = try resolveInputs(options.inputs)
        // Before any work: the target must be sprx's to replace, then a second run on the
        // same output is refused (75) before it writes anything.
        let enrich = pipeline.enrich
        let readPaths =
            [options.pipelinePath, enrich.referenceDirectory] + enrich.deprivation.map { enrich.referenceDirectory + "/" + $0.file }
            + enrich.rurality.map { enrich.referenceDirectory + "/" + $0.file }
        let target = try OutputTarget(options.outputDirectory, inputs: options.inputs + files, protected: readPaths)
        let lock = try RunLock(target: target)
        defer { withExtendedLifetime(lock) {} }
        if lock.tookOverStaleLock && !options.quiet {
            StandardError.line("sprx: note: took over a stale lock (the run that held it is no longer running)")
        }
        let reference = try ReferenceData.load(pipeline.enrich)
        var worker = BlockWorker(
            clean: CleanRules(pipeline: pipeline), enrich: EnrichRules(reference: reference, ageBands: pipeline.enrich.ageBands),
            routeTypes: pipeline.routes.map(\.type), countForModels: !pipeline.models.models.isEmpty,
            modelProjection: ModelCellProjection(models: pipeline.models.models))
        worker.modelsByOrganisation = pipeline.models.clusterByOrganisation

        let output = try OutputFolder(target: target)
        do {
            let quarantine = try QuarantineWriter(path: output.staging.appendingPathComponent("quarantine/rejected.csv.gz").path)
            let ledger = try DuplicateLedger(directory: output.staging.appendingPathComponent(".work"))
            let merger = InOrderMerger(
                files: files, quarantine: quarantine, ledger: ledger, countForModels: worker.countForModels, clean: worker.clean)
            let pool = CountsPool()
            do {
                try execute(files: files, worker: worker, pipeline: pipeline, options: options, merger: merger, pool: pool)
                try merger.resolveRepeats()
            } catch {
                ledger.discard()
                throw error
            }
            let counts = pool.merged(with: merger.removals)
            // A run that cannot mean anything (no clean rows, mostly quarantined, a field
            // mostly unmapped) fails here, before anything is published.
            let figures = RunFigures.quality(counts: counts, files: merger.files, pipeline: pipeline)
            let failedGates = pipeline.quality.evaluate(figures)
            if !failedGates.isEmpty { throw QualityGates.error(for: failedGates, pipelineFile: options.pipelinePath) }
            try quarantine.finish()
            try output.recordExisting("quarantine/rejected.csv.gz")

            let builder = EquityTableBuilder(
                routes: pipeline.routes, reasons: pipeline.reasons, ageBands: pipeline.enrich.ageBands, disclosure: pipeline.disclosure)
            let equityTables = builder.build(counts)
            for table in equityTables { try output.write("tables/\(table.name).csv", table.csv) }
            let modelsStarted = DispatchTime.now().uptimeNanoseconds
            let models = ModelTableBuilder(settings: pipeline.models, ageBands: pipeline.enrich.ageBands, disclosure: pipeline.disclosure)
                .build(counts.models)
            let modelsSeconds = Double(DispatchTime.now().uptimeNanoseconds - modelsStarted) / 1e9
            try output.write("tables/models.csv", models.table.csv)
            for failed in models.summaries where failed.status != "fitted" {
                StandardError.line("sprx: warning: model \(failed.name) not fitted: \(failed.errorCode ?? ""): \(failed.message ?? "")")
            }
            let quality = DataQualityTable.build(merger.files)
            try output.write("tables/data_quality.csv", quality.csv)
            let unmappedLabels = UnmappedLabelTable.published(merger.unmappedLabels, disclosure: pipeline.disclosure)
            try output.write("tables/unmapped_labels.csv", unmappedLabels.csv)
            try UnmappedLabelTable.writeQuarantine(merger.unmappedLabels, to: output)
            let period = counts.period
            let context = ReportContext(
                toolVersion: sprxVersion, pipelineName: pipeline.name, pipelineSHA256: pipeline.sourceSHA256,
                inputs: merger.files.map {
                    ReportContext.Input(
                        name: ($0.path as NSString).lastPathComponent, rowsRead: $0.rowsRead, clean: $0.clean, duplicate: $0.duplicate,
                        quarantined: $0.quarantined)
                },
                firstDay: period?.first.description, lastDay: period?.last.description, disclosureEnabled: pipeline.disclosure.enabled,
                disclosureStatement: pipeline.disclosure.statement,
                references: reference.files.map { ReportContext.Reference(name: $0.name, edition: $0.edition, use: $0.use) },
                models: models.summaries, displayNames: pipeline.displayNames, roundTo: pipeline.disclosure.roundTo, suppressUpTo: pipeline.disclosure.suppressUpTo)
            let published = equityTables + [models.table, quality, unmappedLabels]
            try output.write("report.html", Report.html(tables: published, context: context))
            try output.write("report.md", Report.markdown(tables: published, context: context))
            let manifest = Manifest(
                options: options, pipeline: pipeline, files: merger.files, reference: reference.files, outputs: output.written,
                started: started, finished: Date(), disclosure: pipeline.disclosure, models: models.summaries,
                modelsSeconds: modelsSeconds, period: period, unmappedLabels: merger.unmappedLabels)
            try output.write("manifest.json", try manifest.json(), record: false)
            try output.commit()
            return RunSummary(
                files: merger.files, counts: counts, models: models.summaries, outputDirectory: output.target.path,
                headline: Report.headline(tables: published), fieldQuality: RunFigures.summaryLines(figures))
        } catch {
            output.discard()
            throw error
        }
    }

    /// Reads, processes and merges every file.
    static func execute(
        files: [String], worker: BlockWorker, pipeline: PipelineConfiguration, options: RunOptions, merger: InOrderMerger,
        pool: CountsPool
    ) throws {
        let coordinator = MergeCoordinator(merger: merger, fileCount: files.count, window: 2 * options.jobs + 2)
        let progress = Progress(enabled: !options.quiet && isatty(2) == 1, files: files.count)
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
                    let (source, raw) = try InputOpener.open(path: path)
                    let reader = RowBlockReader(source: source, fileName: path, targetBlockSize: options.blockSize)
                    guard let header = try reader.readHeader() else {
                        throw SPRXError(.inputFormat, "file is empty: no header row", location: DataLocation(file: path, line: 1))
                    }
                    let layout = try ColumnLayout(header: header.names, headerLines: header.lines, pipeline: pipeline, file: path)
                    coordinator.setLayout(layout, file: fileIndex)
                    var blocks = 0
                    while let block = try reader.next() {
                        coordinator.waitForRoom(file: fileIndex)
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
                            let result = worker.process(block, layout: layout, into: &counts)
                            pool.give(counts)
                            coordinator.submit(result, file: fileIndex, block: block.index)
                            progress.add(rows: result.rowsRead, file: fileIndex)
                        }
                    }
                    coordinator.finishFile(
                        fileIndex, blocks: blocks, bytes: raw.bytesRead, decodedBytes: reader.decodedBytes, sha256: raw.finalizeSHA256())
                } catch {
                    coordinator.fail(error)
                }
            }
        }
        group.wait()
        progress.finish()
        if let error = coordinator.error { throw error }
        guard coordinator.mergedAll else {
            throw SPRXError(.internalError, "not every block was merged")
        }
    }
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
    private var fileInfo: [(Int64, Int64, String)?]
    private var currentFile = 0
    private var nextBlock = 0
    private var firstError: (any Error)?
    private let windows: [DispatchSemaphore]
    private let windowSize: Int

    init(merger: InOrderMerger, fileCount: Int, window: Int) {
        self.merger = merger
        pending = Array(repeating: [:], count: fileCount)
        blockCounts = Array(repeating: nil, count: fileCount)
        fileInfo = Array(repeating: nil, count: fileCount)
        windowSize = window
        windows = (0..<fileCount).map { _ in DispatchSemaphore(value: window) }
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

    func finishFile(_ file: Int, blocks: Int, bytes: Int64, decodedBytes: Int64, sha256: String) {
        lock.withLock {
            blockCounts[file] = blocks
            fileInfo[file] = (bytes, decodedBytes, sha256)
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
            if let result = pending[currentFile].removeValue(forKey: nextBlock) {
                do {
                    try merger.merge(result, file: currentFile)
                } catch {
                    firstError = error
                    wakeReaders()
                    return
                }
                nextBlock += 1
                windows[currentFile].signal()
            } else if let count = blockCounts[currentFile], count == nextBlock, let info = fileInfo[currentFile] {
                merger.finishFile(currentFile, bytes: info.0, decodedBytes: info.1, sha256: info.2)
                currentFile += 1
                nextBlock = 0
            } else {
                return
            }
        }
    }
}

/// Progress on stderr, only when stderr is a terminal.
///
/// `@unchecked Sendable`: counters are guarded by `lock`.
final class Progress: @unchecked Sendable {
    private let enabled: Bool
    private let files: Int
    private let lock = NSLock()
    private var rows = 0
    private var lastPrint = DispatchTime.now()

    init(enabled: Bool, files: Int) {
        self.enabled = enabled
        self.files = files
    }

    func add(rows added: Int, file: Int) {
        guard enabled else { return }
        lock.withLock {
            rows += added
            let now = DispatchTime.now()
            if now.uptimeNanoseconds - lastPrint.uptimeNanoseconds > 250_000_000 {
                lastPrint = now
                StandardError.raw("\rsprx: file \(file + 1)/\(files), \(rows) rows read")
            }
        }
    }

    func finish() {
        guard enabled else { return }
        StandardError.raw("\rsprx: \(rows) rows read\u{1B}[K\n")
    }
}
