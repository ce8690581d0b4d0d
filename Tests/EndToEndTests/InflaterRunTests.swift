import Foundation
import SPRXTestSupport
import Testing

/// The inflater a run uses (issue 28, item 4), through the built binary: `SPRX_INFLATE`
/// forces one, `--version` and the manifest's `tool.inflater` name it, and every output
/// but that field is byte-identical whichever inflater ran.
@Suite(.timeLimit(.minutes(10))) struct InflaterRunTests {
    /// Whether libisal.so.2 loads here, as the binary says (`--version` with no override).
    static let isalLoads: Bool = {
        guard let binary = sprxBinary, let result = try? runCaptured(binary, ["--version"], environment: environment([:])) else { return false }
        return result.stdout.contains("inflater: isa-l 2.")
    }()

    /// This process's environment with `changes` applied (nil removes a variable).
    static func environment(_ changes: [String: String?]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["SPRX_INFLATE"] = nil
        environment["SPRX_ISAL_LIBRARY"] = nil
        for (key, value) in changes { environment[key] = value }
        return environment
    }

    /// Runs the default pipeline on the gzip sample with `changes` to the environment.
    static func run(_ changes: [String: String?], out: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try #require(sprxBinary)
        return try runCaptured(
            binary, ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", out, "--quiet"],
            environment: environment(changes))
    }

    /// Every file under `folder` (relative path → bytes).
    static func files(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: folder))
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[path] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
            }
        }
        return result
    }

    @Test func versionNamesTheInflaterAndWhyNotISAL() throws {
        let binary = try #require(sprxBinary)
        let zlib = try runCaptured(binary, ["--version"], environment: Self.environment(["SPRX_INFLATE": "zlib"]))
        #expect(zlib.stdout.contains("inflater: zlib 1."), "\(zlib.stdout)")
        let missing = try runCaptured(binary, ["--version"], environment: Self.environment(["SPRX_ISAL_LIBRARY": "libsprx-absent.so.9"]))
        #expect(missing.stdout.contains("inflater: zlib 1."), "\(missing.stdout)")
        #expect(missing.stdout.contains("ISA-L not used: libsprx-absent.so.9"), "\(missing.stdout)")
        // A library without ISA-L's symbols (zlib's own) is refused by name, not called.
        let notISAL = try runCaptured(binary, ["--version"], environment: Self.environment(["SPRX_ISAL_LIBRARY": "libz.so.1"]))
        #expect(notISAL.stdout.contains("ISA-L not used: libz.so.1 lacks isal_inflate_init"), "\(notISAL.stdout)")
        if Self.isalLoads {
            let isal = try runCaptured(binary, ["--version"], environment: Self.environment(["SPRX_INFLATE": "isal"]))
            #expect(isal.stdout.contains("inflater: isa-l 2."), "\(isal.stdout)")
        }
    }

    /// `SPRX_INFLATE=isal` without the library, or an unknown word, is a usage error (64)
    /// naming the variable, and publishes nothing.
    @Test func forcedISALWithoutTheLibraryFails() throws {
        let dir = scratch()
        for changes in [["SPRX_INFLATE": "isal", "SPRX_ISAL_LIBRARY": "libsprx-absent.so.9"], ["SPRX_INFLATE": "fast"]] {
            let result = try Self.run(changes, out: dir + "/out")
            #expect(result.status == 64, "\(changes): \(result.stderr)")
            #expect(result.stderr.contains("SPRX_INFLATE"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out/manifest.json"))
        }
    }

    /// zlib and ISA-L runs of the gzip sample: the manifest names each, and every other
    /// byte of the output is the same (the manifest's times and command line aside).
    @Test(.enabled(if: InflaterRunTests.isalLoads, "libisal.so.2 did not load: only the zlib run is possible"))
    func outputsAreIdenticalWhicheverInflaterRan() throws {
        let dir = scratch()
        var folders: [String: [String: Data]] = [:]
        for inflater in ["zlib", "isal"] {
            let out = dir + "/out-\(inflater)"
            let result = try Self.run(["SPRX_INFLATE": inflater], out: out)
            try #require(result.status == 0, "\(result.stderr)")
            folders[inflater] = try Self.files(out)
        }
        let zlib = try #require(folders["zlib"]), isal = try #require(folders["isal"])
        #expect(Set(zlib.keys) == Set(isal.keys))
        #expect(zlib.keys.count > 10)
        for (path, bytes) in zlib where path != "manifest.json" {
            #expect(isal[path] == bytes, "\(path) differs between the zlib and the ISA-L run")
        }
        func manifest(_ data: Data?) throws -> [String: Any] {
            let bytes = try #require(data)
            return try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        }
        var zlibManifest = try manifest(zlib["manifest.json"]), isalManifest = try manifest(isal["manifest.json"])
        let zlibTool = try #require(zlibManifest["tool"] as? [String: Any]), isalTool = try #require(isalManifest["tool"] as? [String: Any])
        #expect((zlibTool["inflater"] as? String)?.hasPrefix("zlib 1.") == true)
        #expect((isalTool["inflater"] as? String)?.hasPrefix("isa-l 2.") == true)
        for key in ["tool", "started_at", "finished_at", "command_line", "models_seconds"] {
            zlibManifest[key] = nil
            isalManifest[key] = nil
        }
        func withoutFitTimes(_ models: Any?) -> [[String: Any]] {
            ((models as? [[String: Any]]) ?? []).map { $0.filter { $0.key != "fit_seconds" } }
        }
        zlibManifest["models"] = withoutFitTimes(zlibManifest["models"])
        isalManifest["models"] = withoutFitTimes(isalManifest["models"])
        let zlibRest = try JSONSerialization.data(withJSONObject: zlibManifest, options: [.sortedKeys])
        let isalRest = try JSONSerialization.data(withJSONObject: isalManifest, options: [.sortedKeys])
        #expect(zlibRest == isalRest, "the manifests differ beyond tool, times and the command line")
    }
}
