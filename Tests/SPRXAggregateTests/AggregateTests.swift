import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

@Suite(.timeLimit(.minutes(10))) struct WilsonTests {
    // Newcombe RG (1998) Two-sided confidence intervals for the single proportion,
    // Stat Med 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
    @Test(arguments: [
        (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0000, 0.1611), (1, 29, 0.0061, 0.1718),
    ])
    func publishedValues(successes: Int, total: Int, low: Double, high: Double) throws {
        let ci = try #require(WilsonInterval.bounds(successes: Int64(successes), total: Int64(total)))
        #expect(abs(ci.low - low) < 0.00005)
        #expect(abs(ci.high - high) < 0.00005)
    }

    @Test func statsmodelsValue() throws {
        // statsmodels 0.15.0: proportion_confint(15400, 19650, method="wilson")
        //   = (0.7779033468089169, 0.7894157711030603)
        let ci = try #require(WilsonInterval.bounds(successes: 15400, total: 19650))
        #expect(abs(ci.low - 0.7779033468089169) < 1e-12 && abs(ci.high - 0.7894157711030603) < 1e-12)
    }
}

@Suite(.timeLimit(.minutes(10))) struct DisclosureTests {
    @Test func suppressionAndRounding() {
        let publish = { (n: Int64) in DisclosureControl.publish(n, enabled: true, suppressUpTo: 7, roundTo: 5) }
        #expect(publish(0) == 0)
        for n in 1...7 { #expect(publish(Int64(n)) == nil) }
        #expect(publish(8) == 10 && publish(12) == 10 && publish(13) == 15 && publish(100) == 100 && publish(102) == 100)
        #expect(DisclosureControl.publish(3, enabled: false, suppressUpTo: 7, roundTo: 5) == 3)
    }

    func routes() -> [RouteDefinition] {
        [
            RouteDefinition(id: "primary_care", type: .medical, labels: []),
            RouteDefinition(id: "self_referral", type: .nonMedical, labels: []),
            RouteDefinition(id: "unknown", type: .unknown, labels: []),
        ]
    }

    static let bands = [
        AgeBand(label: "0-17", lower: 0, upper: 17), AgeBand(label: "18-24", lower: 18, upper: 24), AgeBand(label: "25+", lower: 25, upper: 120),
    ]
    var schema: GroupKeySchema { try! GroupKeySchema(ageBands: Self.bands, routes: routes().map(\.id), reasons: ["mental_health"]) }

    /// A referral's key with the given groups (route type from the route, July 2024).
    func key(_ ageBand: UInt8, _ sex: Sex, _ ethnicity: Ethnicity, _ decile: UInt8, _ rurality: Rurality, route: UInt8, contacted: Bool = false) -> UInt64 {
        schema.key(
            ageBand: ageBand, sex: sex, ethnicity: ethnicity, nation: .wales, decile: decile, rurality: rurality,
            routeType: routes()[Int(route)].type, contacted: contacted, route: route, month: GroupKeySchema.monthLevel(Day(year: 2024, month: 7, day: 1)!))
    }

    /// 42 + 3 referrals in group a (male), 9 in b (female), 5 in c (sex Other).
    func hesCounts() -> ReferralCounts {
        var counts = ReferralCounts(schema: schema)
        for _ in 0..<42 { counts.add(key: key(1, .male, .white, 3, .rural, route: 0), reasons: 1, contacted: true, intervention: true) }
        for _ in 0..<3 { counts.add(key: key(1, .male, .white, 3, .rural, route: 1), reasons: 1, contacted: true, intervention: false) }
        for _ in 0..<9 { counts.add(key: key(2, .female, .asian, 4, .urban, route: 0), reasons: 0, contacted: false, intervention: false) }
        for _ in 0..<5 { counts.add(key: key(2, .other, .black, 4, .urban, route: 2), reasons: 0, contacted: false, intervention: false) }
        return counts
    }

    func hesTables(_ disclosure: DisclosureSettings = DisclosureSettings()) -> [String: [String]] {
        let builder = EquityTableBuilder(
            routes: routes(), reasons: [ReasonDefinition(id: "mental_health", labels: [])], groupKey: schema, disclosure: disclosure)
        var lines: [String: [String]] = [:]
        for table in builder.build(hesCounts()) { lines[table.name] = table.rows.map { $0.map(\.csv).joined(separator: ",") } }
        return lines
    }

    /// outputs-v2 "Disclosure control" (NHS Digital's HES/ECDS rule), by hand: all
    /// referrals 42 + 3 + 9 + 5 = 59, published as 60 (the true total rounded, not the
    /// sum of published cells, which v1 gave as 50); medical 42 + 9 = 51 → 50; 3
    /// self-referrals and 5 unknown routes are suppressed. Percentages from the rounded
    /// counts: 50/60 = 83.33%; Wilson 95% bounds (computed by hand in Python from
    /// Wilson's formula, z = 1.959964) 71.97-90.69.
    @Test func totalsAreTrueTotalsControlledOnTheirOwn() {
        let t = hesTables()
        let routeType = t["route_type_by_group"]!
        #expect(routeType.contains("all,all,medical,50,60,83.33,71.97,90.69,FALSE,on"))
        #expect(routeType.contains("all,all,non_medical,,60,,,,TRUE,on"))
        #expect(routeType.contains("all,all,unknown,,60,,,,TRUE,on"))
        let route = t["route_by_group"]!
        #expect(route.contains("all,all,primary_care,50,60,83.33,71.97,90.69,FALSE,on"))
        #expect(route.contains("all,all,self_referral,,60,,,,TRUE,on"))
        // Male: 45 → 45; 42 → 40; 40/45 = 88.89% (76.50-95.16); zero stays zero: 0/45.
        #expect(route.contains("sex,Male,primary_care,40,45,88.89,76.50,95.16,FALSE,on"))
        #expect(route.contains("sex,Male,self_referral,,45,,,,TRUE,on"))
        #expect(route.contains("sex,Male,unknown,0,45,0.00,0.00,7.87,FALSE,on"))
        // Female: 9 → 10 of 9 → 10: 100% (72.25-100).
        #expect(route.contains("sex,Female,primary_care,10,10,100.00,72.25,100.00,FALSE,on"))
        // Other: the total (5) is itself suppressed, so no percentage; 0 stays 0.
        #expect(route.contains("sex,Other,primary_care,0,,,,,TRUE,on"))
        #expect(route.contains("sex,Other,unknown,,,,,,TRUE,on"))
        // No group reads total 0 while it has referrals.
        for line in route + routeType { #expect(!line.contains(",0,0,"), "\(line)") }
        // Reasons: 45 of 59 → 45 of 60 = 75.00% (62.77-84.22).
        #expect(t["reasons_by_group"]!.contains("all,all,mental_health,45,60,75.00,62.77,84.22,FALSE,on"))
        #expect(t["reasons_by_group"]!.contains("sex,Other,mental_health,0,,,,,TRUE,on"))
        // Pathway: referred 59 → 60, contacted 45 → 45 (75.00%), intervention 42 → 40 (66.67%).
        let pathway = t["pathway_by_group"]!
        #expect(pathway.contains("all,all,all,60,45,40,75.00,66.67,,FALSE,on"))
        #expect(pathway.contains("all,all,medical,50,40,40,80.00,80.00,,FALSE,on"))
        #expect(pathway.contains("all,all,non_medical,,,0,,,,TRUE,on"))
    }

    /// No published count is 1-7 or off the multiple of 5, in any table and column.
    @Test func noSmallCountPublished() {
        for (name, lines) in hesTables() {
            let header = TableSchema.routeByGroup.header
            for line in lines {
                let cells = CSVTable.fields(line)
                let countColumns = name == "pathway_by_group" ? [3, 4, 5] : [header.firstIndex(of: "n")!, header.firstIndex(of: "total")!]
                for c in countColumns where !cells[c].isEmpty {
                    let v = Int(cells[c])!
                    #expect(v == 0 || (v > 7 && v % 5 == 0), "\(name) \(line)")
                }
            }
        }
    }

    /// `--no-disclosure-control`: exact counts, said in every row: 51 of 59 = 86.44%
    /// (75.46-92.97, by hand as above).
    @Test func controlOffKeepsExactCounts() {
        let t = hesTables(DisclosureSettings(enabled: false))
        #expect(t["route_type_by_group"]!.contains("all,all,medical,51,59,86.44,75.46,92.97,FALSE,off"))
        #expect(t["route_by_group"]!.contains("all,all,self_referral,3,59,5.08,1.74,13.92,FALSE,off"))
        #expect(t["pathway_by_group"]!.contains("all,all,all,59,45,42,76.27,71.19,,FALSE,off"))
    }

    /// The share helper: numerator and denominator controlled on their own, the
    /// percentage suppressed when either is; extreme counts round without overflow.
    @Test func shareAndExtremes() {
        let share = DisclosureControl.share(12, of: 13, enabled: true, suppressUpTo: 7, roundTo: 5)
        #expect(share.numerator == 10 && share.denominator == 15)
        #expect(DecimalText.format(share.percent!.value, places: 2) == "66.67")
        let hidden = DisclosureControl.share(9, of: 7, enabled: true, suppressUpTo: 7, roundTo: 5)
        #expect(hidden.numerator == 10 && hidden.denominator == nil && hidden.percent == nil && hidden.isSuppressed)
        // Int64.max = 9223372036854775807 ≡ 2 (mod 5): nearest multiple ...805.
        #expect(DisclosureControl.publish(Int64.max, enabled: true, suppressUpTo: 7, roundTo: 5) == 9_223_372_036_854_775_805)
    }

    @Test func mergeIsAdditionAndRemovalUndoes() throws {
        func k(_ i: Int) -> UInt64 { key(3, .other, .black, 10, .rural, route: UInt8(i % 3), contacted: i % 2 == 0) }
        var whole = ReferralCounts(schema: schema), left = ReferralCounts(schema: schema), right = ReferralCounts(schema: schema)
        for i in 0..<20 {
            whole.add(key: k(i), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            if i < 7 {
                left.add(key: k(i), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            } else {
                right.add(key: k(i), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            }
        }
        var merged = left
        merged.merge(right)
        #expect(merged == whole)
        // Removing the first 7 again (as a duplicate found later is) leaves the other 13.
        var undo = whole
        for i in 0..<7 { undo.add(key: k(i), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0, sign: -1) }
        undo.compact()
        #expect(undo == right)
        #expect(undo != whole)
        // Serialisable: a shard's state survives JSON and merges the same.
        let data = try JSONEncoder().encode(left)
        var decoded = try JSONDecoder().decode(ReferralCounts.self, from: data)
        decoded.merge(right)
        #expect(decoded == whole)
        #expect(whole.referrals == 20)
        // A state keyed by another layout (the same routes listed in another order) is refused.
        let reordered = try GroupKeySchema(ageBands: Self.bands, routes: routes().map(\.id).reversed(), reasons: ["mental_health"])
        var checked = ReferralCounts(schema: schema)
        try checked.merge(counted: left)
        #expect(throws: SPRXError.self) { try checked.merge(counted: ReferralCounts(schema: reordered)) }
        let first = k(0)
        #expect(schema.level(.nation, of: first) == Int(Nation.wales.rawValue) && schema.level(.decile, of: first) == 9)
        #expect(schema.grouping(.imdQuintile).map { schema.level($0, of: first) } == 4 && schema.level(.rurality, of: first) == Int(Rurality.rural.rawValue))
    }
}

/// The referral month in the state: counted per month, route, nation and decile, and
/// merged and removed like every other count. Expected values by construction.
@Suite(.timeLimit(.minutes(10))) struct MonthCountsTests {
    static let schema = try! GroupKeySchema(ageBands: [AgeBand(label: "0+", lower: 0, upper: 120)], routes: ["gp", "unknown"], reasons: [])

    func key(month: Int, route: UInt8, decile: UInt8, age: UInt8 = 0) -> UInt64 {
        Self.schema.key(
            ageBand: age, sex: .female, ethnicity: .white, nation: .england, decile: decile, rurality: .urban, routeType: route == 0 ? .medical : .unknown,
            contacted: false, route: route, month: GroupKeySchema.monthLevel(Day(year: 2024, month: month, day: 15)!))
    }

    /// 3 referrals in January (two ages, one group), 2 in March; one January one removed again.
    @Test func monthsCountReferralsAndMergeAndUndo() throws {
        var a = ReferralCounts(schema: Self.schema), b = ReferralCounts(schema: Self.schema)
        a.add(key: key(month: 1, route: 0, decile: 2, age: 0), reasons: 0, contacted: true, intervention: false, day: Day(year: 2024, month: 1, day: 15))
        a.add(key: key(month: 1, route: 0, decile: 2, age: 1), reasons: 0, contacted: false, intervention: true, day: Day(year: 2024, month: 1, day: 15))
        b.add(key: key(month: 1, route: 0, decile: 2), reasons: 0, contacted: true, intervention: true, day: Day(year: 2024, month: 1, day: 15))
        b.add(key: key(month: 3, route: 1, decile: 0), reasons: 0, contacted: false, intervention: false, day: Day(year: 2024, month: 3, day: 15))
        b.add(key: key(month: 3, route: 1, decile: 0), reasons: 0, contacted: false, intervention: false, day: Day(year: 2024, month: 3, day: 15))
        a.merge(b)
        var byMonth: [String: OutcomeCounts] = [:]
        for (k, v) in a.months { byMonth[GroupKeySchema.monthLabel(Self.schema.level(.month, of: k)), default: .zero].add(v) }
        #expect(a.months.count == 2, "age is not part of the month key: January is one entry")
        #expect(byMonth["2024-01"]?.referred == 3 && byMonth["2024-01"]?.contacted == 2 && byMonth["2024-01"]?.intervention == 2)
        #expect(byMonth["2024-03"]?.referred == 2)
        a.add(key: key(month: 3, route: 1, decile: 0), reasons: 0, contacted: false, intervention: false, day: nil, sign: -1)
        a.add(key: key(month: 3, route: 1, decile: 0), reasons: 0, contacted: false, intervention: false, day: nil, sign: -1)
        a.compact()
        #expect(a.months.count == 1)
        for (k, _) in a.months {
            #expect(Self.schema.level(.decile, of: k) == 1 && Self.schema.level(.route, of: k) == 0)
        }
    }

    /// Deciles fold into quintiles unless a model adjusts for the decile; the contact flag
    /// is kept only when a model explains it; the route (not a model covariate) never is.
    @Test func modelCellsKeepOnlyWhatTheModelsTellApart() throws {
        let s = Self.schema
        let byQuintile = try ModelCellProjection(
            models: [ModelDefinition(name: "m", outcome: .anyIntervention, family: .logistic, covariates: [.imdQuintile])], schema: s)
        let byDecile = try ModelCellProjection(
            models: [ModelDefinition(name: "m", outcome: .contacted, family: .logistic, covariates: [.imdDecile])], schema: s)
        let three = key(month: 1, route: 0, decile: 3), four = key(month: 1, route: 0, decile: 4), five = key(month: 2, route: 1, decile: 5)
        #expect(byQuintile.apply(three) == byQuintile.apply(four), "deciles 3 and 4 are quintile 2")
        #expect(byQuintile.apply(four) != byQuintile.apply(five))
        #expect(byDecile.apply(three) != byDecile.apply(four))
        let contacted = s.setting(.contacted, to: 1, in: three)
        #expect(byQuintile.apply(contacted) == byQuintile.apply(three))
        #expect(byDecile.apply(contacted) != byDecile.apply(three))
        #expect(UInt64(byDecile.apply(contacted)) & ~s.modelCellMask == 0)
    }
}
