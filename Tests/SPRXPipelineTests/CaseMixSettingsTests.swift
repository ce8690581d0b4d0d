import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `case_mix` section: the strata of the organisations' standardised ratios, each
/// mistake refused (exit 78) with the line it is on, before any data is read.
@Suite(.timeLimit(.minutes(10))) struct CaseMixSettingsTests: ShippedPipelineEditing {
    /// The shipped pipeline with `section` added at the end.
    func with(_ section: String) -> String { valid + "\n" + section + "\n" }

    func failure(_ section: String) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try parse(with(section)) }
        #expect(error?.code == .invalidPipeline, "\(String(describing: error))")
        return error
    }

    /// The shipped pipeline's line count: the added section starts on the line after it.
    var sectionLine: Int { valid.split(separator: "\n", omittingEmptySubsequences: false).count + 1 }

    @Test func withoutTheSectionTheDefaultStrata() throws {
        let pipeline = try parse(valid)
        #expect(pipeline.caseMixStrata == ["age_band", "sex", "imd_quintile", "nation"])
        #expect(pipeline.groupKey.caseMixStrata.map(\.name) == pipeline.caseMixStrata)
    }

    @Test func theSectionChoosesTheStrata() throws {
        let pipeline = try parse(with("case_mix:\n  strata: [age_band, imd_decile, ethnicity]"))
        #expect(pipeline.caseMixStrata == ["age_band", "imd_decile", "ethnicity"])
        #expect(pipeline.groupKey.caseMixStrata.map(\.name) == ["age_band", "imd_decile", "ethnicity"])
        // The schema rebuilt from the configuration keeps the choice.
        #expect(try GroupKeySchema(pipeline: pipeline).caseMixStrata.map(\.name) == ["age_band", "imd_decile", "ethnicity"])
        // No strata: one stratum, the crude comparison.
        #expect(try parse(with("case_mix:\n  strata: []")).groupKey.caseMixStrata.isEmpty)
    }

    @Test func mistakesNameTheKeyAndLine() {
        let unknown = failure("case_mix:\n  strata: [age_band, postcode]")
        #expect(unknown?.message.contains("key 'case_mix.strata'") == true && unknown?.message.contains("'postcode'") == true)
        #expect(unknown?.location?.line == sectionLine + 1)
        let route = failure("case_mix:\n  strata: [route_type]")
        #expect(route?.message.contains("'route_type'") == true)
        let twice = failure("case_mix:\n  strata: [imd_decile, imd_quintile]")
        #expect(twice?.message.contains("each field once") == true)
        let key = failure("case_mix:\n  strata: [sex]\n  weights: [1]")
        #expect(key?.message.contains("unknown key 'weights'") == true)
        let missing = failure("case_mix:\n  adjust: true")
        #expect(missing?.location?.line != nil)
        let notList = failure("case_mix:\n  strata: age_band")
        #expect(notList?.message.contains("a list of text values") == true)
    }
}
