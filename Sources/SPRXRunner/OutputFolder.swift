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
/// target and the last good output survives. The target is an ``OutputTarget``: already
/// checked to be sprx's to replace, with any symbolic link followed.
public final class OutputFolder {
    public let target: URL
    public let staging: URL
    private let checked: OutputTarget
    public private(set) var written: [(path: String, bytes: Int, sha256: String)] = []

    /// The empty file sprx puts in a staging folder when it makes it, and takes out just
    /// before the commit: a folder at a staging name without it is not sprx's, and is
    /// never removed (a user's folder named `.out.partial-123` keeps its contents).
    static let stagingMarker = ".sprx-staging"

    /// Whether `folder` holds sprx's staging marker.
    static func isMarkedStaging(_ folder: URL) -> Bool {
        var info = stat()
        return lstat(folder.appendingPathComponent(stagingMarker).path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether a folder at a staging name is sprx's to remove: marked (a run's staging
    /// folder), or a previous output as sprx wrote it (after the swap the replaced output
    /// waits at the staging name, unmarked, until it is removed; a run killed in between
    /// leaves it there, quarantined rows and all). A folder with anything else, or with a
    /// file changed since sprx wrote it, is not.
    static func isSprxLeftover(_ folder: URL) -> Bool {
        if isMarkedStaging(folder) { return true }
        return OutputTarget.isSprxManifest(folder.appendingPathComponent("manifest.json").path)
            && OutputTarget.whyNotReplaceable(folder.path) == nil
    }

    public init(target checked: OutputTarget) throws {
        self.checked = checked
        target = URL(fileURLWithPath: checked.path)
        let parent = target.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            var info = stat()
            if lstat(staging.path, &info) == 0 {
                // Left by a dead run that had this pid (the lock is ours): only a folder is removed.
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw SPRXError(.outputFailed, "the staging path exists and is not a folder; remove it", location: DataLocation(file: staging.path))
                }
                guard Self.isSprxLeftover(staging) else {
                    throw SPRXError(
                        .outputFailed, "a folder sprx did not make is at its staging path; sprx never removes what it did not make: move it",
                        location: DataLocation(file: staging.path))
                }
                try FileManager.default.removeItem(at: staging)
            }
            // Registered before it exists: a stop that comes while it is being made must
            // still find and remove it (a folder not there yet is simply not removed).
            InterruptCleanup.register(staging.path)
            // Each folder on its own, never with its parents: a stop signal renames the
            // staging folder away, and nothing here may make it again behind the handler.
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
            guard FileManager.default.createFile(atPath: staging.appendingPathComponent(Self.stagingMarker).path, contents: nil) else {
                throw SPRXError(.outputFailed, "cannot mark the staging folder as sprx's", location: DataLocation(file: staging.path))
            }
            try FileManager.default.createDirectory(at: staging.appendingPathComponent("tables"), withIntermediateDirectories: false)
            try FileManager.default.createDirectory(
                at: staging.appendingPathComponent("quarantine"), withIntermediateDirectories: false,
                attributes: [.posixPermissions: 0o700])
        } catch let error as SPRXError {
            InterruptCleanup.unregister(staging.path)
            throw error
        } catch {
            InterruptCleanup.unregister(staging.path)
            throw SPRXError(.outputFailed, "cannot create output folder", location: DataLocation(file: staging.path), cause: error)
        }
        // The replaced folder's group (a shared 2770 folder stays the team's); files
        // written later inherit it where the mode has the set-group-id bit.
        if let group = checked.existingGroup { _ = chown(staging.path, uid_t.max, group) }
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
    public func recordExisting(_ relativePath: String) throws {
        let url = staging.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SPRXError(.outputFailed, "output file vanished", location: DataLocation(file: url.path))
        }
        written.append((relativePath, data.count, SHA256.hex(of: Array(data))))
    }

    /// Moves the finished folder into place.
    ///
    /// The new folder first takes the permissions of the one it replaces (a 0700 output
    /// stays 0700). On Linux the two are swapped by one `renameat2(2)` with
    /// `RENAME_EXCHANGE`, so at every instant the target holds a complete folder, then
    /// the old one (now at the staging path) is removed. Where the file system cannot
    /// exchange, the old folder is renamed aside first; a kill between the two renames
    /// leaves it at `.NAME.old-PID`, which the next run's ``RunLock`` puts back.
    public func commit() throws {
        let fm = FileManager.default
        if let mode = checked.existingMode, chmod(staging.path, mode) != 0 {
            throw SPRXError(
                .outputFailed, "cannot give the new output the old one's permissions: \(String(cString: strerror(errno)))",
                location: DataLocation(file: staging.path))
        }
        // From here a stop signal no longer cancels the run: the swap is moments away.
        guard InterruptCleanup.beginCommit() else {
            while true { pause() }  // a stop signal is being handled; it ends the process
        }
        try checked.verifyUnchanged()
        defer { InterruptCleanup.unregister(staging.path) }
        unlink(staging.appendingPathComponent(Self.stagingMarker).path)
        #if os(Linux)
        if checked.identity != nil {
            if case .success = SystemCall.rename(staging.path, to: target.path, .exchange) {
                try? fm.removeItem(at: staging)
                return
            }
        } else {
            switch SystemCall.rename(staging.path, to: target.path, .noReplace) {
            case .success: return
            case .failure(let error) where error.code == EEXIST:
                throw SPRXError(
                    .outputFailed, "the output target changed during the run (something was created there); nothing was replaced",
                    location: DataLocation(file: checked.given))
            case .failure: break
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
        InterruptCleanup.unregister(staging.path)
    }
}

/// Staging folders to remove if the process is told to stop (SIGTERM, SIGINT, SIGHUP).
///
/// The executable installs the signal handlers (``removeAll()`` then the default
/// action); this holds the paths. `@unchecked Sendable` state behind one lock.
public enum InterruptCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    nonisolated(unsafe) private static var stopping = false
    nonisolated(unsafe) private static var committing = false
    /// The held lock's descriptor: emptied on a stop, so the next run does not report a
    /// stale lock after a clean stop.
    nonisolated(unsafe) static var lockDescriptor: Int32 = -1

    /// Marks the swap as begun, unless a stop signal came first (then `false`).
    static func beginCommit() -> Bool {
        lock.withLock {
            if stopping { return false }
            committing = true
            return true
        }
    }

    /// Whether a stop signal arrived: the run's own failure (its staging folder vanished
    /// under it) must then wait for the signal's default action instead of exiting with
    /// a misleading status.
    public static var interrupted: Bool { lock.withLock { stopping } }

    /// Removes every registered staging folder; called from a signal source's handler.
    /// Returns `false` (doing nothing) when the swap into place has begun: the run then
    /// finishes and its exit status says what happened.
    ///
    /// Each folder is first renamed to `.NAME.stopped-PID`, so the run's own threads can
    /// no longer create files in it while it is being removed.
    @discardableResult
    public static func removeAll() -> Bool {
        let current: Set<String>? = lock.withLock {
            if committing { return nil }
            stopping = true
            return paths
        }
        guard let current else { return false }
        if lockDescriptor >= 0 { _ = ftruncate(lockDescriptor, 0) }
        for path in current {
            let stopped = path.replacingOccurrences(of: ".partial-", with: ".stopped-")
            let victim = rename(path, stopped) == 0 ? stopped : path
            for _ in 0..<5 {
                try? FileManager.default.removeItem(atPath: victim)
                if !FileManager.default.fileExists(atPath: victim) { break }
                usleep(20_000)
            }
        }
        return true
    }
}

/// An exclusive lock on an output folder, so two runs (an overlapping cron job, a person
/// and a cron job) never write the same output.
///
/// Design note: the lock is `flock(2)` on `.NAME.lock` beside the folder, opened with
/// `O_NOFOLLOW` (a symbolic link planted there is refused, never followed) and created
/// owner-only; it must be a regular file. The kernel drops the lock when the holder
/// exits however it exits, SIGKILL included, so a non-empty lock file left behind is
/// stale by definition: the next run takes it at once and says so. The file holds the
/// holder's pid and start time for people looking at it; sprx never prints what it
/// holds. While holding the lock, a run removes what killed runs left: `.NAME.partial-PID`
/// staging folders, and puts back a `.NAME.old-PID` folder if the target is missing
/// (only real folders, never symbolic links).
public final class RunLock {
    public let path: String
    private let descriptor: FileDescriptor
    /// Whether this run took the lock over from a run that died.
    public private(set) var tookOverStaleLock = false

    /// Takes the lock for `target`, or throws ``SPRXError/Code/outputLocked`` at once.
    public init(target checked: OutputTarget) throws {
        let url = URL(fileURLWithPath: checked.path)
        let parent = url.deletingLastPathComponent()
        path = parent.appendingPathComponent(".\(url.lastPathComponent).lock").path
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw SPRXError(.outputFailed, "cannot create output folder's parent", location: DataLocation(file: parent.path), cause: error)
        }
        let lockFile: FileDescriptor
        do { lockFile = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, permissions: 0o600) } catch {
            let reason = error.code == ELOOP ? "it is a symbolic link (refused, not followed)" : error.reason
            throw SPRXError(.outputFailed, "cannot open lock file: \(reason)", location: DataLocation(file: path))
        }
        let fd = lockFile.rawValue
        guard let info = try? lockFile.status(), (info.st_mode & S_IFMT) == S_IFREG else {
            lockFile.close()
            throw SPRXError(.outputFailed, "lock file is not a regular file; remove it", location: DataLocation(file: path))
        }
        guard info.st_nlink == 1 else {
            lockFile.close()
            throw SPRXError(
                .outputFailed, "lock file has other hard links (it may be another file); refused, not changed: remove it",
                location: DataLocation(file: path))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            lockFile.close()
            throw SPRXError(
                .outputLocked, "another run is writing this output; not starting: try again when it has finished", location: DataLocation(file: path))
        }
        if info.st_size > 0 && !Self.holdsLockNote(fd, size: Int(info.st_size)) {
            _ = flock(fd, LOCK_UN)
            lockFile.close()
            throw SPRXError(
                .outputFailed,
                "a file that is not a sprx lock is at the lock path; sprx never overwrites what it did not make: move it",
                location: DataLocation(file: path))
        }
        descriptor = lockFile
        tookOverStaleLock = info.st_size > 0
        InterruptCleanup.lockDescriptor = fd
        if info.st_uid == getuid() { _ = fchmod(fd, 0o600) }
        let note = "pid \(getpid()) started \(ISO8601DateFormatter().string(from: Date()))"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        Self.cleanUpAfterKilledRuns(target: url)
    }

    /// Whether the lock file holds what a sprx run writes there ("pid N started DATE"),
    /// the only content sprx replaces (an empty file is a finished run's).
    static func holdsLockNote(_ fd: Int32, size: Int) -> Bool {
        guard size <= 128 else { return false }
        var bytes = [UInt8](repeating: 0, count: size)
        guard pread(fd, &bytes, size, 0) == size else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: " ")
        return parts.count == 4 && parts[0] == "pid" && parts[1].allSatisfy(\.isNumber) && parts[2] == "started"
    }

    deinit {
        // Empty the file before unlocking: an empty lock file is not stale.
        _ = ftruncate(descriptor.rawValue, 0)
        descriptor.close()
    }

    /// Removes staging folders of dead runs; restores an old folder a killed commit left aside.
    ///
    /// Only what sprx makes is touched: a folder (never a link or a file) named
    /// `.NAME.partial-PID`, `.NAME.stopped-PID` or `.NAME.old-PID` where PID is a number
    /// and no process with that pid is running. Staging folders are removed only if they
    /// hold sprx's marker (``OutputFolder/stagingMarker``) and nothing but what a run writes; an old folder is put back only if it is a
    /// previous output (``OutputTarget/whyNotReplaceable(_:)`` finds nothing foreign) and
    /// the target is missing, and is otherwise left alone.
    static func cleanUpAfterKilledRuns(target: URL) {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        guard let entries = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        let staging: Set<String> = OutputTarget.ownEntries.union([".work"])
        for entry in entries.sorted() {
            let kinds = ["partial", "stopped", "old"]
            guard let kind = kinds.first(where: { entry.hasPrefix(".\(name).\($0)-") }) else { continue }
            let suffix = entry.dropFirst(".\(name).\(kind)-".count)
            guard !suffix.isEmpty, suffix.count <= 10, suffix.allSatisfy(\.isASCII), suffix.allSatisfy(\.isNumber),
                let pid = Int32(suffix), pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH)
            else { continue }
            let url = parent.appendingPathComponent(entry)
            var info = stat()
            guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if kind == "old" {
                if !fm.fileExists(atPath: target.path) && OutputTarget.whyNotReplaceable(url.path) == nil
                    && OutputTarget.isSprxManifest(url.path + "/manifest.json")
                {
                    try? fm.moveItem(at: url, to: target)
                }
            } else if OutputFolder.isMarkedStaging(url)
                ? ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).allSatisfy({ staging.contains($0) || $0 == OutputFolder.stagingMarker })
                : OutputFolder.isSprxLeftover(url)
            {
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
    private let descriptor: FileDescriptor
    // safe: set in init before any use (implicitly unwrapped only because its closure captures the descriptor)
    private var deflater: GzipDeflater!
    let path: String

    init(path: String) throws {
        self.path = path
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, permissions: 0o600) } catch {
            throw SPRXError(.outputFailed, "cannot create quarantine file: \(error.reason)", location: DataLocation(file: path))
        }
        fd.setPermissions(0o600)
        descriptor = fd
        deflater = try GzipDeflater(level: 6) { [fd, path] bytes in
            if case .failure(let error) = Result(catching: { () throws(Errno) in try fd.writeAll(bytes) }) {
                throw SPRXError(.outputFailed, "cannot write quarantine file: \(error.reason)", location: DataLocation(file: path))
            }
        }
        try deflater.write("file,line,reason,column,raw_row\n")
    }

    deinit { descriptor.close() }

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
        do { try descriptor.sync() } catch  where error.code != EINVAL {
            throw SPRXError(.outputFailed, "cannot flush quarantine file", location: DataLocation(file: path))
        } catch {}
    }
}
