import Foundation
import SPRXClean
import SPRXCore

#if canImport(Glibc)
import Glibc
#endif

/// Finds every repeated referral_id of a run in memory that does not grow with the rows.
///
/// Design note: a national extract has tens of millions of distinct referral ids; a hash
/// set of them would be the largest thing in memory. Instead, in input order:
///
/// 1. every clean row's identity (128-bit id hash, content hash) is appended to a spill
///    file, `identities`, whose record number is the row's sequence number;
/// 2. a fixed-size blocked Bloom filter answers "may this id have been seen before?".
///    Only rows for which it says yes, which includes every true repeat and a small
///    share of false alarms, are appended to a second spill file, `candidates`, with
///    what is needed to take them out of the counts again and their raw bytes (a
///    conflicting row is quarantined as read).
///
/// ``resolve(_:)`` then collects the candidates' ids (a small set), reads `identities`
/// once to find each id's first occurrence and its content, and reads `candidates` once
/// more: a candidate that is not its id's first occurrence is a duplicate (same content)
/// or a conflict (other content). Memory is the filter (16 MiB) plus the candidate ids;
/// both spill files live in the staging folder (owner-only) and are deleted before the
/// output is committed. Bloom false alarms cost disk and time, never correctness.
final class DuplicateLedger {
    /// What is needed to undo a clean row: the trace the worker made of it, and where it was.
    struct Candidate {
        var trace: CleanRowTrace
        var file: Int32
        var sequence: Int64
        var rawLength: Int32
    }

    private let directory: URL
    private let identities: SpillFile
    private let candidates: SpillFile
    private var bloom: BlockedBloomFilter
    private(set) var rows: Int64 = 0
    private(set) var candidateCount = 0

    /// Whether the ledger looks for repeats (a run, a merge) or only records the row
    /// identities in order (a shard, whose repeats its merge finds across every shard).
    let findsRepeats: Bool

    init(directory: URL, bloomBits: Int = 1 << 27, findsRepeats: Bool = true) throws {
        self.directory = directory
        self.findsRepeats = findsRepeats
        // Not with its parents: a staging folder a stop signal renamed away is not made again.
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SPRXError(.outputFailed, "cannot create the run's work folder", location: DataLocation(file: directory.path), cause: error)
        }
        identities = try SpillFile(path: directory.appendingPathComponent("identities.bin").path)
        candidates = try SpillFile(path: directory.appendingPathComponent("candidates.bin").path)
        bloom = BlockedBloomFilter(bits: findsRepeats ? bloomBits : 512)
    }

    /// Brings the filter blocks of these rows' ids into cache before they are recorded.
    func warm(_ rows: [CleanRowTrace]) {
        bloom.warm(lows: rows.lazy.map(\.identity.idLow))
    }

    /// Records one clean row, in input order.
    func record(_ trace: CleanRowTrace, file: Int, raw: UnsafeRawBufferPointer) throws {
        var identity = trace.identity
        try withUnsafeBytes(of: &identity) { try identities.append($0) }
        if findsRepeats, bloom.insert(low: trace.identity.idLow, high: trace.identity.idHigh) {
            var candidate = Candidate(trace: trace, file: Int32(file), sequence: rows, rawLength: Int32(raw.count))
            try withUnsafeBytes(of: &candidate) { try candidates.append($0) }
            try candidates.append(raw)
            candidateCount += 1
        }
        rows += 1
    }

    /// Records one clean row a shard counted, by its identity alone, in input order (a
    /// merge's ledger): a repeat found is resolved with an empty trace and no raw bytes,
    /// which the merge reads again from the row's input file.
    func record(identity: RowIdentity, file: Int) throws {
        var identity = identity
        try withUnsafeBytes(of: &identity) { try identities.append($0) }
        if findsRepeats, bloom.insert(low: identity.idLow, high: identity.idHigh) {
            var candidate = Candidate(trace: CleanRowTrace(identity: identity), file: Int32(file), sequence: rows, rawLength: 0)
            try withUnsafeBytes(of: &candidate) { try candidates.append($0) }
            candidateCount += 1
        }
        rows += 1
    }

    /// Calls `body` with the recorded identities in input order, as runs of whole
    /// records of at most `maxBytes` (a shard's partial file takes them so); then
    /// removes the spill files.
    func forEachIdentityRun(maxBytes: Int, _ body: ([UInt8]) throws -> Void) throws {
        try identities.finish()
        defer { discard() }
        let size = MemoryLayout<RowIdentity>.size
        var run: [UInt8] = []
        run.reserveCapacity(maxBytes)
        try identities.forEachFixed(size: size) { record in
            if run.count + size > maxBytes {
                try body(run)
                run.removeAll(keepingCapacity: true)
            }
            run.append(contentsOf: record)
        }
        if !run.isEmpty { try body(run) }
    }

    /// A later occurrence of a referral_id: the row to take out again.
    struct Repeat {
        var trace: CleanRowTrace
        var file: Int
        /// Its place among every clean row recorded (0 is the first).
        var sequence: Int64
        /// Same content as the first occurrence (a duplicate), or not (a conflict).
        var isDuplicate: Bool
        var raw: [UInt8]
    }

    /// Calls `body` for every later occurrence, in input order.
    func resolve(_ body: (Repeat) throws -> Void) throws {
        try identities.finish()
        try candidates.finish()
        defer { try? FileManager.default.removeItem(at: directory) }
        guard candidateCount > 0 else { return }

        struct First {
            var sequence: Int64 = -1
            var content: UInt64 = 0
        }
        var firsts = FlatTable<IDKey, First>(initial: First(), minimumCapacity: candidateCount)
        try candidates.forEachRecord { header, _ in
            let candidate = header.loadUnaligned(as: Candidate.self)
            firsts.update(IDKey(candidate.trace.identity)) { _ in }
        }
        var sequence: Int64 = 0
        try identities.forEachFixed(size: MemoryLayout<RowIdentity>.size) { bytes in
            let identity = bytes.loadUnaligned(as: RowIdentity.self)
            let key = IDKey(identity)
            if firsts[key]?.sequence == -1 {
                firsts.update(key) {
                    $0.sequence = sequence
                    $0.content = identity.content
                }
            }
            sequence += 1
        }
        try candidates.forEachRecord { header, raw in
            let candidate = header.loadUnaligned(as: Candidate.self)
            guard let first = firsts[IDKey(candidate.trace.identity)], first.sequence != candidate.sequence else { return }
            try body(
                Repeat(
                    trace: candidate.trace, file: Int(candidate.file), sequence: candidate.sequence,
                    isDuplicate: first.content == candidate.trace.identity.content,
                    raw: Array(raw)))
        }
    }

    /// Removes the spill files (after a failure).
    func discard() {
        try? FileManager.default.removeItem(at: directory)
    }

    struct IDKey: FlatKey {
        var low: UInt64
        var high: UInt64
        /// The lowest bit of `high` is forced to 1, so no id is the vacant key (0, 0);
        /// the 127 bits left are still far beyond any chance of two ids colliding.
        init(_ identity: RowIdentity) {
            low = identity.idLow
            high = identity.idHigh | 1
        }
        init(low: UInt64, high: UInt64) {
            self.low = low
            self.high = high
        }
        var flatHash: UInt64 { low }  // already a well-mixed hash
        static var vacant: IDKey { IDKey(low: 0, high: 0) }
    }
}

/// A Bloom filter whose probes for one key share a 512-bit block (one cache line), so a
/// lookup costs one memory access. 4 bits per key; at 10 million keys in the default
/// 2^27 bits about 0.5 % of new keys are false alarms.
struct BlockedBloomFilter {
    private var words: [UInt64]
    private let blockMask: UInt64

    init(bits: Int) {
        let blocks = max(1, bits / 512)
        precondition(blocks & (blocks - 1) == 0, "block count must be a power of two")
        words = [UInt64](repeating: 0, count: blocks * 8)
        blockMask = UInt64(blocks - 1)
    }

    /// The first word of the 512-bit block a key's bits are in.
    @inline(__always) private func blockStart(_ low: UInt64) -> Int { Int(truncatingIfNeeded: (low >> 32) & blockMask) * 8 }

    /// Reads the block of each key, so that the inserts that follow find them in cache.
    ///
    /// The filter (16 MiB) is far larger than the caches, so each insert would wait for
    /// memory in turn: on the serial merge, that was 5 % of a run. These loads do not
    /// depend on each other, so the processor has many in flight at once; a block's
    /// keys (about 10,000, 640 KB of filter blocks) then stay in the second-level cache.
    mutating func warm<S: Sequence>(lows: S) where S.Element == UInt64 {
        var touched: UInt64 = 0
        words.withUnsafeBufferPointer { words in
            for low in lows { touched &+= words[blockStart(low)] }
        }
        // Kept, so the loads are not optimised away.
        warmth = touched
    }
    private(set) var warmth: UInt64 = 0

    /// Adds a key (two independent 64-bit hashes of it).
    ///
    /// - Returns: whether the key may have been added before (all its bits were set).
    mutating func insert(low: UInt64, high: UInt64) -> Bool {
        let block = blockStart(low)
        var h = high
        var present = true
        words.withUnsafeMutableBufferPointer { words in
            for _ in 0..<4 {
                let bit = Int(truncatingIfNeeded: h & 511)
                let word = block + bit >> 6
                let mask: UInt64 = 1 << UInt64(bit & 63)
                if words[word] & mask == 0 {
                    present = false
                    words[word] |= mask
                }
                h >>= 9
            }
        }
        return present
    }
}

/// An append-only binary file written through a buffer, then read back sequentially.
/// Created owner-only: its records are derived from patient rows.
final class SpillFile {
    let path: String
    private let descriptor: FileDescriptor
    private var buffer: [UInt8] = []
    private let bufferSize = 1 << 20

    init(path: String) throws {
        self.path = path
        do {
            descriptor = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_TRUNC, permissions: 0o600)
        } catch {
            throw SPRXError(.outputFailed, "cannot create work file: \(error.reason)", location: DataLocation(file: path))
        }
        buffer.reserveCapacity(bufferSize)
    }

    deinit { descriptor.close() }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferSize { try flush() }
        if bytes.count > bufferSize {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func finish() throws { try flush() }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        do { try descriptor.writeAll(bytes) } catch {
            throw SPRXError(.outputFailed, "cannot write work file: \(error.reason)", location: DataLocation(file: path))
        }
    }

    /// Reads the file from the start in chunks, calling `body` for each fixed-size record.
    func forEachFixed(size: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try read { reader in
            while let record = try reader.take(size) { try body(record) }
        }
    }

    /// Reads the file from the start, calling `body` with each chunk read (any length).
    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try read { reader in
            while let chunk = try reader.takeAvailable() { try body(chunk) }
        }
    }

    /// Reads ``DuplicateLedger/Candidate`` records, each followed by its raw bytes.
    func forEachRecord(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        let size = MemoryLayout<DuplicateLedger.Candidate>.size
        try read { reader in
            while let header = try reader.take(size) {
                let length = Int(header.loadUnaligned(as: DuplicateLedger.Candidate.self).rawLength)
                let headerCopy = [UInt8](header)
                guard let raw = try reader.take(length) else {
                    throw SPRXError(.internalError, "work file ends inside a record", location: DataLocation(file: path))
                }
                try headerCopy.withUnsafeBytes { try body($0, raw) }
            }
        }
    }

    private func read(_ body: (ChunkReader) throws -> Void) throws {
        do { try descriptor.seekToStart() } catch {
            throw SPRXError(.outputFailed, "cannot read work file", location: DataLocation(file: path))
        }
        let reader = ChunkReader(descriptor: descriptor, path: path)
        try body(reader)
    }

    /// Sequential reads through a window of at least 1 MiB; records may span reads. A
    /// record returned by ``take(_:)`` stays valid until the next call.
    final class ChunkReader {
        let descriptor: FileDescriptor
        let path: String
        private var window = ByteWindow(capacity: 1 << 20)
        private var atEnd = false
        /// The least a read asks for, so reads stay large as the window's end nears.
        private let readSize = 1 << 16

        init(descriptor: FileDescriptor, path: String) {
            self.descriptor = descriptor
            self.path = path
        }

        /// Whatever the next read brings (up to the window's size), or `nil` at the end of the file.
        func takeAvailable() throws -> UnsafeRawBufferPointer? {
            if window.isEmpty && !atEnd {
                let space = window.freeSpace(minimum: readSize)
                let n: Int
                do { n = try descriptor.read(into: space) } catch {
                    throw SPRXError(.outputFailed, "cannot read work file", location: DataLocation(file: path))
                }
                if n == 0 { atEnd = true }
                window.append(count: n)
            }
            guard !window.isEmpty else { return nil }
            let chunk = UnsafeRawBufferPointer(rebasing: window.readable[0..<window.count])
            window.consume(window.count)
            return chunk
        }

        /// The next `count` bytes, or `nil` at the end of the file.
        func take(_ count: Int) throws -> UnsafeRawBufferPointer? {
            while window.count < count && !atEnd {
                let space = window.freeSpace(minimum: max(count - window.count, readSize))
                let n: Int
                do { n = try descriptor.read(into: space) } catch {
                    throw SPRXError(.outputFailed, "cannot read work file", location: DataLocation(file: path))
                }
                if n == 0 { atEnd = true }
                window.append(count: n)
            }
            guard window.count >= count else {
                if !window.isEmpty {
                    throw SPRXError(.internalError, "work file ends inside a record", location: DataLocation(file: path))
                }
                return nil
            }
            // Consuming moves only the front: the bytes stay where they are until the
            // next read asks for room.
            let record = UnsafeRawBufferPointer(rebasing: window.readable[0..<count])
            window.consume(count)
            return record
        }
    }
}
