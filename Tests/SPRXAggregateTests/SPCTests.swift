import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// The XmR chart against NHSRplotthedots (nhs-r-community/NHSRplotthedots, commit
/// 050b07d7eacc011767532732f69b8fd7d6a28fd3): its own unit tests' vectors, its snapshot
/// values, and its own code run on every case (Fixtures/spc_reference.csv, made by
/// scripts/spc-reference.R from the package's R/ptd_spc_standard.R and
/// R/ptd_calculate_point_type.R).
@Suite(.timeLimit(.minutes(10))) struct SPCChartTests {
    typealias Rule = SPCColumn.Rule

    /// `set.seed(123); rnorm(20)` in R (tests/testthat/test-ptd_spc_standard.R's data; printed by R 4).
    static let rnorm20: [Double] = [
        -0.56047564655, -0.23017748948, 1.55870831415, 0.07050839142, 0.12928773516, 1.71506498688, 0.46091620599, -1.26506123461,
        -0.68685285189, -0.44566197010, 1.22408179744, 0.35981382706, 0.40077145059, 0.11068271595, -0.55584113475, 1.78691313680,
        0.49785047823, -1.96661715663, 0.70135590156, -0.47279140773,
    ]

    // tests/testthat/_snaps/ptd_spc_standard.md, "it returns expected values": mean_col,
    // lpl and upl as the snapshot prints them (7 significant digits), for the data, for
    // y[15] <- 10 screened, and for it with screen_outliers = FALSE.
    @Test func snapshotLimits() throws {
        let r1 = try #require(SPCChart(Self.rnorm20.map { $0 }))
        #expect(abs(r1.centre - 0.1416238) < 5e-8)
        #expect(abs(try #require(r1.lowerLimit) - -3.01138) < 5e-6)
        #expect(abs(try #require(r1.upperLimit) - 3.294627) < 5e-7)
        var y = Self.rnorm20
        y[14] = 10
        let r2 = try #require(SPCChart(y.map { $0 }))
        #expect(abs(r2.centre - 0.6694159) < 5e-8)
        #expect(abs(try #require(r2.lowerLimit) - -2.383666) < 5e-7)
        #expect(abs(try #require(r2.upperLimit) - 3.722497) < 5e-7)
        let r3 = try #require(SPCChart(y.map { $0 }, screenOutliers: false))
        #expect(abs(try #require(r3.lowerLimit) - -4.596625) < 5e-7)
        #expect(abs(try #require(r3.upperLimit) - 5.935457) < 5e-7)
        // The snapshot's relative_to_mean for r1 begins -1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1
        // and outside_limits and close_to_limits are FALSE throughout: all common cause.
        #expect((0..<20).allSatisfy { r1.pointType($0, .increase) == .commonCause })
        // tests/testthat/_snaps/ptd_spc.md: the summary of the same data, 20 common cause of 20.
        #expect(!(0..<20).contains { r1.isSpecialCause($0) })
    }

    // test-ptd_spc_standard.R, "it only reports special cause for 2of3 points close to
    // limits when they are on the same side of the mean": the last two are common cause.
    @Test func twoOfThreeNeedsOneSide() throws {
        var y = (0..<16).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        y[14] = 5.5
        y[15] = -5.5
        let chart = try #require(SPCChart(y.map { $0 }))
        #expect(chart.pointType(14, .increase) == .commonCause && chart.pointType(15, .increase) == .commonCause)
    }

    // test-ptd_calculate_point_type.R, "ptd_seven_point_one_side_mean works as expected".
    @Test func sevenPointOneSideOfTheMean() {
        #expect(SPCChart.shiftEnds([]) == [])
        #expect(SPCChart.shiftEnds(Array(repeating: 1, count: 6)) == Array(repeating: false, count: 6))
        #expect(SPCChart.shiftEnds(Array(repeating: 1, count: 6) + [-1]) == Array(repeating: false, count: 7))
        let expected = Array(repeating: false, count: 6) + [true, true, false]
        #expect(SPCChart.shiftEnds(Array(repeating: 1, count: 8) + [-1]) == expected)
        #expect(SPCChart.shiftEnds(Array(repeating: -1, count: 8) + [1]) == expected)
    }

    // test-ptd_calculate_point_type.R, "ptd_part_of_seven_trend works as expected".
    @Test func partOfSeven() {
        func ends(_ v: [Int]) -> [Bool] { v.map { $0 != 0 } }
        #expect(SPCChart.partOfRun([]) == [])
        #expect(SPCChart.partOfRun(ends([0, 0, 0, 0, 0, 0])) == Array(repeating: false, count: 6))
        #expect(SPCChart.partOfRun(ends([0, 0, 0, 0, 0, 0, 1, 0])) == Array(repeating: true, count: 7) + [false])
        #expect(SPCChart.partOfRun(ends([0, 0, 0, 0, 0, 0, 0, 1, 0])) == [false] + Array(repeating: true, count: 7) + [false])
        #expect(SPCChart.partOfRun(ends([0, 0, 0, 0, 0, 0, -1, 0])) == Array(repeating: true, count: 7) + [false])
        #expect(SPCChart.partOfRun(ends([0, 0, 0, 0, 0, 0, 0, -1, 0])) == [false] + Array(repeating: true, count: 7) + [false])
    }

    // test-ptd_calculate_point_type.R, "ptd_seven_point_trend works as expected" (a tie breaks a trend).
    @Test func sevenPointTrend() {
        func trend(_ v: [Double]) -> [Int] { SPCChart.trendEnds(v.map { $0 }) }
        #expect(trend([]) == [])
        #expect(trend([1, 2, 3, 4, 5, 6]) == [0, 0, 0, 0, 0, 0])
        #expect(trend([1, 2, 3, 3, 4, 5, 6]) == [0, 0, 0, 0, 0, 0, 0])
        #expect(trend([1, 2, 3, 4, 5, 6, 7]) == [0, 0, 0, 0, 0, 0, 1])
        #expect(trend([2, 1, 2, 3, 4, 5, 6, 7, 3]) == [0, 0, 0, 0, 0, 0, 0, 1, 0])
        #expect(trend([7, 6, 5, 4, 3, 2, 1]) == [0, 0, 0, 0, 0, 0, -1])
        #expect(trend([2, 7, 6, 5, 4, 3, 2, 1, 3]) == [0, 0, 0, 0, 0, 0, 0, -1, 0])
    }

    // test-ptd_calculate_point_type.R, "ptd_two_in_three works as expected", "... when
    // points are on opposite sides of the mean" and "ptd_part_of_two_in_three works as expected".
    @Test func twoInThree() {
        func windows(_ near: [Int], _ side: [Int]) -> [Bool] { SPCChart.twoOfThreeWindows(near: near.map { $0 == 1 }, side: side) }
        func part(_ near: [Int], _ side: [Int]) -> [Bool] { SPCChart.partOfTwoOfThree(near: near.map { $0 == 1 }, side: side) }
        #expect(windows([], []) == [])
        #expect(windows([0, 0, 0], [0, 0, 0]) == [false, false, false])
        for near in [[1, 0, 1], [0, 1, 1], [1, 1, 0]] {
            #expect(windows(near, [1, 1, 1]) == [true, true, true])
            #expect(part(near, [1, 1, 1]) == near.map { $0 == 1 })
            #expect(windows(near, [1, -1, 1]) == [false, false, false])
        }
        let all = Array(repeating: 1, count: 7)
        #expect(windows([0, 0, 1, 0, 1, 0, 0], all) == [false, false, true, true, true, false, false])
        #expect(windows([0, 0, 1, 1, 0, 0, 0], all) == [false, true, true, true, true, false, false])
        #expect(part([0, 0, 1, 0, 1, 0, 0], all) == [false, false, true, false, true, false, false])
        #expect(windows([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1]) == Array(repeating: false, count: 7))
        #expect(windows([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1]) == Array(repeating: false, count: 7))
        #expect(part([1, 0, 0, 1], [1, 1, 1, 1]) == [false, false, false, false])
        #expect(part([1, 0, 0, 1, 1], [1, 1, 1, 1, 1]) == [false, false, false, true, true])
    }

    /// The rule the package names first for a point (`ptd_special_cause_type`'s order), from its label.
    static func primaryRule(_ label: String) -> Rule? {
        if label.hasSuffix("UCL") || label.hasSuffix("LCL") { return .outside }
        if label.hasPrefix("7 Point Trend") { return .trend }
        if label.hasPrefix("2 in 3") { return .twoOfThree }
        if label.hasPrefix("7 Points") { return .shift }
        return nil
    }

    /// The package's point type (`special_cause_neutral_high`/`_low` are this table's `special_cause_neutral`).
    static func pointType(_ text: String) -> SPCColumn.PointType? {
        text.hasPrefix("special_cause_neutral") ? .neutral : SPCColumn.PointType(rawValue: text)
    }

    // Every case of Fixtures/spc_reference.csv: centre and limits to 1e-12 (relative),
    // special cause, point type and the package's first rule, point by point. Cases:
    // the package's test data, ties, a flat series, a step (mean moving range 0 after
    // screening), a point exactly on the upper limit and one just above, gaps, the
    // planted signals, and the sample run's series the package can chart.
    @Test func packageCodeOnEveryCase() throws {
        let records = try FixtureTable("spc_reference.csv").records
        var cases: [String: [[String: String]]] = [:]
        for record in records { cases[record["case"] ?? "", default: []].append(record) }
        #expect(cases.count >= 20)
        for (name, rows) in cases.sorted(by: { $0.key < $1.key }) {
            let values = rows.map { $0.number("y") }
            let direction: ImprovementDirection = ["1": .increase, "-1": .decrease][rows[0]["direction"] ?? ""] ?? .neutral
            let chart = try #require(SPCChart(values, screenOutliers: rows[0]["screen"] == "TRUE"), "\(name)")
            let centre = try #require(rows[0].number("centre"))
            #expect(close(chart.centre, centre, relative: 1e-12), "\(name) centre")
            if let lower = rows[0].number("lpl"), let upper = rows[0].number("upl") {
                #expect(close(try #require(chart.lowerLimit), lower, relative: 1e-12), "\(name) lower")
                #expect(close(try #require(chart.upperLimit), upper, relative: 1e-12), "\(name) upper")
            } else {
                #expect(chart.meanMovingRange == nil, "\(name): the package has no limits")
            }
            for (i, row) in rows.enumerated() where values[i] != nil {
                let label = row["special_cause_type"] ?? ""
                let rule = Self.primaryRule(label)
                #expect(chart.isSpecialCause(i) == (rule != nil), "\(name) point \(i + 1): \(label)")
                #expect(chart.pointType(i, direction) == Self.pointType(row["point_type"] ?? ""), "\(name) point \(i + 1)")
                if let rule { #expect(chart.rules[i].contains(rule), "\(name) point \(i + 1): \(label)") }
            }
        }
    }

    // Planted signals (the fixture's planted_* cases, and hand-built): a shift of 8 months
    // (13-20), a trend of 7 (21-27) and one outlier (30) on a zigzag that signals nothing
    // else: exactly those signals, improvement or concern by the direction.
    @Test func plantedSignalsExactly() throws {
        func zig(_ n: Int, _ level: Double, _ amplitude: Double = 2) -> [Double] { (0..<n).map { level + ($0 % 2 == 0 ? amplitude : -amplitude) } }
        let y = zig(12, 100) + zig(8, 104, 1) + [96, 97.5, 99, 100.5, 102, 103.5, 105] + [98, 102, 125] + zig(6, 100)
        let chart = try #require(SPCChart(y.map { $0 }))
        for i in y.indices {
            let expected: Set<Rule>
            switch i + 1 {
            case 13...20: expected = [.shift]
            case 21...27: expected = [.trend]
            case 30: expected = [.outside]
            default: expected = []
            }
            #expect(chart.rules[i] == expected, "month \(i + 1)")
            let type = chart.pointType(i, .decrease)
            #expect(type == (expected.isEmpty ? .commonCause : .concern), "month \(i + 1)")
            #expect(chart.pointType(i, .neutral) == (expected.isEmpty ? .commonCause : .neutral))
        }
    }

    // A gap: no moving range crosses it, no window holding it fires, and the chart is of
    // the values given (the mean of the 19 others). Hand check: a 7-point rise broken by a
    // gap is no trend; the same rise without the gap is.
    @Test func gapsBreakRuns() throws {
        let rise: [Double?] = [5, 1, 2, 3, nil, 4, 5, 6, 7, 1, 5, 3]
        let chart = try #require(SPCChart(rise))
        #expect(!chart.rules.contains { $0.contains(.trend) })
        #expect(chart.rules[4].isEmpty && chart.direction[4] == 0)
        let unbroken = try #require(SPCChart(rise.compactMap { $0 }.map { $0 }))
        #expect(unbroken.rules[1].contains(.trend) && unbroken.rules[7].contains(.trend))
        // Moving ranges, none across the gap: 4, 1, 1, then 1, 1, 1, 6, 4, 2: 21 / 9, none ≥ 3.267 × 21 / 9.
        #expect(abs(try #require(chart.meanMovingRange) - 21.0 / 9) < 1e-12)
    }

    // A flat series: every moving range 0, screened out (0 ≥ 3.267 × 0): no limits,
    // nothing outside, no run (every point on the centre).
    @Test func flatSeries() throws {
        let chart = try #require(SPCChart(Array(repeating: Double?(4), count: 14)))
        #expect(chart.meanMovingRange == nil && chart.lowerLimit == nil && chart.upperLimit == nil && chart.centre == 4)
        #expect(!chart.rules.contains { !$0.isEmpty })
        #expect(SPCChart([nil, nil]) == nil)
    }
}

/// `spc.csv` built from a trends table: which series, which rows, which notes.
@Suite(.timeLimit(.minutes(10))) struct SPCTableTests {
    /// A trends row of `interval` `month`.
    /// `suppressed`: whether disclosure control withheld the value (`nil`: when the value is empty).
    static func trendRow(
        _ measure: TrendColumn.Measure, _ dimension: String, _ group: String, month: Int, value: Double?, partial: Bool = false, note: String? = nil,
        suppressed: Bool? = nil
    ) -> [Cell] {
        let (year, monthOfYear) = (2023 + (month - 1) / 12, (month - 1) % 12 + 1)
        let start = "\(year)-\(monthOfYear < 10 ? "0" : "")\(monthOfYear)-01"
        let valueCell: Cell = measure == .referrals ? .count(value.map { Int64($0) }) : .decimal(value, places: 2)
        return [
            .text(measure.rawValue), .text(TrendColumn.Interval.month.rawValue), .text(start), .text(start), .text(dimension), .text(group), .empty, .empty,
            valueCell, .empty, .empty, .flag(partial), note.map(Cell.text) ?? .empty, .flag(suppressed ?? (value == nil)), .text("on"),
        ]
    }

    @Test func seriesNotesAndDirections() throws {
        var trends = PublishedTable(.trends)
        let referrals: [Double?] = [100, 100, 105, 95, 100, 105, 95, 100, 100, 105, 95, 100]
        for (m, v) in referrals.enumerated() {
            trends.append(Self.trendRow(.referrals, TableDimension.all, TableDimension.all, month: m + 1, value: v, partial: m == 11))
        }
        // 12 months but the last partial: 11 charted values, too short.
        let shares: [Double?] = [20, 21, nil, 22, 21, 20, 21, 22, 20, 21, 22, 21, 60]
        for (m, v) in shares.prefix(12).enumerated() {
            trends.append(Self.trendRow(.contactedShare, Grouping.Name.nation, "England", month: m + 1, value: v))
        }
        for m in 1...12 {
            trends.append(
                Self.trendRow(.interventionShare, TableDimension.all, TableDimension.all, month: m, value: nil, note: FieldNote.notRecorded("intervention")))
            trends.append(Self.trendRow(.referrals, Grouping.Name.routeType, "medical", month: m, value: 10))
        }
        var settings = SPCSettings()
        settings.improvementDirection[.contactedShare] = .increase
        let table = SPCTableBuilder(settings: settings).build(trends)
        #expect(table.header == SPCColumn.header)
        // Not recorded and not charted dimensions have no rows.
        #expect(!table.rows.contains { $0[SPCColumn.measure].string == "intervention_share" || $0[SPCColumn.dimension].string == "route_type" })
        let referralRows = table.rows.filter { $0[SPCColumn.measure].string == "referrals" }
        #expect(referralRows.count == 12)
        // 11 full months of referrals: short series, no centre.
        #expect(referralRows.prefix(11).allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.shortSeries && $0[SPCColumn.centre].isEmpty })
        #expect(referralRows[11][SPCColumn.note].string == SPCColumn.Note.partialMonth)
        let shareRows = table.rows.filter { $0[SPCColumn.measure].string == "contacted_share" }
        #expect(shareRows.count == 12)
        // 11 values and a gap: too short as well; the gap says no_value.
        #expect(shareRows[2][SPCColumn.note].string == SPCColumn.Note.noValue)
        #expect(shareRows[0][SPCColumn.note].string == SPCColumn.Note.shortSeries)
    }

    // A charted series: centre and limits to 6 significant digits on every row, the
    // classification by the pipeline's direction, the gap kept in place.
    @Test func chartedSeries() throws {
        var trends = PublishedTable(.trends)
        var values: [Double?] = Array(repeating: 20, count: 14).enumerated().map { $0.offset % 2 == 0 ? 20 : 22 }
        values[5] = nil
        values[13] = 40
        // The gap is a month with no referrals (not withheld by disclosure control).
        for (m, v) in values.enumerated() {
            trends.append(
                Self.trendRow(
                    .contactedShare, TableDimension.all, TableDimension.all, month: m + 1, value: v, note: v == nil ? TrendColumn.Note.noReferrals : nil,
                    suppressed: false))
        }
        let table = SPCTableBuilder(settings: SPCSettings(improvementDirection: [.contactedShare: .decrease])).build(trends)
        #expect(table.rows.count == 14)
        let chart = try #require(SPCChart(values))
        let csv = table.csv.split(separator: "\n").map(String.init)
        #expect(csv[0] == SPCColumn.header.joined(separator: ","))
        #expect(table.rows.allSatisfy { $0[SPCColumn.centre] == .significant(chart.centre, digits: 6) })
        let gap = table.rows.filter { $0[SPCColumn.note].string == SPCColumn.Note.noValue }
        #expect(gap.count == 1 && gap[0][SPCColumn.specialCause] == .empty)
        let outlier = try #require(table.rows.last)
        #expect(outlier[SPCColumn.rules].string == "outside" && outlier[SPCColumn.pointType].string == "special_cause_concern")
        #expect(outlier[SPCColumn.specialCause] == .flag(true))
    }

    // A series with a month withheld by disclosure control is not charted: the withheld
    // months are the low ones, so the months left would centre too high. Hand
    // calculation: 24 months alternating 20% and 22%, but 4 of the 22% months are at 5%
    // and disclosure control withholds them (numerators 1-7); the months left would
    // centre on (12·20 + 8·22)/20 = 20.8% where all 24 give (12·20 + 8·22 + 4·5)/24 =
    // 18.1667%.
    @Test func seriesWithAMonthWithheldIsNotCharted() throws {
        let exact: [Double] = (0..<24).map { [3, 9, 15, 21].contains($0) ? 5 : ($0 % 2 == 0 ? 20 : 22) }
        func table(_ measure: TrendColumn.Measure, withheldBy suppressed: Bool?) -> [[Cell]] {
            var trends = PublishedTable(.trends)
            for (m, v) in exact.enumerated() {
                let gap = v == 5 && suppressed != nil
                trends.append(
                    Self.trendRow(
                        measure, Grouping.Name.nation, "Wales", month: m + 1, value: gap ? nil : v,
                        note: gap && suppressed == false ? TrendColumn.Note.noReferrals : nil, suppressed: gap ? suppressed : false))
            }
            return SPCTableBuilder(settings: SPCSettings()).build(trends).rows
        }
        // Withheld: every row with a value says months_withheld; the withheld ones no_value; nothing charted.
        for measure in [TrendColumn.Measure.nonMedicalShare, .contactedShare, .interventionShare, .referrals] {
            let rows = table(measure, withheldBy: true)
            #expect(rows.count == 24)
            #expect(rows.allSatisfy { $0[SPCColumn.centre].isEmpty && $0[SPCColumn.lowerLimit].isEmpty && $0[SPCColumn.pointType].isEmpty })
            #expect(rows.filter { $0[SPCColumn.value].value != nil }.allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.monthsWithheld })
            #expect(rows.filter { $0[SPCColumn.value].value == nil }.count == 4)
            #expect(rows.filter { $0[SPCColumn.value].value == nil }.allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.noValue })
        }
        // The same gaps by no referrals only break the series: charted from the 20 months, centre 20.8.
        let noReferrals = table(.nonMedicalShare, withheldBy: false)
        #expect(noReferrals.allSatisfy { $0[SPCColumn.centre] == .significant(20.8, digits: 6) })
        #expect(!noReferrals.contains { $0[SPCColumn.note].string == SPCColumn.Note.monthsWithheld })
        // Disclosure control off (every month published): charted from all 24, centre 18.1667.
        let exactRows = table(.nonMedicalShare, withheldBy: nil)
        #expect(exactRows.allSatisfy { $0[SPCColumn.centre] == .significant(436.0 / 24, digits: 6) })
        #expect(exactRows.allSatisfy { $0[SPCColumn.note].isEmpty })
        // Referrals the same: a withheld count is 1 to the threshold, below every month left.
        let counts = table(.referrals, withheldBy: true)
        #expect(counts.allSatisfy { $0[SPCColumn.centre].isEmpty })
        #expect(counts.filter { $0[SPCColumn.value].value != nil }.allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.monthsWithheld })
        // A count series of 0s whose other months are withheld (1-7 each) is not a flat series at 0.
        var zeros = PublishedTable(.trends)
        for m in 1...24 {
            zeros.append(Self.trendRow(.referrals, Grouping.Name.nation, "Unknown", month: m, value: m % 3 == 0 ? nil : 0))
        }
        let zeroRows = SPCTableBuilder(settings: SPCSettings()).build(zeros).rows
        #expect(zeroRows.allSatisfy { $0[SPCColumn.centre].isEmpty && $0[SPCColumn.note].string != SPCColumn.Note.noVariation })
    }

    // A withheld month in a share series that is short anyway says short_series (the
    // report's reason: too few values), and a partial month withheld does not count.
    @Test func shortSeriesAndPartialMonthsBeforeWithheld() throws {
        var trends = PublishedTable(.trends)
        for m in 1...11 {
            trends.append(Self.trendRow(.contactedShare, TableDimension.all, TableDimension.all, month: m, value: m == 4 ? nil : 90, suppressed: m == 4))
        }
        // 13 full months of values, then a partial month withheld: charted.
        for m in 1...14 {
            trends.append(
                Self.trendRow(.contactedShare, Grouping.Name.nation, "England", month: m, value: m == 14 ? nil : Double(80 + m % 2), partial: m == 14))
        }
        let rows = SPCTableBuilder(settings: SPCSettings()).build(trends).rows
        let short = rows.filter { $0[SPCColumn.group].string == TableDimension.all }
        #expect(short.count == 11)
        #expect(short.filter { $0[SPCColumn.value].value != nil }.allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.shortSeries })
        let england = rows.filter { $0[SPCColumn.group].string == "England" }
        #expect(england.prefix(13).allSatisfy { !$0[SPCColumn.centre].isEmpty })
        #expect(england[13][SPCColumn.note].string == SPCColumn.Note.partialMonth)
    }
}
