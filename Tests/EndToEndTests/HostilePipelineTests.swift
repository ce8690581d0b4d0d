import Foundation
import SPRXTestSupport
import Testing

/// Hostile configuration (issue 14, "Fail loudly"): pipelines and lookups that would
/// make a run mean nothing fail before publishing, with the documented status, a
/// message naming what is wrong, and the previous output untouched.
@Suite(.timeLimit(.minutes(10))) struct HostilePipelineTests {
    /// The default pipeline with each (old, new) edit applied, as `dir/pipeline.yaml`.
    private func pipelineFile(in dir: String, _ edits: [(String, String)] = []) throws -> String {
        try pipelineVariant(in: dir, edits, name: "pipeline.yaml")
    }

    /// A good previous output in `dir/out` and its manifest, to show a failed run leaves it.
    private func previousOutput(_ dir: String) throws -> (out: String, manifest: Data) {
        let out = dir + "/out"
        return (out, try copyPreviousOutput(to: out))
    }

    private func expectUntouched(_ previous: (out: String, manifest: Data), _ context: String) throws {
        let now = try Data(contentsOf: URL(fileURLWithPath: previous.out + "/manifest.json"))
        #expect(now == previous.manifest, "the previous output was replaced: \(context)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (previous.out as NSString).deletingLastPathComponent)
            .filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "partial output left: \(leftovers)")
    }

    // MARK: columns

    /// The example: a column alias that matches no header made every referral's
    /// sex Unknown, exit 0. Now exit 65 naming each unmatched field, its aliases and the
    /// file's headers, all in one message.
    @Test func aliasesMatchingNoHeaderFailNamingEveryFieldAtOnce() throws {
        let dir = scratch()
        let previous = try previousOutput(dir)
        let pipeline = try pipelineFile(in: dir, [("  sex: [sex]", "  sex: [gender, Sex Code]"), ("  ethnicity: [ethnicity]", "  ethnicity: [ethnic_group]")])
        let input = dir + "/extract.csv"
        try (header + "\n" + body(20)).write(toFile: input, atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", pipeline, "--input", input, "--out", previous.out, "--quiet"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("error[input.format]: \(input): line 1: header has no column for 2 mapped fields"), "\(result.stderr)")
        #expect(result.stderr.contains("'sex' as 'gender' or 'Sex Code'; 'ethnicity' as 'ethnic_group'"))
        #expect(result.stderr.contains("The file's header has 14 columns: 'referral_id', 'person_id', 'referral_date', 'age', 'sex', 'ethnicity',"))
        #expect(
            result.stderr.contains(
                "'organisation_id', 'notes'. Fix the pipeline's columns aliases, or list a field the export does not have under columns.optional"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one message")
        try expectUntouched(previous, "unmatched aliases")
    }

    /// Header names in the message come from the file: control characters are shown as
    /// `\xNN`, each name is cut to 40 scalars, the list to 40 names ("and N more"), so
    /// the message stays one short line whatever the header; memory stays small.
    @Test func headerNamesInTheMessageAreEscapedCutAndCapped() throws {
        let dir = scratch()
        let canonical = CSVTable.fields(header).filter { $0 != "organisation_id" && $0 != "notes" }  // 12 columns
        let evil = "evil\u{1}\u{1B}[31mred\u{7F}\u{2028}"
        let long = String(repeating: "L", count: 5000)
        let extra = [evil, long] + (1...58).map { "extra_\($0)" }  // 60 more: 72 columns
        let input = dir + "/extract.csv"
        let rows = (1...5).map { _ in "R1,P1,2024-03-01,40,F,White,E01000001,GP,Anxiety,Y,2,1" + String(repeating: ",x", count: extra.count) }
        try (((canonical + extra).map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",")) + "\n" + rows.joined(separator: "\n") + "\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let result = try sprxMeasured(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", input, "--out", dir + "/out", "--quiet"])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("header has no column for 1 mapped field: 'organisation_id' as 'organisation_id'."))
        #expect(result.stderr.contains("The file's header has 72 columns: 'referral_id',"))
        #expect(result.stderr.contains("'evil\\x01\\x1B[31mred\\x7F\\u{2028}'"), "\(result.stderr)")
        #expect(result.stderr.contains("'" + String(repeating: "L", count: 40) + "…'"))
        #expect(!result.stderr.contains(String(repeating: "L", count: 41)))
        #expect(result.stderr.contains("'extra_26', and 32 more."), "columns 41-72 are counted, not listed")
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control character reaches stderr")
        #expect(result.stderr.utf8.count < 2000, "\(result.stderr.utf8.count) bytes")
        #expect(result.peakKB < 200_000, "peak RSS \(result.peakKB) KB, bound 200 MB")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// The shipped pipeline declares no optional field, so a file without
    /// `organisation_id` fails; a pipeline that declares it optional reads the file.
    @Test func aFieldTheExportLacksMustBeDeclaredOptional() throws {
        let dir = scratch()
        let input = dir + "/extract.csv"
        let withoutOrganisation = header.replacingOccurrences(of: ",organisation_id", with: "")
        try (withoutOrganisation + "\n" + body(20).replacingOccurrences(of: ",U00001", with: "")).write(toFile: input, atomically: true, encoding: .utf8)
        let strict = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", input, "--out", dir + "/out", "--quiet"])
        #expect(strict.status == 65, "\(strict.stderr)")
        #expect(strict.stderr.contains("'organisation_id' as 'organisation_id'"))
        let pipeline = try pipelineFile(in: dir, [("columns:\n", "columns:\n  optional: [organisation_id]\n")])
        let lenient = try sprx(["run", "--pipeline", pipeline, "--input", input, "--out", dir + "/out", "--quiet"])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(try dataQuality(dir + "/out")["clean"] == "20")  // 20 rows written, all valid
    }

    @Test func aRequiredFieldCannotBeOptional() throws {
        let dir = scratch()
        let pipeline = try pipelineFile(in: dir, [("columns:\n", "columns:\n  optional: [person_id]\n")])
        let result = try sprx(["run", "--pipeline", pipeline, "--input", "SampleData/canonical", "--out", dir + "/out", "--quiet"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("key 'columns.optional'") && result.stderr.contains("'person_id' is required"))
    }

    // MARK: pipeline

    @Test(arguments: [
        ("labels: [Hospital, Secondary care,", "labels: [Hospital, gp , Secondary care,", "routes.secondary_care.labels"),
        ("female: [F, Female, \"2\"]", "female: [F, Female, \"2\", \"MALE\"]", "labels.sex.male"),
    ])
    func aLabelMappedToTwoValuesIsAnInvalidPipeline(old: String, new: String, keyPath: String) throws {
        let dir = scratch()
        let previous = try previousOutput(dir)
        let pipeline = try pipelineFile(in: dir, [(old, new)])
        let result = try sprx(["run", "--pipeline", pipeline, "--input", "SampleData/canonical", "--out", previous.out, "--quiet"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("error[pipeline.invalid]: \(pipeline): line "))
        #expect(result.stderr.contains("key '\(keyPath)': expected each label under one value only"), "\(result.stderr)")
        try expectUntouched(previous, keyPath)
    }

    /// The aggregation key once held 5 bits of age band: on a864057's parent 32 bands
    /// published Unknown ages under band 0, on a864057 they were refused (78). The key's
    /// widths now come from the pipeline (``GroupKeySchema``), so 32 bands publish each
    /// referral in its band (see also `GroupKeyRunTests` for 40).
    @Test func ageBandsPastThirtyOnePublishInTheirOwnBands() throws {
        let dir = scratch()
        let bands = { (n: Int) in ((0..<(n - 1)).map { "\"\($0)-\($0)\"" } + ["\"\(n - 1)+\""]).joined(separator: ", ") }
        let defaultBands = "age_bands: [\"0-17\", \"18-24\", \"25-34\", \"35-44\", \"45-54\", \"55-64\", \"65-74\", \"75-84\", \"85+\"]"
        let input = dir + "/extract.csv"
        // Hand count: 20 referrals aged 40 (band "31+" of 32), 10 with no age (Unknown).
        try (header + "\n" + body(20) + (21...30).map { row($0, age: "") }.joined(separator: "\n") + "\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let noReference = ("    age_band: \"45-54\"\n", "")
        let thirtyTwo = try pipelineFile(in: dir, [(defaultBands, "age_bands: [\(bands(32))]"), noReference])
        let accepted = try sprx(["run", "--pipeline", thirtyTwo, "--input", input, "--out", dir + "/out", "--quiet"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let table = try String(contentsOfFile: dir + "/out/tables/route_type_by_group.csv", encoding: .utf8)
        #expect(table.contains("\nage_band,31+,medical,20,20,"), "all 20 aged 40 in band 31+")
        #expect(table.contains("\nage_band,Unknown,medical,10,10,"), "the 10 without an age are Unknown, not band 0-0")
        #expect(!table.contains("\nage_band,0-0,"))
    }

    /// A misspelt pipeline path was an NSCocoaErrorDomain dump; now one line, exit 78
    /// (a fault of the run's configuration, like every pipeline error).
    @Test func aMisspeltPipelinePathIsOneLine() throws {
        let dir = scratch()
        let result = try sprx(["run", "--pipeline", "Pipelines/referal-equity.yaml", "--input", "SampleData/canonical", "--out", dir + "/out"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr == "sprx: error[pipeline.invalid]: Pipelines/referal-equity.yaml: cannot read pipeline file: no such file or directory\n")
        let validate = try sprx(["validate", "--expected", dir, "--actual", dir, "--pipeline", dir])
        #expect(validate.status == 78)
        #expect(validate.stderr.hasSuffix("cannot read pipeline file: it is a folder, not a file\n"), "\(validate.stderr)")
    }

    // MARK: reference lookups

    static let goodIMD = "area_code,decile\nE01000001,9\nE01000002,3\n"
    static let goodRUC = "area_code,ruc_name,urban_rural\nE01000001,Urban major conurbation,Urban\nE01000002,Rural village,Rural\n"

    /// (case, imd.csv bytes or nil for no file, what stderr must say)
    static let badLookups: [(String, [UInt8]?, [String])] = [
        (
            "area twice, different deciles", Array((goodIMD + "E01000001,2\n").utf8),
            ["imd.csv: line 4: column 'area_code': area listed twice (first on line 2)"]
        ),
        ("area twice, equal deciles", Array((goodIMD + "E01000002,3\n").utf8), ["imd.csv: line 4: column 'area_code': area listed twice (first on line 3)"]),
        ("empty area", Array("area_code,decile\nE01000001,9\n,4\n".utf8), ["imd.csv: line 3: column 'area_code': row has an empty area code"]),
        ("header only", Array("area_code,decile\n".utf8), ["/imd.csv: line 2: reference lookup has a header but no rows"]),
        ("missing", nil, ["/imd.csv: cannot read reference lookup: no such file or directory"]),
        (
            "corrupt gzip", [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03] + Array("not deflate data, not at all".utf8),
            ["/imd.csv", "reference lookup cannot be read (input.corrupt)"]
        ),
        (
            "truncated gzip", Array(gzip(goodIMD + String(repeating: "E01000003,1\n", count: 1)).prefix(20)),
            ["/imd.csv", "reference lookup cannot be read (input.corrupt)"]
        ),
    ]

    /// The README promises 78 for a bad reference lookup; on main these exited 0 (a
    /// repeated area, an empty area, a header-only lookup), 65 (corrupt gzip) or 66
    /// (missing file). (An empty, 0-byte lookup was already 78.)
    @Test(arguments: 0..<badLookups.count)
    func aBadReferenceLookupIsInvalidReference(index: Int) throws {
        let (name, bytes, expected) = Self.badLookups[index]
        let dir = scratch()
        let previous = try previousOutput(dir)
        try FileManager.default.createDirectory(atPath: dir + "/reference", withIntermediateDirectories: true)
        if let bytes { FileManager.default.createFile(atPath: dir + "/reference/imd.csv", contents: Data(bytes)) }
        try Self.goodRUC.write(toFile: dir + "/reference/ruc.csv", atomically: true, encoding: .utf8)
        var yaml = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
        let enrichStart = try #require(yaml.range(of: "enrich:\n"))
        let enrichEnd = try #require(yaml.range(of: "  age_bands:"))
        yaml.replaceSubrange(
            enrichStart.upperBound..<enrichEnd.lowerBound,
            with: """
                  reference_dir: \(dir)/reference
                  deprivation:
                    England: {file: imd.csv, edition: "test IMD"}
                  rurality:
                    England: {file: ruc.csv, edition: "test RUC"}

                """)
        try yaml.write(toFile: dir + "/pipeline.yaml", atomically: true, encoding: .utf8)
        let input = dir + "/extract.csv"
        try (header + "\n" + body(20)).write(toFile: input, atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", dir + "/pipeline.yaml", "--input", input, "--out", previous.out, "--quiet"])
        #expect(result.status == 78, "\(name): \(result.stderr)")
        #expect(result.stderr.hasPrefix("sprx: error[reference.invalid]: "), "\(name): \(result.stderr)")
        for text in expected { #expect(result.stderr.contains(text), "\(name): \(result.stderr)") }
        try expectUntouched(previous, name)
    }
}
