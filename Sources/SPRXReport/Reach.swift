import SPRXAggregate
import SPRXCore
import SPRXPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RateColumn: SuppressibleColumn {}
extension InequalityColumn: SuppressibleColumn {}

/// `rates_by_group.csv` and `inequality.csv` read by their typed columns: the numbers
/// of the report's "Reach against the population" section.
///
/// Design note: the section says what the tables publish and nothing else. Figures in
/// its tables are the published text; figures in its sentences are the published
/// values rounded for people by ``ReachWording`` (the one place numbers become words).
struct ReachFigures {
    let rates: TableView<RateColumn>
    let inequality: TableView<InequalityColumn>

    init(tables: PublishedTables) {
        rates = TableView(tables.ratesByGroup)
        inequality = TableView(tables.inequality)
    }

    /// Whether the run has population rates (a pipeline that names no population publishes none).
    var hasRates: Bool { !rates.rows.isEmpty }

    /// The scale the section says rates at: `rates_by_group.csv`'s `scaled_per` (the same
    /// on every row), per 1,000 when the table has none.
    var scale: RateScale { RateScale(per: rates.rows.first.flatMap { $0[RateColumn.scaledPer].count }.map(Int.init) ?? RateTableBuilder.perThousand) }

    /// One deprivation decile of one nation: its number (`nil` for the unknown decile) and row.
    struct Decile {
        var nation: String
        var decile: Int?
        var row: [Cell]
        /// The decile as the tables label it (`3`, `Unknown`).
        var label: String { decile.map(String.init) ?? Nation.unknown.label }
    }

    /// The nations with decile rows, in the tables' order.
    var nations: [String] { Report.nations.filter { !deciles($0).isEmpty } }

    /// The nation's deciles 1 to 10 that the table publishes, then its unknown decile if published.
    func deciles(_ nation: String) -> [Decile] {
        let labels: [(Int?, String)] = (1...10).map { ($0, String($0)) } + [(nil, Nation.unknown.label)]
        return labels.compactMap { decile, label in
            rates.first([.dimension: Report.nationByDecile, .group: TableDimension.groupLabel([nation, label])]).map {
                Decile(nation: nation, decile: decile, row: $0)
            }
        }
    }

    /// The row of one `dimension` and `group`.
    func rate(_ dimension: String, _ group: String) -> [Cell]? { rates.first([.dimension: dimension, .group: group]) }

    /// The `age_band` rows, in the table's order.
    var ageBands: [[Cell]] { rates.select([.dimension: Grouping.Name.ageBand]) }

    /// The index row of a nation, indicator and measure.
    func index(_ nation: String, _ indicator: InequalityColumn.Indicator, _ measure: InequalityColumn.Measure) -> [Cell]? {
        inequality.first([.nation: nation, .indicator: indicator.rawValue, .measure: measure.rawValue])
    }

    /// The nations with inequality rows, in the tables' order.
    var inequalityNations: [String] { Report.nations.filter { index($0, .referralRate, .sii) != nil } }
}

/// One nation's indices for one indicator, as published (values rounded as in the file).
///
/// Sign convention, from `inequality.csv`'s builder and Public Health England's
/// `phe_sii` (which it follows): deciles run from most deprived (x = 0) to least
/// deprived (x = 1); the slope index SII = fitted least − fitted most deprived (negative
/// when the indicator is higher where deprivation is greater); the relative index RII =
/// fitted least / fitted most deprived. So "the most deprived X times as often as the
/// least" is X = `fitted_most_deprived` / `fitted_least_deprived` = 1 / RII, with the
/// interval 1 / RII's upper to 1 / RII's lower limit.
struct InequalityIndex {
    var indicator: InequalityColumn.Indicator
    var sii: (value: Double, low: Double?, high: Double?)?
    var rii: (value: Double, low: Double?, high: Double?)?
    var fittedMost: Double?
    var fittedLeast: Double?
    /// Why the indices are empty (the `note` value), when they are.
    var note: String?
    var suppressed: Bool

    init(indicator: InequalityColumn.Indicator, sii: [Cell]?, rii: [Cell]?) {
        self.indicator = indicator
        func estimate(_ row: [Cell]?) -> (value: Double, low: Double?, high: Double?)? {
            guard let row, let value = row[InequalityColumn.value].value else { return nil }
            return (value, row[InequalityColumn.ciLow].value, row[InequalityColumn.ciHigh].value)
        }
        self.sii = estimate(sii)
        self.rii = estimate(rii)
        let row = sii ?? rii
        fittedMost = row?[InequalityColumn.fittedMostDeprived].value
        fittedLeast = row?[InequalityColumn.fittedLeastDeprived].value
        note = row.flatMap { $0[InequalityColumn.note].string }.flatMap { $0.isEmpty ? nil : $0 }
        suppressed = row?[InequalityColumn.suppressed].flag == true
    }

    /// How many times the most deprived end's value is the least deprived end's, with its
    /// interval (from the RII's, inverted); `nil` when the fitted values do not give it.
    var mostToLeast: (value: Double, low: Double?, high: Double?)? {
        if let most = fittedMost, let least = fittedLeast, least > 0, most >= 0 {
            return (most / least, rii?.high.flatMap { $0 > 0 ? 1 / $0 : nil }, rii?.low.flatMap { $0 > 0 ? 1 / $0 : nil })
        }
        guard let rii, rii.value > 0 else { return nil }
        return (1 / rii.value, rii.high.flatMap { $0 > 0 ? 1 / $0 : nil }, rii.low.flatMap { $0 > 0 ? 1 / $0 : nil })
    }

    /// The modelled gap from the most to the least deprived end (most − least = −SII), with its interval.
    var gap: (value: Double, low: Double?, high: Double?)? {
        guard let sii else { return nil }
        return (-sii.value, sii.high.map { -$0 }, sii.low.map { -$0 })
    }
}

/// The scale the reach section gives rates at (``RateTableBuilder/scale(perThousand:)``
/// chose it): the tables publish `crude_rate` per 1,000, and the section multiplies by
/// ``factor`` so a typical rate reads as a number people say aloud.
struct RateScale: Equatable {
    var per: Int
    static let perThousand = RateScale(per: RateTableBuilder.perThousand)
    /// From per 1,000 to per ``per``.
    var factor: Double { Double(per) / Double(RateTableBuilder.perThousand) }
    /// `1,000` or `100,000`.
    var words: String { Report.grouped(per) }
    /// "referrals per 100,000 residents per year".
    var unit: String { "referrals per \(words) residents per year" }
    /// "per 100,000 per year".
    var short: String { "per \(words) per year" }
}

/// Numbers into words for the reach section, written once: every sentence and table
/// cell of the section that is not the published text comes from here.
///
/// Rules (``NumberFormat`` decides the precision):
/// - A ratio has two decimals (1.17, 0.85). A rate has three significant figures (12.3,
///   0.482), in fixed notation; a gap in percentage points and a fitted share one decimal.
/// - One quantity is said one way: the referral-rate sentence gives the most deprived
///   against the least deprived ("0.85 times as often", with its interval) and the SII;
///   the RII (the same ratio the other way up) is left to the table.
/// - "X times as often" is X = fitted most / fitted least deprived (``InequalityIndex``);
///   when its 95% interval includes 1 the sentence says "about as often" and gives the
///   interval; below 1, 1/X of 2, 3 or 4 (to one decimal) reads "half", "a third",
///   "a quarter as often", any other "0.62 times as often" followed by the inverse.
/// - A gap's direction is said in words ("higher in the most deprived"); when its
///   interval includes 0 the sentence says the interval includes no gap. The published
///   signed indices follow in brackets (their sign convention is in the notes).
/// - An empty value is "suppressed" when disclosure control withheld it, otherwise "—";
///   the reason is said in words (``rateNote(_:)``, ``indexNote(_:)``), never as 0.
enum ReachWording {
    static let rateUnit = RateScale.perThousand.unit
    static let shortRateUnit = RateTableBuilder.rateUnit
    /// Shown for an empty value that was not suppressed.
    static let empty = "—"
    static let suppressed = "suppressed"

    /// A ratio for people (rules above).
    static func ratio(_ value: Double) -> String { NumberFormat.ratio(value) }

    /// `value` to `digits` significant digits, in fixed notation (0.482, 12.3, 1230).
    static func significant(_ value: Double, _ digits: Int = 3) -> String {
        value.isFinite ? NumberFormat.significant(value, digits: digits) : empty
    }

    /// A signed number with a real minus sign.
    static func signed(_ text: String) -> String { NumberFormat.signed(text) }

    /// A percentage or percentage-point figure, one decimal.
    static func points(_ value: Double) -> String { NumberFormat.points(value) }

    /// A value of the indicator's kind as a person reads it: a rate to 3 significant digits, a share in percent.
    static func amount(_ value: Double, _ indicator: InequalityColumn.Indicator) -> String {
        indicator == .referralRate ? signed(significant(value)) : points(value) + "%"
    }

    /// A gap of the indicator's kind with its unit.
    static func gapAmount(_ value: Double, _ indicator: InequalityColumn.Indicator) -> String {
        indicator == .referralRate ? "\(signed(significant(value))) \(rateUnit)" : "\(points(value)) percentage points"
    }

    /// "95% interval a to b" for figures already formatted, or nothing when either is missing.
    static func interval(_ low: String?, _ high: String?) -> String? {
        guard let low, let high else { return nil }
        return "95% interval \(low) to \(high)"
    }

    /// The referral-rate sentence of a catchment mismatch (``Report/reachSentences(_:nation:mismatch:)``).
    static func gradientWithheld(nation: String) -> String {
        "In \(nation), no sentence is drawn from the referral rate across deciles: the referrals come from a small part of the population catchment (see the warning above and in Data quality), so each decile's rate is diluted by the areas the service does not serve, and the gradient would say where the places served sit in the nation's deprivation ranking rather than who is referred more often. Set the pipeline's population catchment to the local authorities served for a gradient within them."
    }

    /// "1.8 times as often as", "about as often as", "half as often as" (rules above).
    static func howOften(_ ratio: (value: Double, low: Double?, high: Double?)) -> String {
        if let low = ratio.low, let high = ratio.high, low <= 1, high >= 1 { return "about as often as" }
        if ratio.value == 1 { return "as often as" }
        if ratio.value > 1 { return "\(self.ratio(ratio.value)) times as often as" }
        switch NumberFormat.decimal(1 / ratio.value, places: 1) {
        case "2.0": return "half as often as"
        case "3.0": return "a third as often as"
        case "4.0": return "a quarter as often as"
        default: return "\(self.ratio(ratio.value)) times as often as"
        }
    }

    /// What the share indicators count, for sentences ("came through non-medical routes").
    static func shareOutcome(_ indicator: InequalityColumn.Indicator) -> String {
        switch indicator {
        case .referralRate: "were referred"
        case .nonMedicalShare: "came through non-medical routes"
        case .contactedShare: "reached a link worker"
        case .interventionShare: "received at least one intervention"
        }
    }

    /// An indicator's name in a table.
    static func indicatorName(_ indicator: InequalityColumn.Indicator, scale: RateScale = .perThousand) -> String {
        switch indicator {
        case .referralRate: "Referral rate (\(scale.short))"
        case .nonMedicalShare: "Non-medical share (%)"
        case .contactedShare: "Reached a link worker (%)"
        case .interventionShare: "Received an intervention (%)"
        }
    }

    /// One sentence for a nation's indicators that have no indices for the same reason:
    /// "In Wales, the inequality indices for the shares of referrals that came through
    /// non-medical routes and that received at least one intervention are suppressed: …".
    static func withheldSentence(nation: String, _ indices: [InequalityIndex]) -> String {
        guard let first = indices.first else { return "" }
        guard indices.count > 1 else { return sentence(nation: nation, first) }
        let rate = indices.contains { $0.indicator == .referralRate }
        let shares = indices.filter { $0.indicator != .referralRate }.map { "that " + shareOutcome($0.indicator) }
        func list(_ items: [String]) -> String { items.count < 2 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last! }
        let shareSubject = shares.isEmpty ? nil : (shares.count == 1 ? "the share of referrals " : "the shares of referrals ") + list(shares)
        let subject = list((rate ? ["the referral rate"] : []) + (shareSubject.map { [$0] } ?? []))
        let reason = first.note.map(indexNote) ?? "the table gives no value"
        return "In \(nation), the inequality indices for \(subject) are \(first.suppressed ? "suppressed" : "not given"): \(reason)."
    }

    /// The sentences about one nation's indicator, from its published indices.
    static func sentence(nation: String, _ index: InequalityIndex, scale: RateScale = .perThousand) -> String {
        let indicator = index.indicator
        // Rate indices are published per 1,000: said at the section's scale.
        var index = index
        if indicator == .referralRate, scale.factor != 1 {
            func scaled(_ e: (value: Double, low: Double?, high: Double?)?) -> (value: Double, low: Double?, high: Double?)? {
                e.map { ($0.value * scale.factor, $0.low.map { $0 * scale.factor }, $0.high.map { $0 * scale.factor }) }
            }
            index.sii = scaled(index.sii)
            index.fittedMost = index.fittedMost.map { $0 * scale.factor }
            index.fittedLeast = index.fittedLeast.map { $0 * scale.factor }
        }
        let rateUnit = scale.unit, shortRateUnit = scale.short
        guard index.sii != nil || index.rii != nil else {
            let subject = indicator == .referralRate ? "the referral rate" : "the share of referrals that \(shareOutcome(indicator))"
            let reason = index.note.map(indexNote) ?? "the table gives no value"
            return "In \(nation), the inequality indices for \(subject) are \(index.suppressed ? "suppressed" : "not given"): \(reason)."
        }
        var parts: [String] = []
        let ends = fittedEnds(index)
        if indicator == .referralRate {
            if let ratio = index.mostToLeast {
                var bracket: [String] = []
                let range = interval(ratio.low.map(self.ratio), ratio.high.map(self.ratio))
                let includesOne = (ratio.low ?? 2) <= 1 && (ratio.high ?? 0) >= 1
                if includesOne, let range {
                    bracket.append("ratio \(self.ratio(ratio.value)), \(range), which includes 1")
                } else if let range {
                    bracket.append(range)
                }
                if let ends { bracket.append("fitted rates \(ends.most) and \(ends.least) \(shortRateUnit)") }
                parts.append(
                    "In \(nation), people in the most deprived areas were referred \(howOften(ratio)) people in the least deprived"
                        + (bracket.isEmpty ? "" : " (" + bracket.joined(separator: "; ") + ")") + ".")
                if ratio.value < 1, !includesOne, howOften(ratio).hasSuffix("times as often as") {
                    parts.append("Put the other way, people in the least deprived areas were referred \(self.ratio(1 / ratio.value)) times as often.")
                }
            } else {
                parts.append("In \(nation), the fitted rates do not give a ratio of the most to the least deprived.")
            }
        } else if let ends {
            parts.append(
                "In \(nation), \(ends.most) of referrals from the most deprived areas \(shareOutcome(indicator)), against \(ends.least) from the least deprived (fitted values)."
            )
        } else {
            parts.append("In \(nation), for the share of referrals that \(shareOutcome(indicator)):")
        }
        var published: [String] = []
        if let sii = index.sii {
            published.append(
                "SII \(amountText(sii.value, indicator))"
                    + (interval(sii.low.map { limitText($0, of: sii.value, indicator) }, sii.high.map { limitText($0, of: sii.value, indicator) }).map {
                        ", \($0)"
                    } ?? ""))
        }
        if let gap = index.gap {
            let size = indicator == .referralRate ? "\(significant(abs(gap.value))) \(rateUnit)" : "\(NumberFormat.points(abs(gap.value))) percentage points"
            let includesZero = gap.low != nil && (gap.low ?? 1) <= 0 && (gap.high ?? -1) >= 0
            let direction =
                includesZero
                ? ", and its 95% interval includes no gap"
                : gap.value > 0 ? ", higher in the most deprived" : gap.value < 0 ? ", lower in the most deprived" : ""
            let subject =
                indicator == .referralRate ? "The slope index of inequality, the modelled gap from the most to the least deprived," : "The modelled gap"
            parts.append("\(subject) is \(size)\(direction) (" + published.joined(separator: "; ") + ").")
        } else if !published.isEmpty {
            parts.append("(" + published.joined(separator: "; ") + ".)")
        }
        return parts.joined(separator: " ")
    }

    /// A signed index value in the indicator's unit, without the unit (for brackets).
    static func amountText(_ value: Double, _ indicator: InequalityColumn.Indicator) -> String {
        indicator == .referralRate ? signed(significant(value)) : points(value)
    }

    /// An interval limit of `value` in the indicator's unit: a rate's to no more decimals than the rate (``NumberFormat/rates(_:_:)``).
    static func limitText(_ limit: Double, of value: Double, _ indicator: InequalityColumn.Indicator) -> String {
        indicator == .referralRate ? NumberFormat.rates(value, [limit]).others[0] : points(limit)
    }

    /// The fitted values at the two ends, formatted for sentences.
    static func fittedEnds(_ index: InequalityIndex) -> (most: String, least: String)? {
        guard let most = index.fittedMost, let least = index.fittedLeast else { return nil }
        return (amount(most, index.indicator), amount(least, index.indicator))
    }

    /// Why a rate is empty or crude only, in words (`rates_by_group.csv`'s `note`).
    static func rateNote(_ note: String) -> String {
        typealias Note = RateColumn.Note
        switch note {
        case Note.noAgePopulation: return "no single-year-of-age population for its residents, so no age-standardised rate"
        case Note.fewerThanTen: return "fewer than 10 referrals with a known age: too few for an age-standardised rate"
        case Note.referralsWithoutPopulation:
            return
                "referrals from small areas whose population estimate is 0 (or an age group with referrals but no residents): counted, but no rate can be formed"
        case Note.ageCountsSuppressed: return "every age group's count is small enough to be suppressed, so no age-standardised rate can be made of them"
        case Note.suppressed: return "the referral count is suppressed by disclosure control, so are its rates"
        case Note.crudeOnly: return "crude rate only (age bands are not age-standardised)"
        case Note.bandPopulationUnavailable: return "the band's population cannot be formed from single years of age (it splits the open 90+ group)"
        case Note.noPeriod: return "no clean referral has a date, so there are no person-years to divide by"
        default: return Report.fieldNoteText(note).map { "\($0), so no age-standardised rate" } ?? "see the note column of tables/rates_by_group.csv"
        }
    }

    /// Why an inequality index is empty, in words (`inequality.csv`'s `note`).
    static func indexNote(_ note: String) -> String {
        typealias Note = InequalityColumn.Note
        switch note {
        case Note.decileWithoutPopulation: return "a decile has no residents in the catchment"
        case Note.decileWithoutReferrals: return "a decile has no referrals, so no share"
        case Note.suppressed: return "a decile's count is suppressed by disclosure control"
        case Note.decileValueAtLimit:
            return "a decile's rate is 0, or its share 0% or 100%, which the log or logit scale of the fit cannot hold"
        case Note.noPeriod: return "no clean referral has a date, so there are no person-years to divide by"
        case Note.notEstimable: return "the line cannot be fitted"
        default: return Report.fieldNoteText(note) ?? "see the note column of tables/inequality.csv"
        }
    }
}

extension Report {
    /// `nation/imd_decile`, as the reach section reads it.
    static let nationByDecile = DisplayNames.nationByDecile

    static let reachTitle = "Reach against the population"
    static let noPopulation =
        "The pipeline names no population, so there are no referral rates against the resident population (tables/rates_by_group.csv and tables/inequality.csv have no rows)."

    /// A rate column's value as the page says it (``NumberFormat``): "suppressed" when
    /// withheld by disclosure control, "—" when empty for another reason.
    static func rateCell(_ row: [Cell], _ column: RateColumn) -> String {
        let kind: NumberFormat.Kind
        switch column {
        case .representation: kind = .ratio
        case .referralShare, .populationShare: kind = .percent(of: nil)
        default: kind = .significant
        }
        return NumberFormat.text(row[column], as: kind) ?? (row[RateColumn.suppressed].flag == true ? ReachWording.suppressed : ReachWording.empty)
    }

    /// A count or person-years with thousands separators, whole (`100,000`, `281,396,279`).
    static func groupedCell(_ row: [Cell], _ column: RateColumn) -> String {
        NumberFormat.text(row[column], as: .whole) ?? rateCell(row, column)
    }

    /// A rate and its interval at `scale` (the published per-1,000 values multiplied):
    /// 3 significant figures, the limits to the value's decimals ("0.837 (0.803–0.871)"),
    /// or the empty mark.
    static func rateWithInterval(_ row: [Cell], _ value: RateColumn, _ low: RateColumn, _ high: RateColumn, scale: RateScale = .perThousand) -> String {
        guard let v = row[value].value.map({ $0 * scale.factor }) else { return rateCell(row, value) }
        guard let l = row[low].value.map({ $0 * scale.factor }), let h = row[high].value.map({ $0 * scale.factor }) else { return NumberFormat.rate(v) }
        let said = NumberFormat.rates(v, [l, h])
        return "\(said.value) (\(NumberFormat.range(said.others[0], said.others[1])))"
    }

    /// The row's note in words, or "".
    static func rateNoteText(_ row: [Cell]) -> String {
        if let note = row[RateColumn.note].string, !note.isEmpty { return ReachWording.rateNote(note) }
        if row[RateColumn.crudeRate].isEmpty, row[RateColumn.population].count == 0 { return "no residents in the catchment" }
        return ""
    }

    static let reachRateHeader = ["Decile", "Referrals", "Population", "Crude rate (95% CI)", "Age-standardised rate (95% CI)", "Note"]

    /// One nation's rate table: the nation's own row, then each decile.
    static func reachRateRows(_ reach: ReachFigures, nation: String) -> [[String]] {
        let scale = reach.scale
        func cells(_ label: String, _ row: [Cell]) -> [String] {
            [
                label, groupedCell(row, .referrals), groupedCell(row, .population),
                rateWithInterval(row, .crudeRate, .crudeCILow, .crudeCIHigh, scale: scale),
                rateWithInterval(row, .dsr, .dsrCILow, .dsrCIHigh, scale: scale), rateNoteText(row),
            ]
        }
        var rows: [[String]] = []
        if let all = reach.rate(Grouping.Name.nation, nation) { rows.append(cells("All deciles", all)) }
        for decile in reach.deciles(nation) { rows.append(cells(decile.label, decile.row)) }
        return rows
    }

    static let reachNationHeader = ["Nation", "Referrals", "Population", "Person-years", "Crude rate (95% CI)", "Age-standardised rate (95% CI)", "Note"]

    /// Every nation's row, then all nations together.
    static func reachNationRows(_ reach: ReachFigures) -> [[String]] {
        let scale = reach.scale
        func cells(_ label: String, _ row: [Cell]) -> [String] {
            [
                label, groupedCell(row, .referrals), groupedCell(row, .population), groupedCell(row, .personYears),
                rateWithInterval(row, .crudeRate, .crudeCILow, .crudeCIHigh, scale: scale),
                rateWithInterval(row, .dsr, .dsrCILow, .dsrCIHigh, scale: scale), rateNoteText(row),
            ]
        }
        var rows = nations.compactMap { nation in reach.rate(Grouping.Name.nation, nation).map { cells(nation, $0) } }
        if let all = reach.rate(allGroups, allGroups) { rows.append(cells("All nations together", all)) }
        return rows
    }

    static let reachRepresentationHeader = ["Decile", "Share of referrals (%)", "Share of population (%)", "Ratio (1 = in proportion)"]

    static func reachRepresentationRows(_ reach: ReachFigures, nation: String) -> [[String]] {
        reach.deciles(nation).map { decile in
            [decile.label, rateCell(decile.row, .referralShare), rateCell(decile.row, .populationShare), rateCell(decile.row, .representation)]
        }
    }

    static let reachIndexHeader = ["Indicator", "Most deprived end", "Least deprived end", "SII (95% CI)", "RII (95% CI)", "Note"]

    /// Every indicator's indices for one nation, as published.
    static func reachIndexRows(_ reach: ReachFigures, nation: String) -> [[String]] {
        InequalityColumn.Indicator.allCases.compactMap { indicator in
            let sii = reach.index(nation, indicator, .sii), rii = reach.index(nation, indicator, .rii)
            guard sii != nil || rii != nil, !isWithheld(sii ?? rii) else { return nil }
            // A rate's SII and fitted ends are published per 1,000: shown at the section's scale.
            let factor = indicator == .referralRate ? reach.scale.factor : 1
            // A rate's values to 3 significant figures, a share's in points to 1 decimal, a ratio to 2.
            func say(_ value: Double, ratio: Bool) -> String {
                ratio ? NumberFormat.ratio(value) : indicator == .referralRate ? NumberFormat.significant(value) : NumberFormat.points(value)
            }
            func shown(_ cell: Cell, scaled: Bool = true) -> String? {
                cell.value.map { say(scaled ? $0 * factor : $0, ratio: !scaled) }
            }
            func estimate(_ row: [Cell]?, scaled: Bool) -> String {
                guard let row else { return ReachWording.empty }
                guard let value = row[InequalityColumn.value].value.map({ scaled ? $0 * factor : $0 }) else {
                    return row[InequalityColumn.suppressed].flag == true ? ReachWording.suppressed : ReachWording.empty
                }
                guard let low = row[InequalityColumn.ciLow].value.map({ scaled ? $0 * factor : $0 }),
                    let high = row[InequalityColumn.ciHigh].value.map({ scaled ? $0 * factor : $0 })
                else { return say(value, ratio: !scaled) }
                // A rate's limits take the estimate's decimals (never 0.132 beside 0.0125389).
                if scaled, indicator == .referralRate {
                    let said = NumberFormat.rates(value, [low, high])
                    return "\(said.value) (\(said.others[0]) to \(said.others[1]))"
                }
                return "\(say(value, ratio: !scaled)) (\(say(low, ratio: !scaled)) to \(say(high, ratio: !scaled)))"
            }
            let first = sii ?? rii!
            func fitted(_ column: InequalityColumn) -> String { shown(first[column]) ?? ReachWording.empty }
            let note = first[InequalityColumn.note].string.flatMap { $0.isEmpty ? nil : ReachWording.indexNote($0) } ?? ""
            return [
                ReachWording.indicatorName(indicator, scale: reach.scale), fitted(.fittedMostDeprived), fitted(.fittedLeastDeprived),
                estimate(sii, scaled: true),
                estimate(rii, scaled: false), note,
            ]
        }
    }

    /// The plain-words sentences for one nation: the referral rate, then each share.
    ///
    /// With a catchment whose referrals come from a small part of it
    /// (``CatchmentConcentration/mismatch``), the referral-rate sentence is not drawn:
    /// the deciles then say where the places served sit in the nation's ranking (their
    /// rates diluted by every area they do not serve), and "referred 1.8 times as often"
    /// would be an artefact of that. The sentence says so instead.
    ///
    /// Indicators without indices for the same reason are said in one sentence
    /// (``ReachWording/withheldSentence(nation:_:)``), where the first of them would be.
    static func reachSentences(_ reach: ReachFigures, nation: String, mismatch: Bool = false) -> [String] {
        var sentences: [String] = []
        // The indicators without indices, by what is said of them, and where they go.
        var withheld: [(said: String, at: Int, indices: [InequalityIndex])] = []
        for indicator in InequalityColumn.Indicator.allCases {
            let sii = reach.index(nation, indicator, .sii), rii = reach.index(nation, indicator, .rii)
            guard sii != nil || rii != nil, !isWithheld(sii ?? rii) else { continue }
            if mismatch && indicator == .referralRate {
                sentences.append(ReachWording.gradientWithheld(nation: nation))
                continue
            }
            let index = InequalityIndex(indicator: indicator, sii: sii, rii: rii)
            guard index.sii == nil && index.rii == nil else {
                sentences.append(ReachWording.sentence(nation: nation, index, scale: reach.scale))
                continue
            }
            let said = "\(index.suppressed)|\(index.note ?? "")"
            if let i = withheld.firstIndex(where: { $0.said == said }) {
                withheld[i].indices.append(index)
            } else {
                withheld.append((said, sentences.count, [index]))
                sentences.append("")
            }
        }
        for entry in withheld { sentences[entry.at] = ReachWording.withheldSentence(nation: nation, entry.indices) }
        return sentences
    }

    /// Whether an index row is empty because the export does not record its field.
    static func isWithheld(_ row: [Cell]?) -> Bool {
        row.flatMap { $0[InequalityColumn.note].string }.flatMap(fieldNoteText) != nil
    }

    /// One sentence per indicator left out of the section because its field is not recorded.
    static func reachWithheldIndicatorSentences(_ reach: ReachFigures) -> [String] {
        InequalityColumn.Indicator.allCases.compactMap { indicator in
            let row = reach.nations.lazy.compactMap { reach.index($0, indicator, .sii) }.first { isWithheld($0) }
            guard let note = row?[InequalityColumn.note].string, let text = fieldNoteText(note) else { return nil }
            return "The inequality indices for the share of referrals that \(ReachWording.shareOutcome(indicator)) are not given: \(text)."
        }
    }

    static let reachAgeHeader = ["Age band", "Referrals", "Population", "Crude rate (95% CI)", "Note"]

    /// Why there is no table of rates by age band: the `age_band` rows are withheld
    /// because age is not (fully) recorded; `nil` when they are given.
    static func reachAgeWithheldSentence(_ reach: ReachFigures) -> String? {
        guard let note = reach.ageBands.first?[RateColumn.note].string, let text = fieldNoteText(note) else { return nil }
        return "There are no rates by age band and no age-standardised rates: \(text)."
    }

    /// The rows of the age-band table; none when age is not recorded (``reachAgeWithheldSentence(_:)``).
    static func reachAgeRows(_ reach: ReachFigures) -> [[String]] {
        guard reachAgeWithheldSentence(reach) == nil else { return [] }
        return reach.ageBands.map { row in
            [
                row[RateColumn.group].shown, groupedCell(row, .referrals), groupedCell(row, .population),
                rateWithInterval(row, .crudeRate, .crudeCILow, .crudeCIHigh, scale: reach.scale), rateNoteText(row),
            ]
        }
    }

    /// What the rates are, in sentences (the section's notes).
    static func reachNotes(_ reach: ReachFigures, _ context: ReportContext) -> [String] {
        var notes: [String] = []
        let scale = reach.scale
        var period = "Rates are \(scale.unit): referrals divided by person-years (the population × the years the period covers) × \(scale.words)"
        if let figures = context.rateFigures, let first = figures.firstDay, let last = figures.lastDay {
            period +=
                ", over \(first) to \(last) (\(NumberFormat.decimal(figures.years, places: 1)) years, \(figures.periodFixed ? "fixed by the pipeline" : "from the first to the last clean referral date"))"
        } else if let span = Report.period(context) {
            period += ", over the period the referrals cover (\(span))"
        }
        notes.append(period + ".")
        var population = "The population is the resident population of the small areas in the catchment"
        if let catchment = context.catchment { population += " (\(catchment))" }
        if let edition = context.populationEdition { population += ", from \(edition)" }
        notes.append(
            population
                + "; each referral is counted against its own small area's nation, decile and rurality, so numerator and denominator cover the same areas.")
        notes.append(
            "Crude rates carry Byar's 95% interval (exact Poisson below 10 referrals). Age-standardised rates are directly standardised to the 2013 European Standard Population (19 five-year groups, 90 and over) with Dobson's 95% interval; they are given only where single-year-of-age populations exist (not for Northern Ireland) and compare groups as if they had the same age structure."
        )
        notes.append(
            "Deciles are each nation's own (IMD, WIMD, SIMD, NIMDM; 1 = most deprived) and are never pooled across nations. The slope and relative indices of inequality are fitted across a nation's ten deciles by Low and Low's method as Public Health England's Fingertips computes it, the deciles ranked and weighted by the indicator's denominator (residents for the referral rate, referrals for the non-medical, contacted and intervention shares; the table says which), with 95% intervals by simulation from a fixed seed. SII and RII are given as Fingertips publishes them, least against most deprived (SII = least minus most deprived, RII = least over most deprived), so an SII below 0 or an RII below 1 means higher in the most deprived; the sentences say the direction in words."
        )
        if context.disclosureEnabled {
            notes.append(
                "Disclosure control: referral counts are rounded to the nearest \(context.roundTo) and counts of 1 to \(context.suppressUpTo) are suppressed; every rate and share is computed from the published count and the exact population (which is public), and is suppressed when the count is. A value shown as \"suppressed\" was withheld; \"\(ReachWording.empty)\" is a value that does not exist, with the reason beside it; neither is zero."
            )
        } else {
            notes.append(
                "Disclosure control is off: counts are exact. \"\(ReachWording.empty)\" is a value that does not exist, with the reason beside it; it is not zero."
            )
        }
        if scale.per != RateTableBuilder.perThousand, context.rateFigures != nil {
            notes.append(
                "The rates here are per \(scale.words) because the catchment's overall rate is under 1 per 1,000; tables/rates_by_group.csv gives the crude and age-standardised rates per 1,000 (as the output contract says) and again per \(scale.words) in its scaled columns."
            )
        }
        notes += reachLeftOutNotes(context)
        return notes
    }

    /// The notes that say what the rates leave out (referrals without an area, nations
    /// without referrals or single-year-of-age populations): the part of
    /// ``reachNotes(_:_:)`` that stays in view when the methods are folded away.
    static func reachLeftOutNotes(_ context: ReportContext) -> [String] {
        var notes: [String] = []
        if let figures = context.rateFigures {
            // Counts as the manifest publishes them: controlled when disclosure control is on.
            func count(_ value: Int64?) -> String { value.map { grouped(Int($0)) } ?? "a suppressed number" }
            let kind = context.disclosureEnabled ? "counts of records, controlled as above" : "exact counts of records"
            var left =
                "Referrals counted in the rates: \(count(figures.referralsInRates)). Left out (\(kind)): \(count(figures.unknownArea)) with no usable area code"
            let outside = Report.nations.compactMap { nation in figures.outsideCatchment[nation].map { "\(count($0)) in \(nation)" } }
            left += outside.isEmpty ? "" : "; outside the catchment or without a population: " + outside.joined(separator: ", ")
            if figures.periodFixed { left += "; \(count(figures.outsidePeriod)) dated outside the period the pipeline fixes" }
            left +=
                context.recording.note(.age) == nil
                ? ". \(count(figures.unknownAge)) with an unknown age are in the crude rates but not the age-standardised ones."
                : "; age is \(context.recording.wording(.age)), so every referral is in the crude rates and none in age-standardised ones."
            notes.append(left)
            if !figures.nationsLeftOut.isEmpty {
                let names = Report.nations.filter { figures.nationsLeftOut.contains($0) }
                notes.append(
                    "No referral comes from \(names.joined(separator: ", ")), so \(names.count == 1 ? "it is" : "they are") left out of the rates: no rows, and \(names.count == 1 ? "its" : "their") residents are not in the rate of all nations together."
                )
            }
            if !figures.nationsWithoutAges.isEmpty {
                let names = Report.nations.filter { figures.nationsWithoutAges.contains($0) }
                notes.append("No single-year-of-age population for \(names.joined(separator: ", ")): crude rates only there.")
            }
        }
        return notes
    }
}
