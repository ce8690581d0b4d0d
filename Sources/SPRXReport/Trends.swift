import SPRXAggregate
import SPRXCore
import SPRXPipeline

extension TrendColumn: SuppressibleColumn {}

/// One interval of one indicator and group, as `trends.csv` publishes it.
struct TrendPoint {
    var start: String
    var end: String
    var numerator: Int64?
    var denominator: Int64?
    /// The published value: a share in percent, or the count of referrals.
    var value: Double?
    var low: Double?
    var high: Double?
    /// The interval reaches before the first or after the last day the data covers.
    var partial: Bool
    var suppressed: Bool
    var row: [Cell]

    init(_ row: [Cell]) {
        start = row[TrendColumn.intervalStart].string ?? ""
        end = row[TrendColumn.intervalEnd].string ?? ""
        numerator = row[TrendColumn.numerator].count
        denominator = row[TrendColumn.denominator].count
        value = row[TrendColumn.value].value
        low = row[TrendColumn.ciLow].value
        high = row[TrendColumn.ciHigh].value
        partial = row[TrendColumn.partial].flag == true
        suppressed = row[TrendColumn.suppressed].flag == true
        self.row = row
    }
}

/// `trends.csv` read by its typed columns: the numbers of the report's "Trends over
/// time" section.
///
/// Design note: as in the reach section, figures in tables are the published text and
/// figures in sentences are the published values rounded for people by ``TrendWording``.
/// The charts are monthly up to ``monthlyLimit`` months and quarterly beyond (a month
/// is then under 10 points wide in a panel, too narrow to read).
struct TrendFigures {
    typealias Measure = TrendColumn.Measure
    typealias Interval = TrendColumn.Interval

    let trends: TableView<TrendColumn>
    /// `spc.csv`: the monthly series' SPC charts.
    let spc: TableView<SPCColumn>

    /// The most months the charts show one by one; more are shown by quarter.
    static let monthlyLimit = 36

    init(tables: PublishedTables) {
        trends = TableView(tables.trends)
        spc = TableView(tables.spc)
    }

    /// Whether the run publishes any trend row.
    var hasTrends: Bool { !trends.rows.isEmpty }

    /// The months with a row of referrals for all referrals.
    var monthCount: Int { series(.referrals, TableDimension.all, TableDimension.all, .month).count }

    /// The interval the charts and tables use: month, or quarter beyond ``monthlyLimit`` months.
    var interval: Interval { monthCount > Self.monthlyLimit || monthCount == 0 ? .quarter : .month }

    /// The rows of one measure, dimension, group and interval, earliest first.
    func series(_ measure: Measure, _ dimension: String, _ group: String, _ interval: Interval) -> [TrendPoint] {
        trends.select([.measure: measure.rawValue, .dimension: dimension, .group: group, .interval: interval.rawValue]).map(TrendPoint.init)
            .sorted { $0.start < $1.start }
    }

    /// Every interval start of `interval` in the table, earliest first (the charts' shared axis).
    func axis(_ interval: Interval) -> [(start: String, end: String)] {
        var seen: [String: String] = [:]
        for row in trends.select([.interval: interval.rawValue]) {
            if let start = row[TrendColumn.intervalStart].string, seen[start] == nil { seen[start] = row[TrendColumn.intervalEnd].string ?? "" }
        }
        return seen.keys.sorted().map { ($0, seen[$0]!) }
    }

    /// The groups a dimension publishes for `measure`, in the order the section shows them.
    func groups(_ dimension: String, _ measure: Measure) -> [String] {
        let published = Set(trends.select([.measure: measure.rawValue, .dimension: dimension]).compactMap { $0[TrendColumn.group].string })
        let order: [String]
        switch dimension {
        case Grouping.Name.nation: order = Report.nations + [Nation.unknown.label]
        case Grouping.Name.routeType: order = Report.routeTypes
        default: order = (1...5).map(String.init) + [Nation.unknown.label]
        }
        return order.filter(published.contains) + published.subtracting(order).sorted()
    }

    /// The first and last full (not partial) intervals of `measure` for all referrals
    /// with a published value, by quarter when there are two full quarters, else by month.
    func firstAndLast(_ measure: Measure) -> (first: TrendPoint, last: TrendPoint, interval: Interval)? {
        for interval in [Interval.quarter, .month] {
            let full = series(measure, TableDimension.all, TableDimension.all, interval).filter { !$0.partial && $0.value != nil }
            if full.count >= 2, let first = full.first, let last = full.last { return (first, last, interval) }
        }
        return nil
    }
}

/// Numbers and dates into words for the trend section, written once.
///
/// Rules: a month reads "March 2024", a quarter "January to March 2024" (calendar
/// quarters); a share one decimal in percent; a change between two intervals is said
/// to be a rise or a fall only when their 95% intervals do not overlap, otherwise the
/// two values are given and the overlap said.
enum TrendWording {
    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]

    /// (year, month) of an ISO date, `nil` when it is not one.
    static func yearMonth(_ date: String) -> (year: Int, month: Int)? {
        let parts = date.split(separator: "-")
        guard parts.count >= 2, let year = Int(parts[0]), let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        return (year, month)
    }

    /// "March 2024" or "January to March 2024".
    static func period(_ point: TrendPoint, _ interval: TrendColumn.Interval) -> String {
        guard let (year, month) = yearMonth(point.start) else { return point.start }
        switch interval {
        case .month: return "\(monthNames[month - 1]) \(year)"
        case .quarter: return "\(monthNames[month - 1]) to \(monthNames[min(month + 1, 11)]) \(year)"
        }
    }

    /// A short axis or table label: "Mar 2024", or "2024 Q1".
    static func shortLabel(_ start: String, _ interval: TrendColumn.Interval) -> String {
        guard let (year, month) = yearMonth(start) else { return start }
        switch interval {
        case .month: return "\(monthNames[month - 1].prefix(3)) \(year)"
        case .quarter: return "\(year) Q\((month - 1) / 3 + 1)"
        }
    }

    /// What a share measure counts, for sentences.
    static func shareSubject(_ measure: TrendColumn.Measure) -> String {
        switch measure {
        case .referrals: "referrals"
        case .nonMedicalShare: "the share of referrals through non-medical routes"
        case .contactedShare: "the share that reached a link worker"
        case .interventionShare: "the share that received at least one intervention"
        }
    }

    /// A measure's name in a table header or chart title.
    static func measureName(_ measure: TrendColumn.Measure) -> String {
        switch measure {
        case .referrals: "Referrals"
        case .nonMedicalShare: "Non-medical share"
        case .contactedShare: "Reached a link worker"
        case .interventionShare: "Received an intervention"
        }
    }

    /// "21.3%".
    static func percent(_ value: Double) -> String { NumberFormat.points(value) + "%" }

    /// The sentence comparing a share's first and last full intervals.
    static func shareChange(_ measure: TrendColumn.Measure, first: TrendPoint, last: TrendPoint, _ interval: TrendColumn.Interval) -> String? {
        guard let a = first.value, let b = last.value else { return nil }
        let subject = shareSubject(measure)
        let capital = subject.prefix(1).uppercased() + subject.dropFirst()
        let from = period(first, interval), to = period(last, interval)
        guard let al = first.low, let ah = first.high, let bl = last.low, let bh = last.high else {
            return "\(capital) was \(percent(a)) in \(from) and \(percent(b)) in \(to)."
        }
        let intervals = "\(ReachWording.points(al))–\(ReachWording.points(ah))% and \(ReachWording.points(bl))–\(ReachWording.points(bh))%"
        if al <= bh && bl <= ah {
            return "\(capital) was \(percent(a)) in \(from) and \(percent(b)) in \(to); their 95% intervals (\(intervals)) overlap, so this is no clear change."
        }
        return
            "\(capital) \(b > a ? "rose" : "fell") from \(percent(a)) in \(from) to \(percent(b)) in \(to) (95% intervals \(intervals), which do not overlap)."
    }

    /// The section's lead: referrals and each share in the first and last full interval.
    static func lead(_ figures: TrendFigures) -> [String] { leadByMeasure(figures).map(\.sentence) }

    /// ``lead(_:)``'s sentences, each with the measure it is about (for its variation icon).
    static func leadByMeasure(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, sentence: String)] {
        var sentences: [(measure: TrendColumn.Measure, sentence: String)] = []
        if let span = figures.firstAndLast(.referrals) {
            let unit = span.interval == .quarter ? "quarter" : "month"
            func count(_ point: TrendPoint) -> String { point.value.map { Report.grouped(Int($0)) } ?? ReachWording.suppressed }
            sentences.append(
                (
                    .referrals,
                    "There were \(count(span.first)) referrals in \(period(span.first, span.interval)), the first full \(unit) of the data, and \(count(span.last)) in \(period(span.last, span.interval)), the last."
                ))
        }
        for measure in [TrendColumn.Measure.nonMedicalShare, .contactedShare, .interventionShare] {
            // A share whose field is not recorded has no trend: one sentence says why.
            if let withheld = figures.withheld(measure) {
                let subject = shareSubject(measure)
                sentences.append((measure, subject.prefix(1).uppercased() + subject.dropFirst() + " is \(withheld), so its trend is not shown."))
                continue
            }
            guard let span = figures.firstAndLast(measure), let sentence = shareChange(measure, first: span.first, last: span.last, span.interval) else {
                continue
            }
            sentences.append((measure, sentence))
        }
        return sentences
    }
}

extension Report {
    static let trendsTitle = "Trends over time"
    static let noTrends =
        "There are no trend figures in this run (tables/trends.csv is absent or has no rows)."

    /// A trend value as a table shows it: a count grouped ("1,250"), a share by its
    /// denominator's rule with its interval ("21 (20–23)"), "suppressed" or "—".
    static func trendCell(_ point: TrendPoint?) -> String {
        guard let point else { return "" }
        guard let value = point.value else { return point.suppressed ? ReachWording.suppressed : ReachWording.empty }
        if case .count = point.row[TrendColumn.value] { return NumberFormat.whole(value) }
        let places = NumberFormat.percentPlaces(denominator: point.denominator.map(Double.init))
        let text = NumberFormat.percent(value, places: places)
        guard let low = point.low, let high = point.high else { return text }
        return "\(text) (\(NumberFormat.range(NumberFormat.percentLimit(low, places: places), NumberFormat.percentLimit(high, places: places))))"
    }

    /// An interval's label in a table, "(partial)" when it covers only part of the interval.
    static func trendIntervalLabel(_ start: String, _ interval: TrendColumn.Interval, partial: Bool) -> String {
        TrendWording.shortLabel(start, interval) + (partial ? " (partial)" : "")
    }

    /// A wide table: one row per interval, one column per (measure, dimension, group).
    static func trendTable(
        _ figures: TrendFigures, _ interval: TrendColumn.Interval, columns: [(measure: TrendColumn.Measure, dimension: String, group: String)]
    ) -> [[String]] {
        let series = columns.map { column in
            Dictionary(figures.series(column.measure, column.dimension, column.group, interval).map { ($0.start, $0) }, uniquingKeysWith: { a, _ in a })
        }
        return figures.axis(interval).map { slot in
            let points = series.map { $0[slot.start] }
            let partial = points.contains { $0?.partial == true }
            return [trendIntervalLabel(slot.start, interval, partial: partial)] + points.map(trendCell)
        }
    }

    /// The columns of the all-referrals table: every measure with figures.
    static func trendAllColumns(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, dimension: String, group: String)] {
        figures.shownMeasures.map { ($0, TableDimension.all, TableDimension.all) }
    }

    static func trendAllHeader(_ figures: TrendFigures, _ interval: TrendColumn.Interval) -> [String] {
        [interval == .month ? "Month" : "Quarter"] + figures.shownMeasures.map { TrendWording.measureName($0) + ($0 == .referrals ? "" : ", % (95% CI)") }
    }

    /// The nation columns of the non-medical share table (a nation without a value in any interval is said in one sentence instead).
    static func trendNationColumns(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, dimension: String, group: String)] {
        trendNationCandidates(figures).filter { !isWhollyWithheld(figures, $0) }
    }

    static func trendNationCandidates(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, dimension: String, group: String)] {
        figures.groups(Grouping.Name.nation, .nonMedicalShare).map { (.nonMedicalShare, Grouping.Name.nation, $0) }
    }

    static func trendNationHeader(_ figures: TrendFigures, _ interval: TrendColumn.Interval) -> [String] {
        [interval == .month ? "Month" : "Quarter"] + trendNationColumns(figures).map(\.group)
    }

    /// The route-type columns: contacted then intervention share for each route type (a
    /// column without a value in any interval is said in one sentence instead).
    static func trendRouteColumns(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, dimension: String, group: String)] {
        trendRouteCandidates(figures).filter { !isWhollyWithheld(figures, $0) }
    }

    static func trendRouteCandidates(_ figures: TrendFigures) -> [(measure: TrendColumn.Measure, dimension: String, group: String)] {
        let groups = figures.groups(Grouping.Name.routeType, .contactedShare)
        let measures = [TrendColumn.Measure.contactedShare, .interventionShare].filter { figures.withheld($0) == nil }
        return groups.flatMap { group in measures.map { ($0, Grouping.Name.routeType, group) } }
    }

    /// Whether a table column has no value in any interval (every one suppressed or empty).
    static func isWhollyWithheld(_ figures: TrendFigures, _ column: (measure: TrendColumn.Measure, dimension: String, group: String)) -> Bool {
        let interval = figures.interval
        return figures.series(column.measure, column.dimension, column.group, interval).allSatisfy { $0.value == nil }
    }

    /// The one sentence that stands for the table columns left out because no interval of
    /// theirs has a value; `nil` when none is left out.
    static func trendWithheldSentence(_ figures: TrendFigures, _ label: Labels) -> String? {
        let unit = figures.interval == .month ? "month" : "quarter"
        let nations = trendNationCandidates(figures).filter { isWhollyWithheld(figures, $0) }.map(\.group)
        let routes = trendRouteCandidates(figures).filter { isWhollyWithheld(figures, $0) }.map {
            "the share of \(label.inSentence(.routeType, $0.group)) referrals that \($0.measure == .contactedShare ? "reached a link worker" : "received an intervention")"
        }
        var parts: [String] = []
        if !nations.isEmpty { parts.append("the non-medical share in " + PlaceWording.list(nations)) }
        parts += routes
        guard !parts.isEmpty else { return nil }
        return "Not in the tables or charts, because every \(unit) of theirs is suppressed (too few referrals to publish): " + parts.joined(separator: "; ")
            + "."
    }

    static func trendRouteHeader(_ figures: TrendFigures, _ label: Labels, _ interval: TrendColumn.Interval) -> [String] {
        [interval == .month ? "Month" : "Quarter"]
            + trendRouteColumns(figures).map {
                "\(label(.routeType, $0.group)): \($0.measure == .contactedShare ? "reached a link worker" : "intervention") (%)"
            }
    }

    /// What the trend figures are, in sentences (the section's notes).
    static func trendNotes(_ figures: TrendFigures, _ context: ReportContext) -> [String] {
        var notes = [
            "Calendar months and quarters (the quarter's first day to its last, inclusive). An interval marked partial reaches before the first or after the last day the data cover, so its count is of part of the interval only: read its referrals as incomplete, not as a fall.",
            "Shares are of the interval's clean referrals (non-medical share: of all referrals, unknown routes included; contacted and intervention shares: as in tables/pathway_by_group.csv), with 95% Wilson intervals.",
            "The charts show \(figures.interval == .month ? "months" : "quarters"): months up to \(TrendFigures.monthlyLimit) of them, quarters when the data cover more. tables/trends.csv has both, and by deprivation quintile too.",
        ]
        if !figures.spcHeadline.isEmpty { notes += spcNotes }
        if context.disclosureEnabled {
            notes.append(
                "Disclosure control: counts are rounded to the nearest \(context.roundTo) and counts of 1 to \(context.suppressUpTo) are suppressed; shares are computed from the rounded counts. A suppressed interval is a gap in the line marked s, never a zero."
            )
        } else {
            notes.append("Disclosure control is off: counts are exact. An interval without a value is a gap in the line, never a zero.")
        }
        return notes
    }
}
