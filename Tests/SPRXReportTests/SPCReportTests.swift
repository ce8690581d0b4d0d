import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXReport

/// The report's SPC part (issue 27, item 1): one sentence and variation icon per headline
/// measure, the Making Data Count chart with points coloured by type, and a series too
/// short to chart said in words.
@Suite(.timeLimit(.minutes(10))) struct SPCReportTests {
    /// A trends table of monthly `all` rows: `values` per measure, from January 2023.
    /// `withheld`: whether an empty value was withheld by disclosure control (else the month had no referrals).
    static func tables(
        _ series: [TrendColumn.Measure: [Double?]], direction: [TrendColumn.Measure: ImprovementDirection] = [:], withheld: Bool = true
    ) -> PublishedTables {
        var trends = PublishedTable(.trends)
        for measure in TrendColumn.Measure.allCases {
            guard let values = series[measure] else { continue }
            for (m, value) in values.enumerated() {
                let start = String(format: "%04d-%02d-01", 2023 + m / 12, m % 12 + 1)
                let cell: Cell = measure == .referrals ? .count(value.map { Int64($0) }) : .decimal(value, places: 2)
                trends.append([
                    .text(measure.rawValue), .text("month"), .text(start), .text(start), .text("all"), .text("all"), .empty, .empty, cell, .empty, .empty,
                    .flag(false), .empty, .flag(value == nil && withheld), .text("on"),
                ])
            }
        }
        var tables = PublishedTables()
        tables.trends = trends
        tables.spc = SPCTableBuilder(settings: SPCSettings(improvementDirection: direction)).build(trends)
        return tables
    }

    static func html(_ nodes: [Node]) -> String {
        var out = ""
        for node in nodes { node.render(into: &out) }
        return out
    }

    // 14 months of referrals ending in an outlier (an improvement when referrals should
    // increase), and 8 months of the contacted share (too short).
    @Test func sentencesIconsAndChart() throws {
        let referrals: [Double?] = [100, 120, 100, 120, 100, 120, 100, 120, 100, 120, 100, 120, 100, 200]
        let tables = Self.tables(
            [.referrals: referrals, .contactedShare: [50, 51, 52, 50, 51, 52, 50, 51]], direction: [.referrals: .increase])
        let figures = TrendFigures(tables: tables)
        let headline = figures.spcHeadline
        #expect(headline.map(\.measure) == [.referrals, .contactedShare])
        let variation = try #require(headline[0].variation)
        #expect(variation.type == .improvement && variation.high)
        let sentence = SPCWording.sentence(headline[0])
        #expect(sentence.contains("February 2024, the latest month charted, shows special cause: improvement (high)"), "\(sentence)")
        #expect(sentence.contains("1 of the 14 months charted is a special cause (outside the limits)"), "\(sentence)")
        #expect(SPCWording.sentence(headline[1]).contains("not charted: 8 full months with a published value, and an SPC chart needs at least 12"))
        let html = Self.html(Report.spcNodes(figures))
        // The icon (blue ring, H) and the chart: the outlier blue, the others grey; the short series not drawn.
        #expect(html.contains("class=\"variation-icon\""))
        #expect(html.contains("stroke=\"\(SPCPalette.improvement)\""))
        #expect(html.contains(">H</text>"))
        let chart = try #require(
            html.components(separatedBy: "<svg id=\"trend-spc\"").dropFirst().first?.components(separatedBy: "<svg id=\"trend-spc-print\"").first)
        #expect(chart.components(separatedBy: "fill=\"\(SPCPalette.improvement)\"><title>").count - 1 == 1)
        #expect(chart.components(separatedBy: "fill=\"\(SPCPalette.commonCause)\"><title>").count - 1 == 13)
        #expect(!chart.contains("Reached a link worker"))
        // The A4 print's one-row version holds the same points.
        let print = try #require(html.components(separatedBy: "<svg id=\"trend-spc-print\"").dropFirst().first)
        #expect(print.components(separatedBy: "fill=\"\(SPCPalette.improvement)\"><title>").count - 1 == 1)
        #expect(Report.spcMarkdown(figures).count == 2 + 2 + 1)
    }

    /// Issue 27 asks for the variation icon "beside each headline trend": the trends
    /// section's lead bullets carry their measure's icon (here referrals: improvement,
    /// high, as the test above works out), a measure spc.csv does not chart has none.
    @Test func theTrendsLeadCarriesTheIcons() throws {
        let referrals: [Double?] = [100, 120, 100, 120, 100, 120, 100, 120, 100, 120, 100, 120, 100, 200]
        let tables = Self.tables([.referrals: referrals, .contactedShare: [50, 51, 52, 50, 51, 52, 50, 51]], direction: [.referrals: .increase])
        let numbers = ReportNumbers(tables: tables)
        let section = Self.html([Report.trendsSection(numbers, ReachFixture.context(), Labels(overrides: [:]))])
        let lead = try #require(
            section.components(separatedBy: "<ul class=\"findings spc-findings\">").dropFirst().first?.components(separatedBy: "</ul>").first)
        let items = lead.components(separatedBy: "<li>").dropFirst()
        let referralsItem = try #require(items.first { $0.contains("referrals in") })
        #expect(referralsItem.hasPrefix("<svg class=\"variation-icon\"") && referralsItem.contains("<title>Referrals: "))
        #expect(referralsItem.contains("stroke=\"\(SPCPalette.improvement)\""))
        #expect(!items.contains { $0.contains("reached a link worker") && $0.contains("variation-icon") })
    }

    // A new user's export had a month collapse to 5 referrals, suppressed, a gap. A
    // withheld month is a low one (1 to 7), so the series is not charted
    // (`months_withheld`): the sentence says why, for a count and for a share.
    @Test func aSeriesWithAWithheldMonthIsNotChartedAndSaysWhy() throws {
        var referrals: [Double?] = (0..<14).map { $0 % 2 == 0 ? 700 : 720 }
        referrals[5] = nil
        var shares: [Double?] = (0..<14).map { $0 % 2 == 0 ? 40 : 42 }
        shares[5] = nil
        let figures = TrendFigures(tables: Self.tables([.referrals: referrals, .contactedShare: shares]))
        let headline = figures.spcHeadline
        #expect(headline.allSatisfy { !$0.isCharted })
        let sentence = SPCWording.sentence(headline[0], suppressUpTo: 7)
        #expect(
            sentence.contains(
                "not charted: disclosure control withholds months whose count is 1 to 7, the low months, so a chart of the 13 full months with a published value would set its centre and limits too high."
            ), "\(sentence)")
        let share = SPCWording.sentence(headline[1], suppressUpTo: 7)
        #expect(share.contains("months whose numerator is 1 to 7, which leaves the months of higher share"), "\(share)")
    }

    // A share with 16 values scattered over 32 months (every other month with no
    // referrals) has enough values but too few consecutive pairs to set limits from: not
    // charted, and said.
    @Test func aSeriesBrokenByGapsIsNotCharted() throws {
        let shares: [Double?] = (0..<32).map { $0 % 2 == 0 ? 40 + Double($0) : nil }
        let figures = TrendFigures(tables: Self.tables([.contactedShare: shares], withheld: false))
        let series = try #require(figures.spcHeadline.first)
        #expect(!series.isCharted)
        #expect(figures.spc.rows.allSatisfy { $0[SPCColumn.note].string == SPCColumn.Note.tooManyGaps || $0[SPCColumn.value].isEmpty })
        #expect(SPCWording.sentence(series).contains("leaving fewer than 11 pairs of consecutive months"))
    }

    @Test func nothingWithoutRows() {
        let figures = TrendFigures(tables: PublishedTables())
        #expect(Report.spcNodes(figures).isEmpty && Report.spcMarkdown(figures).isEmpty)
    }
}
