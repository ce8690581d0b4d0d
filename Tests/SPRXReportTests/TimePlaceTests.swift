import Foundation
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXReport

/// Hand-built `trends`, `organisations`, `pcn_provision` and `provision_by_deprivation`
/// tables for the report's "Trends over time" and "Organisations compared" sections.
///
/// Counts are multiples of 5 (disclosure control on) and chosen so that quarter sums
/// are easy to check by hand; shares' 95% Wilson intervals are Wilson's formula written
/// out here (``wilson(_:_:)``), and every interval a sentence quotes was checked against
/// statsmodels' `proportion_confint(method="wilson")` (values in the comments).
enum TimePlaceFixture {
    /// Wilson's score interval in percent (z = 1.959963984540054).
    static func wilson(_ x: Int64, _ n: Int64) -> (Double, Double) {
        let z = 1.959963984540054, n = Double(n), p = Double(x) / n
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / denominator
        return (100 * (centre - half), 100 * (centre + half))
    }

    /// First day of month `i` after January `startYear` and its last day (ISO).
    static func month(_ i: Int, startYear: Int = 2023) -> (String, String) {
        let year = startYear + i / 12, m = i % 12 + 1
        let days = [31, year % 4 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        let mm = m < 10 ? "0\(m)" : "\(m)"
        return ("\(year)-\(mm)-01", "\(year)-\(mm)-\(days)")
    }

    /// One `trends.csv` row; a share's value and interval from the counts, suppressed when the numerator is `nil`.
    static func trend(
        _ measure: TrendColumn.Measure, _ interval: TrendColumn.Interval, _ span: (String, String), _ dimension: String, _ group: String,
        numerator: Int64?, denominator: Int64?, partial: Bool
    ) -> [Cell] {
        var row = [Cell](repeating: .empty, count: TrendColumn.allCases.count)
        row[TrendColumn.measure.index] = .text(measure.rawValue)
        row[TrendColumn.interval.index] = .text(interval.rawValue)
        row[TrendColumn.intervalStart.index] = .text(span.0)
        row[TrendColumn.intervalEnd.index] = .text(span.1)
        row[TrendColumn.dimension.index] = .text(dimension)
        row[TrendColumn.group.index] = .text(group)
        row[TrendColumn.numerator.index] = .count(numerator)
        if measure == .referrals {
            row[TrendColumn.value.index] = .count(numerator)
        } else {
            row[TrendColumn.denominator.index] = .count(denominator)
            if let x = numerator, let n = denominator, n > 0 {
                let (low, high) = wilson(x, n)
                row[TrendColumn.value.index] = .decimal(100 * Double(x) / Double(n), places: 2)
                row[TrendColumn.ciLow.index] = .decimal(low, places: 2)
                row[TrendColumn.ciHigh.index] = .decimal(high, places: 2)
            } else {
                row[TrendColumn.value.index] = .decimal(nil, places: 2)
            }
        }
        row[TrendColumn.partial.index] = .flag(partial)
        row[TrendColumn.suppressed.index] = .flag(numerator == nil || (measure != .referrals && denominator == nil))
        row[TrendColumn.disclosureControl.index] = .disclosureControl(true)
        return row
    }

    /// Month i (0 = January 2023) of all referrals: r = 100 + 10i referrals, n = 20 + 5⌊i/3⌋
    /// non-medical, c = r − 10⌊i/3⌋ contacted, v = 30 + 10i with an intervention.
    static func all(_ i: Int) -> (r: Int64, n: Int64, c: Int64, v: Int64) {
        let i = Int64(i)
        return (100 + 10 * i, 20 + 5 * (i / 3), 100 + 10 * i - 10 * (i / 3), 30 + 10 * i)
    }

    /// `months` months from January `startYear`; the first and last are partial (the data
    /// run from 15 January to 10 March 2024 for 15 months).
    static func trends(months: Int = 15, startYear: Int = 2023) -> PublishedTable {
        var rows: [[Cell]] = []
        let all = TableDimension.all
        for i in 0..<months {
            let span = month(i, startYear: startYear), partial = i == 0 || i == months - 1
            let f = self.all(i)
            rows.append(trend(.referrals, .month, span, all, all, numerator: f.r, denominator: nil, partial: partial))
            rows.append(trend(.nonMedicalShare, .month, span, all, all, numerator: f.n, denominator: f.r, partial: partial))
            rows.append(trend(.contactedShare, .month, span, all, all, numerator: f.c, denominator: f.r, partial: partial))
            rows.append(trend(.interventionShare, .month, span, all, all, numerator: f.v, denominator: f.r, partial: partial))
            let k = Int64(i)
            // Nations: England 60 + 5i referrals, 10 + 5⌊i/2⌋ non-medical; Wales 30, 10; Scotland 10, 1-7 (suppressed) in June 2023 (i = 5).
            rows.append(trend(.nonMedicalShare, .month, span, "nation", "England", numerator: 10 + 5 * (k / 2), denominator: 60 + 5 * k, partial: partial))
            rows.append(trend(.nonMedicalShare, .month, span, "nation", "Wales", numerator: 10, denominator: 30, partial: partial))
            rows.append(trend(.nonMedicalShare, .month, span, "nation", "Scotland", numerator: i == 5 ? nil : 10, denominator: 10, partial: partial))
            // Route types: medical 70 + 5i (contacted 60 + 5i, intervention 30 + 5i); non-medical 20 (15, 10); unknown 10, both suppressed.
            for (route, d, c, v) in [("medical", 70 + 5 * k, 60 + 5 * k, 30 + 5 * k), ("non_medical", 20, 15, 10)] as [(String, Int64, Int64, Int64)] {
                rows.append(trend(.contactedShare, .month, span, "route_type", route, numerator: c, denominator: d, partial: partial))
                rows.append(trend(.interventionShare, .month, span, "route_type", route, numerator: v, denominator: d, partial: partial))
            }
            rows.append(trend(.contactedShare, .month, span, "route_type", "unknown", numerator: nil, denominator: 10, partial: partial))
            rows.append(trend(.interventionShare, .month, span, "route_type", "unknown", numerator: nil, denominator: 10, partial: partial))
        }
        // Quarters of all referrals: sums of their months.
        for q in 0..<((months + 2) / 3) {
            let first = month(3 * q, startYear: startYear), last = month(min(3 * q + 2, 3 * q + 2), startYear: startYear)
            let members = (3 * q..<min(3 * q + 3, months)).map(self.all)
            let partial = q == 0 || 3 * q + 3 >= months
            func sum(_ key: KeyPath<(r: Int64, n: Int64, c: Int64, v: Int64), Int64>) -> Int64 { members.map { $0[keyPath: key] }.reduce(0, +) }
            let span = (first.0, last.1), r = sum(\.r)
            rows.append(trend(.referrals, .quarter, span, all, all, numerator: r, denominator: nil, partial: partial))
            rows.append(trend(.nonMedicalShare, .quarter, span, all, all, numerator: sum(\.n), denominator: r, partial: partial))
            rows.append(trend(.contactedShare, .quarter, span, all, all, numerator: sum(\.c), denominator: r, partial: partial))
            rows.append(trend(.interventionShare, .quarter, span, all, all, numerator: sum(\.v), denominator: r, partial: partial))
        }
        return PublishedTable(.trends, rows: rows)
    }

    /// One `organisations.csv` row; limits p ± z·√(p(1−p)/n) around the overall share
    /// (a stand-in: the report prints and draws the published limits, whatever method made them).
    static func organisation(
        _ code: String, _ indicator: OrganisationColumn.Indicator, numerator: Int64?, denominator: Int64?, overall: Double,
        level: OrganisationColumn.Level = .organisation, name: String = "", type: String = "", parent: String = ""
    ) -> [Cell] {
        var row = [Cell](repeating: .empty, count: OrganisationColumn.allCases.count)
        row[OrganisationColumn.organisationID.index] = .text(code)
        row[OrganisationColumn.indicator.index] = .text(indicator.rawValue)
        row[OrganisationColumn.numerator.index] = .count(numerator)
        row[OrganisationColumn.denominator.index] = .count(denominator)
        row[OrganisationColumn.overall.index] = .decimal(overall, places: 2)
        if let n = denominator, n > 0 {
            let p = overall / 100, se = (p * (1 - p) / Double(n)).squareRoot()
            row[OrganisationColumn.lower95.index] = .decimal(max(0, 100 * (p - 1.959964 * se)), places: 2)
            row[OrganisationColumn.upper95.index] = .decimal(min(100, 100 * (p + 1.959964 * se)), places: 2)
            row[OrganisationColumn.lower998.index] = .decimal(max(0, 100 * (p - 3.090232 * se)), places: 2)
            row[OrganisationColumn.upper998.index] = .decimal(min(100, 100 * (p + 3.090232 * se)), places: 2)
            if let x = numerator {
                let value = 100 * Double(x) / Double(n)
                row[OrganisationColumn.value.index] = .decimal(value, places: 2)
                let z = (value / 100 - p) / se
                let flag: OrganisationColumn.Flag =
                    z > 3.090232 ? .above998 : z > 1.959964 ? .above95 : z < -3.090232 ? .below998 : z < -1.959964 ? .below95 : .within
                row[OrganisationColumn.flag.index] = .text(flag.rawValue)
            }
        }
        if row[OrganisationColumn.value.index].isEmpty { row[OrganisationColumn.value.index] = .decimal(nil, places: 2) }
        if row[OrganisationColumn.flag.index].isEmpty { row[OrganisationColumn.flag.index] = .text("") }
        row[OrganisationColumn.level.index] = .text(level.rawValue)
        row[OrganisationColumn.name.index] = .text(name)
        row[OrganisationColumn.organisationType.index] = .text(type)
        row[OrganisationColumn.parentID.index] = .text(parent)
        row[OrganisationColumn.suppressed.index] = .flag(numerator == nil || denominator == nil)
        row[OrganisationColumn.disclosureControl.index] = .disclosureControl(true)
        return row
    }

    /// Twelve organisations, overall non-medical share 25% and intervention share 40%:
    /// ten around the overall share (within the limits), Riverside (named) high, Y0042 (no
    /// name) low, one suppressed, and the pooled `(other)` row. z for Riverside's non-medical
    /// 120/300 = 40%: (0.40 − 0.25) / √(0.25 × 0.75 / 300) = 0.15 / 0.025 = 6.0 → above 99.8%;
    /// Y0042's 20/200 = 10%: −0.15 / 0.030619 = −4.90 → below 99.8%; P05's 65/200 = 32.5%:
    /// 0.075 / 0.030619 = 2.45 → above 95%.
    static func organisations(parents: Bool = true) -> PublishedTable {
        var rows: [[Cell]] = []
        let ordinary: [(String, Int64, Int64, Int64)] = [
            ("P01", 400, 100, 160), ("P02", 350, 90, 140), ("P03", 300, 75, 120), ("P04", 250, 60, 100), ("P05", 200, 65, 80),
            ("P06", 150, 35, 60), ("P07", 120, 30, 50), ("P08", 100, 25, 40), ("P09", 80, 20, 30), ("P10", 60, 15, 25),
        ]
        for (code, n, nonMedical, intervention) in ordinary {
            let parent = code < "P06" ? "U1" : "U2"
            rows.append(
                organisation(code, .nonMedicalShare, numerator: nonMedical, denominator: n, overall: 25, type: "practice", parent: parents ? parent : ""))
            rows.append(
                organisation(code, .interventionShare, numerator: intervention, denominator: n, overall: 40, type: "practice", parent: parents ? parent : ""))
        }
        rows.append(
            organisation(
                "R1", .nonMedicalShare, numerator: 120, denominator: 300, overall: 25, name: "Riverside <Health> Centre", type: "practice",
                parent: parents ? "U1" : ""))
        rows.append(
            organisation(
                "R1", .interventionShare, numerator: 120, denominator: 300, overall: 40, name: "Riverside <Health> Centre", type: "practice",
                parent: parents ? "U1" : ""))
        rows.append(organisation("Y0042", .nonMedicalShare, numerator: 20, denominator: 200, overall: 25))
        rows.append(organisation("Y0042", .interventionShare, numerator: 80, denominator: 200, overall: 40))
        rows.append(organisation("S1", .nonMedicalShare, numerator: nil, denominator: 10, overall: 25))
        rows.append(organisation("S1", .interventionShare, numerator: nil, denominator: 10, overall: 40))
        rows.append(organisation(PlaceFigures.pooled, .nonMedicalShare, numerator: 5 * 2, denominator: 40, overall: 25))
        if parents {
            rows.append(
                organisation(
                    "U1", .nonMedicalShare, numerator: 510, denominator: 1800, overall: 25, level: .parent, name: "North Primary Care Network", type: "PCN"))
            rows.append(
                organisation(
                    "U2", .nonMedicalShare, numerator: 125, denominator: 510, overall: 25, level: .parent, name: "South Primary Care Network", type: "PCN"))
        }
        return PublishedTable(.organisations, rows: rows)
    }

    /// The national gradient at three census dates: 2022-12-31 and 2025-03-31 with values,
    /// 2025-06-30 without registered patients (no extract), so 2025-03-31 is the latest shown.
    static var gradient: PublishedTable {
        var rows: [[Cell]] = []
        func row(_ date: String, _ measure: String, _ group: String, pcns: Int64?, value: Double?, low: Double?, high: Double?, note: String = "") -> [Cell] {
            var row = [Cell](repeating: .empty, count: ProvisionGradientColumn.allCases.count)
            row[ProvisionGradientColumn.censusDate.index] = .text(date)
            row[ProvisionGradientColumn.measure.index] = .text(measure)
            row[ProvisionGradientColumn.group.index] = .text(group)
            row[ProvisionGradientColumn.pcns.index] = .count(pcns)
            row[ProvisionGradientColumn.value.index] = .decimal(value, places: 3)
            row[ProvisionGradientColumn.ciLow.index] = .decimal(low, places: 3)
            row[ProvisionGradientColumn.ciHigh.index] = .decimal(high, places: 3)
            if measure == "fte_per_50000", value != nil {
                row[ProvisionGradientColumn.splwFTE.index] = .decimal(Double(pcns ?? 0) * 1.5, places: 2)
                row[ProvisionGradientColumn.registeredPatients.index] = .count((pcns ?? 0) * 50_000)
            }
            row[ProvisionGradientColumn.note.index] = .text(note)
            return row
        }
        for date in ["2022-12-31", "2025-03-31"] {
            // FTE per 50,000 falling from 1.8 in quintile 1 to 1.2 in quintile 5 (2025); 0.2 lower in 2022.
            let shift = date == "2025-03-31" ? 0.0 : 0.2
            for q in 1...5 {
                let value = 1.8 - 0.15 * Double(q - 1) - shift
                rows.append(row(date, "fte_per_50000", String(q), pcns: 250, value: value, low: value - 0.1, high: value + 0.1))
            }
            rows.append(row(date, "fte_per_50000", "all", pcns: 1250, value: 1.5 - shift, low: 1.45 - shift, high: 1.55 - shift))
            // SII = least − most deprived = −0.75 (−0.95 to −0.55); RII = least / most = 0.625 (0.55 to 0.7).
            rows.append(row(date, "sii", "all", pcns: 1250, value: -0.75, low: -0.95, high: -0.55))
            rows.append(row(date, "rii", "all", pcns: 1250, value: 0.625, low: 0.55, high: 0.7))
        }
        for q in 1...5 {
            rows.append(row("2025-06-30", "fte_per_50000", String(q), pcns: 250, value: nil, low: nil, high: nil, note: "no_registered_patients"))
        }
        return PublishedTable(.provisionByDeprivation, rows: rows)
    }

    static var provision: PublishedTable {
        func row(_ code: String, _ name: String, _ date: String, fte: Double, patients: Int64, referrals: Int64?, score: Double, quintile: Int) -> [Cell] {
            var row = [Cell](repeating: .empty, count: ProvisionColumn.allCases.count)
            row[ProvisionColumn.pcnCode.index] = .text(code)
            row[ProvisionColumn.pcnName.index] = .text(name)
            row[ProvisionColumn.censusDate.index] = .text(date)
            row[ProvisionColumn.periodStart.index] = .text("2025-01-01")
            row[ProvisionColumn.periodEnd.index] = .text("2025-03-31")
            row[ProvisionColumn.splwFTE.index] = .decimal(fte, places: 2)
            row[ProvisionColumn.registeredPatients.index] = .count(patients)
            row[ProvisionColumn.patientsExtract.index] = .text("2025-04-01")
            // FTE per 50,000 = 50,000 × FTE / patients.
            row[ProvisionColumn.ftePer50000.index] = .decimal(50_000 * fte / Double(patients), places: 3)
            row[ProvisionColumn.referrals.index] = .count(referrals)
            if let referrals {
                // 90 days ≈ 0.2464 years: per 1,000 per year and per FTE per year.
                let years = 90.0 / 365.25
                row[ProvisionColumn.referralsPer1000.index] = .decimal(1000 * Double(referrals) / Double(patients) / years, places: 2)
                row[ProvisionColumn.referralsPerFTE.index] = .decimal(Double(referrals) / fte / years, places: 1)
            }
            row[ProvisionColumn.imdScore.index] = .decimal(score, places: 2)
            row[ProvisionColumn.imdQuintile.index] = .text(String(quintile))
            row[ProvisionColumn.note.index] = .text("")
            row[ProvisionColumn.suppressed.index] = .flag(referrals == nil)
            row[ProvisionColumn.disclosureControl.index] = .disclosureControl(true)
            return row
        }
        return PublishedTable(
            .pcnProvision,
            rows: [
                // 50,000 × 2.5 / 62,500 = 2.000; 50,000 × 1.0 / 40,000 = 1.250; 50,000 × 3.0 / 100,000 = 1.500.
                row("U1", "North Primary Care Network", "2025-03-31", fte: 2.5, patients: 62_500, referrals: 600, score: 41.2, quintile: 1),
                row("U3", "East Primary Care Network", "2025-03-31", fte: 1.0, patients: 40_000, referrals: nil, score: 38.9, quintile: 1),
                row("U2", "South Primary Care Network", "2025-03-31", fte: 3.0, patients: 100_000, referrals: 150, score: 12.0, quintile: 4),
                row("U1", "North Primary Care Network", "2022-12-31", fte: 1.0, patients: 60_000, referrals: 400, score: 41.2, quintile: 1),
            ])
    }

    static var tables: [PublishedTable] { [trends(), organisations(), gradient, provision] }

    static func context(disclosure: Bool = true) -> ReportContext {
        ReportContext(
            toolVersion: "t", pipelineName: "time-and-place", pipelineSHA256: "0", inputs: [], firstDay: "2023-01-15", lastDay: "2024-03-10",
            disclosureEnabled: disclosure, disclosureStatement: disclosure ? "Disclosure control applied." : "Disclosure control is OFF.", references: [],
            models: [], groupKey: shippedGroupKey)
    }
}

@Suite(.timeLimit(.minutes(10))) struct TimePlaceTests {
    let html = Report.html(tables: TimePlaceFixture.tables, context: TimePlaceFixture.context())
    let markdown = Report.markdown(tables: TimePlaceFixture.tables, context: TimePlaceFixture.context())

    /// One section's HTML.
    func section(_ id: String, in html: String? = nil) -> String {
        let page = html ?? self.html
        let start = page.range(of: "<section id=\"\(id)\"")!.lowerBound
        return String(page[start...]).components(separatedBy: "</section>")[0]
    }

    /// The lead compares the first and last full quarters (2023 Q2, i = 3-5, and Q4, i = 9-11;
    /// Q1 2023 and Q1 2024 are partial). Referrals 130 + 140 + 150 = 420 and 190 + 200 + 210 = 600.
    /// statsmodels proportion_confint(method="wilson"): non-medical 75/420 = 17.86% (14.49–21.81)
    /// and 105/600 = 17.50% (14.67–20.74), overlapping; contacted 420 − 30 = 390/420 = 92.86%
    /// (89.99–94.95) and 600 − 90 = 510/600 = 85.00% (81.92–87.63), apart; intervention 210/420 = 50.00% (45.24–54.76)
    /// and 390/600 = 65.00% (61.10–68.71), apart.
    @Test func leadComparesFirstAndLastFullQuarters() {
        let lead = TrendWording.lead(TrendFigures(tables: TimePlaceFixture.tables))
        #expect(lead.count == 4)
        #expect(lead[0] == "There were 420 referrals in April to June 2023, the first full quarter of the data, and 600 in October to December 2023, the last.")
        #expect(
            lead[1]
                == "The share of referrals through non-medical routes was 17.9% in April to June 2023 and 17.5% in October to December 2023; their 95% intervals (14.5–21.8% and 14.7–20.7%) overlap, so this is no clear change."
        )
        #expect(
            lead[2]
                == "The share that reached a link worker fell from 92.9% in April to June 2023 to 85.0% in October to December 2023 (95% intervals 90.0–95.0% and 81.9–87.6%, which do not overlap)."
        )
        #expect(
            lead[3]
                == "The share that received at least one intervention rose from 50.0% in April to June 2023 to 65.0% in October to December 2023 (95% intervals 45.2–54.8% and 61.1–68.7%, which do not overlap)."
        )
        for sentence in lead {
            #expect(section("trends").contains(Node.escape(sentence)))
            #expect(markdown.contains("- " + Report.markdownText(sentence)))
        }
    }

    /// 15 months are charted by month; 40 by quarter (more than 36).
    @Test func monthlyUpTo36MonthsThenQuarterly() {
        let short = TrendFigures(tables: [TimePlaceFixture.trends()])
        #expect(short.monthCount == 15 && short.interval == .month)
        let long = [TimePlaceFixture.trends(months: 40, startYear: 2020)]
        let figures = TrendFigures(tables: long)
        #expect(figures.monthCount == 40 && figures.interval == .quarter)
        let html = Report.html(tables: long, context: TimePlaceFixture.context())
        // 40 months from January 2020: 14 quarters, 2020 Q1 to 2023 Q2; the axis labels each Q1.
        #expect(section("trends", in: html).contains(">2020 Q1</text>") && section("trends", in: html).contains(">2023 Q1</text>"))
        #expect(section("trends", in: html).contains("Referrals per quarter, all referrals"))
        let markdown = Report.markdown(tables: long, context: TimePlaceFixture.context())
        #expect(markdown.contains("| 2023 Q2 (partial) |"))
        #expect(markdown.contains("The charts show quarters: months up to 36 of them, quarters when the data cover more."))
    }

    /// A suppressed month is a gap marked s (never a point at 0) and "suppressed" in the
    /// tables; partial months are hollow and labelled.
    @Test func suppressedAndPartialIntervalsAreMarked() {
        let trends = section("trends")
        // Scotland, June 2023 (i = 5): numerator suppressed.
        #expect(trends.contains("<title>Scotland, Jun 2023: Non-medical share suppressed</title>"))
        #expect(!trends.contains("<title>Scotland, Non-medical share, Jun 2023"))
        // Unknown route: every month suppressed, both shares: the panel is one sentence.
        #expect(trends.contains(">Every interval is suppressed (too few referrals to publish).</text>"))
        #expect(!trends.contains("<title>Unknown route, Jan 2023:"))
        // Partial months: hollow points with the words, and "(partial)" in the tables.
        // England, January 2023: 10 / 60 = 16.67%; statsmodels' Wilson 9.31–28.03.
        #expect(trends.contains("<title>England, Non-medical share, Jan 2023: 16.7% (95% CI 9.3%–28.0%), partial interval</title>"))
        // Tables: denominators under 2,500, so whole percentages (16.67 → 17, 9.31–28.03 → 9–28).
        #expect(markdown.contains("| Jan 2023 (partial) | 17 (9–28) | 33 (19–51) | 100 (72–100) |"))
        #expect(markdown.contains("| Jun 2023 | 24 (16–34) | 33 (19–51) | suppressed |"))
        // England, June 2023 (i = 5): 20 / 85 = 23.53%, statsmodels' Wilson 15.78–33.57; Wales 10 / 30; Scotland suppressed.
        #expect(markdown.contains("| Mar 2024 (partial) | 240 |"))
        // A partial month of referrals is an outlined column.
        #expect(trends.contains("stroke-dasharray=\"2 1\"><title>All referrals, Referrals, Mar 2024: 240 (partial interval)</title>"))
    }

    /// Flags counted in words; those outside the 99.8% limits named (the lookup's name,
    /// else the code); the pooled row in the table, not the chart.
    @Test func funnelSentencesAndLabels() {
        let figures = PlaceFigures(tables: TimePlaceFixture.tables)
        let points = figures.points(.nonMedicalShare, .organisation)
        #expect(points.count == 13)
        #expect(
            PlaceWording.flagSentence(points, .nonMedicalShare, noun: "organisation")
                == "Of 12 organisations with a published share of referrals through non-medical routes, 1 lies above the 99.8% limit, 1 above the 95% limit only, 9 within the 95% limits and 1 below the 99.8% limit. 1 more organisation is suppressed."
        )
        #expect(
            PlaceWording.outlierSentence(points, overall: 25)
                == "Outside the 99.8% limits: Riverside <Health> Centre (40% of 300 referrals, above) and Y0042 (10% of 200 referrals, below); overall 25.0%.")
        // Intervention: every published organisation within (Riverside's 120/300 = 40% is the overall share).
        #expect(
            PlaceWording.flagSentence(figures.points(.interventionShare, .organisation), .interventionShare, noun: "organisation")
                == "Of 12 organisations with a published share of referrals that received at least one intervention, all 12 lie within the 95% limits. 1 more organisation is suppressed."
        )
        let place = section("organisations")
        #expect(place.contains(">Riverside &lt;Health&gt; Centre</text>") && place.contains(">Y0042</text>"))
        #expect(!place.contains("<title>(other)"))
        #expect(markdown.contains("| Ids not published as they stand, pooled | (other) |"))
        // The flagged come first in the table: above 99.8%, below 99.8%, above 95%, ….
        #expect(markdown.contains("| Riverside \\<Health\\> Centre | R1 | practice | U1 | 120 | 300 | 40 |"))
        // Limits for n = 300 at 25%: se = 0.025; 25 ± 1.959964 × 2.5 = 20.10–29.90; ± 3.090232 × 2.5 = 17.27–32.73
        // (whole percentages for a denominator of 300: 20–30, 17–33).
        #expect(markdown.contains("| 20–30 | 17–33 | above 99.8% |"))
        #expect(!place.contains("<script"))
    }

    /// Parent funnels only when the table has parent rows.
    @Test func parentFunnelsOnlyWithParents() {
        #expect(section("organisations").contains("<svg id=\"funnel-parent-non-medical-share\""))
        let without = [TimePlaceFixture.organisations(parents: false)]
        let html = Report.html(tables: without, context: TimePlaceFixture.context())
        #expect(section("organisations", in: html).contains("<svg id=\"funnel-non-medical-share\""))
        #expect(!html.contains("funnel-parent"))
    }

    /// The latest census date with registered patients (2025-03-31, not 2025-06-30); the
    /// gradient in words with the sign convention of inequality.csv; the data's networks as points.
    @Test func provisionAtTheLatestCensusWithPatients() {
        let figures = PlaceFigures(tables: TimePlaceFixture.tables)
        #expect(figures.latestCensus == "2025-03-31")
        let sentence = PlaceWording.gradientSentence(
            sii: figures.gradientRow("2025-03-31", "sii", "all"), rii: figures.gradientRow("2025-03-31", "rii", "all"), date: "2025-03-31")
        #expect(
            sentence
                == "At 2025-03-31, the modelled difference in link worker FTE per 50,000 registered patients from the most to the least deprived fifth of England's networks (the slope index of inequality, least minus most deprived) is −0.8, 95% interval −1.0 to −0.6: more link worker time in the most deprived networks. The least deprived end has 0.63 times the provision of the most deprived (relative index of inequality, 95% interval 0.55 to 0.70)."
        )
        let place = section("organisations")
        // East (U3) has its referrals suppressed but its FTE per 50,000 is public: 1.250.
        // FTE per 50,000 to 1 decimal: 2.000 → 2.0; 1.250 → 1.3 (half away from zero).
        #expect(place.contains("<title>North Primary Care Network: 2.0 FTE per 50,000, quintile 1</title>"))
        #expect(place.contains("<title>East Primary Care Network: 1.3 FTE per 50,000, quintile 1</title>"))
        #expect(!place.contains("2022-12-31"))
        // (the Note column, empty on every row, is left out)
        #expect(markdown.contains("| 1 (most deprived) | 250 | 375.0 | 12,500,000 | 1.8 (1.7–1.9) |\n"))
        #expect(markdown.contains("| East Primary Care Network | U3 | 1.0 | 40,000 | 1.3 | suppressed |"))
    }

    /// Tables absent: each part says so in plain words, in both reports, with no chart.
    @Test func absentTablesAreSaid() {
        let html = Report.html(tables: [], context: TimePlaceFixture.context())
        let markdown = Report.markdown(tables: [], context: TimePlaceFixture.context())
        for text in [Report.noTrends, Report.noOrganisations, Report.noProvision] {
            #expect(html.contains(Node.escape(text)))
            #expect(markdown.contains(Report.markdownText(text)))
        }
        #expect(!html.contains("id=\"trend-") && !html.contains("id=\"funnel-") && !html.contains("id=\"provision\""))
        // Header-only provision tables read the same as absent ones; organisations without provision say so under them.
        let headerOnly = [
            TimePlaceFixture.organisations(), PublishedTable(.pcnProvision, rows: []),
            PublishedTable(.provisionByDeprivation, rows: []),
        ]
        let partial = Report.html(tables: headerOnly, context: TimePlaceFixture.context())
        #expect(section("organisations", in: partial).contains(Node.escape(Report.noProvision)))
        #expect(section("organisations", in: partial).contains("funnel-non-medical-share"))
    }

    /// Every chart of the two sections has a title, a description, an axis title and a table beside it.
    @Test func chartsAreAccessible() {
        let ids = [
            "trend-referrals", "trend-nation", "trend-route", "funnel-non-medical-share", "funnel-intervention-share", "funnel-parent-non-medical-share",
            "provision",
        ]
        for id in ids {
            #expect(html.contains("<svg id=\"\(id)\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\""), "no chart \(id)")
            let svg = html.components(separatedBy: "<svg id=\"\(id)\"")[1].components(separatedBy: "</svg>")[0]
            #expect(svg.contains("<title id=\"\(id)-title\">") && svg.contains("<desc id=\"\(id)-desc\">") && svg.contains("class=\"axis\""))
        }
        for id in ["trends", "organisations"] {
            let part = section(id)
            #expect(part.components(separatedBy: "<table>").count == part.components(separatedBy: "<caption>").count)
        }
        #expect(!html.contains("funnel-parent-intervention-share"))  // the lookup's parents have no intervention rows here
    }

    /// The Markdown has the HTML's tables row for row.
    @Test func markdownHasTheSameTables() {
        let figures = TrendFigures(tables: TimePlaceFixture.tables)
        let trends = section("trends"), place = section("organisations")
        for row in Report.trendTable(figures, .month, columns: Report.trendNationColumns(figures)) {
            #expect(row.dropFirst().allSatisfy { trends.contains(">\(Node.escape($0))</td>") })
            #expect(markdown.contains(row.map(Report.markdownText).joined(separator: " | ")))
        }
        let placeFigures = PlaceFigures(tables: TimePlaceFixture.tables)
        // As the report shows them: a note on every row said once, wholly suppressed rows named once.
        let organisations = Report.compacted(
            header: Report.organisationHeader, rows: Report.organisationRows(placeFigures, .interventionShare, .organisation), numeric: [4, 5, 6, 7, 8]
        ).rows
        let networks = Report.compacted(
            header: Report.provisionHeader, rows: Report.provisionRows(placeFigures, "2025-03-31"), numeric: [2, 3, 4, 5, 6, 7, 8, 9]
        ).rows
        for row in organisations + networks {
            #expect(markdown.contains(row.map(Report.markdownText).joined(separator: " | ")))
            #expect(place.contains(">\(Node.escape(row[1]))</td>"))
        }
    }

    /// SPRX_TIME_PLACE_REPORT=path writes this hand-built report's HTML there and its
    /// Markdown beside it (path.md), to look at them.
    @Test func writeForLooking() throws {
        guard let path = ProcessInfo.processInfo.environment["SPRX_TIME_PLACE_REPORT"] else { return }
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        try markdown.write(toFile: path + ".md", atomically: true, encoding: .utf8)
    }
}
