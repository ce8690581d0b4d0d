import Foundation
import Testing

/// A draft's model reference levels are levels the export has (issue 24 trial: a
/// Welsh-only export's draft kept `nation: England`, so every model failed
/// `empty_level`).
@Suite(.timeLimit(.minutes(10))) struct DraftReferenceLevelTests {
    /// 30 Welsh small areas of the sample WIMD 2019 lookup, 3 from each decile 1 to 10
    /// (so quintile 5 is present), urban and rural ones among them.
    static let areas = [
        "W01000016", "W01000091", "W01000098", "W01000029", "W01000030", "W01000033", "W01000003", "W01000017", "W01000056", "W01000028",
        "W01000063", "W01000065", "W01000001", "W01000009", "W01000022", "W01000004", "W01000005", "W01000006", "W01000002", "W01000014",
        "W01000019", "W01000011", "W01000012", "W01000020", "W01000010", "W01000015", "W01000044", "W01000008", "W01000013", "W01000135",
    ]

    /// 400 referrals, every area code in Wales; sex Male (356) or Non-binary (44), never
    /// Female; ethnicity White British or Asian; routes GP Surgery or Self from a fixed
    /// linear congruential sequence (so route and covariates are not separated).
    static func extract() -> String {
        var rows = ["Referral Number,Patient Identifier,Referral Received,Age,Gender,Ethnicity,LSOA Code,Source of referral,Reason,No. of sessions,GP Practice"]
        var x: UInt64 = 12345
        for i in 0..<400 {
            x = (x &* 1_103_515_245 &+ 12_345) & 0x7fff_ffff
            let source = (x >> 16) % 2 == 0 ? "GP Surgery" : "Self"
            let sex = i % 9 == 0 ? "Non-binary" : "Male"
            let ethnicity = i % 4 == 0 ? "Asian" : "White British"
            let date = String(format: "%02d/%02d/2024", 1 + i % 28, 1 + i % 12)
            rows.append(
                "CV\(30000 + i),PT\(50000 + i),\(date),\(18 + (i * 37) % 72),\(sex),\(ethnicity),\(areas[i % 30]),\(source),Low mood,\((x >> 8) % 6),W970\(10 + i % 10)"
            )
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The draft's reference nation is Wales (the only nation: 400 of 400 area codes),
    /// `nation` is in no model's covariates, the sex reference is Male (the export has
    /// no Female; 356 Male against 44 Other, counted by hand), ethnicity stays White; the
    /// draft runs and fits route_nonmedical (no `empty_level`).
    @Test func welshOnlyExportDraftFitsItsModels() throws {
        let folder = scratch()
        let input = folder + "/cardiff.csv"
        try Self.extract().write(toFile: input, atomically: true, encoding: .utf8)
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", input, "--draft-pipeline", draft, "--reference-dir", "SampleData/reference"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("    nation: Wales") }, "\(text)")
        #expect(!lines.contains { $0.hasPrefix("    nation: England") })
        #expect(lines.contains { $0.hasPrefix("    sex: Male") })
        #expect(lines.contains { $0.hasPrefix("    ethnicity: White") })
        let covariates = lines.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("covariates: [") }
        #expect(!covariates.isEmpty && covariates.allSatisfy { !$0.contains("nation") }, "\(covariates)")

        let out = folder + "/out"
        let run = try sprx(["run", "--pipeline", draft, "--input", input, "--out", out, "--reference-dir", "SampleData/reference"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("empty_level"), "\(run.stderr)")
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(!manifest.contains("empty_level"))
        let models = try String(contentsOfFile: out + "/tables/models.csv", encoding: .utf8)
        #expect(models.contains("route_nonmedical,route_nonmedical,logistic,(Intercept),"), "\(models)")
        #expect(models.contains("route_nonmedical,route_nonmedical,logistic,sex,Other,Male,"), "\(models)")
    }
}
