import Foundation
import SPRXTestSupport
import Testing

/// `tables/spc.csv` from the built binary (issue 27, item 1): written with its header,
/// listed in the manifest, byte-identical whatever `--jobs`, and finding exactly the
/// signals planted in an export's monthly referrals.
@Suite(.timeLimit(.minutes(10))) struct SPCRunTests {
    static let header =
        "measure,dimension,group,interval_start,value,centre,lower_limit,upper_limit,special_cause,point_type,rules,note,disclosure_control"

    @Test func writtenWithItsHeaderAndTheSameForEveryJobs() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var texts: [String] = []
        for jobs in ["1", "2"] {
            let out = dir + "/out\(jobs)"
            let result = try sprx([
                "run", "--pipeline", "\(packageRoot)/Pipelines/referral-equity.yaml", "--input", "\(packageRoot)/SampleData/canonical", "--out", out,
                "--jobs", jobs, "--quiet",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            texts.append(try String(contentsOfFile: out + "/tables/spc.csv", encoding: .utf8))
            let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
            #expect(manifest.contains("\"tables/spc.csv\""))
        }
        #expect(texts[0] == texts[1])
        #expect(texts[0].hasPrefix(Self.header + "\n"))
        let rows = CSVTable(text: texts[0]).records
        #expect(rows.count > 0)
        #expect(Set(rows.compactMap { $0["dimension"] }) == ["all", "nation"])
    }

    /// The records of `tables/spc.csv` from a run of the sample data (Pipelines/referral-equity.yaml
    /// over SampleData/canonical), the run's output removed after reading.
    static func sampleRun() throws -> [[String: String]] {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out"
        let result = try sprx([
            "run", "--pipeline", "\(packageRoot)/Pipelines/referral-equity.yaml", "--input", "\(packageRoot)/SampleData/canonical", "--out", out, "--quiet",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        return CSVTable(text: try String(contentsOfFile: out + "/tables/spc.csv", encoding: .utf8)).records
    }

    /// The records of a reference file in Tests/SPRXAggregateTests/Fixtures, its `#` comment lines left out.
    static func fixture(_ name: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: packageRoot + "/Tests/SPRXAggregateTests/Fixtures/" + name, encoding: .utf8)
        return CSVTable(text: text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")).records
    }

    // The sample run's spc.csv against NHSRplotthedots' own code on the same published
    // values (Tests/SPRXAggregateTests/Fixtures/spc_reference.csv, `sample:` cases, made
    // by scripts/spc-reference.R at the package's commit 050b07d7): centre and limits as
    // printed (6 significant digits), special cause and point type, month by month.
    @Test func sampleRunEqualsThePackage() throws {
        let published = try Self.sampleRun()
        let reference = try Self.fixture("spc_reference.csv").filter { $0["case"]?.hasPrefix("sample:") == true }
        var series: [String: [[String: String]]] = [:]
        for row in reference { series[row["case"] ?? "", default: []].append(row) }
        #expect(series.count == 5)  // the sample series the package can chart (in 4 more it stops on a gap: outputs-v2.md)
        func close(_ text: String?, _ expected: String?) -> Bool {
            guard let text, let expected, let a = Double(text), let b = Double(expected) else { return (text ?? "") == (expected ?? "") }
            return abs(a - b) <= 5e-6 * max(1, abs(b))
        }
        var compared = 0
        for (name, rows) in series {
            let key = name.dropFirst("sample:".count).split(separator: "|").map(String.init)
            let months = published.filter { $0["measure"] == key[0] && $0["dimension"] == key[1] && $0["group"] == key[2] }
            try #require(months.count == rows.count, "\(name)")
            // A series with a month withheld by disclosure control is not charted (intervention_share|all|all).
            if months.contains(where: { $0["note"] == "months_withheld" }) {
                #expect(months.allSatisfy { $0["centre"] == "" && $0["point_type"] == "" }, "\(name)")
                continue
            }
            compared += 1
            for (month, row) in zip(months, rows) {
                #expect(close(month["centre"], row["centre"]) && close(month["lower_limit"], row["lpl"]) && close(month["upper_limit"], row["upl"]), "\(name)")
                guard row["y"] != "" else {
                    #expect(month["point_type"] == "" && month["note"] == "no_value", "\(name) \(month)")
                    continue
                }
                let type = row["point_type"] ?? ""
                #expect(month["point_type"] == (type.hasPrefix("special_cause_neutral") ? "special_cause_neutral" : type), "\(name) \(month)")
                #expect(month["special_cause"] == (row["special_cause_type"] == "Common Cause" ? "FALSE" : "TRUE"), "\(name) \(month)")
            }
        }
        #expect(compared == 4)
    }

    // The same run against an independent R implementation of the method
    // (scripts/check-spc.R --write → Tests/SPRXAggregateTests/Fixtures/spc_r_sample.csv),
    // which charts every series its rules chart (none with a month withheld by disclosure
    // control): centre and limits as printed, special cause, point type and rules, month by month.
    @Test func sampleRunEqualsTheRImplementation() throws {
        let published = try Self.sampleRun()
        let expected = try Self.fixture("spc_r_sample.csv")
        #expect(expected.count == 240)
        func key(_ row: [String: String]) -> String { ["measure", "dimension", "group", "interval_start"].map { row[$0] ?? "" }.joined(separator: "|") }
        let byKey = Dictionary(published.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        // Every charted row of the run is one of the fixture's, and the other way round.
        #expect(Set(published.filter { $0["centre"] != "" }.map(key)) == Set(expected.map(key)))
        for row in expected {
            let month = try #require(byKey[key(row)], "\(key(row))")
            for (column, tolerance) in [("centre", 5e-6), ("lower_limit", 5e-6), ("upper_limit", 5e-6)] {
                let a = Double(month[column] ?? ""), b = Double(row[column] ?? "")
                if let a, let b {
                    #expect(abs(a - b) <= tolerance * max(1, abs(b)), "\(key(row)) \(column)")
                } else {
                    #expect(a == nil && b == nil, "\(key(row)) \(column)")
                }
            }
            for column in ["special_cause", "point_type", "rules"] { #expect(month[column] == row[column], "\(key(row)) \(column)") }
        }
    }

    /// The planted series of the unit tests (SPCChartTests), scaled by 10 and less 500 so
    /// that every month is a multiple of 5 over 7 (disclosure control leaves it as it is):
    /// a zigzag of 520 and 480, a shift of 8 months (13-20), a trend of 7 (21-27), an
    /// outlier (30).
    static let planted: [Int] = {
        func zig(_ n: Int, _ level: Int, _ amplitude: Int) -> [Int] { (0..<n).map { level + ($0 % 2 == 0 ? amplitude : -amplitude) } }
        return zig(12, 500, 20) + zig(8, 540, 10) + [460, 475, 490, 505, 520, 535, 550] + [480, 520, 750] + zig(6, 500, 20)
    }()

    /// An export of the canonical layout with `planted[m]` referrals in month m from
    /// January 2022, spread over the month's days (its first and last included, so no
    /// month is partial).
    static func plantedExport() -> String {
        var rows = [
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id"
        ]
        var id = 0
        for (m, count) in planted.enumerated() {
            let (year, month) = (2022 + m / 12, m % 12 + 1)
            let days = [31, year % 4 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            for k in 0..<count {
                let day = k == 0 ? 1 : (k == 1 ? days : 1 + k % days)
                id += 1
                rows.append(
                    String(
                        format: "R%07d,P%07d,%04d-%02d-%02d,%d,%@,White,E01020829,Primary care,Mental health,Y,1,1,U22915", id, id, year, month, day,
                        20 + k % 60, k % 2 == 0 ? "F" : "M"))
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }

    @Test func findsExactlyThePlantedSignals() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try Self.plantedExport().write(toFile: dir + "/in/referrals.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "\(packageRoot)/Pipelines/referral-equity.yaml", "--input", dir + "/in", "--out", dir + "/out", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = CSVTable(text: try String(contentsOfFile: dir + "/out/tables/spc.csv", encoding: .utf8)).records
        for group in [("all", "all"), ("nation", "England")] {
            let series = rows.filter { $0["measure"] == "referrals" && $0["dimension"] == group.0 && $0["group"] == group.1 }
            try #require(series.count == Self.planted.count, "\(group)")
            for (m, row) in series.enumerated() {
                #expect(row["value"] == String(Self.planted[m]), "month \(m + 1)")
                let expected: String
                switch m + 1 {
                case 13...20: expected = "shift"
                case 21...27: expected = "trend"
                case 30: expected = "outside"
                default: expected = ""
                }
                #expect(row["rules"] == expected, "\(group) month \(m + 1): \(row)")
                #expect(row["special_cause"] == (expected.isEmpty ? "FALSE" : "TRUE"))
                #expect(row["point_type"] == (expected.isEmpty ? "common_cause" : "special_cause_neutral"))
                #expect(row["note"] == "")
            }
        }
    }
}
