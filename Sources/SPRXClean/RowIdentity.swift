import SPRXCore

/// What identifies a clean row for duplicate detection.
///
/// `id` is a 128-bit hash of the trimmed `referral_id`; `content` hashes every mapped
/// field (trimmed) in canonical order. Two rows with the same id and content are an
/// exact repeat (a duplicate); the same id with other content is a conflict.
public struct RowIdentity: Hashable, Sendable {
    public var idLow: UInt64
    public var idHigh: UInt64
    public var content: UInt64

    public init(idLow: UInt64, idHigh: UInt64, content: UInt64) {
        self.idLow = idLow
        self.idHigh = idHigh
        self.content = content
    }
}

/// A seeded 64-bit hash of byte strings, stable across runs and machines, eight bytes
/// per step (the row identity hashes every mapped field of every row).
///
/// Each step mixes one little-endian word: h = (h ⊕ w) × M, h ^= h >> 29; the tail is
/// packed into a word with the length, and a field separator is a distinct step, so
/// ("ab", "c") and ("a", "bc") differ. ``finalValue`` runs ``mix64(_:)``.
struct Hash64 {
    var value: UInt64
    init(seed: UInt64) { value = 0xcbf2_9ce4_8422_2325 ^ (seed &* 0x9E37_79B9_7F4A_7C15) }

    @inline(__always) private mutating func step(_ word: UInt64) {
        var h = (value ^ word) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 29
        value = h
    }

    @inline(__always) mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            step(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail = UInt64(n - i) << 56 | 0x80_0000_0000_0000
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        step(tail)
    }

    @inline(__always) mutating func addSeparator() { step(0x1F1F_1F1F_2545_F491) }

    var finalValue: UInt64 { mix64(value) }
}
