import SPRXCore

/// Organisation codes numbered in the order a state first saw them; number 0 is "none"
/// (the empty code), so a table can key a referral by a small integer instead of its code.
///
/// Two states number the same codes differently; ``remap(from:)`` gives the numbers of
/// another registry's codes in this one, which is how tables keyed by these numbers merge.
public struct OrganisationRegistry: Sendable {
    /// The codes by number; index 0 is the empty code.
    public private(set) var codes: [ShortCode] = [ShortCode()]
    private var numbers = FlatTable<ShortCode, UInt32>(initial: UInt32.max)

    public init() {}

    /// The number of `code`, added if new (0 for the empty code).
    @inline(__always) public mutating func number(of code: ShortCode) -> UInt64 {
        if code.count == 0 { return 0 }
        let next = UInt32(codes.count)
        let number = numbers.update(code) { value -> UInt32 in
            if value == UInt32.max { value = next }
            return value
        }
        if number == next { codes.append(code) }
        return UInt64(number)
    }

    /// This registry's number for each of `other`'s numbers (adding codes it lacks).
    public mutating func remap(from other: OrganisationRegistry) -> [UInt64] {
        other.codes.map { number(of: $0) }
    }

    /// The numbers in code order: `order[n]` is the rank of number `n`'s code, so equal
    /// states encode to equal bytes whatever order they saw the codes in.
    public var codeOrder: (codes: [ShortCode], rank: [UInt64]) {
        let sorted = codes.enumerated().sorted { $0.element < $1.element }
        var rank = [UInt64](repeating: 0, count: codes.count)
        for (new, old) in sorted.enumerated() { rank[old.offset] = UInt64(new) }
        return (sorted.map(\.element), rank)
    }
}

/// Referrals per organisation and calendar month: how many, and of them the non-medical
/// ones, those that reached a link worker and those with an intervention.
///
/// Design note: the organisation tables (funnel plots, provision per PCN) need no more
/// than these four counts per organisation and month, so this is all the state keeps.
/// It grows with distinct organisation × month pairs, never with rows, and merges by
/// addition (after renumbering the other state's codes) like every other count.
public struct OrganisationCounts: Sendable, Codable, Equatable {
    /// The organisations' numbers.
    public private(set) var registry = OrganisationRegistry()
    /// Key: organisation number << 32 | month level (``GroupKeySchema/monthLevel(_:)``).
    public private(set) var months = FlatTable<UInt64, ResidentCounts>(initial: ResidentCounts())

    public init() {}

    /// Adds (or with `sign: -1` removes) one referral of `organisation` (the empty code
    /// counts under number 0, "no organisation").
    @inline(__always) public mutating func add(
        organisation: ShortCode, month: UInt64, nonMedical: Bool, contacted: Bool, intervention: Bool, sign: Int64 = 1
    ) {
        let number = registry.number(of: organisation)
        months.update(number << 32 | month) { $0.add(nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign) }
    }

    /// Every entry with its organisation's code and month level.
    public var entries: [(organisation: ShortCode, month: Int, counts: ResidentCounts)] {
        months.map { (registry.codes[Int($0.key >> 32)], Int($0.key & 0xFFFF_FFFF), $0.value) }
    }

    /// Adds another state's counts.
    public mutating func merge(_ other: OrganisationCounts) {
        let remap = registry.remap(from: other.registry)
        for (key, value) in other.months { months.update(remap[Int(key >> 32)] << 32 | (key & 0xFFFF_FFFF)) { $0.add(value) } }
        compact()
    }

    /// Drops zero entries (left by removals).
    public mutating func compact() { months = months.filter { $1 != ResidentCounts() } }

    public static func == (a: OrganisationCounts, b: OrganisationCounts) -> Bool {
        func byCode(_ s: OrganisationCounts) -> [String: ResidentCounts] {
            var result: [String: ResidentCounts] = [:]
            for entry in s.entries where entry.counts != ResidentCounts() {
                result[entry.organisation.description + "#" + String(entry.month)] = entry.counts
            }
            return result
        }
        return byCode(a) == byCode(b)
    }

    private enum CodingKeys: String, CodingKey { case organisations, months }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let codes = try container.decode([ShortCode].self, forKey: .organisations)
        let stored = try container.decode(FlatTable<UInt64, ResidentCounts>.self, forKey: .months)
        for (key, value) in stored {
            guard Int(key >> 32) < codes.count else {
                throw DecodingError.dataCorruptedError(forKey: .months, in: container, debugDescription: "organisation index out of range")
            }
            let number = registry.number(of: codes[Int(key >> 32)])
            months.update(number << 32 | (key & 0xFFFF_FFFF)) { $0.add(value) }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let (codes, rank) = registry.codeOrder
        var renumbered = FlatTable<UInt64, ResidentCounts>(initial: ResidentCounts(), minimumCapacity: months.count)
        for (key, value) in months { renumbered.update(rank[Int(key >> 32)] << 32 | (key & 0xFFFF_FFFF)) { $0 = value } }
        try container.encode(codes, forKey: .organisations)
        try container.encode(renumbered, forKey: .months)
    }
}
