import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPublish
import SPRXRunner
import SPRXTestSupport
import Testing

@testable import SPRXGenerate

@Suite(.timeLimit(.minutes(10))) struct GeneratorCalibrationTests {
    /// The synthetic data should look like Bu et al. (2024): 72-85% medical routes,
    /// about 90% contacted, about 38% with an intervention, mental health the most
    /// common reason, and non-medical routes more common among younger people, men,
    /// minority ethnic groups and more deprived areas.
    @Test func marginalsAndGradientsFollowBuEtAl() throws {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-cal-\(UUID().uuidString)").path
        var generator = try ReferralGenerator(
            options: GeneratorOptions(rows: 40_000, seed: 3, files: 2, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: dir))
        _ = try generator.run()
        try RunJob.run(
            RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/referral-equity.yaml", inputs: [dir], outputDirectory: dir + "/out",
                disclosureControl: false, quiet: true))
        func rows(_ table: String) throws -> [[String: String]] {
            try CSVTable(path: "\(dir)/out/tables/\(table).csv").records
        }
        let types = try rows("route_type_by_group")
        func share(_ dimension: String, _ group: String, _ type: String = "non_medical") -> Double {
            Double(types.first { $0["dimension"] == dimension && $0["group"] == group && $0["route_type"] == type }!["percent"]!)!
        }
        #expect((72...85).contains(share("all", "all", "medical")))
        #expect(share("age_band", "18-24") > share("age_band", "65-74"))
        #expect(share("sex", "Male") > share("sex", "Female"))
        #expect(share("ethnicity", "Black") > share("ethnicity", "White"))
        #expect(share("imd_quintile", "1") > share("imd_quintile", "5"))
        let pathway = try rows("pathway_by_group").first { $0["dimension"] == "all" && $0["route_type"] == "all" }!
        #expect(abs(Double(pathway["pct_contacted"]!)! - 90) < 3)
        #expect(abs(Double(pathway["pct_intervention"]!)! - 38) < 3)
        let reasons = try rows("reasons_by_group").filter { $0["dimension"] == "all" }
        #expect(reasons.max { Int($0["n"]!)! < Int($1["n"]!)! }?["reason"] == "mental_health")
        try? FileManager.default.removeItem(atPath: dir)
    }
}
