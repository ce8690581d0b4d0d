import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch folders for tests, all under one folder of this test process that is removed
/// when the process exits, so a test run leaves nothing in the temporary folder.
///
/// The root is `$TMPDIR/sprx-tests-PID`. A test process killed before it could clean
/// up (a crash, a time limit, ^C) leaves its root behind; the next test process removes
/// every root whose process is gone. Tests need not (but may) remove their own folders.
public enum ScratchFolder {
    /// The prefix of every test process's root folder.
    static let rootPrefix = "sprx-tests-"

    /// This process's root, created (and its cleanup registered) on first use.
    public static let root: String = {
        let temporary = FileManager.default.temporaryDirectory.path
        removeAbandonedRoots(in: temporary)
        let path = temporary + "/" + rootPrefix + String(getpid())
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ScratchFolder.root) }
        return path
    }()

    /// ``root`` as a file URL.
    public static var url: URL { URL(fileURLWithPath: root, isDirectory: true) }

    /// A new, empty folder named after `name` under ``root``.
    public static func make(_ name: String = "scratch") -> String {
        let path = root + "/" + name + "-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A path under ``root`` that does not exist yet (for a file or a folder a test or
    /// the binary under test creates itself).
    public static func path(_ name: String) -> String {
        _ = root
        return root + "/" + name + "-" + UUID().uuidString
    }

    /// Removes the roots of test processes that no longer run.
    static func removeAbandonedRoots(in temporary: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        for name in names where name.hasPrefix(rootPrefix) {
            guard let pid = Int32(name.dropFirst(rootPrefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: temporary + "/" + name)
            }
        }
    }
}
