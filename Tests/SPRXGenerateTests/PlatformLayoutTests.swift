import Foundation
import SPRXPublish
import SPRXRunner
import SPRXTestSupport
import Testing

@testable import SPRXGenerate

/// The three platform layouts: each fixture, its pipeline and what the generator wrote.
@Suite(.timeLimit(.minutes(10))) struct PlatformLayoutTests {
    /// Layout, fixture folder under SampleData, pipeline file under Pipelines.
    static let fixtures: [(GeneratedLayout, String, String)] = [
        (.casemanagement, "casemanagement", "case-management-export.yaml"),
        (.gpsearch, "gpsearch", "gp-system-search.yaml"),
        (.spreadsheet, "spreadsheet", "hand-kept-spreadsheet.yaml"),
    ]

    struct Written: Decodable {
        var rowsWritten: Int
        var expectedClean: Int
        var duplicates: Int
        var quarantined: [String: Int]
    }

    static func temporaryFolder(_ name: String) -> String {
        ScratchFolder.url.appendingPathComponent("sprx-\(name)-\(UUID().uuidString)").path
    }

    static func generate(_ layout: GeneratedLayout, seed: UInt64, rows: Int = 600) throws -> String {
        let dir = temporaryFolder("layout")
        var generator = try ReferralGenerator(
            options: GeneratorOptions(
                rows: rows, seed: seed, files: 1, messy: true, layout: layout, referenceDirectory: "\(packageRoot)/SampleData/reference",
                outputDirectory: dir))
        _ = try generator.run()
        return dir
    }

    /// The file's bytes as the system's own `gzip -dc` gives them (not sprx's inflater).
    static func unzipped(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    /// Lines split on LF (a CR before it dropped) with quotes removed: enough to look at
    /// columns that never hold a comma or a line break.
    static func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n").map { line in
            (line.hasSuffix("\r") ? String(line.dropLast()) : line).replacingOccurrences(of: "\"", with: "")
        }
    }

    @Test(arguments: fixtures.map(\.0))
    func sameSeedSameBytes(layout: GeneratedLayout) throws {
        let a = try Self.generate(layout, seed: 5), b = try Self.generate(layout, seed: 5), c = try Self.generate(layout, seed: 6)
        defer { for dir in [a, b, c] { try? FileManager.default.removeItem(atPath: dir) } }
        for name in ["referrals-001.csv.gz", "generate.json"] {
            let first = try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(name)"))
            #expect(first == (try Data(contentsOf: URL(fileURLWithPath: "\(b)/\(name)"))), "\(name)")
        }
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: "\(a)/referrals-001.csv.gz"))
                != Data(contentsOf: URL(fileURLWithPath: "\(c)/referrals-001.csv.gz")))
    }

    /// Microsoft's "About dates and date systems": January 1, 2008 is serial number 39448;
    /// the 1900 system counts a 29 February 1900 that never was (serial 60), so from
    /// 1 March 1900 (61) on the serial is days since 1899-12-30.
    @Test func excelSerialsAreExcels() {
        #expect(PlatformLayout.excelSerial(year: 2008, month: 1, day: 1) == 39448)
        #expect(PlatformLayout.excelSerial(year: 1900, month: 3, day: 1) == 61)
    }

    /// What Excel's "CSV (Comma delimited)" writes on a UK Windows machine: Windows-1252
    /// ("£" is the one byte 0xA3, "é" 0xE9, never their UTF-8 pairs), CRLF line ends, no
    /// byte-order mark; and dates typed three ways, some as Excel serial numbers.
    @Test func spreadsheetIsWindows1252WithCRLFAndSerialDates() throws {
        let dir = try Self.generate(.spreadsheet, seed: 7)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = try Self.unzipped("\(dir)/referrals-001.csv.gz")
        #expect(bytes.contains(0xA3) && bytes.contains(0xE9))
        let utf8Pairs = zip(bytes, bytes.dropFirst()).filter { $0.0 == 0xC2 && $0.1 == 0xA3 || $0.0 == 0xC3 && $0.1 == 0xA9 }
        #expect(utf8Pairs.isEmpty)
        #expect(Array(bytes.prefix(3)) != [0xEF, 0xBB, 0xBF])
        let header = Array(bytes.prefix { $0 != 0x0A })
        #expect(header.last == 0x0D)
        let dates = CSVTable(bytes: bytes).rows.compactMap { cells in cells.count > 1 ? cells[1] : nil }
        // Generated referral dates lie in 2019-2024: serials 43466 (2019-01-01) to 45657 (2024-12-31).
        let serials = dates.compactMap(Int.init).filter { (43466...45657).contains($0) }
        #expect(serials.count > dates.count / 10)
        #expect(dates.contains { $0.count == 10 && $0.dropFirst(2).first == "/" })
        #expect(dates.contains { $0.count < 10 && $0.contains("/") })
    }

    /// The case-management export dates each referral with its time, and lists its
    /// reasons comma-separated inside one quoted cell.
    @Test func caseManagementHasTimesAndQuotedCommaLists() throws {
        let dir = try Self.generate(.casemanagement, seed: 7)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = try Self.unzipped("\(dir)/referrals-001.csv.gz")
        let lines = Self.lines(bytes).dropFirst().filter { !$0.isEmpty }
        let timed = lines.filter { $0.range(of: #"^SPR-\d{7},\d\d/\d\d/\d{4} \d\d:\d\d,"#, options: .regularExpression) != nil }
        #expect(timed.count > lines.count * 95 / 100)
        let raw = String(decoding: bytes, as: UTF8.self)
        #expect(raw.range(of: #","[^",\n]+, Money worries or debt[^"\n]*","#, options: .regularExpression) != nil)
    }

    /// The GP search selects SNOMED CT 871731000000106 on every row and names practices by
    /// ODS-form codes (a letter and five digits), English and Welsh only.
    @Test func gpSearchIsCodedAndByPractice() throws {
        let dir = try Self.generate(.gpsearch, seed: 7)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = CSVTable(bytes: try Self.unzipped("\(dir)/referrals-001.csv.gz")).rows
        let coded = rows.filter { $0.contains("871731000000106") && $0.contains("Referral to social prescribing service") }
        #expect(coded.count > rows.count * 95 / 100)
        let practices = Set(coded.map { $0[0] })
        #expect(practices.allSatisfy { $0.range(of: #"^[A-Z]\d{5}$"#, options: .regularExpression) != nil })
        #expect(practices.contains { $0.hasPrefix("W") })
        let areas = Set(coded.map { $0[9] }.filter { $0.hasPrefix("S01") || $0.hasPrefix("95") })
        #expect(areas.isEmpty, "no Scottish or Northern Irish areas in an English or Welsh practice's search")
    }

    /// Each committed fixture, read through its pipeline, ends as the generator recorded
    /// when it wrote it (`generate.json`): rows read, clean, duplicates and every
    /// quarantine reason, file by file reconciled.
    @Test(arguments: fixtures)
    func fixtureReconcilesWithWhatWasWritten(layout: GeneratedLayout, folder: String, pipeline: String) throws {
        let out = Self.temporaryFolder("layout-run") + "/out"
        defer { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        let summary = try RunJob.run(
            RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/\(pipeline)", inputs: ["\(packageRoot)/SampleData/\(folder)"],
                outputDirectory: out, jobs: 2, quiet: true))
        let written = try JSONDecoder().decode(
            Written.self, from: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/\(folder)/generate.json")))
        #expect(summary.rowsRead == written.rowsWritten)
        #expect(summary.clean == written.expectedClean)
        #expect(summary.duplicate == written.duplicates)
        var reasons: [String: Int] = [:]
        for file in summary.files {
            #expect(file.reconciles)
            for (reason, count) in file.quarantineReasons { reasons[reason, default: 0] += count }
        }
        #expect(reasons == written.quarantined)
        // Every reason the layout can have: a Windows-1252 file has no invalid byte.
        #expect(Set(written.quarantined.keys).count == (layout == .spreadsheet ? 9 : 10))
    }
}
