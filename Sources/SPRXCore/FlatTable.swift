/// A key for ``FlatTable``: small, fixed-size, with a cheap well-mixed hash.
public protocol FlatKey: Hashable, Sendable {
    /// A 64-bit hash whose low bits are evenly spread (the table masks them).
    var flatHash: UInt64 { get }
    /// The key that marks an empty slot: a value no real key ever takes.
    static var vacant: Self { get }
}

/// The finaliser of MurmurHash3: spreads every input bit over every output bit.
///
/// sprx's one 64-bit mixer: ``FlatTable`` keys and the clean stage's row identity use it.
@inlinable @inline(__always)
public func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 33)) &* 0xff51_afd7_ed55_8ccd
    z = (z ^ (z >> 33)) &* 0xc4ce_b9fe_1a85_ec53
    return z ^ (z >> 33)
}

/// Integer keys: `max` marks an empty slot, so keys built from bit fields must leave
/// the top bit clear (every sprx key does).
extension UInt32: FlatKey {
    @inlinable public var flatHash: UInt64 { mix64(UInt64(self)) }
    @inlinable public static var vacant: UInt32 { .max }
}

extension UInt64: FlatKey {
    @inlinable public var flatHash: UInt64 { mix64(self) }
    @inlinable public static var vacant: UInt64 { .max }
}

extension ShortCode: FlatKey {
    @inlinable public var flatHash: UInt64 { mix64(low ^ mix64(high ^ UInt64(count) << 56)) }
    /// A code of length 255, which no real code has (at most ``capacity`` bytes).
    public static let vacant = ShortCode(vacantMarker: ())
}

/// A hash table for the per-row hot path: open addressing with linear probing over one
/// flat array of slots, power-of-two capacity, at most 3/4 full.
///
/// Design note: Swift's `Dictionary` hashes every key with seeded SipHash, which is what
/// the profile showed dominating the per-referral work (several lookups per row). Keys
/// here are a few machine words whose ``FlatKey/flatHash`` is two multiplications, and a
/// lookup touches one cache line in the common case. There is no removal: aggregation
/// state only grows, and ``filter(_:)`` rebuilds a table without the entries that
/// cancelled out. Iteration order depends on capacity and insertion history, so callers
/// that publish anything sort first.
///
/// The first slot of a key is the top bits of (hash ⊕ salt) × φ, where the salt depends
/// on the capacity. Without the salt, copying a table into a smaller one in slot order
/// (merging worker states, growing, filtering) delivers keys in the order of their home
/// slots, which piles them into one ever longer probe run: quadratic time (measured:
/// minutes for a merge of 250,000 model cells). Tables of different capacity now
/// disagree about order, so such copies look random to the target.
public struct FlatTable<Key: FlatKey, Value: Sendable>: Sendable, Sequence {
    @usableFromInline struct Slot: Sendable {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        @inlinable init(key: Key, value: Value) {
            self.key = key
            self.value = value
        }
        @inlinable var used: Bool { key != Key.vacant }
    }

    @usableFromInline var slots: ContiguousArray<Slot>
    @usableFromInline var mask: Int
    /// 64 − log2(capacity): slots are chosen by the top bits of the salted hash.
    @usableFromInline var shift: UInt64
    /// Salt that depends on the capacity, see the design note.
    @usableFromInline var salt: UInt64
    @usableFromInline var occupied: Int
    /// Number of keys held.
    @inlinable public var count: Int { occupied }
    /// The value a new key starts from.
    @usableFromInline let initial: Value

    /// An empty table whose new keys start at `initial`.
    public init(initial: Value, minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity * 3 < minimumCapacity * 4 { capacity *= 2 }
        slots = ContiguousArray(repeating: Slot(key: .vacant, value: initial), count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        salt = mix64(UInt64(capacity) &* 0x9E37_79B9_7F4A_7C15)
        occupied = 0
        self.initial = initial
    }

    public var isEmpty: Bool { count == 0 }

    /// Runs `body` on the value for `key`, inserting `initial` first if the key is new.
    @inlinable @inline(__always)
    public mutating func update<R>(_ key: Key, _ body: (inout Value) -> R) -> R {
        precondition(key != Key.vacant, "the vacant key cannot be stored")
        let index = slotIndex(inserting: key)
        return body(&slots[index].value)
    }

    /// The value for `key`, or `nil`.
    @inlinable
    public subscript(key: Key) -> Value? {
        slots.withUnsafeBufferPointer { buffer in
            var i = home(key)
            while buffer[i].used {
                if buffer[i].key == key { return buffer[i].value }
                i = (i &+ 1) & mask
            }
            return nil
        }
    }

    /// The slot a key probes first.
    @inlinable @inline(__always)
    func home(_ key: Key) -> Int {
        Int(truncatingIfNeeded: ((key.flatHash ^ salt) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inlinable @inline(__always)
    mutating func slotIndex(inserting key: Key) -> Int {
        if (count &+ 1) &* 4 > slots.count &* 3 { grow() }
        let mask = self.mask
        var i = home(key)
        let found = slots.withUnsafeBufferPointer { buffer -> Bool in
            while buffer[i].used {
                if buffer[i].key == key { return true }
                i = (i &+ 1) & mask
            }
            return false
        }
        if !found {
            slots[i] = Slot(key: key, value: initial)
            occupied += 1
        }
        return i
    }

    @usableFromInline mutating func grow() {
        var bigger = FlatTable(initial: initial, minimumCapacity: slots.count)
        for slot in slots where slot.used { bigger.insertNew(slot.key, slot.value) }
        self = bigger
    }

    /// Inserts a key known to be absent.
    private mutating func insertNew(_ key: Key, _ value: Value) {
        var i = home(key)
        while slots[i].used { i = (i &+ 1) & mask }
        slots[i] = Slot(key: key, value: value)
        occupied += 1
    }

    /// A table with only the entries for which `keep` is true.
    public func filter(_ keep: (Key, Value) -> Bool) -> FlatTable {
        if !contains(where: { !keep($0.key, $0.value) }) { return self }
        var result = FlatTable(initial: initial, minimumCapacity: count)
        for slot in slots where slot.used && keep(slot.key, slot.value) { result.insertNew(slot.key, slot.value) }
        return result
    }

    /// The keys, in table order.
    public var keys: [Key] { map(\.key) }

    /// Removes every key and keeps the capacity, so a table filled again to about the same
    /// size does not grow again step by step.
    public mutating func removeAllKeepingCapacity() {
        let vacant = Slot(key: .vacant, value: initial)
        slots.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = vacant }
        }
        occupied = 0
    }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let slots: ContiguousArray<Slot>
        @usableFromInline var index = 0
        @inlinable init(slots: ContiguousArray<Slot>) { self.slots = slots }
        @inlinable public mutating func next() -> (key: Key, value: Value)? {
            while index < slots.count {
                defer { index += 1 }
                if slots[index].used { return (slots[index].key, slots[index].value) }
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(slots: slots) }
    @inlinable public var underestimatedCount: Int { count }
}

extension FlatTable: Equatable where Value: Equatable {
    /// Same keys with equal values (capacity and order do not matter).
    public static func == (a: FlatTable, b: FlatTable) -> Bool {
        guard a.count == b.count else { return false }
        for (key, value) in a where b[key] != value { return false }
        return true
    }
}

extension FlatTable: Codable where Key: Codable & Comparable, Value: Codable {
    /// Encoded as key-sorted `[key, value]` pairs, so equal tables encode to equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for entry in sorted(by: { $0.key < $1.key }) {
            try container.encode(entry.key)
            try container.encode(entry.value)
        }
    }

    /// Decoding needs the initial value; Codable tables in sprx start from a value's
    /// `init()`, given by ``FlatTableValue``.
    public init(from decoder: any Decoder) throws {
        guard let initial = (Value.self as? any FlatTableValue.Type)?.zero as? Value else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no initial value"))
        }
        self.init(initial: initial)
        var container = try decoder.unkeyedContainer()
        while !container.isAtEnd {
            let key = try container.decode(Key.self)
            let value = try container.decode(Value.self)
            guard key != Key.vacant else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a key no table can hold"))
            }
            update(key) { $0 = value }
        }
    }
}

/// A value type with a zero that a decoded ``FlatTable`` starts new keys from.
public protocol FlatTableValue { static var zero: Self { get } }

extension Int64: FlatTableValue {}
