import Foundation
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

/// A model covariate the model cell does not keep is refused when the projection is made
/// (before any referral is counted), never counted as level 0.
@Suite(.timeLimit(.minutes(10))) struct ModelCellProjectionTests {
    static let schema = try! GroupKeySchema(
        ageBands: [AgeBand(label: "0+", lower: 0, upper: 120)], routes: ["gp", "unknown"], reasons: ["housing", "debt"])

    func projection(_ covariates: [ModelCovariate]) throws(SPRXError) -> ModelCellProjection {
        try ModelCellProjection(models: [ModelDefinition(name: "m", outcome: .contacted, family: .logistic, covariates: covariates)], schema: Self.schema)
    }

    @Test(arguments: [Grouping.Name.route, Grouping.Name.reason])
    func groupingOutsideTheModelCellIsRefused(name: String) throws {
        // The route and reason fields lie above the model cell's bits.
        let grouping = try #require(Self.schema.grouping(named: name))
        #expect(Self.schema.field(grouping.axis).mask & Self.schema.modelCellMask == 0)
        let error = #expect(throws: SPRXError.self) { try projection([.sex, ModelCovariate(name)]) }
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("'\(name)' is a grouping the models' cells do not keep") == true)
        // The valid names, from the schema: every grouping within the model cell.
        #expect(error?.message.contains("covariates from route_type, age_band, sex, ethnicity, imd_decile, imd_quintile, rurality, nation (") == true)
    }

    @Test func unknownGroupingIsRefused() {
        let error = #expect(throws: SPRXError.self) { try projection([ModelCovariate("disability")]) }
        #expect(error?.code == .invalidPipeline && error?.message.contains("unknown 'disability'") == true)
    }

    /// Every built-in covariate is kept: the mask is their fields and the contact flag.
    @Test func builtInCovariatesAreKept() throws {
        let s = Self.schema
        let all: [ModelCovariate] = [.routeType, .ageBand, .sex, .ethnicity, .imdDecile, .imdQuintile, .rurality, .nation]
        let p = try projection(all)
        #expect(p.mask == s.modelCellMask && p.foldBit == 0)
    }
}
