/// A short identifier (area code, organisation code) held inline in 16 bytes.
///
/// Area codes (`E01021988`, `95ZZ06W1`) and ODS codes (`U12345`) fit easily, so lookups
/// hash two words instead of allocating a `String` per row. Longer text (an organisation
/// id of 40 characters, say) is held as the first 128 bits of the SHA-256 of its
/// normalised bytes: still one identifier per distinct text, deterministic, and
/// collision-free in practice (two of a billion ids share a digest with probability
/// about 10⁻²¹), so long organisation ids cluster exactly as short ones do. A digest is
/// never a real area code (``nation`` is unknown), so a long area code stays
/// unrecognised, as before.
public struct ShortCode: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public private(set) var low: UInt64 = 0
    public private(set) var high: UInt64 = 0
    /// Bytes held inline (1...``capacity``), 0 for the empty code, ``digestMarker`` for
    /// a digest of longer text.
    public private(set) var count: UInt8 = 0

    public static let capacity = 16
    /// ``count`` of a code that holds the digest of text longer than ``capacity``.
    public static let digestMarker: UInt8 = 128

    /// The empty code (no identifier).
    public init() {}

    /// Whether its parts are ones a code can have: not the vacant marker, a length up
    /// to ``capacity`` or the digest marker (a code read from outside).
    public var isWellFormed: Bool { self != .vacant && (count <= UInt8(Self.capacity) || count == Self.digestMarker) }

    /// A code from its stored parts (a partial file's row record), as ``low``, ``high``
    /// and ``count`` held them.
    public init(low: UInt64, high: UInt64, count: UInt8) {
        self.low = low
        self.high = high
        self.count = count
    }

    init(vacantMarker: Void) { count = 255 }

    /// The code whose stored words and count are these (as ``low``, ``high`` and
    /// ``count`` read them): how a compact table reads back the codes it wrote.
    public init(storedLow: UInt64, high: UInt64, count: UInt8) {
        low = storedLow
        self.high = high
        self.count = count
    }

    /// Trims ASCII spaces and tabs and upper-cases ASCII letters; `nil` if empty. Text
    /// longer than ``capacity`` is held as its digest.
    public init?(normalising bytes: UnsafeRawBufferPointer) {
        let text = Padding.unpadded(bytes)
        let start = text.lowerBound
        let length = text.count
        guard length > 0 else { return nil }
        guard length <= Self.capacity else {
            self = Self.digest(of: UnsafeRawBufferPointer(rebasing: bytes[text]))
            return
        }
        for i in 0..<length {
            var b = bytes[start + i]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            if i < 8 { low |= UInt64(b) << UInt64(i * 8) } else { high |= UInt64(b) << UInt64((i - 8) * 8) }
        }
        count = UInt8(length)
    }

    /// The digest of trimmed text longer than ``capacity``, upper-cased as short codes are.
    private static func digest(of text: UnsafeRawBufferPointer) -> ShortCode {
        var upper = [UInt8](text)
        for i in upper.indices where upper[i] >= 0x61 && upper[i] <= 0x7A { upper[i] -= 0x20 }
        var hasher = SHA256()
        hasher.update(upper)
        let hex = Array(hasher.finalizeHex().utf8)
        var code = ShortCode()
        // safe: a SHA-256 hex digest is 64 hex digits; 16 of them always parse as a UInt64
        code.low = UInt64(String(decoding: hex[0..<16], as: UTF8.self), radix: 16)!
        // safe: as above
        code.high = UInt64(String(decoding: hex[16..<32], as: UTF8.self), radix: 16)!
        code.count = digestMarker
        return code
    }

    /// Whether this code holds the digest of text longer than ``capacity``.
    public var isDigest: Bool { count == Self.digestMarker }

    /// From text (for lookups built from reference files).
    public init?(_ text: String) {
        var text = text
        guard let code = text.withUTF8({ ShortCode(normalising: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = code
    }

    /// The code's text as bytes; for a digest, `#` and 32 hex digits (no short code is
    /// that long, so the text is as distinct as the code).
    public var bytes: [UInt8] {
        if isDigest { return Array(("#" + Self.hex(low) + Self.hex(high)).utf8) }
        var out: [UInt8] = []
        for i in 0..<Int(count) {
            let word: UInt64 = i < 8 ? low : high
            let shift = UInt64((i % 8) * 8)
            out.append(UInt8(truncatingIfNeeded: word >> shift))
        }
        return out
    }

    private static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The UK nation the code belongs to, by its prefix (see ``Nation/of(areaCode:)``);
    /// unknown for a digest.
    public var nation: Nation {
        if isDigest { return .unknown }
        return withUnsafeBytes(of: low.littleEndian) { word in
            Nation.of(areaCode: UnsafeRawBufferPointer(rebasing: word[0..<min(8, Int(count))]))
        }
    }

    /// Text order for inline codes (without allocating: bytes are held little-endian, so
    /// byte-swapped words compare as the text does), then digests by value after them.
    public static func < (a: ShortCode, b: ShortCode) -> Bool {
        if a.isDigest != b.isDigest { return b.isDigest }
        if a.isDigest { return (a.low, a.high) < (b.low, b.high) }
        let (al, bl) = (a.low.byteSwapped, b.low.byteSwapped)
        if al != bl { return al < bl }
        let (ah, bh) = (a.high.byteSwapped, b.high.byteSwapped)
        if ah != bh { return ah < bh }
        return a.count < b.count
    }
}

/// Maps labels to small integer codes, matching case-insensitively and ignoring
/// surrounding and repeated inner spaces, without allocating per lookup.
///
/// Design note: keys are stored normalised in one flat byte array; an open-addressing
/// table of FNV-1a hashes points into it. Lookups normalise the field into a fixed
/// stack-like scratch array and probe. Built once per run, then read-only, so it is
/// shared by all workers.
public struct LabelTable: Sendable {
    private var keyBytes: [UInt8] = []
    private var slots: [Slot]
    private var mask: Int

    private struct Slot: Sendable {
        var hash: UInt64 = 0
        var offset: Int32 = -1
        var length: Int32 = 0
        var code: UInt8 = 0
    }

    /// Longest label, in bytes after normalisation, that can match.
    public static let maxLabelLength = 128

    /// Most codes a table holds (a code is a byte).
    public static let maxCodes = 256

    /// Builds a table whose code is each list's index: `lists[i]`'s labels mean `i`.
    /// At most ``maxCodes`` lists (pipelines are checked for that when loaded).
    public init(lists: [[String]]) {
        precondition(lists.count <= Self.maxCodes, "more label lists than a label table codes")
        self.init(lists.enumerated().flatMap { i, labels in labels.map { ($0, UInt8(i)) } })
    }

    /// Builds a table from (label, code) pairs; a label listed twice keeps its first code.
    public init(_ entries: [(String, UInt8)]) {
        var size = 16
        while size < entries.count * 4 { size *= 2 }
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
        for (label, code) in entries {
            var bytes = Array(label.utf8)
            let normalised = bytes.withUnsafeMutableBytes { raw -> [UInt8] in
                var out = [UInt8](repeating: 0, count: raw.count)
                let n = out.withUnsafeMutableBytes { LabelTable.normalise(UnsafeRawBufferPointer(raw), into: $0) }
                return Array(out[0..<max(0, n)])
            }
            insert(normalised, code: code)
            bytes.removeAll()
        }
    }

    private mutating func insert(_ key: [UInt8], code: UInt8) {
        let hash = Self.fnv(key)
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].offset >= 0 {
            if slots[index].hash == hash && equal(slots[index], key) { return }
            index = (index + 1) & mask
        }
        slots[index] = Slot(hash: hash, offset: Int32(keyBytes.count), length: Int32(key.count), code: code)
        keyBytes.append(contentsOf: key)
    }

    private func equal(_ slot: Slot, _ key: [UInt8]) -> Bool {
        guard Int(slot.length) == key.count else { return false }
        for i in 0..<key.count where keyBytes[Int(slot.offset) + i] != key[i] { return false }
        return true
    }

    /// Lower-cases ASCII, trims spaces/tabs and collapses inner runs of them to one space.
    ///
    /// - Returns: the normalised length, or -1 if it does not fit `output`.
    @inlinable
    public static func normalise(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var pendingSpace = false
        for b in input {
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A {
                pendingSpace = n > 0
                continue
            }
            if pendingSpace {
                guard n < output.count else { return -1 }
                output[n] = 0x20
                n += 1
                pendingSpace = false
            }
            guard n < output.count else { return -1 }
            output[n] = (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b
            n += 1
        }
        return n
    }

    @inline(__always) static func fnv(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The code for a field's bytes, or `nil` if no label matches.
    ///
    /// - Parameter scratch: at least ``maxLabelLength`` bytes of caller-owned space.
    public func lookup(_ field: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) -> UInt8? {
        let n = Self.normalise(field, into: scratch)
        guard n >= 0 else { return nil }
        let key = UnsafeRawBufferPointer(rebasing: scratch[0..<n])
        let hash = Self.fnv(key)
        var index = Int(truncatingIfNeeded: hash) & mask
        return keyBytes.withUnsafeBytes { stored in
            while true {
                let slot = slots[index]
                if slot.offset < 0 { return nil }
                if slot.hash == hash && Int(slot.length) == n
                    // safe: past n == 0, a stored key of n bytes means keyBytes is not empty
                    && (n == 0 || memcmpEqual(stored.baseAddress! + Int(slot.offset), key.baseAddress, n))
                {
                    return slot.code
                }
                index = (index + 1) & mask
            }
        }
    }

    /// The normalised form of a field as text, for reporting unmapped labels.
    public static func normalisedText(_ field: UnsafeRawBufferPointer) -> String {
        var out = [UInt8](repeating: 0, count: field.count)
        let n = out.withUnsafeMutableBytes { normalise(field, into: $0) }
        return String(decoding: out[0..<max(0, n)], as: UTF8.self)
    }
}

@inline(__always) func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ n: Int) -> Bool {
    guard let b else { return n == 0 }
    for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
    }
    return true
}
