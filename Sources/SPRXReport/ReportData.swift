import SPRXAggregate
import SPRXModels
import SPRXCore

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

    public init(
        toolVersion: String, pipelineName: String, pipelineSHA256: String, inputs: [Input], firstDay: String?, lastDay: String?,
        disclosureEnabled: Bool, disclosureStatement: String, references: [Reference], models: [ModelRunSummary],
        displayNames: [String: [String: String]] = [:], roundTo: Int = 5, suppressUpTo: Int = 7
    ) {
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
public enum DisplayNames {
    public static let defaults: [String: [String: String]] = [
        "route_type": ["medical": "Medical", "non_medical": "Non-medical", "unknown": "Unknown route", "all": "All routes"],
        "route": [
            "primary_care": "Primary care", "secondary_care": "Secondary care", "social_care": "Social care", "education": "Education",
            "vcse": "Voluntary and community sector", "self_referral": "Self-referral", "other": "Other", "unknown": "Unknown",
        ],
        "reason": [
            "mental_health": "Mental health", "loneliness_isolation": "Loneliness or isolation", "physical_health": "Physical health",
            "financial": "Money and debt", "housing": "Housing", "employment": "Employment", "practical_support": "Practical support",
            "carer_support": "Carer support", "bereavement": "Bereavement", "substance_use": "Substance use",
        ],
        "quarantine_reason": [
            "unterminated_quote": "File ended inside a quoted field", "field_count": "Wrong number of fields",
            "invalid_encoding": "Not valid UTF-8 text", "missing_required": "Required field empty", "invalid_date": "Referral date not a date",
            "date_out_of_window": "Referral date outside the window", "invalid_age": "Age not a whole number from 0 to 120",
            "invalid_contacts": "Contacts not a whole number", "invalid_interventions": "Interventions not a whole number",
            "conflicting_referral_id": "Referral id repeated with different content",
        ],
        "field": [
            "referral_id": "Referral id", "person_id": "Person id", "referral_date": "Referral date", "age": "Age", "sex": "Sex",
            "ethnicity": "Ethnicity", "area_code": "Area code", "referral_source": "Referral source", "referral_reasons": "Referral reasons",
            "contacted": "Contacted", "contacts": "Contacts", "interventions": "Interventions", "organisation_id": "Organisation",
        ],
        "dimension": [
            "all": "All referrals", "age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity",
            "imd_decile": "Deprivation decile (each nation's own index)", "imd_quintile": "Deprivation quintile (each nation's own index)",
            "rurality": "Rurality", "nation": "Nation", "nation/imd_quintile": "Nation × deprivation quintile",
            "nation/imd_decile": "Nation × deprivation decile", "route_type": "Route type",
        ],
    ]
}

/// Looks labels up: the pipeline's, else the defaults, else the id made readable.
struct Labels {
    let overrides: [String: [String: String]]

    func callAsFunction(_ kind: String, _ id: String) -> String {
        if let label = overrides[kind]?[id] ?? DisplayNames.defaults[kind]?[id] { return label }
        let spaced = id.replacingOccurrences(of: "_", with: " ")
        return spaced.prefix(1).uppercased() + spaced.dropFirst()
    }

    /// The label inside a sentence: a default in lower case, a pipeline's as it wrote it.
    func inSentence(_ kind: String, _ id: String) -> String {
        overrides[kind]?[id] ?? self(kind, id).lowercased()
    }
}

/// A published table read by column name.
struct TableView {
    let name: String
    let rows: [[String: String]]

    init(_ table: PublishedTable?) {
        name = table?.name ?? ""
        let header = table?.header ?? []
        // Cells are as published (CSV-quoted where needed); the page shows their text.
        rows = (table?.rows ?? []).map { Dictionary(uniqueKeysWithValues: zip(header, $0.map(CSVText.unquoted))) }
    }

    func select(_ conditions: [String: String]) -> [[String: String]] {
        rows.filter { row in conditions.allSatisfy { row[$0.key] == $0.value } }
    }

    func first(_ conditions: [String: String]) -> [String: String]? {
        rows.first { row in conditions.allSatisfy { row[$0.key] == $0.value } }
    }
}

/// `data_quality.csv` (long: `file, measure, value`), exact counts of records.
struct QualityFigures {
    /// Measure → value for the whole run (the `all` rows; never the files summed with them).
    var all: [String: Int] = [:]
    /// Each input file's measures, in the table's order.
    var files: [(name: String, measures: [String: Int])] = []
    /// Measures in the table's order (for area codes and unmapped fields).
    var order: [String] = []

    init(_ table: TableView) {
        var index: [String: Int] = [:]
        for row in table.rows {
            guard let file = row["file"], let measure = row["measure"], let value = Int(row["value"] ?? "") else { continue }
            if file == "all" {
                if all[measure] == nil { order.append(measure) }
                all[measure] = value
                continue
            }
            if index[file] == nil {
                index[file] = files.count
                files.append((file, [:]))
            }
            files[index[file]!].measures[measure] = value
        }
    }

    /// `quarantined:<reason>` counts, largest first, then by reason id.
    var quarantineReasons: [(reason: String, rows: Int)] {
        all.compactMap { key, value in key.hasPrefix(Self.reasonPrefix) ? (String(key.dropFirst(Self.reasonPrefix.count)), value) : nil }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// Measures with a prefix, in the table's order.
    func measures(prefix: String) -> [String] { order.filter { $0.hasPrefix(prefix) } }

    static let reasonPrefix = "quarantined:"
}

/// The numbers the report shows, taken from the published tables only.
struct ReportNumbers {
    let routeType: TableView
    let route: TableView
    let reasons: TableView
    let pathway: TableView
    let models: TableView
    let unmappedLabels: TableView
    let quality: QualityFigures

    init(tables: [PublishedTable]) {
        func table(_ name: String) -> TableView { TableView(tables.first { $0.name == name }) }
        routeType = table("route_type_by_group")
        route = table("route_by_group")
        reasons = table("reasons_by_group")
        pathway = table("pathway_by_group")
        models = table("models")
        unmappedLabels = table("unmapped_labels")
        quality = QualityFigures(table("data_quality"))
    }

    /// The page's one clean-referral figure: the exact count of clean records in
    /// `data_quality.csv` (`all`, `clean`), `nil` when that table does not give it.
    var cleanReferrals: Int? { quality.all["clean"] }

    /// Whether there is anything to report: clean referrals, by data_quality.csv or, without it, by the tables.
    var hasReferrals: Bool {
        if let clean = cleanReferrals { return clean > 0 }
        let total = routeType.first(["dimension": "all", "group": "all"])?["total"] ?? ""
        return !total.isEmpty && total != "0"
    }

    /// Dimensions in the order the tables publish them.
    var dimensions: [String] {
        var seen: [String] = []
        for row in routeType.rows where !seen.contains(row["dimension"] ?? "") { seen.append(row["dimension"] ?? "") }
        return seen
    }

    func groups(_ dimension: String) -> [String] {
        var seen: [String] = []
        for row in routeType.rows where row["dimension"] == dimension && !seen.contains(row["group"] ?? "") { seen.append(row["group"] ?? "") }
        return seen
    }

    /// A percentage cell, `nil` when suppressed or empty.
    static func percent(_ row: [String: String]?, _ column: String = "percent") -> Double? {
        guard let text = row?[column], !text.isEmpty else { return nil }
        return Double(text)
    }

    /// The whole-population share of a route type, as printed in the table.
    func share(_ routeType: String) -> String? {
        self.routeType.first(["dimension": "all", "group": "all", "route_type": routeType])?["percent"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func pathwayAll(_ column: String) -> String? {
        pathway.first(["dimension": "all", "group": "all", "route_type": "all"])?[column].flatMap { $0.isEmpty ? nil : $0 }
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
    static let routeTypes = ["medical", "non_medical", "unknown"]

    /// The study the findings are compared with, named once.
    static let study = "Bu et al. (2024), 160,128 referrals across the UK"

    /// Sentences computed from this run's tables; none when a figure is suppressed or absent.
    static func findings(_ numbers: ReportNumbers, _ label: Labels) -> [Finding] {
        guard numbers.hasReferrals else { return [] }
        var findings: [Finding] = []
        if let medical = numbers.share("medical") {
            findings.append(
                Finding(
                    here: "\(medical)% of referrals came through medical routes (primary or secondary care).",
                    literature: "\(study): 72–85% through medical routes; here: \(medical)%."))
        }
        if let contacted = numbers.pathwayAll("pct_contacted") {
            findings.append(
                Finding(here: "\(contacted)% of referrals reached a link worker.", literature: "\(study): 90% reached a link worker; here: \(contacted)%."))
        }
        if let intervention = numbers.pathwayAll("pct_intervention") {
            findings.append(
                Finding(
                    here: "\(intervention)% of referrals received at least one intervention.",
                    literature: "\(study): 38% received any intervention; here: \(intervention)%."))
        }
        let gradient = gradientFindings(numbers)
        if !gradient.isEmpty {
            let higher = gradient.filter { $0.most > $0.least }.count
            findings.append(
                Finding(
                    here: gradient.map(\.sentence).joined(separator: " "),
                    literature: "\(study): people in more deprived areas were more often referred through non-medical routes; here: the most deprived fifth's non-medical share is the higher of the two in \(higher) of \(gradient.count) \(gradient.count == 1 ? "nation" : "nations") where both are published."
                ))
        }
        let reasons = numbers.reasons.select(["dimension": "all", "group": "all"]).compactMap { row -> (String, Double, String)? in
            guard let percent = ReportNumbers.percent(row), let text = row["percent"] else { return nil }
            return (row["reason"] ?? "", percent, text)
        }
        if let top = reasons.max(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 > $1.0 }) {
            findings.append(
                Finding(
                    here: "The most common referral reason was \(label.inSentence("reason", top.0)) (\(top.2)% of referrals).",
                    literature: "\(study): mental health was the most common reason; here: \(label.inSentence("reason", top.0)) (\(top.2)%)."))
        }
        return findings
    }

    /// Non-medical share in each nation's most and least deprived quintile, where both are published.
    static func gradientFindings(_ numbers: ReportNumbers) -> [(sentence: String, most: Double, least: Double)] {
        var out: [(sentence: String, most: Double, least: Double)] = []
        for nation in nations {
            func row(_ quintile: Int) -> [String: String]? {
                numbers.routeType.first(["dimension": "nation/imd_quintile", "group": "\(nation)/\(quintile)", "route_type": "non_medical"])
            }
            guard let most = row(1), let least = row(5), let p1 = ReportNumbers.percent(most), let p5 = ReportNumbers.percent(least) else { continue }
            var sentence = "In \(nation), \(most["percent"] ?? "")% of referrals from the most deprived fifth of areas (quintile 1) came through non-medical routes, against \(least["percent"] ?? "")% from the least deprived fifth (quintile 5)"
            if let l1 = ReportNumbers.percent(most, "ci_low"), let h1 = ReportNumbers.percent(most, "ci_high"), let l5 = ReportNumbers.percent(least, "ci_low"),
                let h5 = ReportNumbers.percent(least, "ci_high")
            {
                sentence += l1 <= h5 && l5 <= h1 ? "; their 95% intervals overlap." : "; their 95% intervals do not overlap."
            } else {
                sentence += "."
            }
            out.append((sentence, p1, p5))
        }
        return out
    }

    static let nations = ["England", "Wales", "Scotland", "Northern Ireland"]

    /// Group, route type, n, total, %, 95% CI for one dimension.
    static func routeTypeRows(_ numbers: ReportNumbers, _ label: Labels, dimension: String) -> [[String]] {
        var rows: [[String]] = []
        for group in numbers.groups(dimension) {
            for type in routeTypes {
                guard let row = numbers.routeType.first(["dimension": dimension, "group": group, "route_type": type]) else { continue }
                rows.append([group, label("route_type", type), cell(row, "n"), cell(row, "total"), cell(row, "percent"), interval(row)])
            }
        }
        return rows
    }

    static let routeHeader = ["Route", "n", "Total", "%", "95% CI"]
    static let routeCaption = "Referrals by route, all referrals (tables/route_by_group.csv)"

    /// Every route for all referrals, labelled.
    static func routeRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.route.select(["dimension": "all", "group": "all"]).map {
            [label("route", $0["route"] ?? ""), cell($0, "n"), cell($0, "total"), cell($0, "percent"), interval($0)]
        }
    }

    /// The non-medical row of every nation × decile group that has referrals, nation by nation.
    static func gradientRows(_ numbers: ReportNumbers) -> [(nation: String, decile: Int, row: [String: String])] {
        var rows: [(nation: String, decile: Int, row: [String: String])] = []
        for nation in nations {
            for decile in 1...10 {
                if let row = numbers.routeType.first(["dimension": "nation/imd_decile", "group": "\(nation)/\(decile)", "route_type": "non_medical"]) {
                    rows.append((nation, decile, row))
                }
            }
        }
        return rows
    }

    static func gradientCells(_ entry: (nation: String, decile: Int, row: [String: String])) -> [String] {
        [entry.nation, String(entry.decile), cell(entry.row, "n"), cell(entry.row, "total"), cell(entry.row, "percent"), interval(entry.row)]
    }

    /// The whole-population pathway rows: each route type, then all.
    static func pathwayRows(_ numbers: ReportNumbers) -> [[String: String]] {
        (routeTypes + ["all"]).compactMap { numbers.pathway.first(["dimension": "all", "group": "all", "route_type": $0]) }
    }

    static let pathwayHeader = ["Route type", "Referred", "Contacted", "Intervention", "% contacted", "% intervention"]

    static func pathwayCells(_ row: [String: String], _ label: Labels) -> [String] {
        [
            label("route_type", row["route_type"] ?? ""), cell(row, "referred"), cell(row, "contacted"), cell(row, "intervention"), cell(row, "pct_contacted"),
            cell(row, "pct_intervention"),
        ]
    }

    static let reasonsHeader = ["Reason", "n", "Referrals", "%", "95% CI"]

    static func reasonCells(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.reasons.select(["dimension": "all", "group": "all"]).map {
            [label("reason", $0["reason"] ?? ""), cell($0, "n"), cell($0, "total"), cell($0, "percent"), interval($0)]
        }
    }

    /// A fitted model's estimates table: header and rows (ratios, then θ and α).
    static func modelTable(_ numbers: ReportNumbers, _ summary: ModelRunSummary, _ label: Labels) -> (header: [String], rows: [[String]]) {
        let logistic = summary.family == "logistic"
        let rows = numbers.models.select(["model": summary.name])
        let ame = Dictionary(
            rows.filter { $0["measure"] == "ame_pp" }.map { ("\($0["term"] ?? "")|\($0["level"] ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        var table = rows.filter { $0["measure"] == "odds_ratio" || $0["measure"] == "rate_ratio" }.map { row -> [String] in
            let term = row["term"] ?? ""
            var cells = [label("dimension", term), level(term, row["level"] ?? "", label), level(term, row["reference"] ?? "", label), ratio(row), pValue(row)]
            if logistic { cells.append(ame["\(term)|\(row["level"] ?? "")"].map(ratioPP) ?? "") }
            return cells
        }
        for dispersion in rows where dispersion["measure"] == "dispersion" {
            table.append([dispersion["term"] ?? "", "", "", ratio(dispersion), ""] + (logistic ? [""] : []))
        }
        let header = ["Covariate", "Level", "Reference", logistic ? "Odds ratio (95% CI)" : "Rate ratio (95% CI)", "p"] + (logistic ? ["AME, points (95% CI)"] : [])
        return (header, table)
    }

    /// A model level as people read it: route types by their label, groups as published.
    static func level(_ term: String, _ level: String, _ label: Labels) -> String {
        term == "route_type" ? label("route_type", level) : level
    }

    /// What a fitted model used, in one sentence.
    static func modelSize(_ numbers: ReportNumbers, _ summary: ModelRunSummary, _ context: ReportContext) -> String {
        let first = numbers.models.first(["model": summary.name])
        return "Referrals used: \(cell(first, "n_obs"))" + (context.disclosureEnabled ? " (rounded to the nearest \(context.roundTo))" : "")
            + ((first?["n_clusters"] ?? "").isEmpty ? "; model-based standard errors." : "; organisations: \(cell(first, "n_clusters")); cluster-robust (CR1) standard errors.")
    }

    static let fileHeader = ["File", "Rows read", "Clean", "Duplicate", "Quarantined"]

    /// Each file's reconciliation from data_quality.csv, then the `all` row as published (never a sum).
    static func fileRows(_ numbers: ReportNumbers) -> [[String]] {
        let measures = ["rows_read", "clean", "duplicate", "quarantined"]
        func count(_ values: [String: Int], _ measure: String) -> String { values[measure].map(grouped) ?? "" }
        var rows = numbers.quality.files.map { file in [file.name] + measures.map { count(file.measures, $0) } }
        if !numbers.quality.all.isEmpty { rows.append(["All files"] + measures.map { count(numbers.quality.all, $0) }) }
        return rows
    }

    static let quarantineHeader = ["Reason", "Rows"]

    /// Quarantine reasons, largest first (then by id), then duplicates and blank lines.
    static func quarantineRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        let all = numbers.quality.all
        return numbers.quality.quarantineReasons.map { [label("quarantine_reason", $0.reason), grouped($0.rows)] }
            + [["Duplicate rows (each kept once)", all["duplicate"].map(grouped) ?? ""], ["Blank lines (skipped)", all["blank_lines"].map(grouped) ?? ""]]
    }

    static let unmappedHeader = ["Field", "Referrals with a label no list names"]

    /// `unmapped:<field>` referrals per field (exact), in the table's order.
    static func unmappedFieldRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.quality.measures(prefix: "unmapped:").map { measure in
            [label("field", String(measure.dropFirst("unmapped:".count))), grouped(numbers.quality.all[measure] ?? 0)]
        }
    }

    static let unmappedLabelHeader = ["Field", "Label", "Referrals"]

    /// unmapped_labels.csv as published: only common short labels, the rest as `(other labels)`.
    static func unmappedLabelRows(_ numbers: ReportNumbers, _ label: Labels) -> [[String]] {
        numbers.unmappedLabels.rows.map { [label("field", $0["field"] ?? ""), $0["label"] ?? "", cell($0, "n", suppressedWhenEmpty: true)] }
    }

    static let areaHeader = ["Area codes", "Referrals"]

    static func areaRows(_ numbers: ReportNumbers) -> [[String]] {
        numbers.quality.measures(prefix: "area_").map { [areaLabel($0), grouped(numbers.quality.all[$0] ?? 0)] }
    }
}
