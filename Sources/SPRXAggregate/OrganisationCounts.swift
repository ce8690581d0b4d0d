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

/// The key of an ``OrganisationKeyedTable``: an organisation's number (its
/// ``OrganisationRegistry``'s) in the high 32 bits, a 32-bit value (a month level, a
/// model cell) in the low ones. The layout is written here and nowhere else.
public enum OrganisationKey {
    /// The key of organisation number `organisation` and value `low`.
    @inline(__always) public static func make(organisation: UInt64, low: UInt32) -> UInt64 { organisation << 32 | UInt64(low) }

    /// The organisation number and the value of `key`.
    @inline(__always) public static func parts(_ key: UInt64) -> (organisation: Int, low: UInt32) {
        (Int(key >> 32), UInt32(truncatingIfNeeded: key))
    }
}

/// A table keyed by organisation × a 32-bit value, the organisation held as its number in
/// the table's own ``OrganisationRegistry``: eight bytes a key instead of the 24 a code
/// and a value take, which matters in the largest tables of a run.
///
/// Design note: two tables number the same codes differently, so ``merge(_:_:)``
/// renumbers the other table's keys into this one's registry; encoding renumbers the
/// organisations into code order, so equal tables encode to equal bytes whatever order
/// they saw the codes in; decoding checks every key's organisation against the codes.
public struct OrganisationKeyedTable<Value: Sendable & Codable>: Sendable {
    /// The organisations' numbers (0 is "none", the empty code).
    public private(set) var registry = OrganisationRegistry()
    /// The entries by ``OrganisationKey``.
    public private(set) var entries: FlatTable<UInt64, Value>

    /// An empty table whose new entries start from `initial`.
    public init(initial: Value) { entries = FlatTable(initial: initial) }

    /// The codes by number; index 0 is the empty code.
    public var codes: [ShortCode] { registry.codes }

    /// Updates the entry of `organisation` (the empty code is number 0) and `low`.
    @inline(__always) public mutating func update(organisation: ShortCode, low: UInt32, _ body: (inout Value) -> Void) {
        let number = registry.number(of: organisation)
        entries.update(OrganisationKey.make(organisation: number, low: low), body)
    }

    /// Every entry with its organisation's number (an index into ``codes``) and value.
    public var numbered: LazyMapSequence<FlatTable<UInt64, Value>, (organisation: Int, low: UInt32, value: Value)> {
        entries.lazy.map { entry in
            let parts = OrganisationKey.parts(entry.key)
            return (parts.organisation, parts.low, entry.value)
        }
    }

    /// Adds another table's entries with `add`, renumbering its organisations into this
    /// table's registry.
    public mutating func merge(_ other: OrganisationKeyedTable, _ add: (inout Value, Value) -> Void) {
        let remap = registry.remap(from: other.registry)
        for (key, value) in other.entries {
            let parts = OrganisationKey.parts(key)
            entries.update(OrganisationKey.make(organisation: remap[parts.organisation], low: parts.low)) { add(&$0, value) }
        }
    }

    /// Keeps only the entries for which `keep` is true.
    public mutating func filter(_ keep: (Value) -> Bool) { entries = entries.filter { keep($1) } }

    /// Decodes a table stored as its codes under `codesKey` and its entries (numbered by
    /// position in those codes) under `entriesKey`, adding equal keys with `add`.
    public init<Keys: CodingKey>(
        from container: KeyedDecodingContainer<Keys>, codes codesKey: Keys, entries entriesKey: Keys, initial: Value,
        add: (inout Value, Value) -> Void
    ) throws where Value: FlatTableValue {
        self.init(initial: initial)
        let codes = try container.decode([ShortCode].self, forKey: codesKey)
        let stored = try container.decode(FlatTable<UInt64, Value>.self, forKey: entriesKey)
        for (key, value) in stored {
            let parts = OrganisationKey.parts(key)
            guard parts.organisation < codes.count else {
                throw DecodingError.dataCorruptedError(forKey: entriesKey, in: container, debugDescription: "organisation index out of range")
            }
            update(organisation: codes[parts.organisation], low: parts.low) { add(&$0, value) }
        }
    }

    /// Encodes the codes in code order under `codesKey` and the entries, renumbered to
    /// match, under `entriesKey`.
    public func encode<Keys: CodingKey>(to container: inout KeyedEncodingContainer<Keys>, codes codesKey: Keys, entries entriesKey: Keys)
        throws where Value: FlatTableValue
    {
        let (codes, rank) = registry.codeOrder
        var renumbered = FlatTable<UInt64, Value>(initial: Value.zero, minimumCapacity: entries.count)
        for (key, value) in entries {
            let parts = OrganisationKey.parts(key)
            renumbered.update(OrganisationKey.make(organisation: rank[parts.organisation], low: parts.low)) { $0 = value }
        }
        try container.encode(codes, forKey: codesKey)
        try container.encode(renumbered, forKey: entriesKey)
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
/// pairs, never with rows, and merges by addition (after renumbering the other state's
/// codes) like every other count; which strata were counted is part of the key layout
/// the merge checks (``ReferralCounts/merge(counted:)``).
public struct OrganisationCounts: Sendable, Codable, Equatable {
    /// Keyed by organisation and month level (``GroupKeySchema/monthLevel(_:)``).
    public private(set) var months = OrganisationKeyedTable<ResidentCounts>(initial: ResidentCounts())
    /// Keyed by organisation and packed case-mix stratum (``ReferralCounts/Projection/stratum(of:)``).
    public private(set) var strata = OrganisationKeyedTable<ResidentCounts>(initial: ResidentCounts())
    /// The organisations' numbers.
    public var registry: OrganisationRegistry { months.registry }

    public init() {}

    /// Adds (or with `sign: -1` removes) one referral of `organisation` (the empty code
    /// counts under number 0, "no organisation") in `month` and case-mix `stratum`.
    @inline(__always) public mutating func add(
        organisation: ShortCode, month: UInt64, stratum: UInt32 = 0, nonMedical: Bool, contacted: Bool, intervention: Bool, sign: Int64 = 1
    ) {
        months.update(organisation: organisation, low: UInt32(truncatingIfNeeded: month)) {
            $0.add(nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
        }
        strata.update(organisation: organisation, low: stratum) {
            $0.add(nonMedical: nonMedical, contacted: contacted, intervention: intervention, sign: sign)
        }
    }

    /// Every case-mix entry with its organisation's code and packed stratum.
    public var strataEntries: [(organisation: ShortCode, stratum: UInt32, counts: ResidentCounts)] {
        let codes = strata.codes
        return strata.numbered.map { (codes[$0.organisation], $0.low, $0.value) }
    }

    /// Every entry with its organisation's code and month level.
    public var entries: [(organisation: ShortCode, month: Int, counts: ResidentCounts)] {
        let codes = months.codes
        return months.numbered.map { (codes[$0.organisation], Int($0.low), $0.value) }
    }

    /// Adds another state's counts.
    public mutating func merge(_ other: OrganisationCounts) {
        months.merge(other.months) { $0.add($1) }
        strata.merge(other.strata) { $0.add($1) }
        compact()
    }

    /// Drops zero entries (left by removals).
    public mutating func compact() {
        months.filter { $0 != ResidentCounts() }
        strata.filter { $0 != ResidentCounts() }
    }

    public static func == (a: OrganisationCounts, b: OrganisationCounts) -> Bool {
        func byCode(_ s: OrganisationCounts) -> [String: ResidentCounts] {
            var result: [String: ResidentCounts] = [:]
            for entry in s.entries where entry.counts != ResidentCounts() {
                result[entry.organisation.description + "#" + String(entry.month)] = entry.counts
            }
            for entry in s.strataEntries where entry.counts != ResidentCounts() {
                result[entry.organisation.description + "#stratum" + String(entry.stratum)] = entry.counts
            }
            return result
        }
        return byCode(a) == byCode(b)
    }

    private enum CodingKeys: String, CodingKey { case organisations, months, strataOrganisations = "strata_organisations", strata }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        months = try OrganisationKeyedTable(from: container, codes: .organisations, entries: .months, initial: ResidentCounts()) { $0.add($1) }
        strata = try OrganisationKeyedTable(from: container, codes: .strataOrganisations, entries: .strata, initial: ResidentCounts()) { $0.add($1) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try months.encode(to: &container, codes: .organisations, entries: .months)
        try strata.encode(to: &container, codes: .strataOrganisations, entries: .strata)
    }
}
