import SPRXCore

/// A run of whole CSV rows cut from one input file, ready for a worker.
public struct RowBlock: Sendable {
    /// The rows' bytes; the last row lacks a terminator only at the end of the file.
    public var bytes: [UInt8]
    /// Physical line number of the first byte.
    public var firstLine: Int
    /// 0-based position of the block in its file.
    public var index: Int
    /// A row after the block's rows that was longer than the reader holds: skipped to
    /// its end, only its line and first bytes kept (quarantined as `row_too_long`).
    public var rowTooLong: SkippedRow?

    public init(bytes: [UInt8], firstLine: Int, index: Int, rowTooLong: SkippedRow? = nil) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.index = index
        self.rowTooLong = rowTooLong
    }
}

/// A row too long to hold (more than ``InputLimits/maxRowBytes``): where it starts and
/// its first ``InputLimits/quarantinedRowPrefixBytes`` bytes.
public struct SkippedRow: Sendable, Hashable {
    /// 1-based physical line where the row starts.
    public var line: Int
    /// The row's first bytes.
    public var prefix: [UInt8]
    /// Physical lines the row spans (it may end at the end of the file).
    public var lines: Int = 1
}

/// Cuts a decoded byte stream into row-aligned ``RowBlock``s of about `targetBlockSize`.
///
/// Memory stays bounded by the block size plus the row limit, whatever the input: bytes
/// are read into a ``ByteWindow``, the ``RowSplitter`` marks where rows end, and a block
/// is cut at the last row end once the window holds enough. A row split across reads
/// stays in the window until its end arrives; a row that passes `maxRowBytes` without
/// ending is cut off: the block ends before it, carries its line and first bytes as
/// ``RowBlock/rowTooLong``, and the reader scans on to the row's end without keeping
/// its bytes. A row that ends within one read of the limit may still be held whole, so
/// the clean stage checks every row's length too. The header is limited the same way
/// (``InputLimits/maxHeaderBytes``, ``InputLimits/maxHeaderColumns``) and fails the file.
/// A UTF-8 byte-order mark at the very start is dropped. Line ends are LF, CRLF or a
/// bare CR, mixed as they come (``RowSplitter``); a file whose header ends in a bare CR
/// has every CR read as an LF (classic Mac OS files, quoted line breaks included).
public final class RowBlockReader {
    /// The file name used in errors.
    public let fileName: String
    private let source: any ByteSource
    private let targetBlockSize: Int
    private let readSize: Int
    /// The bytes read and not yet handed out in a block; offsets below are into it.
    private var window: ByteWindow
    /// Bytes held in `window`.
    private var filled: Int { window.count }
    /// Offset in `window` just past the last complete row found (0: none yet).
    private var lastRowEnd = 0
    private var splitter: RowSplitter
    /// The byte between fields (the pipeline's `input.delimiter`).
    public let delimiter: FieldDelimiter
    private var linesBeforeBuffer = 0
    private var atEOF = false
    private var startedFile = false
    private var nextIndex = 0
    private let maxRowBytes: Int
    private let maxHeaderBytes: Int
    private let maxHeaderColumns: Int
    /// Set by ``fill()`` when the row after `lastRowEnd` has passed `maxRowBytes`.
    private var rowOverLimit = false
    /// Whether the file's line ends are bare CRs (classic Mac OS), read as LFs.
    public private(set) var carriageReturnLineEnds = false
    /// Decoded bytes delivered so far.
    public private(set) var decodedBytes: Int64 = 0
    /// Where block buffers come from when the caller hands them back once merged
    /// (`nil`: new ones). A block is about a megabyte: allocated afresh, each came from
    /// `mmap` and had every page faulted in and zeroed by the kernel, then unmapped again.
    public var bufferPool: ArrayPool<UInt8>? = nil

    /// - Parameters:
    ///   - delimiter: the byte between fields; rows are cut and the header read with it.
    ///   - maxRowBytes, maxHeaderBytes, maxHeaderColumns: the limits (tests make them small).
    public init(
        source: any ByteSource, fileName: String, delimiter: FieldDelimiter = .comma, targetBlockSize: Int = 1 << 20,
        readSize: Int = 1 << 18, maxRowBytes: Int = InputLimits.maxRowBytes, maxHeaderBytes: Int = InputLimits.maxHeaderBytes,
        maxHeaderColumns: Int = InputLimits.maxHeaderColumns
    ) {
        self.source = source
        self.fileName = fileName
        self.delimiter = delimiter
        splitter = RowSplitter(delimiter: delimiter)
        self.maxRowBytes = max(1, maxRowBytes)
        self.maxHeaderBytes = max(1, maxHeaderBytes)
        self.maxHeaderColumns = max(1, maxHeaderColumns)
        self.targetBlockSize = max(1, min(targetBlockSize, Int(Int32.max) / 2))
        self.readSize = max(1, min(readSize, Int(Int32.max) / 4))
        window = ByteWindow(capacity: self.targetBlockSize + self.readSize)
    }

    /// Reads and removes the header row.
    ///
    /// The line ends are decided here, from the header's end: if it is a bare CR (not
    /// part of a CRLF, outside quotes), the file has classic Mac OS line ends and every CR
    /// is read as an LF from then on (``carriageReturnLineEnds``), inside quotes too. In
    /// other files a bare CR outside quotes still ends a row (``RowSplitter``).
    ///
    /// - Returns: the header's fields, trimmed, or `nil` if the file holds no bytes at all.
    /// - Throws: ``SPRXError/Code/inputFormat`` (exit 65) when the header is longer than
    ///   `maxHeaderBytes` or has more than `maxHeaderColumns` columns.
    public func readHeader() throws -> (names: [String], lines: Int)? {
        while lastRowEnd == 0 && !atEOF {
            try fill()
            if lastRowEnd == 0 && filled > maxHeaderBytes + 1 { throw headerTooLong() }
        }
        guard filled > 0 else { return nil }
        var lineEnd = RowSplitter(delimiter: delimiter)
        if let end = lineEnd.scanFirst(UnsafeRawBufferPointer(window.readable)), window.readable[end - 1] == 0x0D {
            readCarriageReturnsAsLineFeeds()
        }
        var headerSplitter = RowSplitter(delimiter: delimiter)
        let firstEnd = headerSplitter.scanFirst(UnsafeRawBufferPointer(window.readable))
        let headerEnd = firstEnd ?? filled
        // The header row without its line end (a CR before the LF is part of a CRLF).
        let headerLength = firstEnd != nil ? headerEnd - 1 : headerEnd
        if headerLength > maxHeaderBytes + (headerLength > 0 && window.readable[headerLength - 1] == 0x0D ? 1 : 0) { throw headerTooLong() }
        let headerBytes = UnsafeRawBufferPointer(rebasing: window.readable[0..<headerEnd])
        var names: [String] = []
        var fieldCount = 0
        var blank = 0
        let scratch = CSVDecodeScratch()
        CSVBlockDecoder.forEachRow(in: headerBytes, firstLine: 1, delimiter: delimiter, scratch: scratch, blankLines: &blank) { row in
            if fieldCount == 0 { fieldCount = row.fieldCount }
            if names.isEmpty && row.fieldCount <= maxHeaderColumns { names = (0..<row.fieldCount).map { row.string($0) } }
        }
        if fieldCount > maxHeaderColumns {
            throw SPRXError(
                .inputFormat,
                "header has \(fieldCount) columns, more than the \(maxHeaderColumns) sprx reads (the header column limit); is this a CSV extract?",
                location: DataLocation(file: fileName, line: 1))
        }
        let headerLines = firstEnd != nil ? headerSplitter.newlinesAtLastRowEnd : headerSplitter.newlines
        consume(upTo: headerEnd, lines: headerLines - linesBeforeBuffer)
        // The main splitter has scanned past the header already: look again for a row over
        // the limit among the bytes after it.
        rowOverLimit = filled - lastRowEnd > maxRowBytes + 1
        return (names, headerLines)
    }

    private func headerTooLong() -> SPRXError {
        SPRXError(
            .inputFormat,
            "header row is longer than the \(maxHeaderBytes) bytes sprx reads (the header length limit); is this a CSV extract with line ends?",
            location: DataLocation(file: fileName, line: 1))
    }

    /// Switches to bare-CR line ends: every CR read from here on (and in the window now)
    /// is read as an LF, and the window is scanned again for row ends. Called while the
    /// window still starts at the file's first byte.
    private func readCarriageReturnsAsLineFeeds() {
        carriageReturnLineEnds = true
        Self.carriageReturnsToLineFeeds(window.readable)
        splitter = RowSplitter(delimiter: delimiter)
        lastRowEnd = splitter.scan(UnsafeRawBufferPointer(window.readable)) ?? 0
    }

    @inline(__always) static func carriageReturnsToLineFeeds(_ bytes: UnsafeMutableRawBufferPointer) {
        for i in bytes.indices where bytes[i] == 0x0D { bytes[i] = 0x0A }
    }

    /// The next block of whole rows, or `nil` at the end of the file.
    public func next() throws -> RowBlock? {
        while lastRowEnd < targetBlockSize && !atEOF && !rowOverLimit { try fill() }
        if rowOverLimit { return try cutBeforeLongRow() }
        if atEOF && lastRowEnd < filled {
            // The rest of the file: whole rows and a final row without a terminator.
            guard filled > 0 else { return nil }
            let block = makeBlock(upTo: filled)
            consume(upTo: filled, lines: splitter.newlines - linesBeforeBuffer)
            return block
        }
        guard lastRowEnd > 0 else { return nil }
        let block = makeBlock(upTo: lastRowEnd)
        consume(upTo: lastRowEnd, lines: splitter.newlinesAtLastRowEnd - linesBeforeBuffer)
        return block
    }

    /// The whole rows before a row over the limit, carrying that row's line and first
    /// bytes; reads on to the row's end, keeping none of its bytes.
    private func cutBeforeLongRow() throws -> RowBlock {
        rowOverLimit = false
        let prefixEnd = lastRowEnd + min(InputLimits.quarantinedRowPrefixBytes, filled - lastRowEnd)
        let skipped = SkippedRow(line: splitter.newlinesAtLastRowEnd + 1, prefix: Array(window.readable[lastRowEnd..<prefixEnd]))
        var block = makeBlock(upTo: lastRowEnd)
        block.rowTooLong = skipped
        consume(upTo: lastRowEnd, lines: splitter.newlinesAtLastRowEnd - linesBeforeBuffer)
        // Everything left in the window belongs to the long row (the splitter found no
        // row end in it): drop it and scan on, reusing the window's storage.
        window.removeAll()
        lastRowEnd = 0
        let chunk = UnsafeMutableRawBufferPointer(rebasing: window.freeSpace(minimum: readSize)[0..<readSize])
        while true {
            let n = try source.read(into: chunk)
            if n == 0 {
                atEOF = true
                linesBeforeBuffer = splitter.newlines
                break
            }
            decodedBytes += Int64(n)
            if carriageReturnLineEnds { Self.carriageReturnsToLineFeeds(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<n])) }
            guard let end = splitter.scanFirst(UnsafeRawBufferPointer(rebasing: chunk[0..<n])) else { continue }
            // The long row ends here; what follows is ordinary rows.
            linesBeforeBuffer = splitter.newlinesAtLastRowEnd
            window.append(count: n)
            window.consume(end)
            if let last = splitter.scan(UnsafeRawBufferPointer(window.readable)) { lastRowEnd = last }
            rowOverLimit = filled - lastRowEnd > maxRowBytes + 1
            break
        }
        block.rowTooLong?.lines = max(1, linesBeforeBuffer + 1 - skipped.line)
        return block
    }

    private func makeBlock(upTo end: Int) -> RowBlock {
        let held = window.readable
        let bytes: [UInt8]
        if let bufferPool {
            var reused = bufferPool.take()
            reused.append(contentsOf: UnsafeRawBufferPointer(rebasing: held[0..<end]))
            bytes = reused
        } else {
            bytes = [UInt8](unsafeUninitializedCapacity: end) { target, count in
                // safe: only when end > 0: both buffers hold at least end bytes
                if end > 0 { target.baseAddress!.initialize(from: held.baseAddress!.assumingMemoryBound(to: UInt8.self), count: end) }
                count = end
            }
        }
        defer { nextIndex += 1 }
        return RowBlock(bytes: bytes, firstLine: linesBeforeBuffer + 1, index: nextIndex)
    }

    /// Drops the first `end` bytes of the window, which held `lines` newlines.
    private func consume(upTo end: Int, lines: Int) {
        window.consume(end)
        lastRowEnd = max(0, lastRowEnd - end)
        linesBeforeBuffer += lines
    }

    /// Reads more bytes into the window and scans them for row ends.
    private func fill() throws {
        var filled = self.filled
        // Three bytes at least on the first read: a byte-order mark is collected whole.
        let space = window.freeSpace(minimum: max(readSize, 3))
        var n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: space[0..<readSize]))
        if n == 0 {
            atEOF = true
            return
        }
        decodedBytes += Int64(n)
        window.append(count: n)
        if !startedFile {
            startedFile = true
            // A byte-order mark may arrive split across reads: collect three bytes first.
            while n < 3 && space[0] == 0xEF {
                let more = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: space[n..<(n + 1)]))
                if more == 0 { break }
                decodedBytes += Int64(more)
                window.append(count: more)
                n += more
            }
            if n >= 3 && space[0] == 0xEF && space[1] == 0xBB && space[2] == 0xBF {
                window.consume(3)
                n -= 3
                if n == 0 { return }
            }
            filled = 0
        }
        if carriageReturnLineEnds { Self.carriageReturnsToLineFeeds(UnsafeMutableRawBufferPointer(rebasing: window.readable[filled..<(filled + n)])) }
        let scanned = UnsafeRawBufferPointer(rebasing: window.readable[filled..<(filled + n)])
        if let end = splitter.scan(scanned) { lastRowEnd = filled + end }
        filled += n
        // The row in progress may end in a CR of a CRLF, hence the one byte of slack.
        if filled - lastRowEnd > maxRowBytes + 1 { rowOverLimit = true }
    }
}
