import Foundation
import SPRXTestSupport
import Testing

/// A pipeline's own groups, end to end: what the aggregation key must hold comes from
/// the pipeline, and every referral is published under its own group.
@Suite(.timeLimit(.minutes(10))) struct GroupKeyRunTests {
    /// 40 one-year age bands (`0-0` … `38-38`, `39+`): before the group-key schema the
    /// key held 31 bands (and before that published a 32nd band's referrals under the
    /// wrong one). Expected counts by construction: age `a` (0-45) gets `8 + a % 5`
    /// rows, so band `a-a` has that many, `39+` the sum over 39-45 (8+4 + 8+0 + 8+1 +
    /// 8+2 + 8+3 + 8+4 + 8+0 = 70), and 9 rows without an age are Unknown.
    @Test func fortyOneYearAgeBandsPublishEachReferralInItsBand() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bands = ((0..<39).map { "\"\($0)-\($0)\"" } + ["\"39+\""]).joined(separator: ", ")
        let pipeline = try pipelineVariant(
            in: dir,
            [
                ("age_bands: [\"0-17\", \"18-24\", \"25-34\", \"35-44\", \"45-54\", \"55-64\", \"65-74\", \"75-84\", \"85+\"]", "age_bands: [\(bands)]"),
                ("    age_band: \"45-54\"\n", ""),
            ])
        var csv =
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id,notes\n"
        var n = 0
        func row(_ age: String) {
            n += 1
            csv += "R\(n),P\(n),01/03/2024,\(age),F,A,E01000001,practice nurse,mental health,1,1,0,U1,\n"
        }
        for age in 0...45 { for _ in 0..<(8 + age % 5) { row(String(age)) } }
        for _ in 0..<9 { row("") }
        try csv.write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", pipeline, "--input", dir + "/extract.csv", "--out", dir + "/out", "--quiet", "--no-disclosure-control"])
        #expect(result.status == 0, "\(result.stderr)")

        let lines = CSVTable.records(try String(contentsOfFile: dir + "/out/tables/pathway_by_group.csv", encoding: .utf8))
        let header = try #require(lines.first)
        let referred = try #require(header.firstIndex(of: "referred"))
        var published: [String: Int] = [:]
        for line in lines.dropFirst() where line[0] == "age_band" && line[2] == "all" { published[line[1]] = Int(line[referred]) }
        var expected: [String: Int] = ["39+": 70, "Unknown": 9]
        for age in 0..<39 { expected["\(age)-\(age)"] = 8 + age % 5 }
        #expect(published == expected)
    }
}
