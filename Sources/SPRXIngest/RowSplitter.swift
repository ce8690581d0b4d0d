import SPRXCore

/// Finds where rows end in RFC 4180 bytes, resuming across chunks.
///
/// This is the cheap half of CSV decoding that must run in order: a line end ends a row
/// only outside quotes, and whether a byte is inside quotes depends on every byte
/// before it. The reader thread runs the splitter to cut the stream into row-aligned
/// blocks; workers then decode the blocks fully and in parallel with
/// ``CSVBlockDecoder``, which follows the same quoting rules:
///
/// - a `"` opens a quoted field only at the start of a field;
/// - inside quotes, `""` is a literal quote and `"` followed by anything else closes
///   the quotes (text after the closing quote is kept literally, as Python's `csv` does);
/// - a `"` elsewhere in an unquoted field is a literal character;
/// - outside quotes a row ends at an LF, a CRLF or a bare CR (a CR not followed by an
///   LF), so a file whose line ends change part-way (an LF file with rows joined by bare
///   CRs) is still read row by row; inside quotes a CR is text.
///
/// A CR that is the last byte of a chunk waits for the next byte to say whether it is a
/// row end (its row end is then reported at offset 0 of the next chunk); at the end of
/// the file it ends the last row whatever comes.
///
/// The field delimiter is the pipeline's (``FieldDelimiter``, a comma by default): it
/// decides where a field starts, and so whether a `"` opens quotes.
public struct RowSplitter: Sendable {
    @usableFromInline enum State: UInt8, Sendable {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    @usableFromInline var state: State = .fieldStart
    /// Whether the last byte scanned was a CR outside quotes, not yet known to be bare.
    @usableFromInline var pendingCR = false
    /// Line ends seen so far (LFs inside quotes too): the physical line count.
    public private(set) var newlines = 0
    /// Line ends seen up to and including the last row terminator returned.
    public private(set) var newlinesAtLastRowEnd = 0
    /// The byte between fields.
    public let delimiter: UInt8

    public init(delimiter: FieldDelimiter = .comma) { self.delimiter = delimiter.byte }

    /// Scans `bytes` (the continuation of everything scanned before).
    ///
    /// - Returns: the offset just past the last row terminator in `bytes` (0 when the
    ///   only row end is a bare CR that ended the previous chunk), or `nil` if no row
    ///   ended: the caller needs more bytes.
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
        let quote = UInt8(ascii: "\""), separator = delimiter, lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), !bytes.isEmpty else { return nil }
        let count = bytes.count
        var i = 0
        defer {
            self.state = state
            self.newlines = newlines
        }
        /// A row ends just past offset `end - 1`.
        @inline(__always) func rowEnd(_ end: Int) {
            newlines += 1
            state = .fieldStart
            lastEnd = end
            newlinesAtLastRowEnd = newlines
        }
        if pendingCR {
            pendingCR = false
            if base[0] != lf {
                rowEnd(0)
                if stopAtFirst { return 0 }
            }
        }
        /// A CR outside quotes at `i`: a row end unless an LF follows (then the LF is).
        @inline(__always) func carriageReturn() -> Bool {
            if i + 1 < count {
                if base[i + 1] != lf {
                    rowEnd(i + 1)
                    return true
                }
            } else {
                pendingCR = true
            }
            state = .unquoted
            return false
        }
        scanLoop: while i < count {
            if state != .quoted && state != .quoteInQuoted {
                // Fast path outside quotes: only a quote or a line end can change what
                // happens next, so take eight bytes at a time. A word whose line ends are
                // all LFs or CRLFs (CR and LF both in the word) is taken whole, its LFs
                // counted at once: blank lines cost a few instructions per eight bytes.
                while i + 8 <= count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let quotes = SWAR.bytesEqual(word, quote)
                    let lfs = SWAR.bytesEqual(word, lf)
                    let crs = SWAR.bytesEqual(word, cr)
                    if quotes | lfs | crs == 0 {
                        state = base[i + 7] == separator ? .fieldStart : .unquoted
                        i += 8
                        continue
                    }
                    // Every CR followed by an LF within the word (so not the last byte).
                    if quotes == 0 && !stopAtFirst && crs & ~(lfs >> 8) == 0 {
                        newlines += lfs.nonzeroBitCount
                        lastEnd = i + ((63 - lfs.leadingZeroBitCount) >> 3) + 1
                        newlinesAtLastRowEnd = newlines
                        let last = base[i + 7]
                        state = last == lf || last == separator ? .fieldStart : .unquoted
                        i += 8
                        continue
                    }
                    let skip = (quotes | lfs | crs).trailingZeroBitCount >> 3
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
                    rowEnd(i + 1)
                    if stopAtFirst { break scanLoop }
                } else if byte == cr {
                    if carriageReturn() && stopAtFirst { break scanLoop }
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
                    rowEnd(i + 1)
                    if stopAtFirst { break scanLoop }
                } else if byte == cr {
                    if carriageReturn() && stopAtFirst { break scanLoop }
                } else if byte == separator {
                    state = .fieldStart
                } else {
                    state = .unquoted
                }
            }
            i += 1
        }
        return lastEnd
    }
}

/// Byte-parallel tests on 64-bit words ("SIMD within a register").
public enum SWAR {
    /// The high bit of each byte of `word` that equals `byte`, exactly (no false hits:
    /// the low seven bits are added without carrying into the next byte).
    @inlinable @inline(__always)
    public static func bytesEqual(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
    }
}
