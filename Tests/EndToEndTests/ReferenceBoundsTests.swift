import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

/// Issue 24 item 10, end to end: the issue's absurd reference values, each in a copy of
/// the bundled reference folder, stop the run with exit 78 naming the file, the line and
/// the column (never the value) instead of a crash, an overflow or a published `-Inf`;
/// values at the bounds run and publish finite numbers.
@Suite(.timeLimit(.minutes(10))) struct ReferenceBoundsRunTests {
    static let reference = "\(packageRoot)/SampleData/reference"

    /// A reference folder holding links to every bundled file but `file`, which is
    /// written as `text` (plain CSV under the `.csv.gz` name: sprx reads by content).
    func referenceFolder(replacing file: String, with text: String) throws -> String {
        let dir = scratch() + "/reference"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.reference) where name != file {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: Self.reference + "/" + name)
        }
        try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
        return dir
    }

    /// A bundled file's text, decompressed.
    func bundled(_ file: String) throws -> String {
        let result = try runCaptured("/bin/sh", ["-c", "gzip -dc '\(Self.reference)/\(file)'"])
        #expect(result.status == 0)
        return result.stdout
    }

    /// The line a row appended to `text` (which ends with a line end) lands on: one past
    /// its lines (the header is line 1).
    func nextLine(_ text: String) -> Int { text.split(separator: "\n", omittingEmptySubsequences: false).count }

    /// Runs the small-counts extract (``smallCountsRun(_:)``'s data, written again here)
    /// with the default pipeline reading `reference`.
    func run(reference: String) throws -> (status: Int32, stderr: String, out: String, peakKB: Int) {
        let dir = scratch()
        let pipeline = try pipelineVariant(in: dir, [("reference_dir: \(Self.reference)", "reference_dir: \(reference)")])
        var csv =
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,contacts,interventions,organisation_id,referral_reasons,contacted\n"
        for i in 0..<120 {
            csv += "R\(i),P\(i),2024-03-0\(1 + i % 9),\(30 + i % 40),\(i % 2 == 0 ? "F" : "M"),White,E01000001,GP,\(i % 4),\(i % 3),U0000\(i % 3),,\n"
        }
        try csv.write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let result = try sprxMeasured(["run", "--pipeline", pipeline, "--input", dir + "/extract.csv", "--out", dir + "/out", "--quiet"])
        return (result.status, result.stderr, dir + "/out", result.peakKB)
    }

    /// A workforce row for U00000 (WEST NORWICH PCN, which the extract's U00000 maps to)
    /// at 2025-11-30 with `fte`, as wide as the file's header (13 columns).
    func workforceRow(_ fte: String) -> String {
        "2025-11-30,U00000,WEST NORWICH PCN,26OLD,QMM,Y61,\(fte),1,\(fte),0,0,\(fte),test\n"
    }

    /// The issue's FTE of 1e308 (report stage past 9.7 GB, then a segfault) and -1e308
    /// (`-Inf` published): exit 78 at the appended row's line and `splw_fte`.
    @Test(arguments: ["1e308", "-1e308", "1001"])
    func anAbsurdFTEStopsTheRun(fte: String) throws {
        let file = "pcn_splw_fte_england.csv.gz"
        let text = try bundled(file)
        let line = nextLine(text)
        let result = try run(reference: try referenceFolder(replacing: file, with: text + workforceRow(fte)))
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("error[reference.invalid]") && result.stderr.contains("\(file): line \(line): column 'splw_fte'"), "\(result.stderr)")
        #expect(result.stderr.contains("from 0 to 1,000"), "\(result.stderr)")
        #expect(!result.stderr.contains(fte) && !FileManager.default.fileExists(atPath: result.out + "/manifest.json"))
    }

    /// The issue's population of 999,999,999,999,999 for one area overflowed a sum (exit
    /// 132): now exit 78 at E01000001's line (2) and `population`.
    @Test func anAbsurdPopulationStopsTheRun() throws {
        let file = "pop_mid2019_uk_small_areas_total.csv.gz"
        let text = try bundled(file).replacingOccurrences(of: "England,E01000001,1636\n", with: "England,E01000001,999999999999999\n")
        let result = try run(reference: try referenceFolder(replacing: file, with: text))
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(file): line 2: column 'population'"), "\(result.stderr)")
        #expect(!result.stderr.contains("999999999999999"))
    }

    /// A reference row longer than sprx reads (2 MiB here; 320 MB in the issue) was
    /// dropped without a word: now exit 78 naming its line.
    @Test func anOverlongReferenceRowStopsTheRun() throws {
        let file = "pcn_registered_patients_england.csv.gz"
        let text = try bundled(file)
        let line = nextLine(text)
        let columns = CSVTable.fields(text.prefix { $0 != "\n" }).count
        let long = ["2025-12-01", "U99999", String(repeating: "N", count: 2 << 20)] + [String](repeating: "1", count: columns - 3)
        let result = try run(reference: try referenceFolder(replacing: file, with: text + long.joined(separator: ",") + "\n"))
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("\(file): line \(line)") && result.stderr.contains("row is longer than"), "\(result.stderr)")
    }

    /// Values at the bounds run: 1,000 FTE for the data's network at the latest census
    /// and 1,000,000 people in the data's one area. By hand, the network's FTE per 50,000
    /// at 2025-11-30 is 50,000 × 1,000 / (its patients at the 2025-12-01 extract): finite,
    /// and every table and the manifest are free of NaN and Inf; the run stays small.
    @Test func valuesAtTheBoundsPublishFiniteNumbers() throws {
        let workforce = "pcn_splw_fte_england.csv.gz"
        // U00000's own 2025-11-30 row, its FTE (and contracted and all-ARRS FTE) set to 1,000.
        var lines = try bundled(workforce).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.hasPrefix("2025-11-30,U00000,") })
        var fields = CSVTable.fields(lines[index])
        for i in [6, 8, 11] { fields[i] = "1000" }
        lines[index] = fields.joined(separator: ",")
        let dir = try referenceFolder(replacing: workforce, with: lines.joined(separator: "\n"))
        let totals = "pop_mid2019_uk_small_areas_total.csv.gz"
        let population = try bundled(totals).replacingOccurrences(of: "England,E01000001,1636\n", with: "England,E01000001,1000000\n")
        try FileManager.default.removeItem(atPath: dir + "/" + totals)
        try population.write(toFile: dir + "/" + totals, atomically: true, encoding: .utf8)
        let result = try run(reference: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.peakKB < 400_000, "peak \(result.peakKB) KB")
        let (header, rows) = try publishedRows(result.out + "/tables/pcn_provision.csv")
        let row = try #require(rows.first { $0[header.firstIndex(of: "pcn_code")!] == "U00000" && $0[header.firstIndex(of: "census_date")!] == "2025-11-30" })
        let patients = try #require(Double(row[header.firstIndex(of: "registered_patients")!]))
        let perPatients = try #require(Double(row[header.firstIndex(of: "fte_per_50000")!]))
        #expect(abs(perPatients - 50_000 * 1_000 / patients) <= 1e-5 * perPatients)
        let found = try PublishedNumbersTests().nonFiniteValues(result.out)
        #expect(found.isEmpty, "\(found.prefix(20))")
    }
}

/// Issue 24 item 6, end to end: public data that are absent are never called suppressed,
/// a period between census dates is explained in the report and the manifest, and the
/// report's provision sentences speak of a census the data cover (or say how far off the
/// one they use is), in words, never in the table's note codes.
@Suite(.timeLimit(.minutes(10))) struct ProvisionPeriodRunTests {
    /// The provision note codes of both tables: none may reach the report's text.
    static let codes = [
        "outside_data_period", "no_workforce_return", "no_registered_patients", "no_link_worker_fte", "no_deprivation_score", "fewer_than_2_pcns",
        "quintile_without_value",
    ]

    /// Runs the default pipeline over `rows` (date, organisation) referrals.
    func run(_ rows: [(String, String)]) throws -> String {
        let dir = scratch()
        var csv =
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,contacts,interventions,organisation_id,referral_reasons,contacted\n"
        for (i, row) in rows.enumerated() {
            csv += "R\(i),P\(i),\(row.0),\(30 + i % 40),\(i % 2 == 0 ? "F" : "M"),White,E01000001,GP,\(i % 4),\(i % 3),\(row.1),,\n"
        }
        try csv.write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", dir + "/out", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        return dir + "/out"
    }

    /// The issue's case: referrals of 2023-2024 (here 2023-01-01 to 2024-12-31) cover no
    /// census of the bundled file (none between 2022-09-30 and 2025-03-31). The manifest
    /// and both reports say so with those dates, and the lead sentence names 2025-03-31 as
    /// a census after the referrals, not 2025-11-30 as if the data reached it.
    @Test func aPeriodBetweenCensusDatesIsExplained() throws {
        // U00000 (WEST NORWICH PCN) on the 1st of each of the 24 months, 5 a month.
        var rows: [(String, String)] = []
        for i in 0..<120 {
            let year = 2023 + i / 60, month = 1 + i / 5 % 12
            rows.append(("\(year)-\(month < 10 ? "0" : "")\(month)-01", "U00000"))
        }
        let out = try run(rows)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let coverage = try #require((manifest["link_worker_provision"] as? [String: Any])?["census_coverage"] as? [String: Any])
        #expect(coverage["covered"] as? [String] == [])
        #expect(coverage["last_census_before_period"] as? String == "2022-09-30" && coverage["first_census_after_period"] as? String == "2025-03-31")
        #expect(coverage["national_figures_census_date"] as? String == "2025-03-31")
        #expect((coverage["gaps"] as? [[String]])?.contains(["2022-09-30", "2025-03-31"]) == true)
        for file in ["report.md", "report.html"] {
            let text = try String(contentsOfFile: "\(out)/\(file)", encoding: .utf8).replacingOccurrences(of: "\\_", with: "_")
                .replacingOccurrences(of: "&#39;", with: "'")  // HTML's escaped apostrophe
            #expect(text.contains("the period falls between the census dates 2022-09-30 and 2025-03-31"), "\(file)")
            #expect(text.contains("At 2025-03-31 (a census after this export's referrals, which end 2024-12-01)"), "\(file)")
            #expect(!text.contains("At 2025-11-30"), "\(file)")
            for code in Self.codes { #expect(!text.contains(code), "\(file) shows \(code)") }
        }
    }

    /// A network with registered patients but no workforce return at 2025-11-30 (U06780:
    /// in the 2025-12-01 registration extract, not in the 2025-11-30 census; found with
    /// `comm` over the two bundled files) and 3 referrals in the census's three months:
    /// its FTE is "no return" (absent public data) and only its referral figures are
    /// "suppressed"; the CSV keeps both codes.
    @Test func absentPublicDataIsNotSuppressed() throws {
        var rows: [(String, String)] = []
        for i in 0..<90 {
            let month = 9 + i / 30, day = 1 + i % 30
            rows.append(("2025-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)", i < 3 ? "U06780" : "U00000"))
        }
        let out = try run(rows)
        let (header, table) = try publishedRows(out + "/tables/pcn_provision.csv")
        let row = try #require(table.first { $0[0] == "U06780" && $0[header.firstIndex(of: "census_date")!] == "2025-11-30" })
        #expect(row[header.firstIndex(of: "note")!] == "suppressed;no_workforce_return" && row[header.firstIndex(of: "splw_fte")!] == "")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let line = try #require(report.split(separator: "\n").first { $0.contains("| U06780 |") })
        let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: CharacterSet.whitespaces) }
        // | name | code | FTE | patients | FTE per 50,000 | referrals | per 1,000 | per FTE | score | quintile | note |
        #expect(cells[3] == "no return" && cells[5] == "" && cells[6] == "suppressed" && cells[7] == "suppressed" && cells[8] == "suppressed", "\(cells)")
        #expect(cells[11] == "referrals suppressed by disclosure control; no workforce return for this census (public data absent, not withheld)")
        #expect(report.contains("At 2025-11-30, the modelled difference"))
    }
}
