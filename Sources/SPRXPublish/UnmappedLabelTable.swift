import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import SPRXRunner

#if canImport(Glibc)
import Glibc
#endif

/// The two unmapped-label tables of `outputs-v2.md`: the published one, which names a
/// label only when it is common and short, and the complete one in the owner-only
/// quarantine folder.
///
/// Design note: a label in a mapped column is whatever a case-management system let
/// someone type, so it can be a name or an NHS number. A label is published only when
/// it was seen more often than disclosure control suppresses (`suppress_up_to` + 1
/// times or more), is at most ``maxPublishedLabelCharacters`` long and is not shaped
/// like an identifier (an NHS number, phone number, postcode or email address, however
/// often seen); free text is rarely all three. Everything else of a field is one `(other labels)` row. This holds
/// with disclosure control off as well (counts are then exact): the rule is about
/// what the text may say, not only about small numbers.
enum UnmappedLabelTable {
    /// Longest label published, in Unicode scalars (after the label normalisation).
    static let maxPublishedLabelCharacters = DisclosureSettings.maxPublishedLabelCharacters
    /// The row that counts a field's unmapped labels not published by name.
    static let otherLabels = "(other labels)"
    /// Where the complete list goes, inside the output folder.
    static let quarantinePath = "quarantine/unmapped_labels.csv"

    /// Whether `label`, seen `count` times, may be published by name
    /// (``DisclosureSettings/mayPublishLabel(_:count:)``, the rule a drafted pipeline
    /// keeps too), and is not this table's own `(other labels)` row.
    static func isPublishable(_ label: String, count: Int, disclosure: DisclosureSettings) -> Bool {
        label != otherLabels && disclosure.mayPublishLabel(label, count: count)
    }

    /// Whether a field's unmapped labels may be named at all: a canonical field's may
    /// (when ``isPublishable(_:count:disclosure:)``); a declared dimension's never, as its
    /// column is whatever the pipeline points it at, free text included (a new user
    /// declared a notes column and its sentences were published). Its labels are counted
    /// under `(other labels)` and listed only in the owner-only quarantine file.
    static func namesLabels(of field: LabelledField) -> Bool { field.canonicalField != nil }

    /// Whether one label of a field is named in published files.
    static func isPublishable(_ label: String, count: Int, of field: LabelledField, disclosure: DisclosureSettings) -> Bool {
        namesLabels(of: field) && isPublishable(label, count: count, disclosure: disclosure)
    }

    /// Per field: how many labels are kept, how many published, how many referrals over the limit.
    struct FieldSummary: Equatable {
        var distinctLabelsKept = 0
        var labelsPublished = 0
        var referralsOverLimit = 0
    }

    static func summary(_ store: UnmappedLabelStore, disclosure: DisclosureSettings) -> [LabelledField: FieldSummary] {
        var out: [LabelledField: FieldSummary] = [:]
        for field in store.fields {
            let labels = store.sorted(field)
            out[field] = FieldSummary(
                distinctLabelsKept: labels.count { $0.label != InputLimits.unmappedOverflowLabel },
                labelsPublished: labels.count { isPublishable($0.label, count: $0.count, of: field, disclosure: disclosure) },
                referralsOverLimit: labels.first { $0.label == InputLimits.unmappedOverflowLabel }?.count ?? 0)
        }
        return out
    }

    /// `tables/unmapped_labels.csv`: per field (in ``UnmappedLabelStore/fields`` order),
    /// its publishable labels sorted by label, then `(other labels)` for the rest (when
    /// there is a rest); n controlled like every published count.
    static func published(_ store: UnmappedLabelStore, disclosure: DisclosureSettings) -> PublishedTable {
        let control = Cell.disclosureControl(disclosure.enabled)
        var rows: [[Cell]] = []
        func append(_ field: LabelledField, _ label: String, _ count: Int) {
            let n = DisclosureControl.publish(
                Int64(count), enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            rows.append([.text(field.name), .text(label), .count(n), .flag(n == nil), control])
        }
        for field in store.fields {
            var rest = 0
            for (label, count) in store.sorted(field) {
                if isPublishable(label, count: count, of: field, disclosure: disclosure) { append(field, label, count) } else { rest += count }
            }
            if rest > 0 { append(field, otherLabels, rest) }
        }
        return PublishedTable(.unmappedLabels, rows: rows)
    }

    /// `quarantine/unmapped_labels.csv`: every kept label with its exact count, per field.
    static func complete(_ store: UnmappedLabelStore) -> PublishedTable {
        var rows: [[Cell]] = []
        for field in store.fields {
            for (label, count) in store.sorted(field) { rows.append([.text(field.name), .text(label), .count(Int64(count))]) }
        }
        return PublishedTable(.quarantinedUnmappedLabels, rows: rows)
    }

    /// Writes the complete list into the quarantine folder, created owner-only (0600)
    /// so it is never readable by others, not even for a moment.
    static func writeQuarantine(_ store: UnmappedLabelStore, to output: OutputFolder) throws {
        let path = output.staging.appendingPathComponent(quarantinePath).path
        let bytes = Array(complete(store).csv.utf8)
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, permissions: 0o600) } catch {
            throw SPRXError(.outputFailed, "cannot create quarantine file: \(error.reason)", location: DataLocation(file: path))
        }
        defer { fd.close() }
        fd.setPermissions(0o600)
        if case .failure(let error) = bytes.withUnsafeBytes({ bytes in Result { () throws(Errno) in try fd.writeAll(bytes) } }) {
            throw SPRXError(.outputFailed, "cannot write quarantine file: \(error.reason)", location: DataLocation(file: path))
        }
        do { try fd.sync() } catch  where error.code != EINVAL {
            throw SPRXError(.outputFailed, "cannot flush quarantine file", location: DataLocation(file: path))
        } catch {}
        try output.recordExisting(quarantinePath)
    }
}
