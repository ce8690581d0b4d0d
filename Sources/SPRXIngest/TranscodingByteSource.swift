import SPRXCore

/// Converts UTF-16 or Windows-1252 text read from another ``ByteSource`` to UTF-8, as
/// it streams.
///
/// Design note: bytes read and not yet converted wait in a ``ByteWindow`` (a UTF-16
/// unit or surrogate pair split across reads waits for its other half), so memory is
/// one read whatever the file's size. A character whose UTF-8 does not fit the caller's
/// buffer is held in a four-byte carry and handed out by the next reads, so a reader
/// may ask for one byte at a time. Text that is not valid in the source encoding (an
/// unpaired UTF-16 surrogate, an odd final byte, the five bytes Windows-1252 leaves
/// undefined: 81 8D 8F 90 9D) becomes the byte `FF`, which is never UTF-8: the clean
/// stage then quarantines the row as `invalid_encoding`, as it does invalid UTF-8.
public final class TranscodingByteSource: ByteSource {
    /// What the bytes are converted from.
    public enum SourceEncoding: Sendable, Equatable {
        /// UTF-16 in the given byte order; the byte-order mark is already consumed.
        case utf16(bigEndian: Bool)
        case windows1252
    }

    private let source: any ByteSource
    private let encoding: SourceEncoding
    private var input: ByteWindow
    private let readSize: Int
    private var atEOF = false
    /// UTF-8 bytes of one character that did not fit the last buffer.
    private var carry: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    private var carryStart = 0
    private var carryEnd = 0

    /// The byte written for text that is not valid in the source encoding.
    public static let invalidByte: UInt8 = 0xFF

    /// - Parameter source: the raw bytes, after any byte-order mark.
    public init(_ source: any ByteSource, encoding: SourceEncoding, readSize: Int = 1 << 16) {
        self.source = source
        self.encoding = encoding
        self.readSize = max(4, readSize)
        input = ByteWindow(capacity: self.readSize + 4)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            var written = 0
            while carryStart < carryEnd && written < buffer.count {
                buffer[written] = withUnsafeBytes(of: carry) { $0[carryStart] }
                carryStart += 1
                written += 1
            }
            if written == buffer.count { return written }
            written += convert(into: UnsafeMutableRawBufferPointer(rebasing: buffer[written...]))
            if written > 0 { return written }
            if atEOF { return 0 }
            let space = input.freeSpace(minimum: readSize)
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: space[0..<readSize]))
            if n == 0 { atEOF = true } else { input.append(count: n) }
        }
    }

    /// Converts whole characters from `input` into `out`; 0 only when `input` holds no
    /// whole character (or `out` is empty). A character that does not fit goes to the carry.
    private func convert(into out: UnsafeMutableRawBufferPointer) -> Int {
        let held = UnsafeRawBufferPointer(input.readable)
        var i = 0
        var o = 0
        let capacity = out.count
        switch encoding {
        case .windows1252:
            while i < held.count && o < capacity {
                let byte = held[i]
                if byte < 0x80 {
                    out[o] = byte
                    o += 1
                    i += 1
                    continue
                }
                let scalar = byte >= 0xA0 ? UInt32(byte) : Self.windows1252High[Int(byte - 0x80)]
                guard Self.put(scalar == 0 ? nil : scalar, into: out, at: &o, carry: &carry, carryStart: &carryStart, carryEnd: &carryEnd) else {
                    break
                }
                i += 1
            }
        case .utf16(let bigEndian):
            @inline(__always) func unit(_ at: Int) -> UInt32 {
                bigEndian ? UInt32(held[at]) << 8 | UInt32(held[at + 1]) : UInt32(held[at + 1]) << 8 | UInt32(held[at])
            }
            while o < capacity {
                let left = held.count - i
                if left < 2 {
                    // An odd final byte is invalid; otherwise wait for the unit's other half.
                    if left == 1 && atEOF {
                        guard Self.put(nil, into: out, at: &o, carry: &carry, carryStart: &carryStart, carryEnd: &carryEnd) else { break }
                        i += 1
                    }
                    break
                }
                let first = unit(i)
                if first < 0x80 {
                    out[o] = UInt8(first)
                    o += 1
                    i += 2
                    continue
                }
                var scalar: UInt32? = first
                var used = 2
                if (0xD800...0xDBFF).contains(first) {
                    if left < 4 && !atEOF { break }  // the low half is still to come
                    if left >= 4, case let second = unit(i + 2), (0xDC00...0xDFFF).contains(second) {
                        scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                        used = 4
                    } else {
                        scalar = nil
                    }
                } else if (0xDC00...0xDFFF).contains(first) {
                    scalar = nil
                }
                guard Self.put(scalar, into: out, at: &o, carry: &carry, carryStart: &carryStart, carryEnd: &carryEnd) else { break }
                i += used
            }
        }
        input.consume(i)
        return o
    }

    /// Writes `scalar` as UTF-8 (or ``invalidByte`` for `nil`) at `o`; when it does not
    /// fit, writes what fits and puts the rest in the carry. Returns `false` when nothing
    /// was written (`out` full) and the character must be converted again.
    @inline(__always)
    private static func put(
        _ scalar: UInt32?, into out: UnsafeMutableRawBufferPointer, at o: inout Int,
        carry: inout (UInt8, UInt8, UInt8, UInt8), carryStart: inout Int, carryEnd: inout Int
    ) -> Bool {
        guard o < out.count else { return false }
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let count: Int
        switch scalar {
        case nil:
            bytes.0 = invalidByte
            count = 1
        case let value? where value < 0x80:
            bytes.0 = UInt8(value)
            count = 1
        case let value? where value < 0x800:
            bytes = (UInt8(0xC0 | (value >> 6)), UInt8(0x80 | (value & 0x3F)), 0, 0)
            count = 2
        case let value? where value < 0x10000:
            bytes = (UInt8(0xE0 | (value >> 12)), UInt8(0x80 | ((value >> 6) & 0x3F)), UInt8(0x80 | (value & 0x3F)), 0)
            count = 3
        case let value?:
            bytes = (
                UInt8(0xF0 | (value >> 18)), UInt8(0x80 | ((value >> 12) & 0x3F)), UInt8(0x80 | ((value >> 6) & 0x3F)),
                UInt8(0x80 | (value & 0x3F))
            )
            count = 4
        }
        withUnsafeBytes(of: bytes) { encoded in
            let fits = min(count, out.count - o)
            for k in 0..<fits { out[o + k] = encoded[k] }
            o += fits
            if fits < count {
                carry = bytes
                carryStart = fits
                carryEnd = count
            }
        }
        return true
    }

    /// Unicode scalars for Windows-1252 bytes 80-9F (0: undefined), from the Unicode
    /// Consortium's mapping table CP1252.TXT.
    static let windows1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]
}
