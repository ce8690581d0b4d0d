import SPRXCore

#if canImport(Glibc)
import Glibc
#endif

/// A run of whole CSV rows cut from one input file, ready for a worker.
public struct RowBlock: Sendable {
    /// The rows' bytes; the last row lacks a terminator only at the end of the file.
    public var bytes: [UInt8]
    /// Physical line number of the first byte.
    public var firstLine: Int
    /// 0-based position of the block in its file.
    public var index: Int
    /// Whether the file ended inside a quoted field (the last row is then unterminated).
    public var endsInsideQuotes: Bool

    public init(bytes: [UInt8], firstLine: Int, index: Int, endsInsideQuotes: Bool = false) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.index = index
        self.endsInsideQuotes = endsInsideQuotes
    }
}

/// Cuts a decoded byte stream into row-aligned ``RowBlock``s of about `targetBlockSize`.
///
/// Memory stays bounded by the block size plus the longest row: bytes are read into a
/// working buffer, the ``RowSplitter`` marks where rows end, and a block is cut at the
/// last row end once the buffer holds enough. A row split across reads simply stays in
/// the buffer until its end arrives. A UTF-8 byte-order mark at the very start is dropped.
public final class RowBlockReader {
    /// The file name used in errors.
    public let fileName: String
    private let source: any ByteSource
    private let targetBlockSize: Int
    private let readSize: Int
    private var buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var lastRowEnd = 0
    private var splitter = RowSplitter()
    private var linesBeforeBuffer = 0
    private var atEOF = false
    private var startedFile = false
    private var nextIndex = 0
    /// Decoded bytes delivered so far.
    public private(set) var decodedBytes: Int64 = 0

    public init(source: any ByteSource, fileName: String, targetBlockSize: Int = 1 << 20, readSize: Int = 1 << 18) {
        self.source = source
        self.fileName = fileName
        self.targetBlockSize = max(1, targetBlockSize)
        self.readSize = max(1, readSize)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(16, self.targetBlockSize + self.readSize), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Reads and removes the header row.
    ///
    /// - Returns: the header's fields, trimmed, or `nil` if the file holds no bytes at all.
    public func readHeader() throws -> (names: [String], lines: Int)? {
        while lastRowEnd == 0 && !atEOF { try fill() }
        guard filled > 0 else { return nil }
        var headerSplitter = RowSplitter()
        let firstEnd = headerSplitter.scanFirst(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
        let headerEnd = firstEnd ?? filled
        let headerBytes = UnsafeRawBufferPointer(rebasing: buffer[0..<headerEnd])
        var names: [String] = []
        var blank = 0
        let scratch = CSVDecodeScratch()
        CSVBlockDecoder.forEachRow(in: headerBytes, firstLine: 1, scratch: scratch, blankLines: &blank) { row in
            if names.isEmpty { names = (0..<row.fieldCount).map { row.string($0) } }
        }
        let headerLines = firstEnd != nil ? headerSplitter.newlinesAtLastRowEnd : headerSplitter.newlines
        consume(upTo: headerEnd, lines: headerLines - linesBeforeBuffer)
        return (names, headerLines)
    }

    /// The next block of whole rows, or `nil` at the end of the file.
    public func next() throws -> RowBlock? {
        while lastRowEnd < targetBlockSize && !atEOF { try fill() }
        if atEOF && lastRowEnd < filled {
            // The rest of the file: whole rows and a final row without a terminator.
            guard filled > 0 else { return nil }
            let block = makeBlock(upTo: filled, endsInsideQuotes: splitter.insideQuotes)
            consume(upTo: filled, lines: splitter.newlines - linesBeforeBuffer)
            return block
        }
        guard lastRowEnd > 0 else { return nil }
        let block = makeBlock(upTo: lastRowEnd, endsInsideQuotes: false)
        consume(upTo: lastRowEnd, lines: splitter.newlinesAtLastRowEnd - linesBeforeBuffer)
        return block
    }

    private func makeBlock(upTo end: Int, endsInsideQuotes: Bool) -> RowBlock {
        let bytes = [UInt8](unsafeUninitializedCapacity: end) { target, count in
            if end > 0 { target.baseAddress!.initialize(from: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: end) }
            count = end
        }
        defer { nextIndex += 1 }
        return RowBlock(bytes: bytes, firstLine: linesBeforeBuffer + 1, index: nextIndex, endsInsideQuotes: endsInsideQuotes)
    }

    /// Drops the first `end` bytes of the buffer, which held `lines` newlines.
    private func consume(upTo end: Int, lines: Int) {
        let remaining = filled - end
        if remaining > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + end, remaining) }
        filled = remaining
        lastRowEnd = max(0, lastRowEnd - end)
        linesBeforeBuffer += lines
    }

    /// Reads more bytes into the buffer and scans them for row ends.
    private func fill() throws {
        if filled + readSize > buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(buffer.count * 2, filled + readSize), alignment: 16)
            grown.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: filled)
            buffer.deallocate()
            buffer = grown
        }
        var target = UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + readSize)])
        var n = try source.read(into: target)
        if n == 0 {
            atEOF = true
            return
        }
        decodedBytes += Int64(n)
        if !startedFile {
            startedFile = true
            // A byte-order mark may arrive split across reads: collect three bytes first.
            while n < 3 && target[0] == 0xEF {
                let more = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[n..<(n + 1)]))
                if more == 0 { break }
                decodedBytes += Int64(more)
                n += more
            }
            if n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF {
                memmove(buffer.baseAddress!, buffer.baseAddress! + 3, n - 3)
                n -= 3
                if n == 0 { return }
            }
            target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
        }
        let scanned = UnsafeRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
        if let end = splitter.scan(scanned) { lastRowEnd = filled + end }
        filled += n
    }
}
