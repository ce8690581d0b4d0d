import SPRXCore
import SPRXPipeline

/// A grouping of referrals that the tables break down by (`outputs-v1.md`, "dimension").
public struct Dimension: Sendable {
    public let name: String
    public let groupLabels: [String]
    let groupOf: @Sendable (Pattern) -> Int

    /// The dimensions of the contract, in publication order.
    public static func all(ageBands: [AgeBand]) -> [Dimension] {
        let deciles = (1...10).map(String.init) + ["Unknown"]
        let quintiles = (1...5).map(String.init) + ["Unknown"]
        let bandCount = ageBands.count
        let nationQuintile = Nation.allCases.flatMap { nation in quintiles.map { "\(nation.label)/\($0)" } }
        let nationDecile = Nation.allCases.flatMap { nation in deciles.map { "\(nation.label)/\($0)" } }
        return [
            Dimension(name: "all", groupLabels: ["all"]) { _ in 0 },
            Dimension(name: "age_band", groupLabels: ageBands.map(\.label) + ["Unknown"]) { Int(min($0.ageBand, UInt8(bandCount))) },
            Dimension(name: "sex", groupLabels: Sex.allCases.map(\.label)) { Int($0.sex.rawValue) },
            Dimension(name: "ethnicity", groupLabels: Ethnicity.allCases.map(\.label)) { Int($0.ethnicity.rawValue) },
            Dimension(name: "imd_decile", groupLabels: deciles) { $0.decile == 0 ? 10 : Int($0.decile) - 1 },
            Dimension(name: "imd_quintile", groupLabels: quintiles) { $0.quintile == 0 ? 5 : Int($0.quintile) - 1 },
            Dimension(name: "rurality", groupLabels: Rurality.allCases.map(\.label)) { Int($0.rurality.rawValue) },
            Dimension(name: "nation", groupLabels: Nation.allCases.map(\.label)) { Int($0.nation.rawValue) },
            Dimension(name: "nation/imd_quintile", groupLabels: nationQuintile) {
                Int($0.nation.rawValue) * 6 + ($0.quintile == 0 ? 5 : Int($0.quintile) - 1)
            },
            // The equity gradient: each nation's own deciles, never pooled.
            Dimension(name: "nation/imd_decile", groupLabels: nationDecile) {
                Int($0.nation.rawValue) * 11 + ($0.decile == 0 ? 10 : Int($0.decile) - 1)
            },
        ]
    }
}

/// A published table: a name, a header and formatted rows.
public struct PublishedTable: Sendable {
    public var name: String
    public var header: [String]
    public var rows: [[String]]

    public init(name: String, header: [String], rows: [[String]]) {
        self.name = name
        self.header = header
        self.rows = rows
    }

    /// The table as CSV text (LF line ends, header first).
    public var csv: String {
        var text = CSVText.line(header) + "\n"
        for row in rows { text += CSVText.line(row) + "\n" }
        return text
    }
}

/// Builds the referral-route equity tables of `outputs-v1.md` from ``ReferralCounts``.
public struct EquityTableBuilder: Sendable {
    public let routes: [RouteDefinition]
    public let reasons: [ReasonDefinition]
    public let ageBands: [AgeBand]
    public let disclosure: DisclosureSettings

    public init(routes: [RouteDefinition], reasons: [ReasonDefinition], ageBands: [AgeBand], disclosure: DisclosureSettings) {
        self.routes = routes
        self.reasons = reasons
        self.ageBands = ageBands
        self.disclosure = disclosure
    }

    /// Decimal places for percentages and intervals.
    public static let percentPlaces = 2

    private var controlLabel: String { disclosure.enabled ? "on" : "off" }

    private func publish(_ count: Int64) -> Int64? {
        DisclosureControl.publish(count, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
    }

    /// The columns of a share table (route type, route or reason by group).
    static func shareHeader(category: String) -> [String] {
        ["dimension", "group", category, "n", "total", "percent", "ci_low", "ci_high", "suppressed", "disclosure_control"]
    }

    /// All four tables: route type, route, reasons and pathway by group.
    public func build(_ counts: ReferralCounts) -> [PublishedTable] {
        let dimensions = Dimension.all(ageBands: ageBands)
        let routeTypes = RouteType.allCases
        var routeTypeTable = PublishedTable(
            name: "route_type_by_group", header: Self.shareHeader(category: "route_type"),
            rows: [])
        var routeTable = PublishedTable(
            name: "route_by_group", header: Self.shareHeader(category: "route"),
            rows: [])
        var reasonTable = PublishedTable(
            name: "reasons_by_group", header: Self.shareHeader(category: "reason"),
            rows: [])
        var pathwayTable = PublishedTable(
            name: "pathway_by_group",
            header: [
                "dimension", "group", "route_type", "referred", "contacted", "intervention", "pct_contacted", "pct_intervention",
                "suppressed", "disclosure_control",
            ],
            rows: [])

        let outcomeEntries = counts.outcomes.sorted { $0.key < $1.key }
        let reasonEntries = counts.reasons.sorted { $0.key < $1.key }
        for dimension in dimensions {
            let groups = dimension.groupLabels.count
            var byRoute = [[Int64]](repeating: [Int64](repeating: 0, count: routes.count), count: groups)
            var pathway = [[OutcomeCounts]](repeating: [OutcomeCounts](repeating: OutcomeCounts(), count: routeTypes.count + 1), count: groups)
            var byReason = [[Int64]](repeating: [Int64](repeating: 0, count: reasons.count), count: groups)
            for (key, value) in outcomeEntries {
                let g = dimension.groupOf(Pattern(bits: key))
                let route = Int(key >> 19)
                guard route < routes.count else { continue }
                byRoute[g][route] += value.referred
                for slot in [Int(routes[route].type.rawValue), routeTypes.count] {
                    pathway[g][slot].referred += value.referred
                    pathway[g][slot].contacted += value.contacted
                    pathway[g][slot].intervention += value.intervention
                }
            }
            for (key, value) in reasonEntries {
                let reason = Int(key >> 19)
                guard reason < reasons.count else { continue }
                byReason[dimension.groupOf(Pattern(bits: key))][reason] += value
            }
            for g in 0..<groups {
                let groupTotal = byRoute[g].reduce(0, +)
                guard groupTotal > 0 else { continue }
                let label = dimension.groupLabels[g]
                // Route type: categories partition the group.
                let typeCounts = routeTypes.map { type in
                    routes.indices.filter { routes[$0].type == type }.reduce(Int64(0)) { $0 + byRoute[g][$1] }
                }
                routeTypeTable.rows += partitionRows(dimension.name, label, routeTypes.map(\.label), typeCounts)
                routeTable.rows += partitionRows(dimension.name, label, routes.map(\.id), byRoute[g])
                reasonTable.rows += multiResponseRows(dimension.name, label, reasons.map(\.id), byReason[g], groupTotal: groupTotal)
                for (slot, name) in (routeTypes.map(\.label) + ["all"]).enumerated() {
                    pathwayTable.rows.append(pathwayRow(dimension.name, label, name, pathway[g][slot]))
                }
            }
        }
        return [routeTypeTable, routeTable, reasonTable, pathwayTable]
    }

    /// Rows for categories that partition a group: the published total is the sum of
    /// the published counts, so a suppressed cell cannot be recovered by subtraction.
    private func partitionRows(_ dimension: String, _ group: String, _ categories: [String], _ counts: [Int64]) -> [[String]] {
        let published = counts.map(publish)
        let total = published.reduce(Int64(0)) { $0 + ($1 ?? 0) }
        return categories.indices.map { i in
            row(dimension, group, categories[i], published[i], total: total)
        }
    }

    /// Rows for a multi-response question (reasons): the total is the group's referrals.
    private func multiResponseRows(
        _ dimension: String, _ group: String, _ categories: [String], _ counts: [Int64], groupTotal: Int64
    ) -> [[String]] {
        let total = publish(groupTotal)
        return categories.indices.map { i in
            guard let total else {
                return [dimension, group, categories[i], "", "", "", "", "", "TRUE", controlLabel].map(CSVText.text)
            }
            return row(dimension, group, categories[i], publish(counts[i]).map { min($0, total) }, total: total)
        }
    }

    private func row(_ dimension: String, _ group: String, _ category: String, _ n: Int64?, total: Int64) -> [String] {
        var cells = [CSVText.text(dimension), CSVText.text(group), CSVText.text(category)]
        guard let n else {
            return cells + ["", String(total), "", "", "", "TRUE", controlLabel]
        }
        cells += [String(n), String(total)]
        if total > 0, let ci = WilsonInterval.bounds(successes: n, total: total) {
            cells += [
                DecimalText.format(100 * Double(n) / Double(total), places: Self.percentPlaces),
                DecimalText.format(100 * ci.low, places: Self.percentPlaces),
                DecimalText.format(100 * ci.high, places: Self.percentPlaces),
            ]
        } else {
            cells += ["", "", ""]
        }
        return cells + ["FALSE", controlLabel]
    }

    private func pathwayRow(_ dimension: String, _ group: String, _ routeType: String, _ counts: OutcomeCounts) -> [String] {
        let referred = publish(counts.referred)
        let contacted = publish(counts.contacted)
        let intervention = publish(counts.intervention)
        func cell(_ v: Int64?) -> String { v.map(String.init) ?? "" }
        func pct(_ v: Int64?) -> String {
            guard let v, let referred, referred > 0 else { return "" }
            return DecimalText.format(100 * Double(min(v, referred)) / Double(referred), places: Self.percentPlaces)
        }
        let suppressed = referred == nil || contacted == nil || intervention == nil
        return [
            CSVText.text(dimension), CSVText.text(group), CSVText.text(routeType), cell(referred), cell(contacted), cell(intervention),
            pct(contacted), pct(intervention), suppressed ? "TRUE" : "FALSE", controlLabel,
        ]
    }
}
