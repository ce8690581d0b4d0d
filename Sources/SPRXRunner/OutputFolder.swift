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
    public func commit() throws {
        let fm = FileManager.default
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
