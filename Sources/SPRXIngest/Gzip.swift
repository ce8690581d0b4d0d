import CIsal
import CZlib
import SPRXCore

/// The one place sprx inflates gzip: with zlib, or with ISA-L (``Inflater``).
///
/// Design note: zlib's `z_stream` is allocated on the heap and never moves, because
/// zlib keeps a pointer back to it in its internal state; a Swift struct member could be
/// moved by the compiler. ISA-L's state is allocated by the C shim (`CIsal`) for the same
/// reason. Both are freed in `deinit`. The class is not `Sendable`: one inflater belongs
/// to one reader on one thread.
///
/// Multi-member gzip (`cat a.gz b.gz`) is handled by resetting the stream at each
/// member end and carrying on with the remaining input. Each member's CRC-32 and length
/// are checked (by zlib, or by ISA-L with `ISAL_GZIP_NO_HDR_VER`); a mismatch or a stream
/// that ends mid-member is an error that names the compressed byte offset. Zero bytes
/// after the last member (padding, as tape archives and some writers leave) are accepted
/// and counted (``trailingZeroBytes``), as gzip accepts them with a warning; any other
/// byte after a member that does not start a new member, or after the padding, is an
/// error (trailing garbage).
///
/// With ISA-L, each member's header is read by ``GzipHeaderReader`` (ISA-L 2.30's own
/// header reader loses the flags and the header CRC when a header is split across
/// calls) and the deflate data and trailer by `isal_inflate`. Header, trailer, truncation
/// and trailing-byte errors carry zlib's messages and offsets; inside the deflate data
/// the two libraries word the reason differently and ISA-L, which reads up to 8 bytes
/// ahead, may name a later offset.
public final class GzipInflater {
    /// The library this inflater uses.
    public let inflater: Inflater
    private let stream: UnsafeMutablePointer<z_stream>?
    private let isal: OpaquePointer?
    private var header = GzipHeaderReader()
    /// The compressed offset where the current member starts (ISA-L: header errors).
    private var memberStart: Int64 = 0
    /// The last 8 compressed bytes ISA-L consumed, the newest in the high byte: at a
    /// checksum error, the member's trailer (CRC-32, then ISIZE).
    private var lastEightBytes: UInt64 = 0
    /// Compressed bytes consumed so far, across members.
    public private(set) var compressedOffset: Int64 = 0
    /// Whether the inflater has started a member it has not finished.
    public private(set) var insideMember = false
    /// Completed gzip members.
    public private(set) var membersCompleted = 0
    /// Zero bytes after the last member (padding), accepted; the caller warns about them.
    public private(set) var trailingZeroBytes: Int64 = 0
    private let fileName: String

    /// - Parameter inflater: the library to use; nil for the run's (``Inflater/selected``).
    public init(fileName: String, inflater: Inflater? = nil) throws {
        self.fileName = fileName
        let inflater = try inflater ?? Inflater.selected
        self.inflater = inflater
        switch inflater {
        case .zlib:
            isal = nil
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let status = sprx_inflate_init_gzip(stream)
            guard status == Z_OK else {
                stream.deallocate()
                throw SPRXError(.internalError, "zlib inflateInit2 failed (status \(status))", location: DataLocation(file: fileName))
            }
            self.stream = stream
        case .isal:
            stream = nil
            guard let state = sprx_isal_inflater_create() else {
                throw SPRXError(
                    .internalError, "ISA-L's inflate could not start (\(Inflater.isalProblem ?? "out of memory"))",
                    location: DataLocation(file: fileName))
            }
            isal = state
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        if let isal { sprx_isal_inflater_destroy(isal) }
    }

    /// What one call into the library did.
    private struct Step {
        var usedIn: Int
        var usedOut: Int
        /// The member's trailer was read and checked.
        var memberEnded = false
        /// No progress is possible with these buffers: more input or more output needed.
        var stalled = false
    }

    /// Inflates from `input` into `output`.
    ///
    /// - Returns: how many input bytes were consumed and output bytes produced. Either may
    ///   be zero when the other buffer is the limit; call again with more of whichever ran
    ///   out. At the end of the input, call with an empty `input` until nothing is
    ///   produced: ISA-L may hold inflated bytes it has not handed out.
    public func inflate(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        guard !output.isEmpty else { return (0, 0) }
        var consumed = 0
        var produced = 0
        while produced < output.count {
            if consumed == input.count {
                // Out of input: only ISA-L, inside a member's deflate data, may still have output.
                guard isal != nil && insideMember && header.isComplete else { break }
            }
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
            if !insideMember { memberStart = compressedOffset }
            insideMember = true
            let rest = UnsafeRawBufferPointer(rebasing: input[consumed...])
            let room = UnsafeMutableRawBufferPointer(rebasing: output[produced...])
            let step = try isal != nil ? isalStep(rest, into: room) : zlibStep(rest, into: room)
            consumed += step.usedIn
            produced += step.usedOut
            compressedOffset += Int64(step.usedIn)
            if step.memberEnded {
                insideMember = false
                membersCompleted += 1
                if let stream { inflateReset(stream) }
                if let isal {
                    sprx_isal_inflater_reset(isal)
                    header.reset()
                }
            } else if step.stalled {
                break
            }
        }
        return (consumed, produced)
    }

    /// One call of zlib's `inflate`.
    private func zlibStep(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Step {
        // safe: zlib inflaters are made with a stream
        let stream = self.stream!
        // safe: the caller passes a nonempty output, and input is read only while avail_in > 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = CZlib.inflate(stream, Z_NO_FLUSH)
        var step = Step(usedIn: input.count - Int(stream.pointee.avail_in), usedOut: output.count - Int(stream.pointee.avail_out))
        switch status {
        case Z_OK:
            break
        case Z_STREAM_END:
            step.memberEnded = true
        case Z_BUF_ERROR:
            step.stalled = true
        default:
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
            throw SPRXError(
                .inputCorrupt, "corrupt gzip data (\(reason))",
                location: DataLocation(file: fileName, byteOffset: compressedOffset + Int64(step.usedIn)))
        }
        return step
    }

    /// Reads the member's header, or makes one call of ISA-L's `isal_inflate`.
    private func isalStep(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Step {
        if !header.isComplete {
            let used = try header.read(input, memberOffset: memberStart, fileName: fileName)
            return Step(usedIn: used, usedOut: 0, stalled: !header.isComplete)
        }
        // safe: ISA-L inflaters are made with a state
        let result = sprx_isal_inflater_run(
            isal!, input.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(clamping: input.count),
            output.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(clamping: output.count))
        let step = Step(
            usedIn: Int(result.used_in), usedOut: Int(result.used_out), memberEnded: result.member_finished != 0,
            stalled: result.used_in == 0 && result.used_out == 0)
        if step.usedIn > 0 {
            // safe: usedIn > 0 bytes of input were read, so input has a base address
            for byte in UnsafeRawBufferPointer(rebasing: input[max(0, step.usedIn - 8)..<step.usedIn]) {
                lastEightBytes = lastEightBytes >> 8 | UInt64(byte) << 56
            }
        }
        guard result.status != Int32(SPRX_ISAL_DECOMP_OK) else { return step }
        var offset = compressedOffset + Int64(step.usedIn)
        let reason: String
        switch result.status {
        case Int32(SPRX_ISAL_INCORRECT_CHECKSUM):
            // As zlib: the CRC-32 is checked after its 4 bytes, then the length after the rest.
            if UInt32(truncatingIfNeeded: lastEightBytes) != result.crc {
                reason = "incorrect data check"
                offset -= 4
            } else {
                reason = "incorrect length check"
            }
        case Int32(SPRX_ISAL_INVALID_BLOCK): reason = "invalid deflate block"
        case Int32(SPRX_ISAL_INVALID_SYMBOL): reason = "invalid deflate code"
        case Int32(SPRX_ISAL_INVALID_LOOKBACK): reason = "invalid distance too far back"
        default: reason = "ISA-L status \(result.status)"
        }
        throw SPRXError(.inputCorrupt, "corrupt gzip data (\(reason))", location: DataLocation(file: fileName, byteOffset: offset))
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
