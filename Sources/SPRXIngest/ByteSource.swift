import Foundation
import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something that fills buffers with the decoded bytes of one input file.
///
/// `read(into:)` returns 0 only at the end of the data. Implementations are per-file and
/// single-threaded.
public protocol ByteSource: AnyObject {
    /// Fills as much of `buffer` as is available; 0 means the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file's raw bytes with `read(2)`, hashing them (SHA-256) on the way.
public final class FileByteSource: ByteSource {
    public let path: String
    private let descriptor: FileDescriptor
    private var hasher = SHA256()
    /// Raw bytes read so far.
    public private(set) var bytesRead: Int64 = 0
    /// The largest single read, so tests can feed a file one byte at a time.
    private let maxRead: Int

    /// Opens `path` once and checks, on the open descriptor, that it is a regular file or
    /// a pipe (a FIFO, `/dev/stdin` as a pipe, `<(command)`); anything else is refused.
    public init(path: String, maxRead: Int = .max) throws {
        self.path = path
        self.maxRead = max(1, maxRead)
        // Refuse what is not a file or a pipe before opening it: opening a device can block
        // or have effects of its own. The open descriptor is checked again below.
        var before = stat()
        if stat(path, &before) == 0 { try InputKind(mode: before.st_mode).requireReadable(path) }
        func unreadable(_ error: Errno) -> SPRXError {
            SPRXError(.inputUnreadable, "cannot open input: \(error.reason)", location: DataLocation(file: path))
        }
        let opened: FileDescriptor
        do { opened = try FileDescriptor.open(path, O_RDONLY) } catch { throw unreadable(error) }
        do {
            let info: stat
            do { info = try opened.status() } catch { throw unreadable(error) }
            try InputKind(mode: info.st_mode).requireReadable(path)
        } catch {
            opened.close()
            throw error
        }
        descriptor = opened
    }

    deinit { descriptor.close() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let target = buffer.count > maxRead ? UnsafeMutableRawBufferPointer(rebasing: buffer[0..<maxRead]) : buffer
        let n: Int
        do { n = try descriptor.read(into: target) } catch {
            throw SPRXError(
                .inputUnreadable, "read failed: \(error.reason)", location: DataLocation(file: path, byteOffset: bytesRead))
        }
        if n > 0 {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            bytesRead += Int64(n)
        }
        return n
    }

    /// The SHA-256 of every byte read; call once, after the end.
    public func finalizeSHA256() -> String { hasher.finalizeHex() }
}

/// Bytes held in memory, handed out at most `maxRead` at a time (tests and the fuzzer
/// use it to cut input at every possible place).
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let maxRead: Int

    public init(_ bytes: [UInt8], maxRead: Int = .max) {
        self.bytes = bytes
        self.maxRead = max(1, maxRead)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, maxRead, bytes.count - offset)
        guard n > 0 else { return 0 }
        // safe: n > 0 is checked above, so both buffers are nonempty
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Inflates gzip read from another ``ByteSource`` (a file, or memory).
public final class GzipByteSource: ByteSource {
    private let file: any ByteSource
    private let name: String
    private let inflater: GzipInflater
    /// Compressed bytes read and not yet inflated.
    private var input: ByteWindow
    private let inputBufferSize: Int
    private var atEOF = false

    public convenience init(file: FileByteSource, inputBufferSize: Int = 256 * 1024) throws {
        try self.init(compressed: file, name: file.path, inputBufferSize: inputBufferSize)
    }

    /// - Parameter name: the file name used in errors.
    /// Zero bytes of padding after the last gzip member (accepted; worth a warning).
    public var trailingZeroBytes: Int64 { inflater.trailingZeroBytes }

    /// - Parameter inflater: the library that inflates; nil for the run's (``Inflater/selected``).
    public init(compressed: any ByteSource, name: String, inputBufferSize: Int = 256 * 1024, inflater: Inflater? = nil) throws {
        self.file = compressed
        self.name = name
        self.inflater = try GzipInflater(fileName: name, inflater: inflater)
        self.inputBufferSize = max(1, inputBufferSize)
        input = ByteWindow(capacity: self.inputBufferSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if input.isEmpty && !atEOF {
                let space = input.freeSpace(minimum: inputBufferSize)
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: space[0..<inputBufferSize]))
                input.append(count: n)
                if n == 0 { atEOF = true }
            }
            let (consumed, produced) = try inflater.inflate(UnsafeRawBufferPointer(input.readable), into: buffer)
            input.consume(consumed)
            if produced > 0 { return produced }
            if atEOF && input.isEmpty {
                // Called with no input and nothing came out: the inflater holds nothing more.
                try inflater.finish()
                return 0
            }
            if consumed == 0 && !input.isEmpty {
                throw SPRXError(
                    .internalError, "inflate made no progress",
                    location: DataLocation(file: name, byteOffset: inflater.compressedOffset))
            }
        }
    }
}

/// Hands out bytes read ahead to look at the start of a stream, then the rest of it, so
/// a pipe can be sniffed without losing a byte.
public final class PeekableByteSource: ByteSource {
    private let source: any ByteSource
    private var pending: [UInt8] = []
    private var pendingOffset = 0

    public init(_ source: any ByteSource) { self.source = source }

    /// Up to `count` bytes from the start of the data (fewer only at its end); they are
    /// handed out again by ``read(into:)``. Call before the first read.
    public func peek(_ count: Int) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: max(1, count))
        while pending.count < count {
            let n = try chunk.withUnsafeMutableBytes {
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(count - pending.count)]))
            }
            if n == 0 { break }
            pending += chunk[0..<n]
        }
        return pending
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if pendingOffset < pending.count {
            let n = min(buffer.count, pending.count - pendingOffset)
            // safe: n > 0 here (pendingOffset < pending.count and a nonempty read buffer)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pendingOffset, byteCount: n) }
            pendingOffset += n
            if pendingOffset == pending.count {
                pending = []
                pendingOffset = 0
            }
            return n
        }
        return try source.read(into: buffer)
    }
}

/// Opens an input file once, choosing gzip or plain by its first bytes (`1f 8b`),
/// converting the pipeline's declared encoding to UTF-8, and refusing by name the
/// encodings and compressions sprx does not read.
public enum InputOpener {
    /// The decoded-bytes source (UTF-8) and the raw file under it (for hash and size).
    ///
    /// The bytes looked at to choose are read from the one open descriptor and handed on,
    /// so a pipe loses nothing; a FIFO is opened once (waiting for its writer).
    ///
    /// - Parameter encoding: the pipeline's `input.encoding`. UTF-16 needs its byte-order
    ///   mark (which decides the byte order); a file whose first bytes contradict the
    ///   declared encoding (a UTF-16 file read as UTF-8, a UTF-8 byte-order mark on a
    ///   Windows-1252 file) is refused, naming the setting that would read it.
    /// - Throws: ``SPRXError/Code/inputFormat`` (exit 65) for what sprx does not read.
    public static func open(path: String, encoding: TextEncoding = .utf8, maxRead: Int = .max) throws -> (
        source: any ByteSource, file: FileByteSource
    ) {
        let opened = try openInput(path: path, encoding: encoding, maxRead: maxRead)
        return (opened.source, opened.file)
    }

    /// An opened input: its decoded text, the raw file under it, and its inflater when
    /// it is gzip (to ask, once read, about padding after the gzip data).
    public struct OpenedInput {
        public var source: any ByteSource
        public var file: FileByteSource
        public var gzip: GzipByteSource?
    }

    /// As ``open(path:encoding:maxRead:)``, keeping the gzip inflater.
    ///
    /// - Parameter inflater: the library that inflates gzip; nil for the run's (``Inflater/selected``).
    public static func openInput(path: String, encoding: TextEncoding = .utf8, maxRead: Int = .max, inflater: Inflater? = nil) throws
        -> OpenedInput
    {
        let file = try FileByteSource(path: path, maxRead: maxRead)
        let raw = PeekableByteSource(file)
        let head = try raw.peek(InputFormat.sniffLength)
        if InputFormat.sniff(head) == .gzip {
            let gzip = try GzipByteSource(compressed: raw, name: path, inflater: inflater)
            let decoded = PeekableByteSource(gzip)
            let source = try text(decoded, head: try decoded.peek(InputFormat.sniffLength), encoding: encoding, path: path, what: "gzip file holds")
            return OpenedInput(source: source, file: file, gzip: gzip)
        }
        return OpenedInput(source: try text(raw, head: head, encoding: encoding, path: path, what: "file is"), file: file, gzip: nil)
    }

    /// The UTF-8 text of `source` (whose first bytes are `head`), read as `encoding`;
    /// `what` starts a refusal's message (`file is`, `gzip file holds`).
    public static func text(_ source: PeekableByteSource, head: [UInt8], encoding: TextEncoding, path: String, what: String) throws -> any ByteSource {
        let format = InputFormat.sniff(head)
        func refuse(_ problem: String) -> SPRXError { SPRXError(.inputFormat, "\(what) \(problem)", location: DataLocation(file: path)) }
        switch encoding {
        case .utf16:
            let littleEndian = head.starts(with: [0xFF, 0xFE]) && !head.starts(with: [0xFF, 0xFE, 0x00, 0x00])
            let bigEndian = head.starts(with: [0xFE, 0xFF])
            guard littleEndian || bigEndian else {
                if case .utf16 = format {
                    throw refuse(
                        "UTF-16 text without a byte-order mark; sprx reads UTF-16 only with one (Excel's 'Unicode Text' save writes it): save it as 'CSV UTF-8'"
                    )
                }
                if let problem = format.problem { throw refuse(problem) }
                throw refuse(
                    "not UTF-16 text (no UTF-16 byte-order mark at its start), but the pipeline says input.encoding: utf-16; remove that setting if the file is UTF-8"
                )
            }
            var mark = [UInt8](repeating: 0, count: 2)
            _ = try mark.withUnsafeMutableBytes { try source.read(into: $0) }
            return TranscodingByteSource(source, encoding: .utf16(bigEndian: bigEndian))
        case .utf8, .windows1252:
            if case .utf16 = format, !(head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])) {
                throw refuse("UTF-16 text without a byte-order mark; sprx reads UTF-16 only with one (input.encoding: utf-16): save it as 'CSV UTF-8'")
            }
            if let problem = format.problem { throw refuse(problem) }
            guard encoding == .windows1252 else { return source }
            if head.starts(with: [0xEF, 0xBB, 0xBF]) {
                throw refuse("UTF-8 text (it starts with a UTF-8 byte-order mark), but the pipeline says input.encoding: windows-1252; remove that setting")
            }
            return TranscodingByteSource(source, encoding: .windows1252)
        }
    }
}
