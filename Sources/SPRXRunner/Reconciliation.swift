import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXEnrich
import SPRXIngest
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
    /// Unmapped labels seen in this file, per field (by the field's name): the
    /// label texts themselves are only in the run-wide ``UnmappedLabelStore``.
    public var unmapped: [String: Int] = [:]
    /// Clean referrals with at least one referral reason no list names: what the quality
    /// gate and the summary count for `referral_reasons` (``unmapped`` counts labels, and a
    /// referral with three unmapped reasons counts three times there).
    public var referralsWithUnmappedReason = 0
    public var areaCounts = AreaMatchCounts()
    /// Zero bytes of padding after the file's gzip data: accepted, as gzip accepts them.
    public var gzipPaddingBytes: Int64 = 0
    /// The pipeline's optional fields this file's header has no column for (by name).
    public var fieldsNotRecorded: [String] = []

    public init(path: String) { self.path = path }

    /// The warning a file with zero padding after its gzip data gets (stderr and the
    /// manifest's input entry), or `nil`.
    public var gzipPaddingWarning: String? {
        gzipPaddingBytes == 0
            ? nil
            : "the gzip data is followed by \(gzipPaddingBytes) zero byte\(gzipPaddingBytes == 1 ? "" : "s") of padding, ignored (as gzip does, with a warning); every row before them was read"
    }

    /// rows read = clean + duplicate + quarantined.
    public var reconciles: Bool { rowsRead == clean + duplicate + quarantined }
}

/// Every unmapped label of the run with its exact count, per field, bounded.
///
/// Labels are kept in the order first seen (blocks in input order, a block's labels in
/// sorted order: the same for any `--jobs`)
/// up to ``InputLimits/maxDistinctUnmappedLabelsPerField`` distinct labels per field;
/// referrals with a label first seen after that are counted under
/// ``InputLimits/unmappedOverflowLabel``, so the counts stay complete while memory
/// stays bounded whatever the input holds.
public struct UnmappedLabelStore: Sendable, Equatable {
    /// The fields whose values are looked up in the pipeline's label lists (and so can
    /// be unmapped), in publication order: ``LabelledField/all(of:)``.
    public let fields: [LabelledField]

    /// Exact counts per label, per field.
    public private(set) var labels: [LabelledField: [String: Int]] = [:]
    /// Most distinct labels kept per field, besides the overflow label.
    public let limit: Int

    public init(fields: [LabelledField] = LabelledField.canonical, limit: Int = InputLimits.maxDistinctUnmappedLabelsPerField) {
        self.fields = fields
        self.limit = max(0, limit)
    }

    /// Counts `count` occurrences of `label` in `field`.
    public mutating func add(field: LabelledField, label: String, count: Int) {
        guard count > 0 else { return }
        // Mutated in place: copying a field's labels out and back would copy them all.
        let known = labels[field]?[label] != nil || label == InputLimits.unmappedOverflowLabel
        var key = label
        if !known {
            let kept = labels[field]?.count ?? 0
            let distinct = kept - (labels[field]?[InputLimits.unmappedOverflowLabel] == nil ? 0 : 1)
            if distinct >= limit { key = InputLimits.unmappedOverflowLabel }
        }
        labels[field, default: [:]][key, default: 0] += count
    }

    /// Adds another store's counts (a shard's), field by field in this store's order and
    /// label by label in text order.
    public mutating func add(_ other: UnmappedLabelStore) {
        for field in fields {
            for (label, count) in (other.labels[field] ?? [:]).sorted(by: { $0.key < $1.key }) { add(field: field, label: label, count: count) }
        }
    }

    /// Takes back `count` occurrences of `label` (a row found later to repeat an earlier
    /// referral): from the label if it is kept, else from the overflow label.
    public mutating func subtract(field: LabelledField, label: String, count: Int) {
        guard count > 0, var field_ = labels[field] else { return }
        let key = field_[label] != nil ? label : InputLimits.unmappedOverflowLabel
        guard let current = field_[key] else { return }
        field_[key] = current > count ? current - count : nil
        labels[field] = field_
    }

    /// Every unmapped label of `field` counted (the overflow included).
    public func total(_ field: LabelledField) -> Int { labels[field]?.values.reduce(0, +) ?? 0 }

    /// A field's labels with their counts, sorted by label (UTF-8 byte order).
    public func sorted(_ field: LabelledField) -> [(label: String, count: Int)] {
        (labels[field] ?? [:]).map { ($0.key, $0.value) }.sorted { $0.label.utf8.lexicographicallyPrecedes($1.label.utf8) }
    }
}
