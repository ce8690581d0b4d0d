import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

/// Merges block results in input order: per-file reconciliation, the quarantined rows
/// (handed to the ``CountSink``), and the ``DuplicateLedger`` that finds repeated referral ids across all files.
///
/// Not thread-safe by itself; ``Runner`` calls it under its lock, one block at a time,
/// in (file, block) order, so the first occurrence of a referral is always the one kept,
/// whatever `--jobs` is. Repeats are only known for certain at the end:
/// ``resolveRepeats()`` takes them out of the counts and quarantines the conflicts.
final class InOrderMerger {
    /// Repeats found by ``resolveRepeats()``, taken out again: added to the workers' counts at the end.
    private(set) var removals: ReferralCounts
    /// How the counts' keys are packed (a removed referral's contact flag is read from its key).
    private let groupKey: GroupKeySchema
    private(set) var files: [FileReconciliation]
    /// Every unmapped label of the run, bounded per field.
    private(set) var unmappedLabels: UnmappedLabelStore
    private let ledger: DuplicateLedger
    /// Where quarantined rows go.
    private let sink: any CountSink
    private let fileNames: [String]
    /// Whether the workers count the models' histograms (so duplicates must be taken out of them).
    private let countForModels: Bool
    /// The clean rules and each file's column layout, to find a repeated row's unmapped
    /// labels again from its raw bytes and take them back out.
    private let clean: CleanRules?
    private var layouts: [ColumnLayout?]

    init(
        files: [String], sink: any CountSink, ledger: DuplicateLedger, groupKey: GroupKeySchema, countForModels: Bool,
        clean: CleanRules? = nil
    ) {
        self.groupKey = groupKey
        removals = ReferralCounts(schema: groupKey)
        self.countForModels = countForModels
        self.clean = clean
        unmappedLabels = UnmappedLabelStore(fields: clean.map { LabelledField.all(of: $0.pipeline) } ?? LabelledField.canonical)
        self.layouts = Array(repeating: nil, count: files.count)
        self.files = files.map { FileReconciliation(path: $0) }
        self.fileNames = files
        self.sink = sink
        self.ledger = ledger
    }

    func merge(_ result: BlockResult, file: Int) throws {
        if let swallowed = result.swallowed {
            throw SPRXError(
                .inputFormat,
                "a quoted field opened on this line is not closed for \(swallowed.lines) lines: a stray quote would turn the rows after it into one field and lose them; fix the quoting (a quote inside a field is written twice)",
                location: DataLocation(file: files[file].path, line: swallowed.line))
        }
        var stats = files[file]
        stats.rowsRead += result.rowsRead
        stats.blankLines += result.blankLines
        stats.referralsWithUnmappedReason += result.referralsWithUnmappedReason
        ledger.warm(result.cleanRows)
        try result.bytes.withUnsafeBytes { bytes in
            for row in result.cleanRows {
                try ledger.record(row, file: file, raw: UnsafeRawBufferPointer(rebasing: bytes[Int(row.rawStart)..<Int(row.rawEnd)]))
            }
        }
        // Provisionally clean: repeats move to duplicate or quarantined in resolveRepeats().
        stats.clean += result.cleanRows.count
        for row in result.quarantined {
            stats.quarantined += 1
            stats.quarantineReasons[row.reason.rawValue, default: 0] += 1
            try sink.quarantine(row, file: fileNames[file])
        }
        // In (field, label) order, so which labels pass the store's limit does not
        // depend on dictionary order.
        for (label, count) in result.unmapped.sorted(by: { $0.key < $1.key }) {
            stats.unmapped[label.field.name, default: 0] += count
            unmappedLabels.add(field: label.field, label: label.label, count: count)
        }
        stats.areaCounts.merge(result.areaCounts)
        files[file] = stats
    }

    /// Records a file's column layout (called once its header is read).
    func setLayout(_ layout: ColumnLayout, file: Int) {
        layouts[file] = layout
        // Every field the layout has no column for is an optional one (a required or
        // mapped field without a column fails the header).
        files[file].fieldsNotRecorded = CanonicalField.allCases.filter { layout.index[$0] == nil }.map(\.rawValue)
    }

    /// The unmapped labels of one row, found again from its raw bytes.
    private func unmappedLabels(ofRaw raw: [UInt8], file: Int) -> [UnmappedLabel: Int] {
        guard let clean, let layout = layouts[file] else { return [:] }
        let processor = CleanProcessor(rules: clean, layout: layout)
        let scratch = CSVDecodeScratch()
        var blank = 0
        raw.withUnsafeBytes { bytes in
            CSVBlockDecoder.forEachRow(in: bytes, firstLine: 1, delimiter: layout.delimiter, scratch: scratch, blankLines: &blank) {
                _ = processor.process($0)
            }
        }
        return processor.unmapped
    }

    func finishFile(_ file: Int, _ info: FileFinish) {
        files[file].bytes = info.bytes
        files[file].decodedBytes = info.decodedBytes
        files[file].sha256 = info.sha256
        files[file].gzipPaddingBytes = info.gzipPaddingBytes
    }

    /// Takes every later occurrence of a referral_id out of the counts: a duplicate is
    /// counted as such, a conflict is quarantined (after the rows quarantined while
    /// reading, in input order).
    func resolveRepeats() throws {
        try ledger.resolve { try takeOut($0) }
    }

    /// Takes one later occurrence of a referral_id out of the counts, the file's
    /// reconciliation and the unmapped labels; quarantines it when it conflicts. Called
    /// in input order (a run's ledger, or a merge's, which reads the row again first).
    func takeOut(_ repeated: DuplicateLedger.Repeat) throws {
        let row = repeated.trace
        removals.add(
            key: row.key, reasons: row.reasons, contacted: groupKey.level(.contacted, of: row.key) == 1,
            intervention: row.intervention, contactUnknown: row.contactUnknown, interventionUnknown: row.model.interventions < 0, day: row.day,
            organisation: row.organisation,
            sign: -1)
        if countForModels { removals.models.add(row.model, sign: -1) }
        var stats = files[repeated.file]
        stats.areaCounts.subtract(AreaMatchCounts(packed: row.areaFlags))
        // Its unmapped labels were counted when it was read: take them back, so
        // overlapping extracts do not double the unmapped counts (or fail a gate).
        let labels = unmappedLabels(ofRaw: repeated.raw, file: repeated.file)
        if labels.keys.contains(where: { $0.field == LabelledField(.referralReasons) }) {
            stats.referralsWithUnmappedReason = max(0, stats.referralsWithUnmappedReason - 1)
        }
        for (label, count) in labels {
            stats.unmapped[label.field.name] = max(0, (stats.unmapped[label.field.name] ?? 0) - count)
            unmappedLabels.subtract(field: label.field, label: label.label, count: count)
        }
        stats.clean -= 1
        if repeated.isDuplicate {
            stats.duplicate += 1
        } else {
            stats.quarantined += 1
            stats.quarantineReasons[QuarantineReason.conflictingReferralID.rawValue, default: 0] += 1
            try sink.quarantine(
                QuarantinedRow(line: Int(row.line), reason: .conflictingReferralID, column: "referral_id", raw: repeated.raw),
                file: fileNames[repeated.file])
        }
        files[repeated.file] = stats
    }

    /// Takes in what a shard counted of its files (a merge): their reconciliations
    /// before repeats were resolved, starting at input `file`, and their unmapped labels.
    func adopt(_ counted: [FileReconciliation], from file: Int, unmapped: UnmappedLabelStore) {
        for (offset, reconciliation) in counted.enumerated() { files[file + offset] = reconciliation }
        unmappedLabels.add(unmapped)
    }
}
