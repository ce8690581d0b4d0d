import Foundation
import SPRXCore
import SPRXEnrich
import SPRXTestSupport
import Testing

@testable import SPRXGenerate

/// A canonical, tidy generated set read back column by column.
private struct GeneratedSet {
    let directory: String
    let rows: [[String: String]]
    let lookup: String

    init(rows: Int, seed: UInt64) throws {
        directory = ScratchFolder.url.appendingPathComponent("sprx-time-place-\(UUID().uuidString)").path
        lookup = directory + "-organisations.csv"
        var generator = try ReferralGenerator(
            options: GeneratorOptions(
                rows: rows, seed: seed, files: 1, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: directory,
                organisationLookup: lookup))
        _ = try generator.run()
        self.rows = try ReferenceTableReader.read(
            path: directory + "/referrals-001.csv.gz", columns: ["referral_date", "referral_source", "organisation_id", "area_code"]
        ).0
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: lookup)
    }
}

/// The codes of the copied NHS England registration file (`SampleData/reference`), read
/// with zcat rather than sprx's own reader.
private func registrationFile() throws -> (codes: Set<String>, names: [String: String]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["zcat", "\(packageRoot)/SampleData/reference/pcn_registered_patients_england.csv.gz"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var codes: Set<String> = []
    var names: [String: String] = [:]
    // extract_date,pcn_code,pcn_name,...: a name with a comma is quoted (RFC 4180).
    for cells in CSVTable(bytes: [UInt8](data)).rows {
        codes.insert(cells[1])
        names[cells[1]] = cells[2]
    }
    return (codes, names)
}

/// The nation of a small-area code by its ONS/NRS/NISRA prefix.
private func nation(ofArea code: String) -> Nation {
    if code.hasPrefix("E01") { return .england }
    if code.hasPrefix("W01") { return .wales }
    if code.hasPrefix("S01") { return .scotland }
    if code.hasPrefix("95") { return .northernIreland }
    return .unknown
}

@Suite(.timeLimit(.minutes(10))) struct GeneratorTimeAndPlaceTests {
    /// Monthly totals follow `ReferralCalendar`'s design, worked by hand from its factors:
    /// August about 0.72 of July and September; 22-31 December half the rest of December
    /// per day; 2025 about 1.8 times 2021 (level 2.43 against 1.35 at mid-year). Uniform
    /// dates would give ratios near 1, outside every margin here. The non-medical share
    /// rises with the logit (+0.15 a year: about 17% in 2021 and 25% in 2025).
    @Test func monthlyCountsShowTrendAndSeasonalDips() throws {
        let set = try GeneratedSet(rows: 60_000, seed: 5)
        defer { set.remove() }
        var byMonth: [Int: Int] = [:]
        var byYear: [Int: (all: Int, nonMedical: Int)] = [:]
        var lateDecember = 0, earlyDecember = 0
        for row in set.rows {
            let parts = row["referral_date"]!.split(separator: "-").map { Int($0)! }
            let (year, month, day) = (parts[0], parts[1], parts[2])
            #expect((2021...2025).contains(year))
            byMonth[month, default: 0] += 1
            let source = row["referral_source"]!
            let nonMedical = !["GP", "Hospital", ""].contains(source)
            byYear[year, default: (0, 0)].all += 1
            if nonMedical { byYear[year]!.nonMedical += 1 }
            if month == 12 && day >= 22 { lateDecember += 1 } else if month == 12 { earlyDecember += 1 }
        }
        let august = Double(byMonth[8]!), julySeptember = Double(byMonth[7]! + byMonth[9]!) / 2
        #expect(august < 0.85 * julySeptember)
        #expect(august > 0.6 * julySeptember)
        #expect(Double(lateDecember) / 10 < 0.7 * Double(earlyDecember) / 21)
        #expect(Double(byYear[2025]!.all) > 1.5 * Double(byYear[2021]!.all))
        #expect(Double(byYear[2022]!.all) > 1.2 * Double(byYear[2021]!.all))
        // Flattening: the last year's growth is well below the first's.
        #expect(Double(byYear[2025]!.all) / Double(byYear[2024]!.all) < 1.12)
        func share(_ year: Int) -> Double { Double(byYear[year]!.nonMedical) / Double(byYear[year]!.all) }
        #expect(share(2025) - share(2021) > 0.04)
    }

    /// Every English organisation is a PCN of the copied registration file with its real
    /// name; every other code is a `U` + 5-digit code the file does not list; each
    /// organisation's referrals come from small areas of one nation, its own.
    @Test func organisationsAreNestedInPlaces() throws {
        let set = try GeneratedSet(rows: 20_000, seed: 8)
        defer { set.remove() }
        let registration = try registrationFile()
        let organisations = try ReferralGenerator(
            options: GeneratorOptions(rows: 1, seed: 8, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: set.directory)
        ).organisations
        #expect(organisations.filter { $0.nation == .england }.count >= 90)
        #expect(Set(organisations.map(\.code)).count == organisations.count)
        for organisation in organisations {
            #expect(organisation.areas.allSatisfy { nation(ofArea: $0.code) == organisation.nation })
            let digits = organisation.code.dropFirst()
            #expect(organisation.code.hasPrefix("U") && digits.count == 5 && digits.allSatisfy(\.isASCII) && Int(digits) != nil)
            if organisation.nation == .england {
                #expect(registration.codes.contains(organisation.code))
                #expect(registration.names[organisation.code] == organisation.name)
                #expect(organisation.type == "PCN" && organisation.parentType == "ICB" && organisation.parentCode.count == 3)
            } else {
                #expect(!registration.codes.contains(organisation.code))
                #expect(organisation.type == "scheme" && organisation.parentCode.hasPrefix("SYN-"))
            }
        }
        var nations: [String: Set<Nation>] = [:]
        for row in set.rows where !row["area_code"]!.isEmpty {
            nations[row["organisation_id"]!, default: []].insert(nation(ofArea: row["area_code"]!))
        }
        #expect(nations.count > 100)
        #expect(nations.values.allSatisfy { $0.count == 1 })
        let english = Set(organisations.filter { $0.nation == .england }.map(\.code))
        for (code, served) in nations { #expect((served == [.england]) == english.contains(code)) }
        let another = try ReferralGenerator(
            options: GeneratorOptions(rows: 1, seed: 9, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: set.directory))
        #expect(another.organisations.map(\.code) == organisations.map(\.code), "the same organisations for every seed")
    }

    /// The lookup written by `--organisation-lookup` reads back as the generated
    /// organisations, one row each, with the contract's header.
    @Test func organisationLookupRoundTrips() throws {
        let set = try GeneratedSet(rows: 500, seed: 12)
        defer { set.remove() }
        let text = try String(contentsOfFile: set.lookup, encoding: .utf8)
        #expect(text.hasPrefix("code,name,type,parent_code,parent_name,parent_type\n"))
        let columns = ["code", "name", "type", "parent_code", "parent_name", "parent_type"]
        let rows = try ReferenceTableReader.read(path: set.lookup, columns: columns).0
        let generator = try ReferralGenerator(
            options: GeneratorOptions(rows: 1, seed: 12, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: set.directory))
        let expected = generator.organisations.sorted { $0.code < $1.code }
        #expect(rows.count == expected.count)
        for (row, o) in zip(rows, expected) {
            #expect(
                row == ["code": o.code, "name": o.name, "type": o.type, "parent_code": o.parentCode, "parent_name": o.parentName, "parent_type": o.parentType])
        }
        #expect(rows.contains { $0["name"] == "Synthetic link worker service 3 (Wales)" && $0["parent_type"] == "health board" })
        #expect(rows.contains { $0["parent_type"] == "trust" && $0["parent_name"]!.hasSuffix("(Northern Ireland)") })
    }

    /// The lookup is refused inside the output folder (the run reads every CSV there as
    /// referrals) and over a file generate did not write; nothing is written either way.
    @Test func organisationLookupIsRefusedInsideTheOutputFolder() throws {
        let base = ScratchFolder.url.appendingPathComponent("sprx-lookup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let out = base + "/generated"
        for lookup in [out + "/organisations.csv", out + "/sub/organisations.csv", out + "/./organisations.csv", out] {
            let options = GeneratorOptions(
                rows: 10, seed: 1, files: 1, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: out, organisationLookup: lookup)
            #expect(throws: SPRXError.self) { _ = try ReferralGenerator.generateAtomically(options) }
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let someone = base + "/mine.csv"
        try Data("referral_id,person_id\n".utf8).write(to: URL(fileURLWithPath: someone))
        let options = GeneratorOptions(
            rows: 10, seed: 1, files: 1, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: out, organisationLookup: someone)
        #expect(throws: SPRXError.self) { _ = try ReferralGenerator.generateAtomically(options) }
        #expect(try String(contentsOfFile: someone, encoding: .utf8) == "referral_id,person_id\n")
        // Beside the output folder it is written, and a second run may replace its own file.
        let beside = base + "/organisations.csv"
        for _ in 0..<2 {
            _ = try ReferralGenerator.generateAtomically(
                GeneratorOptions(
                    rows: 10, seed: 1, files: 1, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: out,
                    organisationLookup: beside))
        }
        #expect(try String(contentsOfFile: beside, encoding: .utf8).hasPrefix("code,name,type,"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["generate.json", "referrals-001.csv.gz"])
    }

    /// The same seed gives the same bytes, referrals and lookup alike; another seed does not.
    @Test func sameSeedSameBytes() throws {
        func bytes(_ seed: UInt64) throws -> [Data] {
            let set = try GeneratedSet(rows: 3_000, seed: seed)
            defer { set.remove() }
            return try [set.directory + "/referrals-001.csv.gz", set.directory + "/generate.json", set.lookup].map {
                try Data(contentsOf: URL(fileURLWithPath: $0))
            }
        }
        let first = try bytes(31), again = try bytes(31), other = try bytes(32)
        #expect(first == again)
        #expect(first[0] != other[0])
    }
}
