import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXPipeline

/// One clean row as a partial file stores it: its identity, and what taking it out of
/// the counts again needs if the merge finds it repeats an earlier referral. No value of
/// the row: hashes, the group key, codes and flags (little-endian, 76 bytes).
///
///     identity: id hash low, high, content hash (3 × UInt64)
///     line (Int32) · key (UInt64) · reasons (UInt32)
///     flags (UInt8): 1 intervention, 2 an unmapped label, 4 the model cell keeps the organisation,
///     8 no contact recorded
///     day (Int32, days since 1970-01-01) · organisation (UInt64, UInt64, UInt8: ``ShortCode``)
///     model cell (UInt32) · contacts (Int32) · interventions (Int32) · area flags (UInt16)
enum PartialRowRecord {
    /// Bytes per record.
    static let size = 76

    /// Whole records with their bytes regrouped by position (every record's byte 0, then
    /// every record's byte 1, ...), as a partial's rows section stores them: the key's,
    /// the codes' and the flags' bytes then repeat in long runs, and the section
    /// compresses to about a third of its size (the identities' hashes do not compress).
    static func shuffled(_ records: [UInt8]) -> [UInt8] {
        precondition(records.count % size == 0)
        let n = records.count / size
        var out = [UInt8](repeating: 0, count: records.count)
        for r in 0..<n {
            for b in 0..<size { out[b * n + r] = records[r * size + b] }
        }
        return out
    }

    /// The records ``shuffled(_:)`` regrouped, back in record order.
    static func unshuffled(_ planes: [UInt8]) -> [UInt8] {
        precondition(planes.count % size == 0)
        let n = planes.count / size
        var out = [UInt8](repeating: 0, count: planes.count)
        for b in 0..<size {
            for r in 0..<n { out[r * size + b] = planes[b * n + r] }
        }
        return out
    }

    /// Appends one row's record.
    static func encode(_ trace: CleanRowTrace, into bytes: inout [UInt8]) {
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        append(trace.identity.idLow)
        append(trace.identity.idHigh)
        append(trace.identity.content)
        append(trace.line)
        append(trace.key)
        append(trace.reasons)
        let keepsOrganisation = trace.model.organisation.count != 0
        append(
            UInt8((trace.intervention ? 1 : 0) | (trace.hasUnmappedLabels ? 2 : 0) | (keepsOrganisation ? 4 : 0) | (trace.contactUnknown ? 8 : 0)))
        append(trace.day.daysSinceEpoch)
        append(trace.organisation.low)
        append(trace.organisation.high)
        append(trace.organisation.count)
        append(trace.model.cell)
        append(trace.model.contacts)
        append(trace.model.interventions)
        append(trace.areaFlags)
    }

    /// The row at `offset` (a whole record must be there), or `nil` when it holds a value
    /// no run makes (a damaged or crafted file): flags, a day outside years 1-9999, an
    /// organisation code malformed, a key or model cell with a level `schema` lacks.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, schema: GroupKeySchema) -> CleanRowTrace? {
        var at = offset
        func read<T: FixedWidthInteger>(_: T.Type) -> T {
            defer { at += MemoryLayout<T>.size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
        }
        let identity = RowIdentity(idLow: read(UInt64.self), idHigh: read(UInt64.self), content: read(UInt64.self))
        let line = read(Int32.self), key = read(UInt64.self), reasons = read(UInt32.self), flags = read(UInt8.self)
        let day = Day(daysSinceEpoch: read(Int32.self))
        let organisation = ShortCode(low: read(UInt64.self), high: read(UInt64.self), count: read(UInt8.self))
        let cell = read(UInt32.self), contacts = read(Int32.self), interventions = read(Int32.self), areaFlags = read(UInt16.self)
        guard flags <= 15, ReferralCounts.dayRange.contains(Int64(day.daysSinceEpoch)), organisation.isWellFormed, schema.levelsAreValid(key),
            schema.levelsAreValid(UInt64(cell)), areaFlags < 1 << 9
        else { return nil }
        return CleanRowTrace(
            identity: identity, line: line, key: key, intervention: flags & 1 != 0, reasons: reasons, rawStart: 0, rawEnd: 0,
            model: ModelCell(organisation: flags & 4 != 0 ? organisation : nil, cell: cell, contacts: contacts, interventions: interventions),
            organisation: organisation, day: day, areaFlags: areaFlags, hasUnmappedLabels: flags & 2 != 0, contactUnknown: flags & 8 != 0)
    }
}
