import SPRXCore

/// Which of a pipeline's optional fields (`columns.optional`) an export leaves out.
///
/// Absent is not zero: a field no input file has a column for is *not recorded*, and
/// every figure that depends on it is withheld (an empty cell with a ``FieldNote`` in its
/// row's note, "not recorded in this export" in the report), never published as 0. A
/// field that some input files have and others lack is *recorded in part*: the files
/// without it would count their referrals as without contact or intervention, so its
/// figures are withheld the same way (note `recorded_in_part:<field>`) and the run
/// summary and the manifest say how many files lack it. Files with no clean referral do
/// not count either way (a header-only file says nothing about what is recorded).
/// A field every file has a column for may still be *partly blank*: `interventions`
/// empty for more than ``blankShareLimit`` of the clean referrals. Its share would count
/// those referrals as without an intervention, so it is withheld the same way (note
/// `partly_blank:<field>`; the models, which leave unknown outcomes out, are fitted). At
/// or under the limit the share is given, the blank referrals counted as none, and the
/// run summary and the manifest say how many there are.
///
/// What depends on what:
/// - the share that reached a link worker: `contacted`, or `contacts > 0` when the flag
///   is empty; withheld only when both are missing (``contactedShareNote``);
/// - the intervention share: `interventions` (``interventionShareNote``);
/// - a model: its outcome's field and each covariate's (``missingField(of:)``);
/// - referral rates and inequality indices: `area_code` (every area would be unknown);
/// - age-standardised rates and the `age_band` rates: `age` (``note(_:)``);
/// - organisations and funnel plots: `organisation_id` (no row without it; cluster-robust
///   standard errors fall back to model-based ones, and the report and manifest say so).
public struct FieldRecording: Sendable, Equatable {
    /// Optional fields no input file records, in canonical order.
    public var notRecorded: [CanonicalField]
    /// Optional fields some input files lack, with how many of the files that have clean
    /// referrals lack them, in canonical order.
    public var recordedInPart: [(field: CanonicalField, filesWithout: Int)]
    /// Input files with clean referrals (what ``recordedInPart`` counts against).
    public var files: Int
    /// Per share field (``shareFields``), the clean referrals that leave it empty: for
    /// `interventions` an empty count, for `contacted` an empty flag and an empty contact
    /// count (the count stands in for an empty flag).
    public var blank: [CanonicalField: Int] = [:]
    /// Clean referrals in all (what ``blank`` counts against).
    public var cleanReferrals = 0
    /// Fields the pipeline says an empty cell means none for (`columns.empty_means_none`).
    public var emptyMeansNone: Set<CanonicalField> = []

    /// The fields whose share an empty cell would count as "no": reached a link worker,
    /// received an intervention.
    public static let shareFields: [CanonicalField] = [.contacted, .interventions]

    /// The share of clean referrals a field may be blank for and its share still be given
    /// (counting them as "no"): 2%, the share at which the summary already names an
    /// unmapped field (``QualityGates``' warning level).
    public static let blankShareLimit = 0.02

    /// Whether a share field is recorded (its share not withheld for a missing column)
    /// but empty for more than ``blankShareLimit`` of the clean referrals, and the
    /// pipeline does not say an empty cell means none.
    public func isPartlyBlank(_ field: CanonicalField) -> Bool {
        guard let empty = blankLine(field), !emptyMeansNone.contains(field) else { return false }
        return Double(empty.blank) > Self.blankShareLimit * Double(empty.of)
    }

    /// The share fields that are partly blank, in canonical order.
    public var partlyBlank: [CanonicalField] { Self.shareFields.filter(isPartlyBlank) }

    /// A share field's empty cells and clean referrals when it is recorded and some
    /// referral leaves it empty; `nil` otherwise.
    public func blankLine(_ field: CanonicalField) -> (blank: Int, of: Int)? {
        let recorded = field == .contacted ? baseContactedShareNote == nil : note(field) == nil
        guard recorded, let empty = blank[field], empty > 0, cleanReferrals > 0 else { return nil }
        return (empty, cleanReferrals)
    }

    public init(notRecorded: [CanonicalField] = [], recordedInPart: [(field: CanonicalField, filesWithout: Int)] = [], files: Int = 0) {
        self.notRecorded = notRecorded
        self.recordedInPart = recordedInPart
        self.files = files
    }

    /// Every field recorded.
    public static let complete = FieldRecording()

    /// The recording of a run from each file's missing fields and clean referrals. Files
    /// without a clean referral are left out, unless no file has one.
    public init(files: [(missing: [CanonicalField], clean: Int)]) {
        let counted = files.contains { $0.clean > 0 } ? files.filter { $0.clean > 0 } : files
        var notRecorded: [CanonicalField] = []
        var inPart: [(field: CanonicalField, filesWithout: Int)] = []
        for field in CanonicalField.allCases {
            let without = counted.filter { $0.missing.contains(field) }.count
            if without == 0 { continue }
            if without == counted.count { notRecorded.append(field) } else { inPart.append((field, without)) }
        }
        self.init(notRecorded: notRecorded, recordedInPart: inPart, files: counted.count)
    }

    public static func == (a: FieldRecording, b: FieldRecording) -> Bool {
        a.notRecorded == b.notRecorded && a.files == b.files && a.blank == b.blank && a.cleanReferrals == b.cleanReferrals
            && a.emptyMeansNone == b.emptyMeansNone
            && a.recordedInPart.map(\.field) == b.recordedInPart.map(\.field)
            && a.recordedInPart.map(\.filesWithout) == b.recordedInPart.map(\.filesWithout)
    }

    /// Whether nothing is missing (no field left out, none partly blank).
    public var isComplete: Bool { notRecorded.isEmpty && recordedInPart.isEmpty && partlyBlank.isEmpty }

    /// Whether a field is not recorded, or recorded in part.
    public func isMissing(_ field: CanonicalField) -> Bool {
        notRecorded.contains(field) || recordedInPart.contains { $0.field == field }
    }

    /// The note of a cell that depends on `field` (``FieldNote``), `nil` when it is recorded.
    public func note(_ field: CanonicalField) -> String? {
        if notRecorded.contains(field) { return FieldNote.notRecorded(field.rawValue) }
        if recordedInPart.contains(where: { $0.field == field }) { return FieldNote.recordedInPart(field.rawValue) }
        return nil
    }

    /// Why the share that reached a link worker is withheld: neither `contacted` nor
    /// `contacts` (which stands in for an empty flag) is fully recorded. `nil` when it is given.
    /// Partly blank (``isPartlyBlank(_:)``) withholds it too.
    public var contactedShareNote: String? {
        baseContactedShareNote ?? (isPartlyBlank(.contacted) ? FieldNote.partlyBlank(CanonicalField.contacted.rawValue) : nil)
    }

    /// Why the contact share is withheld for want of its columns (not for empty cells).
    var baseContactedShareNote: String? {
        guard isMissing(.contacted) && isMissing(.contacts) else { return nil }
        return note(.contacted)
    }

    /// Why the intervention share is withheld; `nil` when it is given.
    public var interventionShareNote: String? {
        note(.interventions) ?? (isPartlyBlank(.interventions) ? FieldNote.partlyBlank(CanonicalField.interventions.rawValue) : nil)
    }

    /// Why rates against the population are withheld: every referral's area would be unknown.
    public var areaNote: String? { note(.areaCode) }

    /// The first field a model needs that is missing (its outcome's, then its covariates'
    /// in order), `nil` when the model can be fitted.
    public func missingField(of model: ModelDefinition) -> CanonicalField? {
        let outcome: CanonicalField? =
            switch model.outcome {
            case .routeNonMedical: isMissing(.referralSource) ? .referralSource : nil
            // Its outcome counts a referral with neither a flag nor a count as not reached,
            // so the share's partly-blank rule holds for it too.
            case .contacted: contactedShareNote == nil ? nil : .contacted
            case .anyIntervention, .interventions: isMissing(.interventions) ? .interventions : nil
            case .contacts: isMissing(.contacts) ? .contacts : nil
            }
        if let outcome { return outcome }
        return model.covariates.lazy.compactMap(Self.field(of:)).first { isMissing($0) }
    }

    /// The canonical input field a model covariate is read from; `nil` for a covariate
    /// that is no canonical field's (a dimension the pipeline declares).
    public static func field(of covariate: ModelCovariate) -> CanonicalField? {
        switch covariate {
        case .routeType: .referralSource
        case .ageBand: .age
        case .sex: .sex
        case .ethnicity: .ethnicity
        case .imdDecile, .imdQuintile, .rurality, .nation: .areaCode
        default: nil
        }
    }

    /// "not recorded in this export" or "recorded in only N of the M input files", for
    /// the report, the summary and a model's reason.
    public func wording(_ field: CanonicalField) -> String {
        if isPartlyBlank(field) { return partlyBlankWording(field) }
        if let part = recordedInPart.first(where: { $0.field == field }) {
            return "missing from \(part.filesWithout) of the \(files) input files, so not shown"
        }
        return "not recorded in this export"
    }

    /// "blank for 764 of the 2,963 referrals (26%)".
    public func partlyBlankWording(_ field: CanonicalField) -> String {
        let (blank, of) = blankLine(field) ?? (0, 0)
        let share = Int((100 * Double(blank) / Double(max(of, 1))).rounded())
        return "blank for \(ProgressFigures.grouped(blank)) of the \(ProgressFigures.grouped(of)) referrals (\(share)%)"
    }

}
