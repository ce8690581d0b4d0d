import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// Issue 24, item 1: a cell that depends on a field the export does not record is empty
/// with a note (`not_recorded:<field>`), never 0. The counts are ``DisclosureTests``'
/// hand-made 59 referrals (42 + 3 male, 9 female, 5 sex Other; 45 contacted, 42 with an
/// intervention), whose controlled figures are worked out by hand there.
@Suite(.timeLimit(.minutes(10))) struct NotRecordedTableTests {
    static let hes = DisclosureTests()

    static func pathway(_ recording: FieldRecording) -> [String] {
        var builder = EquityTableBuilder(
            routes: hes.routes(), reasons: [ReasonDefinition(id: "mental_health", labels: [])], groupKey: hes.schema, disclosure: DisclosureSettings())
        builder.recording = recording
        let table = builder.build(hes.hesCounts()).first { $0.schema == .pathwayByGroup }!
        return table.rows.map { $0.map(\.csv).joined(separator: ",") }
    }

    /// By hand (control on): referred 59 → 60, contacted 45 → 45 (75.00%); the
    /// intervention count (42 → 40) is not published at all, nor its 66.67%.
    @Test func pathwayLeavesInterventionsEmptyWithTheNote() {
        let lines = Self.pathway(FieldRecording(notRecorded: [.interventions], files: 1))
        #expect(lines.contains("all,all,all,60,45,,75.00,,not_recorded:interventions,FALSE,on"))
        #expect(lines.contains("all,all,medical,50,40,,80.00,,not_recorded:interventions,FALSE,on"))
        // Three self-referrals: the row is suppressed for its referred count, not for the withheld field.
        #expect(lines.contains("all,all,non_medical,,,,,,not_recorded:interventions,TRUE,on"))
        // A row with 0 referred (no percentage at all) says that too.
        for line in lines {
            #expect(
                line.hasSuffix(",not_recorded:interventions,FALSE,on") || line.hasSuffix(",not_recorded:interventions,TRUE,on")
                    || (line.contains(",0,0,,,,not_recorded:interventions;no_referrals,FALSE,on")), "\(line)")
        }
    }

    /// Both shares withheld: both notes, joined by `;`.
    @Test func pathwayWithNeitherShare() {
        let lines = Self.pathway(FieldRecording(notRecorded: [.contacted, .contacts, .interventions], files: 1))
        #expect(lines.contains("all,all,all,60,,,,,not_recorded:contacted;not_recorded:interventions,FALSE,on"))
    }

    /// Without the contacted flag but with contacts, the share is read from contacts: given.
    @Test func contactedFromContactsIsGiven() {
        let lines = Self.pathway(FieldRecording(notRecorded: [.contacted], files: 1))
        #expect(lines.contains("all,all,all,60,45,40,75.00,66.67,,FALSE,on"))
    }

    /// Every intervention_share row of July 2024 keeps the group's referrals (59 → 60 for
    /// all) and nothing else; the contacted share is as before (45 of 60 = 75.00%).
    @Test func trendsKeepTheDenominatorOnly() {
        var builder = TrendTableBuilder(groupKey: Self.hes.schema, routes: Self.hes.routes(), disclosure: DisclosureSettings())
        builder.recording = FieldRecording(notRecorded: [.interventions], files: 1)
        let july = Day(year: 2024, month: 7, day: 1)!, end = Day(year: 2024, month: 7, day: 31)!
        let table = builder.build(Self.hes.hesCounts(), period: (july, end))
        let lines = table.rows.map { $0.map(\.csv).joined(separator: ",") }
        #expect(lines.contains("intervention_share,month,2024-07-01,2024-07-31,all,all,,60,,,,FALSE,not_recorded:interventions,FALSE,on"))
        #expect(lines.contains { $0.hasPrefix("contacted_share,month,2024-07-01,2024-07-31,all,all,45,60,75.00,") && $0.hasSuffix(",FALSE,,FALSE,on") })
        let interventions = table.rows.filter { $0[TrendColumn.measure].string == "intervention_share" }
        #expect(!interventions.isEmpty)
        for row in interventions {
            #expect(row[TrendColumn.numerator].isEmpty && row[TrendColumn.value].isEmpty && row[TrendColumn.note].string == "not_recorded:interventions")
        }
    }

    /// An indicator not recorded has no organisation rows (so no funnel); the others are
    /// as OrganisationTableTests works them out (A10001: 120 of 400 non-medical).
    @Test func organisationsLeaveTheIndicatorOut() {
        var counts = OrganisationCounts()
        OrganisationTableTests.add(&counts, "A10001", referrals: 400, nonMedical: 120, contacted: 160, intervention: 0)
        var builder = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false))
        builder.withheld = [.interventionShare]
        let lines = OrganisationTableTests.lines(builder.build(counts, directory: nil))
        #expect(lines.map { CSVTable.fields($0)[1] } == ["non_medical_share", "contacted_share"])
    }

    /// What "not recorded" means with several files: absent from every file with clean
    /// referrals is not recorded; from some, recorded in part (with the count); a file
    /// with no clean referral (a header-only file) counts neither way.
    @Test func severalFiles() {
        let recording = FieldRecording(files: [
            (missing: [.interventions, .contacts], clean: 10), (missing: [.interventions], clean: 5), (missing: [.organisationID], clean: 0),
        ])
        #expect(recording.notRecorded == [.interventions])
        #expect(recording.recordedInPart.map(\.field) == [.contacts] && recording.recordedInPart.map(\.filesWithout) == [1] && recording.files == 2)
        #expect(recording.note(.interventions) == "not_recorded:interventions" && recording.note(.contacts) == "recorded_in_part:contacts")
        #expect(recording.note(.organisationID) == nil && recording.note(.age) == nil)
        // Contacted is given by its flag: the missing contacts do not withhold it.
        #expect(recording.contactedShareNote == nil && recording.interventionShareNote == "not_recorded:interventions")
        // Only header-only files: they are all there is to go by.
        #expect(FieldRecording(files: [(missing: [.contacts], clean: 0)]).notRecorded == [.contacts])
        #expect(FieldRecording(files: []).isComplete)
    }

    /// A model needs its outcome's field, then each covariate's.
    @Test func modelsNeedTheirFields() {
        let recording = FieldRecording(notRecorded: [.interventions, .ethnicity], files: 1)
        func model(_ outcome: ModelOutcome, _ covariates: [ModelCovariate]) -> ModelDefinition {
            ModelDefinition(name: "m", outcome: outcome, family: outcome.family, covariates: covariates)
        }
        #expect(recording.missingField(of: model(.anyIntervention, [.routeType])) == .interventions)
        #expect(recording.missingField(of: model(.contacts, [.routeType, .ethnicity])) == .ethnicity)
        #expect(recording.missingField(of: model(.routeNonMedical, [.sex, .nation])) == nil)
        #expect(FieldRecording(notRecorded: [.areaCode], files: 1).missingField(of: model(.contacts, [.imdQuintile])) == .areaCode)
        #expect(FieldRecording(notRecorded: [.contacted], files: 1).missingField(of: model(.contacted, [])) == nil)
        #expect(FieldRecording(notRecorded: [.contacted, .contacts], files: 1).missingField(of: model(.contacted, [])) == .contacted)
        // Partly blank (by hand: 10 of 100 = 10%, over 2%): the contacted model's outcome
        // would count those ten as not reached, so it is not fitted; the intervention
        // models leave empty counts out, so they are.
        var blank = FieldRecording(files: 1)
        blank.cleanReferrals = 100
        blank.blank = [.contacted: 10, .interventions: 10]
        #expect(blank.isPartlyBlank(.contacted) && blank.isPartlyBlank(.interventions))
        #expect(blank.missingField(of: model(.contacted, [])) == .contacted)
        #expect(blank.missingField(of: model(.anyIntervention, [.routeType])) == nil)
        blank.blank = [.contacted: 2]
        #expect(!blank.isPartlyBlank(.contacted) && blank.missingField(of: model(.contacted, [])) == nil, "2 of 100 is not over 2%")
    }
}
