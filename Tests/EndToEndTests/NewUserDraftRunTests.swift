import Foundation
import SPRXTestSupport
import Testing

/// The second new-user trial (/work/newuser2.md) end to end: the draft of a Welsh
/// service's export holds no staff name and reads "N/K" as not known, and a spreadsheet's
/// rows of delimiters only are blank lines. Counts are by hand from the rows written.
@Suite(.timeLimit(.minutes(10))) struct NewUserDraftRunTests {
    /// Every file under `folder` but the quarantine (which keeps raw rows by design), as text.
    static func publishedTexts(_ folder: String) throws -> [(String, String)] {
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return files.filter { !$0.hasPrefix("quarantine") }.compactMap { name in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
            return (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)).map { (name, $0) }
        }
    }

    /// `sprx inspect --draft-pipeline` on ``WelshExport``: stderr names the two columns of
    /// names, the date of birth and the provision left out (headers only); the draft runs
    /// as written, every one of the 80 rows clean (the 10 "Not Known" sessions are listed
    /// as missing), no contacted label unmapped (N/K and "Not known" are listed as
    /// unknown), and no name reaches stdout, stderr, the draft or any published file.
    @Test func theDraftOfAWelshExportRunsWithoutNames() throws {
        let folder = scratch()
        let input = folder + "/export.csv"
        try WelshExport.text().write(toFile: input, atomically: true, encoding: .utf8)
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", input, "--draft-pipeline", draft, "--reference-dir", "SampleData/reference"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stderr.contains("sprx: Column \"Link Worker\" looks like names of people"), "\(inspect.stderr)")
        #expect(inspect.stderr.contains("sprx: Column \"Contact Lead\" looks like names of people"))
        #expect(inspect.stderr.contains("sprx: Column \"Client DOB\" looks like a date of birth"))
        #expect(inspect.stderr.contains("none in England: a draft leaves out England's link worker provision files"))
        let text = try String(contentsOfFile: draft, encoding: .utf8)

        let out = folder + "/out"
        let run = try sprx(["run", "--pipeline", draft, "--input", input, "--out", out, "--reference-dir", "SampleData/reference"])
        #expect(run.status == 0, "\(run.stderr)")
        let quality = try publishedRows(out + "/tables/data_quality.csv")
        func measure(_ name: String) -> String? { quality.rows.first { $0.prefix(2) == ["all", name] }?[2] }
        #expect(measure("rows_read") == "80")
        #expect(measure("clean") == "80")
        #expect(measure("quarantined") == "0")
        #expect(measure("unmapped:contacted") == nil || measure("unmapped:contacted") == "0", "\(quality.rows)")

        var outputs = [("inspect stdout", inspect.stdout), ("inspect stderr", inspect.stderr), ("draft", text), ("run stderr", run.stderr)]
        outputs += try Self.publishedTexts(out)
        #expect(outputs.count > 10)
        for (name, output) in outputs {
            for person in WelshExport.names { #expect(!output.contains(person), "\(person) in \(name)") }
            #expect(output.range(of: #"\d\d/\d\d/19\d\d"#, options: .regularExpression) == nil, "a date of birth in \(name)")
        }
    }

    /// Rows of delimiters only, in the middle of a file and as Excel's trailing rows, are
    /// blank lines, in a plain file and in a gzip (compressed by the system `gzip`):
    /// hand count of the file below: 3 rows read, all clean, none quarantined; blank lines
    /// 1 (mid-file) + 3 (trailing, CRLF) = 4, plus 1 empty line = 5.
    @Test(arguments: [false, true])
    func rowsOfDelimitersAreBlankLines(gzipped: Bool) throws {
        let dir = scratch()
        let delimiters = String(repeating: ",", count: 12)
        let text =
            RowsAndMissingValuesTests.header + RowsAndMissingValuesTests.rows(1...1) + delimiters + "\n" + RowsAndMissingValuesTests.rows(2...2)
            + "\n" + RowsAndMissingValuesTests.rows(3...3) + String(repeating: delimiters + "\r\n", count: 3)
        let path = dir + (gzipped ? "/export.csv.gz" : "/export.csv")
        if gzipped {
            try Data(try RowsAndMissingValuesTests.systemGzip(text, in: dir)).write(to: URL(fileURLWithPath: path))
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", path, "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try RowsAndMissingValuesTests.quality(out, "rows_read") == 3)
        #expect(try RowsAndMissingValuesTests.quality(out, "clean") == 3)
        #expect(try RowsAndMissingValuesTests.quality(out, "quarantined") == 0)
        #expect(try RowsAndMissingValuesTests.quality(out, "blank_lines") == 5)
    }
}
