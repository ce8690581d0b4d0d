import SPRXAggregate
import SPRXCore

extension OrganisationColumn: SuppressibleColumn {}
extension ProvisionColumn: SuppressibleColumn {}

/// φ and τ² of one organisation funnel (Spiegelhalter's overdispersion, as
/// ``Overdispersion`` estimates them), as the run publishes them in the manifest.
public struct FunnelDispersion: Sendable, Equatable {
    /// The dispersion factor φ: above 1 the organisations vary more than chance alone.
    public var phi: Double
    /// The between-organisation variance τ² on the funnel's transformed scale
    /// (arcsine-square-root for shares, log for ratios).
    public var tau2: Double

    public init(phi: Double, tau2: Double) {
        self.phi = phi
        self.tau2 = tau2
    }

    public init(_ estimate: Overdispersion) { self.init(phi: estimate.phi, tau2: estimate.tau2) }

    /// The key of ``ReportContext/funnelDispersion``: "<indicator>/<proportion|ratio>"
    /// (`non_medical_share/ratio`).
    public static func key(_ indicator: OrganisationColumn.Indicator, _ scale: Overdispersion.Scale) -> String {
        "\(indicator.rawValue)/\(scale.rawValue)"
    }
}

/// What one funnel plots: the crude share (`proportion`) or the case-mix adjusted ratio
/// (`ratio`), against the plain limits or those widened for overdispersion; which
/// columns of `organisations.csv` that reads.
struct FunnelMeasure: Equatable, Sendable {
    var scale: Overdispersion.Scale
    var overdispersed: Bool

    /// The crude share against PHE's plain limits.
    static let crude = FunnelMeasure(scale: .proportion, overdispersed: false)

    /// The value plotted up: the share in percent, or the ratio.
    var value: OrganisationColumn { scale == .ratio ? .isr : .value }

    /// The lower and upper 95% and 99.8% limits, in that order.
    var limits: (lower95: OrganisationColumn, upper95: OrganisationColumn, lower998: OrganisationColumn, upper998: OrganisationColumn) {
        switch (scale, overdispersed) {
        case (.proportion, false): (.lower95, .upper95, .lower998, .upper998)
        case (.proportion, true): (.lower95OD, .upper95OD, .lower998OD, .upper998OD)
        case (.ratio, false): (.isrFunnelLower95, .isrFunnelUpper95, .isrFunnelLower998, .isrFunnelUpper998)
        case (.ratio, true): (.isrFunnelLower95OD, .isrFunnelUpper95OD, .isrFunnelLower998OD, .isrFunnelUpper998OD)
        }
    }

    /// Where the value lies against those limits.
    var flag: OrganisationColumn {
        switch (scale, overdispersed) {
        case (.proportion, false): .flag
        case (.proportion, true): .flagOD
        case (.ratio, false): .isrFlag
        case (.ratio, true): .isrFlagOD
        }
    }
}

/// One organisation's (or parent's) row of one indicator in `organisations.csv`, as one
/// funnel (``FunnelMeasure``) plots it.
struct FunnelPoint {
    typealias Flag = OrganisationColumn.Flag

    var code: String
    /// The lookup's name, `nil` without one.
    var name: String?
    /// The crude share's published numerator and denominator.
    var numerator: Int64?
    var denominator: Int64?
    /// The ratio's observed and expected counts.
    var observed: Double?
    var expected: Double?
    /// Across: the share's denominator, or the ratio's expected count.
    var x: Double?
    /// Up: the share in percent, or the ratio.
    var value: Double?
    /// The centre line: the overall share in percent, or 1 for a ratio.
    var overall: Double?
    var lower95: Double?
    var upper95: Double?
    var lower998: Double?
    var upper998: Double?
    var flag: Flag?
    var suppressed: Bool
    /// The row's `note` codes (``OrganisationColumn/Note``, joined by `;` in the table).
    var notes: Set<String>
    var measure: FunnelMeasure
    var row: [Cell]

    init(_ row: [Cell], measure: FunnelMeasure = .crude) {
        code = row[OrganisationColumn.organisationID].string ?? ""
        name = row[OrganisationColumn.name].string.flatMap { $0.isEmpty ? nil : $0 }
        numerator = row[OrganisationColumn.numerator].count
        denominator = row[OrganisationColumn.denominator].count
        observed = row[OrganisationColumn.observed].value
        expected = row[OrganisationColumn.expected].value
        switch measure.scale {
        case .proportion:
            x = denominator.map(Double.init)
            overall = row[OrganisationColumn.overall].value
        case .ratio:
            x = expected
            overall = 1
        }
        value = row[measure.value].value
        let limits = measure.limits
        lower95 = row[limits.lower95].value
        upper95 = row[limits.upper95].value
        lower998 = row[limits.lower998].value
        upper998 = row[limits.upper998].value
        flag = row[measure.flag].string.flatMap(Flag.init(rawValue:))
        suppressed = row[OrganisationColumn.suppressed].flag == true
        notes = Set((row[OrganisationColumn.note].string ?? "").split(separator: ";").map(String.init))
        self.measure = measure
        self.row = row
    }

    /// The name the lookup gives, else the code (neutralised as the table shows it).
    var label: String { CSVText.neutralised(name ?? code) }

    /// The value as the page says it: "40%" (the share's decimals) or "1.35" (a ratio).
    var valueText: String? {
        guard let value else { return nil }
        switch measure.scale {
        case .proportion: return NumberFormat.percent(value, denominator: denominator.map(Double.init)) + "%"
        case .ratio: return NumberFormat.ratio(value)
        }
    }
}

/// One funnel plot of the report: an indicator at a level, what it plots, its points and
/// centre, and in words how it was chosen (adjusted or crude, which limits, and why).
struct Funnel {
    var indicator: OrganisationColumn.Indicator
    var level: OrganisationColumn.Level
    var measure: FunnelMeasure
    /// The rows of the indicator and level, without the pooled row.
    var points: [FunnelPoint]
    /// The centre line: the overall share in percent, or 1.
    var overall: Double?
    /// φ and τ² of the funnel's kind, when the run gives them (organisations only).
    var dispersion: FunnelDispersion?
    /// What the funnel compares and which limits it draws, and why, in sentences.
    var method: [String]
    /// The strata that adjust the ratio, as a sentence names them ("age band and sex");
    /// `nil` for a crude funnel.
    var adjustedBy: String?

    var noun: String { level == .organisation ? "organisation" : "parent" }
}

/// Why a funnel is of the crude share, not the case-mix adjusted ratio: from the
/// `note` of the indicator's rows in `organisations.csv`, else from the run.
enum CrudeReason: Equatable {
    /// The pipeline's `case_mix` names no strata.
    case noStrataNamed
    /// The pipeline names strata, but the export records none of them (their names, as
    /// a sentence lists them).
    case noStratumRecorded(String)
    /// Too few organisations make the standard (the share of every organisation in each stratum).
    case tooFewOrganisations
    /// The table gives no ratio, and no note says why.
    case noRatio

    /// The reason for a funnel without an adjusted ratio: the rows' notes (`;`-joined
    /// ``OrganisationColumn/Note`` codes) first; a note that no stratum applies (or no
    /// strata used by the run) reads as "the pipeline names none" when it names none,
    /// else as "the export records none of them".
    init(notes: [String], _ context: ReportContext) {
        let codes = Set(notes.flatMap { $0.split(separator: ";").map(String.init) })
        let named = context.groupKey.caseMixStrata.map { DisplayNames.inSentence($0.title) }
        if codes.contains(OrganisationColumn.Note.caseMixTooFewOrganisations) {
            self = .tooFewOrganisations
        } else if codes.contains(OrganisationColumn.Note.caseMixNoStrata) || context.caseMixStrata.isEmpty {
            self = named.isEmpty ? .noStrataNamed : .noStratumRecorded(ReportContext.listed(named))
        } else {
            self = .noRatio
        }
    }
}

/// `organisations.csv`, `pcn_provision.csv` and `provision_by_deprivation.csv` read by
/// their typed columns: the numbers of the report's "Organisations compared" section.
struct PlaceFigures {
    typealias Indicator = OrganisationColumn.Indicator
    typealias Level = OrganisationColumn.Level

    let organisations: TableView<OrganisationColumn>
    let provision: TableView<ProvisionColumn>
    let gradient: TableView<ProvisionGradientColumn>

    /// The `organisation_id` of the row that pools the ids not published as they stand
    /// (not in the lookup, or without one not shaped like an organisation code).
    static let pooled = "(other)"

    /// The indicators the section draws as funnel plots (the issue's two); the table has all three.
    static let charted: [Indicator] = [.nonMedicalShare, .interventionShare]

    init(tables: PublishedTables) {
        organisations = TableView(tables.organisations)
        provision = TableView(tables.pcnProvision)
        gradient = TableView(tables.provisionByDeprivation)
    }

    var hasOrganisations: Bool { !organisations.rows.isEmpty }

    /// The rows of one indicator and level, without the pooled row, in the table's order,
    /// as `measure` plots them (by default the crude share against the plain limits).
    func points(_ indicator: Indicator, _ level: Level, measure: FunnelMeasure = .crude) -> [FunnelPoint] {
        organisations.select([.indicator: indicator.rawValue, .level: level.rawValue]).map { FunnelPoint($0, measure: measure) }
            .filter { $0.code != Self.pooled }
    }

    /// The pooled `(other)` row of one indicator and level, if published.
    func pooledRow(_ indicator: Indicator, _ level: Level, measure: FunnelMeasure = .crude) -> FunnelPoint? {
        organisations.first([.indicator: indicator.rawValue, .level: level.rawValue, .organisationID: Self.pooled])
            .map { FunnelPoint($0, measure: measure) }
    }

    /// The funnel the report draws for one indicator and level.
    ///
    /// The case-mix adjusted ratio when the table gives one for any of the rows (its
    /// `isr` column), else the crude share, saying why. For organisations, the limits
    /// widened for overdispersion when the run's φ for that indicator and kind is above 1
    /// and the table has those limits; the plain ones otherwise, saying why. Parents are
    /// drawn against the plain limits: φ and τ² are estimated among organisations.
    func funnel(_ indicator: Indicator, _ level: Level, _ context: ReportContext) -> Funnel {
        let rows = organisations.select([.indicator: indicator.rawValue, .level: level.rawValue])
            .filter { $0[OrganisationColumn.organisationID].string != Self.pooled }
        let noun = level == .organisation ? "organisation" : "parent"
        // A ratio with no strata named is the crude share rescaled: drawn as the share.
        let adjusted = rows.contains { $0[OrganisationColumn.isr].value != nil } && !context.caseMixStrata.isEmpty
        let scale: Overdispersion.Scale = adjusted ? .ratio : .proportion
        let adjustedBy = adjusted ? PlaceWording.strata(context.caseMixStrata) : nil
        let notes = organisations.select([.indicator: indicator.rawValue]).compactMap { $0[OrganisationColumn.note].string }
        var method = [
            adjustedBy.map { PlaceWording.adjustedSentence(indicator, by: $0, noun: noun) }
                ?? PlaceWording.crudeSentence(CrudeReason(notes: notes, context), noun: noun)
        ]
        var measure = FunnelMeasure(scale: scale, overdispersed: false)
        var dispersion: FunnelDispersion?
        if level == .parent {
            method.append(PlaceWording.parentLimitsSentence)
        } else if let found = context.funnelDispersion[FunnelDispersion.key(indicator, scale)] {
            dispersion = found
            let widened = FunnelMeasure(scale: scale, overdispersed: true)
            let hasWidened = rows.contains { $0[widened.limits.lower95].value != nil || $0[widened.limits.upper95].value != nil }
            if found.phi > 1 && hasWidened {
                measure = widened
                method.append(PlaceWording.overdispersedSentence(found, scale))
            } else {
                method.append(
                    found.phi > 1
                        ? PlaceWording.widenedMissingSentence(found)
                        : PlaceWording.notOverdispersedSentence(found, scale, overall: overall(indicator, level)))
            }
        } else {
            method.append(PlaceWording.noDispersionSentence)
        }
        let points = rows.map { FunnelPoint($0, measure: measure) }
        let overall = scale == .ratio ? (points.isEmpty ? nil : 1) : overall(indicator, level)
        return Funnel(
            indicator: indicator, level: level, measure: measure, points: points, overall: overall, dispersion: dispersion, method: method,
            adjustedBy: adjustedBy)
    }

    /// Whether the report draws a funnel of `indicator`: not when its field is not
    /// recorded (absent is not zero: the section says why instead).
    static func isCharted(_ indicator: Indicator, _ context: ReportContext) -> Bool {
        if context.recording.notRecorded.contains(.organisationID) { return false }
        return switch indicator {
        case .nonMedicalShare: true
        case .contactedShare: context.recording.contactedShareNote == nil
        case .interventionShare: context.recording.interventionShareNote == nil
        }
    }

    /// The overall value of one indicator and level (every row carries it).
    func overall(_ indicator: Indicator, _ level: Level) -> Double? {
        organisations.select([.indicator: indicator.rawValue, .level: level.rawValue]).lazy.compactMap { $0[OrganisationColumn.overall].value }.first
    }

    /// Whether the lookup named parents, so the table has parent rows.
    var hasParents: Bool { !organisations.select([.level: Level.parent.rawValue]).isEmpty }

    // MARK: Provision

    /// The census dates of the national gradient, earliest first.
    var censusDates: [String] {
        Set(gradient.rows.compactMap { $0[ProvisionGradientColumn.censusDate].string }).sorted()
    }

    /// The latest census date whose national figures have registered patients (so a value).
    var latestCensus: String? {
        censusDates.last { date in
            gradient.select([.censusDate: date, .measure: Self.ftePer50000]).contains { $0[ProvisionGradientColumn.value].value != nil }
        }
    }

    static let ftePer50000 = "fte_per_50000", sii = "sii", rii = "rii", allGroups = "all"

    /// The national row of `measure` and `group` at `date`.
    func gradientRow(_ date: String, _ measure: String, _ group: String) -> [Cell]? {
        gradient.first([.censusDate: date, .measure: measure, .group: group])
    }

    /// The census date the provision part speaks of: the coverage's national figures date
    /// (the latest census the referrals cover, else the one nearest their period; see
    /// ``CensusCoverage/reported``) when the national table has a value for it, else
    /// ``latestCensus``. Never a date chosen only for being the file's last.
    func reportedCensus(_ coverage: CensusCoverage?) -> String? {
        if let date = coverage?.reported,
            gradient.select([.censusDate: date, .measure: Self.ftePer50000]).contains(where: { $0[ProvisionGradientColumn.value].value != nil })
        {
            return date
        }
        return latestCensus
    }

    /// The data's networks at `date`, in the table's order.
    func networks(_ date: String) -> [[Cell]] { provision.select([.censusDate: date]) }

    /// The census dates the data's networks have rows for, earliest first.
    var networkDates: [String] { Set(provision.rows.compactMap { $0[ProvisionColumn.censusDate].string }).sorted() }
}

/// A PCN's deprivation quintile (text or count in the table), `nil` when empty.
func quintile(_ cell: Cell) -> Int? {
    if let count = cell.count { return Int(count) }
    return cell.string.flatMap { Int($0) }
}

/// Numbers into words for the organisations section, written once.
///
/// Rules: a flag reads as where the value lies against the limits ("above the 99.8%
/// limit"); counts of organisations are exact counts of published rows; a share has one
/// decimal; an organisation is named by the lookup's name, else its code.
enum PlaceWording {
    typealias Flag = OrganisationColumn.Flag

    static func flagWords(_ flag: Flag) -> String {
        switch flag {
        case .above998: "above the 99.8% limit"
        case .above95: "above the 95% limit only"
        case .within: "within the 95% limits"
        case .below95: "below the 95% limit only"
        case .below998: "below the 99.8% limit"
        }
    }

    /// A flag in a table cell.
    static func flagCell(_ flag: Flag?) -> String {
        guard let flag else { return "" }
        switch flag {
        case .above998: return "above 99.8%"
        case .above95: return "above 95%"
        case .within: return "within"
        case .below95: return "below 95%"
        case .below998: return "below 99.8%"
        }
    }

    static func indicatorName(_ indicator: OrganisationColumn.Indicator) -> String {
        switch indicator {
        case .nonMedicalShare: "Non-medical share"
        case .contactedShare: "Reached a link worker"
        case .interventionShare: "Received an intervention"
        }
    }

    static func indicatorSubject(_ indicator: OrganisationColumn.Indicator) -> String {
        switch indicator {
        case .nonMedicalShare: "share of referrals through non-medical routes"
        case .contactedShare: "share of referrals that reached a link worker"
        case .interventionShare: "share of referrals that received at least one intervention"
        }
    }

    /// What a funnel's points are, as a phrase: the indicator's share, or its case-mix
    /// adjusted ratio.
    static func subject(_ indicator: OrganisationColumn.Indicator, _ measure: FunnelMeasure) -> String {
        measure.scale == .ratio ? "case-mix adjusted ratio of \(countedNoun(indicator)), observed to expected" : indicatorSubject(indicator)
    }

    /// The referrals an indicator counts, as a noun phrase.
    static func countedNoun(_ indicator: OrganisationColumn.Indicator) -> String {
        switch indicator {
        case .nonMedicalShare: "referrals through non-medical routes"
        case .contactedShare: "referrals that reached a link worker"
        case .interventionShare: "referrals that received at least one intervention"
        }
    }

    /// An observed or expected number: whole when it is (observed counts), else 3
    /// significant digits (expected numbers are sums of shares).
    static func countFigure(_ value: Double) -> String {
        value == value.rounded() ? NumberFormat.whole(value) : NumberFormat.significant(value)
    }

    /// φ or τ² as the page prints them: 3 significant digits.
    static func dispersionFigure(_ value: Double) -> String { NumberFormat.significant(value, digits: 3) }

    /// The strata that adjust a ratio as a sentence lists them: titles ("Age band") in
    /// lower case, abbreviations kept ("IMD quintile"); "age band, sex and nation".
    static func strata(_ titles: [String]) -> String { ReportContext.listed(titles.map(DisplayNames.inSentence)) }

    /// The adjusted funnel's method: what the ratio is and which strata (``strata(_:)``) adjust it.
    static func adjustedSentence(_ indicator: OrganisationColumn.Indicator, by strata: String, noun: String) -> String {
        "Adjusted for case mix by \(strata): each \(noun)'s \(countedNoun(indicator)) (observed) against the number its own mix of people would have at every organisation's shares (expected); 1 is as expected, 1.20 is 20% more."
    }

    /// ``adjustedSentence(_:by:noun:)`` after it has been said once in the section.
    static func adjustedAsAbove(_ strata: String) -> String {
        "Adjusted for case mix by \(strata), as above: observed against expected, 1 is as expected."
    }

    /// Why a funnel compares crude shares, in words (no case-mix wording: nothing is adjusted).
    static func crudeSentence(_ reason: CrudeReason, noun: String) -> String {
        let why: String
        switch reason {
        case .noStrataNamed:
            why = "the pipeline names no groups of people (strata such as age band or sex) to adjust the comparison by"
        case .noStratumRecorded(let named):
            why = "this export records none of the groups the pipeline adjusts by, which are \(named)"
        case .tooFewOrganisations:
            why = "too few organisations have published counts to form a standard to adjust by (the share all organisations have in each group of people)"
        case .noRatio:
            return
                "Crude shares, unadjusted: tables/organisations.csv gives no adjusted ratio for this indicator, so a share reflects whom \(anOrganisation(noun)) serves as well as what it does."
        }
        return
            "Crude shares, unadjusted: \(why), so tables/organisations.csv gives no adjusted ratio and a share reflects whom \(anOrganisation(noun)) serves as well as what it does."
    }

    /// "an organisation", "a parent".
    static func anOrganisation(_ noun: String) -> String { noun == "organisation" ? "an organisation" : "a \(noun)" }

    /// The overdispersed limits in words, with φ and τ².
    static func overdispersedSentence(_ dispersion: FunnelDispersion, _ scale: Overdispersion.Scale) -> String {
        let onScale = scale == .ratio ? "the log scale" : "the arcsine-square-root scale"
        return
            "Limits widened for overdispersion: organisations vary more than chance alone would make them (φ = \(dispersionFigure(dispersion.phi)), above 1; τ² = \(dispersionFigure(dispersion.tau2)) on \(onScale)), so a point outside differs by more than organisations commonly do."
    }

    /// The overall share from which an outcome is common enough for the ratio's φ to
    /// read low by construction (its Poisson variance overstates a share's by 1/(1 − p)).
    static let commonOutcome = 50.0

    /// Why the plain limits: φ is not above 1. For a share that means the organisations
    /// vary no more than chance; for a ratio it need not (φ is taken on the log scale as
    /// if the counts were Poisson, with the 10% at each end left out, so a common outcome
    /// gives a low φ whatever the organisations do): said so, with the overall share
    /// (in percent) when it is at least ``commonOutcome``.
    static func notOverdispersedSentence(_ dispersion: FunnelDispersion, _ scale: Overdispersion.Scale = .proportion, overall: Double? = nil) -> String {
        let phi = "φ = \(dispersionFigure(dispersion.phi)), not above 1"
        guard scale == .ratio else { return "Plain limits: organisations vary no more than chance alone would make them (\(phi))." }
        let common =
            overall.flatMap { $0 >= commonOutcome ? "for a common outcome like this one (\(TrendWording.percent($0)) of referrals overall)" : nil }
            ?? "for a common outcome"
        return
            "Plain limits (\(phi)), which does not show that organisations vary no more than chance: for a ratio φ is worked out as if each count could vary as freely as a count of rare events, leaving out the 10% most extreme organisations at each end, so \(common) it comes out low by construction."
    }

    /// Why the plain limits although φ is above 1: the table has no widened ones.
    static func widenedMissingSentence(_ dispersion: FunnelDispersion) -> String {
        "Plain limits, although organisations vary more than chance alone would make them (φ = \(dispersionFigure(dispersion.phi))): tables/organisations.csv gives no widened limits, so more lie outside than chance alone would put there."
    }

    /// Why the plain limits: the run gives no φ for this funnel.
    static let noDispersionSentence =
        "Plain limits: no dispersion factor could be estimated for this funnel (it is estimated from the organisations' exact counts and needs at least two organisations with referrals, three under disclosure control, and on a ratio's log scale every organisation it keeps must have at least one observed referral), so no overdispersion is allowed for."

    /// Why the parents' limits are the plain ones.
    static let parentLimitsSentence = "Plain limits: overdispersion is estimated among organisations, not parents."

    /// "1 organisation", "3 organisations" (or parents).
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// How many organisations lie where against the limits, in one or two sentences
    /// (bands with none are left out; "only" means between the 95% and 99.8% limits).
    static func flagSentence(_ points: [FunnelPoint], _ indicator: OrganisationColumn.Indicator, noun: String) -> String {
        let flagged = points.filter { $0.flag != nil && $0.value != nil }
        // Published but left unflagged: a ratio whose expected number is too small for its
        // funnel limits, else rounding could carry the value across a limit.
        let unplaced = points.filter { $0.flag == nil && $0.value != nil }
        let tooSmall =
            (points.first?.measure ?? .crude).scale == .ratio ? unplaced.filter { $0.notes.contains(OrganisationColumn.Note.expectedTooSmall) }.count : 0
        let unflagged = unplaced.count - tooSmall
        let suppressed = points.count - flagged.count - unplaced.count
        let counts = Flag.allCases.map { flag in (flag, flagged.filter { $0.flag == flag }.count) }.filter { $0.1 > 0 }
        let measure = points.first?.measure ?? .crude
        var sentence =
            (measure.overdispersed ? "Against limits widened for overdispersion, of" : "Of")
            + " \(count(flagged.count, noun)) with a published \(subject(indicator, measure)), "
        if counts.count == 1, let only = counts.first {
            sentence += "\(flagged.count == 1 ? "it lies" : "all \(flagged.count) lie") \(flagWords(only.0))."
        } else {
            let parts = counts.enumerated().map { i, item in
                i == 0 ? "\(item.1) \(item.1 == 1 ? "lies" : "lie") \(flagWords(item.0))" : "\(item.1) \(flagWords(item.0))"
            }
            sentence += list(parts) + "."
        }
        if flagged.isEmpty { sentence = "No \(noun) has a published \(subject(indicator, measure))." }
        if suppressed > 0 { sentence += " \(suppressed) more \(noun)\(suppressed == 1 ? " is" : "s are") suppressed." }
        if tooSmall > 0 {
            sentence +=
                " \(tooSmall) more \(noun)\(tooSmall == 1 ? " is" : "s are") not flagged: \(tooSmall == 1 ? "its" : "their") expected number is too small for the ratio's funnel limits."
        }
        if unflagged > 0 {
            sentence +=
                " \(unflagged) more \(noun)\(unflagged == 1 ? " is" : "s are") left unflagged: the rounding of small counts could move \(unflagged == 1 ? "its" : "their") \(measure.scale == .ratio ? "ratio" : "share")\(unflagged == 1 ? "" : "s") across a limit."
        }
        return sentence
    }

    /// Those outside the 99.8% limits, the furthest out first: by how far beyond the
    /// overall share they lie in units of the distance to their 99.8% limit.
    static func outliers(_ points: [FunnelPoint]) -> [FunnelPoint] {
        func extremity(_ point: FunnelPoint) -> Double {
            guard let value = point.value, let overall = point.overall else { return 0 }
            let limit = point.flag == .above998 ? point.upper998 : point.lower998
            guard let limit, limit != overall else { return 0 }
            return (value - overall) / (limit - overall)
        }
        return points.enumerated().filter { $0.element.flag == .above998 || $0.element.flag == .below998 }
            .sorted { extremity($0.element) != extremity($1.element) ? extremity($0.element) > extremity($1.element) : $0.offset < $1.offset }.map(\.element)
    }

    /// The most organisations the outlier sentence names (the furthest out); the table
    /// lists the rest. Five keeps a report of hundreds of organisations within its pages.
    static let namedOutliers = 5

    /// Those outside the 99.8% limits, named (the furthest out first), with their values; `nil` when none.
    static func outlierSentence(_ points: [FunnelPoint], overall: Double?) -> String? {
        let outside = outliers(points)
        guard !outside.isEmpty else { return nil }
        let ratio = outside.first?.measure.scale == .ratio
        var named = outside.prefix(namedOutliers).map { point -> String in
            let value = point.valueText ?? ReachWording.suppressed
            let of: String
            if ratio {
                of = point.observed.flatMap { o in point.expected.map { ": \(countFigure(o)) against \(countFigure($0)) expected" } } ?? ""
                return "\(point.label) (ratio \(value)\(of), \(point.flag == .above998 ? "above" : "below"))"
            }
            of = point.denominator.map { " of \(Report.grouped(Int($0))) referrals" } ?? ""
            return "\(point.label) (\(value)\(of), \(point.flag == .above998 ? "above" : "below"))"
        }
        if outside.count > namedOutliers { named.append("\(outside.count - namedOutliers) more in the table") }
        let widened = outside.first?.measure.overdispersed == true ? " overdispersed" : ""
        let centre = ratio ? "; 1 is as expected" : overall.map { "; overall \(TrendWording.percent($0))" } ?? ""
        return "Outside the\(widened) 99.8% limits: " + list(named) + centre + "."
    }

    /// "a, b and c".
    static func list(_ items: [String]) -> String {
        items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
    }

    /// A `pcn_provision.csv` note in plain words: each code (joined by `;`) as a phrase,
    /// so the report never shows a code and never calls absent public data suppressed.
    static func provisionNote(_ note: String) -> String {
        typealias Note = ProvisionColumn.Note
        let phrases = note.split(separator: ";").map(String.init).map { code -> String in
            switch code {
            case Note.outsideDataPeriod: "referrals not counted: this export does not cover the census's three months"
            case Note.suppressed: "referrals suppressed by disclosure control"
            case Note.noWorkforceReturn: "no workforce return for this census (public data absent, not withheld)"
            case Note.noRegisteredPatients: "no registered-patient count within 31 days of the census"
            case Note.noLinkWorkerFTE: "no link worker time recorded (FTE 0)"
            case Note.noDeprivationScore: "none of its practices has an IMD 2019 score"
            default: code.replacingOccurrences(of: "_", with: " ")
            }
        }
        return phrases.joined(separator: "; ")
    }

    /// A `provision_by_deprivation.csv` note in plain words (`no_workforce_return=12`:
    /// "12 networks without a workforce return, left out").
    static func gradientNote(_ note: String) -> String {
        typealias Note = ProvisionGradientColumn.Note
        let phrases = note.split(separator: ";").map(String.init).map { code -> String in
            func networks(_ prefix: String) -> String? {
                guard code.hasPrefix(prefix), let n = Int(code.dropFirst(prefix.count)) else { return nil }
                return count(n, "network")
            }
            if let n = networks(Note.noWorkforceReturn) { return "\(n) without a workforce return (public data absent), left out" }
            if let n = networks(Note.noRegisteredPatients) { return "\(n) without registered patients at the extract, left out" }
            switch code {
            case Note.fewerThanTwo: return "fewer than 2 networks, so no interval"
            case Note.quintileWithoutValue: return "a quintile has no value, so no index"
            case Note.notEstimable: return "the index cannot be estimated"
            default: return code.replacingOccurrences(of: "_", with: " ")
            }
        }
        return phrases.joined(separator: "; ")
    }

    /// The census date as a sentence names it: with where it lies against the referrals'
    /// period when they do not cover it ("2025-03-31 (a census after this export's
    /// referrals, which end 2024-03-09)").
    static func censusDate(_ date: String, _ coverage: CensusCoverage?) -> String {
        guard let coverage, !coverage.covered.contains(date), let first = coverage.periodFirst, let last = coverage.periodLast else { return date }
        if date > last { return "\(date) (a census after this export's referrals, which end \(last))" }
        if date < first { return "\(date) (a census before this export's referrals, which start \(first))" }
        return "\(date) (a census whose three months this export's referrals do not all cover)"
    }

    /// FTE per 50,000 in words, one decimal (``NumberFormat/fte(_:)``).
    static func fte(_ value: Double) -> String { NumberFormat.fte(value) }

    /// The provision gradient in plain words, from the published SII and RII.
    ///
    /// Convention as in `inequality.csv` (Public Health England's): quintiles from most
    /// deprived (x = 0) to least deprived (x = 1), SII = fitted least − fitted most
    /// deprived, RII = fitted least / fitted most deprived. So an SII above 0 means more
    /// provision in the least deprived networks.
    static func gradientSentence(sii: [Cell]?, rii: [Cell]?, date: String, coverage: CensusCoverage? = nil) -> String? {
        let date = censusDate(date, coverage)
        guard let sii, let value = sii[ProvisionGradientColumn.value].value else {
            let note = (sii ?? rii).flatMap { $0[ProvisionGradientColumn.note].string }.flatMap { $0.isEmpty ? nil : gradientNote($0) }
            return sii == nil && rii == nil ? nil : "At \(date) the slope index of inequality is not given" + (note.map { " (\($0))" } ?? "") + "."
        }
        let low = sii[ProvisionGradientColumn.ciLow].value, high = sii[ProvisionGradientColumn.ciHigh].value
        let interval = low.flatMap { l in high.map { ", 95% interval \(fte(l)) to \(fte($0))" } } ?? ""
        let includesZero = (low ?? 1) <= 0 && (high ?? -1) >= 0 && low != nil
        let direction =
            includesZero
            ? "its 95% interval includes no difference"
            : value > 0
                ? "more link worker time in the least deprived networks" : value < 0 ? "more link worker time in the most deprived networks" : "no difference"
        var sentence =
            "At \(date), the modelled difference in link worker FTE per 50,000 registered patients from the most to the least deprived fifth of England's networks (the slope index of inequality, least minus most deprived) is \(fte(value))\(interval): \(direction)."
        if let rii, let ratio = rii[ProvisionGradientColumn.value].value {
            let rl = rii[ProvisionGradientColumn.ciLow].value, rh = rii[ProvisionGradientColumn.ciHigh].value
            sentence +=
                " The least deprived end has \(ReachWording.ratio(ratio)) times the provision of the most deprived (relative index of inequality"
                + (rl.flatMap { l in rh.map { ", 95% interval \(ReachWording.ratio(l)) to \(ReachWording.ratio($0))" } } ?? "") + ")."
        }
        return sentence
    }
}

extension Report {
    static let placeTitle = "Organisations compared"
    static let noOrganisations =
        "There are no organisation figures in this run: tables/organisations.csv is absent or has no rows (the referrals give no organisation)."
    static let placeIntro =
        "Each organisation beside all organisations, in funnel plots: the further right, the more referrals the organisation has (or is expected to have), so the narrower the range its figure would take by chance alone. The curves are 95% and 99.8% limits around the figure for all organisations; by chance alone about 1 in 20 organisations lies outside the 95% limits and 1 in 500 outside the 99.8% limits, so a point outside the 99.8% limits is worth a closer look, not a verdict."
    static let provisionTitle = "Link worker provision per primary care network"
    static let noProvision =
        "Link worker provision figures are not there for this run: the pipeline names no provision files, or no organisation maps to an English primary care network (tables/pcn_provision.csv and tables/provision_by_deprivation.csv are absent or have no rows). Nothing is estimated in their place."

    static let organisationHeader = [
        "Organisation", "Code", "Type", "Parent", "Numerator", "Denominator", "%", "95% limits", "99.8% limits", "Against the limits",
    ]

    /// The table of an adjusted funnel: observed, expected and their ratio.
    static let ratioHeader = [
        "Organisation", "Code", "Type", "Parent", "Observed", "Expected", "Ratio", "Ratio 95% limits", "Ratio 99.8% limits", "Against the limits",
    ]

    static func organisationHeader(_ measure: FunnelMeasure) -> [String] { measure.scale == .ratio ? ratioHeader : organisationHeader }

    /// A limit pair with the share's decimals: "21–30", or "" when not published.
    static func limits(_ row: [Cell], _ low: OrganisationColumn, _ high: OrganisationColumn) -> String {
        percentRange(row, low, high) ?? ""
    }

    /// A limit pair as `measure` prints it: a share's with its decimals (from the
    /// row's denominator), a ratio's with 2; "" when not published.
    static func limits(_ row: [Cell], _ low: OrganisationColumn, _ high: OrganisationColumn, _ measure: FunnelMeasure) -> String {
        guard let l = row[low].value, let h = row[high].value else { return "" }
        if measure.scale == .ratio { return NumberFormat.range(NumberFormat.ratio(l), NumberFormat.ratio(h)) }
        let places = NumberFormat.percentPlaces(denominator: row[OrganisationColumn.denominator].value)
        return NumberFormat.range(NumberFormat.percentLimit(l, places: places), NumberFormat.percentLimit(h, places: places))
    }

    /// A ratio's observed or expected count (``PlaceWording/countFigure(_:)``), "suppressed" when the row is.
    static func ratioCount(_ row: [Cell], _ column: OrganisationColumn) -> String {
        guard let value = row[column].value else { return row[OrganisationColumn.suppressed].flag == true ? "suppressed" : "" }
        return PlaceWording.countFigure(value)
    }

    /// How many organisations a table of the report lists at most: those outside a limit
    /// first, then the largest; the rest are in tables/organisations.csv (a national
    /// extract can have thousands).
    static let listedOrganisations = 40

    /// One indicator's rows at one level: organisations outside a limit (furthest band
    /// first), then the others by published denominator, at most ``listedOrganisations``,
    /// a line counting those left to the CSV, then the pooled row.
    static func organisationRows(_ figures: PlaceFigures, _ indicator: PlaceFigures.Indicator, _ level: PlaceFigures.Level) -> [[String]] {
        organisationRows(figures.points(indicator, level), pooled: figures.pooledRow(indicator, level))
    }

    /// A funnel's rows as its table lists them (``organisationRows(_:_:_:)``, in the
    /// funnel's own measure: the ratio's counts and limits for an adjusted funnel).
    static func organisationRows(_ figures: PlaceFigures, _ funnel: Funnel) -> [[String]] {
        organisationRows(funnel.points, pooled: figures.pooledRow(funnel.indicator, funnel.level, measure: funnel.measure))
    }

    static func organisationRows(_ points: [FunnelPoint], pooled: FunnelPoint?) -> [[String]] {
        let order: [OrganisationColumn.Flag?] = [.above998, .below998, .above95, .below95]
        let flagged = order.flatMap { flag in points.filter { $0.flag == flag } }
        let others = points.filter { point in !flagged.contains { $0.code == point.code } }.enumerated()
            .sorted { ($0.element.x ?? -1, -$0.offset) > ($1.element.x ?? -1, -$1.offset) }
            .map(\.element)
        let listed = Array((flagged + others).prefix(listedOrganisations))
        func cells(_ point: FunnelPoint) -> [String] {
            let row = point.row, measure = point.measure, limits = measure.limits
            let figures =
                measure.scale == .ratio
                ? [
                    ratioCount(row, .observed), ratioCount(row, .expected),
                    point.value.map(NumberFormat.ratio) ?? (point.suppressed ? "suppressed" : ""),
                ]
                : [cell(row, in: OrganisationColumn.numerator), cell(row, in: OrganisationColumn.denominator), cell(row, in: OrganisationColumn.value)]
            return [
                point.code == PlaceFigures.pooled ? "Ids not published as they stand, pooled" : point.label, row[OrganisationColumn.organisationID].shown,
                row[OrganisationColumn.organisationType].shown, row[OrganisationColumn.parentID].shown,
            ] + figures + [
                Self.limits(row, limits.lower95, limits.upper95, measure), Self.limits(row, limits.lower998, limits.upper998, measure),
                PlaceWording.flagCell(point.flag),
            ]
        }
        var rows = listed.map(cells)
        if points.count > listed.count {
            let more = points.count - listed.count
            rows.append(["\(PlaceWording.count(more, "more organisation")) in tables/organisations.csv", "", "", "", "", "", "", "", "", ""])
        }
        return rows + (pooled.map { [cells($0)] } ?? [])
    }

    /// What the organisation figures are, in sentences.
    static func placeNotes(_ figures: PlaceFigures, _ context: ReportContext) -> [String] {
        var notes = [
            "Each organisation is an organisation code of the referrals; names, types and parents come from the pipeline's organisation lookup when it names one, otherwise the code is shown. The non-medical share is of all the organisation's referrals; contacted and intervention shares as in tables/pathway_by_group.csv.",
            "Limits: Public Health England's funnel plot method, 95% (about 2 standard deviations) and 99.8% (about 3), for a proportion around the overall share at each organisation's number of referrals, or for an indirectly standardised ratio around 1 at its expected number. The curves are drawn through the limits tables/organisations.csv gives at each organisation's denominator (or expected number).",
            context.caseMixStrata.isEmpty
                ? "No adjustment for whom an organisation serves in this run: the funnels are of crude shares, each saying why (the ratio of observed to expected needs groups of people, strata, named by the pipeline and recorded in the export, and enough organisations to form a standard from)."
                : "Case-mix adjustment (indirect standardisation): an organisation's expected number is the sum, over its referrals' groups of \(PlaceWording.strata(context.caseMixStrata)), of the share all organisations have in that group; its ratio is observed over expected. A funnel is drawn of the ratio when tables/organisations.csv gives it, else of the crude share, and says why.",
            "Overdispersion (Spiegelhalter 2005, as nhs-r-community/FunnelPlotR computes it): with many organisations, real differences between them put more than 1 in 20 outside the plain 95% limits. Each organisation's z-score is taken on the arcsine-square-root scale for a share or the log scale for a ratio; the dispersion factor φ is the mean squared z-score after the 10% most extreme at each end are set to the 10th and 90th percentiles (shares) or left out (ratios, as SHMI does); when φ is above 1 the between-organisation variance τ² is added to each organisation's own variance and the limits widened by it, never drawn in: each is at least as far out as the plain one, so an organisation lies no further outside them than outside the plain limits. For a ratio the z-score treats each count as a Poisson count, which for a common outcome overstates its chance variation, so a ratio's φ reads low there. The manifest gives φ and τ² for every funnel.",
            "An organisation code is published only when the organisation lookup lists it or, without a lookup, when it has the shape of an organisation code (one letter and five digits, as U10001 or B82005), so that no free text or personal identifier typed into the column is shown; the others are pooled in one row, (other), which is in the tables but not the charts. Tables here list at most \(listedOrganisations) organisations (those outside a limit first, then the largest); tables/organisations.csv has them all.",
        ]
        if context.disclosureEnabled {
            notes.append(
                "Disclosure control: counts are rounded to the nearest \(context.roundTo) and counts of 1 to \(context.suppressUpTo) are suppressed; shares are computed from the rounded counts, and an organisation whose share is suppressed is counted as suppressed, not placed. A flag is given only when no true count the rounded ones can stand for would flag otherwise, so small organisations near a limit are left unflagged."
            )
        }
        return notes
    }

    // MARK: Provision

    static let provisionHeader = [
        "Primary care network", "Code", "Link worker FTE", "Registered patients", "FTE per 50,000", "Referrals", "Referrals per 1,000 per year",
        "Referrals per FTE per year", "IMD score", "Quintile", "Note",
    ]

    /// A `pcn_provision.csv` cell as the report prints it: an empty cell says why in
    /// words: "suppressed" only for the referral figures disclosure control withholds,
    /// "no return" for FTE the workforce census lacks (public data absent, not withheld),
    /// "no count" for registered patients without an extract, "not covered" for referrals
    /// of a census whose three months the export does not cover.
    static func provisionCell(_ row: [Cell], _ column: ProvisionColumn) -> String {
        let kind: NumberFormat.Kind
        switch column {
        case .splwFTE, .ftePer50000: kind = .fte
        case .imdScore: kind = .points
        case .registeredPatients, .referrals: kind = .count
        default: kind = .significant
        }
        if let shown = NumberFormat.text(row[column], as: kind) { return shown }
        let notes = Set((row[ProvisionColumn.note].string ?? "").split(separator: ";").map(String.init))
        switch column {
        case .splwFTE: return notes.contains(ProvisionColumn.Note.noWorkforceReturn) ? "no return" : ""
        case .registeredPatients: return notes.contains(ProvisionColumn.Note.noRegisteredPatients) ? "no count" : ""
        case .referrals, .referralsPer1000, .referralsPerFTE:
            if row[ProvisionColumn.suppressed].flag == true { return "suppressed" }
            return column == .referrals && notes.contains(ProvisionColumn.Note.outsideDataPeriod) ? "not covered" : ""
        default: return ""
        }
    }

    /// The data's networks at `date`, as published.
    static func provisionRows(_ figures: PlaceFigures, _ date: String) -> [[String]] {
        figures.networks(date).map { row in
            func text(_ column: ProvisionColumn) -> String { provisionCell(row, column) }
            let name = row[ProvisionColumn.pcnName].shown
            let patients = text(.registeredPatients)
            return [
                name.isEmpty ? row[ProvisionColumn.pcnCode].shown : name, row[ProvisionColumn.pcnCode].shown, text(.splwFTE), patients, text(.ftePer50000),
                text(.referrals), text(.referralsPer1000), text(.referralsPerFTE), text(.imdScore), text(.imdQuintile),
                PlaceWording.provisionNote(row[ProvisionColumn.note].string ?? ""),
            ]
        }
    }

    static let gradientHeader = ["Quintile of networks", "Networks", "Link worker FTE", "Registered patients", "FTE per 50,000 (95% CI)", "Note"]

    /// The national gradient at `date`: quintiles 1 to 5, then all networks.
    static func provisionGradientRows(_ figures: PlaceFigures, _ date: String) -> [[String]] {
        let groups = (1...5).map(String.init) + [PlaceFigures.allGroups]
        return groups.compactMap { group in
            guard let row = figures.gradientRow(date, PlaceFigures.ftePer50000, group) else { return nil }
            func fte(_ column: ProvisionGradientColumn) -> String? { row[column].value.map(NumberFormat.fte) }
            let value = fte(.value) ?? ReachWording.empty
            let interval = fte(.ciLow).flatMap { l in fte(.ciHigh).map { " (\(NumberFormat.range(l, $0)))" } } ?? ""
            let label =
                group == PlaceFigures.allGroups
                ? "All networks" : group == "1" ? "1 (most deprived)" : group == "5" ? "5 (least deprived)" : group
            let patients = row[ProvisionGradientColumn.registeredPatients].count.map { grouped(Int($0)) } ?? ""
            return [
                label, printed(row[ProvisionGradientColumn.pcns]) ?? "", fte(.splwFTE) ?? "", patients, value + interval,
                PlaceWording.gradientNote(row[ProvisionGradientColumn.note].string ?? ""),
            ]
        }
    }

    /// Where the referrals' period lies among the census dates, when it covers none of
    /// them (or the figures shown are for a census it does not cover): the coverage's
    /// explanation, said before any figure; `nil` otherwise.
    static func provisionPeriodNote(_ coverage: CensusCoverage?) -> String? {
        guard let coverage, coverage.covered.isEmpty || !coverage.reportedIsCovered else { return nil }
        return coverage.explanation
    }

    /// What the provision figures are, in sentences (the census dates covered first, when
    /// the referrals cover some).
    static func provisionNotes(_ coverage: CensusCoverage? = nil) -> [String] {
        provisionInViewNotes(coverage) + [
            "Link worker FTE is NHS England's workforce census of social prescribing link workers per primary care network; registered patients are NHS Digital's counts of patients registered at the network's practices. FTE per 50,000 = 50,000 × FTE / registered patients.",
            "The bars are all of England's networks (public data); the points are the networks this data's organisations map to, with their referrals against their own registered patients and link worker time.",
            "In the networks' table, \"no return\" is a census without the network's workforce return and \"no count\" a census without its registered patients: public data that are absent, not withheld. \"Suppressed\" is a referral count withheld by disclosure control, and \"not covered\" a census whose three months this export's referrals do not all cover.",
        ]
    }

    /// The provision notes that say what the figures cover and leave out (the census
    /// dates covered, England only): the part of ``provisionNotes(_:)`` that stays in
    /// view when the methods are folded away.
    static func provisionInViewNotes(_ coverage: CensusCoverage? = nil) -> [String] {
        (coverage.flatMap { provisionPeriodNote($0) == nil ? $0.explanation : nil }.map { [$0] } ?? []) + [
            "A network's deprivation is the list-size-weighted IMD 2019 score of its practices (Fingertips), ranked into fifths of England's networks (1 = most deprived). England only: the reference data cover England's networks, so referrals elsewhere have no provision figures here."
        ]
    }
}
