import SPRXCore

/// A count a sorted run stores field by field, each as a signed variable-length integer.
///
/// A run holds one entry per organisation × value key; most counts in a cell are small,
/// so a field usually takes one byte rather than eight.
public protocol RunValue: FlatTableValue, Sendable, Codable, Equatable {
    /// How many whole-number fields the value has.
    static var fieldCount: Int { get }
    /// Field `index` (0..<``fieldCount``).
    func field(_ index: Int) -> Int64
    /// The value whose fields are `fields(0)`, `fields(1)`, ….
    init(fields: (Int) -> Int64)
    /// Adds another value field by field (counts of two shards, two runs).
    mutating func add(_ other: Self)
}

extension Int64: RunValue {
    public static var fieldCount: Int { 1 }
    public func field(_ index: Int) -> Int64 { self }
    public init(fields: (Int) -> Int64) { self = fields(0) }
    public mutating func add(_ other: Int64) { self &+= other }
}

/// One entry of an organisation-keyed table: the organisation's code, a 32-bit value (a
/// month level, a case-mix stratum, a model cell) and the counts.
public struct OrganisationEntry<Value: RunValue>: Sendable {
    /// The organisation_id (the empty code: referrals without one).
    public var organisation: ShortCode
    /// The value the table keys by beside the organisation (a month level, a packed
    /// case-mix stratum, a model cell).
    public var low: UInt32
    /// The counts.
    public var value: Value
}

/// Entries sorted by organisation code, then value, stored compactly: the bytes of a run.
///
/// Layout of an entry: a variable-length header `step << 1 | newOrganisation`; when the
/// organisation changes, its code follows (its byte count, then its two 64-bit words,
/// little-endian) and `step` is the value itself, else `step` is the value's increase
/// over the previous entry's; then each field of the counts, zig-zag encoded. Written
/// here and read by ``RunCursor`` only.
struct SortedRun: Sendable {
    /// The entries' bytes (``finish()`` trims the room left for the next entry).
    private(set) var bytes: [UInt8] = []
    /// Bytes written.
    private var used = 0
    /// Entries held.
    private(set) var count = 0
    /// The previous entry's key, while writing.
    private var last: (code: ShortCode, low: UInt32)? = nil

    init() {}

    /// Appends one entry; entries come in (code, value) order, each key once.
    @inline(__always) mutating func append(code: ShortCode, low: UInt32, field: (Int) -> Int64, fieldCount: Int) {
        // An entry takes at most a 10-byte header, 17 bytes of code and 10 bytes a field.
        let room = 27 + 10 * fieldCount
        if used + room > bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(room, bytes.count))) }
        let newCode = last.map { $0.code != code } ?? true
        let header = newCode ? UInt64(low) << 1 | 1 : UInt64(low &- last!.low) << 1
        var at = used
        bytes.withUnsafeMutableBufferPointer { buffer in
            @inline(__always) func put(_ value: UInt64) {
                var v = value
                while v >= 0x80 {
                    buffer[at] = UInt8(truncatingIfNeeded: v) | 0x80
                    at += 1
                    v >>= 7
                }
                buffer[at] = UInt8(v)
                at += 1
            }
            put(header)
            if newCode {
                buffer[at] = code.count
                for i in 0..<8 { buffer[at + 1 + i] = UInt8(truncatingIfNeeded: code.low >> UInt64(8 * i)) }
                for i in 0..<8 { buffer[at + 9 + i] = UInt8(truncatingIfNeeded: code.high >> UInt64(8 * i)) }
                at += 17
            }
            for i in 0..<fieldCount {
                let value = field(i)
                put(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
            }
        }
        used = at
        last = (code, low)
        count += 1
    }

    /// Trims the room kept for more entries: the run is complete.
    mutating func finish() {
        bytes = Array(bytes[0..<used])
    }
}

/// Reads a ``SortedRun`` entry by entry.
struct RunCursor {
    private let run: SortedRun
    private var offset = 0
    private(set) var code = ShortCode()
    private(set) var low: UInt32 = 0
    private(set) var fields: [Int64]
    /// Whether ``code``, ``low`` and ``fields`` hold an entry (false past the end).
    private(set) var valid = false

    init(_ run: SortedRun, fieldCount: Int) {
        self.run = run
        fields = [Int64](repeating: 0, count: fieldCount)
        advance()
    }

    /// Moves to the next entry.
    mutating func advance() {
        guard offset < run.bytes.count else {
            valid = false
            return
        }
        var at = offset
        var code = code, low = low
        run.bytes.withUnsafeBufferPointer { bytes in
            @inline(__always) func varint() -> UInt64 {
                var result: UInt64 = 0
                var shift: UInt64 = 0
                while true {
                    let byte = bytes[at]
                    at += 1
                    result |= UInt64(byte & 0x7F) << shift
                    if byte < 0x80 { return result }
                    shift += 7
                }
            }
            let header = varint()
            if header & 1 == 1 {
                var wordLow: UInt64 = 0
                var wordHigh: UInt64 = 0
                for i in 0..<8 { wordLow |= UInt64(bytes[at + 1 + i]) << UInt64(8 * i) }
                for i in 0..<8 { wordHigh |= UInt64(bytes[at + 9 + i]) << UInt64(8 * i) }
                code = ShortCode(storedLow: wordLow, high: wordHigh, count: bytes[at])
                at += 17
                low = UInt32(truncatingIfNeeded: header >> 1)
            } else {
                low &+= UInt32(truncatingIfNeeded: header >> 1)
            }
            fields.withUnsafeMutableBufferPointer { fields in
                for i in fields.indices {
                    let z = varint()
                    fields[i] = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
                }
            }
        }
        offset = at
        self.code = code
        self.low = low
        valid = true
    }

    /// Whether this cursor's entry sorts before `other`'s.
    @inline(__always) func precedes(_ other: RunCursor) -> Bool {
        code != other.code ? code < other.code : low < other.low
    }
}

/// A table keyed by organisation code × a 32-bit value whose memory does not grow with
/// the number of organisations it has seen, only with the entries it holds, at a few
/// bytes each.
///
/// Design note: counting adds to a small hash table (``pendingLimit`` entries, keyed by
/// a number per code that only it knows); when that fills, its entries are sorted by
/// (code, value) and written as a compact sorted run (``SortedRun``, about ten bytes an
/// entry instead of a hash slot's 60-odd), and the table and its numbering start afresh.
/// Runs of about equal size are merged (equal keys added, emptied entries dropped), so
/// there are a few runs, in sizes that double; reading the table merges them on the
/// fly. So a national extract's organisation × model cell pairs (millions, one per
/// referral when organisations are many and small) cost tens of megabytes, not hundreds,
/// and a worker's memory no longer grows with every organisation it has ever counted.
/// Entries come out in code order, so two tables merge by a sorted merge, with no
/// renumbering, and equal tables read and encode the same whatever order they were
/// counted in.
public struct OrganisationKeyedTable<Value: RunValue>: Sendable {
    /// Entries the hash table holds before they are written as a run.
    public static var pendingLimit: Int { 1 << 15 }

    private var pendingCodes: [ShortCode] = []
    private var pendingNumbers = FlatTable<ShortCode, UInt32>(initial: UInt32.max)
    private var pending = FlatTable<UInt64, Value>(initial: Value.zero)
    private var runs: [SortedRun] = []
    /// The hash table's limit for this table (tests use a small one to exercise the runs).
    private let limit: Int

    /// An empty table (new entries start from zero).
    public init(pendingLimit: Int = Self.pendingLimit) { limit = max(1, pendingLimit) }

    /// Updates the entry of `organisation` (the empty code is a code like any other) and `low`.
    @inline(__always) public mutating func update(organisation: ShortCode, low: UInt32, _ body: (inout Value) -> Void) {
        let next = UInt32(pendingCodes.count)
        let number = pendingNumbers.update(organisation) { value -> UInt32 in
            if value == UInt32.max { value = next }
            return value
        }
        if number == next { pendingCodes.append(organisation) }
        pending.update(OrganisationKey.make(organisation: UInt64(number), low: low), body)
        if pending.count >= limit { flush() }
    }

    /// Writes the hash table's entries as a run and merges runs of about equal size.
    private mutating func flush() {
        guard !pending.isEmpty else { return }
        runs.append(pendingRun())
        // The next run's entries fill the hash table to about this size again.
        pending.removeAllKeepingCapacity()
        pendingNumbers.removeAllKeepingCapacity()
        pendingCodes.removeAll(keepingCapacity: true)
        while runs.count >= 2 && runs[runs.count - 2].count <= 2 * runs[runs.count - 1].count {
            let last = runs.removeLast()
            let previous = runs.removeLast()
            runs.append(Self.merged([previous, last]))
        }
    }

    /// The hash table's entries as a run.
    ///
    /// Sorted as whole numbers: each code's rank among the table's codes (its codes
    /// sorted once) above the value, so the entries' sort compares integers, not codes.
    private func pendingRun() -> SortedRun {
        let order = pendingCodes.indices.sorted { pendingCodes[$0] < pendingCodes[$1] }
        var rank = [UInt64](repeating: 0, count: pendingCodes.count)
        for (position, number) in order.enumerated() { rank[number] = UInt64(position) }
        var entries: [(key: UInt64, value: Value)] = []
        entries.reserveCapacity(pending.count)
        for (key, value) in pending {
            let parts = OrganisationKey.parts(key)
            entries.append((OrganisationKey.make(organisation: rank[parts.organisation], low: parts.low), value))
        }
        entries.sort { $0.key < $1.key }
        var run = SortedRun()
        for entry in entries {
            let parts = OrganisationKey.parts(entry.key)
            run.append(code: pendingCodes[order[parts.organisation]], low: parts.low, field: entry.value.field, fieldCount: Value.fieldCount)
        }
        run.finish()
        return run
    }

    /// One run of every entry of `runs`, equal keys added and emptied entries dropped.
    private static func merged(_ runs: [SortedRun]) -> SortedRun {
        var run = SortedRun()
        forEachMerged(runs) { code, low, fields in run.append(code: code, low: low, field: { fields[$0] }, fieldCount: Value.fieldCount) }
        run.finish()
        return run
    }

    /// Calls `body` with every key of `runs` in (code, value) order, its fields added
    /// over the runs; keys whose fields add to zero are skipped.
    private static func forEachMerged(_ runs: [SortedRun], _ body: (ShortCode, UInt32, [Int64]) throws -> Void) rethrows {
        var cursors = runs.map { RunCursor($0, fieldCount: Value.fieldCount) }.filter(\.valid)
        var sum = [Int64](repeating: 0, count: Value.fieldCount)
        if cursors.count == 1 {
            // One run: its keys are distinct already.
            while cursors[0].valid {
                if cursors[0].fields.contains(where: { $0 != 0 }) { try body(cursors[0].code, cursors[0].low, cursors[0].fields) }
                cursors[0].advance()
            }
            return
        }
        while !cursors.isEmpty {
            var first = 0
            for i in cursors.indices.dropFirst() where cursors[i].precedes(cursors[first]) { first = i }
            let (code, low) = (cursors[first].code, cursors[first].low)
            for f in sum.indices { sum[f] = 0 }
            var i = 0
            while i < cursors.count {
                if cursors[i].code == code && cursors[i].low == low {
                    for f in sum.indices { sum[f] &+= cursors[i].fields[f] }
                    cursors[i].advance()
                    if !cursors[i].valid {
                        cursors.remove(at: i)
                        continue
                    }
                }
                i += 1
            }
            if sum.contains(where: { $0 != 0 }) { try body(code, low, sum) }
        }
    }

    /// The runs and the hash table's entries as a run: everything the table holds.
    private var allRuns: [SortedRun] { pending.isEmpty ? runs : runs + [pendingRun()] }

    /// Every non-zero entry in (organisation code, value) order, equal keys added.
    public func forEachEntry(_ body: (OrganisationEntry<Value>) throws -> Void) rethrows {
        try Self.forEachMerged(allRuns) { code, low, fields in
            try body(OrganisationEntry(organisation: code, low: low, value: Value(fields: { fields[$0] })))
        }
    }

    /// Every non-zero entry, in (organisation code, value) order.
    public var sortedEntries: [OrganisationEntry<Value>] {
        var result: [OrganisationEntry<Value>] = []
        forEachEntry { result.append($0) }
        return result
    }

    /// Entries held (before equal keys in different runs are added): a measure of memory.
    public var storedEntries: Int { runs.reduce(pending.count) { $0 + $1.count } }

    /// Bytes the runs take.
    public var runBytes: Int { runs.reduce(0) { $0 + $1.bytes.count } }

    /// Adds another table's entries.
    public mutating func merge(_ other: OrganisationKeyedTable) {
        runs = [Self.merged(allRuns + other.allRuns)]
        releasePending()
    }

    /// Everything in one run, emptied entries dropped: the smallest form, and the fastest to read.
    public mutating func compact() {
        let all = allRuns
        runs = all.isEmpty ? [] : [Self.merged(all)]
        releasePending()
    }

    /// Empties the hash table and gives its memory back (the table is complete).
    private mutating func releasePending() {
        pending = FlatTable(initial: Value.zero)
        pendingNumbers = FlatTable(initial: UInt32.max)
        pendingCodes = []
    }

    /// Decodes a table stored as its codes under `codesKey` and its entries (keyed by
    /// ``OrganisationKey``, numbered by position in those codes) under `entriesKey`.
    public init<Keys: CodingKey>(
        from container: KeyedDecodingContainer<Keys>, codes codesKey: Keys, entries entriesKey: Keys, add: (inout Value, Value) -> Void
    ) throws {
        self.init()
        let codes = try container.decode([ShortCode].self, forKey: codesKey)
        let stored = try container.decode(FlatTable<UInt64, Value>.self, forKey: entriesKey)
        for (key, value) in stored {
            let parts = OrganisationKey.parts(key)
            guard parts.organisation < codes.count else {
                throw DecodingError.dataCorruptedError(forKey: entriesKey, in: container, debugDescription: "organisation index out of range")
            }
            update(organisation: codes[parts.organisation], low: parts.low) { add(&$0, value) }
        }
        compact()
    }

    /// Encodes the codes in code order under `codesKey` and the entries, numbered by
    /// position in those codes, under `entriesKey`.
    public func encode<Keys: CodingKey>(to container: inout KeyedEncodingContainer<Keys>, codes codesKey: Keys, entries entriesKey: Keys) throws {
        var codes: [ShortCode] = []
        var entries = FlatTable<UInt64, Value>(initial: Value.zero)
        forEachEntry { entry in
            if codes.last != entry.organisation { codes.append(entry.organisation) }
            entries.update(OrganisationKey.make(organisation: UInt64(codes.count - 1), low: entry.low)) { $0 = entry.value }
        }
        try container.encode(codes, forKey: codesKey)
        try container.encode(entries, forKey: entriesKey)
    }
}

extension OrganisationKeyedTable: Equatable {
    /// Equal when they hold the same non-zero entries.
    public static func == (a: OrganisationKeyedTable, b: OrganisationKeyedTable) -> Bool {
        let left = a.sortedEntries, right = b.sortedEntries
        guard left.count == right.count else { return false }
        for (x, y) in zip(left, right) where x.organisation != y.organisation || x.low != y.low || x.value != y.value { return false }
        return true
    }
}
