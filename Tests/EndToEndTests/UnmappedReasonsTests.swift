import Foundation
import SPRXTestSupport
import Testing

/// A share of referrals counts referrals: 30 of 90 referrals each giving three reasons no
/// list names are 33.3% of referrals with an unmapped reason, not "90 of 90 (100%)"
/// (the hostile-input hunt's case, which failed the quality gate with exit 4 and
/// published nothing). `data_quality.csv` still counts labels, as the contract says.
///
/// By hand: ``NotRecordedTests``' referrals 0..<90 with reasons "Walking;Cooking;Gardening"
/// when `i % 3 == 0` (30 referrals, 90 labels), none for referrals 1, 2, 4, 5, 7, 8, 10,
/// 11 and 13 (9 referrals), else "Mental health"; referral 0 written again at the end, an
/// exact repeat (a duplicate, whose labels are taken back out). Unmapped: 30 of 90
/// (33.3%); unknown, no known reason at all: 30 + 9 = 39 of 90 (43.3%).
@Suite(.timeLimit(.minutes(10))) struct UnmappedReasonsTests {
    @Test func theGateAndSummaryCountReferralsNotLabels() throws {
        let dir = scratch()
        try NotRecordedTests.writeReferrals(Array(0..<90) + [0], to: dir + "/referrals.csv") { i, row in
            if i % 3 == 0 { row["referral_reasons"] = "Walking;Cooking;Gardening" }
            if [1, 2, 4, 5, 7, 8, 10, 11, 13].contains(i) { row["referral_reasons"] = "" }
        }
        let run = try sprx(
            ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/referrals.csv", "--out", dir + "/out", "--no-disclosure-control"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("referral_reasons: 43.3% unknown, 33.3% unmapped"), "\(run.stderr)")
        let quality = CSVTable(text: (try? String(contentsOfFile: dir + "/out/tables/data_quality.csv", encoding: .utf8)) ?? "").records
        let labels = quality.first { $0["file"] == "all" && $0["measure"] == "unmapped:referral_reasons" }?["value"]
        #expect(labels == "90", "labels, not referrals, and the duplicate's taken back: \(String(describing: labels))")
        #expect(quality.first { $0["file"] == "all" && $0["measure"] == "duplicate" }?["value"] == "1")
    }
}
