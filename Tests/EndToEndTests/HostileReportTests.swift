import Foundation
import SPRXTestSupport
import Testing

/// Hostile text in the data reaches the report only as text (issue 14, "Leaks" and
/// "A report whose numbers can be trusted").
///
/// A referral-source label written as markup (`<img src=x onerror=alert(1)>|*x*`, common
/// enough to be published once unmapped labels follow outputs-v2) and a file name with
/// Markdown and HTML specials go through a real run. report.md must show them as text
/// (every `<` and `>` backslash-escaped, no raw tag), report.html must escape them, and
/// the report's data-quality figures must be data_quality.csv's `all` row, not a sum.
@Suite(.timeLimit(.minutes(10))) struct HostileReportTests {
    static let label = "<img src=x onerror=alert(1)>|*x*"
    static let fileName = "r<i>x|*y*_.csv"

    /// Reads a CSV into rows of cells, the header first.
    static func hostileReportCSV(_ path: String) throws -> [[String]] { CSVTable.records(try String(contentsOfFile: path, encoding: .utf8)) }

    @Test func hostileLabelAndFileNameAreShownAsText() throws {
        let dir = scratch()
        let input = dir + "/in"
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        var rows = (1...20).map { row($0) }
        for id in 21...32 { rows.append("R\(id),P\(id),2024-03-01,40,F,White,E01000001,\(Self.label),Anxiety,Y,2,1,U00001,") }
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(toFile: input + "/" + Self.fileName, atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try sprxMeasured(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", input, "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.peakKB < 300_000, "peak RSS \(result.peakKB) KB over the 300 MB bound")
        // Nothing outside the output folder was touched: the input folder holds only its file.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: input)) == [Self.fileName])

        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let unescaped = md.replacingOccurrences(of: "\\<", with: "").replacingOccurrences(of: "\\>", with: "")
        #expect(!unescaped.contains("<") && !unescaped.contains(">"), "report.md holds a raw < or >")
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(!html.contains("<img") && !html.contains("<i>"))

        // Once data_quality.csv is long (outputs-v2), the report shows its file names and
        // `all` figures exactly, escaped; once unmapped_labels.csv exists, its labels too.
        let quality = try Self.hostileReportCSV(out + "/tables/data_quality.csv")
        if quality.first == ["file", "measure", "value"] {
            #expect(md.contains("| r\\<i\\>x\\|\\*y\\*\\_.csv | 32 | 32 | 0 | 0 |"))
            #expect(md.contains("| All files | 32 | 32 | 0 | 0 |"))
            #expect(html.contains("r&lt;i&gt;x|*y*_.csv"))
            let unmapped = quality.first { $0[0] == "all" && $0[1] == "unmapped:referral_source" }?[2]
            #expect(unmapped == "12")
            #expect(md.contains("| Referral source | 12 |"))
        }
        if FileManager.default.fileExists(atPath: out + "/tables/unmapped_labels.csv") {
            #expect(md.contains("| Referral source | \\<img src=x onerror=alert(1)\\>\\|\\*x\\* | 10 |"))
            #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;|*x*"))
        }
    }
}
