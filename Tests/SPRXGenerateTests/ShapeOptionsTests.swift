import Foundation
import SPRXPublish
import SPRXRunner
import SPRXTestSupport
import Testing

@testable import SPRXGenerate

/// The decompressed text of a gzip file, read with zcat rather than sprx's own reader.
private func zcat(_ path: String) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["zcat", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](data)
}

/// Every code in the `column`-th column (from 0) of a reference file, read with zcat and CSVTable.
private func referenceCodes(_ file: String, column: Int) throws -> Set<String> {
    Set(CSVTable(bytes: try zcat("\(packageRoot)/SampleData/reference/\(file)")).rows.map { $0[column] })
}

/// A generated set with the shape options, read back with zcat and CSVTable (not with
/// sprx's reader).
private struct ShapedSet {
    let directory: String
    let lookup: String
    let summary: GeneratorSummary

    init(rows: Int, seed: UInt64, files: Int = 2, messy: Bool = false, configure: (inout GeneratorOptions) -> Void) throws {
        directory = ScratchFolder.url.appendingPathComponent("sprx-shape-\(UUID().uuidString)").path
        lookup = directory + "-organisations.csv"
        var options = GeneratorOptions(
            rows: rows, seed: seed, files: files, messy: messy, referenceDirectory: "\(packageRoot)/SampleData/reference",
            outputDirectory: directory, organisationLookup: lookup)
        configure(&options)
        var generator = try ReferralGenerator(options: options)
        summary = try generator.run()
    }

    /// The files' bytes, in file order.
    func fileBytes() throws -> [[UInt8]] {
        try summary.files.map { try zcat(directory + "/" + $0) }
    }

    /// The data records (header dropped) of every file, in order.
    func records() throws -> (header: [String], rows: [[String]]) {
        var header: [String] = []
        var rows: [[String]] = []
        for bytes in try fileBytes() {
            let table = CSVTable(bytes: bytes)
            header = table.header
            rows += table.rows
        }
        return (header, rows)
    }

    func column(_ name: String) throws -> [String] {
        let (header, rows) = try records()
        // safe: the canonical header names every column the tests read
        let index = header.firstIndex(of: name)!
        return rows.map { $0[index] }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: lookup)
    }
}

/// Whether a code has the ODS shape by hand: one capital letter, then five digits.
private func isODSShaped(_ code: String) -> Bool {
    let bytes = Array(code.utf8)
    return bytes.count == 6 && (65...90).contains(bytes[0]) && bytes.dropFirst().allSatisfy { (48...57).contains($0) }
}

/// The nation of a small-area code by its ONS/NRS/NISRA prefix.
private func nationPrefix(_ area: String) -> String {
    for prefix in ["E01", "W01", "S01", "95"] where area.hasPrefix(prefix) { return prefix }
    return "?"
}

@Suite(.timeLimit(.minutes(10))) struct ShapeOptionsTests {
    /// `--organisations 6500`: the lookup lists 6,500 distinct ODS-shaped codes, the nations
    /// get their shares by hand (Scotland 10% = 650, Wales 7% = 455, Northern Ireland 5% =
    /// 325, England the other 5,070), every code typed PCN is in the NHS England
    /// registration file and no other code is in it or in the practice lookup (both read
    /// with zcat), every referral's organisation is in the lookup, and each organisation's
    /// areas are of one nation.
    @Test func organisationsOptionWritesThatManyODSShapedOrganisations() throws {
        let set = try ShapedSet(rows: 20_000, seed: 8) { $0.organisations = 6_500 }
        defer { set.remove() }
        let lookup = try CSVTable(path: set.lookup)
        #expect(lookup.rows.count == 6_500)
        let codes = lookup.column("code")
        #expect(Set(codes).count == 6_500)
        #expect(codes.allSatisfy(isODSShaped))
        let names = lookup.column("name")
        #expect(names.filter { $0.hasSuffix("(Scotland)") }.count == 650)
        #expect(names.filter { $0.hasSuffix("(Wales)") }.count == 455)
        #expect(names.filter { $0.hasSuffix("(Northern Ireland)") }.count == 325)
        let types = lookup.column("type")
        #expect(zip(names, types).filter { $0.0.hasSuffix("(England)") || $0.1 == "PCN" }.count == 5_070)

        let registered = try referenceCodes("pcn_registered_patients_england.csv.gz", column: 1)
        let practices = try referenceCodes("gp_practice_pcn_lookup_england.csv.gz", column: 1)
        let practicePCNs = try referenceCodes("gp_practice_pcn_lookup_england.csv.gz", column: 4)
        for (code, type) in zip(codes, types) {
            if type == "PCN" {
                #expect(registered.contains(code), "\(code) is typed PCN but not registered")
            } else {
                #expect(!registered.contains(code) && !practices.contains(code) && !practicePCNs.contains(code), "\(code) is a real code")
            }
        }
        #expect(types.filter { $0 == "PCN" }.count > 1_000, "the real PCNs come first")

        let ids = try set.column("organisation_id"), areas = try set.column("area_code")
        #expect(Set(ids).isSubset(of: Set(codes)))
        var nations: [String: Set<String>] = [:]
        for (id, area) in zip(ids, areas) where !area.isEmpty { nations[id, default: []].insert(nationPrefix(area)) }
        #expect(nations.values.allSatisfy { $0.count == 1 })
        #expect(Set(ids).count > 3_000, "20,000 referrals reach most of 6,500 organisations")
    }

    /// `--organisations 50000` makes 50,000 distinct ODS-shaped codes (the synthetic ones
    /// run past the U-block into X-codes, counted by hand: none starts with X below 462
    /// synthetic codes), and the default set's size given explicitly writes the default's
    /// bytes.
    @Test func fiftyThousandOrganisationsAndTheDefaultSizeGivesTheDefaultBytes() throws {
        let big = try ShapedSet(rows: 2_000, seed: 9, files: 1) { $0.organisations = 50_000 }
        defer { big.remove() }
        let codes = try CSVTable(path: big.lookup).column("code")
        #expect(codes.count == 50_000 && Set(codes).count == 50_000)
        #expect(codes.allSatisfy(isODSShaped))
        #expect(codes.contains("U22901") && codes.contains("U23361") && codes.contains("X00000"))

        let plain = try ShapedSet(rows: 3_000, seed: 4, messy: true) { _ in }
        let sized = try ShapedSet(rows: 3_000, seed: 4, messy: true) { $0.organisations = 120 }
        defer {
            plain.remove()
            sized.remove()
        }
        #expect(try plain.fileBytes() == sized.fileBytes())
        #expect(try String(contentsOfFile: plain.lookup, encoding: .utf8) == String(contentsOfFile: sized.lookup, encoding: .utf8))
    }

    /// `--duplicates 0.05` on 4,000 tidy rows: ⌊4,000 × 0.05⌋ = 200 lines (hand
    /// calculation) repeat an earlier line byte for byte, counted in the decompressed
    /// files; generate.json says 200 duplicates and 3,800 clean; and `sprx run` counts
    /// those 200 as duplicates and 3,800 clean.
    @Test func duplicatesOptionRepeatsThatShareOfLinesExactly() throws {
        let set = try ShapedSet(rows: 4_000, seed: 12) { $0.duplicates = 0.05 }
        defer { set.remove() }
        var seen: Set<ArraySlice<UInt8>> = []
        var repeats = 0
        for bytes in try set.fileBytes() {
            for line in bytes.split(separator: UInt8(ascii: "\n")).dropFirst() where !seen.insert(line).inserted { repeats += 1 }
        }
        #expect(repeats == 200)
        #expect(set.summary.duplicates == 200)
        #expect(set.summary.expectedClean == 3_800)
        #expect(set.summary.rowsWritten == 4_000)

        let run = try RunJob.run(
            RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/referral-equity.yaml", inputs: [set.directory], outputDirectory: set.directory + "-out",
                disclosureControl: false, quiet: true))
        defer { try? FileManager.default.removeItem(atPath: set.directory + "-out") }
        #expect(run.result.duplicate == 200)
        #expect(run.result.clean == 3_800)
    }

    /// With `--messy` too, the records (parsed by CSVTable) equal to an earlier record
    /// field for field are generate.json's duplicates: `--duplicates`' copies plus
    /// `--messy`'s own.
    @Test func messyDuplicatesAreCountedInGenerateJSON() throws {
        let set = try ShapedSet(rows: 3_000, seed: 13, messy: true) { $0.duplicates = 0.05 }
        defer { set.remove() }
        var seen: Set<[String]> = []
        var repeats = 0
        for row in try set.records().rows where !seen.insert(row).inserted { repeats += 1 }
        #expect(repeats == set.summary.duplicates)
        #expect(repeats >= 150, "at least ⌊3,000 × 0.05⌋ copies")
    }

    /// `--months 20` puts every referral date in the 20 months May 2024 to December 2025
    /// (counted by hand back from December 2025), each of them used by 3,000 referrals;
    /// `--months 1` only December 2025; the default all 60 months of 2021-2025.
    @Test func monthsOptionSpreadsDatesOverTheLastMonths() throws {
        for (months, first) in [(20, "2024-05"), (1, "2025-12"), (60, "2021-01")] {
            let set = try ShapedSet(rows: 3_000, seed: 14, files: 1) { $0.months = months }
            defer { set.remove() }
            let used = Set(try set.column("referral_date").map { String($0.prefix(7)) })
            #expect(used.count == months)
            #expect(used.min() == first)
            #expect(used.max() == "2025-12")
        }
    }
}
