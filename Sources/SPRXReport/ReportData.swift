import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXModels
import SPRXPipeline

/// What the report says about the run itself (everything else comes from the tables).
public struct ReportContext: Sendable {
    public struct Input: Sendable {
        public var name: String
        public var rowsRead: Int
        public var clean: Int
        public var duplicate: Int
        public var quarantined: Int

        public init(name: String, rowsRead: Int, clean: Int, duplicate: Int, quarantined: Int) {
            self.name = name
            self.rowsRead = rowsRead
            self.clean = clean
            self.duplicate = duplicate
            self.quarantined = quarantined
        }
    }

    public struct Reference: Sendable {
        public var name: String
        public var edition: String
        public var use: String

        public init(name: String, edition: String, use: String) {
            self.name = name
            self.edition = edition
            self.use = use
        }
    }

    public var toolVersion: String
    public var pipelineName: String
    public var pipelineSHA256: String
    /// The input files. The report's file and data-quality figures come from
    /// `data_quality.csv` instead, so the page and the table cannot disagree; kept for callers.
    public var inputs: [Input]
    /// First and last referral date among clean referrals (`YYYY-MM-DD`).
    public var firstDay: String?
    public var lastDay: String?
    public var disclosureEnabled: Bool
    public var disclosureStatement: String
    public var references: [Reference]
    public var models: [ModelRunSummary]
    /// Labels the pipeline gives to ids, by kind then id (`["route": ["vcse": "Charities"]]`);
    /// they override ``DisplayNames/defaults``. Kinds: see ``DisplayNames``.
    public var displayNames: [String: [String: String]]
    /// Disclosure control's rounding base: published counts are multiples of it.
    public var roundTo: Int
    /// Disclosure control's threshold: counts from 1 to this are suppressed.
    public var suppressUpTo: Int
    /// What the population rates were computed from (the manifest's rate figures): the
    /// period and the referrals left out; `nil` when the pipeline names no population.
    public var rateFigures: RateFigures?
    /// The population edition the rates use, in words (e.g. "ONS mid-2019 small-area
    /// population estimates"); `nil` to leave it unsaid.
    public var populationEdition: String?
    /// The catchment in words (e.g. "every small area of each nation", or the local
    /// authorities the pipeline names); `nil` to leave it unsaid.
    public var catchment: String?
    /// The local authorities the pipeline's population catchment lists (`catchment:
    /// {local_authorities: [...]}`); empty for `every_area` or without rates. Page 1 then
    /// names the catchment, not a nation, beside its rates and shares.
    public var catchmentAuthorities: [String] = []
    /// Which workforce census dates the referrals cover (the manifest's `census_coverage`);
    /// `nil` when the pipeline names no provision files.
    public var censusCoverage: CensusCoverage?
    /// The optional fields the export leaves out: the report says so where their figures
    /// would be (``Report/notRecordedSentences(_:)``).
    public var recording: FieldRecording
    /// What the run warns about (``RunWarning``): said in the data-quality section, and
    /// beside the headline when it changes the headline.
    public var warnings: [RunWarning] = []
    /// The pipeline's `report.title` (`nil`: ``Report/defaultTitle``).
    public var title: String?
    /// The pipeline's `report.organisation`: the service or area (`nil`: unsaid).
    public var organisation: String?
    /// The date the report is as of (`YYYY-MM-DD`): `sprx run --as-of`, by default the
    /// day after the data period ends (``Report/asOfDefault(lastDay:)``); `nil`: unsaid.
    public var asOf: String?
    /// The pipeline's groups (``PipelineConfiguration/groupKey``): which breakdowns the
    /// tables publish, built-in and declared, with their titles, and the reason groups.
    /// The report charts what it lists (``Report/breakdowns(_:)``), never a list of its own.
    public var groupKey: GroupKeySchema
    /// The titles of the groupings whose strata adjust the organisations' ratios: those of
    /// the pipeline's `case_mix` the run actually used (the manifest's `case_mix_strata`),
    /// empty when none was, and then every funnel is of crude shares ("Age band" or "age
    /// band": sentences lower-case a title's first letter unless it begins with an abbreviation).
    public var caseMixStrata: [String] = ReportContext.defaultCaseMixStrata
    /// φ and τ² of each organisation funnel, keyed by ``FunnelDispersion/key(_:_:)``
    /// ("<indicator>/<proportion|ratio>"); a funnel without one is drawn against the plain limits.
    public var funnelDispersion: [String: FunnelDispersion] = [:]

    /// The strata sprx adjusts by when the pipeline names none.
    public static let defaultCaseMixStrata = ["age band", "sex", "deprivation quintile", "nation"]

    public init(
        toolVersion: String, pipelineName: String, pipelineSHA256: String, inputs: [Input], firstDay: String?, lastDay: String?,
        disclosureEnabled: Bool, disclosureStatement: String, references: [Reference], models: [ModelRunSummary], groupKey: GroupKeySchema,
        displayNames: [String: [String: String]] = [:], roundTo: Int = 5, suppressUpTo: Int = 7, rateFigures: RateFigures? = nil,
        populationEdition: String? = nil, catchment: String? = nil, recording: FieldRecording = .complete
    ) {
        self.recording = recording
        self.groupKey = groupKey
        self.toolVersion = toolVersion
        self.pipelineName = pipelineName
        self.pipelineSHA256 = pipelineSHA256
        self.inputs = inputs
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.disclosureEnabled = disclosureEnabled
        self.disclosureStatement = disclosureStatement
        self.references = references
        self.models = models
        self.displayNames = displayNames
        self.roundTo = roundTo
        self.suppressUpTo = suppressUpTo
        self.rateFigures = rateFigures
        self.populationEdition = populationEdition
        self.catchment = catchment
    }

    /// The catchment's local authorities in a phrase ("Sheffield", "A and B", "A, B and
    /// C"); `nil` for `every_area`.
    var catchmentNames: String? { catchmentAuthorities.isEmpty ? nil : Self.listed(catchmentAuthorities) }

    /// Names as a sentence lists them: "A", "A and B", "A, B and C".
    static func listed(_ names: [String]) -> String {
        guard let last = names.last else { return "" }
        let rest = names.dropLast()
        return rest.isEmpty ? last : rest.joined(separator: ", ") + " and " + last
    }

    /// What every disclosure-controlled count on the page is, in one sentence (`nil` when control is off).
    var roundingNote: String? {
        disclosureEnabled
            ? "Counts are rounded to the nearest \(roundTo) and counts of 1 to \(suppressUpTo) are suppressed; percentages are computed from the rounded counts."
            : nil
    }
}

/// Plain-English names for the ids the tables use, declared once. A pipeline's
/// `ReportContext.displayNames` overrides any of them; an id named nowhere is shown
/// with its underscores as spaces and a capital first letter.
///
/// Kinds: `route_type`, `route`, `reason` (referral reasons), `quarantine_reason`,
/// `field` (canonical input fields), `dimension` (table dimensions and model terms).
/// A dimension's name is its grouping's one declaration (``Grouping/title``, built-in
/// or the pipeline's `title`), read from the run's ``GroupKeySchema`` by ``Labels``.
public enum DisplayNames {
    /// What an id names: first the kinds a pipeline's `display_names` may name
    /// (``DisplayNameDimension``, same keys; tested), then those only sprx names.
    public enum Kind: String, Sendable, CaseIterable {
        case routeType = "route_type", route, reason
        case quarantineReason = "quarantine_reason", field, dimension
    }

    public static let defaults: [String: [String: String]] = [
        Kind.routeType.rawValue: Dictionary(uniqueKeysWithValues: RouteType.allCases.map { ($0.label, routeTypeName($0)) } + [(allRouteTypes, "All routes")]),
        Kind.route.rawValue: [
            "primary_care": "Primary care", "secondary_care": "Secondary care", "social_care": "Social care", "education": "Education",
            "vcse": "Voluntary and community sector", "self_referral": "Self-referral", "other": "Other", "unknown": "Unknown",
        ],
        Kind.reason.rawValue: [
            "mental_health": "Mental health", "loneliness_isolation": "Loneliness or isolation", "physical_health": "Physical health",
            "financial": "Money and debt", "housing": "Housing", "employment": "Employment", "practical_support": "Practical support",
            "carer_support": "Carer support", "bereavement": "Bereavement", "substance_use": "Substance use",
        ],
        Kind.quarantineReason.rawValue: Dictionary(uniqueKeysWithValues: QuarantineReason.allCases.map { ($0.rawValue, quarantineReasonName($0)) }),
        Kind.field.rawValue: Dictionary(uniqueKeysWithValues: CanonicalField.allCases.map { ($0.rawValue, fieldName($0)) }),
    ]

    /// The `route_type` of the pathway rows for every route type together.
    static let allRouteTypes = PathwayColumn.allRouteTypes

    /// The crossed dimensions the report reads: each nation's own quintiles and deciles.
    static let nationByQuintile = TableDimension.name([Grouping.Name.nation, Grouping.Name.imdQuintile])
    static let nationByDecile = TableDimension.name([Grouping.Name.nation, Grouping.Name.imdDecile])

    /// A route type's name on the page.
    static func routeTypeName(_ type: RouteType) -> String {
        switch type {
        case .medical: "Medical"
        case .nonMedical: "Non-medical"
        case .unknown: "Unknown route"
        }
    }

    /// An input field's name on the page.
    static func fieldName(_ field: CanonicalField) -> String {
        switch field {
        case .referralID: "Referral id"
        case .personID: "Person id"
        case .referralDate: "Referral date"
        case .age: "Age"
        case .sex: "Sex"
        case .ethnicity: "Ethnicity"
        case .areaCode: "Area code"
        case .referralSource: "Referral source"
        case .referralReasons: "Referral reasons"
        case .contacted: "Contacted"
        case .contacts: "Contacts"
        case .interventions: "Interventions"
        case .organisationID: "Organisation"
        }
    }

    /// A field as the subject of a sentence saying it is not recorded, lower case
    /// ("the number of interventions"): "… is not recorded in this export".
    static func fieldSubject(_ field: CanonicalField) -> String {
        switch field {
        case .referralID: "the referral id"
        case .personID: "the person id"
        case .referralDate: "the referral date"
        case .age: "age"
        case .sex: "sex"
        case .ethnicity: "ethnicity"
        case .areaCode: "the area code"
        case .referralSource: "the referral source"
        case .referralReasons: "the referral reason"
        case .contacted: "whether a referral reached a link worker"
        case .contacts: "the number of contacts"
        case .interventions: "the number of interventions"
        case .organisationID: "the organisation"
        }
    }

    /// ``fieldSubject(_:)`` for the field a note names (its code), in words when the code is not a field.
    static func fieldSubject(code: String) -> String {
        CanonicalField(rawValue: code).map(fieldSubject) ?? plainWords(code)
    }

    /// Why a row was quarantined, in words.
    static func quarantineReasonName(_ reason: QuarantineReason) -> String {
        switch reason {
        case .rowTooLong: "Row too long"
        case .unterminatedQuote: "File ended inside a quoted field"
        case .fieldCount: "Wrong number of fields"
        case .fieldTooLong: "Field too long"
        case .invalidEncoding: "Not valid UTF-8 text"
        case .missingRequired: "Required field empty"
        case .invalidDate: "Referral date not a date"
        case .dateOutOfWindow: "Referral date outside the window"
        case .invalidAge: "Age not a whole number from 0 to 120"
        case .invalidContacts: "Contacts not a whole number"
        case .implausibleContacts: "Contacts over \(NumberFormat.count(PlausibleCount.maxContacts))"
        case .invalidInterventions: "Interventions not a whole number"
        case .implausibleInterventions: "Interventions over \(NumberFormat.count(PlausibleCount.maxInterventions))"
        case .conflictingReferralID: "Referral id repeated with different content"
        }
    }
}

/// Looks labels up: the pipeline's, else the defaults, else the id made readable; a
/// dimension (and a declared dimension's field) by its grouping's title.
struct Labels {
    typealias Kind = DisplayNames.Kind
    let overrides: [String: [String: String]]
    /// Each dimension's title by its name (``DisplayNames/titles(of:)``).
    let titles: [String: String]

    init(overrides: [String: [String: String]], titles: [String: String] = DisplayNames.builtInTitles) {
        self.overrides = overrides
        self.titles = titles
    }

    /// The labels of a run: its pipeline's display names and its groups' titles.
    init(_ context: ReportContext) {
        self.init(overrides: context.displayNames, titles: DisplayNames.titles(of: context.groupKey))
    }

    func callAsFunction(_ kind: Kind, _ id: String) -> String {
        if let label = overrides[kind.rawValue]?[id] ?? DisplayNames.defaults[kind.rawValue]?[id] { return label }
        // A declared dimension is a labelled field too (unmapped labels are counted by it).
        if kind == .dimension || kind == .field, let title = titles[id] { return title }
        return DisplayNames.readable(id)
    }

    /// The label inside a sentence: a default in lower case, a pipeline's as it wrote it.
    func inSentence(_ kind: Kind, _ id: String) -> String {
        overrides[kind.rawValue]?[id] ?? self(kind, id).lowercased()
    }
}

/// Columns with a `suppressed` flag: an empty cell in a suppressed row reads "suppressed".
protocol SuppressibleColumn: TableColumn {
    static var suppressed: Self { get }
}

extension ShareColumn: SuppressibleColumn {}
extension PathwayColumn: SuppressibleColumn {}
extension ModelColumn: SuppressibleColumn {}

/// A published table read by its typed columns.
struct TableView<Column: TableColumn> {
    let rows: [[Cell]]

    /// The rows of `table`, which must be written by `Column` (so a cell is read by the
    /// column it was written under).
    init(_ table: PublishedTable) {
        precondition(table.isWritten(by: Column.self), "\(table.name) is not read by \(Column.self)")
        rows = table.rows
    }

    /// Rows whose text cells hold the given texts (as the table was given them).
    func select(_ conditions: KeyValuePairs<Column, String>) -> [[Cell]] {
        let indexed = conditions.map { ($0.key.index, $0.value) }
        return rows.filter { row in indexed.allSatisfy { row[$0.0].string == $0.1 } }
    }

    func first(_ conditions: KeyValuePairs<Column, String>) -> [Cell]? {
        let indexed = conditions.map { ($0.key.index, $0.value) }
        return rows.first { row in indexed.allSatisfy { row[$0.0].string == $0.1 } }
    }
}

/// `data_quality.csv` (long: `file, measure, value`), exact counts of records.
struct QualityFigures {
    typealias Measure = DataQualityMeasure

    /// Measure → value for the whole run (the `all` rows; never the files summed with them).
    var all: [String: Int] = [:]
    /// Each input file's name as shown and its measures, in the table's order.
    var files: [(name: String, measures: [String: Int])] = []
    /// Measures in the table's order (for unmapped fields).
    var order: [String] = []

    init(_ table: TableView<DataQualityColumn>) {
        var index: [String: Int] = [:]
        for row in table.rows {
            guard let file = row[DataQualityColumn.file].string, let measure = row[DataQualityColumn.measure].string,
                let value = row[DataQualityColumn.value].count
            else { continue }
            if file == DataQualityColumn.allFiles {
                if all[measure] == nil { order.append(measure) }
                all[measure] = Int(value)
                continue
            }
            if index[file] == nil {
                index[file] = files.count
                files.append((row[DataQualityColumn.file].shown, [:]))
            }
            files[index[file]!].measures[measure] = Int(value)
        }
    }

    /// Quarantine reasons the table counts, largest first, then by reason id.
    var quarantineReasons: [(reason: QuarantineReason, rows: Int)] {
        QuarantineReason.allCases.compactMap { reason in all[Measure.quarantined(reason.rawValue)].map { (reason, $0) } }
            .sorted { $0.rows != $1.rows ? $0.rows > $1.rows : $0.reason.rawValue < $1.reason.rawValue }
    }

    /// Measures with a prefix, in the table's order.
    func measures(prefix: String) -> [String] { order.filter { $0.hasPrefix(prefix) } }

    /// Area-code measures the table gives, with what each counts: unknown codes, then
    /// each nation's codes missing from its deprivation index, then from its rurality classification.
    var areaMeasures: [(measure: String, label: String)] {
        let deprivation = Nation.known.map { (Measure.areaUnmatchedDeprivation($0), "\($0.label): not in the nation's deprivation index") }
        let rurality = Nation.known.map { (Measure.areaUnmatchedRurality($0), "\($0.label): not in the nation's rurality classification") }
        return ([(Measure.areaUnknown, "Not a recognised small-area code (any nation)")] + deprivation + rurality).filter { all[$0.0] != nil }
    }
}

/// The numbers the report shows, taken from the published tables only.
struct ReportNumbers {
    let routeType: TableView<ShareColumn>
    let route: TableView<ShareColumn>
    let reasons: TableView<ShareColumn>
    let pathway: TableView<PathwayColumn>
    let models: TableView<ModelColumn>
    let unmappedLabels: TableView<UnmappedLabelColumn>
    let quality: QualityFigures
    /// `rates_by_group` and `inequality`, for the reach section.
    let reach: ReachFigures
    /// `trends`, for the trend section.
    let trends: TrendFigures
    /// `organisations`, `pcn_provision` and `provision_by_deprivation`, for the organisations section.
    let place: PlaceFigures

    init(tables: PublishedTables) {
        routeType = TableView(tables.routeTypeByGroup)
        route = TableView(tables.routeByGroup)
        reasons = TableView(tables.reasonsByGroup)
        pathway = TableView(tables.pathwayByGroup)
        models = TableView(tables.models)
        unmappedLabels = TableView(tables.unmappedLabels)
        quality = QualityFigures(TableView(tables.dataQuality))
        reach = ReachFigures(tables: tables)
        trends = TrendFigures(tables: tables)
        place = PlaceFigures(tables: tables)
    }

    /// The page's one clean-referral figure: the exact count of clean records in
    /// `data_quality.csv` (`all`, `clean`), `nil` when that table does not give it.
    var cleanReferrals: Int? { quality.all[DataQualityMeasure.clean] }

    /// Whether there is anything to report: clean referrals, by data_quality.csv or, without it, by the tables.
    var hasReferrals: Bool {
        if let clean = cleanReferrals { return clean > 0 }
        let total = routeType.first([.dimension: Report.allGroups, .group: Report.allGroups])?[ShareColumn.total].count
        return (total ?? 0) != 0
    }

    /// The groups of a dimension, in the order the tables publish them (as the table was given them).
    func groups(_ dimension: String) -> [String] {
        var seen: [String] = []
        for row in routeType.rows where row[ShareColumn.dimension].string == dimension {
            if let group = row[ShareColumn.group].string, !seen.contains(group) { seen.append(group) }
        }
        return seen
    }

    /// A number as published (rounded as in the file), `nil` when suppressed or empty.
    static func percent<Column: TableColumn>(_ row: [Cell]?, _ column: Column) -> Double? { row?[column].value }

    static func percent(_ row: [Cell]?) -> Double? { percent(row, ShareColumn.percent) }

    /// The whole-population share of a route type, as printed in the table.
    func share(_ routeType: RouteType) -> String? {
        self.routeType.first([.dimension: Report.allGroups, .group: Report.allGroups, .category: routeType.label]).flatMap {
            Report.printed($0, ShareColumn.percent)
        }
    }

    func pathwayAll(_ column: PathwayColumn) -> String? {
        pathway.first([.dimension: Report.allGroups, .group: Report.allGroups, .routeType: DisplayNames.allRouteTypes]).flatMap { Report.printed($0, column) }
    }
}

/// One sentence about this run's data, and where the literature has a figure for
/// the same thing, that figure beside this data's (labelled as a comparison).
struct Finding {
    var here: String
    var literature: String?
}

/// Rows shared by the HTML and Markdown reports, so both say the same thing.
extension Report {
    /// Route types in the tables' order (their ids as published).
    static let routeTypes = RouteType.allCases.map(\.label)

    /// The dimension and group of the rows for all referrals.
    static let allGroups = TableDimension.all

    /// The nations, each with its own deprivation index, in the tables' order.
    static let nations = Nation.known.map(\.label)

    /// A cell as the page says it (``NumberFormat``), `nil` when empty (suppressed or
    /// withheld): counts grouped, decimals to at most one place, estimates to 3
    /// significant figures. Call sites that know the kind say it with ``NumberFormat``.
    static func printed(_ cell: Cell) -> String? {
        switch cell {
        case .decimal(let value, let places): return value.flatMap { $0.isFinite ? NumberFormat.decimal(cell.value ?? $0, places: min(places, 1)) : nil }
        case .significant: return NumberFormat.text(cell, as: .significant)
        default: return NumberFormat.text(cell, as: .count) ?? (cell.shown.isEmpty ? nil : cell.shown)
        }
    }

    /// Group, route type, n, total, %, 95% CI for one dimension.
    static func routeTypeRows(_ numbers: ReportNumbers, _ label: Labels, _ breakdown: Breakdown) -> [[String]] {
        var rows: [[String]] = []
        for group in numbers.groups(breakdown.name) {
            for type in routeTypes {
                guard let row = numbers.routeType.first([.dimension: breakdown.name, .group: group, .category: type]) else { continue }
                rows.append([
                    groupLabel(breakdown, row[ShareColumn.group].shown), label(.routeType, type), cell(row, .n), cell(row, .total), cell(row, .percent),
                    interval(row),
                ])
            }
        }
        return rows
    }

    static let routeHeader = ["Route", "n", "Total", "%", "95% CI"]
    static let routeCaption = "Referrals by route, all referrals (tables/route_by_group.csv)"

    /// Every route for all referrals, labelled.
    static func routeRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.route.select([.dimension: allGroups, .group: allGroups]).map {
            [label(.route, $0[ShareColumn.category].shown), cell($0, .n), cell($0, .total), cell($0, .percent), interval($0)]
        }
    }

    /// The non-medical row of every nation × decile group that has referrals, nation by nation.
    static func gradientRows(_ numbers: ReportNumbers) -> [(nation: String, decile: Int, row: [Cell])] {
        var rows: [(nation: String, decile: Int, row: [Cell])] = []
        for nation in nations {
            for decile in 1...10 {
                if let row = numbers.routeType.first([
                    .dimension: DisplayNames.nationByDecile, .group: TableDimension.groupLabel([nation, String(decile)]),
                    .category: RouteType.nonMedical.label,
                ]) {
                    rows.append((nation, decile, row))
                }
            }
        }
        return rows
    }

    static func gradientCells(_ entry: (nation: String, decile: Int, row: [Cell])) -> [String] {
        [entry.nation, String(entry.decile), cell(entry.row, .n), cell(entry.row, .total), cell(entry.row, .percent), interval(entry.row)]
    }

    /// The whole-population pathway rows: each route type, then all.
    static func pathwayRows(_ numbers: ReportNumbers) -> [[Cell]] {
        (routeTypes + [DisplayNames.allRouteTypes]).compactMap { numbers.pathway.first([.dimension: allGroups, .group: allGroups, .routeType: $0]) }
    }

    static let pathwayHeader = ["Route type", "Referred", "Contacted", "Intervention", "% contacted", "% intervention"]

    static func pathwayCells(_ row: [Cell], _ label: Labels) -> [String] {
        [
            label(.routeType, row[PathwayColumn.routeType].shown), cell(row, .referred), cell(row, .contacted), cell(row, .intervention),
            cell(row, .pctContacted), cell(row, .pctIntervention),
        ]
    }

    static let reasonsHeader = ["Reason", "n", "Referrals", "%", "95% CI"]

    static func reasonCells(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        sortedReasons(numbers.reasons.select([.dimension: allGroups, .group: allGroups])).map {
            [label(.reason, $0[ShareColumn.category].shown), cell($0, .n), cell($0, .total), cell($0, .percent), interval($0)]
        }
    }

    /// A model's measure column for its ratios, average marginal effects and dispersion.
    static let ratioMeasures: Set<String> = ["odds_ratio", "rate_ratio"]
    static let marginalEffectMeasure = "ame_pp"
    static let dispersionMeasure = "dispersion"

    /// A fitted model's ratio rows (odds or rate ratios), in the table's order.
    static func ratioRows(_ numbers: ReportNumbers, _ summary: ModelRunSummary) -> [[Cell]] {
        numbers.models.select([.model: summary.name]).filter { ratioMeasures.contains($0[ModelColumn.measure].string ?? "") }
    }

    /// A fitted model's estimates table: header and rows (ratios, then θ and α).
    static func modelTable(_ numbers: ReportNumbers, _ summary: ModelRunSummary, _ label: Labels) -> (header: [String], rows: [[String]]) {
        let logistic = summary.family == ModelFamilyName.logistic.rawValue
        let rows = numbers.models.select([.model: summary.name])
        func key(_ row: [Cell]) -> String { "\(row[ModelColumn.term].shown)|\(row[ModelColumn.level].shown)" }
        let ame = Dictionary(
            rows.filter { $0[ModelColumn.measure].string == marginalEffectMeasure }.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        var table = ratioRows(numbers, summary).map { row -> [String] in
            let term = row[ModelColumn.term].shown
            var cells = [
                label(.dimension, term), level(term, row[ModelColumn.level].shown, label), level(term, row[ModelColumn.reference].shown, label), ratio(row),
                pValue(row),
            ]
            if logistic { cells.append(ame[key(row)].map(ratioPP) ?? "") }
            return cells
        }
        for dispersion in rows where dispersion[ModelColumn.measure].string == dispersionMeasure {
            table.append(
                [DisplayNames.dispersionTerms[dispersion[ModelColumn.term].string ?? ""] ?? dispersion[ModelColumn.term].shown, "", "", ratio(dispersion), ""]
                    + (logistic ? [""] : []))
        }
        let header =
            ["Covariate", "Level", "Reference", logistic ? "Odds ratio (95% CI)" : "Rate ratio (95% CI)", "p"] + (logistic ? ["AME, points (95% CI)"] : [])
        return (header, table)
    }

    /// A model level as people read it: route types by their label, groups as published.
    static func level(_ term: String, _ level: String, _ label: Labels) -> String {
        term == ModelCovariate.routeType.rawValue ? label(.routeType, level) : level
    }

    /// What a fitted model used, in one sentence.
    static func modelSize(_ numbers: ReportNumbers, _ summary: ModelRunSummary, _ context: ReportContext) -> String {
        let first = numbers.models.first([.model: summary.name])
        return "Referrals used: \(cell(first, .observations))" + (context.disclosureEnabled ? " (rounded to the nearest \(context.roundTo))" : "")
            + ((first?[ModelColumn.clusters].isEmpty ?? true)
                ? "; model-based standard errors." : "; organisations: \(cell(first, .clusters)); cluster-robust (CR1) standard errors.")
    }

    static let fileHeader = ["File", "Rows read", "Clean", "Duplicate", "Quarantined"]

    /// Each file's reconciliation from data_quality.csv, then the `all` row as published (never a sum).
    static func fileRows(_ numbers: ReportNumbers) -> [[String]] {
        let measures = [DataQualityMeasure.rowsRead, DataQualityMeasure.clean, DataQualityMeasure.duplicate, DataQualityMeasure.quarantined]
        func count(_ values: [String: Int], _ measure: String) -> String { values[measure].map(grouped) ?? "" }
        var rows = numbers.quality.files.map { file in [file.name] + measures.map { count(file.measures, $0) } }
        if !numbers.quality.all.isEmpty { rows.append(["All files"] + measures.map { count(numbers.quality.all, $0) }) }
        return rows
    }

    static let quarantineHeader = ["Reason", "Rows"]

    /// Quarantine reasons, largest first (then by id), then duplicates and blank lines.
    static func quarantineRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        let all = numbers.quality.all
        return numbers.quality.quarantineReasons.map { [label(.quarantineReason, $0.reason.rawValue), grouped($0.rows)] }
            + [
                ["Duplicate rows (each kept once)", all[DataQualityMeasure.duplicate].map(grouped) ?? ""],
                ["Blank lines (skipped)", all[DataQualityMeasure.blankLines].map(grouped) ?? ""],
            ]
    }

    static let unmappedHeader = ["Field", "Referrals with a label no list names"]

    /// `unmapped:<field>` referrals per field (exact), in the table's order.
    static func unmappedFieldRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        let prefix = DataQualityMeasure.unmappedPrefix
        return numbers.quality.measures(prefix: prefix).map { measure in
            [label(.field, String(measure.dropFirst(prefix.count))), grouped(numbers.quality.all[measure] ?? 0)]
        }
    }

    static let unmappedLabelHeader = ["Field", "Label", "Referrals"]

    /// unmapped_labels.csv as published: only common short labels, the rest as `(other labels)`.
    static func unmappedLabelRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.unmappedLabels.rows.map {
            [label(.field, $0[UnmappedLabelColumn.field].shown), $0[UnmappedLabelColumn.label].shown, printed($0[UnmappedLabelColumn.n]) ?? "suppressed"]
        }
    }

    static let areaHeader = ["Area codes", "Referrals"]

    static func areaRows(_ numbers: ReportNumbers) -> [[String]] {
        numbers.quality.areaMeasures.map { [$0.label, grouped(numbers.quality.all[$0.measure] ?? 0)] }
    }
}
