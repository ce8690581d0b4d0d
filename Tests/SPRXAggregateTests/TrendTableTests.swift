import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

/// `trends.csv` from hand-made counts.
///
/// The fixture (``counts()``), dated 2024-01-15 to 2024-03-10: in January, 10 English
/// decile-1 referrals by a medical route (contacted, with an intervention) and 5 by a
/// non-medical route (contacted); in February none; in March, 6 English decile-2
/// referrals by a non-medical route and 4 Welsh decile-6 referrals by the unknown route.
/// Every expected count below is a hand calculation from those; the Wilson intervals
/// are statsmodels' (`scripts/expected/trend_reference.py`).
@Suite(.timeLimit(.minutes(10))) struct TrendTableTests {
    static let routes = [
        RouteDefinition(id: "primary_care", type: .medical, labels: []),
        RouteDefinition(id: "self_referral", type: .nonMedical, labels: []),
        RouteDefinition(id: "unknown", type: .unknown, labels: []),
    ]
    static let schema = try! GroupKeySchema(
        ageBands: [AgeBand(label: "0-120", lower: 0, upper: 120)], routes: routes.map(\.id), reasons: ["mental_health"])
    static let exact = DisclosureSettings(enabled: false)

    static func day(_ year: Int, _ month: Int, _ day: Int) -> Day { Day(year: year, month: month, day: day)! }

    /// `count` referrals dated `day`.
    static func add(
        _ counts: inout ReferralCounts, _ count: Int, day: Day, nation: Nation, decile: UInt8, route: UInt8, contacted: Bool = false,
        intervention: Bool = false
    ) {
        let key = schema.key(
            ageBand: 0, sex: .female, ethnicity: .white, nation: nation, decile: decile, rurality: .urban, routeType: routes[Int(route)].type,
            contacted: contacted, route: route, month: GroupKeySchema.monthLevel(day))
        for _ in 0..<count { counts.add(key: key, reasons: 1, contacted: contacted, intervention: intervention, day: day) }
    }

    static func counts() -> ReferralCounts {
        var counts = ReferralCounts(schema: schema)
        add(&counts, 10, day: day(2024, 1, 15), nation: .england, decile: 1, route: 0, contacted: true, intervention: true)
        add(&counts, 5, day: day(2024, 1, 20), nation: .england, decile: 1, route: 1, contacted: true)
        add(&counts, 6, day: day(2024, 3, 1), nation: .england, decile: 2, route: 1)
        add(&counts, 4, day: day(2024, 3, 10), nation: .wales, decile: 6, route: 2)
        return counts
    }

    static func build(_ counts: ReferralCounts, disclosure: DisclosureSettings = exact) -> PublishedTable {
        TrendTableBuilder(groupKey: schema, routes: routes, disclosure: disclosure).build(counts, period: counts.period)
    }

    /// The row of one measure, interval, start, dimension and group (nil when not listed).
    static func row(
        _ table: PublishedTable, _ measure: TrendColumn.Measure, _ interval: TrendColumn.Interval, _ start: String, _ dimension: String,
        _ group: String
    ) -> [Cell]? {
        table.rows.first {
            $0[TrendColumn.measure].string == measure.rawValue && $0[TrendColumn.interval].string == interval.rawValue
                && $0[TrendColumn.intervalStart].string == start && $0[TrendColumn.dimension].string == dimension
                && $0[TrendColumn.group].string == group
        }
    }

    /// A decimal cell's value before rounding to its places (for the 1e-6 comparisons).
    static func unrounded(_ cell: Cell) -> Double? {
        if case .decimal(let value, _) = cell { return value }
        return nil
    }

    @Test func headerIsTheDeclaredColumns() {
        let table = Self.build(Self.counts())
        #expect(table.schema == .trends)
        #expect(table.header == TrendColumn.header)
        #expect(table.rows.allSatisfy { $0.count == TrendColumn.allCases.count })
    }

    /// Groups with a referral: all; route types medical, non_medical, unknown; nations
    /// England, Wales; quintiles 1 (deciles 1 and 2) and 3 (decile 6). Per interval: 8
    /// groups for referrals, contacted and intervention, 5 for non_medical_share (no
    /// route_type rows): 29 rows; 3 months and 1 quarter give 116 rows.
    @Test func handCountedRows() throws {
        let table = Self.build(Self.counts())
        #expect(table.rows.count == 29 * 3 + 29)
        let groups = Set(table.rows.map { $0[TrendColumn.dimension].string! + ":" + $0[TrendColumn.group].string! })
        #expect(
            groups == [
                "all:all", "route_type:medical", "route_type:non_medical", "route_type:unknown", "nation:England", "nation:Wales",
                "imd_quintile:1", "imd_quintile:3",
            ])
        func counts(_ m: TrendColumn.Measure, _ i: TrendColumn.Interval, _ start: String, _ dimension: String, _ group: String) -> [Int64?] {
            guard let row = Self.row(table, m, i, start, dimension, group) else { return [-1] }
            return [row[TrendColumn.numerator].count, row[TrendColumn.denominator].count]
        }
        #expect(counts(.referrals, .month, "2024-01-01", "all", "all") == [15, nil])
        #expect(counts(.referrals, .month, "2024-02-01", "all", "all") == [0, nil])
        #expect(counts(.referrals, .month, "2024-03-01", "all", "all") == [10, nil])
        #expect(counts(.referrals, .quarter, "2024-01-01", "all", "all") == [25, nil])
        #expect(counts(.nonMedicalShare, .month, "2024-01-01", "all", "all") == [5, 15])
        #expect(counts(.nonMedicalShare, .month, "2024-03-01", "all", "all") == [6, 10])
        #expect(counts(.nonMedicalShare, .quarter, "2024-01-01", "all", "all") == [11, 25])
        // Unknown routes are in the denominator: Wales's 4 referrals are all by the unknown route.
        #expect(counts(.nonMedicalShare, .month, "2024-03-01", "nation", "Wales") == [0, 4])
        #expect(counts(.contactedShare, .month, "2024-01-01", "all", "all") == [15, 15])
        #expect(counts(.contactedShare, .month, "2024-03-01", "all", "all") == [0, 10])
        #expect(counts(.interventionShare, .month, "2024-01-01", "route_type", "medical") == [10, 10])
        #expect(counts(.interventionShare, .month, "2024-01-01", "route_type", "non_medical") == [0, 5])
        #expect(counts(.contactedShare, .quarter, "2024-01-01", "imd_quintile", "1") == [15, 21])
        #expect(counts(.referrals, .month, "2024-03-01", "imd_quintile", "3") == [4, nil])
        #expect(counts(.referrals, .month, "2024-01-01", "route_type", "unknown") == [0, nil])
        #expect(Self.row(table, .nonMedicalShare, .month, "2024-01-01", "route_type", "medical") == nil)
        let referrals = try #require(Self.row(table, .referrals, .month, "2024-01-01", "all", "all"))
        #expect(referrals[TrendColumn.value].csv == "15" && referrals[TrendColumn.ciLow].isEmpty && referrals[TrendColumn.ciHigh].isEmpty)
        #expect(referrals[TrendColumn.intervalEnd].string == "2024-01-31")
        #expect(referrals[TrendColumn.disclosureControl].string == "off")
    }

    /// Wilson intervals against statsmodels' `proportion_confint(method="wilson")`
    /// (`scripts/expected/trend_reference.py`), to 1e-6 before rounding, and the cells
    /// as written (2 decimals).
    @Test func wilsonIntervalsMatchStatsmodels() throws {
        let table = Self.build(Self.counts())
        let cases: [(TrendColumn.Measure, TrendColumn.Interval, String, String, String, [Double], [String])] = [
            (.nonMedicalShare, .month, "2024-01-01", "all", "all", [33.333333333333336, 15.176324439714719, 58.28645226148023], ["33.33", "15.18", "58.29"]),
            (.nonMedicalShare, .quarter, "2024-01-01", "all", "all", [44.0, 26.665638881067355, 62.93266813020124], ["44.00", "26.67", "62.93"]),
            (.nonMedicalShare, .month, "2024-03-01", "all", "all", [60.0, 31.267376973365824, 83.18196702937638], ["60.00", "31.27", "83.18"]),
            (.contactedShare, .month, "2024-03-01", "all", "all", [0.0, 0.0, 27.753279986288927], ["0.00", "0.00", "27.75"]),
            (.contactedShare, .month, "2024-01-01", "all", "all", [100.0, 79.61166989641512, 100.0], ["100.00", "79.61", "100.00"]),
        ]
        for (measure, interval, start, dimension, group, expected, written) in cases {
            let row = try #require(Self.row(table, measure, interval, start, dimension, group))
            let cells = [row[TrendColumn.value], row[TrendColumn.ciLow], row[TrendColumn.ciHigh]]
            for (cell, value) in zip(cells, expected) {
                let actual = try #require(Self.unrounded(cell))
                #expect(abs(actual - value) < 1e-6, "\(measure) \(interval) \(start)")
            }
            #expect(cells.map(\.csv) == written)
        }
    }

    /// February has no referrals: listed for every group with 0, never dropped; its
    /// shares have a 0 denominator, so no value, and nothing is suppressed.
    @Test func emptyMonthsAreKept() throws {
        let table = Self.build(Self.counts())
        let february = table.rows.filter { $0[TrendColumn.intervalStart].string == "2024-02-01" }
        #expect(february.count == 29)
        for row in february {
            #expect(row[TrendColumn.numerator].count == 0)
            #expect(row[TrendColumn.suppressed].flag == false)
            #expect(row[TrendColumn.partial].flag == false)
            if row[TrendColumn.measure].string != TrendColumn.Measure.referrals.rawValue {
                #expect(row[TrendColumn.denominator].count == 0)
                #expect(row[TrendColumn.value].isEmpty && row[TrendColumn.ciLow].isEmpty && row[TrendColumn.ciHigh].isEmpty)
            } else {
                #expect(row[TrendColumn.value].csv == "0")
            }
        }
        #expect(Self.row(table, .referrals, .month, "2024-02-01", "all", "all")?[TrendColumn.intervalEnd].string == "2024-02-29")
    }

    /// The period is 2024-01-15 to 2024-03-10: January starts before it and March ends
    /// after it (partial), February is whole; the first quarter is partial.
    @Test func partialIntervals() {
        let table = Self.build(Self.counts())
        for row in table.rows {
            let start = row[TrendColumn.intervalStart].string!, interval = row[TrendColumn.interval].string!
            let partial = interval == "quarter" || start != "2024-02-01"
            #expect(row[TrendColumn.partial].flag == partial, "\(interval) \(start)")
        }
        // A period of whole months: no interval is partial, the quarter neither.
        var whole = ReferralCounts(schema: Self.schema)
        Self.add(&whole, 3, day: Self.day(2023, 10, 1), nation: .scotland, decile: 4, route: 0)
        Self.add(&whole, 3, day: Self.day(2023, 12, 31), nation: .scotland, decile: 4, route: 0)
        let table2 = Self.build(whole)
        #expect(!table2.rows.isEmpty && table2.rows.allSatisfy { $0[TrendColumn.partial].flag == false })
        #expect(Set(table2.rows.filter { $0[TrendColumn.interval].string == "quarter" }.map { $0[TrendColumn.intervalEnd].string! }) == ["2023-12-31"])
    }

    /// Over November 2023 to April 2024 (three quarters: Q4 2023, Q1 and Q2 2024), each
    /// quarter's numerator and denominator equal the sum of its months' (exact counts),
    /// and the months are listed in order with no gap.
    @Test func quartersSumTheirMonths() throws {
        var counts = ReferralCounts(schema: Self.schema)
        let dates = [Self.day(2023, 11, 3), Self.day(2023, 12, 24), Self.day(2024, 2, 29), Self.day(2024, 3, 31), Self.day(2024, 4, 2)]
        for (i, date) in dates.enumerated() {
            Self.add(&counts, 3 + i, day: date, nation: .england, decile: UInt8(1 + i), route: UInt8(i % 3), contacted: i % 2 == 0, intervention: i == 3)
            Self.add(&counts, 2 * i + 1, day: date, nation: .northernIreland, decile: UInt8(10 - i), route: 1, contacted: true)
        }
        let table = Self.build(counts)
        let monthStarts = table.rows.filter { $0[TrendColumn.interval].string == "month" }.map { $0[TrendColumn.intervalStart].string! }
        #expect(Array(Set(monthStarts)).sorted() == ["2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"])
        let quarters: [(String, String, [String])] = [
            ("2023-10-01", "2023-12-31", ["2023-11-01", "2023-12-01"]), ("2024-01-01", "2024-03-31", ["2024-01-01", "2024-02-01", "2024-03-01"]),
            ("2024-04-01", "2024-06-30", ["2024-04-01"]),
        ]
        var compared = 0
        for quarter in table.rows where quarter[TrendColumn.interval].string == "quarter" {
            let (_, end, months) = try #require(quarters.first { $0.0 == quarter[TrendColumn.intervalStart].string })
            #expect(quarter[TrendColumn.intervalEnd].string == end)
            let measure = TrendColumn.Measure(rawValue: quarter[TrendColumn.measure].string!)!
            let dimension = quarter[TrendColumn.dimension].string!, group = quarter[TrendColumn.group].string!
            let monthRows = try months.map { try #require(Self.row(table, measure, .month, $0, dimension, group)) }
            #expect(quarter[TrendColumn.numerator].count == monthRows.reduce(0) { $0 + $1[TrendColumn.numerator].count! })
            if measure != .referrals {
                #expect(quarter[TrendColumn.denominator].count == monthRows.reduce(0) { $0 + $1[TrendColumn.denominator].count! })
            }
            compared += 1
        }
        #expect(compared > 0)
        // The first quarter of 2024 holds 2024-02-29 (5 English, 5 Northern Irish) and 2024-03-31 (6 and 7): 23.
        let firstQuarter = try #require(Self.row(table, .referrals, .quarter, "2024-01-01", "all", "all"))
        #expect(firstQuarter[TrendColumn.numerator].count == 23)
    }

    /// Disclosure control (suppress 1-7, round to 5): January's 15 referrals stay 15 (a
    /// multiple of 5) and its 5 non-medical are suppressed; Wales's 4 referrals in March are suppressed, so its shares too;
    /// 9 contacted of 13 Scottish referrals in April publish as 10 of 15, and the share
    /// (66.67%) and its Wilson interval come from those (statsmodels, 10 of 15).
    @Test func disclosureControlOnEveryCount() throws {
        var counts = Self.counts()
        Self.add(&counts, 9, day: Self.day(2024, 4, 5), nation: .scotland, decile: 3, route: 0, contacted: true)
        Self.add(&counts, 4, day: Self.day(2024, 4, 6), nation: .scotland, decile: 3, route: 0)
        let table = Self.build(counts, disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))
        #expect(table.rows.allSatisfy { $0[TrendColumn.disclosureControl].string == "on" })
        let january = try #require(Self.row(table, .referrals, .month, "2024-01-01", "all", "all"))
        #expect(january[TrendColumn.numerator].count == 15 && january[TrendColumn.suppressed].flag == false)

        let wales = try #require(Self.row(table, .referrals, .month, "2024-03-01", "nation", "Wales"))
        #expect(wales[TrendColumn.numerator].isEmpty && wales[TrendColumn.value].isEmpty && wales[TrendColumn.suppressed].flag == true)
        let walesShare = try #require(Self.row(table, .contactedShare, .month, "2024-03-01", "nation", "Wales"))
        #expect(walesShare[TrendColumn.numerator].count == 0 && walesShare[TrendColumn.denominator].isEmpty)
        #expect(walesShare[TrendColumn.value].isEmpty && walesShare[TrendColumn.ciLow].isEmpty && walesShare[TrendColumn.suppressed].flag == true)

        let scotland = try #require(Self.row(table, .contactedShare, .month, "2024-04-01", "nation", "Scotland"))
        #expect(scotland[TrendColumn.numerator].count == 10 && scotland[TrendColumn.denominator].count == 15)
        let statsmodels = [66.66666666666667, 41.713547738519765, 84.82367556028527]
        for (cell, expected) in zip([scotland[TrendColumn.value], scotland[TrendColumn.ciLow], scotland[TrendColumn.ciHigh]], statsmodels) {
            let actual = try #require(Self.unrounded(cell))
            #expect(abs(actual - expected) < 1e-6)
        }
        #expect(scotland[TrendColumn.value].csv == "66.67" && scotland[TrendColumn.suppressed].flag == false)
        // 5 non-medical of 15 in January: the 5 is suppressed, the 15 published, the share withheld.
        let nonMedical = try #require(Self.row(table, .nonMedicalShare, .month, "2024-01-01", "all", "all"))
        #expect(nonMedical[TrendColumn.numerator].isEmpty && nonMedical[TrendColumn.denominator].count == 15)
        #expect(nonMedical[TrendColumn.value].isEmpty && nonMedical[TrendColumn.suppressed].flag == true)
        // 10 with an intervention of 15: a multiple of 5 and published as it is (66.67%).
        let intervention = try #require(Self.row(table, .interventionShare, .month, "2024-01-01", "all", "all"))
        #expect(intervention[TrendColumn.numerator].count == 10 && intervention[TrendColumn.value].csv == "66.67")
        // The empty February stays 0, not suppressed.
        #expect(Self.row(table, .referrals, .month, "2024-02-01", "all", "all")?[TrendColumn.numerator].count == 0)
    }

    /// Rows in publication order: interval, measure, dimension, group (level order),
    /// interval_start.
    @Test func rowOrder() {
        let table = Self.build(Self.counts())
        let dimensions = ["all", "route_type", "nation", "imd_quintile"]
        let levels = ["all", "medical", "non_medical", "unknown", "England", "Wales", "Scotland", "Northern Ireland", "Unknown", "1", "2", "3", "4", "5"]
        let keys = table.rows.map { row -> [Int] in
            [
                TrendColumn.Interval.allCases.firstIndex { $0.rawValue == row[TrendColumn.interval].string }!,
                TrendColumn.Measure.allCases.firstIndex { $0.rawValue == row[TrendColumn.measure].string }!,
                dimensions.firstIndex(of: row[TrendColumn.dimension].string!)!, levels.firstIndex(of: row[TrendColumn.group].string!)!,
            ]
        }
        let starts = table.rows.map { $0[TrendColumn.intervalStart].string! }
        for i in 1..<keys.count {
            let ordered = keys[i - 1].lexicographicallyPrecedes(keys[i]) || (keys[i - 1] == keys[i] && starts[i - 1] < starts[i])
            #expect(ordered, "row \(i)")
        }
    }

    /// Two states merged (either way round) give the same table as one state that
    /// counted every referral; a referral removed again leaves the table as before.
    @Test func mergedStatesGiveTheSameTable() {
        var first = ReferralCounts(schema: Self.schema), second = ReferralCounts(schema: Self.schema)
        Self.add(&first, 10, day: Self.day(2024, 1, 15), nation: .england, decile: 1, route: 0, contacted: true, intervention: true)
        Self.add(&second, 5, day: Self.day(2024, 1, 20), nation: .england, decile: 1, route: 1, contacted: true)
        Self.add(&first, 6, day: Self.day(2024, 3, 1), nation: .england, decile: 2, route: 1)
        Self.add(&second, 4, day: Self.day(2024, 3, 10), nation: .wales, decile: 6, route: 2)
        var ab = first, ba = second
        ab.merge(second)
        ba.merge(first)
        let one = Self.build(Self.counts())
        #expect(Self.build(ab) == one)
        #expect(Self.build(ba) == one)
        var removed = Self.counts()
        let key = Self.schema.key(
            ageBand: 0, sex: .male, ethnicity: .asian, nation: .scotland, decile: 9, rurality: .rural, routeType: .medical, contacted: false, route: 0,
            month: GroupKeySchema.monthLevel(Self.day(2024, 2, 2)))
        removed.add(key: key, reasons: 0, contacted: false, intervention: false, day: Self.day(2024, 2, 2))
        removed.add(key: key, reasons: 0, contacted: false, intervention: false, day: Self.day(2024, 2, 2), sign: -1)
        removed.compact()
        #expect(Self.build(removed) == one)
    }

    /// Nothing counted: the header alone.
    @Test func noReferralsGiveTheHeaderOnly() {
        let table = Self.build(ReferralCounts(schema: Self.schema))
        #expect(table.rows.isEmpty && table.csv == TrendColumn.header.joined(separator: ",") + "\n")
    }
}
