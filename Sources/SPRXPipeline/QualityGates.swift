import Foundation
import SPRXCore

/// The `quality` section of a pipeline: the figures below which a run cannot mean
/// anything, so it fails (``SPRXError/Code/qualityGate``) and publishes nothing.
///
/// ```yaml
/// quality:
///   min_clean_rows: 1            # fewer clean rows fails the run
///   max_quarantined_share: 0.5   # of rows read
///   max_unknown_share: 1         # one share for every gated field, or per field:
///   max_unmapped_share: {sex: 0.2, referral_source: 0.3}
/// ```
///
/// A share is a number from 0 to 1; a figure equal to its limit passes, so a share
/// limit of 1 never fails. In the per-field form, fields not named keep the default.
public struct QualityGates: Sendable, Hashable {
    /// The categorical fields with unknown and unmapped share gates, in report order.
    public static let gatedFields: [CanonicalField] = [.sex, .ethnicity, .referralSource, .referralReasons, .contacted, .areaCode]
    /// Default `min_clean_rows`: a run with no clean rows fails.
    public static let defaultMinCleanRows = 1
    /// Default `max_quarantined_share`: a run that quarantines more than half of what it
    /// read is describing its input's faults, not its referrals.
    public static let defaultMaxQuarantinedShare = 0.5
    /// Default `max_unknown_share` for every field: off, because unknown values are
    /// real data (ethnicity not stated, an optional column the export leaves out).
    public static let defaultMaxUnknownShare = 1.0
    /// Default `max_unmapped_share` for every field: more than half the labels of a
    /// field unnamed by the pipeline means the pipeline does not describe this export.
    public static let defaultMaxUnmappedShare = 0.5

    /// Fewest clean rows (referrals counted) a run may publish; 0 switches it off.
    public var minCleanRows: Int
    /// Largest share of rows read that may be quarantined.
    public var maxQuarantinedShare: Double
    /// Largest share of clean referrals whose value is unknown, per gated field.
    public var maxUnknownShare: [CanonicalField: Double]
    /// Largest share of clean referrals whose label no list names, per gated field.
    public var maxUnmappedShare: [CanonicalField: Double]
    /// The declared dimensions' names, in the pipeline's order: gated after the fields,
    /// with the same defaults (``declare(dimensions:)``).
    public private(set) var dimensions: [String] = []
    /// `max_unknown_share` and `max_unmapped_share` per declared dimension, by name.
    public var dimensionMaxUnknownShare: [String: Double] = [:]
    public var dimensionMaxUnmappedShare: [String: Double] = [:]

    /// Gates the declared dimensions too: those given no share keep the defaults.
    public mutating func declare(dimensions names: [String]) {
        dimensions = names
        for name in names {
            dimensionMaxUnknownShare[name] = dimensionMaxUnknownShare[name] ?? Self.defaultMaxUnknownShare
            dimensionMaxUnmappedShare[name] = dimensionMaxUnmappedShare[name] ?? Self.defaultMaxUnmappedShare
        }
    }

    /// The defaults, or the limits given.
    public init(
        minCleanRows: Int = defaultMinCleanRows, maxQuarantinedShare: Double = defaultMaxQuarantinedShare,
        maxUnknownShare: [CanonicalField: Double] = [:], maxUnmappedShare: [CanonicalField: Double] = [:]
    ) {
        self.minCleanRows = minCleanRows
        self.maxQuarantinedShare = maxQuarantinedShare
        self.maxUnknownShare = Dictionary(uniqueKeysWithValues: Self.gatedFields.map { ($0, maxUnknownShare[$0] ?? Self.defaultMaxUnknownShare) })
        self.maxUnmappedShare = Dictionary(uniqueKeysWithValues: Self.gatedFields.map { ($0, maxUnmappedShare[$0] ?? Self.defaultMaxUnmappedShare) })
    }

    /// The gates this run's figures fail, in a fixed order: `min_clean_rows`,
    /// `max_quarantined_share`, then `max_unknown_share.<field>` and
    /// `max_unmapped_share.<field>` for each field of ``gatedFields`` in turn, then for
    /// each declared dimension.
    ///
    /// A share gate whose denominator is 0 (no rows read, no clean referrals) has no
    /// figure and is not evaluated; `min_clean_rows` is the gate for that run. A field
    /// missing from `figures.fields` is not evaluated either.
    public func evaluate(_ figures: QualityFigures) -> [QualityGateFailure] {
        var failed: [QualityGateFailure] = []
        if figures.cleanRows < minCleanRows {
            failed.append(
                QualityGateFailure(
                    gate: "min_clean_rows", figure: Double(figures.cleanRows), limit: Double(minCleanRows),
                    message:
                        "quality gate min_clean_rows failed: \(CountWords.of(figures.cleanRows, "clean row")), fewer than the \(CountWords.number(minCleanRows)) required"
                ))
        }
        if figures.rowsRead > 0 {
            let share = Double(figures.quarantinedRows) / Double(figures.rowsRead)
            if share > maxQuarantinedShare {
                failed.append(
                    QualityGateFailure(
                        gate: "max_quarantined_share", figure: share, limit: maxQuarantinedShare,
                        message:
                            "quality gate max_quarantined_share failed: \(CountWords.number(figures.quarantinedRows)) of \(CountWords.of(figures.rowsRead, "row")) read \(figures.quarantinedRows == 1 ? "was" : "were") quarantined (\(Self.percent(share))), more than the limit \(Self.percent(maxQuarantinedShare))"
                            + (figures.quarantineReasons.isEmpty
                                ? ""
                                : "; most often: \(figures.commonestQuarantineReasons()) (the reasons are explained in docs/design.md under What a run promises; a date format the pipeline does not list shows as invalid_date)")
                    ))
            }
        }
        let gated =
            Self.gatedFields.map { field in
                (
                    field.rawValue, figures.fields[field], maxUnknownShare[field] ?? Self.defaultMaxUnknownShare,
                    maxUnmappedShare[field] ?? Self.defaultMaxUnmappedShare
                )
            }
            + dimensions.map { name in
                (
                    name, figures.dimensions[name], dimensionMaxUnknownShare[name] ?? Self.defaultMaxUnknownShare,
                    dimensionMaxUnmappedShare[name] ?? Self.defaultMaxUnmappedShare
                )
            }
        for (name, counts, unknownLimit, unmappedLimit) in gated {
            guard let counts, counts.cleanReferrals > 0 else { continue }
            let checks: [(String, Int, Double, String)] = [
                ("max_unknown_share", counts.unknown, unknownLimit, "unknown"), ("max_unmapped_share", counts.unmapped, unmappedLimit, "unmapped"),
            ]
            for (key, count, limit, what) in checks {
                let share = Double(count) / Double(counts.cleanReferrals)
                guard share > limit else { continue }
                let gate = "\(key).\(name)"
                failed.append(
                    QualityGateFailure(
                        gate: gate, figure: share, limit: limit,
                        message:
                            "quality gate \(gate) failed: \(name) \(what) for \(CountWords.number(count)) of \(CountWords.of(counts.cleanReferrals, "clean referral")) (\(Self.percent(share))), more than the limit \(Self.percent(limit))"
                    ))
            }
        }
        return failed
    }

    /// One error for a run that failed gates: code ``SPRXError/Code/qualityGate``, the
    /// failures' messages one per line, located at the pipeline file.
    public static func error(for failures: [QualityGateFailure], pipelineFile: String) -> SPRXError {
        SPRXError(
            .qualityGate,
            "the run failed \(failures.count) quality gate\(failures.count == 1 ? "" : "s") of the pipeline's quality section and nothing was published:\n"
                + failures.map { "  " + $0.message }.joined(separator: "\n")
                + "\n  Next: for quarantined rows, fix what their reason names (dates.formats for invalid_date, input.delimiter for field_count); for unmapped labels, \(unmappedHint(failures)); to see them, run once with a copy of the pipeline whose quality section allows it and read quarantine/unmapped_labels.csv. A gate's limit is set in the pipeline's quality section.",
            location: DataLocation(file: pipelineFile))
    }

    /// Where to add the unmapped labels of each failed `max_unmapped_share` gate
    /// (``LabelledField/pipelineList``: a route's labels, a reason's list, `labels:`, a
    /// declared dimension's levels); the pipeline's lists in general when none failed.
    static func unmappedHint(_ failures: [QualityGateFailure]) -> String {
        let prefix = "max_unmapped_share."
        let places = failures.filter { $0.gate.hasPrefix(prefix) }.map { failure -> String in
            let name = String(failure.gate.dropFirst(prefix.count))
            if name == CanonicalField.areaCode.rawValue {
                return "for area_code, check the codes against the reference folder's lookups (an older or newer geography than the export's)"
            }
            let field = CanonicalField(rawValue: name).map(LabelledField.init) ?? LabelledField(dimensionNamed: name)
            return "for \(name), add each to \(field.pipelineList)"
        }
        return places.isEmpty ? "add them to the pipeline's lists (routes, reasons, labels, a dimension's levels)" : places.joined(separator: "; ")
    }

    /// A share as a percentage with one decimal (`0.615` → `61.5%`), locale-free.
    public static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

/// What a run counted, as the quality gates read it.
public struct QualityFigures: Sendable, Hashable {
    /// Rows read from every input (the denominator of the quarantined share).
    public var rowsRead: Int
    /// Rows that became clean referrals (duplicates removed).
    public var cleanRows: Int
    /// Rows quarantined.
    public var quarantinedRows: Int
    /// Rows quarantined per reason (the reason's name as data_quality.csv writes it).
    public var quarantineReasons: [String: Int]
    /// Per gated field (``QualityGates/gatedFields``): its figures.
    public var fields: [CanonicalField: FieldQualityFigures]
    /// Per declared dimension, by name: its figures (warned about, not gated).
    public var dimensions: [String: FieldQualityFigures] = [:]

    public init(
        rowsRead: Int, cleanRows: Int, quarantinedRows: Int, quarantineReasons: [String: Int] = [:],
        fields: [CanonicalField: FieldQualityFigures] = [:]
    ) {
        self.rowsRead = rowsRead
        self.cleanRows = cleanRows
        self.quarantinedRows = quarantinedRows
        self.quarantineReasons = quarantineReasons
        self.fields = fields
    }

    /// The commonest quarantine reasons, most first (ties by name), as `reason N`: what a
    /// person fixes first when too much was quarantined.
    public func commonestQuarantineReasons(_ limit: Int = 3) -> String {
        quarantineReasons.filter { $0.value > 0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}

/// One field's figures for the quality gates.
public struct FieldQualityFigures: Sendable, Hashable {
    /// Clean referrals (the denominator of both shares).
    public var cleanReferrals: Int
    /// Clean referrals whose value is unknown for any reason (empty, a label meaning
    /// unknown, or an unmapped label).
    public var unknown: Int
    /// Clean referrals whose label no list of the pipeline names.
    public var unmapped: Int

    public init(cleanReferrals: Int, unknown: Int, unmapped: Int) {
        self.cleanReferrals = cleanReferrals
        self.unknown = unknown
        self.unmapped = unmapped
    }
}

/// A quality gate a run failed.
public struct QualityGateFailure: Sendable, Hashable {
    /// The gate's name as the YAML writes it: `min_clean_rows`, `max_quarantined_share`,
    /// `max_unknown_share.<field>`, `max_unmapped_share.<field>`.
    public var gate: String
    /// The run's figure: a count for `min_clean_rows`, else a share from 0 to 1.
    public var figure: Double
    /// The gate's limit, in the same unit.
    public var limit: Double
    /// One line for stderr, naming the gate, the figure and the limit (no data values).
    public var message: String
}

/// A dimension of `display_names`: what the report names in plain words.
public enum DisplayNameDimension: String, CaseIterable, Sendable {
    /// Ids `medical`, `non_medical`, `unknown`.
    case routeType = "route_type"
    /// The pipeline's route ids (`unknown` included).
    case route
    /// The pipeline's reason ids.
    case reason

    /// Longest display name, in characters: a label in a chart or table, not a sentence.
    public static let maxLength = 60

    /// Characters a display name may not hold: control characters, line and paragraph
    /// separators and bidirectional overrides (they would reorder the report's text).
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
    }
}
