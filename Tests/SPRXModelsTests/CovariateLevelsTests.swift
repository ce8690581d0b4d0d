import Foundation
import SPRXAggregate
import SPRXCore
import Testing

@testable import SPRXModels
@testable import SPRXPipeline

/// Covariate levels for any number of covariates (there was room for 8), and a covariate
/// the model cell does not keep reported as a failed model, never read as level 0.
@Suite(.timeLimit(.minutes(10))) struct CovariateLevelsTests {
    static let bands = [AgeBand(label: "0-49", lower: 0, upper: 49), AgeBand(label: "50+", lower: 50, upper: 120)]
    static let schema = try! GroupKeySchema(ageBands: bands, routes: ["a", "b", "unknown"], reasons: [])

    /// The 8 built-in covariates' groupings, then 3 more over fields the model cell keeps:
    /// the contact flag, and two coarsenings (sex known or not; White or not, unknown
    /// apart), as a pipeline's own dimensions would add.
    static var elevenGroupings: [Grouping] {
        let builtIn: [ModelCovariate] = [.ageBand, .sex, .ethnicity, .nation, .imdDecile, .imdQuintile, .rurality, .routeType]
        return builtIn.map { schema.grouping($0)! } + [
            Grouping(name: "contact", title: "Contact", levels: ["No", "Yes"], axis: .contacted, unknownLevel: 1, uses: .model),
            Grouping(
                name: "sex_known", title: "Sex known", levels: ["Known", "Unknown"], axis: .sex, levelOfField: [0, 0, 0, 1], unknownLevel: 1, uses: .model),
            Grouping(
                name: "white", title: "White", levels: ["White", "Not White", "Unknown"], axis: .ethnicity, levelOfField: [0, 1, 1, 1, 1, 2], unknownLevel: 2,
                uses: .model),
        ]
    }

    /// Expected levels by hand from the vocabularies' published order (`Domain.swift`):
    /// band "50+" = 1; Other = sex 2; Black = ethnicity 3; Scotland = nation 2; decile 7
    /// = level 6, quintile 4 = level 3; Mixed = rurality 2; non_medical = route type 1;
    /// contacted = 1; sex Other is known (0); Black is not White (1).
    @Test func elevenCovariatesReadFromOneCell() {
        let s = Self.schema
        let groupings = Self.elevenGroupings
        #expect(groupings.allSatisfy(s.modelCellKeeps))
        let key = s.key(
            ageBand: 1, sex: .other, ethnicity: .black, nation: .scotland, decile: 7, rurality: .mixed, routeType: .nonMedical, contacted: true,
            route: 2, month: 100)
        var levels = Array(repeating: -1, count: groupings.count)
        ModelTableBuilder.levels(of: UInt32(key & s.modelCellMask), s, groupings, into: &levels)
        #expect(levels == [1, 2, 3, 2, 6, 3, 2, 1, 1, 0, 1])
        // Unknowns: band index 2 (after the 2 bands), sex 3, ethnicity 5, nation 4,
        // decile 0 → level 10 and quintile 5, rurality 3, route type 2; not contacted;
        // sex not known (1); ethnicity unknown (2).
        let unknown = s.key(
            ageBand: 2, sex: .unknown, ethnicity: .unknown, nation: .unknown, decile: 0, rurality: .unknown, routeType: .unknown, contacted: false,
            route: 0, month: 0)
        ModelTableBuilder.levels(of: UInt32(unknown & s.modelCellMask), s, groupings, into: &levels)
        #expect(levels == [2, 3, 5, 4, 10, 5, 3, 2, 0, 1, 2])
    }

    /// A builder given a covariate its key's model cell does not keep (the route) or no
    /// grouping at all fails that model with the reason, and fits the others.
    @Test func covariateOutsideTheModelCellFailsTheModel() throws {
        var counts = ModelCounts()
        let s = Self.schema
        func add(_ n: Int, _ sex: Sex, _ route: RouteType) {
            let key = s.key(
                ageBand: 0, sex: sex, ethnicity: .white, nation: .england, decile: 3, rurality: .urban, routeType: route, contacted: true,
                route: 1, month: 0)
            for _ in 0..<n { counts.add(ModelCell(organisation: nil, cell: UInt32(key & s.modelCellMask), contacts: 1, interventions: 0)) }
        }
        add(30, .female, .nonMedical)
        add(70, .female, .medical)
        add(60, .male, .nonMedical)
        add(40, .male, .medical)
        let models = [
            ModelDefinition(name: "by_route", outcome: .routeNonMedical, family: .logistic, covariates: [.sex, ModelCovariate(Grouping.Name.route)]),
            ModelDefinition(name: "by_disability", outcome: .routeNonMedical, family: .logistic, covariates: [ModelCovariate("disability")]),
            ModelDefinition(name: "by_sex", outcome: .routeNonMedical, family: .logistic, covariates: [.sex]),
        ]
        let builder = ModelTableBuilder(
            settings: ModelSettings(clusterByOrganisation: false, models: models), groupKey: s, disclosure: DisclosureSettings(enabled: false))
        let (table, summaries) = builder.build(counts)
        #expect(summaries.map(\.status) == [.failed, .failed, .fitted])
        #expect(summaries[0].errorCode == "invalid_design" && summaries[1].errorCode == "invalid_design")
        #expect(summaries[0].message?.contains("'route' is a grouping the models' cells do not keep") == true)
        #expect(summaries[1].message?.contains("unknown 'disability'") == true)
        // The 2×2 table of ModelTableTests: OR = (60/40)/(30/70) = 3.5 (hand calculation).
        let or = table.rows.first { $0[0].string == "by_sex" && $0[3].string == "sex" && $0[4].string == "Male" }
        #expect(abs((or?[6].value ?? 0) - 3.5) < 1e-7)
    }
}
