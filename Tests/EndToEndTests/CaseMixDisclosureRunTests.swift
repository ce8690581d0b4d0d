import Foundation
import SPRXTestSupport
import Testing

/// The case-mix cells of `organisations.csv` end to end: what they withhold, and which
/// strata the manifest says adjust them.
///
/// Expected values are the exports' own construction (counts written beside each test):
/// an exact count that disclosure control publishes rounded must appear in no published
/// file; `case_mix: {strata: []}` adjusts by nothing; a field the export does not record
/// stratifies nothing.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CaseMixDisclosureRunTests {
    /// Referrals of each organisation: its code, age (so its stratum) and exact counts.
    struct Organisation {
        var code: String
        var age: String
        var referrals: Int
        var nonMedical: Int
        var contacted: Int
        var intervention: Int
    }

    /// Organisations the default pipeline's lookup lists (others are pooled).
    let codes = NotRecordedTests.organisations

    /// An export of these organisations' referrals (every other field fixed), written to `path`.
    static func writeExport(_ path: String, _ organisations: [Organisation]) throws {
        var lines = [header]
        var id = 0
        for organisation in organisations {
            for j in 0..<organisation.referrals {
                id += 1
                let source = j < organisation.nonMedical ? "Self" : "GP"
                let contacted = j < organisation.contacted
                lines.append(
                    "R\(id),P\(id),2024-0\(1 + j % 6)-01,\(organisation.age),F,White,E01000001,\(source),Anxiety,\(contacted ? "Y" : "N"),\(contacted ? "2" : "0"),\(j < organisation.intervention ? "1" : "0"),\(organisation.code),"
                )
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Every number in a published file's text (CSV cells, JSON values).
    static func numbers(_ text: String) -> [Double] {
        text.split(whereSeparator: { !"0123456789.-+e".contains($0) }).compactMap { Double($0) }
    }

    // One organisation (400 referrals: 77 non-medical, 371 contacted, 173 with an
    // intervention; published 75, 370, 175) and two in strata of their own (by age: A
    // 25, B 70; A 200: 38, 181, 87; B 200: 39, 186, 92; published 40, 180, 85 and 40,
    // 185, 90). Without the rule `expected` was exactly 77, 371, 173 (or 38, 181, ...).
    @Test(arguments: [1, 2]) func fewOrganisationsPublishNoExactCount(organisations: Int) throws {
        let dir = scratch()
        let exports =
            organisations == 1
            ? [Organisation(code: codes[0], age: "40", referrals: 400, nonMedical: 77, contacted: 371, intervention: 173)]
            : [
                Organisation(code: codes[0], age: "25", referrals: 200, nonMedical: 38, contacted: 181, intervention: 87),
                Organisation(code: codes[1], age: "70", referrals: 200, nonMedical: 39, contacted: 186, intervention: 92),
            ]
        try Self.writeExport(dir + "/in.csv", exports)
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/in.csv", "--out", dir + "/out", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let hidden = Set(exports.flatMap { [$0.nonMedical, $0.contacted, $0.intervention] }.filter { $0 % 5 != 0 }.map(Double.init))
        // The table, and the manifest's funnel figures (the rest of the manifest holds digests
        // and sizes whose digits are no count).
        let table = try String(contentsOfFile: dir + "/out/tables/organisations.csv", encoding: .utf8)
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))) as? [String: Any])
        let funnels = String(decoding: try JSONSerialization.data(withJSONObject: manifest["organisation_funnels"] ?? [:]), as: UTF8.self)
        for (file, text) in [("organisations.csv", table), ("manifest.json organisation_funnels", funnels)] {
            let leaked = Self.numbers(text).filter { hidden.contains($0) }
            #expect(leaked.isEmpty, "\(file) publishes exact counts \(leaked)")
        }
        let rows = try CSVTable(path: dir + "/out/tables/organisations.csv").records.filter { $0["level"] == "organisation" }
        #expect(rows.count == 3 * organisations)
        for row in rows {
            for column in [
                "observed", "expected", "isr", "isr_lower_95", "isr_upper_998", "isr_funnel_lower_95", "isr_flag", "isr_funnel_upper_998_od", "isr_flag_od",
            ] {
                #expect(row[column] == "", "\(column) of \(row["organisation_id"] ?? "")")
            }
            #expect(row["note"]?.split(separator: ";").contains("case_mix_too_few_organisations") == true)
        }
    }

    // `case_mix: {strata: []}`: four organisations, every case-mix cell empty with the
    // note, the manifest lists no strata and no ratio φ.
    @Test func noStrataIsNoAdjustment() throws {
        let dir = scratch()
        let exports = (1...4).map { k in
            Organisation(code: codes[k - 1], age: "\(20 + 10 * k)", referrals: 100, nonMedical: 10 * k, contacted: 60 + 5 * k, intervention: 20 + k)
        }
        try Self.writeExport(dir + "/in.csv", exports)
        let pipeline = try pipelineVariant(in: dir, [("disclosure:\n", "case_mix:\n  strata: []\ndisclosure:\n")])
        let run = try sprx(["run", "--pipeline", pipeline, "--input", dir + "/in.csv", "--out", dir + "/out", "--quiet"])
        try #require(run.status == 0, "\(run.stderr)")
        let rows = try CSVTable(path: dir + "/out/tables/organisations.csv").records
        #expect(rows.filter { $0["level"] == "organisation" }.count == 12)
        for row in rows {
            for column in ["observed", "expected", "isr", "isr_upper_95", "isr_funnel_lower_998", "isr_flag", "isr_flag_od"] { #expect(row[column] == "") }
            #expect(row["note"]?.split(separator: ";").contains("case_mix_no_strata") == true, "\(row["note"] ?? "")")
            #expect(row["lower_95"] != "")
        }
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/manifest.json"))) as? [String: Any])
        let funnels = try #require(manifest["organisation_funnels"] as? [String: Any])
        #expect((funnels["case_mix_strata"] as? [String]) == [])
        let dispersion = try #require(funnels["overdispersion"] as? [[String: Any]])
        #expect(dispersion.filter { $0["kind"] as? String == "ratio" }.allSatisfy { $0["phi"] == nil })
    }

    // An export without `sex` (`optional: [sex]`): sex stratifies nothing, so the manifest's
    // strata and the report's are age band, deprivation quintile and nation.
    @Test func aStratumNotRecordedIsDropped() throws {
        let run = try NotRecordedTests.run(optional: ["sex"], files: [(0..<40, ["sex"])])
        try #require(run.status == 0, "\(run.stderr)")
        let funnels = try #require(run.manifest["organisation_funnels"] as? [String: Any])
        #expect((funnels["case_mix_strata"] as? [String]) == ["age_band", "imd_quintile", "nation"])
        let rows = run.table("organisations")
        #expect(rows.contains { $0["isr"] != "" })
        for line in run.text("report.md").split(separator: "\n") where line.lowercased().contains("case mix by") {
            #expect(!line.lowercased().contains("sex"), "\(line)")
        }
    }
}
