import Foundation
import SPRXCore
import SPRXIngest

#if canImport(Glibc)
import Glibc
#endif

/// The partial file's byte layout: magic, format version, sections, checksum.
///
/// Design note: a partial (`sprx run --partial`) is what one shard of a run hands to
/// `sprx merge`. It is read and written as a stream of sections, so memory does not
/// grow with the rows however many a shard held:
///
///     magic "SPRXPART" (8 bytes) · format version (UInt32, little-endian)
///     section*: kind (UInt8) · payload length (UInt32 LE) · payload (≤ 1 MiB)
///     end:      kind 0xFF · length 64 · SHA-256 (hex) of every byte before this section
///
/// A kind may repeat (the row identities come in 1 MiB sections, in input order); a
/// reader verifies the checksum over the whole file before it takes any section in, so
/// a truncated or damaged file is refused before anything of it is counted.
public enum PartialFormat {
    /// The file's first eight bytes.
    public static let magic: [UInt8] = Array("SPRXPART".utf8)
    /// The one format version this build reads and writes; another is refused (78).
    /// Version 2: the counts carry the empty-cell and no-reason counters and the files
    /// the referrals with an unmapped reason (the counts section has no keys, so a
    /// version-1 partial would be read out of step).
    public static let version: UInt32 = 2
    /// The largest section payload written; a larger length read is damage.
    public static let maxSection = 1 << 20
    /// The file name extension of partials (a folder given to `sprx merge` is read for these).
    public static let fileExtension = "sprxpart"
    /// The most a gzip-compressed JSON section may inflate to, for its compressed size:
    /// well above what sprx's JSON compresses by (under 10 times), far below a crafted
    /// stream's 1,000 times, so a damaged or hostile file cannot take the machine's memory.
    static func inflatedLimit(compressed: Int) -> Int { 64 * compressed + (1 << 20) }

    /// What a section holds.
    public enum Section: UInt8, Sendable {
        /// ``PartialHeader`` as JSON: what the shard was counted with. (Every JSON
        /// section is gzip-compressed.)
        case header = 1
        /// The shard's files' reconciliations, before repeats are resolved (JSON).
        case files = 2
        /// The unmapped labels and their counts (JSON).
        case unmappedLabels = 3
        /// The aggregation state (``SPRXAggregate/ReferralCounts``, in ``CompactCoder``'s
        /// form, gzip-compressed): counts, model cells, per-day counts, per organisation.
        case counts = 4
        /// Every clean row's ``PartialRowRecord``, in input order: gzip-compressed runs of
        /// whole records, their bytes regrouped by position (``PartialRowRecord/shuffled(_:)``),
        /// at most ``maxSection`` bytes each inflated.
        case rows = 5
        /// Quarantined rows, in input order (owner-only data: they hold raw rows).
        case quarantine = 6
        /// The checksum; last.
        case end = 0xFF
    }
}

/// What a shard was counted with, and so what a merge must match.
public struct PartialHeader: Codable, Sendable, Equatable {
    /// One reference file: what it is, and its content's hash.
    public struct Reference: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
    }
    /// One shard counted by `sprx run --partial`: its input files in order (as named,
    /// and as absolute paths where the shard read them, for a merge that reads a repeat
    /// again from another working folder), and an id from their paths and contents (a
    /// shard given twice is refused).
    public struct Shard: Codable, Sendable, Equatable {
        public var id: String
        public var inputs: [String]
        public var resolved: [String]
        /// Which shard of how many it is (`--shard-index`, `--shard-count`), when given:
        /// the final merge then refuses a missing, repeated or misplaced shard.
        public var number: ShardNumber? = nil
    }
    public var format = "sprx-partial"
    public var formatVersion = PartialFormat.version
    public var sprxVersion = SPRXRunner.sprxVersion
    public var pipelineSHA256: String
    /// The group key layout the counts were keyed with.
    public var layout: String
    public var reference: [Reference]
    /// The shards in this partial, in order: one for a shard's own, several for a merge's.
    public var shards: [Shard]
    /// Clean rows recorded (row records in the file).
    public var rows: Int64
    /// Quarantined rows in the file.
    public var quarantinedRows: Int64

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", sprxVersion = "sprx_version", pipelineSHA256 = "pipeline_sha256", layout,
            reference, shards, rows, quarantinedRows = "quarantined_rows"
    }
}

/// A shard's place in its run: index `index` (from 0) of `count` shards.
public struct ShardNumber: Codable, Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// - Returns: `nil` unless `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count > 0, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    public var description: String { "shard \(index) of \(count) (counting from 0)" }
}

/// The names of a partial's work files beside it, and the removal of those a killed
/// writer left.
///
/// `.NAME.tmp-HOST-PID-UUID` is the partial being written, `.NAME.work-HOST-PID-UUID` a
/// shard's work folder. The host and pid let a later writer of the same partial on the
/// same host tell a killed writer's leftovers (its pid no longer running) from a live
/// one's; the UUID keeps two writers apart even when their pids agree (containers). A
/// writer on another host (another node or pod sharing the folder) is never judged, so
/// its leftovers stay for their owner to remove.
enum PartialWorkName {
    enum Kind: String, CaseIterable {
        case temporaryFile = "tmp"
        case workFolder = "work"
    }

    /// What a shard's work folder may hold (``PartialSink``): anything else and it is kept.
    static let workFolderEntries: Set<String> = ["ledger", "quarantine.bin"]

    /// A new work name of `kind` beside the partial at `path`.
    static func make(_ kind: Kind, beside path: String) -> URL {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(
            "\(prefix(kind, partialName: url.lastPathComponent))\(getpid())-\(UUID().uuidString)")
    }

    /// Removes the work files of writers of this partial on this host that are no
    /// longer running (killed with SIGKILL, so their cleanup never ran).
    ///
    /// Only what sprx makes is touched: an entry named by ``make(_:beside:)`` for this
    /// host, owned by this user, whose pid is not running (or is this process's, which
    /// has made none yet); a temporary file only if it is a regular file, a work folder
    /// only if it holds nothing but what a shard writes.
    static func removeLeftoversOfKilledWriters(beside path: String) {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent()
        guard let entries = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        for entry in entries.sorted() {
            guard let kind = Kind.allCases.first(where: { entry.hasPrefix(prefix($0, partialName: url.lastPathComponent)) }) else { continue }
            let rest = entry.dropFirst(prefix(kind, partialName: url.lastPathComponent).count)
            guard let dash = rest.firstIndex(of: "-") else { continue }
            let digits = rest[..<dash]
            guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let pid = Int32(digits),
                UUID(uuidString: String(rest[rest.index(after: dash)...])) != nil,
                pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH)
            else { continue }
            let item = parent.appendingPathComponent(entry)
            var info = stat()
            guard lstat(item.path, &info) == 0, info.st_uid == getuid() else { continue }
            switch kind {
            case .temporaryFile:
                if (info.st_mode & S_IFMT) == S_IFREG { unlink(item.path) }
            case .workFolder:
                if (info.st_mode & S_IFMT) == S_IFDIR,
                    ((try? fm.contentsOfDirectory(atPath: item.path)) ?? [""]).allSatisfy(workFolderEntries.contains)
                {
                    try? fm.removeItem(at: item)
                }
            }
        }
    }

    /// `.NAME.KIND-HOST-`: the part of a work name this host's writers of NAME share.
    static func prefix(_ kind: Kind, partialName: String) -> String {
        ".\(partialName).\(kind.rawValue)-\(host)-"
    }

    /// This host's name, reduced to letters, digits, `.` and `-` (`host` when empty).
    static let host: String = {
        var bytes = [CChar](repeating: 0, count: 256)
        guard gethostname(&bytes, bytes.count - 1) == 0 else { return "host" }
        let name = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        return name.isEmpty ? "host" : name
    }()
}

/// Writes a partial file: sections streamed to a temporary file beside the target,
/// checksummed, then renamed over it.
///
/// The file is owner-only (it holds quarantined rows). An existing file at the path is
/// replaced only when it is itself a partial; anything else is refused, as sprx never
/// overwrites what it did not make.
final class PartialWriter {
    let path: String
    private let temporaryPath: String
    private let descriptor: FileDescriptor
    private var hash = SHA256()
    private var buffer: [UInt8] = []
    private var finished = false

    init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard !isFolder.boolValue else {
                throw SPRXError(
                    .outputFailed, "--partial names a folder: name the partial file to write (shard-0000.sprxpart)", location: DataLocation(file: path))
            }
            guard PartialReader.looksLikePartial(path: path) else {
                throw SPRXError(
                    .outputFailed, "a file that is not a sprx partial is in the way; sprx replaces only partials it wrote: move it or name another --partial",
                    location: DataLocation(file: path))
            }
        }
        PartialWorkName.removeLeftoversOfKilledWriters(beside: path)
        temporaryPath = PartialWorkName.make(.temporaryFile, beside: path).path
        do {
            descriptor = try FileDescriptor.open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600)
        } catch {
            throw SPRXError(.outputFailed, "cannot create the partial file: \(error.reason)", location: DataLocation(file: path))
        }
        descriptor.setPermissions(0o600)
        InterruptCleanup.register(temporaryPath)
        buffer.reserveCapacity(PartialFormat.maxSection + 16)
        try emit(PartialFormat.magic)
        try emit(Self.littleEndian(PartialFormat.version))
    }

    deinit {
        descriptor.close()
        if !finished { abandon() }
    }

    /// Writes one section; payloads over ``PartialFormat/maxSection`` go as several.
    func write(_ kind: PartialFormat.Section, _ payload: [UInt8]) throws {
        precondition(kind != .end)
        var start = 0
        repeat {
            let end = min(payload.count, start + PartialFormat.maxSection)
            try emit([kind.rawValue] + Self.littleEndian(UInt32(end - start)))
            try emit(payload[start..<end])
            start = end
        } while start < payload.count
    }

    /// Writes `value` as gzip-compressed JSON (sorted keys: equal values give equal bytes).
    func writeJSON<T: Encodable>(_ kind: PartialFormat.Section, _ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(kind, try GzipDeflater.compress(Array(try encoder.encode(value))))
    }

    /// Writes `value` in the compact binary form (``CompactCoder``), gzip-compressed: the
    /// counts, read back about ten times faster than as JSON.
    func writeCompact<T: Encodable>(_ kind: PartialFormat.Section, _ value: T) throws {
        try write(kind, try GzipDeflater.compress(try CompactCoder.encode(value)))
    }

    /// Writes the checksum, makes the file durable and renames it over ``path``.
    func finish() throws {
        let digest = Array(hash.finalizeHex().utf8)
        try emit([PartialFormat.Section.end.rawValue] + Self.littleEndian(UInt32(digest.count)) + digest, hashed: false)
        try flush()
        do { try descriptor.sync() } catch {
            throw SPRXError(.outputFailed, "cannot write the partial file: \(error.reason)", location: DataLocation(file: path))
        }
        if case .failure(let error) = SystemCall.rename(temporaryPath, to: path, .replace) {
            throw SPRXError(.outputFailed, "cannot put the partial file in place: \(error.reason)", location: DataLocation(file: path))
        }
        finished = true
        InterruptCleanup.unregister(temporaryPath)
    }

    /// Removes the temporary file (after a failure).
    func abandon() {
        unlink(temporaryPath)
        InterruptCleanup.unregister(temporaryPath)
    }

    private func emit<C: Collection>(_ bytes: C, hashed: Bool = true) throws where C.Element == UInt8 {
        if hashed { hash.update(bytes) }
        buffer.append(contentsOf: bytes)
        if buffer.count >= PartialFormat.maxSection { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let written: Result<Void, Errno> = buffer.withUnsafeBytes { bytes in Result { () throws(Errno) in try descriptor.writeAll(bytes) } }
        if case .failure(let error) = written {
            throw SPRXError(.outputFailed, "cannot write the partial file: \(error.reason)", location: DataLocation(file: path))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

/// Reads a partial file section by section, after verifying its checksum.
///
/// `@unchecked Sendable`: a reader is handed to one thread at a time (a merge verifies
/// and decodes partials side by side, each on one thread), never used by two at once.
///
/// The file is open only while a pass reads it, so a merge of thousands of partials
/// holds a few descriptors at a time, not one per partial.
public final class PartialReader: @unchecked Sendable {
    public let path: String
    private var descriptor: FileDescriptor?
    private var window = ByteWindow(capacity: 1 << 16)
    private var atEnd = false
    /// Bytes consumed from the file so far (for error locations).
    private var offset: Int64 = 0

    /// Opens `path` and verifies it: magic, format version and checksum.
    ///
    /// - Throws: ``SPRXError/Code/inputUnreadable`` (66) when it cannot be read,
    ///   ``SPRXError/Code/inputFormat`` (65) when it is not a partial, is truncated or
    ///   damaged, and ``SPRXError/Code/invalidPipeline`` (78) when it was written by a
    ///   format version this build does not read.
    public init(path: String) throws {
        self.path = path
        try rewind()
        defer { close() }
        try verify()
    }

    deinit { close() }

    private func close() {
        descriptor?.close()
        descriptor = nil
    }

    /// Whether the file at `path` starts like a partial (the magic).
    static func looksLikePartial(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: PartialFormat.magic.count)).map(Array.init) == PartialFormat.magic
    }

    /// The payloads of the (consecutive) sections of one kind, joined; the reading stops
    /// after them, so the header, files, labels and counts, which come first, are read
    /// without reading the row records after them.
    func payload(of kind: PartialFormat.Section) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var seen = false
        try rewind()
        defer { close() }
        _ = try take(PartialFormat.magic.count + 4)
        while true {
            let (section, payload) = try nextSection()
            if section == kind {
                seen = true
                bytes.append(contentsOf: payload)
            } else if seen || section == .end {
                return bytes
            }
        }
    }

    /// Calls `body` with each section's kind and payload, in file order, up to the end section.
    public func forEachSection(_ body: (PartialFormat.Section, UnsafeRawBufferPointer) throws -> Void) throws {
        try rewind()
        defer { close() }
        _ = try take(PartialFormat.magic.count + 4)
        while true {
            let (kind, payload) = try nextSection()
            if kind == .end { return }
            try body(kind, payload)
        }
    }

    /// The header section (the first).
    public func header() throws -> PartialHeader {
        var found: PartialHeader?
        try rewind()
        defer { close() }
        _ = try take(PartialFormat.magic.count + 4)
        let (kind, payload) = try nextSection()
        if kind == .header, let json = try? Self.inflated(Array(payload), path: path, limit: PartialFormat.maxSection) {
            found = try? JSONDecoder().decode(PartialHeader.self, from: Data(json))
        }
        guard let found else { throw damaged("its first section is not a readable header") }
        return found
    }

    /// Reads the whole file once: magic, version, section framing and the checksum.
    private func verify() throws {
        guard let start = try? take(PartialFormat.magic.count + 4) else {
            throw SPRXError(
                .inputFormat, "the partial file is empty or shorter than a partial's first 12 bytes: copy it again, or count its shard again",
                location: DataLocation(file: path))
        }
        guard Array(start.prefix(PartialFormat.magic.count)) == PartialFormat.magic else {
            throw SPRXError(.inputFormat, "not a sprx partial file (it does not start with SPRXPART)", location: DataLocation(file: path))
        }
        var hash = SHA256()
        hash.update(start)
        let version = Self.uint32(start, at: PartialFormat.magic.count)
        guard version == PartialFormat.version else {
            throw SPRXError(
                .invalidPipeline,
                "this partial was written in partial format \(version); this sprx (\(SPRXRunner.sprxVersion)) reads format \(PartialFormat.version): count the shard again with this sprx",
                location: DataLocation(file: path))
        }
        while true {
            guard let frame = try take(5) else { throw damaged("it ends without its checksum (truncated)") }
            let kindByte = frame[0]
            let length = Int(Self.uint32(frame, at: 1))
            guard let kind = PartialFormat.Section(rawValue: kindByte), length <= PartialFormat.maxSection else {
                throw damaged("a section's kind or length is not valid")
            }
            if kind == .end {
                let digest = Array(hash.finalizeHex().utf8)
                guard length == digest.count, let stored = try take(length), Array(stored) == digest else {
                    throw damaged("its checksum does not match its contents")
                }
                guard try take(1) == nil else { throw damaged("bytes follow its checksum") }
                return
            }
            hash.update(frame)
            guard let payload = try take(length) else { throw damaged("it ends inside a section (truncated)") }
            hash.update(payload)
        }
    }

    private func nextSection() throws -> (PartialFormat.Section, UnsafeRawBufferPointer) {
        guard let frame = try take(5), let kind = PartialFormat.Section(rawValue: frame[0]) else { throw damaged("a section cannot be read") }
        let length = Int(Self.uint32(frame, at: 1))
        guard let payload = try take(length) else { throw damaged("it ends inside a section (truncated)") }
        return (kind, payload)
    }

    func damaged(_ what: String) -> SPRXError {
        SPRXError(
            .inputFormat, "the partial file is damaged: \(what); copy it again from where its shard wrote it, or count the shard again",
            location: DataLocation(file: path, byteOffset: offset))
    }

    /// Opens the file (again) at its start.
    private func rewind() throws {
        close()
        do { descriptor = try FileDescriptor.open(path, O_RDONLY) } catch {
            throw SPRXError(.inputUnreadable, "cannot open the partial file: \(error.reason)", location: DataLocation(file: path))
        }
        window = ByteWindow(capacity: 1 << 16)
        atEnd = false
        offset = 0
    }

    /// The next `count` bytes, valid until the next call; `nil` at the end of the file.
    private func take(_ count: Int) throws -> UnsafeRawBufferPointer? {
        while window.count < count && !atEnd {
            let space = window.freeSpace(minimum: max(count - window.count, 1 << 16))
            let n: Int
            // safe: take() runs only inside a pass, after rewind() opened the file
            do { n = try descriptor!.read(into: space) } catch {
                throw SPRXError(.inputUnreadable, "cannot read the partial file: \(error.reason)", location: DataLocation(file: path))
            }
            if n == 0 { atEnd = true }
            window.append(count: n)
        }
        guard window.count >= count else {
            if window.isEmpty { return nil }
            throw damaged("it ends inside a section (truncated)")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: window.readable[0..<count])
        window.consume(count)
        offset += Int64(count)
        return bytes
    }

    /// The bytes a gzip-compressed section holds; more than `limit` is damage.
    static func inflated(_ compressed: [UInt8], path: String, limit: Int) throws -> [UInt8] {
        let inflater = try GzipInflater(fileName: path)
        var result: [UInt8] = []
        var output = [UInt8](repeating: 0, count: 1 << 16)
        try compressed.withUnsafeBytes { input in
            var offset = 0
            while true {
                let (consumed, produced) = try output.withUnsafeMutableBytes {
                    try inflater.inflate(UnsafeRawBufferPointer(rebasing: input[offset...]), into: $0)
                }
                offset += consumed
                result.append(contentsOf: output[0..<produced])
                guard result.count <= limit else {
                    throw SPRXError(
                        .inputFormat, "the partial file is damaged: a section inflates to more than any sprx writes; count the shard again",
                        location: DataLocation(file: path))
                }
                if consumed == 0 && produced == 0 { break }
            }
        }
        try inflater.finish()
        return result
    }

    static func uint32(_ bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[index + $1]) << (8 * UInt32($1)) }
    }
}
