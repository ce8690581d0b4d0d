import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate
@testable import SPRXReport

/// Hand-built `rates_by_group` and `inequality` tables for the reach section.
///
/// Every expected figure below is a hand calculation from the cells put in (named at
/// each use): rates are 1000 × referrals / person-years, person-years = population × 2
/// years; the "times as often" ratio is fitted_most_deprived / fitted_least_deprived
/// and its interval 1 / the RII's limits (PHE's convention: RII = least / most deprived);
/// the gap is −SII (SII = least − most deprived).
enum ReachFixture {
    static let years = 2.0

    /// One `rates_by_group` row; rates from the published count as the builder makes them.
    static func rate(
        _ dimension: String, _ group: String, referrals: Int64?, population: Int64?, crude: (Double, Double, Double)? = nil,
        dsr: (Double, Double, Double)? = nil, shares: (Double, Double)? = nil, note: String? = nil, control: Bool = true
    ) -> [Cell] {
        var row = [Cell](repeating: .empty, count: RateColumn.allCases.count)
        row[RateColumn.dimension.index] = .text(dimension)
        row[RateColumn.group.index] = .text(group)
        row[RateColumn.referrals.index] = .count(referrals)
        row[RateColumn.population.index] = population.map { .count($0) } ?? .empty
        row[RateColumn.personYears.index] = .decimal(population.map { Double($0) * years }, places: 1)
        if let crude {
            row[RateColumn.crudeRate.index] = .decimal(crude.0, places: 3)
            row[RateColumn.crudeCILow.index] = .decimal(crude.1, places: 3)
            row[RateColumn.crudeCIHigh.index] = .decimal(crude.2, places: 3)
        }
        if let dsr {
            row[RateColumn.dsr.index] = .decimal(dsr.0, places: 3)
            row[RateColumn.dsrCILow.index] = .decimal(dsr.1, places: 3)
            row[RateColumn.dsrCIHigh.index] = .decimal(dsr.2, places: 3)
        }
        if let shares {
            row[RateColumn.referralShare.index] = .decimal(shares.0, places: 2)
            row[RateColumn.populationShare.index] = .decimal(shares.1, places: 2)
            row[RateColumn.representation.index] = .decimal(shares.0 / shares.1, places: 3)
        }
        row[RateColumn.note.index] = note.map(Cell.text) ?? .empty
        row[RateColumn.suppressed.index] = .flag(referrals == nil)
        row[RateColumn.disclosureControl.index] = .disclosureControl(control)
        return row
    }

    /// The `sii` and `rii` rows of one nation's indicator.
    static func index(
        _ nation: String, _ indicator: InequalityColumn.Indicator, sii: (Double, Double, Double)?, rii: (Double, Double, Double)?,
        most: Double?, least: Double?, note: String? = nil
    ) -> [[Cell]] {
        [(InequalityColumn.Measure.sii, sii), (.rii, rii)].map { measure, estimate in
            var row = [Cell](repeating: .empty, count: InequalityColumn.allCases.count)
            row[InequalityColumn.nation.index] = .text(nation)
            row[InequalityColumn.indicator.index] = .text(indicator.rawValue)
            row[InequalityColumn.measure.index] = .text(measure.rawValue)
            row[InequalityColumn.quantiles.index] = .count(10)
            if let estimate {
                row[InequalityColumn.value.index] = .significant(estimate.0, digits: 6)
                row[InequalityColumn.ciLow.index] = .significant(estimate.1, digits: 6)
                row[InequalityColumn.ciHigh.index] = .significant(estimate.2, digits: 6)
            }
            if let most, let least {
                row[InequalityColumn.fittedMostDeprived.index] = .significant(most, digits: 6)
                row[InequalityColumn.fittedLeastDeprived.index] = .significant(least, digits: 6)
            }
            row[InequalityColumn.unit.index] = .text(indicator == .referralRate ? "per 1,000 per year" : "percent")
            row[InequalityColumn.note.index] = note.map(Cell.text) ?? .empty
            row[InequalityColumn.suppressed.index] = .flag(note == InequalityColumn.Note.suppressed)
            row[InequalityColumn.disclosureControl.index] = .disclosureControl(true)
            return row
        }
    }

    static let decile = "nation/imd_decile"

    /// England: ten deciles of 10,000 residents (20,000 person-years each); decile d has
    /// 130 − 10d referrals (120 … 30), so crude rate = 1000 × (130 − 10d) / 20,000 =
    /// 6.5 − 0.5d (6.000 … 1.500); decile 3 suppressed. Northern Ireland: crude only.
    static var rates: PublishedTable {
        var rows: [[Cell]] = [
            rate("all", "all", referrals: 900, population: 150_000, crude: (3.0, 2.8, 3.2), dsr: nil, note: RateColumn.Note.noAgePopulation),
            rate("nation", "England", referrals: 750, population: 100_000, crude: (3.75, 3.49, 4.03), dsr: (3.9, 3.6, 4.2), shares: (83.33, 66.67)),
            rate(
                "nation", "Northern Ireland", referrals: 150, population: 50_000, crude: (1.5, 1.27, 1.76), shares: (16.67, 33.33),
                note: RateColumn.Note.noAgePopulation),
        ]
        for d in 1...10 {
            let referrals = Int64(130 - 10 * d)
            let crude = 1000 * Double(referrals) / (10_000 * years)  // 6.5 − 0.5d
            if d == 3 {
                // The population share stays (the population is public): 10,000 / 100,000 = 10.00%.
                var row = rate(decile, "England/3", referrals: nil, population: 10_000, note: RateColumn.Note.suppressed)
                row[RateColumn.populationShare.index] = .decimal(10, places: 2)
                rows.append(row)
                continue
            }
            rows.append(
                rate(
                    decile, "England/\(d)", referrals: referrals, population: 10_000, crude: (crude, crude * 0.9, crude * 1.1),
                    dsr: (crude + 0.25, crude, crude + 0.5), shares: (100 * Double(referrals) / 750, 10)))
        }
        for d in 1...10 {
            rows.append(
                rate(
                    decile, "Northern Ireland/\(d)", referrals: 15, population: 5_000, crude: (1.5, 0.84, 2.47), shares: (10, 10),
                    note: RateColumn.Note.noAgePopulation))
        }
        rows.append(rate("age_band", "<script>x</script>", referrals: 40, population: 8_000, crude: (2.5, 1.79, 3.4), note: RateColumn.Note.crudeOnly))
        return PublishedTable(.ratesByGroup, rows: rows)
    }

    static var inequality: PublishedTable {
        var rows: [[Cell]] = []
        // England: most 12, least 6 → 2.0 times; RII 0.5 (0.45–0.55) → 1/0.55 = 1.818 → 1.8, 1/0.45 = 2.222 → 2.2; SII −6 (−7 to −5).
        rows += index("England", .referralRate, sii: (-6, -7, -5), rii: (0.5, 0.45, 0.55), most: 12, least: 6)
        // Non-medical: 42.0% against 36.8%, SII −5.2 (−7.0 to −3.4) → 5.2 points higher at the most deprived end.
        rows += index("England", .nonMedicalShare, sii: (-5.2, -7, -3.4), rii: (0.87619, 0.83, 0.92), most: 42, least: 36.8)
        // Contacted: SII 0.8 (−0.5 to 2.1): the interval includes 0.
        rows += index("England", .contactedShare, sii: (0.8, -0.5, 2.1), rii: (1.01, 0.99, 1.03), most: 80, least: 80.8)
        rows += index("England", .interventionShare, sii: nil, rii: nil, most: nil, least: nil, note: InequalityColumn.Note.decileWithoutReferrals)
        // Wales: most 3, least 6 → 0.5 → "half as often"; RII 2 (1.6 to 2.4) → 1/2.4 = 0.4167 → 0.42, 1/1.6 = 0.625 → 0.63 (half away from zero).
        rows += index("Wales", .referralRate, sii: (3, 2, 4), rii: (2, 1.6, 2.4), most: 3, least: 6)
        // Scotland: most 5.5, least 5 → 1.1; RII 0.909091 (0.8 to 1.05) → 1/1.05 = 0.952 → 0.95, 1/0.8 = 1.25 → 1.3: includes 1.
        rows += index("Scotland", .referralRate, sii: (-0.5, -1.2, 0.2), rii: (0.909091, 0.8, 1.05), most: 5.5, least: 5)
        // Northern Ireland: most 4, least 6.5 → 0.615 → 0.62 (the least deprived 1/0.615 = 1.625 → 1.6 times as often).
        rows += index("Northern Ireland", .referralRate, sii: (2.5, 1.5, 3.5), rii: (1.625, 1.4, 1.9), most: 4, least: 6.5)
        rows += index("Northern Ireland", .nonMedicalShare, sii: nil, rii: nil, most: nil, least: nil, note: InequalityColumn.Note.suppressed)
        return PublishedTable(.inequality, rows: rows)
    }

    static func context(disclosure: Bool = true, figures: RateFigures? = nil) -> ReportContext {
        ReportContext(
            toolVersion: "t", pipelineName: "reach", pipelineSHA256: "0", inputs: [], firstDay: "2023-01-01", lastDay: "2024-12-31",
            disclosureEnabled: disclosure, disclosureStatement: disclosure ? "Disclosure control applied." : "Disclosure control is OFF.", references: [],
            models: [], groupKey: shippedGroupKey, rateFigures: figures, populationEdition: "mid-2019 small-area estimates",
            catchment: "every small area of each nation")
    }

    /// The manifest's rate figures, as the manifest writes them.
    static let figures = try! JSONDecoder().decode(
        RateFigures.self,
        from: Data(
            """
            {"population_edition": "mid-2019", "catchment": "every small area", "population_areas": {"England": 32844}, "population_areas_without_decile": {}, "first_day": "2023-01-01", "last_day": "2024-12-31", "period_fixed_by_pipeline": false, "years": 2.0013689253935662,
             "referrals_in_rates": 900, "left_out_unknown_area": 12, "left_out_outside_catchment": {"Wales": 3},
             "in_crude_rates_only_unknown_age": 4, "nations_without_single_year_populations": ["Northern Ireland"]}
            """.utf8))
}

@Suite(.timeLimit(.minutes(10))) struct ReachTests {
    let html = Report.html(tables: [ReachFixture.rates, ReachFixture.inequality], context: ReachFixture.context(figures: ReachFixture.figures))
    let markdown = Report.markdown(tables: [ReachFixture.rates, ReachFixture.inequality], context: ReachFixture.context(figures: ReachFixture.figures))

    /// The reach section's HTML only.
    var section: String {
        let start = html.range(of: "<section id=\"reach\"")!.lowerBound
        return String(html[start...]).components(separatedBy: "</section>")[0]
    }

    /// RII below 1 in PHE's convention (higher where more deprived): "2.0 times as often".
    @Test func moreOftenInTheMostDeprived() {
        let sentence = ReachWording.sentence(
            nation: "England", InequalityIndex(indicator: .referralRate, sii: ReachFixture.inequality.rows[0], rii: ReachFixture.inequality.rows[1]))
        // 12 / 6 = 2.00; 1/0.55 = 1.818 → 1.82, 1/0.45 = 2.222 → 2.22 (ratios 2 decimals); gap = −SII = 6 (3 significant
        // digits: 6.00). The RII (the same ratio the other way up) is in the table, not said again.
        #expect(
            sentence
                == "In England, people in the most deprived areas were referred 2.00 times as often as people in the least deprived (95% interval 1.82 to 2.22; fitted rates 12.0 and 6.00 per 1,000 per year). The slope index of inequality, the modelled gap from the most to the least deprived, is 6.00 referrals per 1,000 residents per year, higher in the most deprived (SII −6.00, 95% interval −7.00 to −5.00)."
        )
    }

    /// RII above 1 (lower where more deprived): 0.5 reads "half as often"; 0.615 reads
    /// "0.62 times as often" and the inverse, 1 / 0.615 = 1.625 → "1.6".
    @Test func lessOftenInTheMostDeprived() {
        let figures = ReachFigures(tables: [ReachFixture.inequality])
        let wales = Report.reachSentences(figures, nation: "Wales")[0]
        // 3 / 6 = 0.5; 1/2.4 = 0.4167 → 0.42, 1/1.6 = 0.625 → 0.63; gap = −SII = −3.
        #expect(
            wales
                == "In Wales, people in the most deprived areas were referred half as often as people in the least deprived (95% interval 0.42 to 0.63; fitted rates 3.00 and 6.00 per 1,000 per year). The slope index of inequality, the modelled gap from the most to the least deprived, is 3.00 referrals per 1,000 residents per year, lower in the most deprived (SII 3.00, 95% interval 2.00 to 4.00)."
        )
        let ni = Report.reachSentences(figures, nation: "Northern Ireland")
        // 4 / 6.5 = 0.615 → 0.62; 1/1.9 = 0.526 → 0.53, 1/1.4 = 0.714 → 0.71; 6.5 / 4 = 1.625 → 1.63 (half away from zero).
        #expect(
            ni[0].hasPrefix(
                "In Northern Ireland, people in the most deprived areas were referred 0.62 times as often as people in the least deprived (95% interval 0.53 to 0.71;"
            ))
        #expect(ni[0].contains("Put the other way, people in the least deprived areas were referred 1.63 times as often."))
        #expect(
            ni[1]
                == "In Northern Ireland, the inequality indices for the share of referrals that came through non-medical routes are suppressed: a decile's count is suppressed by disclosure control."
        )
    }

    /// An interval including 1: "about as often", with the ratio and the interval said to include 1.
    @Test func aboutAsOftenWhenTheIntervalIncludesOne() {
        let scotland = Report.reachSentences(ReachFigures(tables: [ReachFixture.inequality]), nation: "Scotland")[0]
        // 5.5 / 5 = 1.10; 1/1.05 = 0.952 → 0.95, 1/0.8 = 1.25; gap = −SII = 0.5 with interval −0.2 to 1.2.
        #expect(
            scotland
                == "In Scotland, people in the most deprived areas were referred about as often as people in the least deprived (ratio 1.10, 95% interval 0.95 to 1.25, which includes 1; fitted rates 5.50 and 5.00 per 1,000 per year). The slope index of inequality, the modelled gap from the most to the least deprived, is 0.500 referrals per 1,000 residents per year, and its 95% interval includes no gap (SII −0.500, 95% interval −1.20 to 0.200)."
        )
    }

    /// Shares in percentage points: a gap with a direction, and a gap whose interval includes 0.
    @Test func shareSentencesInPercentagePoints() {
        let england = Report.reachSentences(ReachFigures(tables: [ReachFixture.inequality]), nation: "England")
        #expect(england.count == 4)
        // Gap = −SII = 5.2 points (interval 3.4 to 7.0: above 0).
        #expect(
            england[1]
                == "In England, 42.0% of referrals from the most deprived areas came through non-medical routes, against 36.8% from the least deprived (fitted values). The modelled gap is 5.2 percentage points, higher in the most deprived (SII −5.2, 95% interval −7.0 to −3.4)."
        )
        // Gap = −0.8 with interval −2.1 to 0.5: includes 0.
        #expect(
            england[2]
                == "In England, 80.0% of referrals from the most deprived areas reached a link worker, against 80.8% from the least deprived (fitted values). The modelled gap is 0.8 percentage points, and its 95% interval includes no gap (SII 0.8, 95% interval −0.5 to 2.1)."
        )
        #expect(
            england[3]
                == "In England, the inequality indices for the share of referrals that received at least one intervention are not given: a decile has no referrals, so no share."
        )
    }

    /// The ratio and number rules, each once.
    @Test func wordingRules() {
        #expect(ReachWording.ratio(1.84) == "1.84" && ReachWording.ratio(1.04) == "1.04" && ReachWording.ratio(0.615) == "0.62")
        #expect(ReachWording.significant(0.48249) == "0.482" && ReachWording.significant(12.34) == "12.3" && ReachWording.significant(9.996) == "10.0")
        #expect(ReachWording.howOften((1.5, 1.2, 1.9)) == "1.50 times as often as")
        #expect(ReachWording.howOften((1.5, 0.9, 1.9)) == "about as often as")
        #expect(ReachWording.howOften((0.25, 0.2, 0.3)) == "a quarter as often as")
        #expect(ReachWording.howOften((1 / 3, 0.3, 0.4)) == "a third as often as")
    }

    /// Suppressed and empty cells: "suppressed" or "—" with the reason, never 0.
    @Test func suppressedAndEmptyCells() {
        // England/3: count suppressed (population 10,000 stays: it is public).
        #expect(
            markdown.contains(
                "| 3 | suppressed | 10,000 | suppressed | suppressed | the referral count is suppressed by disclosure control, so are its rates |"))
        // England/1: 120 referrals / 20,000 person-years × 1000 = 6.00 (5.40–6.60) to 3 significant figures; DSR 6.25 (6.00–6.50).
        #expect(markdown.contains("| 1 | 120 | 10,000 | 6.00 (5.40–6.60) | 6.25 (6.00–6.50) |  |"))
        // Northern Ireland/1: crude only, the reason said.
        // 1.50 (3 figures); its limits 0.840 and 2.47 to no more than its 2 decimals: 0.84, 2.47
        // (the same note on every row of its table is said once, after it).
        #expect(markdown.contains("| 1 | 15 | 5,000 | 1.50 (0.84–2.47) | — |\n"))
        #expect(markdown.contains("Every row: no single-year-of-age population for its residents, so no age-standardised rate."))
        // Representation: England/1 120/750 = 16.0% of referrals, 10.0% of residents → 1.60 (a ratio, 2 decimals).
        #expect(markdown.contains("| 1 | 16.0 | 10.0 | 1.60 |"))
        #expect(markdown.contains("| 3 | suppressed | 10.0 | suppressed |"))
        // The chart marks the suppressed decile "s", never a point at 0.
        #expect(section.contains(">s</text>"))
        #expect(!section.contains("England, Deprivation decile (1 = most deprived) 3, Crude rate"))
        // Index table: empty index with its reason.
        #expect(markdown.contains("| Received an intervention (%) | — | — | — | — | a decile has no referrals, so no share |"))
        // A row whose every figure is suppressed is named once, not shown; its reason is in the sentences above the table.
        #expect(markdown.contains("Not shown, every figure suppressed: Non-medical share (%)."))
        #expect(
            markdown.contains(
                "the inequality indices for the share of referrals that came through non-medical routes are suppressed: a decile's count is suppressed by disclosure control."
            ))
    }

    /// A pipeline without a population: one line, no chart, no table.
    @Test func sectionWithoutPopulationIsOneLine() {
        let empty = [
            PublishedTable(.ratesByGroup, rows: []),
            PublishedTable(.inequality, rows: []),
        ]
        let html = Report.html(tables: empty, context: ReachFixture.context())
        #expect(
            html.contains(
                "<section id=\"reach\" aria-labelledby=\"reach-h\"><h2 id=\"reach-h\">Reach against the population</h2><p>The pipeline names no population"))
        #expect(!html.contains("reach-rates") && !html.contains("reach-representation"))
        let markdown = Report.markdown(tables: empty, context: ReachFixture.context())
        #expect(markdown.contains("## Reach against the population\n\nThe pipeline names no population"))
        #expect(!markdown.contains("### Rates by deprivation decile"))
    }

    /// The Markdown carries the same sentences and figures as the HTML.
    @Test func markdownHasTheSameFigures() {
        let figures = ReachFigures(tables: [ReachFixture.rates, ReachFixture.inequality])
        for nation in ["England", "Wales", "Scotland", "Northern Ireland"] {
            for sentence in Report.reachSentences(figures, nation: nation) {
                #expect(section.contains(Node.escape(sentence)))
                #expect(markdown.contains("- " + Report.markdownText(sentence)))
            }
        }
        for nation in figures.nations {
            // As the report shows them: a note on every row said once, wholly suppressed rows named once.
            let rates = Report.compacted(header: Report.reachRateHeader, rows: Report.reachRateRows(figures, nation: nation), numeric: [1, 2, 3, 4]).rows
            let shares = Report.compacted(
                header: Report.reachRepresentationHeader, rows: Report.reachRepresentationRows(figures, nation: nation), numeric: [1, 2, 3]
            ).rows
            for row in rates + shares {
                let inHTML = row.dropFirst().allSatisfy { section.contains(">\(Node.escape($0))</td>") }
                #expect(inHTML)
                #expect(markdown.contains(row.map(Report.markdownText).joined(separator: " | ")))
            }
        }
        for note in Report.reachNotes(figures, ReachFixture.context(figures: ReachFixture.figures)) {
            #expect(section.contains("<li>\(Node.escape(note))</li>"))
            #expect(markdown.contains("- " + Report.markdownText(note)))
        }
        // What was left out, from the context (counts as the manifest gives them).
        #expect(
            markdown.contains(
                "Left out (counts of records, controlled as above): 12 with no usable area code; outside the catchment or without a population: 3 in Wales. 4 with an unknown age"
            ))
    }

    /// SPRX_REACH_REPORT=path writes this hand-built report's HTML there and its Markdown
    /// beside it (path.md), to look at them (scripts/check_report.py checks it as rendered).
    @Test func writeForLooking() throws {
        guard let path = ProcessInfo.processInfo.environment["SPRX_REACH_REPORT"] else { return }
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        try markdown.write(toFile: path + ".md", atomically: true, encoding: .utf8)
    }

    /// Charts: one panel per nation, the reference line at 1, accessible names, a table beside each.
    @Test func chartsAreAccessible() {
        for id in ["reach-rates", "reach-representation"] {
            #expect(section.contains("<svg id=\"\(id)\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\""))
            #expect(section.contains("<title id=\"\(id)-title\">") && section.contains("<desc id=\"\(id)-desc\">"))
        }
        #expect(section.contains("stroke-dasharray=\"5 3\" stroke-width=\"1.5\"><title>1 = referred in proportion to its population</title>"))
        #expect(section.contains("Deciles are within-nation"))
        #expect(section.contains("<summary>Table: England, rates by decile (all rows: tables/rates_by_group.csv)</summary>"))
        #expect(section.contains("<summary>Table: Northern Ireland, representation by decile (all rows: tables/rates_by_group.csv)</summary>"))
        // Point titles carry the figures: England/2 = 110 / 20,000 × 1000 = 5.50 (4.95–6.05).
        #expect(section.contains("<title>England, Deprivation decile (1 = most deprived) 2, Crude rate: 5.50 (95% CI 4.95–6.05)</title>"))
    }

    /// Nothing from data reaches the page unescaped.
    @Test func labelsAreEscaped() {
        #expect(!html.contains("<script>"))
        #expect(section.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(markdown.contains("\\<script\\>x\\</script\\>"))
    }

    /// Disclosure control off: the notes say counts are exact.
    @Test func notesWithControlOff() {
        let markdown = Report.markdown(tables: [ReachFixture.rates, ReachFixture.inequality], context: ReachFixture.context(disclosure: false))
        #expect(markdown.contains("Disclosure control is off: counts are exact."))
        #expect(!markdown.contains("Left out (exact counts"))
    }
}

/// The section reads rows in the shapes `RateTableBuilder` makes them (its own row
/// functions, from tallies set by hand), so a change of dimension, group label or cell
/// type there shows here. The statistics behind the numbers are not what this checks:
/// the report prints the builder's published text.
@Suite(.timeLimit(.minutes(10))) struct ReachBuilderShapeTests {
    @Test func readsTheBuildersRows() throws {
        let pipeline = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let builder = RateTableBuilder(pipeline: pipeline)
        let years = 2.0
        // England: ten deciles of 10,000 residents; decile d has 20 × (11 − d) referrals, half non-medical, all contacted, a quarter helped.
        let deciles = (1...10).map { d -> RateTableBuilder.GroupTally in
            let referrals = Int64(20 * (11 - d))
            return RateTableBuilder.GroupTally(
                referrals: referrals, nonMedical: referrals / 2, contacted: referrals, intervention: referrals / 4, population: 10_000)
        }
        var nation = RateTableBuilder.GroupTally(population: 100_000)
        nation.referrals = deciles.map(\.referrals).reduce(0, +)  // 20 × 55 = 1,100
        var rows = [builder.rateRow(dimension: "nation", label: "England", tally: nation, parent: nil, years: years)]
        for (i, tally) in deciles.enumerated() {
            var tally = tally
            tally.lacksAges = true
            rows.append(builder.rateRow(dimension: Report.nationByDecile, label: "England/\(i + 1)", tally: tally, parent: nation, years: years))
        }
        let rates = PublishedTable(.ratesByGroup, rows: rows)
        let indices = PublishedTable(.inequality, rows: builder.inequalityRows(builder.inequalityInputs(nation: .england, deciles: deciles, years: years)))
        let reach = ReachFigures(tables: [rates, indices])
        #expect(reach.nations == ["England"])
        #expect(reach.deciles("England").map(\.decile) == Array(1...10))
        #expect(reach.inequalityNations == ["England"])
        // Decile 1: 200 referrals (a multiple of 5, published as is) of 1,100: 18.2% of referrals, 10.0% of residents, ratio 1.82.
        let table = Report.reachRepresentationRows(reach, nation: "England")
        #expect(table[0] == ["1", "18.2", "10.0", "1.82"])
        // The rate cell is the builder's own text; the note in words, never the raw id.
        let decile1 = Report.reachRateRows(reach, nation: "England")[1]
        #expect(decile1[0] == "1" && decile1[1] == "200" && decile1[2] == "10,000")
        #expect(decile1[3].hasPrefix(NumberFormat.rate(rows[1][RateColumn.crudeRate].value!) + " ("))
        #expect(decile1[5] == ReachWording.rateNote(RateColumn.Note.noAgePopulation))
        // One sentence per indicator.
        #expect(Report.reachSentences(reach, nation: "England").count == InequalityColumn.Indicator.allCases.count)
    }
}
