import Foundation
import SPRXCore

/// Finds the folder of reference lookups (deprivation indices, rurality
/// classifications), in one documented order:
///
/// 1. `--reference-dir DIR` on the command line (`run`, `generate`, `inspect`);
/// 2. the environment variable `SPRX_REFERENCE_DIR`;
/// 3. the pipeline's `enrich.reference_dir`, relative to the pipeline file's folder
///    (for `sprx generate`, which has no pipeline: `SampleData/reference` under the
///    current folder, the repository's own);
/// 4. the installed default, `<folder of the sprx executable>/../share/sprx/reference`.
///
/// The first that is a folder is used. A folder named on the command line or in the
/// environment must exist (a typo there is an error, exit 78, never a silent fall-back);
/// the later steps are skipped when they are not folders.
public enum ReferenceLookup {
    /// The environment variable of step 2.
    public static let environmentVariable = "SPRX_REFERENCE_DIR"

    /// Which step chose the folder.
    public enum Origin: String, Sendable, Hashable, CaseIterable {
        case option = "--reference-dir"
        case environment = "SPRX_REFERENCE_DIR"
        case pipeline = "pipeline enrich.reference_dir"
        case currentFolder = "SampleData/reference in the current folder"
        case installed = "installed default"
    }

    /// The installed default: `<folder of the running executable>/../share/sprx/reference`,
    /// the executable's path resolved through symbolic links.
    public static var installedDefault: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments.first ?? "sprx"
        let bin = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        return bin.deletingLastPathComponent().appendingPathComponent("share/sprx/reference").path
    }

    /// The folder to use, and the step that chose it.
    ///
    /// - Parameters:
    ///   - option: `--reference-dir`, if given.
    ///   - environment: the process environment (tests pass their own).
    ///   - fallback: step 3: the pipeline's folder (origin ``Origin/pipeline``) or, for
    ///     `generate`, the current folder's `SampleData/reference`; `nil` to skip it.
    ///   - installed: step 4 (tests pass their own).
    /// - Throws: ``SPRXError/Code/invalidReference`` (exit 78) when the option or the
    ///   variable names something that is not a folder, or when no step gives a folder.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        fallback: (path: String, origin: Origin)?, installed: String = installedDefault
    ) throws -> (path: String, origin: Origin) {
        if let option {
            guard isFolder(option) else {
                throw SPRXError(
                    .invalidReference, "--reference-dir names no folder: \(problem(option))", location: DataLocation(file: option))
            }
            return (option, .option)
        }
        if let value = environment[environmentVariable] {
            guard isFolder(value) else {
                throw SPRXError(
                    .invalidReference, "the environment variable \(environmentVariable) names no folder: \(problem(value))",
                    location: DataLocation(file: value))
            }
            return (value, .environment)
        }
        if let fallback, isFolder(fallback.path) { return fallback }
        if isFolder(installed) { return (installed, .installed) }
        let tried = (fallback.map { ["\($0.origin.rawValue) \($0.path)"] } ?? []) + ["the installed default \(installed)"]
        throw SPRXError(
            .invalidReference,
            "no reference folder found (tried \(tried.joined(separator: ", then "))); give --reference-dir DIR or set \(environmentVariable) to the folder holding the reference lookups"
        )
    }

    /// Whether `path` is a folder (following symbolic links).
    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return !path.isEmpty && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func problem(_ path: String) -> String {
        if path.isEmpty { return "it is empty" }
        return FileManager.default.fileExists(atPath: path) ? "it is not a folder" : "it does not exist"
    }
}
