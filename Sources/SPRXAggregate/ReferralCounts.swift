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

    public var pattern: Pattern { Pattern(bits: cell & 0x7FFFF) }
    public var routeType: RouteType { RouteType(rawValue: UInt8((cell >> 19) & 0x3)) ?? .unknown }
    public var contacted: Bool { cell & (1 << 21) != 0 }
    public var hasOrganisation: Bool { organisation.count > 0 }
}

/// One entry of the models' histograms: a referral's organisation, pattern, route type
/// and contact flag, with one of its counts.
public struct ModelHistogramKey: Hashable, Sendable, Codable {
    /// Which count ``value`` is.
    public enum Kind: UInt8, Sendable, Codable {
        case contacts, interventions
    }

    public var organisation: ShortCode
    /// As ``ModelCell/cell``.
    public var cell: UInt32
    public var kind: Kind
    /// The count, -1 when unknown.
    public var value: Int32

    public var pattern: Pattern { Pattern(bits: cell & 0x7FFFF) }
    public var routeType: RouteType { RouteType(rawValue: UInt8((cell >> 19) & 0x3)) ?? .unknown }
    public var contacted: Bool { cell & (1 << 21) != 0 }
    public var hasOrganisation: Bool { organisation.count > 0 }

    /// Two words into the hasher instead of six fields (this key is hashed per row).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(organisation.low ^ (organisation.high &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(organisation.count) << 59)
        hasher.combine(UInt64(cell) | UInt64(kind.rawValue) << 24 | UInt64(UInt32(bitPattern: value)) << 32)
    }
}

/// The models' aggregation state: for every organisation × pattern × route type ×
/// contact flag, the histogram of contacts and the histogram of interventions.
///
/// Design note: every referral is counted once in each histogram (unknown counts as
/// -1), so the interventions histogram alone holds every referral: logistic models
/// read events and trials from it, negative binomial models read the count they model.
/// Two marginal histograms rather than one joint one keep the state small (it grows
/// with distinct organisation × pattern × value, and saturates; it never grows with
/// rows), and it merges by addition like ``ReferralCounts``.
public struct ModelCounts: Sendable, Codable, Equatable {
    public private(set) var histogram: [ModelHistogramKey: Int64] = [:]

    public init() {}

    /// Adds (or with `sign: -1` removes) one referral.
    public mutating func add(_ referral: ModelCell, sign: Int64 = 1) {
        histogram[
            ModelHistogramKey(organisation: referral.organisation, cell: referral.cell, kind: .contacts, value: referral.contacts),
            default: 0] += sign
        histogram[
            ModelHistogramKey(
                organisation: referral.organisation, cell: referral.cell, kind: .interventions, value: referral.interventions), default: 0
        ] += sign
    }

    public mutating func merge(_ other: ModelCounts) {
        for (key, count) in other.histogram {
            let sum = histogram[key, default: 0] + count
            histogram[key] = sum == 0 ? nil : sum
        }
    }

    mutating func compact() {
        histogram = histogram.filter { $0.value != 0 }
    }
}
