import SPRXCore
import SPRXPipeline

/// The enrich stage's answer for one referral: nation, deprivation, rurality, age band.
public struct Enrichment: Sendable, Hashable {
    public var nation: Nation
    /// Within-nation decile 1-10, 0 = Unknown.
    public var decile: UInt8
    public var rurality: Rurality
    /// Index into the pipeline's age bands; `ageBands.count` = Unknown.
    public var ageBand: UInt8
    /// European Standard Population age group, ``GroupKeySchema/unknownStandardAgeLevel`` = Unknown.
    public var standardAge: UInt8
    /// Whether the area is in the population catchment (``AreaInfo/resident``).
    public var resident: Bool
    /// The area's local authority (``AreaInfo/authority``), 0 when none is named.
    public var authority: UInt16 = 0

    /// Quintile 1-5 from the decile (deciles 1-2 → 1, …), 0 = Unknown.
    @inlinable public var quintile: UInt8 { decile == 0 ? 0 : (decile + 1) / 2 }
}

/// Counts of area codes the lookups could not place, per nation.
public struct AreaMatchCounts: Sendable, Hashable, Codable {
    /// Empty, `Unknown`, or not a UK small-area code.
    public var unknownArea = 0
    /// A nation's code that is not in that nation's deprivation index, by nation.
    public var unmatchedDeprivation = [Int](repeating: 0, count: Nation.known.count)
    /// A nation's code with no rurality class, by nation.
    public var unmatchedRurality = [Int](repeating: 0, count: Nation.known.count)

    public init() {}

    public mutating func merge(_ other: AreaMatchCounts) {
        unknownArea += other.unknownArea
        for i in unmatchedDeprivation.indices {
            unmatchedDeprivation[i] += other.unmatchedDeprivation[i]
            unmatchedRurality[i] += other.unmatchedRurality[i]
        }
    }

    /// The counts of one referral's packed flags (see ``EnrichRules/enrichPacked(area:age:)``).
    public init(packed bits: UInt16) {
        add(packed: bits, times: 1)
    }

    /// Adds `times` referrals with the packed flags `bits`.
    public mutating func add(packed bits: UInt16, times: Int) {
        unknownArea += Int(bits & 1) * times
        for i in 0..<Nation.known.count {
            unmatchedDeprivation[i] += Int((bits >> (1 + 2 * i)) & 1) * times
            unmatchedRurality[i] += Int((bits >> (2 + 2 * i)) & 1) * times
        }
    }

    public mutating func subtract(_ other: AreaMatchCounts) {
        unknownArea -= other.unknownArea
        for i in unmatchedDeprivation.indices {
            unmatchedDeprivation[i] -= other.unmatchedDeprivation[i]
            unmatchedRurality[i] -= other.unmatchedRurality[i]
        }
    }
}

/// Shared, read-only enrichment: lookups plus age bands.
public struct EnrichRules: Sendable {
    public let reference: ReferenceData
    public let ageBands: [AgeBand]
    /// Age (0-120) → band index.
    @usableFromInline let bandOfAge: [UInt8]
    /// Age (0-120) → European Standard Population group.
    @usableFromInline let standardGroupOfAge: [UInt8]

    public init(reference: ReferenceData, ageBands: [AgeBand]) {
        self.reference = reference
        self.ageBands = ageBands
        var table = [UInt8](repeating: UInt8(ageBands.count), count: 121)
        for (i, band) in ageBands.enumerated() {
            for age in band.lower...min(band.upper, 120) { table[age] = UInt8(i) }
        }
        bandOfAge = table
        // safe: group(ofAge:) is nil only for a negative age
        standardGroupOfAge = (0...120).map { UInt8(EuropeanStandardPopulation.group(ofAge: $0)!) }
    }

    /// The band index for an age, `ageBands.count` when unknown.
    @inlinable public func ageBand(_ age: Int16) -> UInt8 {
        age >= 0 && age <= 120 ? bandOfAge[Int(age)] : UInt8(ageBands.count)
    }

    /// The European Standard Population group for an age, ``GroupKeySchema/unknownStandardAgeLevel`` when unknown.
    @inlinable public func standardAge(_ age: Int16) -> UInt8 {
        age >= 0 && age <= 120 ? standardGroupOfAge[Int(age)] : UInt8(GroupKeySchema.unknownStandardAgeLevel)
    }

    /// Enriches one area and age; the second value packs what could not be placed:
    /// bit 0 unknown area, then per nation i bit 1 + 2i no decile, bit 2 + 2i no rurality
    /// (see ``AreaMatchCounts/init(packed:)``). Allocates nothing: this runs per referral.
    public func enrichPacked(area: ShortCode?, age: Int16) -> (Enrichment, UInt16) {
        var result = Enrichment(
            nation: .unknown, decile: 0, rurality: .unknown, ageBand: ageBand(age), standardAge: standardAge(age), resident: false)
        guard let area else { return (result, 1) }
        let nation = area.nation
        result.nation = nation
        guard nation != .unknown else { return (result, 1) }
        if let info = reference.info(area) {
            result.decile = info.decile
            result.rurality = info.rurality
            result.resident = info.resident
            result.authority = info.authority
        }
        var flags: UInt16 = 0
        let n = UInt16(nation.rawValue)
        if result.decile == 0 { flags |= 1 << (1 + 2 * n) }
        if result.rurality == .unknown { flags |= 1 << (2 + 2 * n) }
        return (result, flags)
    }

    /// Enriches one area and age; `nil` counts when the area was placed fully.
    public func enrich(area: ShortCode?, age: Int16) -> (Enrichment, AreaMatchCounts?) {
        let (result, flags) = enrichPacked(area: area, age: age)
        return (result, flags == 0 ? nil : AreaMatchCounts(packed: flags))
    }
}
