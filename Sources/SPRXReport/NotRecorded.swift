import SPRXAggregate
import SPRXCore
import SPRXModels
import SPRXPipeline

/// What the report says where a figure would be when the export does not record the
/// field it depends on (``FieldRecording``): absent is not zero.
///
/// The rules: such a figure is "not recorded in this export" (or "missing from some
/// input files") where the number would be, never a 0 and never beside a literature
/// figure; its trend lines and funnel plots are left out with one sentence saying why;
/// models that need the field are listed once as not fitted, without a warning. Cells
/// are recognised by their row's `note` (``FieldNote``), so the page and the tables
/// cannot disagree; the sentences about the run come from ``ReportContext/recording``.
extension Report {
    /// Where a figure would be, when its field is not in any input file.
    static let notRecordedText = "not recorded in this export"
    /// Where a figure would be, when its field is missing from some input files.
    static let recordedInPartText = "missing from some input files"
    /// Where a figure would be, when its field is blank for too many referrals.
    static let partlyBlankText =
        "blank for more than \(Int((100 * FieldRecording.blankShareLimit).rounded()))% of referrals (unknown, not none)"

    /// The words for a row's note when it withholds `field`'s figures, `nil` otherwise.
    static func withheldText(note: String?, field: String) -> String? {
        guard let note, !note.isEmpty else { return nil }
        let notes = note.split(separator: Character(FieldNote.separator)).map(String.init)
        if notes.contains(FieldNote.notRecorded(field)) { return notRecordedText }
        if notes.contains(FieldNote.recordedInPart(field)) { return recordedInPartText }
        if notes.contains(FieldNote.partlyBlank(field)) { return partlyBlankText }
        return nil
    }

    /// The words for a note that names a field not recorded (any field), `nil` for other notes.
    static func fieldNoteText(_ note: String) -> String? {
        for part in note.split(separator: Character(FieldNote.separator)).map(String.init) {
            if part.hasPrefix(FieldNote.notRecordedPrefix) {
                return "\(DisplayNames.fieldSubject(code: String(part.dropFirst(FieldNote.notRecordedPrefix.count)))) is \(notRecordedText)"
            }
            if part.hasPrefix(FieldNote.recordedInPartPrefix) {
                return "\(DisplayNames.fieldSubject(code: String(part.dropFirst(FieldNote.recordedInPartPrefix.count)))) is \(recordedInPartText)"
            }
            if part.hasPrefix(FieldNote.partlyBlankPrefix) {
                return "\(DisplayNames.fieldSubject(code: String(part.dropFirst(FieldNote.partlyBlankPrefix.count)))) is \(partlyBlankText)"
            }
        }
        return nil
    }

    /// The field a pathway column counts, as its note names it.
    static func pathwayField(_ column: PathwayColumn) -> String? {
        switch column {
        case .contacted, .pctContacted: CanonicalField.contacted.rawValue
        case .intervention, .pctIntervention: CanonicalField.interventions.rawValue
        default: nil
        }
    }

    /// Why a pathway cell is empty because its field is not recorded, in words; `nil` otherwise.
    static func withheld(_ row: [Cell]?, _ column: PathwayColumn) -> String? {
        guard let row, let field = pathwayField(column) else { return nil }
        return withheldText(note: row[PathwayColumn.note].string, field: field)
    }

    /// A whole-population pathway percentage for a headline: "38.20%", the reason it is
    /// not given ("not recorded in this export"), or "suppressed".
    static func pathwayHeadline(_ numbers: ReportNumbers, _ column: PathwayColumn) -> String {
        if let withheld = numbers.pathwayAllWithheld(column) { return withheld }
        return numbers.pathwayAll(column).map { "\($0)%" } ?? "suppressed"
    }

    /// One sentence per optional field the export leaves out, for the run section: what
    /// is not shown because of it. Empty when every field is recorded.
    static func notRecordedSentences(_ context: ReportContext) -> [String] {
        let recording = context.recording
        guard !recording.isComplete else { return [] }
        var sentences: [String] = []
        let missing =
            recording.notRecorded.map { ($0, notRecordedText) } + recording.recordedInPart.map { ($0.field, recording.wording($0.field)) }
            + recording.partlyBlank.filter { field in !recording.recordedInPart.contains { $0.field == field } }.map { ($0, recording.wording($0)) }
        for (field, wording) in missing {
            var sentence = capitalised(DisplayNames.fieldSubject(field)) + " is \(wording)"
            var consequences = consequences(of: field, recording)
            // Each model left out is named once, under the first missing field it needs
            // (its reason, ``ModelRunSummary/message``, starts with that field).
            let notFitted = context.models.filter { $0.status == ModelRunSummary.notRecorded && ($0.message ?? "").hasPrefix(field.rawValue + " ") }
            if !notFitted.isEmpty {
                consequences.append("models not fitted: " + notFitted.map { DisplayNames.modelName($0.name, outcome: $0.outcome) }.joined(separator: ", "))
            }
            if !consequences.isEmpty { sentence += ": " + consequences.joined(separator: "; ") }
            sentences.append(DisplayNames.plainWords(sentence + "."))
        }
        return sentences
    }

    /// What is not shown because `field` is missing, in words.
    static func consequences(of field: CanonicalField, _ recording: FieldRecording) -> [String] {
        switch field {
        case .interventions:
            return ["the share that received at least one intervention is not shown anywhere (it is not zero), nor its trends or funnel plots"]
        case .contacted:
            return recording.contactedShareNote == nil
                ? ["whether a referral reached a link worker is read from contacts (more than 0 contacts), as for an empty contacted value"]
                : ["the share that reached a link worker is not shown anywhere (it is not zero), nor its trends or funnel plots"]
        case .contacts:
            return recording.contactedShareNote == nil ? ["the number of contacts is not modelled"] : []
        case .organisationID:
            return [
                "organisations are not compared (no organisations table rows, no funnel plots)",
                "model standard errors are model-based, not cluster-robust by organisation",
            ]
        case .areaCode:
            return [
                "every referral's deprivation, rurality and nation are Unknown, and no referral rates against the population can be computed"
            ]
        case .age, .sex, .ethnicity, .referralSource, .referralReasons:
            let subject = DisplayNames.fieldSubject(field)
            return ["every referral's \(subject.hasPrefix("the ") ? String(subject.dropFirst(4)) : subject) is Unknown in the tables"]
        case .referralID, .personID, .referralDate:
            return []
        }
    }

    /// Why a model was not fitted, in words: for a field not recorded ("interventions not
    /// recorded in this export"), the field's name in a sentence ("the number of
    /// interventions is not recorded in this export"); otherwise its message in plain words.
    static func notFittedReason(_ summary: ModelRunSummary) -> String {
        let message = summary.message ?? summary.errorCode ?? "unknown reason"
        if summary.status == ModelRunSummary.notRecorded, let space = message.firstIndex(of: " "),
            let field = CanonicalField(rawValue: String(message[..<space]))
        {
            let rest = message[message.index(after: space)...]
            if rest.hasPrefix("not recorded") || rest.hasPrefix("missing") { return DisplayNames.fieldSubject(field) + " is " + rest }
        }
        return DisplayNames.separation(message, outcome: summary.outcome) ?? DisplayNames.plainWords(message)
    }

    /// `text` with its first letter upper case, to start a sentence.
    static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// Why funnel plots are left out, one sentence each (none when nothing is missing).
    static func placeWithheldSentences(_ context: ReportContext) -> [String] {
        let recording = context.recording
        var sentences: [String] = []
        if recording.notRecorded.contains(.organisationID) {
            sentences.append("The organisation is \(notRecordedText), so organisations cannot be compared: there are no funnel plots.")
            return sentences
        }
        if recording.contactedShareNote != nil {
            sentences.append("Whether referrals reached a link worker is \(recording.wording(.contacted)), so that share is not compared across organisations.")
        }
        if recording.interventionShareNote != nil {
            sentences.append(
                "\(capitalised(DisplayNames.fieldSubject(.interventions))) is \(recording.wording(.interventions)), so there is no funnel plot of the intervention share."
            )
        }
        return sentences
    }

    /// Why the reach section has no rates when area codes are missing, `nil` otherwise.
    static func reachWithheldSentence(_ context: ReportContext) -> String? {
        guard context.recording.areaNote != nil else { return nil }
        return
            "The area code is \(context.recording.wording(.areaCode)), so every referral's small area is unknown and no referral rate against the resident population can be computed (tables/rates_by_group.csv and tables/inequality.csv have no rows)."
    }
}

extension ReportNumbers {
    /// Why a whole-population pathway figure is not given because its field is not
    /// recorded, in words; `nil` when it is given (or only suppressed).
    func pathwayAllWithheld(_ column: PathwayColumn) -> String? {
        Report.withheld(
            pathway.first([.dimension: Report.allGroups, .group: Report.allGroups, .routeType: DisplayNames.allRouteTypes]), column)
    }
}

extension TrendFigures {
    /// The field each share measure counts, as its note names it.
    static func field(_ measure: TrendColumn.Measure) -> String? {
        switch measure {
        case .contactedShare: CanonicalField.contacted.rawValue
        case .interventionShare: CanonicalField.interventions.rawValue
        case .referrals, .nonMedicalShare: nil
        }
    }

    /// Why a measure's trend is not given (its field is not recorded), in words; `nil` when it is.
    func withheld(_ measure: TrendColumn.Measure) -> String? {
        guard let field = Self.field(measure), let row = trends.first([.measure: measure.rawValue]) else { return nil }
        return Report.withheldText(note: row[TrendColumn.note].string, field: field)
    }

    /// The measures with figures (every measure whose field is recorded).
    var shownMeasures: [TrendColumn.Measure] { TrendColumn.Measure.allCases.filter { withheld($0) == nil } }
}
