import CZlib
import SPRXCore

/// The one place sprx talks to zlib's inflate.
///
/// Design note: the `z_stream` is allocated on the heap and never moves, because zlib
/// keeps a pointer back to it in its internal state; a Swift struct member could be
/// moved by the compiler. `inflateEnd` runs in `deinit`. The class is not `Sendable`:
/// one inflater belongs to one reader on one thread.
///
/// Multi-member gzip (`cat a.gz b.gz`) is handled by resetting the stream at each
/// member end and carrying on with the remaining input. zlib checks each member's CRC-32
/// and length; a mismatch or a stream that ends mid-member is an error that names the
/// compressed byte offset. Zero bytes after the last member (padding, as tape archives
/// and some writers leave) are accepted and counted (``trailingZeroBytes``), as gzip
/// accepts them with a warning; any other byte after a member that does not start a new
/// member, or after the padding, is an error (trailing garbage).
public final class GzipInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    /// Compressed bytes consumed so far, across members.
    public private(set) var compressedOffset: Int64 = 0
    /// Whether the inflater has started a member it has not finished.
    public private(set) var insideMember = false
    /// Completed gzip members.
    public private(set) var membersCompleted = 0
    /// Zero bytes after the last member (padding), accepted; the caller warns about them.
    public private(set) var trailingZeroBytes: Int64 = 0
    private let fileName: String

    public init(fileName: String) throws {
        self.fileName = fileName
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = sprx_inflate_init_gzip(stream)
        guard status == Z_OK else {
            stream.deallocate()
            throw SPRXError(.internalError, "zlib inflateInit2 failed (status \(status))", location: DataLocation(file: fileName))
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates from `input` into `output`.
    ///
    /// - Returns: how many input bytes were consumed and output bytes produced. Either may
    ///   be zero when the other buffer is the limit; call again with more of whichever ran out.
    public func inflate(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        guard !output.isEmpty else { return (0, 0) }
        var consumed = 0
        var produced = 0
        while consumed < input.count && produced < output.count {
            if !insideMember && membersCompleted > 0 {
                // Between members: another member, zero padding to the end, or garbage.
                let next = input[consumed]
                if next == 0 || trailingZeroBytes > 0 {
                    while consumed < input.count && input[consumed] == 0 {
                        consumed += 1
                        trailingZeroBytes += 1
                        compressedOffset += 1
                    }
                    if consumed < input.count {
                        throw SPRXError(
                            .inputCorrupt,
                            "bytes other than zeros after the gzip data's \(trailingZeroBytes) bytes of zero padding: the file is damaged or not only gzip",
                            location: DataLocation(file: fileName, byteOffset: compressedOffset))
                    }
                    break
                }
                if next != 0x1F {
                    throw SPRXError(
                        .inputCorrupt,
                        "bytes after the end of the gzip data that are not another gzip member (trailing garbage): the file is damaged or not only gzip",
                        location: DataLocation(file: fileName, byteOffset: compressedOffset))
                }
            }
            stream.pointee.next_in = UnsafeMutablePointer(
                // safe: the loop runs only while consumed < input.count, so input is not empty
                mutating: input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count - consumed)
            // safe: the guard at the top returns for an empty output
            stream.pointee.next_out = output.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count - produced)
            insideMember = true
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let usedIn = (input.count - consumed) - Int(stream.pointee.avail_in)
            let usedOut = (output.count - produced) - Int(stream.pointee.avail_out)
            consumed += usedIn
            produced += usedOut
            compressedOffset += Int64(usedIn)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                insideMember = false
                membersCompleted += 1
                inflateReset(stream)
            case Z_BUF_ERROR:
                // No progress possible with these buffers: more input or more output needed.
                return (consumed, produced)
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw SPRXError(
                    .inputCorrupt, "corrupt gzip data (\(reason))",
                    location: DataLocation(file: fileName, byteOffset: compressedOffset))
            }
        }
        return (consumed, produced)
    }

    /// Checks that the stream ended on a member boundary.
    public func finish() throws {
        if insideMember || membersCompleted == 0 {
            throw SPRXError(
                .inputCorrupt,
                membersCompleted == 0 && !insideMember
                    ? "empty gzip file" : "gzip data truncated: the last member does not end",
                location: DataLocation(file: fileName, byteOffset: compressedOffset))
        }
    }
}

/// Writes gzip (one member, mtime 0) to a sink, so equal input gives equal bytes.
public final class GzipDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8]
    private let sink: (UnsafeRawBufferPointer) throws -> Void

    /// - Parameters:
    ///   - level: zlib compression level (1 fastest, 9 smallest).
    ///   - sink: receives compressed bytes as they are produced.
    public init(level: Int32 = 6, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        output = [UInt8](repeating: 0, count: 1 << 16)
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = sprx_deflate_init_gzip(stream, level)
        guard status == Z_OK else {
            stream.deallocate()
            throw SPRXError(.internalError, "zlib deflateInit2 failed (status \(status))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        try run(bytes, flush: Z_NO_FLUSH)
    }

    /// Compresses the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Ends the member and flushes everything to the sink.
    public func finish() throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32) throws {
        stream.pointee.next_in = input.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.pointee.avail_in = uInt(input.count)
        while true {
            let (status, produced): (Int32, Int) = output.withUnsafeMutableBytes { out in
                // safe: output is a nonempty array of the deflater's chunk size
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count)
                let status = deflate(stream, flush)
                return (status, out.count - Int(stream.pointee.avail_out))
            }
            if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                throw SPRXError(.internalError, "zlib deflate failed (status \(status))")
            }
            if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && produced < output.count { return }
        }
    }

    /// Gzip-compresses a whole byte array (for small outputs and tests).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var result: [UInt8] = []
        let deflater = try GzipDeflater(level: level) { result.append(contentsOf: $0) }
        try bytes.withUnsafeBytes { try deflater.write($0) }
        try deflater.finish()
        return result
    }
}
