/// A short identifier (area code, organisation code) held inline in 16 bytes.
///
/// Area codes (`E01021988`, `95ZZ06W1`) and ODS codes (`U12345`) fit easily, so lookups
/// hash two words instead of allocating a `String` per row. Longer text does not fit:
/// ``init(normalising:)`` returns `nil` and callers treat the value as unrecognised.
public struct ShortCode: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public private(set) var low: UInt64 = 0
    public private(set) var high: UInt64 = 0
    public private(set) var count: UInt8 = 0

    public static let capacity = 16

    /// The empty code (no identifier).
    public init() {}

    init(vacantMarker: Void) { count = 255 }

    /// Trims ASCII spaces and tabs and upper-cases ASCII letters; `nil` if empty or too long.
    public init?(normalising bytes: UnsafeRawBufferPointer) {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        let length = end - start
        guard length > 0 && length <= Self.capacity else { return nil }
        for i in 0..<length {
            var b = bytes[start + i]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            if i < 8 { low |= UInt64(b) << UInt64(i * 8) } else { high |= UInt64(b) << UInt64((i - 8) * 8) }
        }
        count = UInt8(length)
    }

    /// From text (for lookups built from reference files).
    public init?(_ text: String) {
        var text = text
        guard let code = text.withUTF8({ ShortCode(normalising: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = code
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        for i in 0..<Int(count) {
            let word: UInt64 = i < 8 ? low : high
            let shift = UInt64((i % 8) * 8)
            out.append(UInt8(truncatingIfNeeded: word >> shift))
        }
        return out
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The UK nation the code belongs to, by its prefix (see ``Nation/of(areaCode:)``).
    public var nation: Nation {
        withUnsafeBytes(of: low.littleEndian) { word in
            Nation.of(areaCode: UnsafeRawBufferPointer(rebasing: word[0..<min(8, Int(count))]))
        }
    }

    public static func < (a: ShortCode, b: ShortCode) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
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
                    && memcmpEqual(stored.baseAddress! + Int(slot.offset), key.baseAddress, n)
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
