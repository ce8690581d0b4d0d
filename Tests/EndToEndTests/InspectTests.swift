import Foundation
import SPRXCore
import SPRXIngest
import SPRXTestSupport
import Testing

/// `sprx inspect` on the two fixtures, as a user runs it: fields mapped, no identifier
/// or free text printed, rare labels counted not shown, and a draft pipeline that
/// `sprx run` accepts and that reproduces the committed expected tables.
@Suite(.timeLimit(.minutes(10))) struct InspectTests {
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
        #expect(
            validate.stdout.contains("tables:    \(PublishedTables.schemas.count) equal, 0 different, 0 missing, 0 unexpected; manifest: 2 fields differ"),
            "\(validate.stdout)")
        #expect(validate.stdout.contains("pipeline.name") && validate.stdout.contains("pipeline.sha256"))
        // A draft never replaces a file.
        let again = try sprx(["inspect", "--input", input, "--draft-pipeline", draft])
        #expect(again.status == 73)
        #expect(try String(contentsOfFile: draft, encoding: .utf8) == (input == "SampleData/canonical" ? addingSampleLookup(text) : text))
    }

    /// The review mark appears only where a guess needs review, so once a user has
    /// deleted every mark, `grep REVIEW` finds nothing (the header explains the mark
    /// without writing it); and the draft shows the `report:` keys as a commented
    /// example that, uncommented, runs and puts its title on the report.
    @Test func reviewMarksOnlyOnGuessesAndAReportExample() throws {
        let folder = scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", "SampleData/casebook", "--draft-pipeline", draft])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines.prefix { !$0.hasPrefix("version:") }
        #expect(!header.isEmpty && !header.contains { $0.contains("REVIEW") }, "\(header)")
        // A user's edit: delete each mark (from `# REVIEW` to the end of its line; a line
        // that is only a mark goes). Every occurrence of the word must go with them.
        let marked = lines.filter { $0.contains("REVIEW") }
        #expect(!marked.isEmpty)
        let edited = lines.compactMap { line -> String? in
            guard let mark = line.range(of: "# REVIEW") else { return line }
            let kept = String(line[..<mark.lowerBound])
            return kept.trimmingCharacters(in: .whitespaces).isEmpty ? nil : kept
        }
        #expect(edited.filter { $0.contains("REVIEW") }.isEmpty, "\(edited.filter { $0.contains("REVIEW") })")
        // The commented `report:` example, uncommented, is a valid section the report reads.
        #expect(text.contains("\n# report:\n#   title: ") && text.contains("\n#   organisation: "))
        let uncommented = edited.map { line in
            line.hasPrefix("# report:") || line.hasPrefix("#   title:") || line.hasPrefix("#   organisation:") ? String(line.dropFirst(2)) : line
        }.joined(separator: "\n")
        try uncommented.write(toFile: draft, atomically: true, encoding: .utf8)
        let run = try sprx(["run", "--pipeline", draft, "--input", "SampleData/casebook", "--out", folder + "/out", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try String(contentsOfFile: folder + "/out/report.md", encoding: .utf8)
        #expect(report.contains("Social prescribing referrals, 2024/25") && report.contains("Our social prescribing service"))
    }
}

/// Exports sprx's run cannot read before its pipeline says how: inspect sniffs them and
/// the draft says so in `input:` (the syntax agreed for issue 16).
@Suite(.timeLimit(.minutes(10))) struct InspectForeignShapeTests {
    static let rows = ["Referral Ref\tGender\tDate of Referral", "ZQXR1\tMale\t05/07/2021", "ZQXR2\tFemale\t06/07/2021", "ZQXR3\tMale\t07/07/2021"]

    @Test func utf16TabExportFromAPipe() throws {
        let folder = scratch()
        let text = Self.rows.joined(separator: "\r\n") + "\r\n"
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/export.csv"))
        // Read once through a pipe: sniffing must not lose the bytes it looked at.
        let result = try runCaptured(
            "/bin/sh",
            [
                "-c", "\"$0\" inspect --input /dev/stdin --draft-pipeline \"$1\" < \"$2\"", try #require(sprxBinary), folder + "/draft.yaml",
                folder + "/export.csv",
            ])
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

/// Issue 24 item 8: `inspect` follows `run`'s privacy rules. Identifiers and free text
/// are fed through every column, mapped and unmapped, and through a file without a
/// header row; neither stdout, `--json`, the draft nor the draft's check on stderr may
/// hold any of them.
@Suite(.timeLimit(.minutes(10))) struct InspectPrivacyTests {
    /// NHS numbers with a valid modulus-11 check digit (NHS Data Dictionary, "NHS
    /// number": weights 10..2, 11 - sum mod 11), checked by ``nhsCheckDigitIsValid``.
    static let nhsNumbers = ["9434765919", "4010232137"]
    /// Identifiers and free text a stray hand puts into any column of an export.
    static let secrets =
        nhsNumbers + [
            "SW1A 1AA", "M1 1AE", "Bartholomew Quigley", "jane.doe@example.com", "07700 900123", "0161 496 0000",
            "Dr Jane Doe 9434765919 SW1A 1AA", "GP says lives alone, daughter Susan visits Tuesdays",
        ]
    /// Distinctive pieces of the secrets: none may appear anywhere.
    static let pieces = ["9434765919", "4010232137", "SW1A", "M1 1AE", "Quigley", "jane.doe", "example.com", "900123", "496 0000", "Jane Doe", "Susan"]

    static func nhsCheckDigitIsValid(_ number: String) -> Bool {
        let digits = number.compactMap(\.wholeNumberValue)
        guard digits.count == 10 else { return false }
        let sum = zip(digits.prefix(9), (2...10).reversed()).reduce(0) { $0 + $1.0 * $1.1 }
        let check = (11 - sum % 11) % 11
        return check != 10 && check == digits[9]
    }

    static let header = [
        "Referral ID", "Client ID", "Referral Date", "Age", "Gender", "Ethnicity", "LSOA", "Referred By",
        "Reason", "Contacted", "Contacts", "Interventions", "Practice Code", "Notes", "NHS Number",
    ]

    /// 64 ordinary referrals (every label seen at least 8 times), then one row per secret
    /// per column with the secret in that column, and each secret three times more in the
    /// referral source column (3 < 8: still rare).
    static func rows() -> [[String]] {
        var rows: [[String]] = []
        let sexes = ["Male", "Female"], sources = ["GP", "Self", "Social Services", "Hospital"]
        let reasons = ["Loneliness", "Debt"], contacted = ["Yes", "No"]
        for i in 0..<64 {
            rows.append([
                "R\(1000 + i)", "P\(500 + i / 2)", String(format: "%02d/03/2024", i % 28 + 1), String(20 + i % 8), sexes[i % 2],
                ["White British", "Asian"][i % 2], ["E01008881", "E01008882", "E01010108", "E01010109"][i % 4], sources[i % 4],
                reasons[i % 2], contacted[i % 2], String(i % 6), String(i % 3), "M85001", "ok", "",
            ])
        }
        var n = 0
        for secret in secrets {
            for column in header.indices {
                var row = rows[n % 64]
                row[0] = "S\(n)"
                row[column] = secret
                rows.append(row)
                n += 1
            }
            for _ in 0..<3 {
                var row = rows[n % 64]
                row[0] = "S\(n)"
                row[7] = secret
                rows.append(row)
                n += 1
            }
        }
        return rows
    }

    static func csv(_ rows: [[String]]) -> String {
        rows.map { $0.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    @Test func noIdentifierOrFreeTextInStdoutJSONOrDraft() throws {
        for number in Self.nhsNumbers { #expect(Self.nhsCheckDigitIsValid(number), "\(number) is a valid NHS number") }
        let folder = scratch()
        let rows = Self.rows()
        try Self.csv([Self.header] + rows).write(toFile: folder + "/export.csv", atomically: true, encoding: .utf8)
        // The first data row starts with a secret: a file without a header row.
        let headerless = [rows[64 + 1]] + rows
        try Self.csv(headerless).write(toFile: folder + "/headerless.csv", atomically: true, encoding: .utf8)
        var outputs: [String] = []
        for file in ["export.csv", "headerless.csv"] {
            let draft = folder + "/\(file).yaml"
            let text = try sprx(["inspect", "--input", folder + "/" + file, "--draft-pipeline", draft])
            #expect(text.status == 0, "\(text.stderr)")
            let json = try sprx(["inspect", "--input", folder + "/" + file, "--json"])
            #expect(json.status == 0, "\(json.stderr)")
            outputs += [text.stdout, text.stderr, json.stdout, try String(contentsOfFile: draft, encoding: .utf8)]
            if file == "export.csv" {
                // Judged against its own draft: the clean stage's counts, still no value.
                let judged = try sprx(["inspect", "--input", folder + "/" + file, "--pipeline", draft])
                outputs += [judged.stdout, judged.stderr]
                #expect(judged.stdout.contains("Under the pipeline's clean stage"), "\(judged.stdout)\(judged.stderr)")
                // contacts: 0-5, each at least 8 times, and one NHS number: the top end is
                // "over 5" (5 is the value 8 values reach; hand count of rows()).
                #expect(text.stdout.contains("range 0 to over 5"), "\(text.stdout)")
            } else {
                #expect(text.stdout.contains("\(Self.header.count) columns"))
                #expect(text.stdout.contains("no header row"))
                for block in try DocExamples.blocks(marked: "output of: the headerless file") { #expect(text.stdout.contains(block), "\(block)") }
            }
        }
        for output in outputs {
            for piece in Self.pieces { #expect(!output.contains(piece), "'\(piece)' is printed or drafted") }
        }
    }
}

/// Issue 24 items 2-4: a draft runs on the file it was drafted from. The referral id is
/// chosen from its values ("Case Number": all distinct), ages written `unknown` / `N/K`
/// are drafted under `missing_values`, the catchment is the local authorities holding
/// the referrals, and the intervention models are left out when there is no such column.
@Suite(.timeLimit(.minutes(10))) struct InspectDraftRunsTests {
    @Test func caseNumberUnknownAgesAndALocalCatchment() throws {
        let folder = scratch()
        // Hand-built: 80 referrals; ages 30-69 except 12 `unknown`, 9 `N/K`, 3 `-` and one 150.
        // Areas: 60 in Birmingham (E01008881-4), 20 in Solihull (E01010108-9), per the
        // reference lookup's lad19_name column.
        var lines = ["Case Number,Client,Date Received,Age,Gender,LSOA,Referred By,Contacts"]
        for i in 0..<80 {
            let age: String
            switch i {
            case 0..<12: age = "unknown"
            case 12..<21: age = "N/K"
            case 21..<24: age = "-"
            case 24: age = "150"
            default: age = String(30 + i % 40)
            }
            let area = i < 60 ? ["E01008881", "E01008882", "E01008883", "E01008884"][i % 4] : ["E01010108", "E01010109"][i % 2]
            lines.append(
                "CN\(7000 + i * 7),P\(100 + i / 2),\(String(format: "%02d", i % 28 + 1))/05/2024,\(age),\(["M", "F"][i % 2]),\(area),\(["GP", "Self"][i % 2]),\(i % 4)"
            )
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/export.csv", atomically: true, encoding: .utf8)
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", folder + "/export.csv", "--draft-pipeline", draft])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        #expect(text.contains("  referral_id: [\"Case Number\"]   # REVIEW: chosen from the values"), "\(text)")
        // 12 + 9 = 21 proposed; `-` is seen 3 times (< 8): not written, counted.
        #expect(text.contains("missing_values:\n  age: [\"unknown\", \"N/K\"]   # REVIEW: 21 values"), "\(text)")
        #expect(text.contains("catchment: {local_authorities: [\"Birmingham\", \"Solihull\"]}   # REVIEW"))
        #expect(text.contains("#   Birmingham (E08000025): 75.0%") && text.contains("#   Solihull (E08000029): 25.0%"))
        #expect(!text.contains("name: any_intervention") && !text.contains("name: interventions"))
        #expect(text.contains("any_intervention (its outcome needs interventions, not in the export)"))
        // The draft's check: 3 `-` and one 150 are quarantined (hand count: 4 of 80).
        #expect(inspect.stderr.contains("under the draft, 4 of 80 rows would be quarantined"), "\(inspect.stderr)")
        #expect(inspect.stderr.contains("4 invalid_age (age)"))
        #expect(!inspect.stderr.contains("would NOT run"))
        // The guide's examples are this draft's lines.
        let examples = try DocExamples.blocks(marked: "draft of: the 80-referral export")
        #expect(examples.count == 2)
        for block in examples { #expect(text.contains(block), "\(block)") }
        // And it runs, as drafted, on its own file.
        let run = try sprx(["run", "--pipeline", draft, "--input", folder + "/export.csv", "--out", folder + "/out", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        // Under the draft, inspect --pipeline says the same per field.
        let judged = try sprx(["inspect", "--input", folder + "/export.csv", "--pipeline", draft])
        #expect(judged.stdout.contains("80 rows read: 76 clean, 4 quarantined"), "\(judged.stdout)")
        // And its per-column line agrees: of the 25 ages not accepted, the draft lists the
        // 21 `unknown` and `N/K`; the 3 `-` and the 150 are quarantined (hand count).
        #expect(
            judged.stdout.contains(
                "      25 values are not a whole number from 0 to 120: 21 listed under the pipeline's missing_values become Unknown; a run quarantines 4 referrals (invalid_age)"
            ), "\(judged.stdout)")
    }

    /// Contacts past the plausibility bound (1,000 per referral) are counted per field by
    /// `inspect --pipeline` and quarantined by the run as `implausible_contacts`, so the
    /// contacts model still fits (issue 24 audit: one `999999999` made it "not fitted").
    /// Hand-built: 60 referrals, contacts 0-5 (10 each) but row 7 `999999999` and row 19
    /// `1001`, interventions `1500` in row 30: 3 quarantined, 57 clean.
    @Test func countsPastTheirBoundAreQuarantinedWithTheirOwnReason() throws {
        let folder = scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines = [
            "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id"
        ]
        for i in 0..<60 {
            let contacts = i == 7 ? "999999999" : i == 19 ? "1001" : String(i % 6)
            let interventions = i == 30 ? "1500" : String(i % 3)
            lines.append(
                "R\(i),P\(i),2024-05-\(String(format: "%02d", i % 28 + 1)),\(30 + i % 40),\(["F", "M"][i % 2]),White,E01008881,\(["GP", "Self"][i % 2]),Anxiety,Y,\(contacts),\(interventions),U00001"
            )
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: folder + "/export.csv", atomically: true, encoding: .utf8)
        let pipeline = "\(packageRoot)/Pipelines/referral-equity.yaml"
        let judged = try sprx(["inspect", "--input", folder + "/export.csv", "--pipeline", pipeline])
        #expect(judged.status == 0, "\(judged.stderr)")
        #expect(judged.stdout.contains("60 rows read: 57 clean, 3 quarantined"), "\(judged.stdout)")
        #expect(judged.stdout.contains("       2  implausible_contacts (contacts): contacts is a whole number over 1,000"), "\(judged.stdout)")
        #expect(judged.stdout.contains("       1  implausible_interventions (interventions): interventions is a whole number over 1,000"))
        #expect(
            judged.stdout.contains(
                "      2 values are not a whole number from 0 to 1,000: a run quarantines 2 referrals over 1,000 (implausible_contacts)"),
            "\(judged.stdout)")
        #expect(!judged.stdout.contains("999999999"), "no extreme value is printed")
        let run = try sprx(["run", "--pipeline", pipeline, "--input", folder + "/export.csv", "--out", folder + "/out"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("60 rows read: 57 clean, 0 duplicate, 3 quarantined"), "\(run.stderr)")
        let quality = try String(contentsOfFile: folder + "/out/tables/data_quality.csv", encoding: .utf8)
        #expect(quality.contains("all,quarantined:implausible_contacts,2\n") && quality.contains("all,quarantined:implausible_interventions,1\n"))
        #expect(quality.contains("all,quarantined:invalid_contacts,0\n"))
        #expect(!run.stderr.contains("999999999"))
    }
}

/// The example outputs quoted in docs/user-guide.md from the test suite's own exports,
/// each under a `<!-- output of: … -->` or `<!-- draft of: … -->` line: the current build
/// must print them (issue 24: "the docs' example outputs are produced by the current
/// build"). The guide's `sprx` commands are ```console blocks, run by DocsCommandsTests.
enum DocExamples {
    static let path = "\(packageRoot)/docs/user-guide.md"

    /// Each fenced block after a marker line, with the marker's text.
    static func marked() throws -> [(marker: String, block: String)] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        var out: [(String, String)] = []
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard lines[i].hasPrefix("<!-- "), lines[i].hasSuffix(" -->"), i + 1 < lines.count, lines[i + 1].hasPrefix("```") else { continue }
            let marker = String(lines[i].dropFirst(5).dropLast(4))
            var body: [String] = []
            var j = i + 2
            while j < lines.count, !lines[j].hasPrefix("```") { body.append(lines[j]); j += 1 }
            out.append((marker, body.joined(separator: "\n")))
            i = j
        }
        return out
    }

    /// The blocks whose marker starts with `prefix`.
    static func blocks(marked prefix: String) throws -> [String] { try marked().filter { $0.marker.hasPrefix(prefix) }.map(\.block) }
}
