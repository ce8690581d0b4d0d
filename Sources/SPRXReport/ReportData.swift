import SPRXAggregate

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
    public var inputs: [Input]
    /// First and last referral date among clean referrals (`YYYY-MM-DD`).
    public var firstDay: String?
    public var lastDay: String?
    public var disclosureEnabled: Bool
    public var disclosureStatement: String
    public var references: [Reference]
    public var models: [ModelRunSummary]

    public init(
        toolVersion: String, pipelineName: String, pipelineSHA256: String, inputs: [Input], firstDay: String?, lastDay: String?,
        disclosureEnabled: Bool, disclosureStatement: String, references: [Reference], models: [ModelRunSummary]
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
    }
}

/// A published table read by column name.
struct TableView {
    let name: String
    let rows: [[String: String]]

    init(_ table: PublishedTable?) {
        name = table?.name ?? ""
        let header = table?.header ?? []
        rows = (table?.rows ?? []).map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    func select(_ conditions: [String: String]) -> [[String: String]] {
        rows.filter { row in conditions.allSatisfy { row[$0.key] == $0.value } }
    }

    func first(_ conditions: [String: String]) -> [String: String]? {
        rows.first { row in conditions.allSatisfy { row[$0.key] == $0.value } }
    }
}

/// The numbers the report shows, taken from the published tables only.
struct ReportNumbers {
    let routeType: TableView
    let route: TableView
    let reasons: TableView
    let pathway: TableView
    let quality: TableView
    let models: TableView

    init(tables: [PublishedTable]) {
        func table(_ name: String) -> TableView { TableView(tables.first { $0.name == name }) }
        routeType = table("route_type_by_group")
        route = table("route_by_group")
        reasons = table("reasons_by_group")
        pathway = table("pathway_by_group")
        quality = table("data_quality")
        models = table("models")
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

    var total: String? { routeType.first(["dimension": "all", "group": "all"])?["total"] }

    func pathwayAll(_ column: String) -> String? {
        pathway.first(["dimension": "all", "group": "all", "route_type": "all"])?[column].flatMap { $0.isEmpty ? nil : $0 }
    }

    static let dimensionTitles: [String: String] = [
        "all": "All referrals", "age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity", "imd_decile": "Deprivation decile (each nation's own index)",
        "imd_quintile": "Deprivation quintile (each nation's own index)", "rurality": "Rurality", "nation": "Nation",
        "nation/imd_quintile": "Nation × deprivation quintile", "nation/imd_decile": "Nation × deprivation decile",
    ]

    static func title(_ dimension: String) -> String { dimensionTitles[dimension] ?? dimension }
}

/// Rows shared by the HTML and Markdown reports, so both say the same thing.
extension Report {
    static let quarantineReasons = [
        "unterminated_quote", "field_count", "invalid_encoding", "missing_required", "invalid_date", "date_out_of_window", "invalid_age",
        "invalid_contacts", "invalid_interventions", "conflicting_referral_id",
    ]

    static let routeTypes = ["medical", "non_medical", "unknown"]

    /// Group, route type, n, total, %, 95% CI for one dimension.
    static func routeTypeRows(_ numbers: ReportNumbers, dimension: String) -> [[String]] {
        var rows: [[String]] = []
        for group in numbers.groups(dimension) {
            for type in routeTypes {
                guard let row = numbers.routeType.first(["dimension": dimension, "group": group, "route_type": type]) else { continue }
                rows.append([group, type, cell(row, "n"), cell(row, "total"), cell(row, "percent"), interval(row)])
            }
        }
        return rows
    }

    /// The non-medical row of every nation × decile group that has referrals, nation by nation.
    static func gradientRows(_ numbers: ReportNumbers) -> [(nation: String, decile: Int, row: [String: String])] {
        var rows: [(nation: String, decile: Int, row: [String: String])] = []
        for nation in ["England", "Wales", "Scotland", "Northern Ireland"] {
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

    static func pathwayCells(_ row: [String: String]) -> [String] {
        [row["route_type"] ?? "", cell(row, "referred"), cell(row, "contacted"), cell(row, "intervention"), cell(row, "pct_contacted"), cell(row, "pct_intervention")]
    }

    /// A fitted model's estimates table: header and rows (ratios, then θ and α).
    static func modelTable(_ numbers: ReportNumbers, _ summary: ModelRunSummary) -> (header: [String], rows: [[String]]) {
        let logistic = summary.family == "logistic"
        let rows = numbers.models.select(["model": summary.name])
        let ame = Dictionary(
            rows.filter { $0["measure"] == "ame_pp" }.map { ("\($0["term"] ?? "")|\($0["level"] ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        var table = rows.filter { $0["measure"] == "odds_ratio" || $0["measure"] == "rate_ratio" }.map { row -> [String] in
            var cells = [row["term"] ?? "", row["level"] ?? "", row["reference"] ?? "", ratio(row), pValue(row)]
            if logistic { cells.append(ame["\(row["term"] ?? "")|\(row["level"] ?? "")"].map(ratioPP) ?? "") }
            return cells
        }
        for dispersion in rows where dispersion["measure"] == "dispersion" {
            table.append([dispersion["term"] ?? "", "", "", ratio(dispersion), ""] + (logistic ? [""] : []))
        }
        let header = ["Covariate", "Level", "Reference", logistic ? "Odds ratio (95% CI)" : "Rate ratio (95% CI)", "p"] + (logistic ? ["AME, points (95% CI)"] : [])
        return (header, table)
    }

    /// What a fitted model used, in one sentence.
    static func modelSize(_ numbers: ReportNumbers, _ summary: ModelRunSummary) -> String {
        let first = numbers.models.first(["model": summary.name])
        return "Referrals used: \(cell(first, "n_obs"))"
            + ((first?["n_clusters"] ?? "").isEmpty ? "; model-based standard errors." : "; organisations: \(cell(first, "n_clusters")); cluster-robust (CR1) standard errors.")
    }

    /// data_quality.csv summed over files, by column.
    static func qualitySums(_ numbers: ReportNumbers) -> [String: Int] {
        var sums: [String: Int] = [:]
        for row in numbers.quality.rows {
            for (key, value) in row where key != "file" { sums[key, default: 0] += Int(value) ?? 0 }
        }
        return sums
    }
}
