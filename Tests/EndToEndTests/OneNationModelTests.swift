import Foundation
import SPRXTestSupport
import Testing

/// The shipped pipeline on an export from one nation other than England: the models'
/// `nation` covariate has one level in the data, so it has nothing to estimate and is
/// left out of the fit (its reference, England, no referral has). Before, every model
/// failed `empty_level` (the hostile-input hunt's Welsh export).
///
/// By hand: ``NotRecordedTests``' 120 referrals (ages 20-139 fold to the bands; sex, route
/// and interventions by its rules), each given one of ``DraftReferenceLevelTests``' 30
/// Welsh small areas (3 per WIMD decile, so every quintile is present).
@Suite(.timeLimit(.minutes(10))) struct OneNationModelTests {
    @Test func aNationWithOneLevelIsLeftOutOfTheModels() throws {
        let dir = scratch()
        try NotRecordedTests.writeReferrals(Array(0..<120), to: dir + "/referrals.csv") { i, row in
            row = NotRecordedTests.referralRow(i % 40)
            row["referral_id"] = "W\(i)"
            row["person_id"] = "Q\(i)"
            row["age"] = String(20 + i % 60)
            row["area_code"] = DraftReferenceLevelTests.areas[i % 30]
        }
        let run = try sprx(
            ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/referrals.csv", "--out", dir + "/out", "--no-disclosure-control"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("empty_level"), "\(run.stderr)")
        let models = CSVTable(text: (try? String(contentsOfFile: dir + "/out/tables/models.csv", encoding: .utf8)) ?? "").records
        #expect(models.contains { $0["model"] == "route_nonmedical" && $0["term"] == "sex" }, "the model is fitted")
        #expect(!models.contains { $0["term"] == "nation" }, "no nation terms: one level")
    }
}
