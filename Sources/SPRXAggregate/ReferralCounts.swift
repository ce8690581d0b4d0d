import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// The demographic pattern of a referral, packed into 19 bits.
///
/// Bits: age band 0-4, sex 5-6, ethnicity 7-9, nation 10-12, decile 13-16,
/// rurality 17-18. Every table dimension is a function of the pattern.
public struct Pattern: Hashable, Sendable, Comparable {
    public var bits: UInt32

    public init(bits: UInt32) { self.bits = bits & 0x7FFFF }

    public init(ageBand: UInt8, sex: Sex, ethnicity: Ethnicity, nation: Nation, decile: UInt8, rurality: Rurality) {
        bits = UInt32(ageBand & 0x1F) | UInt32(sex.rawValue) << 5 | UInt32(ethnicity.rawValue) << 7
            | UInt32(nation.rawValue) << 10 | UInt32(decile & 0xF) << 13 | UInt32(rurality.rawValue) << 17
    }

    public var ageBand: UInt8 { UInt8(bits & 0x1F) }
    public var sex: Sex { Sex(rawValue: UInt8((bits >> 5) & 0x3))! }
    public var ethnicity: Ethnicity { Ethnicity(rawValue: UInt8((bits >> 7) & 0x7)) ?? .unknown }
    public var nation: Nation { Nation(rawValue: UInt8((bits >> 10) & 0x7)) ?? .unknown }
    public var decile: UInt8 { UInt8((bits >> 13) & 0xF) }
    public var quintile: UInt8 { decile == 0 ? 0 : (decile + 1) / 2 }
    public var rurality: Rurality { Rurality(rawValue: UInt8((bits >> 17) & 0x3))! }

    public static func < (a: Pattern, b: Pattern) -> Bool { a.bits < b.bits }
}

/// What is counted for each pattern × route: referrals, contacted, with an intervention.
public struct OutcomeCounts: Hashable, Sendable, Codable {
    public var referred: Int64 = 0
    public var contacted: Int64 = 0
    public var intervention: Int64 = 0
    public init() {}
}

/// The aggregation state: counts keyed by small integer codes.
///
/// Design note: its size depends on how many distinct patterns occur (thousands), never
/// on the number of rows, and ``merge(_:)`` is plain addition, so workers build one each,
/// the runner merges them in input order, and shards of a national extract can be
/// counted on different machines, serialised (`Codable`) and merged. Removing a
/// referral again (a duplicate found later) is addition with `sign: -1`.
public struct ReferralCounts: Sendable, Codable, Equatable {
    /// Key: pattern bits | route << 19.
    public private(set) var outcomes: [UInt32: OutcomeCounts] = [:]
    /// Key: pattern bits | reason << 19; one count per reason a referral gives.
    public private(set) var reasons: [UInt32: Int64] = [:]
    /// What the statistical models need: per organisation, pattern and outcomes.
    public var models = ModelCounts()

    public init() {}

    /// Adds (or with `sign: -1` removes) one referral.
    public mutating func add(
        pattern: Pattern, route: UInt8, reasons reasonMask: UInt32, contacted: Bool, intervention: Bool, sign: Int64 = 1
    ) {
        let key = pattern.bits | UInt32(route) << 19
        outcomes[key, default: OutcomeCounts()].referred += sign
        if contacted { outcomes[key, default: OutcomeCounts()].contacted += sign }
        if intervention { outcomes[key, default: OutcomeCounts()].intervention += sign }
        var mask = reasonMask
        while mask != 0 {
            let reason = UInt32(mask.trailingZeroBitCount)
            reasons[pattern.bits | reason << 19, default: 0] += sign
            mask &= mask - 1
        }
    }

    /// Adds another state's counts to this one.
    public mutating func merge(_ other: ReferralCounts) {
        for (key, value) in other.outcomes {
            var current = outcomes[key, default: OutcomeCounts()]
            current.referred += value.referred
            current.contacted += value.contacted
            current.intervention += value.intervention
            outcomes[key] = current.referred == 0 && current.contacted == 0 && current.intervention == 0 ? nil : current
        }
        for (key, value) in other.reasons {
            let sum = reasons[key, default: 0] + value
            reasons[key] = sum == 0 ? nil : sum
        }
        models.merge(other.models)
    }

    /// Number of clean referrals counted.
    public var referrals: Int64 { outcomes.values.reduce(0) { $0 + $1.referred } }

    /// Drops zero entries (left by removals) so equal counts compare equal.
    public mutating func compact() {
        outcomes = outcomes.filter { $0.value.referred != 0 || $0.value.contacted != 0 || $0.value.intervention != 0 }
        reasons = reasons.filter { $0.value != 0 }
        models.compact()
    }
}

/// One referral as the models see it: organisation, pattern, route type, whether it
/// reached a link worker, and its contact and intervention counts.
public struct ModelCell: Hashable, Sendable, Codable {
    /// The organisation (cluster); an empty code when the referral has none.
    public var organisation: ShortCode
    /// Pattern bits | route type << 19 | reached a link worker << 21.
    public var cell: UInt32
    /// Contacts, -1 when unknown.
    public var contacts: Int32
    /// Interventions, -1 when unknown.
    public var interventions: Int32

    public init(organisation: ShortCode?, pattern: Pattern, routeType: RouteType, contacted: Bool, contacts: Int32, interventions: Int32) {
        self.organisation = organisation ?? ShortCode()
        self.cell = pattern.bits | UInt32(routeType.rawValue) << 19 | (contacted ? 1 << 21 : 0)
        self.contacts = contacts
        self.interventions = interventions
    }
}

/// One organisation × pattern × route type × contact flag in the models' state.
public struct ModelCellKey: Hashable, Sendable, Codable {
    public var organisation: ShortCode
    /// As ``ModelCell/cell``.
    public var cell: UInt32

    public var pattern: Pattern { Pattern(bits: cell & 0x7FFFF) }
    public var routeType: RouteType { RouteType(rawValue: UInt8((cell >> 19) & 0x3)) ?? .unknown }
    public var contacted: Bool { cell & (1 << 21) != 0 }
    public var hasOrganisation: Bool { organisation.count > 0 }

    /// Two words into the hasher (this key is hashed per referral).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(organisation.low ^ (organisation.high &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(organisation.count) << 59)
        hasher.combine(cell)
    }
}

/// What the models need of the referrals in one ``ModelCellKey``: how many, and the
/// number and sum of known contact and intervention counts.
public struct ModelCellSums: Sendable, Codable, Equatable {
    public var referrals: Int64 = 0
    public var contactsKnown: Int64 = 0
    public var contacts: Int64 = 0
    public var interventionsKnown: Int64 = 0
    public var interventions: Int64 = 0
    /// Referrals with interventions > 0.
    public var withIntervention: Int64 = 0

    public init() {}

    mutating func add(_ other: ModelCellSums) {
        referrals += other.referrals
        contactsKnown += other.contactsKnown
        contacts += other.contacts
        interventionsKnown += other.interventionsKnown
        interventions += other.interventions
        withIntervention += other.withIntervention
    }

    var isZero: Bool { self == ModelCellSums() }
}

/// The models' aggregation state.
///
/// Design note: a logistic model needs events and trials per organisation × covariate
/// pattern, a negative binomial model the count and sum of its outcome there (for β and
/// the cluster scores) and the histogram of the outcome per pattern, across
/// organisations (for θ). So the state is exactly that: ``cells`` keyed by organisation
/// × pattern × route type × contact flag with six sums, and ``histogram`` of known
/// contact and intervention counts per pattern (and whether the referral has an
/// organisation). It grows with distinct organisation × pattern combinations, never
/// with rows, and merges by addition like ``ReferralCounts``.
public struct ModelCounts: Sendable, Codable, Equatable {
    public private(set) var cells: [ModelCellKey: ModelCellSums] = [:]
    /// Key: see ``histogramKey(cell:hasOrganisation:kind:value:)``.
    public private(set) var histogram: [UInt64: Int64] = [:]

    /// Which count a histogram entry holds.
    public enum Kind: UInt64, Sendable {
        case contacts = 0, interventions = 1
    }

    public init() {}

    /// cell (22 bits) | has organisation << 22 | kind << 23 | value << 32.
    public static func histogramKey(cell: UInt32, hasOrganisation: Bool, kind: Kind, value: Int32) -> UInt64 {
        UInt64(cell & 0x3F_FFFF) | (hasOrganisation ? 1 << 22 : 0) | kind.rawValue << 23 | UInt64(UInt32(bitPattern: value)) << 32
    }

    /// The parts of a histogram key.
    public static func histogramParts(_ key: UInt64) -> (cell: UInt32, hasOrganisation: Bool, kind: Kind, value: Int32) {
        (UInt32(key & 0x3F_FFFF), key & (1 << 22) != 0, Kind(rawValue: (key >> 23) & 1)!, Int32(bitPattern: UInt32(key >> 32)))
    }

    /// Adds (or with `sign: -1` removes) one referral.
    public mutating func add(_ referral: ModelCell, sign: Int64 = 1) {
        var sums = ModelCellSums()
        sums.referrals = sign
        if referral.contacts >= 0 {
            sums.contactsKnown = sign
            sums.contacts = sign * Int64(referral.contacts)
        }
        if referral.interventions >= 0 {
            sums.interventionsKnown = sign
            sums.interventions = sign * Int64(referral.interventions)
            sums.withIntervention = referral.interventions > 0 ? sign : 0
        }
        cells[ModelCellKey(organisation: referral.organisation, cell: referral.cell), default: ModelCellSums()].add(sums)
        let hasOrganisation = referral.organisation.count > 0
        if referral.contacts >= 0 {
            histogram[Self.histogramKey(cell: referral.cell, hasOrganisation: hasOrganisation, kind: .contacts, value: referral.contacts), default: 0] += sign
        }
        if referral.interventions >= 0 {
            histogram[
                Self.histogramKey(cell: referral.cell, hasOrganisation: hasOrganisation, kind: .interventions, value: referral.interventions),
                default: 0] += sign
        }
    }

    public mutating func merge(_ other: ModelCounts) {
        for (key, sums) in other.cells {
            var current = cells[key, default: ModelCellSums()]
            current.add(sums)
            cells[key] = current.isZero ? nil : current
        }
        for (key, count) in other.histogram {
            let sum = histogram[key, default: 0] + count
            histogram[key] = sum == 0 ? nil : sum
        }
    }

    mutating func compact() {
        cells = cells.filter { !$0.value.isZero }
        histogram = histogram.filter { $0.value != 0 }
    }
}
