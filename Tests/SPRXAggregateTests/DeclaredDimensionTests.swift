import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

/// Dimensions as declarations (issue 26): a dimension declared in code is counted and
/// published by the same machinery as a pipeline's, a count refuses a reader it does not
/// keep the field of, and reason groups count a referral in each group it is in.
@Suite(.timeLimit(.minutes(10))) struct DeclaredDimensionTests {
    static let routes = [
        RouteDefinition(id: "gp", type: .medical, labels: []), RouteDefinition(id: "self", type: .nonMedical, labels: []),
        RouteDefinition(id: "unknown", type: .unknown, labels: []),
    ]
    static let bands = [AgeBand(label: "0-49", lower: 0, upper: 49), AgeBand(label: "50+", lower: 50, upper: 120)]

    /// Adding a dimension in code: the places touched are exactly two, (1) this
    /// declaration, handed to the schema, and (2) its parsing, a level put in its field
    /// of the key (``key(_:carer:)`` below stands in for the clean stage). Nothing else —
    /// no table, trend, mask or projection — names it, and yet the tables publish it.
    static let carer = DeclaredDimension(
        name: "carer", title: "Unpaid carer", columns: ["carer"],
        levels: [.init(label: "Carer", values: ["Y"]), .init(label: "Not a carer", values: ["N"])])
    static let schema = try! GroupKeySchema(ageBands: bands, routes: routes.map(\.id), reasons: ["a", "b", "c"], declared: [carer])

    /// A referral's key: July 2024, Wales, route `route`, carer level `carer` (2 is Unknown).
    static func key(_ route: UInt8, carer: UInt64) -> UInt64 {
        schema.key(
            ageBand: 0, sex: .female, ethnicity: .white, nation: .wales, decile: 3, rurality: .urban, routeType: routes[Int(route)].type,
            contacted: false, route: route, month: GroupKeySchema.monthLevel(Day(year: 2024, month: 7, day: 1)!))
            | carer << schema.field(.declared(0)).shift
    }

    /// By hand: carers 30 by GP and 12 self-referred (42), not carers 20 by GP, 9 Unknown
    /// self-referred. Disclosure off, so the counts are exact: carers 12/42 = 28.57%
    /// non-medical; not carers 0/20; Unknown 9/9. Trends: one month, one row per level.
    @Test func aDimensionDeclaredInCodeIsPublishedLikeABuiltInOne() throws {
        var counts = ReferralCounts(schema: Self.schema)
        let groups: [(UInt8, UInt64, Int)] = [(0, 0, 30), (1, 0, 12), (0, 1, 20), (1, 2, 9)]
        for (route, carer, n) in groups {
            for _ in 0..<n { counts.add(key: Self.key(route, carer: carer), reasons: 0b001, contacted: false, intervention: false) }
        }
        let off = DisclosureSettings(enabled: false)
        let builder = EquityTableBuilder(routes: Self.routes, reasons: [ReasonDefinition(id: "a", labels: [])], groupKey: Self.schema, disclosure: off)
        let tables = builder.build(counts)
        let routeType = try #require(tables.first { $0.name == TableSchema.routeTypeByGroup.name }).rows.map { $0.map(\.csv).joined(separator: ",") }
        #expect(routeType.contains { $0.hasPrefix("carer,Carer,non_medical,12,42,28.57,") }, "\(routeType.filter { $0.hasPrefix("carer") })")
        #expect(routeType.contains { $0.hasPrefix("carer,Not a carer,non_medical,0,20,0.00,") })
        #expect(routeType.contains { $0.hasPrefix("carer,Unknown,non_medical,9,9,100.00,") })
        let reasons = try #require(tables.first { $0.name == TableSchema.reasonsByGroup.name }).rows.map { $0.map(\.csv).joined(separator: ",") }
        #expect(reasons.contains { $0.hasPrefix("carer,Carer,a,42,42,100.00,") })
        let trends = TrendTableBuilder(groupKey: Self.schema, routes: Self.routes, disclosure: off)
            .build(counts, period: (Day(year: 2024, month: 7, day: 1)!, Day(year: 2024, month: 7, day: 31)!))
        let carerRows = trends.rows.map { $0.map(\.csv).joined(separator: ",") }.filter { $0.hasPrefix("referrals,month,") && $0.contains(",carer,") }
        #expect(
            carerRows == [
                "referrals,month,2024-07-01,2024-07-31,carer,Carer,42,,42,,,FALSE,,FALSE,off",
                "referrals,month,2024-07-01,2024-07-31,carer,Not a carer,20,,20,,,FALSE,,FALSE,off",
                "referrals,month,2024-07-01,2024-07-31,carer,Unknown,9,,9,,,FALSE,,FALSE,off",
            ])
    }

    /// A consumer that asks a count for a field the count does not keep is refused when
    /// the schema is checked (at load), never read as level 0 at run time.
    @Test func aReaderOfAFieldTheCountDropsIsRefused() throws {
        let s = Self.schema
        let ethnicity = try #require(s.grouping(named: Grouping.Name.ethnicity))
        let carer = try #require(s.grouping(named: "carer"))
        #expect(throws: GroupKeySchema.Overflow.self) { try s.check(reads: [ethnicity], from: .months) }
        do {
            try s.check(reads: [ethnicity, carer], from: .residents)
            Issue.record("residents do not keep ethnicity")
        } catch {
            #expect(error.message.contains("residents") && error.message.contains("ethnicity, carer"), "\(error.message)")
        }
        try s.check(reads: [carer], from: .months)
        try s.check(reads: [carer, ethnicity], from: .outcomes)
        // The model cell keeps only dimensions declared with `model: true`.
        #expect(throws: GroupKeySchema.Overflow.self) { try s.check(reads: [carer], from: .modelCells) }
    }

    /// Reason groups, by hand: 10 referrals with reasons a and b, 5 with c only, 3 with
    /// none; group ab = {a, b}, group bc = {b, c}. ab counts 10, bc counts 10 + 5 = 15 (the
    /// first ten are in both), and the groups' totals (25) exceed the referrals with a
    /// reason (15): the pathway rows say each is counted in every group.
    @Test func reasonGroupsCountAReferralInEachOfItsGroups() throws {
        let groups = [ReasonGroup(name: "ab", reasons: [0, 1]), ReasonGroup(name: "bc", reasons: [1, 2])]
        let schema = try GroupKeySchema(ageBands: Self.bands, routes: Self.routes.map(\.id), reasons: ["a", "b", "c"], reasonGroups: groups)
        var counts = ReferralCounts(schema: schema)
        func key(_ route: UInt8) -> UInt64 {
            schema.key(
                ageBand: 0, sex: .male, ethnicity: .white, nation: .england, decile: 1, rurality: .urban, routeType: Self.routes[Int(route)].type,
                contacted: true, route: route, month: 24_000)
        }
        for _ in 0..<10 { counts.add(key: key(0), reasons: 0b011, contacted: true, intervention: true) }
        for _ in 0..<5 { counts.add(key: key(1), reasons: 0b100, contacted: true, intervention: false) }
        for _ in 0..<3 { counts.add(key: key(1), reasons: 0, contacted: false, intervention: false) }
        let reasons = ["a", "b", "c"].map { ReasonDefinition(id: $0, labels: []) }
        let tables = EquityTableBuilder(routes: Self.routes, reasons: reasons, groupKey: schema, disclosure: DisclosureSettings(enabled: false)).build(counts)
        func rows(_ name: String) -> [String] {
            tables.first { $0.name == name }!.rows.map { $0.map(\.csv).joined(separator: ",") }.filter { $0.hasPrefix("reason_group,") }
        }
        #expect(rows(TableSchema.routeTypeByGroup.name).contains { $0.hasPrefix("reason_group,ab,medical,10,10,100.00,") })
        #expect(rows(TableSchema.routeTypeByGroup.name).contains { $0.hasPrefix("reason_group,bc,non_medical,5,15,33.33,") })
        #expect(rows(TableSchema.routeByGroup.name).contains { $0.hasPrefix("reason_group,bc,gp,10,15,66.67,") })
        let pathway = rows(TableSchema.pathwayByGroup.name)
        #expect(pathway.contains("reason_group,bc,all,15,15,10,100.00,66.67,counted_in_each_reason_group,FALSE,off"), "\(pathway)")
        #expect(pathway.allSatisfy { $0.contains(PathwayColumn.Note.countedInEachReasonGroup) })
        // Removing a referral again (a duplicate) takes it out of every group it was in.
        counts.add(key: key(0), reasons: 0b011, contacted: true, intervention: true, sign: -1)
        #expect(counts.reasonGroups.reduce(0) { $0 + $1.value.referred } == 9 + 14)
    }
}
