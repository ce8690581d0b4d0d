import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// Per-file accounting: every row read ends clean, duplicate or quarantined.
public struct FileReconciliation: Sendable, Codable, Equatable {
    public var path: String
    public var bytes: Int64 = 0
    public var decodedBytes: Int64 = 0
    public var sha256: String = ""
    public var rowsRead = 0
    public var clean = 0
    public var duplicate = 0
    public var quarantined = 0
    public var blankLines = 0
    public var quarantineReasons: [String: Int] = [:]
    public var unmapped: [String: Int] = [:]
    public var areaCounts = AreaMatchCounts()

    public init(path: String) { self.path = path }

    /// rows read = clean + duplicate + quarantined.
    public var reconciles: Bool { rowsRead == clean + duplicate + quarantined }
}

/// Merges block results in input order: duplicate detection across all files, global
/// counts, per-file reconciliation and the quarantine stream.
///
/// Not thread-safe by itself; ``Runner`` calls it under its lock, one block at a time,
/// in (file, block) order, so the first occurrence of a referral is always the one kept,
/// whatever `--jobs` is.
final class InOrderMerger {
    /// The earliest and latest referral date among clean referrals.
    private(set) var firstDay: Day?
    private(set) var lastDay: Day?
    /// Duplicates found here, taken out again: added to the workers' counts at the end.
    private(set) var removals = ReferralCounts()
    private(set) var files: [FileReconciliation]
    /// First clean occurrence of each referral_id (128-bit hash) → content hash.
    private var seen: [IDKey: UInt64] = [:]
    private let quarantine: QuarantineWriter
    private let fileNames: [String]
    /// Whether the workers count the models' histograms (so duplicates must be taken out of them).
    private let countForModels: Bool

    struct IDKey: Hashable {
        var low: UInt64
        var high: UInt64
    }

    init(files: [String], quarantine: QuarantineWriter, countForModels: Bool) {
        self.countForModels = countForModels
        self.files = files.map { FileReconciliation(path: $0) }
        self.fileNames = files
        self.quarantine = quarantine
    }

    func merge(_ result: BlockResult, file: Int) throws {
        var stats = files[file]
        stats.rowsRead += result.rowsRead
        stats.blankLines += result.blankLines
        // Quarantine rows and clean candidates interleave by line; write quarantine in line order.
        var conflicts: [QuarantinedRow] = []
        var areaCounts = result.areaCounts
        var cleanHere = 0
        for row in result.cleanRows {
            let key = IDKey(low: row.identity.idLow, high: row.identity.idHigh)
            if let content = seen[key] {
                removals.add(
                    pattern: row.pattern, route: row.route, reasons: row.reasons, contacted: row.contacted, intervention: row.intervention,
                    sign: -1)
                if countForModels { removals.models.add(row.model, sign: -1) }
                areaCounts.subtract(BlockWorker.unpack(row.areaFlags))
                if content == row.identity.content {
                    stats.duplicate += 1
                } else {
                    let raw = Array(result.bytes[Int(row.rawStart)..<Int(row.rawEnd)])
                    conflicts.append(QuarantinedRow(line: Int(row.line), reason: .conflictingReferralID, column: "referral_id", raw: raw))
                }
            } else {
                seen[key] = row.identity.content
                cleanHere += 1
                if firstDay.map({ row.day < $0 }) ?? true { firstDay = row.day }
                if lastDay.map({ row.day > $0 }) ?? true { lastDay = row.day }
            }
        }
        stats.clean += cleanHere
        let allQuarantined = (result.quarantined + conflicts).sorted { $0.line < $1.line }
        for row in allQuarantined {
            stats.quarantined += 1
            stats.quarantineReasons[row.reason.rawValue, default: 0] += 1
            try quarantine.write(file: fileNames[file], row: row)
        }
        for (label, count) in result.unmapped {
            stats.unmapped["unmapped:\(label.field.rawValue):\(label.label)", default: 0] += count
        }
        stats.areaCounts.merge(areaCounts)
        files[file] = stats
    }

    func finishFile(_ file: Int, bytes: Int64, decodedBytes: Int64, sha256: String) {
        files[file].bytes = bytes
        files[file].decodedBytes = decodedBytes
        files[file].sha256 = sha256
    }
}
