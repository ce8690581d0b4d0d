import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

#if canImport(Glibc)
import Glibc
#endif

/// Sharded runs: a shard counts its inputs into a partial file; a merge adds partials
/// up into exactly what one run over every shard's inputs would have counted.
///
/// Design note: a shard keeps everything *before* repeats are resolved: the counts of
/// every clean row, its files' reconciliations, unmapped labels and quarantined rows,
/// and one record per clean row in input order (``PartialRowRecord``: the referral_id's
/// 128-bit hash, a hash of its content, and the key, codes and flags that take it out
/// of the counts again; no value of the row). All of it is additive or concatenated, so
/// merging partials in shard order is the state a single run holds once it has read
/// every file, and a merge of merges is a merge of all. Only the final merge finds
/// repeats: the same ledger as a run, over every shard's rows in order, so the first
/// occurrence kept and the duplicate or conflict decided are the single run's. A
/// duplicate is taken out from its record alone. A conflict's raw row (for the
/// quarantine) and a repeat's unmapped labels are in no partial (a partial holds no raw
/// rows but the quarantined ones): for those the merge reads the repeat's input file
/// again, through the same block worker, and checks each row it takes out has the
/// identity the shard recorded.
extension Runner {
    /// What a shard counted, for its summary line.
    public struct ShardSummary: Sendable {
        public var rowsRead: Int
        public var clean: Int
        public var quarantined: Int
        public var partialBytes: Int64
    }

    /// Counts `files` as one shard and writes its partial file at `partialPath`.
    ///
    /// No quality gate is judged and no disclosure control applied: both belong to the
    /// merge, which sees every shard.
    public static func countShard(
        pipeline: PipelineConfiguration, reference: ReferenceData, files: [String], options: RunOptions, partialPath: String,
        number: ShardNumber? = nil
    ) throws -> ShardSummary {
        let writer = try PartialWriter(path: partialPath)
        let sink = try PartialSink(besides: partialPath, files: files)
        defer { sink.remove() }
        do {
            let counted = try countRows(pipeline: pipeline, reference: reference, files: files, options: options, sink: sink, findsRepeats: false)
            let counts = counted.pool.merged(with: ReferralCounts(schema: pipeline.groupKey))
            let merger = counted.merger
            var header = expectedHeader(
                pipeline: pipeline,
                referenceFiles: try referenceFiles(reference: counted.reference, population: counted.population, organisations: counted.organisations))
            var shard = PartialHeader.Shard(files: merger.files)
            shard.number = number
            header.shards = [shard]
            header.rows = counted.ledger.rows
            header.quarantinedRows = sink.rows
            try writer.writeJSON(.header, header)
            try writer.writeJSON(.files, merger.files)
            try writer.writeJSON(.unmappedLabels, PartialLabels(merger.unmappedLabels))
            try writer.writeCompact(.counts, counts)
            // Runs of half a section, so even an incompressible run's gzip fits in one section
            // (a rows section is inflated alone).
            try counted.ledger.forEachRowRecordRun(maxBytes: PartialFormat.maxSection / 2) {
                try writer.write(.rows, try GzipDeflater.compress(PartialRowRecord.shuffled($0)))
            }
            try sink.forEachRun(maxBytes: PartialFormat.maxSection) { try writer.write(.quarantine, $0) }
            try writer.finish()
            return ShardSummary(files: merger.files, partialPath: partialPath)
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Resolves partial arguments: files as given, folders as their `*.sprxpart` files in name order.
    public static func resolvePartials(_ arguments: [String]) throws -> [String] {
        try InputResolver.resolve(
            arguments, reads: { $0.hasSuffix("." + PartialFormat.fileExtension) && !$0.hasPrefix(".") },
            described: "*.\(PartialFormat.fileExtension) partial files")
    }

    /// Opens and checks every partial against this pipeline and reference data, in order.
    ///
    /// - Throws: 65 for a file that is not a partial, is damaged or truncated, or repeats
    ///   a shard; 78 for one counted with another pipeline, other reference files or
    ///   another format version (each naming the file).
    static func openPartials(
        _ paths: [String], expected: PartialHeader, threads: Int, complete: Bool
    ) throws -> [(reader: PartialReader, header: PartialHeader)] {
        var opened: [(reader: PartialReader, header: PartialHeader)] = []
        var seen: [String: String] = [:]
        // Checksums verified side by side (a third of reading a partial); refusals in argument order.
        let verified = concurrentMap(count: paths.count, threads: threads) { index in Result { try PartialReader(path: paths[index]) } }
        for (path, verifiedReader) in zip(paths, verified) {
            let reader = try verifiedReader.get()
            let header = try reader.header()
            func mismatch(_ what: String) -> SPRXError {
                SPRXError(
                    .invalidPipeline, "this partial was counted with \(what) than this merge's; count every shard with the same pipeline and reference files",
                    location: DataLocation(file: path))
            }
            guard header.sprxVersion == expected.sprxVersion else {
                throw SPRXError(
                    .invalidPipeline,
                    "this partial was counted by sprx \(DisplayText.escaped(header.sprxVersion)), this merge is sprx \(expected.sprxVersion): count every shard with the same sprx",
                    location: DataLocation(file: path))
            }
            guard header.pipelineSHA256 == expected.pipelineSHA256 else { throw mismatch("another pipeline file (its sha256 differs)") }
            guard header.layout == expected.layout else { throw mismatch("another group key layout") }
            guard header.reference == expected.reference else {
                let differing = zip(header.reference, expected.reference).first { $0 != $1 }.map { " (\($0.1.name))" } ?? ""
                throw mismatch("other reference files\(differing)")
            }
            for shard in header.shards {
                if let first = seen[shard.id], first == path {
                    throw SPRXError(
                        .inputFormat, "this partial is given twice (by name, or once by name and once in its folder); give each shard once",
                        location: DataLocation(file: path))
                }
                if let first = seen[shard.id] {
                    throw SPRXError(
                        .inputFormat,
                        "this partial repeats a shard already given in \(DisplayText.escaped(first)) (the same input files, counted twice); give each shard once",
                        location: DataLocation(file: path))
                }
                seen[shard.id] = path
            }
            opened.append((reader, header))
        }
        try checkShardNumbers(opened.map { ($0.reader.path, $0.header.shards) }, complete: complete)
        return opened
    }

    /// Shards counted with numbers (`--shard-index`, `--shard-count`) must come in order,
    /// each once, all of one run; `complete` (a final merge) also wants every one.
    static func checkShardNumbers(_ partials: [(path: String, shards: [PartialHeader.Shard])], complete: Bool) throws {
        let leaves = partials.flatMap { partial in partial.shards.map { (path: partial.path, number: $0.number) } }
        guard let numbered = leaves.first(where: { $0.number != nil }), let count = numbered.number?.count else { return }
        func refuse(_ path: String, _ message: String) -> SPRXError {
            SPRXError(
                .inputFormat,
                message + "; give the partials in shard order, each once (a folder's names sort so when zero-padded: shard-0009 before shard-0010)",
                location: DataLocation(file: path))
        }
        var previous = -1
        for leaf in leaves {
            guard let number = leaf.number else {
                throw refuse(
                    leaf.path, "this partial has no shard number while others do (--shard-index and --shard-count: give every shard its number, or none)")
            }
            guard number.count == count else {
                throw refuse(leaf.path, "this partial is \(number), another given is one of \(count) shards: partials of different runs")
            }
            guard number.index > previous else { throw refuse(leaf.path, "this partial (\(number)) is out of place or given twice") }
            guard !complete || number.index == previous + 1 else {
                throw refuse(leaf.path, "shard \(previous + 1) of \(count) is missing before this partial (\(number))")
            }
            previous = number.index
        }
        if complete && previous != count - 1 {
            throw refuse(leaves.last?.path ?? "", "shards \(previous + 1) to \(count - 1) of \(count) (counting from 0) are missing after this partial")
        }
    }

    /// Every partial's counts added up, decoded side by side (each thread sums its share;
    /// the sums are added in thread order: whole numbers, so the total is the same in any
    /// order). A damaged partial's error is the first in argument order.
    static func sumOfCounts(_ readers: [PartialReader], schema: GroupKeySchema, threads: Int) throws -> ReferralCounts {
        let threads = max(1, min(threads, readers.count))
        let sums = concurrentMap(count: threads, threads: threads) { thread -> (total: ReferralCounts, failure: (index: Int, error: any Error)?) in
            var total = ReferralCounts(schema: schema)
            for index in stride(from: thread, to: readers.count, by: threads) {
                do { try total.merge(counted: try readers[index].counts(schema: schema)) } catch { return (total, (index, error)) }
            }
            return (total, nil)
        }
        if let failure = sums.compactMap(\.failure).min(by: { $0.index < $1.index }) { throw failure.error }
        var total = ReferralCounts(schema: schema)
        for sum in sums { total.merge(sum.total) }
        return total
    }

    /// The header every partial of a merge must match: this pipeline, its layout and its reference files.
    static func expectedHeader(pipeline: PipelineConfiguration, referenceFiles: [ReferenceFileInfo]) -> PartialHeader {
        PartialHeader(
            pipelineSHA256: pipeline.sourceSHA256, layout: pipeline.groupKey.layoutDescription,
            reference: referenceFiles.map { PartialHeader.Reference(name: $0.name, sha256: $0.sha256) }, shards: [], rows: 0,
            quarantinedRows: 0)
    }

    /// Every reference file a run reads: the lookups, the populations and the organisation files, in the manifest's order.
    static func referenceFiles(
        reference: ReferenceData, population: Deferred<PopulationDenominators?>, organisations: Deferred<OrganisationData>
    ) throws -> [ReferenceFileInfo] {
        reference.files + (try population.value()?.files ?? []) + (try organisations.value().files)
    }

    /// Merges partials into what one run over every shard's inputs, in shard order,
    /// would have counted: repeats across shards found and taken out, gates judged.
    public static func merge(
        pipeline: PipelineConfiguration, reference: ReferenceData, partials: [String], options: RunOptions, sink: any CountSink
    ) throws -> RunResult {
        let (population, organisations) = loadAside(pipeline: pipeline, reference: reference, options: options)
        let referenceFiles = try referenceFiles(reference: reference, population: population, organisations: organisations)
        let opened = try openPartials(
            partials, expected: expectedHeader(pipeline: pipeline, referenceFiles: referenceFiles), threads: options.jobs, complete: true)
        let worker = try makeWorker(pipeline: pipeline, reference: reference)
        var fileLists: [[FileReconciliation]] = []
        for partial in opened { fileLists.append(try partial.reader.files(header: partial.header)) }
        let paths = fileLists.flatMap { $0.map(\.path) }
        let resolvedPaths = opened.flatMap { $0.header.shards.flatMap(\.resolved) }
        let ledger = try DuplicateLedger(directory: sink.workDirectory)
        let merger = InOrderMerger(
            files: paths, sink: sink, ledger: ledger, groupKey: pipeline.groupKey, countForModels: worker.countForModels, clean: worker.clean)
        var total = ReferralCounts(schema: pipeline.groupKey)
        do {
            // The counts first: a partial damaged there is named before one damaged later on.
            try total.merge(counted: try sumOfCounts(opened.map(\.reader), schema: pipeline.groupKey, threads: options.jobs))
            var firstFile = 0
            for (partial, files) in zip(opened, fileLists) {
                try partial.reader.take(
                    files: files, header: partial.header, schema: pipeline.groupKey,
                    row: { trace, file in try ledger.record(trace, file: firstFile + file, raw: UnsafeRawBufferPointer(start: nil, count: 0)) },
                    quarantined: { row, file in try sink.quarantine(row, file: paths[firstFile + file]) })
                merger.adopt(files, from: firstFile, unmapped: try partial.reader.unmappedLabels(pipeline: pipeline))
                firstFile += files.count
            }
            try takeOutRepeats(ledger: ledger, merger: merger, worker: worker, pipeline: pipeline, options: options, resolvedPaths: resolvedPaths)
        } catch {
            ledger.discard()
            throw error
        }
        total.merge(merger.removals)
        var result = try conclude(
            counts: total, merger: merger, reference: reference, population: population, organisations: organisations, pipeline: pipeline,
            options: options, sink: sink)
        result.shards = opened.flatMap(\.header.shards)
        return result
    }

    /// Finds every repeat across the shards' rows and takes each out, in input order: a
    /// duplicate without unmapped labels from its record; in a file with a conflict (its
    /// raw row is quarantined) or a repeat with unmapped labels, every repeat from the
    /// file read again.
    static func takeOutRepeats(
        ledger: DuplicateLedger, merger: InOrderMerger, worker: BlockWorker, pipeline: PipelineConfiguration, options: RunOptions,
        resolvedPaths: [String]
    ) throws {
        var repeats: [DuplicateLedger.Repeat] = []
        try ledger.resolve { repeats.append($0) }
        guard !repeats.isEmpty else { return }
        // Where each file's clean rows start in the ledger's sequence.
        var firstRow: [Int64] = []
        var rows: Int64 = 0
        for file in merger.files {
            firstRow.append(rows)
            rows += Int64(file.clean)
        }
        var next = 0
        while next < repeats.count {
            let file = repeats[next].file
            var end = next
            while end < repeats.count && repeats[end].file == file { end += 1 }
            let wanted = repeats[next..<end]
            next = end
            guard wanted.contains(where: { !$0.isDuplicate || $0.trace.hasUnmappedLabels }) else {
                for repeated in wanted { try merger.takeOut(repeated) }
                continue
            }
            var index = wanted.startIndex
            let path = merger.files[file].path
            // Where the shard read it (its absolute path), else as the shard named it.
            let readPath = file < resolvedPaths.count && FileManager.default.isReadableFile(atPath: resolvedPaths[file]) ? resolvedPaths[file] : path
            try readCleanRows(path: readPath, file: file, worker: worker, pipeline: pipeline, options: options, merger: merger) { ordinal, trace, raw in
                let repeated = wanted[index]
                guard ordinal == repeated.sequence - firstRow[file] else { return true }
                guard trace.identity == repeated.trace.identity else {
                    throw SPRXError(
                        .inputFormat,
                        "this input file is not as it was when its shard was counted (a row's referral differs); count its shard again, or keep inputs unchanged until the merge",
                        location: DataLocation(file: readPath, line: Int(trace.line)))
                }
                try merger.takeOut(DuplicateLedger.Repeat(trace: trace, file: file, sequence: repeated.sequence, isDuplicate: repeated.isDuplicate, raw: raw))
                index += 1
                return index < wanted.endIndex
            }
            guard index == wanted.endIndex else {
                throw SPRXError(
                    .inputFormat,
                    "this input file has fewer clean rows than when its shard was counted; count its shard again, or keep inputs unchanged until the merge",
                    location: DataLocation(file: readPath))
            }
        }
    }

    /// Reads one input file again through the block worker, calling `body` with each
    /// clean row's ordinal, trace and raw bytes until it returns `false`.
    static func readCleanRows(
        path: String, file: Int, worker: BlockWorker, pipeline: PipelineConfiguration, options: RunOptions, merger: InOrderMerger,
        _ body: (Int64, CleanRowTrace, [UInt8]) throws -> Bool
    ) throws {
        let opened: InputOpener.OpenedInput
        do { opened = try InputOpener.openInput(path: path, encoding: pipeline.input.encoding) } catch var error as SPRXError {
            // Say why a merge reads an input at all, and what to do.
            error.message +=
                "; the merge reads this input again for a referral it repeats (a conflict's raw row, or an unmapped label): put the file back at this path, or run the merge where the shards' inputs are"
            throw error
        }
        let reader = RowBlockReader(source: opened.source, fileName: path, delimiter: pipeline.input.delimiter, targetBlockSize: options.blockSize)
        guard let header = try reader.readHeader() else {
            throw SPRXError(.inputFormat, "file is empty: no header row", location: DataLocation(file: path, line: 1))
        }
        let layout = try ColumnLayout(header: header.names, headerLines: header.lines, pipeline: pipeline, file: path)
        merger.setLayout(layout, file: file)
        var ordinal: Int64 = 0
        while let block = try reader.next() {
            var scratch = ReferralCounts(schema: pipeline.groupKey)
            let result = worker.process(block, layout: layout, into: &scratch)
            for trace in result.cleanRows {
                let raw = Array(result.bytes[Int(trace.rawStart)..<Int(trace.rawEnd)])
                guard try body(ordinal, trace, raw) else { return }
                ordinal += 1
            }
        }
    }

    /// Merges partials into one partial (a node of a merge tree): everything
    /// concatenated or added, repeats left for the final merge.
    public static func mergeToPartial(
        pipeline: PipelineConfiguration, reference: ReferenceData, partials: [String], options: RunOptions, partialPath: String
    ) throws -> ShardSummary {
        let (population, organisations) = loadAside(pipeline: pipeline, reference: reference, options: options)
        let expected = expectedHeader(
            pipeline: pipeline, referenceFiles: try referenceFiles(reference: reference, population: population, organisations: organisations))
        let opened = try openPartials(partials, expected: expected, threads: options.jobs, complete: false)
        let writer = try PartialWriter(path: partialPath)
        do {
            var files: [FileReconciliation] = []
            var labels = UnmappedLabelStore(fields: LabelledField.all(of: pipeline))
            var total = ReferralCounts(schema: pipeline.groupKey)
            var fileCounts: [Int] = []
            // The counts first: a partial damaged there is named before one damaged later on.
            try total.merge(counted: try sumOfCounts(opened.map(\.reader), schema: pipeline.groupKey, threads: options.jobs))
            for partial in opened {
                // Every check a merge makes, so a damaged partial is refused here, by its own name.
                let partialFiles = try partial.reader.files(header: partial.header)
                try partial.reader.take(files: partialFiles, header: partial.header, schema: pipeline.groupKey, row: { _, _ in }, quarantined: { _, _ in })
                fileCounts.append(partialFiles.count)
                files += partialFiles
                labels.add(try partial.reader.unmappedLabels(pipeline: pipeline))
            }
            var header = expected
            header.shards = opened.flatMap(\.header.shards)
            header.rows = opened.reduce(0) { $0 + $1.header.rows }
            header.quarantinedRows = opened.reduce(0) { $0 + $1.header.quarantinedRows }
            try writer.writeJSON(.header, header)
            try writer.writeJSON(.files, files)
            try writer.writeJSON(.unmappedLabels, PartialLabels(labels))
            try writer.writeCompact(.counts, total)
            for partial in opened {
                try partial.reader.forEachSection { kind, payload in if kind == .rows { try writer.write(.rows, Array(payload)) } }
            }
            var firstFile = 0
            for (partial, count) in zip(opened, fileCounts) {
                var run: [UInt8] = []
                try partial.reader.forEachQuarantinedRecord { record in
                    var shifted = record
                    shifted.file = UInt32(firstFile) + record.file  // checked by take(): record.file < count
                    shifted.encode(into: &run)
                    if run.count >= PartialFormat.maxSection / 2 {
                        try writer.write(.quarantine, run)
                        run.removeAll(keepingCapacity: true)
                    }
                }
                if !run.isEmpty { try writer.write(.quarantine, run) }
                firstFile += count
            }
            try writer.finish()
            return ShardSummary(files: files, partialPath: partialPath)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

extension Runner.ShardSummary {
    /// The summary of a partial written for these files.
    init(files: [FileReconciliation], partialPath: String) {
        self.init(
            rowsRead: files.reduce(0) { $0 + $1.rowsRead }, clean: files.reduce(0) { $0 + $1.clean },
            quarantined: files.reduce(0) { $0 + $1.quarantined },
            partialBytes: (try? FileManager.default.attributesOfItem(atPath: partialPath)[.size] as? NSNumber)?.int64Value ?? 0)
    }
}

extension PartialHeader.Shard {
    /// A shard of these files: its id hashes their paths and contents, in order.
    init(files: [FileReconciliation]) {
        var hash = SHA256()
        for file in files { hash.update(Array((file.path + "\t" + file.sha256 + "\n").utf8)) }
        self.init(
            id: hash.finalizeHex(), inputs: files.map(\.path), resolved: files.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path })
    }
}

/// The unmapped labels as a partial stores them: per field name, each label's count.
struct PartialLabels: Codable {
    var fields: [String: [String: Int]]

    init(_ store: UnmappedLabelStore) {
        var fields: [String: [String: Int]] = [:]
        for (field, labels) in store.labels { fields[field.name] = labels }
        self.fields = fields
    }
}

/// One quarantined row as a partial stores it: the input file's index in the partial,
/// then the row (little-endian lengths).
struct QuarantineRecord {
    var file: UInt32
    var row: QuarantinedRow

    /// Appends the record's bytes.
    func encode(into bytes: inout [UInt8]) {
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        append(file)
        append(UInt64(row.line))
        let reason = Array(row.reason.rawValue.utf8)
        append(UInt16(reason.count))
        bytes += reason
        let column = row.column.map { Array($0.utf8) }
        append(UInt32(column.map { $0.count + 1 } ?? 0))
        bytes += column ?? []
        append(UInt32(row.raw.count))
        bytes += row.raw
    }

    /// Decodes one record from the front of `bytes`, returning it and its length;
    /// `nil` when `bytes` does not yet hold a whole record.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(QuarantineRecordError) -> (QuarantineRecord, Int)? {
        var at = bytes.startIndex
        func read<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard bytes.endIndex - at >= size else { return nil }
            var value: T = 0
            for i in 0..<size { value |= T(bytes[at + i]) << (8 * i) }
            at += size
            return value
        }
        func take(_ count: Int) -> [UInt8]? {
            guard bytes.endIndex - at >= count else { return nil }
            defer { at += count }
            return Array(bytes[at..<(at + count)])
        }
        guard let file = read(UInt32.self), let line = read(UInt64.self), let reasonLength = read(UInt16.self),
            let reasonBytes = take(Int(reasonLength)), let columnLength = read(UInt32.self),
            let columnBytes = take(columnLength == 0 ? 0 : Int(columnLength) - 1), let rawLength = read(UInt32.self),
            let raw = take(Int(rawLength))
        else { return nil }
        guard let reason = QuarantineReason(rawValue: String(decoding: reasonBytes, as: UTF8.self)), line <= UInt64(Int.max) else {
            throw QuarantineRecordError()
        }
        let column = columnLength == 0 ? nil : String(decoding: columnBytes, as: UTF8.self)
        return (QuarantineRecord(file: file, row: QuarantinedRow(line: Int(line), reason: reason, column: column, raw: raw)), at - bytes.startIndex)
    }
}

/// A quarantine record that cannot be one (an unknown reason).
struct QuarantineRecordError: Error {}

extension PartialReader {
    /// The files section: the shard's files' reconciliations, checked to add up (no
    /// negative count; rows read = clean + quarantined, the reasons summing to the
    /// quarantined; one file per input the header names).
    func files(header: PartialHeader) throws -> [FileReconciliation] {
        let files = try json(.files, as: [FileReconciliation].self)
        guard files.count == header.shards.reduce(0, { $0 + $1.inputs.count }), header.shards.allSatisfy({ $0.resolved.count == $0.inputs.count }) else {
            throw damaged("its files are not the inputs its header names")
        }
        for file in files {
            let counts =
                [file.rowsRead, file.clean, file.duplicate, file.quarantined, file.blankLines] + Array(file.quarantineReasons.values)
                + Array(file.unmapped.values)
            // Bounded, so no sum of them overflows.
            guard counts.allSatisfy({ (0...(1 << 48)).contains($0) }), file.duplicate == 0, file.rowsRead == file.clean + file.quarantined,
                file.quarantineReasons.values.reduce(0, +) == file.quarantined
            else { throw damaged("a file's counts do not add up") }
        }
        return files
    }

    /// The counts section.
    func counts(schema: GroupKeySchema) throws -> ReferralCounts {
        let bytes = try payload(of: .counts)
        let compact = try Self.inflated(bytes, path: path, limit: PartialFormat.inflatedLimit(compressed: bytes.count))
        let counts: ReferralCounts
        do { counts = try CompactCoder.decode(ReferralCounts.self, from: compact) } catch { throw damaged("its counts section cannot be read") }
        if let problem = counts.problem(schema: schema) { throw damaged("its counts hold \(problem) no run makes") }
        return counts
    }

    /// The unmapped labels, as a store of this pipeline's labelled fields.
    func unmappedLabels(pipeline: PipelineConfiguration) throws -> UnmappedLabelStore {
        let stored = try json(.unmappedLabels, as: PartialLabels.self)
        let fields = LabelledField.all(of: pipeline)
        var store = UnmappedLabelStore(fields: fields)
        for (name, labels) in stored.fields.sorted(by: { $0.key < $1.key }) {
            guard let field = fields.first(where: { $0.name == name }) else { throw damaged("its unmapped labels name a field this pipeline does not have") }
            for (label, count) in labels.sorted(by: { $0.key < $1.key }) {
                guard count > 0 else { throw damaged("an unmapped label's count is not positive") }
                store.add(field: field, label: label, count: count)
            }
        }
        return store
    }

    /// Every section of one kind, concatenated and decoded as gzip-compressed JSON (at
    /// most ``PartialFormat/maxInflation`` times its compressed size).
    private func json<T: Decodable>(_ kind: PartialFormat.Section, as type: T.Type) throws -> T {
        let bytes = try payload(of: kind)
        let json = try Self.inflated(bytes, path: path, limit: PartialFormat.inflatedLimit(compressed: bytes.count))
        do { return try JSONDecoder().decode(type, from: Data(json)) } catch { throw damaged("its \(kind) section cannot be read") }
    }

    /// Calls `body` with each quarantined row's record, in order.
    func forEachQuarantinedRecord(_ body: (QuarantineRecord) throws -> Void) throws {
        var stream = QuarantineStream()
        try forEachSection { kind, payload in if kind == .quarantine { try stream.add(payload, from: self, body) } }
        try stream.finish(from: self)
    }

    /// Quarantine sections' records, decoded as the sections come (a record may span two).
    private struct QuarantineStream {
        var pending: [UInt8] = []

        mutating func add(_ payload: UnsafeRawBufferPointer, from reader: PartialReader, _ body: (QuarantineRecord) throws -> Void) throws {
            pending.append(contentsOf: payload)
            var start = 0
            while true {
                let decoded: (QuarantineRecord, Int)?
                do { decoded = try QuarantineRecord.decode(pending[start...]) } catch { throw reader.damaged("a quarantined row cannot be read") }
                guard let (record, length) = decoded else { break }
                try body(record)
                start += length
            }
            pending.removeFirst(start)
            guard pending.count <= PartialFormat.maxSection + InputLimits.quarantinedRowPrefixBytes + 64 else {
                throw reader.damaged("a quarantined row is longer than any sprx writes")
            }
        }

        func finish(from reader: PartialReader) throws {
            guard pending.isEmpty else { throw reader.damaged("it ends inside a quarantined row") }
        }
    }

    /// Reads the partial's rows into a merge, in one pass: each clean row's record with
    /// its file's index in the partial, each quarantined row with its file's index.
    /// Checks the rows are as many as the header and the files say.
    func take(
        files: [FileReconciliation], header: PartialHeader, schema: GroupKeySchema, row: (CleanRowTrace, Int) throws -> Void,
        quarantined: (QuarantinedRow, Int) throws -> Void
    ) throws {
        let size = PartialRowRecord.size
        var file = 0
        var leftInFile = files.first.map { Int64($0.clean) } ?? 0
        var rows: Int64 = 0
        var quarantinedRows: Int64 = 0
        var perFile = [Int](repeating: 0, count: files.count)
        var stream = QuarantineStream()
        try forEachSection { kind, payload in
            if kind == .quarantine {
                try stream.add(payload, from: self) { record in
                    guard Int(record.file) < files.count else { throw damaged("a quarantined row names a file it does not have") }
                    try quarantined(record.row, Int(record.file))
                    perFile[Int(record.file)] += 1
                    quarantinedRows += 1
                }
                return
            }
            guard kind == .rows else { return }
            let planes = try Self.inflated(Array(payload), path: path, limit: PartialFormat.maxSection)
            guard planes.count % size == 0 else { throw damaged("a row record is cut short") }
            let records = PartialRowRecord.unshuffled(planes)
            try records.withUnsafeBytes { records in
                for offset in stride(from: 0, to: records.count, by: size) {
                    while leftInFile == 0 && file + 1 < files.count {
                        file += 1
                        leftInFile = Int64(files[file].clean)
                    }
                    guard leftInFile > 0 else { throw damaged("it holds more row records than clean rows") }
                    guard let record = PartialRowRecord.decode(records, at: offset, schema: schema) else {
                        throw damaged("a row record holds a value no run makes")
                    }
                    try row(record, file)
                    leftInFile -= 1
                    rows += 1
                }
            }
        }
        try stream.finish(from: self)
        guard rows == header.rows, rows == files.reduce(Int64(0), { $0 + Int64($1.clean) }) else {
            throw damaged("its row records are not as many as its clean rows")
        }
        guard quarantinedRows == header.quarantinedRows, perFile == files.map(\.quarantined) else {
            throw damaged("its quarantined rows are not as many as its header and files say")
        }
    }
}

/// A shard's sink: quarantined rows spilled to an owner-only work file beside the
/// partial (then copied into it), and the duplicate ledger's work folder there too.
final class PartialSink: CountSink {
    let base: URL
    let workDirectory: URL
    private let spill: SpillFile
    private let files: [String]
    private var file = 0
    private(set) var rows: Int64 = 0
    private var record: [UInt8] = []

    init(besides partialPath: String, files: [String]) throws {
        // A name no other process has (a retried shard in a container may have the same pid).
        base = PartialWorkName.make(.workFolder, beside: partialPath)
        do {
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SPRXError(.outputFailed, "cannot create the shard's work folder beside its partial", location: DataLocation(file: base.path), cause: error)
        }
        InterruptCleanup.register(base.path)
        workDirectory = base.appendingPathComponent("ledger")
        spill = try SpillFile(path: base.appendingPathComponent("quarantine.bin").path)
        self.files = files
    }

    func quarantine(_ row: QuarantinedRow, file path: String) throws {
        // Rows come in input order; a file may be named twice, so look from the current one on.
        while file < files.count && files[file] != path { file += 1 }
        record.removeAll(keepingCapacity: true)
        QuarantineRecord(file: UInt32(min(file, files.count - 1)), row: row).encode(into: &record)
        try record.withUnsafeBytes { try spill.append($0) }
        rows += 1
    }

    func finish() throws {}

    /// Calls `body` with the spilled records in order, in runs of at most about `maxBytes`.
    func forEachRun(maxBytes: Int, _ body: ([UInt8]) throws -> Void) throws {
        try spill.finish()
        var run: [UInt8] = []
        try spill.forEachChunk { chunk in
            var rest = chunk[...]
            while !rest.isEmpty {
                let n = min(rest.count, maxBytes - run.count)
                run.append(contentsOf: rest.prefix(n))
                rest = rest.dropFirst(n)
                if run.count >= maxBytes {
                    try body(run)
                    run.removeAll(keepingCapacity: true)
                }
            }
        }
        if !run.isEmpty { try body(run) }
    }

    /// Removes the work folder.
    func remove() {
        try? FileManager.default.removeItem(at: base)
        InterruptCleanup.unregister(base.path)
    }
}
