import Foundation
import SPRXCore
import SPRXIngest

#if canImport(Glibc)
import Glibc
#endif

/// The folder `--out` names, checked to be sprx's to replace before any work is done.
///
/// Design note (outputs-v2, "The output target"): a run replaces its target wholesale,
/// so the target must be a folder that does not exist yet, an empty folder, or a folder a
/// previous `sprx run` made (its `manifest.json` names sprx as the tool and it holds
/// nothing but what sprx writes). Everything else is refused with a clear error and left
/// exactly as it was: a file, a folder with other content, the current folder, the
/// filesystem root, an input file or a folder that holds one, the pipeline file, the
/// reference folder or its files, and a folder a later run would read as an input: one
/// named `*.csv` or `*.csv.gz` (`--out input/result.csv`), or one inside an input folder
/// under such a name. Another new folder inside an input folder is allowed (a folder
/// input is read for its top-level `*.csv` and `*.csv.gz` files only). A symbolic link as the
/// target is followed (the folder it points to is replaced, the link stays), so a link
/// into a secure area keeps pointing there. All comparisons use canonical paths
/// (`realpath(3)` of the longest existing prefix), so `.`, `..`, repeated slashes and
/// links cannot disguise an input.
public struct OutputTarget: Sendable, Equatable {
    /// The canonical path of the folder that will be replaced (a link already followed).
    public let path: String
    /// The path as the user wrote it, for messages.
    public let given: String
    /// The permission bits of the folder being replaced, kept on the new one.
    public let existingMode: mode_t?
    /// The group of the folder being replaced, kept on the new one.
    public let existingGroup: gid_t?
    /// Device and inode of the folder being replaced (`nil`: the target did not exist),
    /// checked again just before the swap.
    let identity: FolderIdentity?

    /// A folder's device and inode: what `--out` named when the run was checked.
    struct FolderIdentity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// The names a previous sprx output may hold at its top level.
    public static let ownEntries: Set<String> = ["manifest.json", "README.md", "report.html", "report.md", "tables", "quarantine"]

    /// Checks `given` against what must never be replaced.
    ///
    /// - Parameters:
    ///   - inputs: every input as given and as resolved to files.
    ///   - protected: other paths the run reads (pipeline file, reference folder and files).
    /// - Throws: ``SPRXError/Code/usage`` naming what the target is and why it is refused.
    public init(_ given: String, inputs: [String], protected: [String]) throws {
        self.given = given
        func refuse(_ why: String) -> SPRXError {
            SPRXError(
                .usage, "refusing --out: \(why); nothing was changed. Give a new folder or a previous sprx output folder",
                location: DataLocation(file: given))
        }
        guard !given.isEmpty else { throw refuse("it is empty") }
        var info = stat()
        let linkExists = lstat(given, &info) == 0
        if linkExists && (info.st_mode & S_IFMT) == S_IFLNK && stat(given, &info) != 0 {
            throw refuse("it is a symbolic link to something that does not exist")
        }
        let path = Self.canonical(given)
        self.path = path
        if path == "/" { throw refuse("it is the filesystem root") }
        if let cwd = Self.currentDirectory(), path == cwd || Self.isInside(cwd, path) {
            throw refuse(path == cwd ? "it is the current folder" : "it holds the current folder")
        }
        let resolvedInputs = inputs.map { ($0, Self.canonical($0)) }
        if let (input, _) = resolvedInputs.first(where: { $0.1 == path }) { throw refuse("it is an input (\(DisplayText.escaped(input)))") }
        for (input, resolved) in resolvedInputs {
            if Self.isInside(resolved, path) { throw refuse("it holds an input (\(DisplayText.escaped(input)))") }
        }
        // A folder named like an export is read as one by a later run over the folder
        // holding it (or a `*.csv` glob), and fails that run: sprx writes a folder.
        let name = (path as NSString).lastPathComponent
        if InputResolver.readsEntry(named: name) {
            throw refuse(
                "it ends in .csv or .csv.gz ('\(DisplayText.escaped(name))'), but sprx writes a folder (tables, report, manifest) there, which a later run over the folder holding it would try to read as an input; name the folder without .csv"
            )
        }
        for (input, resolved) in resolvedInputs where Self.isDirectory(resolved) && Self.isInside(path, resolved) {
            let entry = String(path.dropFirst(resolved == "/" ? 1 : resolved.count + 1).prefix { $0 != "/" })
            if InputResolver.readsEntry(named: entry) {
                throw refuse(
                    "it would make '\(DisplayText.escaped(entry))' in the input folder \(DisplayText.escaped(input)), which a later run over that folder would read as an input; choose another name"
                )
            }
        }
        for file in protected {
            let resolved = Self.canonical(file)
            if resolved == path || Self.isInside(resolved, path) { throw refuse("it is or holds a file the run reads (\(DisplayText.escaped(file)))") }
        }
        // Inside a previous output, a run would add to (and so spoil) that output.
        if let output = Self.ancestors(of: path).first(where: { Self.isSprxManifest($0 == "/" ? "/manifest.json" : $0 + "/manifest.json") }) {
            throw refuse("it is inside a previous sprx output (\(DisplayText.escaped(output)))")
        }
        var existing = stat()
        if stat(path, &existing) == 0 {
            guard (existing.st_mode & S_IFMT) == S_IFDIR else { throw refuse("it exists and is not a folder") }
            // The swap renames the folder itself, which a mount point cannot be; the work
            // would also be staged on the parent's file system, not the mounted one.
            var parentInfo = stat()
            if stat(Self.ancestors(of: path).first ?? "/", &parentInfo) == 0 && parentInfo.st_dev != existing.st_dev {
                throw refuse("it is a mount point; sprx replaces its output folder as a whole, so give a folder inside it")
            }
            if let why = Self.whyNotReplaceable(path) { throw refuse(why) }
            existingMode = existing.st_mode & 0o7777
            existingGroup = existing.st_gid
            identity = FolderIdentity(device: UInt64(existing.st_dev), inode: UInt64(existing.st_ino))
        } else {
            if let blocker = Self.nonFolderAncestor(of: path) {
                throw refuse("a folder on its path is a file, not a folder (\(DisplayText.escaped(blocker)))")
            }
            existingMode = nil
            existingGroup = nil
            identity = nil
        }
    }

    /// Checks again, just before the new output is swapped in, that the target is what it
    /// was when the run was checked: still absent, or the same folder (device and inode)
    /// still holding only a previous output's files. A folder made or swapped in at the
    /// target during the run, or files put into the old output, are never replaced.
    func verifyUnchanged() throws {
        func changed(_ why: String) -> SPRXError {
            SPRXError(.outputFailed, "the output target changed during the run (\(why)); nothing was replaced", location: DataLocation(file: given))
        }
        var now = stat()
        guard stat(path, &now) == 0 else {
            if identity != nil { throw changed("the previous output is gone") }
            return
        }
        guard let identity else { throw changed("something was created there") }
        guard identity == FolderIdentity(device: UInt64(now.st_dev), inode: UInt64(now.st_ino)) else {
            throw changed("another folder was put in its place")
        }
        if let why = Self.whyNotReplaceable(path) { throw changed(why) }
    }

    /// Why an existing folder is not sprx's to replace, or `nil` when it is: empty, or
    /// a previous output whose `manifest.json` names sprx and lists every file in it
    /// (`tables/` and `quarantine/` hold only files the manifest lists; no links).
    static func whyNotReplaceable(_ path: String) -> String? {
        let fm = FileManager.default
        let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
        if entries.isEmpty { return nil }
        guard let listed = sprxManifestOutputs(path + "/manifest.json") else {
            return "it is a folder that a previous sprx run did not make (no sprx manifest.json)"
        }
        var foreign: [String] = []
        var edited: [String] = []
        var pending = [""]
        while let folder = pending.popLast() {
            let names = ((try? fm.contentsOfDirectory(atPath: folder.isEmpty ? path : path + "/" + folder)) ?? []).sorted()
            for name in names {
                let relative = folder.isEmpty ? name : folder + "/" + name
                var info = stat()
                guard lstat(path + "/" + relative, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR where folder.isEmpty && (name == "tables" || name == "quarantine"):
                    pending.append(relative)
                case S_IFREG where relative == "manifest.json":
                    continue
                case S_IFREG where listed[relative] != nil:
                    // Written by sprx, but is it still as sprx wrote it? An edited report is
                    // the user's work now, and is never overwritten.
                    if let sha = listed[relative], !sha.isEmpty, fileSHA256(path + "/" + relative) != sha { edited.append(relative) }
                default:
                    foreign.append(relative)
                }
            }
        }
        if !edited.isEmpty && foreign.isEmpty {
            edited.sort()
            let shown = edited.prefix(5).map { "'\(DisplayText.escaped($0))'" }.joined(separator: ", ")
            return
                "\(edited.count == 1 ? "a file" : "\(edited.count) files") in it changed since sprx wrote \(edited.count == 1 ? "it" : "them") (\(shown)\(edited.count > 5 ? ", …" : ""): the sha256 the manifest records no longer matches), and replacing the folder would lose the changes; move \(edited.count == 1 ? "it" : "them") out first"
        }
        guard !foreign.isEmpty else { return nil }
        foreign.sort()
        let shown = foreign.prefix(5).map { "'\(DisplayText.escaped($0))'" }.joined(separator: ", ")
        return
            "it holds \(foreign.count) entr\(foreign.count == 1 ? "y" : "ies") sprx did not write (\(shown)\(foreign.count > 5 ? ", …" : "")); move them out first"
    }

    /// The folders above canonical `path`, nearest first, ending with `/`.
    static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = path
        while let slash = current.lastIndex(of: "/"), current != "/" {
            current = slash == current.startIndex ? "/" : String(current[..<slash])
            result.append(current)
        }
        return result
    }

    /// The nearest existing ancestor of a missing `path`, if it is not a folder.
    static func nonFolderAncestor(of path: String) -> String? {
        for ancestor in ancestors(of: path) {
            var info = stat()
            if stat(ancestor, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFDIR ? nil : ancestor }
        }
        return nil
    }

    /// Whether `file` is a manifest written by sprx.
    static func isSprxManifest(_ file: String) -> Bool { sprxManifestOutputs(file) != nil }

    /// The output files a sprx manifest lists, or `nil` if `file` is not a sprx manifest.
    /// The sha256 of a file's bytes, read a megabyte at a time; `nil` when it cannot be read.
    static func fileSHA256(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return hash.finalizeHex()
    }

    /// The outputs a sprx manifest lists, each with the sha256 it records ("" when none).
    static func sprxManifestOutputs(_ file: String) -> [String: String]? {
        var info = stat()
        guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size < 64 << 20,
            let data = FileManager.default.contents(atPath: file),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let tool = object["tool"] as? [String: Any], tool["name"] as? String == "sprx"
        else { return nil }
        let outputs = (object["outputs"] as? [[String: Any]]) ?? []
        return Dictionary(
            outputs.compactMap { entry in (entry["path"] as? String).map { ($0, entry["sha256"] as? String ?? "") } }, uniquingKeysWith: { first, _ in first })
    }

    /// `realpath(3)` of the longest existing prefix of `path`, with the rest appended
    /// (`.` and `..` in the rest resolved lexically).
    public static func canonical(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (currentDirectory() ?? "") + "/" + path
        var existing = absolute
        var rest: [String] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                var parts = String(cString: resolved).split(separator: "/").map(String.init)
                for part in rest.reversed() {
                    if part == "." || part.isEmpty { continue }
                    if part == ".." { if !parts.isEmpty { parts.removeLast() } } else { parts.append(part) }
                }
                return "/" + parts.joined(separator: "/")
            }
            guard let slash = existing.lastIndex(of: "/"), existing != "/" else { return absolute }
            rest.append(String(existing[existing.index(after: slash)...]))
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }

    /// Whether canonical `inner` lies strictly inside canonical `outer`.
    static func isInside(_ inner: String, _ outer: String) -> Bool {
        outer == "/" ? inner != "/" : inner.hasPrefix(outer + "/")
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func currentDirectory() -> String? {
        guard let cwd = getcwd(nil, 0) else { return nil }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}
