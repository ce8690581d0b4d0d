import Foundation
import SPRXCore
import SPRXIngest
import SPRXTestSupport
import Testing

/// `sprx inspect` on the two fixtures, as a user runs it: fields mapped, no identifier
/// or free text printed, rare labels counted not shown, and a draft pipeline that
/// `sprx run` accepts and that reproduces the committed expected tables.
@Suite struct InspectTests {
    /// Every value of the named columns of a fixture, read with sprx's own CSV reader
    /// (the independent check: the values the report must not contain).
    static func values(of columns: [String], in path: String) throws -> [String: [String]] {
        let reader = RowBlockReader(source: try InputOpener.open(path: "\(packageRoot)/\(path)").source, fileName: path)
        let header = try #require(try reader.readHeader()).names
        let indices = columns.map { name in header.firstIndex(of: name)! }
        var out: [String: [String]] = [:]
        var blank = 0
        let scratch = CSVDecodeScratch()
        while let block = try reader.next() {
            block.bytes.withUnsafeBytes { bytes in
                CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, scratch: scratch, blankLines: &blank) { row in
                    for (name, index) in zip(columns, indices) where index < row.fieldCount { out[name, default: []].append(row.string(index)) }
                }
            }
        }
        return out
    }

    @Test func canonicalShowsNoIdentifierOrNote() throws {
        let text = try sprx(["inspect", "--input", "SampleData/canonical"])
        let json = try sprx(["inspect", "--input", "SampleData/canonical", "--json"])
        #expect(text.status == 0 && json.status == 0, "\(text.stderr)\(json.stderr)")
        for field in ["referral_id", "person_id", "referral_date", "age", "sex", "ethnicity", "area_code", "referral_source", "contacts"] {
            #expect(text.stdout.contains("'\(field)' -> \(field) (suggested by header name)"), "\(field)")
        }
        _ = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8))
        for file in ["SampleData/canonical/referrals-001.csv.gz", "SampleData/canonical/referrals-002.csv.gz"] {
            let values = try Self.values(of: ["referral_id", "person_id", "notes", "organisation_id"], in: file)
            // Notes of 8 characters or more (shorter ones could be ordinary words of the report).
            let secrets = values.flatMap { name, list in list.filter { name == "notes" ? $0.count >= 8 : $0.count >= 4 } }
            #expect(secrets.count > 3000, "the check is not vacuous")
            for secret in Set(secrets) {
                #expect(!text.stdout.contains(secret) && !json.stdout.contains(secret), "a raw value is printed")
            }
        }
    }

    @Test func casebookUnderItsPipelineCountsRareLabels() throws {
        let result = try sprx(["inspect", "--input", "SampleData/casebook", "--pipeline", "Pipelines/casebook-export.yaml", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let columns = try #require(report["columns"] as? [[String: Any]])
        #expect(columns.compactMap { $0["field"] as? String }.count == 13)
        #expect((report["missingFields"] as? [String]) == [])
        // Ethnic category labels seen 1-7 times in the fixture (counted here, by hand of
        // the reader above) are counted in rareLabels and never listed.
        let ethnicity = try #require(columns.first { $0["field"] as? String == "ethnicity" })
        var counts: [String: Int] = [:]
        for value in try Self.values(of: ["Ethnic Category"], in: "SampleData/casebook/referrals-001.csv.gz")["Ethnic Category"] ?? [] {
            let label = value.trimmingCharacters(in: .whitespaces)
            if !label.isEmpty { counts[label.lowercased(), default: 0] += 1 }
        }
        let rare = counts.filter { (1...7).contains($0.value) }
        #expect(!rare.isEmpty, "the fixture has rare labels")
        let shown = Set(((ethnicity["labels"] as? [[String: Any]]) ?? []).compactMap { ($0["label"] as? String)?.lowercased() })
        #expect(shown.isDisjoint(with: rare.keys))
        #expect(ethnicity["rareLabels"] as? Int == rare.count)
        #expect(ethnicity["rareValues"] as? Int == rare.values.reduce(0, +))
        #expect(shown.count == counts.count - rare.count)
        // Every shown label maps under the pipeline (NHS codes read by first letter).
        for label in (ethnicity["labels"] as? [[String: Any]]) ?? [] { #expect(label["mapsTo"] as? String != nil) }
    }

    /// The draft for each fixture runs as written and gives the committed expected tables
    /// (the manifest differs only in the pipeline's name and hash).
    @Test(arguments: [("SampleData/casebook", "casebook-export"), ("SampleData/canonical", "referral-equity")])
    func draftRunsAndMatchesTheShippedPipeline(input: String, expected: String) throws {
        let folder = scratch()
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", input, "--draft-pipeline", draft])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        #expect(text.contains("# REVIEW"))
        if input == "SampleData/canonical" { try addingSampleLookup(text).write(toFile: draft, atomically: true, encoding: .utf8) }
        let run = try sprx(["run", "--pipeline", draft, "--input", input, "--out", folder + "/out", "--jobs", "2", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let validate = try sprx(["validate", "--expected", "SampleData/expected/\(expected)", "--actual", folder + "/out"])
        #expect(validate.stdout.contains("tables:    \(PublishedTable.layouts.count) equal, 0 different, 0 missing, 0 unexpected; manifest: 2 fields differ"), "\(validate.stdout)")
        #expect(validate.stdout.contains("pipeline.name") && validate.stdout.contains("pipeline.sha256"))
        // A draft never replaces a file.
        let again = try sprx(["inspect", "--input", input, "--draft-pipeline", draft])
        #expect(again.status == 73)
        #expect(try String(contentsOfFile: draft, encoding: .utf8) == (input == "SampleData/canonical" ? addingSampleLookup(text) : text))
    }
}

/// Exports sprx's run cannot read before its pipeline says how: inspect sniffs them and
/// the draft says so in `input:` (the syntax agreed for issue 16).
@Suite struct InspectForeignShapeTests {
    static let rows = ["Referral Ref\tGender\tDate of Referral", "ZQXR1\tMale\t05/07/2021", "ZQXR2\tFemale\t06/07/2021", "ZQXR3\tMale\t07/07/2021"]

    @Test func utf16TabExportFromAPipe() throws {
        let folder = scratch()
        let text = Self.rows.joined(separator: "\r\n") + "\r\n"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/export.csv"))
        // Read once through a pipe: sniffing must not lose the bytes it looked at.
        let result = try runCaptured("/bin/sh", ["-c", "\"$0\" inspect --input /dev/stdin --draft-pipeline \"$1\" < \"$2\"", try #require(sprxBinary), folder + "/draft.yaml", folder + "/export.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("UTF-16 LE (BOM), delimiter tab, line ends CRLF, 3 columns, 3 rows"), "\(result.stdout)")
        #expect(result.stdout.contains("'Gender' -> sex (suggested by header name)"))
        let draft = try String(contentsOfFile: folder + "/draft.yaml", encoding: .utf8)
        #expect(draft.contains("input:\n  delimiter: \"tab\"\n  encoding: utf-16\n"))
        #expect(draft.contains("formats: [\"DD/MM/YYYY\"]"))
        #expect(!result.stdout.contains("ZQX") && !draft.contains("ZQX"))
    }

    @Test func semicolonExportWithCROnlyLineEnds() throws {
        let folder = scratch()
        let text = Self.rows.map { $0.replacingOccurrences(of: "\t", with: ";") }.joined(separator: "\r") + "\r"
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/export.csv"))
        let result = try sprx(["inspect", "--input", folder + "/export.csv", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let file = try #require((report["files"] as? [[String: Any]])?.first)
        #expect(file["delimiter"] as? String == ";" && file["lineEnds"] as? String == "CR (classic Mac OS)" && file["rows"] as? Int == 3)
    }
}
