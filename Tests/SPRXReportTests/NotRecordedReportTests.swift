import Foundation
import SPRXCore
import SPRXModels
import SPRXPipeline
import Testing

@testable import SPRXReport

/// Issue 24, item 1: the report says "not recorded in this export" where a figure whose
/// field the export lacks would be, never a 0 and never beside Bu et al.'s figure.
///
/// The tables are ``trustTables`` with the pathway replaced by rows whose intervention
/// cells are empty with the note `not_recorded:interventions` (as sprx writes them for
/// an export without that column); the contacted share (2,680 of 2,955 = 90.69%) stays.
@Suite(.timeLimit(.minutes(10))) struct NotRecordedReportTests {
    static let pathway = typedTable(
        "pathway_by_group",
        header: [
            "dimension", "group", "route_type", "referred", "contacted", "intervention", "pct_contacted", "pct_intervention", "note", "suppressed",
            "disclosure_control",
        ],
        rows: [
            ["all", "all", "medical", "2395", "2180", "", "91.02", "", "not_recorded:interventions", "FALSE", "on"],
            ["all", "all", "all", "2955", "2680", "", "90.69", "", "not_recorded:interventions", "FALSE", "on"],
        ])
    static let tables = trustTables.filter { $0.name != "pathway_by_group" } + [pathway]

    static var context: ReportContext {
        var context = trustContext()
        context.recording = FieldRecording(notRecorded: [.interventions], files: 1)
        // A summary as the model stage writes it (Codable: no public memberwise init).
        let summary = """
            {"name": "any_intervention", "outcome": "any_intervention", "family": "logistic", "status": "not_recorded",
             "errorCode": "not_recorded", "message": "interventions not recorded in this export", "observations": 0, "clusters": 0,
             "patterns": 0, "entries": 0, "excludedUnknownCovariate": 0, "excludedUnknownOutcome": 0, "excludedNoOrganisation": 0,
             "standardErrors": "model", "fitSeconds": 0}
            """
        context.models = [try! JSONDecoder().decode(ModelRunSummary.self, from: Data(summary.utf8))]
        return context
    }

    @Test func headlineSaysNotRecordedNotZero() {
        let headline = Report.headline(tables: Self.tables)
        #expect(headline.hasSuffix("reached a link worker 90.7%, an intervention not recorded in this export"), "\(headline)")
    }

    @Test func markdownSaysNotRecordedAndComparesNothingWithIt() {
        let markdown = Report.markdown(tables: Self.tables, context: Self.context)
        #expect(markdown.contains("- Received at least one intervention: not recorded in this export\n"))
        #expect(markdown.contains("- Whether referrals received an intervention is not recorded in this export: no share is given.\n"))
        #expect(!markdown.contains("38% received any intervention"))
        // The recorded share keeps its comparison.
        // 2,680 of 2,955 = 90.69%: one decimal for a denominator of 2,500 or more.
        #expect(markdown.contains("90.7% of referrals reached a link worker (95% interval "))
        #expect(markdown.contains("*Compared with:* Bu et al. (2024): 90% reached a link worker."))
        #expect(markdown.contains("| All routes | 2,955 | 2,680 | not recorded | 90.7 | not recorded |"))
        // Said once in the run section, with the model it leaves out; the model's own
        // entry is plain text, not a warning.
        #expect(
            markdown.contains(
                "- The number of interventions is not recorded in this export: the share that received at least one intervention is not shown anywhere (it is not zero), nor its trends or funnel plots; models not fitted: Receiving any intervention.\n"
            ))
        #expect(markdown.contains("Not fitted: the number of interventions is not recorded in this export."))
    }

    @Test func htmlCardAndChartLeaveTheShareOut() {
        let html = Report.html(tables: Self.tables, context: Self.context)
        #expect(html.contains("<p class=\"big\">Not recorded</p><p>received at least one intervention: not recorded in this export</p>"))
        #expect(!html.contains("38% received any intervention"))
        #expect(html.contains("<p>Whether referrals received an intervention is not recorded in this export, so it is not charted.</p>"))
        // The pathway chart has the contacted series only.
        #expect(html.contains("the percentage of referrals that reached a link worker."))
        #expect(!html.contains("class=\"warning\">Not fitted: interventions"))
    }

    /// The note words: a note names its field; joined notes are read one by one.
    @Test func notesAreReadByField() {
        #expect(Report.withheldText(note: "not_recorded:contacted;not_recorded:interventions", field: "interventions") == "not recorded in this export")
        #expect(Report.withheldText(note: "recorded_in_part:interventions", field: "interventions") == "missing from some input files")
        #expect(Report.withheldText(note: "not_recorded:contacted", field: "interventions") == nil)
        #expect(Report.withheldText(note: "", field: "interventions") == nil)
        #expect(Report.fieldNoteText("not_recorded:interventions") == "the number of interventions is not recorded in this export")
        #expect(Report.fieldNoteText("suppressed") == nil)
    }
}
