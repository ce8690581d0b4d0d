import Foundation
import SPRXTestSupport
import Testing

/// Unknown is not none: an `interventions` column every file has but some referrals
/// leave empty. Above ``FieldRecording/blankShareLimit`` (2%) of the clean referrals the
/// intervention share is withheld (note `partly_blank:interventions`), since counting
/// the empty cells as "no intervention" would state what the export does not say (a
/// new-user trial's export had 25% empty and got 52% beside Bu et al.'s 38%, against
/// 70% among the referrals that recorded it). At or under the limit, or when the
/// pipeline says an empty cell means none (`columns.empty_means_none`), the share is
/// given and the summary says how many were empty. The models leave empty counts out
/// either way, and are fitted.
///
/// The referrals are ``NotRecordedTests``' 40 (or 100) by its rules, run with
/// `--no-disclosure-control`; expected values by hand from those rules: interventions
/// above 0 exactly when `i % 3 == 0` (14 of 40, 34 of 100); the empty cells are put only
/// on referrals with `i % 3 != 0`, so they never hide an intervention; contacted 30 of 40.
@Suite(.serialized, .timeLimit(.minutes(10))) struct PartlyBlankTests {
    /// Writes referrals `range` (with `repeats` written again at the end) with
    /// interventions empty for `blank`, and runs the default pipeline (models cut as in
    /// ``NotRecordedTests``) with `columns` lines added.
    static func run(
        _ range: Range<Int>, blank: Set<Int>, noContact: Set<Int> = [], repeats: [Int] = [], columns: [String] = []
    ) throws -> NotRecordedTests.Run {
        let dir = scratch()
        try NotRecordedTests.writeReferrals(Array(range) + repeats, to: dir + "/referrals.csv") { i, row in
            if blank.contains(i) { row["interventions"] = "" }
            if noContact.contains(i) { (row["contacted"], row["contacts"]) = ("", "") }
        }
        let pipeline = try pipelineVariant(
            in: dir,
            [
                ("columns:\n", "columns:\n" + columns.map { "  \($0)\n" }.joined()),
                ("covariates: [age_band, sex, ethnicity, imd_quintile, rurality, nation]", "covariates: [sex]"),
                ("covariates: [route_type, age_band, sex, ethnicity, imd_quintile, rurality, nation]", "covariates: [route_type]"),
            ])
        let result = try sprx(
            ["run", "--pipeline", pipeline, "--input", dir + "/referrals.csv", "--out", dir + "/out", "--no-disclosure-control", "--jobs", "2"])
        return NotRecordedTests.Run(status: result.status, stderr: result.stderr, out: dir + "/out")
    }

    static func allRow(_ run: NotRecordedTests.Run) -> [String: String] {
        run.table("pathway_by_group").first { $0["dimension"] == "all" && $0["group"] == "all" && $0["route_type"] == "all" } ?? [:]
    }

    static func partlyBlank(_ run: NotRecordedTests.Run) -> [String: Any]? {
        (run.manifest["fields_partly_blank"] as? [[String: Any]])?.first
    }

    /// 4 of 40 empty (10%): the share is withheld everywhere it would be, the models fit.
    /// A repeat of an empty-celled referral is a duplicate and does not count twice.
    @Test func overTheLimitTheShareIsWithheld() throws {
        let run = try Self.run(0..<40, blank: [1, 11, 31, 35], repeats: [11])
        #expect(run.status == 0, "\(run.stderr)")
        let all = Self.allRow(run)
        #expect(all["referred"] == "40" && all["intervention"] == "" && all["pct_intervention"] == "", "\(all)")
        #expect(all["contacted"] == "30" && all["pct_contacted"] == "75.00", "the contact share is not affected: \(all)")
        #expect(all["note"] == "partly_blank:interventions", "\(all)")
        for row in run.table("pathway_by_group") where row["referred"] != "0" {
            #expect(row["intervention"] == "" && (row["note"] ?? "").contains("partly_blank:interventions"), "\(row)")
        }
        for row in run.table("trends") where row["measure"] == "intervention_share" {
            #expect(row["numerator"] == "" && row["value"] == "", "\(row)")
        }
        #expect(!run.table("organisations").contains { $0["indicator"] == "intervention_share" }, "no funnel of a share withheld")
        let blank = Self.partlyBlank(run)
        #expect(
            blank?["field"] as? String == "interventions" && blank?["blank"] as? Int == 4 && blank?["clean_referrals"] as? Int == 40
                && blank?["share_withheld"] as? Bool == true, "\(String(describing: blank))")
        // The models leave the 4 out and are fitted.
        #expect(run.model("any_intervention")["excluded_unknown_outcome"] as? Int == 4, "\(run.model("any_intervention"))")
        #expect(run.model("any_intervention")["status"] as? String == "fitted", "\(run.model("any_intervention"))")
        #expect(run.stderr.contains("interventions blank for 4 of the 40 referrals (10%)"), "\(run.stderr)")
        let markdown = run.text("report.md")
        #expect(markdown.contains("- Received at least one intervention: blank for more than 2% of referrals"), "\(markdown.prefix(3000))")
        for line in NotRecordedTests.lines(markdown, mentioning: "intervention") {
            #expect(!line.contains("38%"), "beside Bu et al.'s figure: \(line)")
        }
    }

    /// 2 of 100 empty (2%, not over the limit): the share is given with them counted as
    /// none (34 of 100), and the summary and the manifest say how many were empty.
    @Test func atTheLimitTheShareIsGivenAndSaid() throws {
        let run = try Self.run(0..<100, blank: [1, 2])
        #expect(run.status == 0, "\(run.stderr)")
        let all = Self.allRow(run)
        #expect(all["referred"] == "100" && all["intervention"] == "34" && all["pct_intervention"] == "34.00" && all["note"] == "", "\(all)")
        let blank = Self.partlyBlank(run)
        #expect(blank?["blank"] as? Int == 2 && blank?["share_withheld"] as? Bool == false, "\(String(describing: blank))")
        #expect(run.stderr.contains("interventions empty for 2 of 100 clean referrals, counted as \"no\" in its share"), "\(run.stderr)")
    }

    /// The pipeline says an empty cell means none: 4 of 40 empty, the share given (14 of 40).
    @Test func emptyMeansNoneGivesTheShare() throws {
        let run = try Self.run(0..<40, blank: [1, 11, 31, 35], columns: ["empty_means_none: [interventions]"])
        #expect(run.status == 0, "\(run.stderr)")
        let all = Self.allRow(run)
        #expect(all["intervention"] == "14" && all["pct_intervention"] == "35.00" && all["note"] == "", "\(all)")
        #expect(Self.partlyBlank(run)?["share_withheld"] as? Bool == false)
        #expect(run.stderr.contains("(the pipeline's columns.empty_means_none)"), "\(run.stderr)")
    }

    /// Neither a contacted flag nor a contact count for 4 of 40 (all four contacted by the
    /// rules, so counting them as "no" would give 26 of 40): the contact share is withheld
    /// (note `partly_blank:contacted`), the intervention share is not, the models fit.
    @Test func noContactRecordedWithholdsTheContactShare() throws {
        let run = try Self.run(0..<40, blank: [], noContact: [0, 1, 2, 4])
        #expect(run.status == 0, "\(run.stderr)")
        let all = Self.allRow(run)
        #expect(all["contacted"] == "" && all["pct_contacted"] == "" && all["note"] == "partly_blank:contacted", "\(all)")
        #expect(all["intervention"] == "14" && all["pct_intervention"] == "35.00", "\(all)")
        let blank = Self.partlyBlank(run)
        #expect(
            blank?["field"] as? String == "contacted" && blank?["blank"] as? Int == 4 && blank?["share_withheld"] as? Bool == true,
            "\(String(describing: blank))")
        // The contacts model leaves the four empty counts out and is fitted.
        #expect(run.model("contacts")["excluded_unknown_outcome"] as? Int == 4, "\(run.model("contacts"))")
        #expect(run.model("contacts")["status"] as? String == "fitted", "\(run.model("contacts"))")
        #expect(run.stderr.contains("contacted blank for 4 of the 40 referrals (10%)"), "\(run.stderr)")
    }

    /// `empty_means_none` takes only the fields an empty cell can change.
    @Test func emptyMeansNoneRefusesOtherFields() throws {
        let run = try Self.run(0..<10, blank: [], columns: ["empty_means_none: [age]"])
        #expect(run.status == 78, "\(run.stderr)")
        #expect(run.stderr.contains("fields whose empty cell can mean none: interventions"), "\(run.stderr)")
    }
}
