import Foundation
import SPRXTestSupport
import Testing

/// `make install PREFIX=…`: the binary, the reference data and the pipelines in a fresh
/// prefix, and a run from a folder that has nothing of the repository in it.
@Suite(.timeLimit(.minutes(10))) struct InstallTests {
    @Test func installedSprxRunsFromAnUnrelatedFolder() throws {
        let binary = try #require(sprxBinary)
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prefix = dir + "/prefix", elsewhere = dir + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        // `-o build`: install the binary under test (the suite's own build), without a nested build.
        let install = try runCaptured("/usr/bin/env", ["make", "--no-print-directory", "-o", "build", "install", "BIN=\(binary)", "PREFIX=\(prefix)"])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        let installed = prefix + "/bin/sprx", share = prefix + "/share/sprx"
        #expect(FileManager.default.isExecutableFile(atPath: installed))
        for file in try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/SampleData/reference") {
            #expect(FileManager.default.contentsEqual(atPath: "\(packageRoot)/SampleData/reference/\(file)", andPath: "\(share)/reference/\(file)"), "\(file)")
        }
        // No SPRX_REFERENCE_DIR and no repository around: the installed reference folder is found from the executable.
        var environment = ProcessInfo.processInfo.environment
        environment["SPRX_REFERENCE_DIR"] = nil
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let run = try runCaptured(
            installed,
            ["run", "--pipeline", share + "/pipelines/referral-equity.yaml", "--input", packageRoot + "/SampleData/canonical", "--out", "out", "--quiet"],
            in: elsewhere, environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try String(contentsOfFile: elsewhere + "/out/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"chosen_by\" : \"installed default\""), "\(manifest.prefix(2000))")
        // The same route table as the repository's own run of the sample (SampleData/expected).
        let table = "tables/route_type_by_group.csv"
        #expect(FileManager.default.contentsEqual(atPath: "\(elsewhere)/out/\(table)", andPath: "\(packageRoot)/SampleData/expected/referral-equity/\(table)"))
        let version = try runCaptured(installed, ["--version"], in: elsewhere, environment: environment)
        #expect(version.status == 0)
        #expect(version.stdout.contains("imd2019_england_lsoa11.csv.gz: English Indices of Deprivation 2019 (IMD, LSOA 2011)"))
        // Every file it names is one the installed reference folder holds (and so does the
        // manifest of the run above, which lists the files the run read).
        let named = version.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") }.map { String($0.dropFirst(2).prefix { $0 != ":" }) }
        #expect(named.count == 14, "\(named)")
        for file in named {
            #expect(FileManager.default.fileExists(atPath: "\(share)/reference/\(file)"), "\(file)")
            #expect(manifest.contains("\"\(file)\""), "\(file) not in the run's manifest")
        }
    }
}
