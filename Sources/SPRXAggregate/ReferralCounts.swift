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
    }

    /// Number of clean referrals counted.
    public var referrals: Int64 { outcomes.values.reduce(0) { $0 + $1.referred } }

    /// Drops zero entries (left by removals) so equal counts compare equal.
    public mutating func compact() {
        outcomes = outcomes.filter { $0.value.referred != 0 || $0.value.contacted != 0 || $0.value.intervention != 0 }
        reasons = reasons.filter { $0.value != 0 }
    }
}
