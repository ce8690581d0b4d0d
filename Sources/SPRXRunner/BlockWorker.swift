import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

/// A row the runner set aside, with where it came from and why.
public struct QuarantinedRow: Sendable {
    public var line: Int
    public var reason: QuarantineReason
    public var column: String?
    public var raw: [UInt8]
}

/// What the merge step needs to know about a clean row to undo it if it turns out to
/// repeat an earlier referral.
struct CleanRowTrace: Sendable {
    var identity: RowIdentity
    var line: Int32
    /// The referral's full group key (``GroupKeySchema``).
    var key: UInt64
    var intervention: Bool
    var reasons: UInt32
    var rawStart: Int32
    var rawEnd: Int32
    /// The referral as the models count it.
    var model: ModelCell
    /// The referral's organisation_id (the empty code when it has none).
    var organisation: ShortCode
    /// The referral date.
    var day: Day
    /// 0 = area matched; else 1 + (unknown area) / 2 + nation*4 flags packed (see `areaCounts`).
    var areaFlags: UInt16
    /// Whether one of its labels is unmapped (taking it out again must find the label).
    var hasUnmappedLabels = false
    /// Neither a contacted flag nor a contact count (``ReferralRecord/contactUnknown``).
    var contactUnknown = false
}

/// One worker's result for one block: what the in-order merge needs. (The block's
/// referrals are already counted into the worker's ``ReferralCounts`` from the pool.)
struct BlockResult: Sendable {
    var rowsRead = 0
    var blankLines = 0
    var areaCounts = AreaMatchCounts()
    var unmapped: [UnmappedLabel: Int] = [:]
    /// Clean referrals with at least one reason no list names (``FileReconciliation/referralsWithUnmappedReason``).
    var referralsWithUnmappedReason = 0
    var quarantined: [QuarantinedRow] = []
    var cleanRows: [CleanRowTrace] = []
    /// The block's bytes, kept until merged so a conflicting row can be quarantined raw.
    var bytes: [UInt8] = []
    /// A quarantined row that swallowed more than ``InputLimits/maxLinesInAQuarantinedRow``
    /// physical lines (its first line and how many): the merge fails the file on it.
    var swallowed: (line: Int, lines: Int)?
}

/// Clean → enrich → aggregate for one block of rows. Runs on any worker thread; all it
/// shares is read-only rules.
struct BlockWorker: Sendable {
    let clean: CleanRules
    let enrich: EnrichRules
    /// How a referral's groups are packed into its key.
    let groupKey: GroupKeySchema
    /// The type of each route, by route index.
    let routeTypes: [RouteType]
    /// Whether to count the models' histograms (only when the pipeline declares models).
    let countForModels: Bool
    /// What of a referral the declared models look at.
    let modelProjection: ModelCellProjection
    /// Whether the models cluster by organisation; if not, model cells are not keyed by
    /// organisation at all, so a column of per-referral ids cannot grow the state.
    var modelsByOrganisation = true
    /// The period the pipeline fixes for the population rates: referrals dated outside it
    /// are kept out of the rates (and counted as such).
    var ratePeriod: ClosedRange<Day>? = nil

    /// Cleans and enriches the block's rows, counts the clean ones into `counts`, and
    /// returns what the in-order merge needs to judge duplicates and reconcile.
    /// `traces` is an empty array to append the clean rows' traces to (one handed back
    /// by an earlier block keeps its memory).
    func process(_ block: RowBlock, layout: ColumnLayout, into counts: inout ReferralCounts, traces: [CleanRowTrace] = []) -> BlockResult {
        var result = BlockResult()
        result.cleanRows = traces
        var batch = ReferralBatch()
        batch.reserveCapacity(block.bytes.count / 64)
        let processor = CleanProcessor(rules: clean, layout: layout)
        let scratch = CSVDecodeScratch()
        result.cleanRows.reserveCapacity(block.bytes.count / 64)
        // Referrals per packed area flags value (at most 2^9), turned into counts at the end.
        var flagCounts = [Int](repeating: 0, count: 1 << 9)
        // The month of the last referral date seen: exports are often in date order, so
        // most rows skip the calendar arithmetic.
        var lastDay = Day(daysSinceEpoch: Int32.min), lastMonth: UInt64 = 0
        block.bytes.withUnsafeBytes { blockBytes in
            let base = blockBytes.baseAddress
            CSVBlockDecoder.forEachRow(
                in: blockBytes, firstLine: block.firstLine, delimiter: layout.delimiter, scratch: scratch, blankLines: &result.blankLines
            ) { row in
                result.rowsRead += 1
                let unmappedBefore = processor.unmappedNoted, reasonsBefore = processor.unmappedReasonsNoted
                switch processor.process(row) {
                case .quarantined(let reason, let column):
                    // A row over the length limit is kept only as its first bytes.
                    let raw = reason == .rowTooLong ? Array(row.raw.prefix(InputLimits.quarantinedRowPrefixBytes)) : Array(row.raw)
                    result.quarantined.append(QuarantinedRow(line: row.line, reason: reason, column: column, raw: raw))
                    if reason == .unterminatedQuote && result.swallowed == nil {
                        // Open to the end of the file: rows after the quote would be lost
                        // as one field if there are many lines, or any line shaped like a
                        // row (as many delimiters as the header); a truncated last row is not.
                        let lines = row.raw.split(separator: 0x0A, omittingEmptySubsequences: false)
                        let rowShaped = lines.dropFirst().contains { line in
                            line.reduce(0) { $0 + ($1 == layout.delimiter.byte ? 1 : 0) } >= layout.fieldCount - 1
                        }
                        if lines.count > InputLimits.maxLinesInAQuarantinedRow || (layout.fieldCount > 1 && rowShaped) {
                            result.swallowed = (row.line, lines.count)
                        }
                    }
                case .clean(let record, let identity):
                    if processor.unmappedReasonsNoted != reasonsBefore { result.referralsWithUnmappedReason += 1 }
                    let (enrichment, flags) = enrich.enrichPacked(area: record.area, age: record.age)
                    if flags != 0 { flagCounts[Int(flags)] += 1 }
                    if enrichment.resident { counts.addCatchment(authority: enrichment.authority) }
                    if record.referralDate != lastDay {
                        lastDay = record.referralDate
                        lastMonth = GroupKeySchema.monthLevel(lastDay)
                    }
                    let contacted = record.reachedLinkWorker
                    let intervention = record.hadIntervention
                    let key =
                        groupKey.key(
                            ageBand: enrichment.ageBand, sex: record.sex, ethnicity: record.ethnicity, nation: enrichment.nation,
                            decile: enrichment.decile, rurality: enrichment.rurality, routeType: routeTypes[Int(record.route)],
                            contacted: contacted, route: record.route, month: lastMonth, standardAge: enrichment.standardAge,
                            resident: enrichment.resident, outsidePeriod: ratePeriod.map { !$0.contains(record.referralDate) } ?? false)
                        | record.dimensionBits
                    let organisation = record.organisation ?? ShortCode()
                    let model = ModelCell(
                        organisation: modelsByOrganisation ? organisation : nil, cell: modelProjection.apply(key),
                        contacts: record.contacts, interventions: record.interventions)
                    batch.append(
                        key: key, reasons: record.reasons, contacted: contacted, intervention: intervention,
                        contactUnknown: record.contactUnknown, interventionUnknown: record.interventions < 0, day: record.referralDate,
                        organisation: organisation, model: countForModels ? model : nil)
                    // safe: a row's raw bytes point into the block, so a row with a base address means the block has one
                    let start = row.raw.baseAddress.map { $0 - UnsafeRawPointer(base!) } ?? 0
                    result.cleanRows.append(
                        CleanRowTrace(
                            identity: identity, line: Int32(clamping: row.line), key: key, intervention: intervention,
                            reasons: record.reasons, rawStart: Int32(start),
                            rawEnd: Int32(start + row.raw.count), model: model, organisation: organisation, day: record.referralDate, areaFlags: flags,
                            hasUnmappedLabels: processor.unmappedNoted != unmappedBefore, contactUnknown: record.contactUnknown))
                }
            }
        }
        counts.add(batch, models: countForModels)
        if let skipped = block.rowTooLong {
            // The reader cut this row off after the block's rows: it was read, and is quarantined.
            result.rowsRead += 1
            result.quarantined.append(QuarantinedRow(line: skipped.line, reason: .rowTooLong, column: nil, raw: skipped.prefix))
            if skipped.lines > InputLimits.maxLinesInAQuarantinedRow && result.swallowed == nil {
                result.swallowed = (skipped.line, skipped.lines)
            }
        }
        for (flags, count) in flagCounts.enumerated() where count > 0 { result.areaCounts.add(packed: UInt16(flags), times: count) }
        result.unmapped = processor.unmapped
        result.bytes = block.bytes
        return result
    }
}

/// The workers' counts: each block is counted into a state taken from the pool and
/// given back, so there are at most `jobs` states, each added to by one worker at a
/// time, and nothing is merged on the serial in-order path. Counts are whole numbers,
/// so which state a block lands in does not change the merged total.
///
/// `@unchecked Sendable`: `lock` protects `idle`.
final class CountsPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [ReferralCounts] = []
    private let groupKey: GroupKeySchema

    init(groupKey: GroupKeySchema) { self.groupKey = groupKey }

    /// A state to count into (a fresh one if every state is in use).
    func take() -> ReferralCounts {
        lock.withLock { idle.popLast() } ?? ReferralCounts(schema: groupKey)
    }

    func give(_ counts: ReferralCounts) {
        lock.withLock { idle.append(counts) }
    }

    /// Every state merged, plus `adjustment` (the duplicates taken out again).
    func merged(with adjustment: ReferralCounts) -> ReferralCounts {
        // Take the states out of the pool, so merging into one does not copy it.
        var states =
            lock.withLock {
                defer { idle.removeAll() }
                return idle
            } + [adjustment]
        states.sort { $0.models.histogram.count + $0.outcomes.count > $1.models.histogram.count + $1.outcomes.count }
        var total = states.removeFirst()
        for state in states { total.merge(state) }
        total.compact()
        return total
    }
}
