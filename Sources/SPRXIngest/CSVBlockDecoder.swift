import SPRXCore

/// One field of a decoded row: a byte range in the block, or in the row's scratch space
/// when quotes had to be removed.
///
/// Offsets are full-width `Int`s: a block holds at most the block size plus one row, but
/// nothing here should trap if a caller hands it more than 2 GiB.
public struct CSVField: Sendable {
    @usableFromInline var start: Int
    @usableFromInline var end: Int
    @usableFromInline var inScratch: Bool
}

/// A decoded CSV row, valid only inside the ``CSVBlockDecoder/forEachRow`` callback.
///
/// Fields are views into the block's bytes; nothing is copied unless a field needed
/// unescaping (`""` inside quotes, or text after a closing quote).
public struct CSVRow {
    /// 1-based physical line where the row starts.
    public let line: Int
    /// The raw bytes of the row, without its line terminator.
    public let raw: UnsafeRawBufferPointer
    /// The row ended inside quotes at the end of the file.
    public let unterminatedQuote: Bool
    @usableFromInline let block: UnsafeRawBufferPointer
    @usableFromInline let scratch: UnsafeRawBufferPointer
    @usableFromInline let fields: UnsafeBufferPointer<CSVField>

    /// Number of fields in the row.
    @inlinable public var fieldCount: Int { fields.count }

    /// The unquoted bytes of field `index`.
    @inlinable public subscript(index: Int) -> UnsafeRawBufferPointer {
        let field = fields[index]
        let source = field.inScratch ? scratch : block
        return UnsafeRawBufferPointer(rebasing: source[field.start..<field.end])
    }

    /// Field `index` as a `String` (for headers and rare paths, not the per-row hot path).
    public func string(_ index: Int) -> String { String(decoding: self[index], as: UTF8.self) }
}

/// Reusable buffers for decoding; one per worker, so the hot path allocates nothing.
public final class CSVDecodeScratch {
    var fields: [CSVField] = []
    var unescaped: [UInt8] = []
    public init() {
        fields.reserveCapacity(64)
        unescaped.reserveCapacity(1024)
    }
}

/// Decodes a block of whole rows (as cut by ``RowSplitter``) into fields.
public enum CSVBlockDecoder {
    /// Calls `body` for every non-blank row in `block`, in order.
    ///
    /// Rows end as ``RowSplitter`` ends them: at an LF, a CRLF or a bare CR outside quotes.
    /// A blank line is an empty one or one of delimiters only (`,,,,`, as a spreadsheet
    /// saves an empty row): counted in `blankLines`, never passed to `body`.
    ///
    /// - Parameters:
    ///   - block: whole rows; only the last may lack a terminator (end of file).
    ///   - firstLine: the physical line number of the block's first byte.
    ///   - delimiter: the byte between fields (the pipeline's `input.delimiter`).
    ///   - blankLines: incremented for every blank line skipped.
    public static func forEachRow(
        in block: UnsafeRawBufferPointer, firstLine: Int, delimiter: FieldDelimiter = .comma, scratch: CSVDecodeScratch,
        blankLines: inout Int, _ body: (CSVRow) throws -> Void
    ) rethrows {
        guard let base = block.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let quote = UInt8(ascii: "\""), separator = delimiter.byte, lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let count = block.count
        var line = firstLine
        var rowStart = 0
        while rowStart < count {
            if base[rowStart] == lf || base[rowStart] == cr {
                // Blank lines (LF, CRLF or a bare CR where a row would start) are only
                // counted, eight bytes at a time while they repeat, so a file of blank
                // lines costs about what reading it does.
                var j = rowStart, blanks = 0
                while j < count {
                    if j + 8 <= count {
                        let word = UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)
                        if word == 0x0A0A_0A0A_0A0A_0A0A { j += 8; blanks += 8; continue }
                        if word == 0x0A0D_0A0D_0A0D_0A0D { j += 8; blanks += 4; continue }  // "\r\n" four times
                    }
                    if base[j] == lf {
                        j += 1
                    } else if base[j] == cr {
                        j += j + 1 < count && base[j + 1] == lf ? 2 : 1
                    } else {
                        break
                    }
                    blanks += 1
                }
                blankLines += blanks
                line += blanks
                rowStart = j
                continue
            }
            scratch.fields.removeAll(keepingCapacity: true)
            scratch.unescaped.removeAll(keepingCapacity: true)
            var i = rowStart
            var rowLines = 0
            var unterminated = false
            var rowEnded = false
            // One field per iteration.
            fieldLoop: while true {
                if i < count && base[i] == quote {
                    // Quoted field.
                    i += 1
                    let contentStart = i
                    var needsUnescape = false
                    var closedAt = -1
                    while i < count {
                        let b = base[i]
                        if b == quote {
                            if i + 1 < count && base[i + 1] == quote {
                                needsUnescape = true
                                i += 2
                                continue
                            }
                            closedAt = i
                            i += 1
                            break
                        }
                        if b == lf { rowLines += 1 }
                        i += 1
                    }
                    if closedAt < 0 {
                        // Ran off the end inside quotes: only possible at end of file.
                        unterminated = true
                        appendQuoted(base, contentStart, count, needsUnescape: needsUnescape, extra: nil, scratch)
                        rowEnded = true
                        i = count
                        break fieldLoop
                    }
                    // Text after the closing quote up to the delimiter is kept literally.
                    let tailStart = i
                    while i < count && base[i] != separator && base[i] != lf && base[i] != cr { i += 1 }
                    let tail = i > tailStart ? (tailStart, i) : nil
                    if needsUnescape || tail != nil {
                        appendQuoted(base, contentStart, closedAt, needsUnescape: needsUnescape, extra: tail, scratch)
                    } else {
                        scratch.fields.append(CSVField(start: contentStart, end: closedAt, inScratch: false))
                    }
                } else {
                    let fieldStart = i
                    while i < count && base[i] != separator && base[i] != lf && base[i] != cr { i += 1 }
                    scratch.fields.append(CSVField(start: fieldStart, end: i, inScratch: false))
                }
                if i >= count { rowEnded = true; break fieldLoop }
                if base[i] == separator { i += 1; continue fieldLoop }
                // A line end, as the splitter reads them: LF, CRLF, or a bare CR (a CR
                // that ends the block ended its row there: the splitter cut it so).
                if base[i] == cr && i + 1 < count && base[i + 1] == lf { i += 1 }
                rowLines += 1
                i += 1
                rowEnded = true
                break fieldLoop
            }
            _ = rowEnded
            var rawEnd = i
            if rawEnd > rowStart && !unterminated {
                if base[rawEnd - 1] == lf {
                    rawEnd -= 1
                    if rawEnd > rowStart && base[rawEnd - 1] == cr { rawEnd -= 1 }
                } else if base[rawEnd - 1] == cr {
                    rawEnd -= 1
                }
            }
            let raw = UnsafeRawBufferPointer(rebasing: block[rowStart..<rawEnd])
            // A row of delimiters only (",,,,": a spreadsheet's empty row) holds no value:
            // it is a blank line, counted as an empty one is.
            if !unterminated && (raw.isEmpty || raw.allSatisfy { $0 == separator }) {
                blankLines += 1
            } else {
                try scratch.unescaped.withUnsafeBytes { scratchBytes in
                    try scratch.fields.withUnsafeBufferPointer { fields in
                        try body(
                            CSVRow(
                                line: line, raw: raw, unterminatedQuote: unterminated, block: block, scratch: scratchBytes,
                                fields: fields))
                    }
                }
            }
            line += rowLines
            rowStart = i
        }
    }

    private static func appendQuoted(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, needsUnescape: Bool, extra: (Int, Int)?,
        _ scratch: CSVDecodeScratch
    ) {
        let fieldStart = scratch.unescaped.count
        var j = start
        while j < end {
            let b = base[j]
            scratch.unescaped.append(b)
            j += (needsUnescape && b == UInt8(ascii: "\"") && j + 1 < end && base[j + 1] == UInt8(ascii: "\"")) ? 2 : 1
        }
        if let (tailStart, tailEnd) = extra {
            scratch.unescaped.append(contentsOf: UnsafeBufferPointer(start: base + tailStart, count: tailEnd - tailStart))
        }
        scratch.fields.append(CSVField(start: fieldStart, end: scratch.unescaped.count, inScratch: true))
    }
}
