import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXReport

/// Every number a person reads in the report (HTML text nodes, SVG text and titles
/// included, and report.md) checked against ``NumberFormat``'s rules; no `snake_case`
/// code outside a file name; charts that never show impossible arithmetic.
///
/// Reports checked: the sample run (the default pipeline on SampleData/canonical), the
/// outputs-v2 fixture, and a hand-built report of awkward values (an SII of 2.3964e-05,
/// person-years 281,396,278.7, negative gaps and trends, FTE fractions such as 0.746668).
enum NumberRules {
    /// The text a person reads in an HTML page: every text node outside `<style>`, entities decoded.
    static func visibleText(html: String) -> [String] {
        // Code a person pastes into a pipeline (<code>) is verbatim by design, not page text.
        let stripped = html.replacingOccurrences(of: #"<style>[\s\S]*?</style>"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"<code[^>]*>[^<]*</code>"#, with: "", options: .regularExpression)
        let regex = try! NSRegularExpression(pattern: #">([^<]+)<"#)
        let ns = stripped as NSString
        return regex.matches(in: stripped, range: NSRange(location: 0, length: ns.length)).map {
            ns.substring(with: $0.range(at: 1)).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    /// report.md's lines as read (backslash escapes removed).
    static func visibleText(markdown: String) -> [String] {
        // Code spans and fenced blocks (YAML a person pastes) are verbatim by design.
        let prose = markdown.replacingOccurrences(of: #"```yaml\n[\s\S]*?```"#, with: "", options: .regularExpression)
            .replacingOccurrences(of: #"`[^`\n]*`"#, with: "", options: .regularExpression)
        return prose.split(separator: "\n").map { line in
            var out = "", escaped = false
            for ch in line {
                if ch == "\\" && !escaped { escaped = true; continue }
                escaped = false
                out.append(ch)
            }
            return out
        }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    /// A number's significant figures ("0.00240" → 3, "12,300" → 3, "1.02" → 3).
    static func significantFigures(_ number: String) -> Int {
        var digits = number.filter(\.isNumber)
        while digits.hasPrefix("0") { digits.removeFirst() }
        if !number.contains(".") { while digits.hasSuffix("0") { digits.removeLast() } }
        return max(1, digits.count)
    }

    static func decimals(_ number: String) -> Int {
        number.split(separator: ".", maxSplits: 1).dropFirst().first.map { $0.filter(\.isNumber).count } ?? 0
    }

    /// Every breach of the rules in `lines` of visible text (empty when the text keeps them).
    ///
    /// Rules checked anywhere: no exponent; no hyphen-minus before a digit outside a
    /// range, date or code; every whole number of 4 or more digits thousands-separated
    /// (except a year, 1900 to 2100); a percentage at most 1 decimal; a number with more
    /// than 2 decimals at most 3 significant figures (a rate or a p-value).
    static func breaches(_ lines: [String]) -> [String] {
        var out: [String] = []
        for line in lines {
            for hit in matches(#"(?<![A-Za-z0-9])\d+(\.\d+)?[eE][+\-−]?\d+(?![A-Za-z0-9])"#, in: line) { out.append("exponent \(hit): \(line)") }
            for hit in matches(#"(?<![A-Za-z0-9\-/_.])-\d"#, in: line) { out.append("hyphen-minus \(hit): \(line)") }
            // A Fingertips indicator number (an identifier, as in a reference file's edition) is not a count.
            let counted = line.replacingOccurrences(of: #"Fingertips \d+"#, with: "Fingertips", options: .regularExpression)
            // A DOI (doi:10.1101/2024.03.26.24304896) is an identifier in a citation, not a figure.
            let cited = line.replacingOccurrences(of: #"doi:\S+"#, with: "doi", options: .regularExpression)
            for hit in matches(#"(?<![\d,.A-Za-z\-/:_#])\d{4,}(?![\d,A-Za-z\-/_])"#, in: counted) {
                if let year = Int(hit), hit.count == 4, (1900...2100).contains(year) { continue }
                out.append("no separator \(hit): \(line)")
            }
            for hit in matches(#"\d[\d,]*\.\d+%"#, in: line) where decimals(hit) > 1 { out.append("percentage decimals \(hit): \(line)") }
            for hit in matches(#"(?<![\dA-Za-z.\-/_])\d[\d,]*\.\d+(?![\dA-Za-z])"#, in: cited) where decimals(hit) > 2 && significantFigures(hit) > 3 {
                out.append("precision \(hit): \(line)")
            }
        }
        return out
    }

    /// Breaches of the column rules in report.md's tables: "%" columns 1 decimal at most,
    /// rate columns 3 significant figures, ratio columns 2 decimals, person-years whole,
    /// FTE 1 decimal.
    static func tableBreaches(_ markdown: String) -> [String] {
        var out: [String] = []
        var header: [String] = []
        for line in visibleText(markdown: markdown) {
            guard line.hasPrefix("|") else { header = []; continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
            if header.isEmpty { header = cells; continue }
            if cells.allSatisfy({ $0.hasPrefix("---") || $0.hasPrefix(":--") || $0.hasPrefix("--") }) { continue }
            // An inequality table's row is a rate or a share: its ends and SII follow the row's kind.
            let rateRow = cells.first?.lowercased().contains("rate") == true
            for (name, cell) in zip(header, cells) {
                let numbers = matches(#"\d[\d,]*(\.\d+)?"#, in: cell)
                let lower = name.lowercased()
                for number in numbers {
                    if lower.hasPrefix("sii") || lower.contains("deprived end") {
                        if rateRow ? significantFigures(number) > 3 : decimals(number) > 1 { out.append("index \(number) in \(name): \(line)") }
                    } else if lower.contains("ratio") || lower.hasPrefix("rii") {
                        if decimals(number) != 2 { out.append("ratio \(number) in \(name): \(line)") }
                    } else if lower.contains("rate") && !lower.contains("per fte") {
                        if significantFigures(number) > 3 { out.append("rate \(number) in \(name): \(line)") }
                    } else if name.contains("%") {
                        if decimals(number) > 1 { out.append("percent \(number) in \(name): \(line)") }
                    } else if name == "Person-years" {
                        if number.contains(".") { out.append("person-years \(number): \(line)") }
                    } else if name.contains("FTE") && !lower.contains("per fte") {
                        if decimals(number) > 1 { out.append("FTE \(number) in \(name): \(line)") }
                    }
                }
            }
        }
        return out
    }

    /// `snake_case` tokens in `lines`, leaving out file names and paths.
    static func snakeCase(_ lines: [String]) -> [String] {
        lines.flatMap { line in
            line.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" || $0 == "," || $0 == ";" || $0 == ":" || $0 == "\"" }).map(String.init)
                .filter { word in
                    guard word.range(of: #"[A-Za-z0-9]_[A-Za-z0-9]"#, options: .regularExpression) != nil else { return false }
                    return word.range(of: #"\.(csv|gz|json|yaml|yml|md|html)\b|/"#, options: .regularExpression) == nil
                }
                .map { "\($0) in: \(line)" }
        }
    }

    /// The awkward hand-built report's tables: the reach fixture with a national row of
    /// 281,396,278.7 person-years and an SII of 2.3964e-05 per 1,000, negative gaps; the
    /// time-and-place fixture (falling trends) with FTE fractions 0.746668 and 4.50667.
    static var awkwardTables: [PublishedTable] {
        var rates = ReachFixture.rates
        var big = ReachFixture.rate(
            "nation", "Wales", referrals: 2355, population: 56_286_961, crude: (0.00836898, 0.00803435, 0.00871397), shares: (77.8, 66.67))
        big[RateColumn.personYears.index] = .decimal(281_396_278.7, places: 1)
        rates.append(big)
        var inequality = ReachFixture.inequality
        inequality.append(
            contentsOf: ReachFixture.index(
                "Wales", .nonMedicalShare, sii: (-14.0661, -19.8605, -8.31925), rii: (0.489126, 0.366144, 0.654125), most: 27.5335, least: 13.4673))
        inequality.filterRows { !($0[InequalityColumn.nation.index].string == "Scotland") }
        inequality.append(
            contentsOf: ReachFixture.index(
                "Scotland", .referralRate, sii: (2.3964e-05, -0.00900138, 0.00899589), rii: (1.0018, 0.51, 1.94), most: 0.0132945, least: 0.0133185))
        var provision = TimePlaceFixture.provision
        for i in provision.rows.indices {
            provision[row: i, ProvisionColumn.splwFTE] = .significant(i == 0 ? 0.746668 : 4.50667, digits: 6)
            provision[row: i, ProvisionColumn.ftePer50000] = .significant(1.50253, digits: 6)
            provision[row: i, ProvisionColumn.imdScore] = .significant(18.5491, digits: 6)
            provision[row: i, ProvisionColumn.note] = .text("suppressed;no_link_worker_fte;outside_data_period")
        }
        return fixtureTables + [rates, inequality, TimePlaceFixture.trends(), TimePlaceFixture.organisations(), TimePlaceFixture.gradient, provision]
    }

    /// The awkward report's context: the sample's models, one not fitted with a technical
    /// message, and a warning whose message carries codes.
    static var awkwardContext: ReportContext {
        var context = fixtureContext
        var failed = context.models[0]
        failed.name = "route_nonmedical_by_imd"
        failed.status = .failed
        failed.message = "quasi-complete separation: every observation with imd_quintile = 1 has outcome 0"
        context.models.append(failed)
        context.warnings = [
            RunWarning(
                code: .rowsQuarantined,
                message: "37 of 3,000 rows quarantined: most common reasons conflicting_referral_id 6, invalid_age 4 (see tables/data_quality.csv)")
        ]
        context.rateFigures = ReachFixture.figures
        return context
    }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct ReportNumberRulesTests {
    static var reports: [(name: String, html: String, markdown: String)] {
        let awkward = (NumberRules.awkwardTables, NumberRules.awkwardContext)
        return [
            (
                "sample run", try! String(contentsOfFile: sampleRun.out + "/report.html", encoding: .utf8),
                try! String(contentsOfFile: sampleRun.out + "/report.md", encoding: .utf8)
            ),
            ("fixture", fixtureHTML, fixtureMarkdown),
            ("awkward", Report.html(tables: awkward.0, context: awkward.1), Report.markdown(tables: awkward.0, context: awkward.1)),
        ]
    }

    @Test func everyNumberFollowsTheRules() {
        for report in Self.reports {
            let html = NumberRules.breaches(NumberRules.visibleText(html: report.html))
            let md = NumberRules.breaches(NumberRules.visibleText(markdown: report.markdown))
            #expect(html.isEmpty, "\(report.name) report.html: \(html.prefix(8))")
            #expect(md.isEmpty, "\(report.name) report.md: \(md.prefix(8))")
            let tables = NumberRules.tableBreaches(report.markdown)
            #expect(tables.isEmpty, "\(report.name) report.md tables: \(tables.prefix(8))")
        }
    }

    /// The checker finds what the issue saw (so a pass above means something).
    @Test func theCheckerCatchesTheIssuesExamples() {
        let bad = [
            "SII 2.4e-0500", "77.80% of referrals", "crude rate 0.00836898 (0.00803435-0.00871397)", "-14.0661 (-19.8605 to -8.31925)", "n = 2950",
        ]
        for line in bad { #expect(!NumberRules.breaches([line]).isEmpty, "\(line)") }
        #expect(NumberRules.breaches(["2,949 referrals in 2024, 77.8% (0.837 per 100,000; p <0.001; −14.1; ages 0-17; 2021-01-01)"]).isEmpty)
        let table =
            "| Nation | Person-years | Crude rate (95% CI) | RII (95% CI) | % |\n|---|---:|---:|---:|---:|\n| E | 281,396,278.7 | 0.836898 (0.8–0.9) | 1.2 (1.02 to 1.4) | 77.80 |\n"
        // Person-years with a decimal, a 6-figure rate, RII 1.2 and 1.4 (1 decimal), 77.80 (2 decimals).
        #expect(NumberRules.tableBreaches(table).count == 5)
        #expect(
            NumberRules.snakeCase(["Warning (rows_quarantined): see tables/data_quality.csv."]) == [
                "rows_quarantined in: Warning (rows_quarantined): see tables/data_quality.csv."
            ])
    }

    /// Plain English: no `snake_case` code in any visible text outside a file name.
    @Test func noCodeReachesThePage() {
        for report in Self.reports {
            let html = NumberRules.snakeCase(NumberRules.visibleText(html: report.html))
            let md = NumberRules.snakeCase(NumberRules.visibleText(markdown: report.markdown))
            #expect(html.isEmpty, "\(report.name) report.html: \(html.prefix(8))")
            #expect(md.isEmpty, "\(report.name) report.md: \(md.prefix(8))")
        }
        let awkward = Self.reports[2]
        #expect(awkward.markdown.contains("Dispersion θ"))
        // The separation message as a plain sentence (the model's outcome is the sample's first, a non-medical route).
        #expect(
            awkward.markdown.contains(
                "Not fitted: none of the referrals with deprivation quintile (each nation's own index) 1 came through a non-medical route, so the model cannot estimate a ratio for deprivation quintile (each nation's own index) 1."
            ), "\(awkward.markdown.components(separatedBy: "\n").filter { $0.contains("Not fitted") })")
    }

    /// The tiny SII is said in fixed notation on the section's scale; person-years whole; FTE to 1 decimal.
    @Test func awkwardValuesAreSaidAloud() {
        let md = NumberRules.visibleText(markdown: Self.reports[2].markdown).joined(separator: "\n")
        // 281,396,278.7 person-years → 281,396,279.
        #expect(md.contains("| 281,396,279 |"))
        // 2.3964e-05 per 1,000 to 3 significant figures: 0.0000240 (the fixture's scale is per 1,000).
        #expect(md.contains("0.0000240"))
        // FTE 0.746668 → 0.7; 4.50667 → 4.5; FTE per 50,000 1.50253 → 1.5; IMD score 18.5491 → 18.5.
        #expect(md.contains("| 0.7 |") && md.contains("| 4.5 |") && md.contains("| 1.5 |") && md.contains("| 18.5 |"))
        // SII −14.0661 (−19.8605 to −8.31925) → −14.1 (−19.9 to −8.3), with true minus signs.
        #expect(md.contains("\u{2212}14.1 (\u{2212}19.9 to \u{2212}8.3)"))
    }
}

@Suite(.timeLimit(.minutes(10))) struct ChartArithmeticTests {
    static let categories = Report.routeTypeCategories(Labels(overrides: [:]))

    static func bar(_ rows: [Charts.StackedRow]) -> String {
        Charts.stackedBars(id: "t", title: "t", description: "d", categories: categories, rows: rows, groupTitle: "Group", valueTitle: "Percent").rendered
    }

    /// A legend wraps before an item would pass the chart's right edge (expected by hand:
    /// 450 px wide, items from 62 px; the single-nation representation chart's "1 = referred
    /// in proportion to its population" ran to 629 px of a 482 px chart before).
    @Test func legendsWrapWithinTheirChart() {
        var legend = Charts.LegendLayout(left: 62, right: 440)
        let first = legend.place(markWidth: 14, text: "Share of referrals ÷ share of population", gap: 10)
        let second = legend.place(markWidth: 28, text: "1 = referred in proportion to its population")
        #expect(first.x == 62 && first.y == 13)
        #expect(second.x == 62 && second.y == 31 && legend.rows == 2 && legend.extraHeight == 18)
        #expect(second.x + 28 + Charts.textWidth("1 = referred in proportion to its population") <= 440)
        // A y axis's plot starts right of its longest tick label: "10,000" needs more than "20".
        #expect(Charts.plotLeft(origin: 10, least: 30, reserved: 0, labels: ["0", "20"]) == 40)
        #expect(Charts.plotLeft(origin: 10, least: 30, reserved: 0, labels: ["0", "10,000"]) > 10 + 8 + 5 * 6.6)
    }

    /// Parts 315 + 210 of a total 500 (rounded counts): 63% + 42% = 105% is never written;
    /// the row says its parts exceed its total.
    @Test func roundedPartsExceedingTheTotalAreSaidNotDrawnAsPercentages() {
        let svg = Self.bar([
            Charts.StackedRow(
                label: "A", total: 500,
                segments: [("medical", 315, 63, false), ("non_medical", 210, 42, false), ("unknown", 0, 0, false)])
        ])
        #expect(!svg.contains(">63%<") && !svg.contains(">42%<"))
        #expect(svg.contains(">rounded parts (525) exceed the total (500)</text>"))
        // Drawn to the parts' scale: 315 of 525 of the 380-point bar = 228.0 wide.
        #expect(svg.contains("width=\"228.0\""))
    }

    /// Parts 1,965 + 1,600 + 185 = 3,750 of a total published as 3,755 (each rounded on its
    /// own; nothing suppressed): the row says its parts fall short, never that they "fill" it.
    @Test func roundedPartsShortOfTheTotalAreSaidSo() {
        let svg = Self.bar([
            Charts.StackedRow(
                label: "White", total: 3755,
                segments: [("medical", 1965, 52.33, false), ("non_medical", 1600, 42.61, false), ("unknown", 185, 4.93, false)])
        ])
        #expect(svg.contains(">rounded parts (3,750) fall short of the total (3,755)</text>"))
        #expect(!svg.contains("add up to all"))
    }

    /// Sex "Other": 10 medical of 10, non-medical suppressed. "100%" beside a suppressed part is never written.
    @Test func aSuppressedPartBesideAFullBarIsNotCalled100Percent() {
        let svg = Self.bar([
            Charts.StackedRow(label: "Other", total: 10, segments: [("medical", 10, 100, false), ("non_medical", nil, nil, true), ("unknown", 0, 0, false)])
        ])
        #expect(!svg.contains("class=\"onbar"))
        #expect(svg.contains(">the rounded counts shown add up to all 10</text>"))
        // And in the fixture's chart by sex.
        let sex = fixtureHTML.components(separatedBy: "<svg id=\"mix-sex\"")[1].components(separatedBy: "</svg>")[0]
        #expect(sex.range(of: #"onbar[^>]*>100%<"#, options: .regularExpression) == nil)
    }

    /// Parts that agree (1,350 + 325 + 30 = 1,705) are labelled with their percentages of the
    /// total, as the rule says them: 1,350 / 1,705 = 79.2% → 79 (denominator under 2,500).
    @Test func consistentPartsAreLabelled() {
        let svg = Self.bar([
            Charts.StackedRow(
                label: "Female", total: 1705,
                segments: [("medical", 1350, 79.18, false), ("non_medical", 325, 19.06, false), ("unknown", 30, 1.76, false)])
        ])
        #expect(svg.contains(">79%</text>") && svg.contains(">19%</text>"))
        #expect(!svg.contains("rounded parts"))
        // The label's colour is fixed by a class too, so `svg text { fill }` cannot override it.
        #expect(svg.contains("class=\"onbar onbar-light\" fill=\"#FFFFFF\""))
        #expect(Report.chartCSS.contains("svg text.onbar-light { fill: #FFFFFF; }"))
    }

    /// Whole percentages that add to 101 only by their own rounding are written (Male:
    /// 910, 270, 20 of 1,200 = 75.83%, 22.50%, 1.67% → 76 + 23 + 2 = 101 ≤ 100 + 3 × 0.5).
    @Test func roundingOfTheLabelsAloneDoesNotHideThem() {
        let svg = Self.bar([
            Charts.StackedRow(
                label: "Male", total: 1200, segments: [("medical", 910, 75.83, false), ("non_medical", 270, 22.50, false), ("unknown", 20, 1.67, false)])
        ])
        #expect(svg.contains(">76%</text>") && svg.contains(">23%</text>"))
    }

    /// A wholly suppressed panel is one sentence, not a row of "s" (the sample's Northern
    /// Ireland and Unknown trends): no panel, no table column, one sentence naming them.
    @Test func whollySuppressedPanelsAreOneSentence() throws {
        let html = try String(contentsOfFile: sampleRun.out + "/report.html", encoding: .utf8)
        let trend = html.components(separatedBy: "<svg id=\"trend-nation\"")[1].components(separatedBy: "</svg>")[0]
        #expect(trend.contains("class=\"panel\">England</text>") && trend.contains("class=\"panel\">Scotland</text>"))
        #expect(!trend.contains("class=\"panel\">Northern Ireland</text>") && !trend.contains("class=\"panel\">Unknown</text>"))
        let sentence =
            "Not in the tables or charts, because every quarter of theirs is suppressed (too few referrals to publish): the non-medical share in Northern Ireland and Unknown;"
        #expect(html.contains(sentence))
        // Its table column too: one sentence instead of a column of "suppressed" (Northern Ireland, Unknown).
        let md = try String(contentsOfFile: sampleRun.out + "/report.md", encoding: .utf8)
        #expect(md.contains("| Quarter | England | Wales | Scotland |\n"))
        #expect(md.contains(sentence))
        let panel = Charts.intervalPanels(
            id: "g", title: "t", description: "d", panels: [Charts.Panel(title: "Wales", points: (1...10).map { (String($0), nil, nil, nil) })], xTitle: "x",
            yTitle: "y", colour: Palette.nonMedical
        ).rendered
        #expect(panel.contains(">Every figure is suppressed (too few referrals to publish).</text>"))
        #expect(!panel.contains(">s</text>"))
    }

    /// Forest plot labels are short and complete: each deprivation row reads in full.
    @Test func forestLabelsAreShortAndComplete() {
        let forest = fixtureHTML.components(separatedBy: "<svg id=\"forest-route_nonmedical\"")[1].components(separatedBy: "</svg>")[0]
        #expect(forest.contains(">IMD Q1 (most deprived) vs Q5</text>"))
        for q in 2...4 { #expect(forest.contains(">IMD Q\(q) vs Q5</text>")) }
        #expect(!forest.contains("…"))
        #expect(!forest.contains("Deprivation quintile (each nation"))
    }

    /// Reason bars run from the largest share to the smallest.
    @Test func reasonBarsAreSorted() {
        let reasons = fixtureHTML.components(separatedBy: "<svg id=\"reasons\"")[1].components(separatedBy: "</svg>")[0]
        // The bars' labels (the axis ticks are centred with text-anchor, the labels are not).
        let values = NumberRules.matches(#"y="[\d.]+" class="small">[\d.]+%</text>"#, in: reasons).compactMap {
            Double($0.components(separatedBy: ">")[1].dropLast(8))
        }
        #expect(values.count >= 5)
        #expect(values == values.sorted(by: >))
    }
}
