import Foundation
import SPRXCore

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
/// reference folder or its files. A new folder inside an input folder is allowed (a
/// folder input is read for its top-level `*.csv` and `*.csv.gz` files only). A symbolic link as the
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

    /// The names a previous sprx output may hold at its top level.
    public static let ownEntries: Set<String> = ["manifest.json", "report.html", "report.md", "tables", "quarantine"]

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
        for file in protected {
            let resolved = Self.canonical(file)
            if resolved == path || Self.isInside(resolved, path) { throw refuse("it is or holds a file the run reads (\(DisplayText.escaped(file)))") }
        }
        var existing = stat()
        if stat(path, &existing) == 0 {
            guard (existing.st_mode & S_IFMT) == S_IFDIR else { throw refuse("it exists and is not a folder") }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if !entries.isEmpty {
                guard Self.isSprxManifest(path + "/manifest.json") else {
                    throw refuse("it is a folder that a previous sprx run did not make (no sprx manifest.json)")
                }
                let foreign = entries.filter { !Self.ownEntries.contains($0) }.sorted()
                if !foreign.isEmpty {
                    let shown = foreign.prefix(5).map { "'\(DisplayText.escaped($0))'" }.joined(separator: ", ")
                    throw refuse("it holds \(foreign.count) entr\(foreign.count == 1 ? "y" : "ies") sprx did not write (\(shown)); move them out first")
                }
            }
            existingMode = existing.st_mode & 0o7777
        } else {
            existingMode = nil
        }
    }

    /// Whether `file` is a manifest written by sprx.
    static func isSprxManifest(_ file: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: file),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let tool = object["tool"] as? [String: Any]
        else { return false }
        return tool["name"] as? String == "sprx"
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
