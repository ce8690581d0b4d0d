import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXReport

/// The report's organisation funnels: the case-mix adjusted ratio by default, the
/// overdispersed limits when φ > 1, and each choice said in words, from hand-made
/// `organisations.csv` tables holding the issue-27 columns.
///
/// The tables' ratios and limits are stand-ins (the report prints and draws what the
/// table gives, whatever method made it); every expected text below is the hand-made
/// value as the report's rules print it (ratios and their limits to 2 decimals, observed
/// counts whole, expected numbers to 3 significant digits, φ and τ² to 3).
@Suite(.timeLimit(.minutes(10))) struct OrganisationFunnelTests {
    typealias Column = OrganisationColumn

    /// The ratio figures of one row: observed, expected, isr (= observed/expected, 6
    /// significant digits), PHE's funnel limits and flag, and the overdispersed ones.
    struct Ratio {
        var observed: Double, expected: Double
        var plain: (Double, Double, Double, Double), flag: Column.Flag
        var widened: (Double, Double, Double, Double)?, flagOD: Column.Flag?
    }

    /// Non-medical ratios of TimePlaceFixture's organisations. Riverside (R1): 120 / 80.5
    /// = 1.49068, above its plain 99.8% limit (1.39) but inside its overdispersed one (1.70),
    /// above the overdispersed 95% (1.40). Y0042: 20 / 40.5 = 0.493827, below its plain
    /// 99.8% limit (0.57), below the overdispersed 95% only (0.60 > 0.49 > 0.45). The
    /// others' ratios lie near 1 (observed = their numerator, expected within 10% of it),
    /// within both. S1 is suppressed: no ratio.
    static let ratios: [String: Ratio] = {
        var ratios: [String: Ratio] = [
            "R1": Ratio(observed: 120, expected: 80.5, plain: (0.79, 1.24, 0.68, 1.39), flag: .above998, widened: (0.70, 1.40, 0.58, 1.70), flagOD: .above95),
            "Y0042": Ratio(
                observed: 20, expected: 40.5, plain: (0.71, 1.38, 0.57, 1.62), flag: .below998, widened: (0.60, 1.60, 0.45, 2.00), flagOD: .below95),
        ]
        let ordinary: [(String, Double)] = [
            ("P01", 100), ("P02", 90), ("P03", 75), ("P04", 60), ("P05", 65), ("P06", 35), ("P07", 30), ("P08", 25), ("P09", 20), ("P10", 15),
        ]
        for (i, (code, observed)) in ordinary.enumerated() {
            let expected = observed * (i.isMultiple(of: 2) ? 1.04 : 0.95)
            let half = 2 / expected.squareRoot()
            ratios[code] = Ratio(
                observed: observed, expected: expected, plain: (1 - half, 1 + half, 1 - 1.5 * half, 1 + 1.5 * half), flag: .within,
                widened: (1 - 2 * half, 1 + 2 * half, 1 - 3 * half, 1 + 3 * half), flagOD: .within)
        }
        return ratios
    }()

    /// TimePlaceFixture's organisations with the non-medical rows' ratio columns filled
    /// (`ratios`; the overdispersed ones only when `widened`), and, when `crudeWidened`,
    /// the crude share's overdispersed limits as the plain ones ± 2 points with `flag_od`
    /// `within` (stand-ins).
    static func table(ratios: Bool = true, widened: Bool = true, crudeWidened: Bool = false) -> PublishedTable {
        let base = TimePlaceFixture.organisations()
        let rows = base.rows.map { row -> [Cell] in
            var row = row
            guard row[Column.indicator.index].string == Column.Indicator.nonMedicalShare.rawValue,
                row[Column.level.index].string == Column.Level.organisation.rawValue
            else { return row }
            if crudeWidened, let l = row[Column.lower95.index].value, let h = row[Column.upper95.index].value,
                let l9 = row[Column.lower998.index].value, let h9 = row[Column.upper998.index].value
            {
                row[Column.lower95OD.index] = .decimal(max(0, l - 2), places: 2)
                row[Column.upper95OD.index] = .decimal(h + 2, places: 2)
                row[Column.lower998OD.index] = .decimal(max(0, l9 - 2), places: 2)
                row[Column.upper998OD.index] = .decimal(h9 + 2, places: 2)
                row[Column.flagOD.index] = .text(Column.Flag.within.rawValue)
            }
            guard ratios, let code = row[Column.organisationID.index].string, let ratio = Self.ratios[code] else { return row }
            row[Column.observed.index] = .significant(ratio.observed, digits: 6)
            row[Column.expected.index] = .significant(ratio.expected, digits: 6)
            row[Column.isr.index] = .significant(ratio.observed / ratio.expected, digits: 6)
            let plain = ratio.plain
            row[Column.isrFunnelLower95.index] = .significant(plain.0, digits: 6)
            row[Column.isrFunnelUpper95.index] = .significant(plain.1, digits: 6)
            row[Column.isrFunnelLower998.index] = .significant(plain.2, digits: 6)
            row[Column.isrFunnelUpper998.index] = .significant(plain.3, digits: 6)
            row[Column.isrFlag.index] = .text(ratio.flag.rawValue)
            if widened, let od = ratio.widened, let flag = ratio.flagOD {
                row[Column.isrFunnelLower95OD.index] = .significant(od.0, digits: 6)
                row[Column.isrFunnelUpper95OD.index] = .significant(od.1, digits: 6)
                row[Column.isrFunnelLower998OD.index] = .significant(od.2, digits: 6)
                row[Column.isrFunnelUpper998OD.index] = .significant(od.3, digits: 6)
                row[Column.isrFlagOD.index] = .text(flag.rawValue)
            }
            return row
        }
        return PublishedTable(.organisations, rows: rows)
    }

    static func context(
        dispersion: [String: FunnelDispersion] = [:], strata: [String]? = nil, recording: FieldRecording = .complete
    ) -> ReportContext {
        var context = TimePlaceFixture.context()
        context.funnelDispersion = dispersion
        if let strata { context.caseMixStrata = strata }
        context.recording = recording
        return context
    }

    static let nonMedicalRatio = FunnelDispersion.key(.nonMedicalShare, .ratio)

    /// The organisations section of a report.
    static func section(_ html: String) -> String {
        let start = html.range(of: "<section id=\"organisations\"")!.lowerBound
        return String(html[start...]).components(separatedBy: "</section>")[0]
    }

    /// One SVG of a page.
    static func svg(_ id: String, in html: String) -> String? {
        let parts = html.components(separatedBy: "<svg id=\"\(id)\"")
        return parts.count > 1 ? parts[1].components(separatedBy: "</svg>")[0] : nil
    }

    // With ratios in the table the funnel is of the ratio, named by its strata; without a
    // dispersion factor the limits are PHE's plain ones, and it says so.
    @Test func theAdjustedRatioByDefault() throws {
        let context = Self.context(strata: ["Age band", "sex"])  // a title reads in lower case inside the sentence
        let funnel = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, context)
        #expect(funnel.measure == FunnelMeasure(scale: .ratio, overdispersed: false))
        #expect(funnel.overall == 1)
        #expect(funnel.points.count == 13)
        #expect(funnel.method[0].hasPrefix("Adjusted for case mix by age band and sex: each organisation's referrals through non-medical routes (observed)"))
        #expect(funnel.method[1] == PlaceWording.noDispersionSentence)
        #expect(
            PlaceWording.flagSentence(funnel.points, .nonMedicalShare, noun: "organisation")
                == "Of 12 organisations with a published case-mix adjusted ratio of referrals through non-medical routes, observed to expected, 1 lies above the 99.8% limit, 10 within the 95% limits and 1 below the 99.8% limit. 1 more organisation is suppressed."
        )
        // 120 / 80.5 = 1.49068 → 1.49; 20 / 40.5 = 0.493827 → 0.49. Extremity: R1 (1.49 − 1)/(1.39 − 1) = 1.26,
        // Y0042 (0.49 − 1)/(0.57 − 1) = 1.18, so Riverside first.
        #expect(
            PlaceWording.outlierSentence(funnel.points, overall: funnel.overall)
                == "Outside the 99.8% limits: Riverside <Health> Centre (ratio 1.49: 120 against 80.5 expected, above) and Y0042 (ratio 0.49: 20 against 40.5 expected, below); 1 is as expected."
        )
        let html = Report.html(tables: [Self.table()], context: context)
        let svg = try #require(Self.svg("funnel-non-medical-share", in: html))
        // The axis, the legend, the caption and the table's summary say "case-mix adjusted" and name the strata.
        #expect(svg.contains(">Observed / expected</text>") && svg.contains(">Expected number, case-mix adjusted by age band and sex</text>"))
        #expect(svg.contains(">as expected for its case mix (1)</text>") && svg.contains(">95% limits</text>"))
        #expect(svg.contains("<title>As expected for its case mix (age band and sex): 1</title>"))
        #expect(
            Self.section(html).contains(
                "<figcaption>"
                    + Node.escape(
                        "Non-medical share, case-mix adjusted ratio (by age band and sex), by organisation, against organisations' expected numbers, with 95% and 99.8% limits."
                    ) + "</figcaption>"))
        #expect(
            Self.section(html).contains(
                "<summary>Table: non-medical share by organisation, case-mix adjusted ratio by age band and sex (all rows: tables/organisations.csv)</summary>")
        )
        #expect(
            svg.contains(
                "<title>Riverside &lt;Health&gt; Centre: ratio 1.49, 120 observed against 80.5 expected; 95% limits 0.79–1.24; above the 99.8% limit</title>"))
        let markdown = Report.markdown(tables: [Self.table()], context: context)
        #expect(
            markdown.contains(
                "| Organisation | Code | Type | Parent | Observed | Expected | Ratio | Ratio 95% limits | Ratio 99.8% limits | Against the limits |"))
        #expect(markdown.contains("| Riverside \\<Health\\> Centre | R1 | practice | U1 | 120 | 80.5 | 1.49 | 0.79–1.24 | 0.68–1.39 | above 99.8% |"))
        #expect(markdown.contains(Report.markdownText(funnel.method.joined(separator: " "))))
    }

    // φ > 1 and the table has the widened limits: those are drawn and flag, and the page
    // says so with φ and τ² (3 significant digits: 2.5 → 2.50, 0.0234 → 0.0234).
    @Test func theOverdispersedLimitsWhenPhiIsAboveOne() throws {
        let context = Self.context(dispersion: [Self.nonMedicalRatio: FunnelDispersion(phi: 2.5, tau2: 0.0234)])
        let funnel = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, context)
        #expect(funnel.measure == FunnelMeasure(scale: .ratio, overdispersed: true))
        #expect(funnel.method[1].contains("(φ = 2.50, above 1; τ² = 0.0234 on the log scale)"))
        // Against the widened limits R1 is above the 95% only and Y0042 below the 95% only: none outside 99.8%.
        #expect(
            PlaceWording.flagSentence(funnel.points, .nonMedicalShare, noun: "organisation")
                == "Against limits widened for overdispersion, of 12 organisations with a published case-mix adjusted ratio of referrals through non-medical routes, observed to expected, 1 lies above the 95% limit only, 10 within the 95% limits and 1 below the 95% limit only. 1 more organisation is suppressed."
        )
        #expect(PlaceWording.outlierSentence(funnel.points, overall: funnel.overall) == nil)
        let html = Report.html(tables: [Self.table()], context: context)
        let svg = try #require(Self.svg("funnel-non-medical-share", in: html))
        #expect(svg.contains(">95% limits (overdispersed)</text>") && svg.contains(">99.8% limits (overdispersed)</text>"))
        #expect(svg.contains("95% limits 0.70–1.40; above the 95% limit only</title>"))
        #expect(Self.section(html).contains(Node.escape(funnel.method.joined(separator: " "))))
        let markdown = Report.markdown(tables: [Self.table()], context: context)
        #expect(markdown.contains("| Riverside \\<Health\\> Centre | R1 | practice | U1 | 120 | 80.5 | 1.49 | 0.70–1.40 | 0.58–1.70 | above 95% |"))
    }

    // φ not above 1: the plain limits, said with φ.
    /// Above ``Charts/funnelPointLimit`` organisations, those within the 95% limits are
    /// counted in shaded squares, and only those outside are points. Expected by
    /// construction: 2,500 copies of a within point at 50 denominators, plus R1 (above the
    /// 99.8% limit) and Y0042 (below it): 2 markers with their titles, no hollow circle,
    /// and the squares' counts summing to 2,500.
    @Test func manyOrganisationsAreShadedNotOnePointEach() throws {
        let funnel = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, Self.context())
        let within = try #require(funnel.points.first { $0.flag == .within && $0.value != nil })
        let outside = funnel.points.filter { $0.value != nil && ($0.flag == .above998 || $0.flag == .below998) }
        #expect(outside.count == 2)
        var points = (0..<2_500).map { i -> FunnelPoint in
            var point = within
            point.code = "W\(i)"
            point.x = (within.x ?? 1) * (1 + Double(i % 50) / 50)
            return point
        }
        points += outside
        let svg = Charts.funnelPlot(
            id: "f", title: "t", description: "d", points: points, overall: 1, xTitle: "x", yTitle: "y", measure: funnel.measure, adjustedBy: "sex"
        ).rendered
        let regex = try NSRegularExpression(pattern: #"<title>([0-9,]+) organisations? within the 95% limits or not flagged</title>"#)
        let counts = regex.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map {
            Int((svg as NSString).substring(with: $0.range(at: 1)).replacingOccurrences(of: ",", with: ""))!
        }
        #expect(!counts.isEmpty && counts.reduce(0, +) == 2_500)
        // Only the two outside the 99.8% limits are markers (with their own titles).
        #expect(svg.components(separatedBy: "stroke-width=\"0.8\"><title>").count - 1 == 2)
        #expect(!svg.contains("stroke=\"#0072B2\" stroke-width=\"1.5\""))
        #expect(svg.contains("within 95% or not flagged: shaded by how many"))
        // Below the limit every organisation is a point.
        let few = Charts.funnelPlot(
            id: "f", title: "t", description: "d", points: Array(points.prefix(30)) + outside, overall: 1, xTitle: "x", yTitle: "y",
            measure: funnel.measure, adjustedBy: "sex"
        ).rendered
        #expect(!few.contains("class=\"density\""))
        #expect(few.components(separatedBy: "stroke=\"#0072B2\" stroke-width=\"1.5\"><title>").count - 1 == 30)
    }

    @Test func thePlainLimitsWhenPhiIsNotAboveOne() {
        let context = Self.context(dispersion: [Self.nonMedicalRatio: FunnelDispersion(phi: 0.736, tau2: 0)])
        let funnel = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, context)
        #expect(funnel.measure == FunnelMeasure(scale: .ratio, overdispersed: false))
        // A ratio's φ below 1 is not read as "no more than chance"; the overall share (25%) is not a common outcome.
        #expect(
            funnel.method[1]
                == "Plain limits (φ = 0.736, not above 1), which does not show that organisations vary no more than chance: for a ratio φ is worked out as if each count could vary as freely as a count of rare events, leaving out the 10% most extreme organisations at each end, so for a common outcome it comes out low by construction."
        )
        #expect(funnel.points.first { $0.code == "R1" }?.flag == .above998)
    }

    // φ > 1 but the table has no widened limits: the plain ones, and the page says why.
    @Test func thePlainLimitsWhenTheWidenedAreNotInTheTable() {
        let context = Self.context(dispersion: [Self.nonMedicalRatio: FunnelDispersion(phi: 2.5, tau2: 0.0234)])
        let funnel = PlaceFigures(tables: [Self.table(widened: false)]).funnel(.nonMedicalShare, .organisation, context)
        #expect(funnel.measure == FunnelMeasure(scale: .ratio, overdispersed: false))
        #expect(funnel.method[1] == PlaceWording.widenedMissingSentence(FunnelDispersion(phi: 2.5, tau2: 0.0234)))
        #expect(funnel.method[1].contains("φ = 2.50"))
    }

    // No ratio in the table (the isr column empty): the crude share, saying why; its own
    // kind's φ ("…/proportion") decides its limits, not the ratio's.
    @Test func theCrudeShareWhenTheTableHasNoRatio() throws {
        let ratioOnly = Self.context(dispersion: [Self.nonMedicalRatio: FunnelDispersion(phi: 2.5, tau2: 0.0234)])
        let crude = PlaceFigures(tables: [Self.table(ratios: false, crudeWidened: true)]).funnel(.nonMedicalShare, .organisation, ratioOnly)
        #expect(crude.measure == .crude)
        #expect(
            crude.method == [
                "Crude shares, unadjusted: tables/organisations.csv gives no adjusted ratio for this indicator, so a share reflects whom an organisation serves as well as what it does.",
                PlaceWording.noDispersionSentence,
            ])
        #expect(crude.overall == 25)
        let proportion = Self.context(dispersion: [FunnelDispersion.key(.nonMedicalShare, .proportion): FunnelDispersion(phi: 3.1, tau2: 0.00456)])
        let widened = PlaceFigures(tables: [Self.table(ratios: false, crudeWidened: true)]).funnel(.nonMedicalShare, .organisation, proportion)
        #expect(widened.measure == FunnelMeasure(scale: .proportion, overdispersed: true))
        #expect(widened.method[1].contains("(φ = 3.10, above 1; τ² = 0.00456 on the arcsine-square-root scale)"))
        // Every flag_od is within (stand-ins), so no organisation is outside.
        #expect(widened.points.allSatisfy { $0.flag == nil || $0.flag == .within })
        // Riverside's plain limits at n = 300 are 20.10–29.90 (TimePlaceFixture), the widened ones 18.10–31.90: 18–32 at whole percent.
        let markdown = Report.markdown(tables: [Self.table(ratios: false, crudeWidened: true)], context: proportion)
        #expect(markdown.contains("| Riverside \\<Health\\> Centre | R1 | practice | U1 | 120 | 300 | 40 | 18–32 | 15–35 | within |"))
        #expect(markdown.contains(Report.markdownText(crude.method[0])))
        let html = Report.html(tables: [Self.table(ratios: false)], context: ratioOnly)
        let svg = try #require(Self.svg("funnel-non-medical-share", in: html))
        #expect(svg.contains(">Non-medical share (%)</text>") && svg.contains(">overall</text>"))
    }

    // Parents are drawn against the plain limits, whatever φ, and say why.
    @Test func parentsGetThePlainLimits() {
        let context = Self.context(dispersion: [FunnelDispersion.key(.nonMedicalShare, .proportion): FunnelDispersion(phi: 3.1, tau2: 0.00456)])
        let funnel = PlaceFigures(tables: [Self.table(ratios: false, crudeWidened: true)]).funnel(.nonMedicalShare, .parent, context)
        #expect(funnel.measure == .crude)
        #expect(
            funnel.method == [
                "Crude shares, unadjusted: tables/organisations.csv gives no adjusted ratio for this indicator, so a share reflects whom a parent serves as well as what it does.",
                PlaceWording.parentLimitsSentence,
            ])
    }

    // Absent is not zero: an indicator whose field is not recorded gets no funnel, even
    // when the table has rows for it; the section says why.
    @Test func aWithheldIndicatorHasNoFunnel() {
        let recorded = Report.html(tables: [Self.table()], context: Self.context())
        #expect(recorded.contains("<svg id=\"funnel-intervention-share\""))
        let withheld = Report.html(tables: [Self.table()], context: Self.context(recording: FieldRecording(notRecorded: [.interventions])))
        #expect(!withheld.contains("funnel-intervention-share"))
        #expect(withheld.contains("<svg id=\"funnel-non-medical-share\""))
        #expect(Self.section(withheld).contains("so there is no funnel plot of the intervention share."))
        let noOrganisation = Report.html(tables: [Self.table()], context: Self.context(recording: FieldRecording(notRecorded: [.organisationID])))
        #expect(!noOrganisation.contains("id=\"funnel-"))
    }

    // The default strata are the four the pipeline adjusts by without `case_mix`; a
    // title beginning with an abbreviation keeps its capitals.
    @Test func theDefaultStrataAreNamed() {
        let funnel = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, Self.context())
        #expect(funnel.method[0].hasPrefix("Adjusted for case mix by age band, sex, deprivation quintile and nation:"))
        let declared = PlaceFigures(tables: [Self.table()]).funnel(.nonMedicalShare, .organisation, Self.context(strata: ["IMD quintile", "Sex"]))
        #expect(declared.method[0].hasPrefix("Adjusted for case mix by IMD quintile and sex:"))
    }

    /// `table` with `note` set on every row of its indicators (stand-in codes of the
    /// table's builder, `;`-joined as the table joins them) and, when `overall` is given,
    /// its overall share set to it.
    static func noted(_ table: PublishedTable, _ note: String, overall: Double? = nil) -> PublishedTable {
        PublishedTable(
            .organisations,
            rows: table.rows.map { row in
                var row = row
                row[Column.note.index] = .text(note)
                if let overall { row[Column.overall.index] = .decimal(overall, places: 1) }
                return row
            })
    }

    /// The organisations section's sentences, lower-cased, with the chart's text.
    static func words(_ table: PublishedTable, _ context: ReportContext) -> String {
        Self.section(Report.html(tables: [table], context: context)).lowercased() + Report.markdown(tables: [table], context: context).lowercased()
    }

    // Finding 5: no case mix applies, so the funnel is the crude one and its sentence says
    // why in words, whichever reason the table's note (or the run) gives; nothing on the
    // section speaks of case mix, not even when a stale table still has ratios (a ratio
    // with no strata is the crude share rescaled).
    @Test func noStrataNamedIsACrudeFunnelSaidSo() throws {
        var context = Self.context(strata: [])
        context.groupKey = try shippedGroupKey.settingCaseMix([])
        for table in [Self.noted(Self.table(ratios: false), OrganisationColumn.Note.caseMixNoStrata), Self.table(ratios: true)] {
            let funnel = PlaceFigures(tables: [table]).funnel(.nonMedicalShare, .organisation, context)
            #expect(funnel.measure == .crude && funnel.adjustedBy == nil)
            #expect(
                funnel.method[0]
                    == "Crude shares, unadjusted: the pipeline names no groups of people (strata such as age band or sex) to adjust the comparison by, so tables/organisations.csv gives no adjusted ratio and a share reflects whom an organisation serves as well as what it does."
            )
            let words = Self.words(table, context)
            #expect(!words.contains("case mix") && !words.contains("case-mix"))
            #expect(words.contains(">referrals (the share&#39;s denominator)</text>") && words.contains(">overall</text>"))
        }
    }

    // The pipeline names strata but the export records none of them (the table's note says
    // no stratum applies, the run's strata are empty): said with the strata it names.
    @Test func noStratumRecordedIsACrudeFunnelSaidSo() {
        let table = Self.noted(Self.table(ratios: false), OrganisationColumn.Note.flagWithheldRounding + ";" + OrganisationColumn.Note.caseMixNoStrata)
        let context = Self.context(strata: [])
        let funnel = PlaceFigures(tables: [table]).funnel(.nonMedicalShare, .organisation, context)
        #expect(funnel.measure == .crude)
        #expect(
            funnel.method[0]
                == "Crude shares, unadjusted: this export records none of the groups the pipeline adjusts by, which are age band, sex, deprivation quintile (each nation's own index) and nation, so tables/organisations.csv gives no adjusted ratio and a share reflects whom an organisation serves as well as what it does."
        )
        let words = Self.words(table, context)
        #expect(!words.contains("case mix") && !words.contains("case-mix"))
    }

    // Too few organisations to form the standard: said so, though strata are named.
    @Test func tooFewOrganisationsIsACrudeFunnelSaidSo() {
        let table = Self.noted(Self.table(ratios: false), OrganisationColumn.Note.caseMixTooFewOrganisations)
        let context = Self.context(strata: [])
        let funnel = PlaceFigures(tables: [table]).funnel(.nonMedicalShare, .organisation, context)
        #expect(
            funnel.method[0]
                == "Crude shares, unadjusted: too few organisations have published counts to form a standard to adjust by (the share all organisations have in each group of people), so tables/organisations.csv gives no adjusted ratio and a share reflects whom an organisation serves as well as what it does."
        )
        let parent = PlaceFigures(tables: [table]).funnel(.nonMedicalShare, .parent, context)
        #expect(parent.method[0].hasPrefix("Crude shares, unadjusted: too few organisations have published counts"))
        #expect(parent.method[0].hasSuffix("whom a parent serves as well as what it does."))
        let words = Self.words(table, context)
        #expect(!words.contains("case mix") && !words.contains("case-mix"))
    }

    // A new user saw an organisation outside the curves drawn as a hollow "within" circle:
    // its flag was withheld (rounding could move it across a limit). Such a point has a
    // marker of its own, a hollow square, named in the legend and in its title.
    @Test func aWithheldFlagIsNotDrawnAsWithin() throws {
        let base = Self.table(ratios: false)
        var blanked = false
        let table = PublishedTable(
            .organisations,
            rows: base.rows.map { row in
                var row = row
                if !blanked, row[Column.indicator.index].string == Column.Indicator.nonMedicalShare.rawValue,
                    row[Column.level.index].string == Column.Level.organisation.rawValue, row[Column.value.index].value != nil
                {
                    row[Column.flag.index] = .empty
                    row[Column.note.index] = .text(OrganisationColumn.Note.flagWithheldRounding)
                    blanked = true
                }
                return row
            })
        #expect(blanked)
        let html = Report.html(tables: [table], context: Self.context(strata: []))
        let svg = try #require(Self.svg("funnel-non-medical-share", in: html))
        #expect(svg.contains(">not flagged: rounding could move it</text>"))
        #expect(svg.components(separatedBy: "<rect x=").count - 1 >= 2, "the legend's square and the point's")
        #expect(svg.contains("; not flagged: the rounding of small counts could move it across a limit</title></rect>"))
    }

    // A ratio whose expected number is too small for its funnel limits (the table's note,
    // no limits, no flag) is counted as such, not as left unflagged by rounding.
    @Test func aRatioWithTooSmallAnExpectedNumberIsSaidSo() {
        let base = Self.table()
        let rows = base.rows.map { row -> [Cell] in
            var row = row
            guard row[Column.organisationID.index].string == "P10", row[Column.indicator.index].string == Column.Indicator.nonMedicalShare.rawValue
            else { return row }
            for column in [Column.isrFunnelLower95, .isrFunnelUpper95, .isrFunnelLower998, .isrFunnelUpper998, .isrFlag] { row[column.index] = .empty }
            row[Column.note.index] = .text(OrganisationColumn.Note.expectedTooSmall)
            return row
        }
        let funnel = PlaceFigures(tables: [PublishedTable(.organisations, rows: rows)]).funnel(.nonMedicalShare, .organisation, Self.context())
        #expect(
            PlaceWording.flagSentence(funnel.points, .nonMedicalShare, noun: "organisation")
                == "Of 11 organisations with a published case-mix adjusted ratio of referrals through non-medical routes, observed to expected, 1 lies above the 99.8% limit, 9 within the 95% limits and 1 below the 99.8% limit. 1 more organisation is suppressed. 1 more organisation is not flagged: its expected number is too small for the ratio's funnel limits."
        )
    }

    // Finding 9: a ratio's φ of a common outcome (overall share 90%) is low by
    // construction, and the sentence says so with the share; a share's φ reads as before.
    @Test func aRatioPhiOfACommonOutcomeIsSaidToBeLowByConstruction() {
        let context = Self.context(dispersion: [
            Self.nonMedicalRatio: FunnelDispersion(phi: 0.0573, tau2: 0),
            FunnelDispersion.key(.nonMedicalShare, .proportion): FunnelDispersion(phi: 0.8, tau2: 0),
        ])
        let ratio = PlaceFigures(tables: [Self.noted(Self.table(), "", overall: 90)]).funnel(.nonMedicalShare, .organisation, context)
        #expect(ratio.measure == FunnelMeasure(scale: .ratio, overdispersed: false))
        #expect(
            ratio.method[1]
                == "Plain limits (φ = 0.0573, not above 1), which does not show that organisations vary no more than chance: for a ratio φ is worked out as if each count could vary as freely as a count of rare events, leaving out the 10% most extreme organisations at each end, so for a common outcome like this one (90.0% of referrals overall) it comes out low by construction."
        )
        let share = PlaceFigures(tables: [Self.noted(Self.table(ratios: false), "", overall: 90)]).funnel(.nonMedicalShare, .organisation, context)
        #expect(share.method[1] == "Plain limits: organisations vary no more than chance alone would make them (φ = 0.800, not above 1).")
    }

    // The overdispersed limits are described as widened, never narrowed (each is at least
    // as far out as the plain one).
    @Test func theOverdispersedLimitsAreSaidNeverToBeDrawnIn() {
        let notes = Report.placeNotes(PlaceFigures(tables: [Self.table()]), Self.context()).joined(separator: " ")
        #expect(notes.contains("the limits widened by it, never drawn in: each is at least as far out as the plain one"))
        #expect(!notes.lowercased().contains("narrow"))
    }

    /// SPRX_FUNNEL_REPORT=path writes the overdispersed-ratio report's HTML there, to look at it.
    @Test func writeForLooking() throws {
        guard let path = ProcessInfo.processInfo.environment["SPRX_FUNNEL_REPORT"] else { return }
        let context = Self.context(dispersion: [Self.nonMedicalRatio: FunnelDispersion(phi: 2.5, tau2: 0.0234)])
        try Report.html(tables: TimePlaceFixture.tables.filter { $0.schema != .organisations } + [Self.table()], context: context)
            .write(toFile: path, atomically: true, encoding: .utf8)
        let plain = Self.context()
        try Report.html(tables: TimePlaceFixture.tables.filter { $0.schema != .organisations } + [Self.table()], context: plain)
            .write(toFile: path + ".plain.html", atomically: true, encoding: .utf8)
        // Sixty organisations with smooth log-normal stand-in limits, exp(±z·√(1/E + τ²)),
        // to see the chart's shape at a realistic size.
        var random = SeededRandom(seed: 27)
        var rows: [[Cell]] = []
        for i in 0..<60 {
            let expected = Double.random(in: 3...400, using: &random), ratio = exp(Double.random(in: -0.5...0.5, using: &random))
            let observed = (expected * ratio).rounded()
            var row = TimePlaceFixture.organisation(
                String(format: "P%05d", i), .nonMedicalShare, numerator: Int64(observed), denominator: Int64(expected * 4), overall: 25)
            func limits(_ tau2: Double) -> [Double] {
                [-1.959964, 1.959964, -3.090232, 3.090232].map { exp($0 * (1 / expected + tau2).squareRoot()) }
            }
            let isr = observed / expected
            func flag(_ l: [Double]) -> OrganisationColumn.Flag {
                isr < l[2] ? .below998 : isr < l[0] ? .below95 : isr > l[3] ? .above998 : isr > l[1] ? .above95 : .within
            }
            let plainLimits = limits(0), widenedLimits = limits(0.05)
            row[Column.observed.index] = .significant(observed, digits: 6)
            row[Column.expected.index] = .significant(expected, digits: 6)
            row[Column.isr.index] = .significant(isr, digits: 6)
            for (column, value) in zip([Column.isrFunnelLower95, .isrFunnelUpper95, .isrFunnelLower998, .isrFunnelUpper998], plainLimits) {
                row[column.index] = .significant(value, digits: 6)
            }
            for (column, value) in zip([Column.isrFunnelLower95OD, .isrFunnelUpper95OD, .isrFunnelLower998OD, .isrFunnelUpper998OD], widenedLimits) {
                row[column.index] = .significant(value, digits: 6)
            }
            row[Column.isrFlag.index] = .text(flag(plainLimits).rawValue)
            row[Column.isrFlagOD.index] = .text(flag(widenedLimits).rawValue)
            rows.append(row)
        }
        try Report.html(
            tables: TimePlaceFixture.tables.filter { $0.schema != .organisations } + [PublishedTable(.organisations, rows: rows)], context: context
        ).write(toFile: path + ".sixty.html", atomically: true, encoding: .utf8)
    }
}
