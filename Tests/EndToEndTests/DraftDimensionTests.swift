import Foundation
import SPRXTestSupport
import Testing

/// A dimension `sprx inspect --draft-pipeline` suggests is one `sprx run` publishes (issue
/// 26 item 1: inspect suggests dimensions for categorical columns it cannot map).
@Suite(.timeLimit(.minutes(10))) struct DraftDimensionTests {
    /// The draft of ``CarerExport`` runs as written and publishes `carer` in
    /// `route_type_by_group.csv` with the counts of a hand count of the export's rule:
    /// Y is i % 4 == 0 (50: 30 of them i < 120, so GP, medical; 20 Self), N is i % 4 of 1
    /// or 2 (100: 60 medical, 40 non-medical), and Unknown is i % 4 == 3 (48 "Unknown" and
    /// the 2 free-text values, which no level lists: 50, 30 medical, 20 non-medical). Every
    /// count is a multiple of 5, so rounding leaves it. The free-text values, the case
    /// notes and the keyworker codes appear in no stdout, stderr, draft or published table.
    @Test func draftedDimensionIsPublished() throws {
        let folder = scratch()
        let input = folder + "/carers.csv"
        try CarerExport.text().write(toFile: input, atomically: true, encoding: .utf8)
        let draft = folder + "/draft.yaml"
        let inspect = try sprx(["inspect", "--input", input, "--draft-pipeline", draft, "--reference-dir", "SampleData/reference"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let text = try String(contentsOfFile: draft, encoding: .utf8)
        #expect(text.contains("\n  carer:   # REVIEW: suggested from column \"Carer\""), "\(text)")
        // The guide's example is this draft's lines.
        let examples = try DocExamples.blocks(marked: "draft of: CarerExport")
        #expect(examples.count == 1)
        for block in examples { #expect(text.contains(block), "\(block)") }

        let out = folder + "/out"
        let run = try sprx(["run", "--pipeline", draft, "--input", input, "--out", out, "--reference-dir", "SampleData/reference"])
        #expect(run.status == 0, "\(run.stderr)")
        let table = try publishedRows(out + "/tables/route_type_by_group.csv")
        let column = Dictionary(uniqueKeysWithValues: table.header.enumerated().map { ($1, $0) })
        let (dimension, group, routeType, n, total) = try (
            #require(column["dimension"]), #require(column["group"]), #require(column["route_type"]), #require(column["n"]), #require(column["total"])
        )
        let carer = table.rows.filter { $0[dimension] == "carer" }.map { [$0[group], $0[routeType], $0[n], $0[total]] }
        #expect(
            carer == [
                ["No", "medical", "60", "100"], ["No", "non_medical", "40", "100"], ["No", "unknown", "0", "100"],
                ["Yes", "medical", "30", "50"], ["Yes", "non_medical", "20", "50"], ["Yes", "unknown", "0", "50"],
                ["Unknown", "medical", "30", "50"], ["Unknown", "non_medical", "20", "50"], ["Unknown", "unknown", "0", "50"],
            ], "\(carer)")

        var published = [inspect.stdout, inspect.stderr, text, run.stdout, run.stderr]
        let tables = try FileManager.default.contentsOfDirectory(atPath: out + "/tables")
        #expect(!tables.isEmpty)
        for name in tables + ["../manifest.json", "../report.html"] {
            published.append(try String(contentsOfFile: out + "/tables/" + name, encoding: .utf8))
        }
        for output in published {
            #expect(!output.contains("ZQXRARE") && !output.contains("ZQXNOTE") && !output.contains("KW00"))
        }
    }
}
