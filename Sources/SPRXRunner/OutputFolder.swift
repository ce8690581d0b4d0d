import Foundation
import SPRXClean
import SPRXCore
import SPRXIngest

#if canImport(Glibc)
import Glibc
#endif

/// An output folder built beside its final place and moved there only on success.
///
/// Design note: everything is written into `.<name>.partial-<pid>` in the same parent
/// folder (so the final `rename(2)` stays on one file system). ``commit()`` moves an
/// existing folder aside, renames the new one into place and only then removes the old
/// one, so a run that fails or is killed never leaves a half-written folder at the
/// target and the last good output survives.
public final class OutputFolder {
    public let target: URL
    public let staging: URL
    private(set) var written: [(path: String, bytes: Int, sha256: String)] = []

    public init(target: String) throws {
        self.target = URL(fileURLWithPath: target).standardizedFileURL
        let parent = self.target.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(self.target.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: staging.path) { try FileManager.default.removeItem(at: staging) }
            try FileManager.default.createDirectory(at: staging.appendingPathComponent("tables"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                at: staging.appendingPathComponent("quarantine"), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw SPRXError(.outputFailed, "cannot create output folder", location: DataLocation(file: staging.path), cause: error)
        }
    }

    /// Writes a file inside the folder and records its hash for the manifest.
    public func write(_ relativePath: String, _ text: String, record: Bool = true) throws {
        let bytes = Array(text.utf8)
        let url = staging.appendingPathComponent(relativePath)
        do {
            try Data(bytes).write(to: url)
        } catch {
            throw SPRXError(.outputFailed, "cannot write output", location: DataLocation(file: url.path), cause: error)
        }
        if record { written.append((relativePath, bytes.count, SHA256.hex(of: bytes))) }
    }

    /// Records a file written by someone else (the quarantine stream).
    func recordExisting(_ relativePath: String) throws {
        let url = staging.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SPRXError(.outputFailed, "output file vanished", location: DataLocation(file: url.path))
        }
        written.append((relativePath, data.count, SHA256.hex(of: Array(data))))
    }

    /// Moves the finished folder into place.
    ///
    /// On Linux the new folder and the old one are swapped by one `renameat2(2)` with
    /// `RENAME_EXCHANGE`, so at every instant the target holds a complete folder, then
    /// the old one (now at the staging path) is removed. Where the file system cannot
    /// exchange, the old folder is renamed aside first; a kill between the two renames
    /// leaves it at `.NAME.old-PID`, which the next run's ``RunLock`` puts back.
    public func commit() throws {
        let fm = FileManager.default
        #if os(Linux)
        if fm.fileExists(atPath: target.path) {
            if renameat2(AT_FDCWD, staging.path, AT_FDCWD, target.path, 2 /* RENAME_EXCHANGE */) == 0 {
                try? fm.removeItem(at: staging)
                return
            }
        }
        #endif
        let aside = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).old-\(getpid())")
        do {
            if fm.fileExists(atPath: target.path) { try fm.moveItem(at: target, to: aside) }
            try fm.moveItem(at: staging, to: target)
            if fm.fileExists(atPath: aside.path) { try fm.removeItem(at: aside) }
        } catch {
            if !fm.fileExists(atPath: target.path) && fm.fileExists(atPath: aside.path) { try? fm.moveItem(at: aside, to: target) }
            throw SPRXError(.outputFailed, "cannot move output into place", location: DataLocation(file: target.path), cause: error)
        }
    }

    /// Removes the partial folder after a failure.
    public func discard() {
        try? FileManager.default.removeItem(at: staging)
    }
}

#if os(Linux)
/// Linux `renameat2(2)`, declared by glibc but not part of the Glibc module.
@_silgen_name("renameat2")
private func renameat2(_ olddirfd: Int32, _ oldpath: UnsafePointer<CChar>, _ newdirfd: Int32, _ newpath: UnsafePointer<CChar>, _ flags: UInt32)
    -> Int32
#endif

/// An exclusive lock on an output folder, so two runs (an overlapping cron job, a person
/// and a cron job) never write the same output.
///
/// Design note: the lock is `flock(2)` on `.NAME.lock` beside the folder. The kernel
/// drops it when the holder exits however it exits, SIGKILL included, so a lock file
/// left behind is stale by definition: the next run takes it at once and says so. The
/// file holds the holder's pid and start time, for the refusal message. While holding
/// the lock, a run removes what killed runs left: `.NAME.partial-PID` staging folders,
/// and puts back a `.NAME.old-PID` folder if the target itself is missing.
public final class RunLock {
    public let path: String
    private let descriptor: Int32
    /// What the lock file said when this run took it over from a run that died.
    public private(set) var staleHolder: String?

    /// Takes the lock for `target`, or throws ``SPRXError/Code/outputLocked`` at once.
    public init(target: String) throws {
        let url = URL(fileURLWithPath: target).standardizedFileURL
        let parent = url.deletingLastPathComponent()
        path = parent.appendingPathComponent(".\(url.lastPathComponent).lock").path
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw SPRXError(.outputFailed, "cannot create output folder's parent", location: DataLocation(file: parent.path), cause: error)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SPRXError(.outputFailed, "cannot create lock file: \(String(cString: strerror(errno)))", location: DataLocation(file: path))
        }
        let previous = Self.contents(fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            let holder = previous.isEmpty ? "another sprx run" : previous
            throw SPRXError(
                .outputLocked, "another run is writing this output (\(holder)); not starting", location: DataLocation(file: path))
        }
        descriptor = fd
        if !previous.isEmpty { staleHolder = previous }
        let note = "pid \(getpid()) started \(ISO8601DateFormatter().string(from: Date()))"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        Self.cleanUpAfterKilledRuns(target: url)
    }

    deinit {
        // Empty the file before unlocking: an empty lock file is not stale.
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }

    private static func contents(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 256, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }

    /// Removes staging folders of dead runs; restores an old folder a killed commit left aside.
    static func cleanUpAfterKilledRuns(target: URL) {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        guard let entries = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        for entry in entries.sorted() {
            let url = parent.appendingPathComponent(entry)
            if entry.hasPrefix(".\(name).old-") && !fm.fileExists(atPath: target.path) {
                try? fm.moveItem(at: url, to: target)
            } else if entry.hasPrefix(".\(name).partial-") || entry.hasPrefix(".\(name).old-") {
                try? fm.removeItem(at: url)
            }
        }
    }
}

/// Streams quarantined rows into `quarantine/rejected.csv.gz`, readable by its owner only.
///
/// Columns: file, line, reason, column, raw_row. The raw row is the row's bytes as read
/// (quoted as one CSV field); it is patient data, hence the 0600 permissions.
final class QuarantineWriter {
    private let descriptor: Int32
    private var deflater: GzipDeflater!
    let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SPRXError(
                .outputFailed, "cannot create quarantine file: \(String(cString: strerror(errno)))", location: DataLocation(file: path))
        }
        fchmod(fd, 0o600)
        descriptor = fd
        deflater = try GzipDeflater(level: 6) { [fd, path] bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SPRXError(
                        .outputFailed, "cannot write quarantine file: \(String(cString: strerror(errno)))", location: DataLocation(file: path))
                }
                offset += n
            }
        }
        try deflater.write("file,line,reason,column,raw_row\n")
    }

    deinit { close(descriptor) }

    func write(file: String, row: QuarantinedRow) throws {
        var line = CSVText.text(file) + "," + String(row.line) + "," + row.reason.rawValue + "," + CSVText.text(row.column ?? "") + ",\""
        try deflater.write(line)
        // The raw bytes may not be UTF-8: escape quotes at the byte level.
        var escaped: [UInt8] = []
        escaped.reserveCapacity(row.raw.count + 8)
        for b in row.raw {
            escaped.append(b)
            if b == UInt8(ascii: "\"") { escaped.append(b) }
        }
        try escaped.withUnsafeBytes { try deflater.write($0) }
        line = "\"\n"
        try deflater.write(line)
    }

    func finish() throws {
        try deflater.finish()
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            throw SPRXError(.outputFailed, "cannot flush quarantine file", location: DataLocation(file: path))
        }
    }
}
