import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXModels

@Suite(.timeLimit(.minutes(10))) struct ModelTableTests {
    static let bands = [AgeBand(label: "0-49", lower: 0, upper: 49), AgeBand(label: "50+", lower: 50, upper: 120)]

    static let schema = try! GroupKeySchema(ageBands: bands, routes: ["a", "b", "unknown"], reasons: [])

    /// The model cell of a referral in band 0-49, White, decile 3, urban.
    func cell(sex: Sex, route: RouteType, contacted: Bool, nation: Nation = .england, decile: UInt8 = 3) -> UInt32 {
        let key = Self.schema.key(
            ageBand: 0, sex: sex, ethnicity: .white, nation: nation, decile: decile, rurality: .urban, routeType: route, contacted: contacted,
            route: 0, month: 0)
        return UInt32(key & Self.schema.modelCellMask)
    }

    /// Adds `n` referrals of one kind.
    func add(
        _ counts: inout ModelCounts, _ n: Int, sex: Sex, route: RouteType, organisation: String? = nil, contacts: Int32 = 1,
        interventions: Int32 = 0, nation: Nation = .england
    ) {
        for _ in 0..<n {
            counts.add(
                ModelCell(
                    organisation: organisation.flatMap { ShortCode($0) }, cell: cell(sex: sex, route: route, contacted: contacts > 0, nation: nation),
                    contacts: contacts, interventions: interventions))
        }
    }

    func builder(_ models: [ModelDefinition], cluster: Bool = false, unknownAsLevel: Bool = false, disclosure: Bool = false) -> ModelTableBuilder {
        ModelTableBuilder(
            settings: ModelSettings(clusterByOrganisation: cluster, unknownAsLevel: unknownAsLevel, models: models), groupKey: Self.schema,
            disclosure: DisclosureSettings(enabled: disclosure))
    }

    let bySex = ModelDefinition(name: "route", outcome: .routeNonMedical, family: .logistic, covariates: [.sex])

    func cell(_ table: PublishedTable, term: String, level: String, measure: String, _ column: String) -> String? {
        let index = table.header.firstIndex(of: column)!
        let m = table.header.firstIndex(of: "measure")!
        return table.rows.first { $0[3].string == term && $0[4].string == level && $0[m].string == measure }?[index].shown
    }

    /// Hand calculation (a 2×2 table): female 30 of 100 non-medical, male 60 of 100.
    /// OR = (60/40)/(30/70) = 3.5; SE(log OR) = √(1/30 + 1/70 + 1/60 + 1/40) (Woolf);
    /// AME = 60% − 30% = 30 percentage points (the model is saturated).
    @Test func twoByTwoTableThroughTheBuilder() throws {
        var counts = ModelCounts()
        add(&counts, 30, sex: .female, route: .nonMedical)
        add(&counts, 70, sex: .female, route: .medical)
        add(&counts, 60, sex: .male, route: .nonMedical)
        add(&counts, 40, sex: .male, route: .medical)
        add(&counts, 12, sex: .unknown, route: .medical)  // unknown sex: left out
        add(&counts, 9, sex: .male, route: .unknown)  // unknown outcome: left out
        let (table, summaries) = builder([bySex]).build(counts)
        #expect(summaries[0].status == .fitted)
        #expect(summaries[0].observations == 200)
        #expect(summaries[0].excludedUnknownCovariate == 12 && summaries[0].excludedUnknownOutcome == 9)
        #expect(summaries[0].standardErrors == "model")
        let or = try #require(Double(cell(table, term: "sex", level: "Male", measure: "odds_ratio", "estimate") ?? ""))
        #expect(abs(or - 3.5) < 1e-7)
        let se = try #require(Double(cell(table, term: "sex", level: "Male", measure: "odds_ratio", "std_error") ?? ""))
        #expect(abs(se - (1.0 / 30 + 1.0 / 70 + 1.0 / 60 + 1.0 / 40).squareRoot()) < 1e-8)
        let ame = try #require(Double(cell(table, term: "sex", level: "Male", measure: "ame_pp", "estimate") ?? ""))
        #expect(abs(ame - 30) < 1e-6)
        #expect(cell(table, term: "sex", level: "Male", measure: "odds_ratio", "n_clusters") == "")
        #expect(cell(table, term: "sex", level: "Male", measure: "odds_ratio", "se_type") == "model")
        #expect(cell(table, term: "(Intercept)", level: "", measure: "baseline_odds", "reference") == "")
        // Other is not in the data: no row for it (levels without referrals are dropped).
        #expect(!table.rows.contains { $0[4].string == "Other" })
    }

    @Test func unknownKeptAsALevelWhenAsked() throws {
        var counts = ModelCounts()
        add(&counts, 30, sex: .female, route: .nonMedical)
        add(&counts, 70, sex: .female, route: .medical)
        add(&counts, 5, sex: .unknown, route: .nonMedical)
        add(&counts, 15, sex: .unknown, route: .medical)
        let (table, summaries) = builder([bySex], unknownAsLevel: true).build(counts)
        #expect(summaries[0].observations == 120)
        // (5/15)/(30/70) = 7/9.
        let or = try #require(Double(cell(table, term: "sex", level: "Unknown", measure: "odds_ratio", "estimate") ?? ""))
        #expect(abs(or - 7.0 / 9) < 1e-7)
    }

    @Test func failuresAreReportedNotThrown() {
        var counts = ModelCounts()
        add(&counts, 30, sex: .female, route: .nonMedical, nation: .wales)
        add(&counts, 70, sex: .female, route: .medical, nation: .wales)
        add(&counts, 60, sex: .male, route: .nonMedical, nation: .wales)
        add(&counts, 10, sex: .female, route: .medical, nation: .scotland)
        // No England (the reference nation) at all, and two other nations (with one, the
        // nation would be constant and left out of the fit: OneNationModelTests).
        let byNation = ModelDefinition(name: "by_nation", outcome: .routeNonMedical, family: .logistic, covariates: [.nation])
        let (table, summaries) = builder([byNation, bySex]).build(counts)
        #expect(summaries.map(\.status) == [.failed, .failed])
        #expect(summaries[0].errorCode == "empty_level")
        #expect(summaries[0].message == "reference level 'England' of nation has no referrals in this model's data")
        // Every male referral is non-medical.
        #expect(summaries[1].errorCode == "separation")
        #expect(table.rows.isEmpty)
    }

    @Test func clusteringLeavesOutReferralsWithoutOrganisation() throws {
        var counts = ModelCounts()
        for (i, org) in ["U00001", "U00002", "U00003"].enumerated() {
            add(&counts, 10 + i, sex: .female, route: .nonMedical, organisation: org)
            add(&counts, 20 + 3 * i, sex: .female, route: .medical, organisation: org)
            add(&counts, 15 - i, sex: .male, route: .nonMedical, organisation: org)
            add(&counts, 12 + i, sex: .male, route: .medical, organisation: org)
        }
        add(&counts, 8, sex: .male, route: .medical)
        let (table, summaries) = builder([bySex], cluster: true).build(counts)
        #expect(summaries[0].excludedNoOrganisation == 8)
        #expect(summaries[0].clusters == 3)
        #expect(summaries[0].standardErrors == "cluster_robust_cr1")
        #expect(cell(table, term: "sex", level: "Male", measure: "odds_ratio", "n_clusters") == "3")
    }

    /// Shards counted apart and merged (through JSON, as a batch scheduler would move
    /// them) give the same models as one run.
    @Test func shardsMergeThroughJSON() throws {
        var whole = ModelCounts()
        var left = ModelCounts()
        var right = ModelCounts()
        for i in 0..<400 {
            let sex: Sex = i % 3 == 0 ? .male : .female
            let route: RouteType = i % 5 < 2 ? .nonMedical : .medical
            let org = "U0000\(i % 4)"
            add(&whole, 1, sex: sex, route: route, organisation: org, contacts: Int32(i % 7), interventions: Int32(i % 3))
            if i < 150 {
                add(&left, 1, sex: sex, route: route, organisation: org, contacts: Int32(i % 7), interventions: Int32(i % 3))
            } else {
                add(&right, 1, sex: sex, route: route, organisation: org, contacts: Int32(i % 7), interventions: Int32(i % 3))
            }
        }
        let decoded = try JSONDecoder().decode(ModelCounts.self, from: JSONEncoder().encode(right))
        #expect(decoded == right)
        left.merge(decoded)
        #expect(left == whole)
        let models = [bySex, ModelDefinition(name: "contacts", outcome: .contacts, family: .negativeBinomial, covariates: [.sex, .routeType])]
        #expect(builder(models, cluster: true).build(left).table.csv == builder(models, cluster: true).build(whole).table.csv)
    }

    /// Two referrals with the largest count the Cleaner accepts (Int32.max) in one cell:
    /// sums 2 × 2,147,483,647 = 4,294,967,294 by hand. The 32-bit cell sums trapped.
    @Test func cellSumsHoldTwoLargestCounts() {
        var counts = ModelCounts()
        add(&counts, 2, sex: .female, route: .medical, organisation: "U00001", contacts: Int32.max, interventions: Int32.max)
        var other = ModelCounts()
        add(&other, 1, sex: .female, route: .medical, organisation: "U00001", contacts: Int32.max, interventions: 0)
        counts.merge(other)
        let sums = Array(counts.cells.map(\.value))
        #expect(sums.count == 1)
        #expect(sums.first?.contacts == 6_442_450_941)
        #expect(sums.first?.interventions == 4_294_967_294)
        #expect(sums.first?.referrals == 3 && sums.first?.withIntervention == 2)
    }
}

extension ModelTableTests {
    /// p-values: 4 significant digits, and a p below the smallest the table shows as 0
    /// (by hand: 0.04321987 → 0.04322).
    @Test func pValueCells() {
        #expect(ModelTableBuilder.pValue(1e-301).csv == "0" && ModelTableBuilder.pValue(0.04321987).csv == "0.04322")
    }
}
