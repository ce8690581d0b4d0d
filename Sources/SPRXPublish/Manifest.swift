import Foundation
import SPRXAggregate
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXModels
import SPRXPipeline
import SPRXRunner

/// `manifest.json`: provenance and reconciliation for information governance.
struct Manifest: Encodable {
    struct Tool: Encodable {
        var name = "sprx"
        var version = sprxVersion
        /// The library that inflates gzip input (`isa-l 2.30`, `zlib 1.2.13`): the one field
        /// that may differ between runs on the same inputs.
        var inflater = Inflater.runDescription
    }
    struct Pipeline: Encodable { var name: String; var path: String; var sha256: String; var schema_version: Int }
    struct Input: Encodable {
        var path: String
        var bytes: Int64
        var decoded_bytes: Int64
        var sha256: String
        var rows_read: Int
        var clean: Int
        var duplicate: Int
        var quarantined: Int
        var reconciled: Bool
        /// What was odd about the file but read anyway (zero padding after gzip data); absent when nothing.
        var warnings: [String]? = nil
        /// The pipeline's optional fields this file has no column for.
        var fields_not_recorded: [String]
    }
    /// An optional field some input files have and others lack (``FieldRecording``).
    struct FieldRecordedInPart: Encodable { var field: String; var files_without: Int; var files: Int }
    struct Reference: Encodable { var name: String; var edition: String; var used_for: String; var sha256: String; var rows: Int }
    /// The reference folder used and the step of the lookup order that chose it.
    struct ReferenceDirectory: Encodable { var path: String; var chosen_by: String }
    struct Disclosure: Encodable {
        var enabled: Bool
        var suppress_up_to: Int
        var round_to: Int
        var statement: String
        /// The rule applied, in plain words (`none: ...` when control is off).
        var rule: String
    }
    /// What `tables/unmapped_labels.csv` publishes and what it leaves out, per field.
    struct UnmappedLabels: Encodable {
        struct Field: Encodable {
            /// Unmapped labels seen (referrals; a referral with two unmapped reasons counts twice).
            var referrals: Int
            /// Distinct labels in `quarantine/unmapped_labels.csv`, the overflow label not included.
            var distinct_labels_kept: Int
            /// Labels named in `tables/unmapped_labels.csv`.
            var labels_published: Int
            /// Referrals whose label was first seen after the distinct-label limit.
            var referrals_over_limit: Int
        }
        var rule: String
        var min_count_published: Int
        var max_label_characters: Int
        var max_distinct_labels_per_field: Int
        var complete_list: String
        var fields: [String: Field]
    }
    struct Output: Encodable { var path: String; var bytes: Int; var sha256: String }
    struct Model: Encodable {
        var name: String
        var outcome: String
        var family: String
        var status: ModelRunSummary.Status
        var error_code: String?
        var message: String?
        /// Referrals used and referrals left out, as published: under disclosure control
        /// rounded as `models.csv` rounds `n_obs`, and left out of the file (`nil`) when
        /// 1 to `suppress_up_to` (issue 24: an exact 3 here undid every table's suppression).
        var n_obs: Int64?
        var n_clusters: Int
        var covariate_patterns: Int
        var grouped_entries: Int
        var excluded_unknown_covariate: Int64?
        var excluded_unknown_outcome: Int64?
        var excluded_no_organisation: Int64?
        var standard_errors: String
        var fit_seconds: Double
    }
    struct Period: Encodable { var first: String; var last: String }
    struct Totals: Encodable { var rows_read: Int; var clean: Int; var duplicate: Int; var quarantined: Int; var reconciled: Bool }

    var tool = Tool()
    var pipeline: Pipeline
    var command_line: [String]
    var started_at: String
    var finished_at: String
    var workers: Int
    var inputs: [Input]
    var totals: Totals
    /// First and last referral date among clean referrals.
    var period: Period?
    var reference_files: [Reference]
    var reference_directory: ReferenceDirectory
    var disclosure_control: Disclosure
    var unmapped_labels: UnmappedLabels
    var models: [Model]
    /// Wall time of the model stage (preparing the grouped data and all fits), seconds.
    var models_seconds: Double
    /// What the population rates were computed from; absent when the pipeline names no population.
    var population_rates: RateFigures?
    /// How the organisations were mapped to primary care networks for the provision
    /// tables; absent when the pipeline names no provision files.
    var link_worker_provision: ProvisionFigures?
    /// What the organisation funnels were drawn with: the case-mix strata of the
    /// standardised ratios, and per indicator and kind (proportion, ratio) the
    /// overdispersion factor φ and between-organisation variance τ² (not counts: they
    /// pass disclosure control as they are, to 6 significant digits).
    var organisation_funnels: OrganisationFunnelFigures?
    /// What the run warns about (stable codes; counts controlled as their tables control them).
    var warnings: [RunWarning]
    var outputs: [Output]
    /// Optional fields no input file records: every figure depending on one is withheld
    /// (note `not_recorded:<field>`), models needing one are not fitted.
    var fields_not_recorded: [String] = []
    /// Optional fields some input files lack: withheld the same way (`recorded_in_part:<field>`).
    var fields_recorded_in_part: [FieldRecordedInPart] = []
    struct FieldPartlyBlank: Encodable { var field: String; var blank: Int; var clean_referrals: Int; var share_withheld: Bool }
    /// A field every file records but some clean referrals leave blank (exact counts of
    /// records, like `inputs`): its share is withheld (`partly_blank:<field>`) above
    /// ``FieldRecording/blankShareLimit``, else given with the blanks counted as none.
    /// Absent when no referral has one blank.
    var fields_partly_blank: [FieldPartlyBlank]? = nil
    /// One shard counted by `sprx run --partial`: an id from its inputs' paths and
    /// contents, and its inputs in order.
    struct Shard: Encodable { var id: String; var inputs: [String] }
    /// The shards `sprx merge` added up, in order; absent for a run over the inputs
    /// themselves (`inputs` lists every file either way).
    var shards: [Shard]? = nil

    init(
        options: RunOptions, pipeline config: PipelineConfiguration, files: [FileReconciliation], reference: [ReferenceFileInfo],
        outputs: [(path: String, bytes: Int, sha256: String)], started: Date, finished: Date, disclosure: DisclosureSettings,
        models: [ModelRunSummary], modelsSeconds: Double, period: (first: Day, last: Day)?,
        unmappedLabels: UnmappedLabelStore = UnmappedLabelStore(), rates: RateFigures? = nil, provision: ProvisionFigures? = nil,
        recording: FieldRecording = .complete,
        warnings: [RunWarning] = [], organisationFunnels: OrganisationFunnelFigures? = nil
    ) {
        self.warnings = warnings
        organisation_funnels = organisationFunnels
        fields_not_recorded = recording.notRecorded.map(\.rawValue)
        fields_recorded_in_part = recording.recordedInPart.map {
            FieldRecordedInPart(field: $0.field.rawValue, files_without: $0.filesWithout, files: recording.files)
        }
        let blank = FieldRecording.shareFields.compactMap { field in
            recording.blankLine(field).map {
                FieldPartlyBlank(field: field.rawValue, blank: $0.blank, clean_referrals: $0.of, share_withheld: recording.isPartlyBlank(field))
            }
        }
        if !blank.isEmpty { fields_partly_blank = blank }
        population_rates = rates
        link_worker_provision = provision
        self.period = period.map { Period(first: $0.first.description, last: $0.last.description) }
        models_seconds = (modelsSeconds * 1e4).rounded() / 1e4
        let iso = ISO8601DateFormatter()
        pipeline = Pipeline(name: config.name, path: config.sourcePath, sha256: config.sourceSHA256, schema_version: config.schemaVersion)
        command_line = options.commandLine
        started_at = iso.string(from: started)
        finished_at = iso.string(from: finished)
        workers = options.jobs
        inputs = files.map {
            Input(
                path: $0.path, bytes: $0.bytes, decoded_bytes: $0.decodedBytes, sha256: $0.sha256, rows_read: $0.rowsRead, clean: $0.clean,
                duplicate: $0.duplicate, quarantined: $0.quarantined, reconciled: $0.reconciles,
                warnings: $0.gzipPaddingWarning.map { [$0] }, fields_not_recorded: $0.fieldsNotRecorded)
        }
        let rows = files.reduce(0) { $0 + $1.rowsRead }
        let clean = files.reduce(0) { $0 + $1.clean }
        let duplicate = files.reduce(0) { $0 + $1.duplicate }
        let quarantined = files.reduce(0) { $0 + $1.quarantined }
        totals = Totals(
            rows_read: rows, clean: clean, duplicate: duplicate, quarantined: quarantined, reconciled: rows == clean + duplicate + quarantined)
        reference_directory = ReferenceDirectory(path: config.enrich.referenceDirectory, chosen_by: config.enrich.referenceOrigin.rawValue)
        reference_files = reference.map { Reference(name: $0.name, edition: $0.edition, used_for: $0.use, sha256: $0.sha256, rows: $0.rows) }
        disclosure_control = Disclosure(
            enabled: disclosure.enabled, suppress_up_to: disclosure.suppressUpTo, round_to: disclosure.roundTo,
            statement: disclosure.statement,
            rule: disclosure.enabled
                ? DisclosureControl.ruleDescription(suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
                : "none: disclosure control is off (--no-disclosure-control); tables hold exact counts")
        let summaries = UnmappedLabelTable.summary(unmappedLabels, disclosure: disclosure)
        var fields: [String: UnmappedLabels.Field] = [:]
        for field in unmappedLabels.fields {
            let summary = summaries[field] ?? UnmappedLabelTable.FieldSummary()
            fields[field.name] = UnmappedLabels.Field(
                referrals: files.reduce(0) { $0 + ($1.unmapped[field.name] ?? 0) }, distinct_labels_kept: summary.distinctLabelsKept,
                labels_published: summary.labelsPublished, referrals_over_limit: summary.referralsOverLimit)
        }
        unmapped_labels = UnmappedLabels(
            rule:
                "an unmapped label is published in tables/unmapped_labels.csv only when seen at least \(disclosure.suppressUpTo + 1) "
                + "times and at most \(UnmappedLabelTable.maxPublishedLabelCharacters) characters long; a field's other unmapped "
                + "labels are counted together as \(UnmappedLabelTable.otherLabels)",
            min_count_published: disclosure.suppressUpTo + 1, max_label_characters: UnmappedLabelTable.maxPublishedLabelCharacters,
            max_distinct_labels_per_field: InputLimits.maxDistinctUnmappedLabelsPerField, complete_list: UnmappedLabelTable.quarantinePath,
            fields: fields)
        func controlled(_ count: Int64) -> Int64? {
            DisclosureControl.publish(count, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
        }
        self.models = models.map {
            Model(
                name: $0.name, outcome: $0.outcome, family: $0.family, status: $0.status, error_code: $0.errorCode, message: $0.message,
                n_obs: controlled($0.observations), n_clusters: $0.clusters, covariate_patterns: $0.patterns, grouped_entries: $0.entries,
                excluded_unknown_covariate: controlled($0.excludedUnknownCovariate), excluded_unknown_outcome: controlled($0.excludedUnknownOutcome),
                excluded_no_organisation: controlled($0.excludedNoOrganisation), standard_errors: $0.standardErrors,
                fit_seconds: ($0.fitSeconds * 1e4).rounded() / 1e4)
        }
        self.outputs = outputs.map { Output(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
