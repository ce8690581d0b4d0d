import Foundation
import SPRXTestSupport
import Testing

/// Issue 24, items 4 and 11, end to end: values named as missing are Unknown (never
/// quarantined), and no row disappears (mixed line ends, padded gzip, `--out` inside the
/// inputs, the output lock taken first). Every expected count is counted by hand from
/// the rows the test writes, as each test's comment shows.
@Suite struct RowsAndMissingValuesTests {
    /// Disclosure control off (the counts are small and checked exactly) and the
    /// `missing_values` section given, if any.
    static func pipeline(in dir: String, missingValues: String? = nil) throws -> String {
        var edits = [("disclosure:\n  enabled: true", "disclosure:\n  enabled: false")]
        if let missingValues { edits.append(("\ndates:\n", "\nmissing_values:\n\(missingValues)\ndates:\n")) }
        return try pipelineVariant(in: dir, edits)
    }

    /// The rows of `tables/<name>.csv` whose first cells are `prefix`, as cell lists.
    static func rows(_ out: String, _ name: String, _ prefix: [String]) throws -> [[String]] {
        let text = try String(contentsOfFile: "\(out)/tables/\(name).csv", encoding: .utf8)
        return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { Array($0.prefix(prefix.count)) == prefix }
    }

    /// `data_quality.csv`'s value of `measure` for every file together.
    static func quality(_ out: String, _ measure: String) throws -> Int? {
        try rows(out, "data_quality", ["all", measure]).first.flatMap { Int($0[2]) }
    }

    static let header = "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id\n"

    /// An export like the new user's: ages written `unknown`, `N/K` and `-`, contacts `-`.
    ///
    /// Hand count of the 18 rows: ages unknown ×4, `N/K` ×3, `-` ×2 (9 not known); 30 ×5
    /// (band 25-34), of which 3 have contacts `-` and 2 have contacts 2; 150 ×2, -3 ×1,
    /// forty ×1 (4 impossible or unlisted). Every row: GP (medical), interventions 1.
    static func newUserExport() -> String {
        var rows: [String] = []
        var id = 0
        func add(_ age: String, contacts: String = "2") {
            id += 1
            rows.append("R\(id),P\(id),2024-03-01,\(age),F,White,E01000001,GP,Anxiety,,\(contacts),1,U00001")
        }
        for age in ["unknown", "Unknown", " UNKNOWN ", "unknown", "N/K", "n/k", "N/K", "-", " - "] { add(age) }
        for contacts in ["-", "-", "-", "2", "2"] { add("30", contacts: contacts) }
        for age in ["150", "150", "-3", "forty"] { add(age) }
        return header + rows.joined(separator: "\n") + "\n"
    }

    /// With `missing_values`, the 9 ages not known are the Unknown age band and the 3
    /// contacts `-` are unknown contacts: 14 clean, 4 quarantined (invalid_age), none
    /// invalid_contacts. Tables (hand counts above): all medical 14; age band Unknown 9,
    /// 25-34 5; reached a link worker (contacts > 0) 11 of 14 (the 3 `-` are not known,
    /// so not counted as reached), intervention 14.
    @Test func namedMissingValuesAreUnknownNotQuarantined() throws {
        let dir = scratch()
        try Self.newUserExport().write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let pipeline = try Self.pipeline(in: dir, missingValues: "  age: [unknown, \"N/K\", \"-\"]\n  contacts: [\"-\"]")
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", pipeline, "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "rows_read") == 18)
        #expect(try Self.quality(out, "clean") == 14)
        #expect(try Self.quality(out, "quarantined") == 4)
        #expect(try Self.quality(out, "quarantined:invalid_age") == 4)
        #expect(try Self.quality(out, "quarantined:invalid_contacts") == 0)
        #expect(try Self.rows(out, "route_type_by_group", ["all", "all", "medical"]).first?[3] == "14")
        #expect(try Self.rows(out, "route_type_by_group", ["age_band", "Unknown", "medical"]).first?[3] == "9")
        #expect(try Self.rows(out, "route_type_by_group", ["age_band", "25-34", "medical"]).first?[3] == "5")
        let pathway = try #require(try Self.rows(out, "pathway_by_group", ["all", "all", "medical"]).first)
        #expect(Array(pathway[3...5]) == ["14", "11", "14"], "referred, contacted, intervention")
    }

    /// Without the section the same export loses 16 of 18 rows to quarantine (hand count:
    /// 9 ages not known + 4 impossible are invalid_age; the 3 contacts `-`, aged 30, are
    /// invalid_contacts), over the default 50% gate, so the run fails the gate.
    @Test func withoutTheSectionTheSameExportFailsTheQuarantineGate() throws {
        let dir = scratch()
        try Self.newUserExport().write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", try Self.pipeline(in: dir), "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("16"), "the gate names the quarantined count: \(run.stderr)")
    }

    /// A listed area code is an unknown area (data_quality's area_unknown), not an
    /// English code unmatched in the index; a listed organisation is no organisation.
    /// Hand count: 2 rows with area `E01999999` (listed; English-shaped, not in the
    /// index), 3 with `E01000001`. (Under 50% unmatched, so the plain run passes its gate.)
    @Test func aListedAreaCodeIsUnknownNotUnmatched() throws {
        let dir = scratch()
        var rows: [String] = []
        for i in 1...5 {
            let area = i <= 2 ? "E01999999" : "E01000001"
            rows.append("R\(i),P\(i),2024-03-01,40,F,White,\(area),GP,Anxiety,Y,2,1,\(i <= 3 ? "none" : "U00001")")
        }
        try (Self.header + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let listed = try Self.pipeline(in: dir, missingValues: "  area_code: [E01999999]\n  organisation_id: [none]")
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", listed, "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "area_unknown") == 2)
        #expect(try Self.quality(out, "area_unmatched_deprivation:England") == 0)
        #expect(try Self.quality(out, "clean") == 5)

        let plainOut = dir + "/plain"
        let plain = try sprx(["run", "--pipeline", try Self.pipeline(in: dir), "--input", dir + "/export.csv", "--out", plainOut, "--quiet"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try Self.quality(plainOut, "area_unknown") == 0)
        #expect(try Self.quality(plainOut, "area_unmatched_deprivation:England") == 2)
    }
}
