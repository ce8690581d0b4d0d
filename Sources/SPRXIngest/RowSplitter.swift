import SPRXCore

/// Finds where rows end in RFC 4180 bytes, resuming across chunks.
///
/// This is the cheap half of CSV decoding that must run in order: a newline ends a row
/// only outside quotes, and whether a byte is inside quotes depends on every byte
/// before it. The reader thread runs the splitter to cut the stream into row-aligned
/// blocks; workers then decode the blocks fully and in parallel with
/// ``CSVBlockDecoder``, which follows the same quoting rules:
///
/// - a `"` opens a quoted field only at the start of a field;
/// - inside quotes, `""` is a literal quote and `"` followed by anything else closes
///   the quotes (text after the closing quote is kept literally, as Python's `csv` does);
/// - a `"` elsewhere in an unquoted field is a literal character.
///
/// The field delimiter is the pipeline's (``FieldDelimiter``, a comma by default): it
/// decides where a field starts, and so whether a `"` opens quotes.
public struct RowSplitter: Sendable {
    @usableFromInline enum State: UInt8, Sendable {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    @usableFromInline var state: State = .fieldStart
    /// Newlines seen so far (inside quotes too): the physical line count.
    public private(set) var newlines = 0
    /// Newlines seen up to and including the last row terminator returned.
    public private(set) var newlinesAtLastRowEnd = 0
    /// The byte between fields.
    public let delimiter: UInt8

    public init(delimiter: FieldDelimiter = .comma) { self.delimiter = delimiter.byte }

    /// Scans `bytes` (the continuation of everything scanned before).
    ///
    /// - Returns: the offset just past the last row terminator (`\n`) in `bytes`, or
    ///   `nil` if no row ended: the caller needs more bytes.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Int? {
        scan(bytes, stopAtFirst: false)
    }

    /// Like ``scan(_:)`` but stops at the first row terminator.
    public mutating func scanFirst(_ bytes: UnsafeRawBufferPointer) -> Int? {
        scan(bytes, stopAtFirst: true)
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer, stopAtFirst: Bool) -> Int? {
        var lastEnd: Int? = nil
        var state = self.state
        var newlines = self.newlines
        let quote = UInt8(ascii: "\""), separator = delimiter, lf = UInt8(ascii: "\n")
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let count = bytes.count
        var i = 0
        scanLoop: while i < count {
            if state != .quoted && state != .quoteInQuoted {
                // Fast path outside quotes: only a quote or a newline can change what
                // happens next, so skip eight bytes at a time to the first of them.
                while i + 8 <= count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let hits = SWAR.bytesEqual(word, quote) | SWAR.bytesEqual(word, lf)
                    if hits == 0 {
                        state = base[i + 7] == separator ? .fieldStart : .unquoted
                        i += 8
                        continue
                    }
                    let skip = hits.trailingZeroBitCount >> 3
                    if skip > 0 {
                        state = base[i + skip - 1] == separator ? .fieldStart : .unquoted
                        i += skip
                    }
                    break
                }
                if i >= count { break scanLoop }
            }
            let byte = base[i]
            switch state {
            case .quoted:
                // Fast path: skip to the next quote, counting newlines.
                while i < count && base[i] != quote {
                    if base[i] == lf { newlines += 1 }
                    i += 1
                }
                if i < count { state = .quoteInQuoted }
            case .fieldStart, .unquoted:
                if byte == lf {
                    newlines += 1
                    state = .fieldStart
                    lastEnd = i + 1
                    newlinesAtLastRowEnd = newlines
                    if stopAtFirst { break scanLoop }
                } else if byte == separator {
                    state = .fieldStart
                } else if byte == quote && state == .fieldStart {
                    state = .quoted
                } else {
                    state = .unquoted
                }
            case .quoteInQuoted:
                if byte == quote {
                    state = .quoted
                } else if byte == lf {
                    newlines += 1
                    state = .fieldStart
                    lastEnd = i + 1
                    newlinesAtLastRowEnd = newlines
                    if stopAtFirst { break scanLoop }
                } else if byte == separator {
                    state = .fieldStart
                } else {
                    state = .unquoted
                }
            }
            i += 1
        }
        self.state = state
        self.newlines = newlines
        return lastEnd
    }
}

/// Byte-parallel tests on 64-bit words ("SIMD within a register").
public enum SWAR {
    /// The high bit of each byte of `word` that equals `byte`, exact for the lowest
    /// such byte (higher bytes may show false hits only above a true one).
    @inlinable @inline(__always)
    public static func bytesEqual(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }
}
