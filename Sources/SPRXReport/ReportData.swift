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
        guard let row, row["suppressed"] != "TRUE" || !(row[column] ?? "").isEmpty, let text = row[column], !text.isEmpty else { return nil }
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
