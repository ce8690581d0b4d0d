import Foundation
import SPRXTestSupport
import Testing

/// An export whose area column holds postcodes loses every referral's deprivation,
/// rurality, nation and rate; the hostile-input hunt found the run said nothing but a
/// summary line. Over 10% of clean referrals with no recognised area code is now the
/// `areas_unknown` warning (stderr, manifest, report), naming counts and the fix, never
/// a postcode.
///
/// By hand: ``NotRecordedTests``' 40 referrals, the odd ones (20) given made-up postcodes
/// ("ZZ1 1ZZ"-shaped, no real place); 20 of 40 = 50.0% unknown. The even ones keep their
/// English small areas.
@Suite(.timeLimit(.minutes(10))) struct AreasUnknownTests {
    @Test func postcodesInTheAreaColumnAreWarnedAbout() throws {
        let dir = scratch()
        try NotRecordedTests.writeReferrals(Array(0..<40), to: dir + "/referrals.csv") { i, row in
            if i % 2 == 1 { row["area_code"] = "ZZ\(i % 9 + 1) \(i % 7 + 1)ZZ" }
        }
        let run = try sprx(
            ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/referrals.csv", "--out", dir + "/out", "--no-disclosure-control"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("20 of 40 clean referrals (50.0%) have no area code a lookup recognises"), "\(run.stderr)")
        #expect(run.stderr.contains("not postcodes"))
        let manifest = (try? String(contentsOfFile: dir + "/out/manifest.json", encoding: .utf8)) ?? ""
        #expect(manifest.contains("\"areas_unknown\""))
        for file in ["manifest.json", "report.html", "report.md"] {
            let text = (try? String(contentsOfFile: dir + "/out/" + file, encoding: .utf8)) ?? ""
            #expect(!text.contains("ZZ"), "a postcode in \(file)")
        }
        #expect(((try? String(contentsOfFile: dir + "/out/report.html", encoding: .utf8)) ?? "").contains("Warning (area codes not recognised)"))
    }

    /// The sample exports (at most 1.5% unknown) are not warned about.
    @Test func theSampleIsNotWarnedAbout() throws {
        let dir = scratch()
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/out"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("no area code a lookup recognises"), "\(run.stderr)")
    }
}
