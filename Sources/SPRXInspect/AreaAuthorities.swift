import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// Which local authority each small area is in, from the deprivation lookups'
/// `local_authority_columns` (the columns a pipeline's `catchment: {local_authorities:
/// [...]}` is matched against), so `inspect` can say where an export's referrals live.
///
/// Local authority names and codes are public geography, not patient data: they are
/// shown with the share of referrals whatever their count; only a count below the
/// disclosure threshold is withheld ("fewer than 8").
public struct AreaAuthorities: Sendable {
    /// A local authority: the name a catchment lists it by, its code when the lookup has
    /// one, and its nation.
    public struct Authority: Sendable, Hashable, Codable {
        public var name: String
        public var code: String?
        public var nation: String
    }
    public private(set) var authorities: [Authority] = []
    private var areaAuthority: [ShortCode: Int32] = [:]
    /// Small areas per local authority (the catchment's size in areas).
    public private(set) var areasPerAuthority: [Int] = []

    /// Reads the lookups that have local authority columns; lookups without them are skipped.
    ///
    /// A column whose name ends in `name` gives the name, one ending in `code` the code;
    /// with one column only, it is the name.
    public static func load(_ settings: EnrichSettings) throws -> AreaAuthorities {
        var out = AreaAuthorities()
        var index: [String: Int32] = [:]
        for source in settings.deprivation where !source.localAuthorityColumns.isEmpty {
            let columns = source.localAuthorityColumns
            let nameColumn = columns.first { $0.lowercased().hasSuffix("name") } ?? columns.last!
            let codeColumn = columns.first { $0.lowercased().hasSuffix("code") && $0 != nameColumn }
            let wanted = [source.codeColumn, nameColumn] + (codeColumn.map { [$0] } ?? [])
            _ = try ReferenceTableReader.scan(path: settings.referenceDirectory + "/" + source.file, columns: wanted) { row, indices in
                guard let area = ShortCode(row.string(indices[0]).trimmingSpaces()) else { return }
                let name = row.string(indices[1]).trimmingSpaces()
                guard !name.isEmpty else { return }
                let code = indices.count > 2 ? row.string(indices[2]).trimmingSpaces() : nil
                let key = source.nation.label + "\u{0}" + name.lowercased()
                let i: Int32
                if let known = index[key] {
                    i = known
                } else {
                    i = Int32(out.authorities.count)
                    index[key] = i
                    out.authorities.append(Authority(name: name, code: code?.isEmpty == false ? code : nil, nation: source.nation.label))
                    out.areasPerAuthority.append(0)
                }
                if out.areaAuthority.updateValue(i, forKey: area) == nil { out.areasPerAuthority[Int(i)] += 1 }
            }
        }
        return out
    }

    /// The local authority (index into ``authorities``) an area code is in, or `nil`.
    public func authority(of area: ShortCode) -> Int32? { areaAuthority[area] }

    /// Whether any lookup had local authority columns.
    public var isEmpty: Bool { authorities.isEmpty }
}

/// Where an export's referrals live, by local authority and nation, and the catchment a
/// draft proposes from it.
///
/// The proposal: the fewest local authorities that together hold at least
/// ``coveredShare`` of the referrals whose area is placed; listed when they are at most
/// ``maxListed`` and at most a tenth of the lookups' local authorities (a local service),
/// otherwise `every_area` (a national or regional export: list the region's authorities
/// by hand). Either way the draft marks it `# REVIEW`.
public struct CatchmentProposal: Sendable {
    /// One local authority's referrals.
    public struct Share: Sendable, Codable {
        public var authority: AreaAuthorities.Authority
        public var count: Int
        public var share: Double
    }
    public static let coveredShare = 0.95
    public static let maxListed = 25

    /// Referrals per local authority, most first (ties by name).
    public var shares: [Share] = []
    /// Referrals whose area code a lookup places in a local authority.
    public var placed = 0
    /// Area codes of the area column (non-empty values).
    public var areaCodes = 0
    /// Local authorities the lookups list.
    public var authoritiesInLookups = 0
    /// The proposed local authorities (names), or empty for `every_area`.
    public var proposed: [String] = []
    /// Share of placed referrals outside the proposed authorities.
    public var outside = 0.0

    public init(_ inspection: Inspection) {
        guard let places = inspection.places, let index = inspection.fieldColumns[.areaCode] else { return }
        let profile = inspection.columns[index].profile
        areaCodes = profile.nonEmpty
        authoritiesInLookups = places.authorities.count
        placed = profile.authorityCounts.values.reduce(0, +)
        guard placed > 0 else { return }
        shares = profile.authorityCounts.map { Share(authority: places.authorities[Int($0.key)], count: $0.value, share: Double($0.value) / Double(placed)) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : ($0.authority.nation, $0.authority.name) < ($1.authority.nation, $1.authority.name) }
        var covered = 0
        var chosen: [String] = []
        for share in shares where Double(covered) < Self.coveredShare * Double(placed) {
            covered += share.count
            chosen.append(share.authority.name)
        }
        if chosen.count <= Self.maxListed && chosen.count * 10 <= authoritiesInLookups {
            proposed = chosen
            outside = Double(placed - covered) / Double(placed)
        }
    }

    /// Referrals per nation (of those placed), in the order England, Wales, Scotland, Northern Ireland.
    public var nations: [(String, Int)] {
        Nation.known.compactMap { nation in
            let n = shares.filter { $0.authority.nation == nation.label }.reduce(0) { $0 + $1.count }
            return n > 0 ? (nation.label, n) : nil
        }
    }

    /// The YAML value of `catchment`.
    var yaml: String {
        proposed.isEmpty ? "every_area" : "{local_authorities: [" + proposed.map(DraftPipeline.quoted).joined(separator: ", ") + "]}"
    }

    /// Why, in the draft's `# REVIEW` note.
    var review: String {
        if placed == 0 {
            return
                "no area code was placed in a local authority, so every_area (the whole UK) is the denominator: name the local authorities the service covers"
        }
        if proposed.isEmpty {
            return
                "the referrals are spread over \(shares.count) local authorities (\(nations.map(\.0).joined(separator: ", "))): rates are against every area of the nations; for a regional service list its local authorities"
        }
        return
            "the local authorities holding \(String(format: "%.1f", (1 - outside) * 100))% of the referrals placed; list every authority the service covers (rates count only their population)"
    }

    /// Comment lines above `catchment:` naming the authorities and their shares.
    var comments: [String] {
        guard placed > 0 else { return [] }
        var lines = [
            "Referrals by local authority (from the area codes): \(placed) of \(areaCodes) placed; by nation: "
                + nations.map { "\($0.0) \(String(format: "%.1f", Double($0.1) / Double(placed) * 100))%" }.joined(separator: ", ")
        ]
        for share in shares.prefix(10) {
            lines.append("  \(share.authority.name)\(share.authority.code.map { " (\($0))" } ?? ""): \(String(format: "%.1f", share.share * 100))%")
        }
        if shares.count > 10 { lines.append("  and \(shares.count - 10) more local authorities") }
        if !proposed.isEmpty && outside > 0 {
            lines.append(
                "\(String(format: "%.1f", outside * 100))% of placed referrals are from other local authorities: a run counts them outside the catchment")
        }
        return lines
    }
}
