import SPRXCore

/// The key of an ``OrganisationKeyedTable``: an organisation's number (its
/// position in a list of codes) in the high 32 bits, a 32-bit value (a month level, a
/// model cell) in the low ones. The layout is written here and nowhere else.
public enum OrganisationKey {
    /// The key of organisation number `organisation` and value `low`.
    @inline(__always) public static func make(organisation: UInt64, low: UInt32) -> UInt64 { organisation << 32 | UInt64(low) }

    /// The organisation number and the value of `key`.
    @inline(__always) public static func parts(_ key: UInt64) -> (organisation: Int, low: UInt32) {
        (Int(key >> 32), UInt32(truncatingIfNeeded: key))
    }
}

/// Referrals per organisation and calendar month, and per organisation and case-mix
/// stratum: how many, and of them the non-medical ones, those that reached a link worker
/// and those with an intervention.
///
/// Design note: the organisation tables (funnel plots, provision per PCN) need no more
/// than these four counts per organisation and month, and the indirectly standardised
/// ratios no more than them per organisation and stratum (the strata groupings' levels
/// packed into 32 bits, ``ReferralCounts/Projection/stratum(of:)``), so this is all the
/// state keeps. It grows with distinct organisation × month and organisation × stratum
/// pairs, never with rows, at a few bytes a pair (``OrganisationKeyedTable``), and
/// merges by addition like every other count; which strata were counted is part of the
/// key layout the merge checks (``ReferralCounts/merge(counted:)``).
public struct OrganisationCounts: Sendable, Codable, Equatable {
    /// Keyed by organisation and month level (``GroupKeySchema/monthLevel(_:)``).
    public private(set) var months = OrganisationKeyedTable<ResidentCounts>()
    /// Keyed by organisation and packed case-mix stratum (``ReferralCounts/Projection/stratum(of:)``).
    public private(set) var strata = OrganisationKeyedTable<ResidentCounts>()

    public init() {}

    /// Adds (or with `sign: -1` removes) one referral of `organisation` (the empty code
    /// counts as "no organisation") in `month` and case-mix `stratum`.
    @inline(__always) public mutating func add(
        organisation: ShortCode, month: UInt64, stratum: UInt32 = 0, nonMedical: Bool, contacted: Bool, intervention: Bool, sign: Int64 = 1
    ) {
        addMonth(organisation: organisation, month: month, nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
        addStratum(organisation: organisation, stratum: stratum, nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
    }

    /// Adds (or removes) one referral to the organisation × month table only (a batch
    /// adds each table in turn, ``ReferralCounts/add(_:models:)``).
    @inline(__always) mutating func addMonth(organisation: ShortCode, month: UInt64, nonMedical: Bool, contacted: Bool, intervention: Bool, sign: Int64) {
        months.update(organisation: organisation, low: UInt32(truncatingIfNeeded: month)) {
            $0.add(nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
        }
    }

    /// Adds (or removes) one referral to the organisation × stratum table only.
    @inline(__always) mutating func addStratum(organisation: ShortCode, stratum: UInt32, nonMedical: Bool, contacted: Bool, intervention: Bool, sign: Int64) {
        strata.update(organisation: organisation, low: stratum) {
            $0.add(nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
        }
    }

    /// Every case-mix entry with its organisation's code and packed stratum, in code order.
    public var strataEntries: [(organisation: ShortCode, stratum: UInt32, counts: ResidentCounts)] {
        strata.sortedEntries.map { ($0.organisation, $0.low, $0.value) }
    }

    /// Every entry with its organisation's code and month level, in code order.
    public var entries: [(organisation: ShortCode, month: Int, counts: ResidentCounts)] {
        months.sortedEntries.map { ($0.organisation, Int($0.low), $0.value) }
    }

    /// Adds another state's counts.
    public mutating func merge(_ other: OrganisationCounts) {
        months.merge(other.months)
        strata.merge(other.strata)
    }

    /// Drops zero entries (left by removals) and packs each table into one run.
    public mutating func compact() {
        months.compact()
        strata.compact()
    }

    private enum CodingKeys: String, CodingKey { case organisations, months, strataOrganisations = "strata_organisations", strata }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        months = try OrganisationKeyedTable(from: container, codes: .organisations, entries: .months) { $0.add($1) }
        strata = try OrganisationKeyedTable(from: container, codes: .strataOrganisations, entries: .strata) { $0.add($1) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try months.encode(to: &container, codes: .organisations, entries: .months)
        try strata.encode(to: &container, codes: .strataOrganisations, entries: .strata)
    }
}

extension ResidentCounts: RunValue {
    public static var fieldCount: Int { 4 }
    public func field(_ index: Int) -> Int64 {
        switch index {
        case 0: referred
        case 1: nonMedical
        case 2: contacted
        default: intervention
        }
    }
    public init(fields: (Int) -> Int64) {
        self.init()
        referred = fields(0)
        nonMedical = fields(1)
        contacted = fields(2)
        intervention = fields(3)
    }
}
