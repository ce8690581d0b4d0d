import Foundation
import SPRXCore
import SPRXIngest
import SPRXTestSupport
import Testing

/// The rows of a published CSV, decoded as sprx decodes CSV (quotes honoured): the
/// header and each row's fields.
func publishedRows(_ path: String) throws -> (header: [String], rows: [[String]]) {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    var rows: [[String]] = []
    var blank = 0
    let scratch = CSVDecodeScratch()
    bytes.withUnsafeBytes { raw in
        CSVBlockDecoder.forEachRow(in: raw, firstLine: 1, scratch: scratch, blankLines: &blank) { row in
            rows.append((0..<row.fieldCount).map { row.string($0) })
        }
    }
    guard let header = rows.first else { return ([], []) }
    return (header, Array(rows.dropFirst()))
}

/// Every integer in a JSON document with the path of keys that leads to it
/// (`models[2].excluded_unknown_covariate`).
func jsonIntegers(_ value: Any, path: String = "") -> [(path: String, value: Int64)] {
    if let object = value as? [String: Any] {
        return object.keys.sorted().flatMap { jsonIntegers(object[$0]!, path: path.isEmpty ? $0 : path + "." + $0) }
    }
    if let array = value as? [Any] { return array.enumerated().flatMap { jsonIntegers($0.element, path: path + "[\($0.offset)]") } }
    // (A JSON true reads as 1 here: no key the scans look at holds a boolean.)
    if let number = value as? NSNumber, number.doubleValue == number.doubleValue.rounded() {
        return [(path, number.int64Value)]
    }
    return []
}

/// A run of the default pipeline over 600 referrals in 6 organisations (ids `U00000` to
/// `U00005`: one of them, U00001, is an English PCN code so the provision tables have a
/// network) from a fixed linear congruential generator, with small counts planted where
/// an uncontrolled figure would give them back: rows 0-2 have no ethnicity (3 referrals
/// left out of every model for an unknown covariate), rows 3-5 no contacts (3 more left
/// out of the contacts model for an unknown outcome), and many groups of the share tables
/// have 1 to 7 referrals (4 areas × 3 ages × 2 sexes × 2 ethnicities over 9 days).
func smallCountsRun(_ extra: [String] = []) throws -> String {
    let dir = scratch()
    let areas = ["E01000048", "E01000005", "E01000001", "E01000002"]
    let ages = [30, 50, 70]
    var x: UInt64 = 12345
    func next() -> Int {
        x = (x &* 1_103_515_245 &+ 12345) % (1 << 31)
        return Int(x >> 16)
    }
    var csv =
        "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,contacts,interventions,organisation_id,referral_reasons,contacted\n"
    for i in 0..<600 {
        let c = next() % 4 + next() % 3 * (i % 3)
        let interventions = next() % 3
        let age = ages[next() % 3]
        let sex = next() % 2 == 1 ? "F" : "M"
        let ethnicity = i < 3 ? "" : next() % 3 != 0 ? "White" : "Asian"
        let area = areas[next() % 4]
        let source = next() % 2 == 1 ? "GP" : "Self-referral"
        let contacts = (3..<6).contains(i) ? "" : String(c)
        csv += "R\(i),P\(i),2024-03-0\(1 + i % 9),\(age),\(sex),\(ethnicity),\(area),\(source),\(contacts),\(interventions),U0000\(i % 6),,\n"
    }
    try csv.write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
    let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", dir + "/out", "--quiet"] + extra)
    #expect(result.status == 0, "\(result.stderr)")
    return dir + "/out"
}

/// Issue 24 items 9 and 10: what a run publishes is controlled and finite.
///
/// - Every count column (role `count` in ``PublishedTables/schemas``, not a hand-kept
///   list) of every table that carries a `disclosure_control` column, and every count of
///   referrals in `manifest.json`, is 0 or at least 8 under the default control (counts
///   1-7 suppressed). The same run without control must show such counts, so the scan
///   has something to find (the control of the test itself).
/// - No cell of any table and no value of the manifest is NaN or ±Inf in any spelling
///   (`nan`, `NaN`, `NA`, `inf`, `Inf`, `-Infinity`…), for the small run, the bundled
///   sample, and a run whose reference values sit at their plausibility bounds.
@Suite(.timeLimit(.minutes(10))) struct PublishedNumbersTests {
    /// Count columns that do not count referrals: `n_clusters` is how many organisations a
    /// model's referrals come from (public in `organisations.csv` too), and the provision
    /// tables' `registered_patients` and the rates' `population` are public reference data
    /// (outputs-v2.md: "Rates use the exact population (it is public)").
    static let notReferralCounts: Set<String> = ["n_clusters", "registered_patients", "population"]

    /// Where the manifest publishes counts of referrals: a key naming referrals, a model's
    /// size and those left out. The manifest's reconciliation (`inputs`, `totals`) and
    /// `unmapped_labels` are exact by the contract (records, not people; as data_quality.csv).
    static func isReferralCount(_ path: String) -> Bool {
        guard !path.hasPrefix("inputs") && !path.hasPrefix("totals") && !path.hasPrefix("unmapped_labels") else { return false }
        let key = path.split(separator: ".").last.map(String.init) ?? path
        return key.contains("referrals") || key.hasPrefix("excluded_") || key == "n_obs" || key.hasPrefix("left_out") || key.hasPrefix("in_crude_rates")
            || path.contains("left_out_outside_catchment")
    }

    /// The small counts 1-7 in the controlled count columns of `out`'s tables and in its
    /// manifest's referral counts, as "table:column=value" / "manifest:path=value".
    func smallCounts(_ out: String) throws -> [String] {
        var found: [String] = []
        var scanned = 0
        for layout in PublishedTables.schemas {
            let path = "\(out)/tables/\(layout.name).csv"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard layout.columns.contains(where: { $0.name == "disclosure_control" }) else { continue }
            let (header, rows) = try publishedRows(path)
            let counts = layout.columns.filter { $0.role == .count && !Self.notReferralCounts.contains($0.name) }.map(\.name)
            for column in counts {
                guard let i = header.firstIndex(of: column) else {
                    Issue.record("\(layout.name) has no column \(column)")
                    continue
                }
                for row in rows {
                    scanned += 1
                    if let value = Int(row[i]), (1...7).contains(value) { found.append("\(layout.name):\(column)=\(value)") }
                }
            }
        }
        #expect(scanned > 1000, "the scan read \(scanned) count cells")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        for (path, value) in jsonIntegers(manifest) where Self.isReferralCount(path) && (1...7).contains(value) {
            found.append("manifest:\(path)=\(value)")
        }
        return found
    }

    @Test func noPublishedCountIsOneToSeven() throws {
        let controlled = try smallCounts(try smallCountsRun())
        #expect(controlled.isEmpty, "\(controlled.prefix(20))")

        // The control: without disclosure control the same run publishes small counts,
        // among them the manifest's 3 referrals left out for an unknown ethnicity (rows
        // 0-2, by construction) and 3 for unknown contacts (rows 3-5).
        let exact = try smallCounts(try smallCountsRun(["--no-disclosure-control"]))
        #expect(exact.contains("manifest:models[0].excluded_unknown_covariate=3"), "\(exact.filter { $0.hasPrefix("manifest") })")
        #expect(exact.contains("manifest:models[2].excluded_unknown_outcome=3"), "\(exact.filter { $0.hasPrefix("manifest") })")
        #expect(exact.contains { $0.hasPrefix("route_by_group:n=") }, "\(exact.prefix(20))")
    }

    /// The manifest's model sizes agree with models.csv's `n_obs` (both controlled), and
    /// a suppressed exclusion is left out rather than written exact.
    @Test func theManifestsModelSizesAreTheTablesOnes() throws {
        let out = try smallCountsRun()
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let models = manifest["models"] as! [[String: Any]]
        let (header, rows) = try publishedRows(out + "/tables/models.csv")
        let model = header.firstIndex(of: "model")!, nObs = header.firstIndex(of: "n_obs")!
        var compared = 0
        for entry in models where entry["status"] as? String == "fitted" {
            let published = Set(rows.filter { $0[model] == entry["name"] as? String }.map { $0[nObs] })
            #expect(published == [String(describing: entry["n_obs"]!)], "\(entry["name"]!)")
            // By construction 3 referrals have no ethnicity: suppressed, so not in the file.
            #expect(entry["excluded_unknown_covariate"] == nil)
            compared += 1
        }
        #expect(compared >= 2)
    }

    // MARK: Not a number

    /// Numeric spellings of NaN and infinity, as any of the languages that read the
    /// outputs write or read them (C's printf, R, Python, JSON extensions).
    static func isNonFinite(_ text: String) -> Bool {
        let spelled = text.lowercased().drop { $0 == "+" || $0 == "-" }
        return ["nan", "na", "inf", "infinity", "1.#inf", "1.#ind", "1.#qnan"].contains(String(spelled))
    }

    /// Cells and manifest values that spell a non-finite number.
    func nonFiniteValues(_ out: String) throws -> [String] {
        var found: [String] = []
        var tables = 0
        for layout in PublishedTables.schemas {
            let path = "\(out)/tables/\(layout.name).csv"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            tables += 1
            let (header, rows) = try publishedRows(path)
            let numeric = Set(layout.columns.filter { $0.role == .count || $0.role == .estimate }.map(\.name))
            for row in rows {
                for (i, cell) in row.enumerated() {
                    let text = cell.trimmingCharacters(in: .whitespaces)
                    // "NA" may be a label (a group called NA); in a number column it is R's NaN.
                    if Self.isNonFinite(text) && (numeric.contains(header[i]) || text.uppercased() != "NA") {
                        found.append("\(layout.name):\(header[i])=\(cell)")
                    }
                }
            }
        }
        #expect(tables >= 10, "\(tables) tables in \(out)")
        let text = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        // Unquoted tokens (JSON has none for NaN; some encoders write them) and quoted ones.
        for match in text.matches(of: try Regex("(?i)[:\\[,]\\s*\"?([+-]?(nan|inf|infinity))\"?\\s*[,\\]}\\n]")) {
            found.append("manifest:\(text[match.range])")
        }
        return found
    }

    @Test func noPublishedNumberIsNaNOrInfinite() throws {
        let small = try nonFiniteValues(try smallCountsRun())
        #expect(small.isEmpty, "\(small.prefix(20))")

        let dir = scratch()
        let sample = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/out", "--quiet"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let found = try nonFiniteValues(dir + "/out")
        #expect(found.isEmpty, "\(found.prefix(20))")
    }

    /// The scanner finds what it is for: a table cell and a manifest value spelled as each
    /// non-finite number sprx or another tool could write.
    @Test func theScannerFindsEverySpelling() throws {
        let out = scratch()
        try FileManager.default.createDirectory(atPath: out + "/tables", withIntermediateDirectories: true)
        let spellings = ["nan", "NaN", "NA", "Inf", "-Inf", "+inf", "Infinity", "-infinity", "1.#INF"]
        let trends = try #require(PublishedTables.schemas.first { $0.name == "trends" }).columns.map(\.name)
        var csv = trends.joined(separator: ",") + "\n"
        for spelling in spellings { csv += trends.map { $0 == "value" ? spelling : $0 == "group" ? "NA" : "1" }.joined(separator: ",") + "\n" }
        for layout in PublishedTables.schemas {
            let header = layout.columns.map(\.name).joined(separator: ",") + "\n"
            try (layout.name == "trends" ? csv : header).write(toFile: "\(out)/tables/\(layout.name).csv", atomically: true, encoding: .utf8)
        }
        try "{\n  \"a\" : NaN,\n  \"b\" : [1, -Infinity],\n  \"c\" : \"inf\"\n}\n".write(toFile: out + "/manifest.json", atomically: true, encoding: .utf8)
        let found = try nonFiniteValues(out)
        #expect(found.filter { $0.hasPrefix("trends:value=") }.count == spellings.count, "\(found)")
        #expect(!found.contains { $0.hasPrefix("trends:group") }, "a group labelled NA is text, not a number")
        #expect(found.filter { $0.hasPrefix("manifest:") }.count == 3, "\(found)")
    }
}
