import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import SPRXPublish
import SPRXRunner
import SPRXTestSupport
import Testing

@testable import SPRXReport

/// The report's structure for a board pack (issue 25, items 1 and 6): page 1 is one
/// `section#summary` with title, organisation, period, as-of date, headline figures and
/// findings; then one section per question, each opening with its finding; references;
/// the appendix last, with the reference-file table.
@Suite(.timeLimit(.minutes(10))) struct ReportStructureTests {
    /// The sample fixture's context with a title, an organisation and an as-of date.
    static let boardContext: ReportContext = {
        var context = fixtureContext
        context.title = "Social prescribing in Anytown: referrals 2019 to 2024"
        context.organisation = "Anytown Primary Care Network"
        context.asOf = "2025-01-15"
        return context
    }()
    static let html = Report.html(tables: fixtureTables, context: boardContext)
    static let markdown = Report.markdown(tables: fixtureTables, context: boardContext)

    /// Where `needle` first occurs in `text` (distance from its start), `nil` when absent.
    static func offset(_ needle: String, in text: String) -> Int? {
        text.range(of: needle).map { text.distance(from: text.startIndex, to: $0.lowerBound) }
    }

    /// The text of the element that starts at `open` (up to its matching `</section>`, not nested).
    static func section(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "<section id=\"\(id)\"") else { return nil }
        var depth = 0
        var index = start.lowerBound
        while index < html.endIndex {
            if html[index...].hasPrefix("<section") { depth += 1 }
            if html[index...].hasPrefix("</section>") {
                depth -= 1
                if depth == 0 { return String(html[start.lowerBound..<html.index(index, offsetBy: "</section>".count)]) }
            }
            index = html.index(after: index)
        }
        return nil
    }

    @Test func pageOneIsTheSummaryWithTitleOrganisationPeriodAndAsOf() throws {
        let html = Self.html
        // The summary is the first thing in <main>.
        #expect(html.contains("<main><section id=\"summary\""))
        let summary = try #require(Self.section("summary", in: html))
        #expect(summary.contains("<h1 id=\"summary-h\">Social prescribing in Anytown: referrals 2019 to 2024</h1>"))
        #expect(summary.contains("Anytown Primary Care Network"))
        // The fixture context's period and the as-of date given.
        #expect(summary.contains("Referrals dated 2019-01-02 to 2024-12-30"))
        #expect(summary.contains("as of 2025-01-15"))
        // Headline figures: 3 to 5 cards, and 3 to 6 findings.
        let cards = summary.components(separatedBy: "<div class=\"card\">").count - 1
        #expect((3...5).contains(cards), "\(cards) cards")
        let findings = summary.components(separatedBy: "<li>").count - 1
        #expect((3...6).contains(findings), "\(findings) findings")
        // Bu et al. is named as a labelled comparison, not as a finding of this data.
        #expect(summary.contains("Compared with: Bu et al. (2024)"))
        // The 15-row reference-file table is not on page 1.
        #expect(!summary.contains("imd2019_england_lsoa11.csv.gz"))
        #expect(html.contains("<title>Social prescribing in Anytown: referrals 2019 to 2024: Anytown Primary Care Network</title>"))
    }

    /// Each page-1 share has its interval. The medical share's interval is the published
    /// row's (route_type_by_group.csv, all/all/medical); the contact share's is the 95%
    /// Wilson interval of the published counts, checked against a hand calculation.
    @Test func findingsCarryTheirIntervals() throws {
        let numbers = ReportNumbers(tables: fixtureTables)
        let pathway = try #require(numbers.pathway.first([.dimension: "all", .group: "all", .routeType: "all"]))
        let n = try #require(pathway[PathwayColumn.contacted].count), total = try #require(pathway[PathwayColumn.referred].count)
        // Wilson (1927): centre (p + z²/2n)/(1 + z²/n), half-width z·√(p(1−p)/n + z²/4n²)/(1 + z²/n), z = 1.959964.
        let p = Double(n) / Double(total), z = 1.959964, nn = Double(total)
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot() / (1 + z * z / nn)
        let share = try #require(Report.pathwayShare(numbers, .contacted))
        #expect(abs(share.low - 100 * (centre - half)) < 1e-6 && abs(share.high - 100 * (centre + half)) < 1e-6)
        let finding = try #require(Report.pathwayFindings(numbers).first)
        #expect(
            finding.here.contains(
                "reached a link worker (95% interval \(Report.sayInterval(100 * (centre - half), 100 * (centre + half), of: Double(total))!))"))
        let route = try #require(Report.routeFinding(numbers))
        let medical = try #require(numbers.routeType.first([.dimension: "all", .group: "all", .category: "medical"]))
        let low = try #require(medical[ShareColumn.ciLow].value), high = try #require(medical[ShareColumn.ciHigh].value)
        #expect(route.here.contains("(95% interval \(Report.sayInterval(low, high, of: medical[ShareColumn.total].value)!))"))
    }

    @Test func questionsComeInOrderEachOpeningWithItsFinding() throws {
        let html = Self.html
        let order = ["summary", "who", "reach", "trends", "organisations", "models", "references", "appendix"]
        let offsets = try order.map { id in try #require(Self.offset("<section id=\"\(id)\"", in: html), "section \(id)") }
        #expect(offsets == offsets.sorted(), "\(zip(order, offsets).map { "\($0) \($1)" })")
        // The who and models sections open (right after their heading) with their finding.
        for id in ["who", "models"] {
            let section = try #require(Self.section(id, in: html))
            let afterHeading = try #require(section.range(of: "</h2>")).upperBound
            #expect(section[afterHeading...].hasPrefix("<p class=\"finding\">"), "\(id) does not open with its finding")
        }
        // The fixture's route model gives the deprivation odds ratio as the models' finding.
        #expect(Self.section("models", in: html)?.contains("odds of a non-medical route") == true)
        // The same order in Markdown.
        let md = Self.markdown
        let headings = [
            "# Social prescribing in Anytown", "## What this data shows", "## Who is referred, and by which route", "## Reach against the population",
            "## Trends over time", "## Organisations compared", "## Models", "## References", "## Appendix: how this report was made",
        ]
        let mdOffsets = try headings.map { try #require(Self.offset("\n" + $0, in: "\n" + md), "\($0)") }
        #expect(mdOffsets == mdOffsets.sorted())
    }

    @Test func theAppendixHoldsTheReferenceFilesAndTheDisclosureRule() throws {
        let appendix = try #require(Self.section("appendix", in: Self.html))
        for reference in Self.boardContext.references { #expect(appendix.contains(Node.escape(reference.name)), "\(reference.name)") }
        #expect(appendix.contains(Node.escape(Self.boardContext.disclosureStatement)))
        #expect(appendix.contains("Data quality"))
        #expect(Self.boardContext.references.count >= 10)
    }

    @Test func referencesAreCitedInFull() throws {
        let references = try #require(Self.section("references", in: Self.html))
        // DOIs as published (checked against the journals' pages, issue 25).
        #expect(references.contains("doi:10.1101/2024.03.26.24304896"))
        #expect(references.contains("Bu F, Hayes D, Burton A, Fancourt D."))
        #expect(references.contains("doi:10.3399/BJGP.2023.0602"))
        #expect(references.contains("doi:10.3399/BJGP.2024.0542"))
        // The journal DOI of Bu et al. (BJPsych 2024), the preprint's kept as a second form.
        #expect(references.contains("doi:10.1192/bjp.2024.141"))
        #expect(references.contains("Technical Guide: Confidence Intervals"))
        #expect(references.contains("Disclosure control methodology for Hospital Episode Statistics"))
        #expect(Self.markdown.contains("1. Bu F, Hayes D, Burton A, Fancourt D."))
    }

    @Test func withoutTitleOrOrganisationTheDefaultTitleAndNoOrganisation() throws {
        let summary = try #require(Self.section("summary", in: fixtureHTML))
        #expect(summary.contains(">\(Report.defaultTitle)</h1>"))
        #expect(!summary.contains("class=\"organisation\""))
        #expect(!summary.contains("as of"))
    }

    /// A field the export leaves out is named on page 1 (absent, not zero); with every
    /// field recorded, nothing is said.
    @Test func pageOneNamesWhatIsNotRecorded() throws {
        let html = Report.html(tables: NotRecordedReportTests.tables, context: NotRecordedReportTests.context)
        let summary = try #require(Self.section("summary", in: html))
        #expect(
            summary.contains("<p>Not recorded in this export: interventions. Their figures are left out, never shown as zero; the Appendix says which.</p>"))
        #expect(
            Report.markdown(tables: NotRecordedReportTests.tables, context: NotRecordedReportTests.context).contains(
                "Not recorded in this export: interventions."))
        #expect(!(Self.section("summary", in: Self.html) ?? "").contains("Not recorded in this export"))
    }

    /// Data given as a title is text, never markup.
    @Test func titleAndOrganisationAreEscaped() {
        var context = fixtureContext
        context.title = "<script>x</script>"
        context.organisation = "A & B | *PCN*"
        let html = Report.html(tables: fixtureTables, context: context)
        #expect(!html.contains("<script>x"))
        #expect(html.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(Report.markdown(tables: fixtureTables, context: context).contains("**A \\& B \\| \\*PCN\\***"))
    }

    /// Hand-checked calendar arithmetic: the day after the period's last day.
    @Test(arguments: [
        ((2025, 12, 31), "2026-01-01"), ((2024, 2, 28), "2024-02-29"), ((2023, 2, 28), "2023-03-01"), ((2024, 12, 30), "2024-12-31"),
    ])
    func asOfDefaultsToTheDayAfterThePeriod(last: (Int, Int, Int), expected: String) throws {
        let day = try #require(Day(year: last.0, month: last.1, day: last.2))
        #expect(Report.asOfDefault(lastDay: day).description == expected)
    }

    @Test(arguments: [("2026-03-31", true), ("2026-02-30", false), ("2026-3-31", false), ("31/03/2026", false), ("", false), ("2026-03-31x", false)])
    func asOfIsAnISODate(text: String, valid: Bool) {
        #expect((Day(iso: text) != nil) == valid)
    }

    /// End to end on the spreadsheet fixture (referrals 2021-01-01 to 2025-12-31, by its
    /// manifest in SampleData/expected): the default as-of is 2026-01-01; an explicit one
    /// is printed instead; the same inputs give the same bytes, whatever --jobs.
    @Test func runPrintsAsOfAndIsByteIdentical() throws {
        func run(jobs: Int, asOf: Day?) throws -> (html: String, md: String) {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("sprx-rstruct-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            var options = RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/hand-kept-spreadsheet.yaml", inputs: ["\(packageRoot)/SampleData/spreadsheet"], outputDirectory: out,
                jobs: jobs, quiet: true)
            options.asOf = asOf
            _ = try RunJob.run(options)
            return (try String(contentsOfFile: out + "/report.html", encoding: .utf8), try String(contentsOfFile: out + "/report.md", encoding: .utf8))
        }
        let first = try run(jobs: 1, asOf: nil)
        #expect(first.html.contains("Referrals dated 2021-01-01 to 2025-12-31 · as of 2026-01-01"))
        let given = try run(jobs: 2, asOf: Day(year: 2026, month: 3, day: 31))
        #expect(given.html.contains("as of 2026-03-31"))
        #expect(given.md.contains("as of 2026-03-31"))
        #expect(!given.html.contains("as of 2026-01-01"))
        // Apart from the date given, the same bytes (another --jobs too).
        #expect(given.html.replacingOccurrences(of: "as of 2026-03-31", with: "as of 2026-01-01") == first.html)
        #expect(given.md.replacingOccurrences(of: "as of 2026-03-31", with: "as of 2026-01-01") == first.md)
    }

    // MARK: Tables

    @Test func aWhollySuppressedTableIsOneSentence() {
        let header = ["Group", "n", "Total", "%", "Note"]
        let rows = [["A", "suppressed", "suppressed", "suppressed", ""], ["B", "suppressed", "", "suppressed", ""]]
        let node = dataTable(caption: "Referrals by group", header: header, rows: rows, numeric: [1, 2, 3]).rendered
        #expect(!node.contains("<table"))
        #expect(node.hasPrefix("<p class=\"collapsed\">Referrals by group. Every figure in this table is suppressed"))
        let md = Report.table(header, rows, right: [1, 2, 3])
        #expect(md.count == 2 && md[0].hasPrefix("Every figure in this table is suppressed"))
    }

    @Test func suppressedRowsAreNamedOnceAndAnAbsentRowStays() {
        let header = ["Group", "n", "Total", "%"]
        // A: figures; B: every figure suppressed; C: absent (—), not suppressed, so it stays.
        let rows = [["A", "10", "20", "50.00"], ["B", "suppressed", "suppressed", "suppressed"], ["C", "—", "—", "—"]]
        let shape = Report.compacted(header: header, rows: rows, numeric: [1, 2, 3])
        #expect(shape.rows.map { $0[0] } == ["A", "C"])
        #expect(shape.sentences == ["Not shown, every figure suppressed: B."])
        #expect(!shape.empty)
    }

    @Test func aNoteOnEveryRowIsSaidOnce() {
        let header = ["Group", "n", "Note"]
        let rows = [["A", "10", "crude rate only"], ["B", "20", "crude rate only"]]
        let shape = Report.compacted(header: header, rows: rows, numeric: [1])
        #expect(shape.header == ["Group", "n"])
        #expect(shape.rows == [["A", "10"], ["B", "20"]])
        #expect(shape.sentences == ["Every row: crude rate only."])
        // Notes that differ stay in their column.
        let mixed = Report.compacted(header: header, rows: [["A", "10", "x"], ["B", "20", ""]], numeric: [1])
        #expect(mixed.header == header && mixed.sentences.isEmpty)
    }

    /// The networks' table keeps the rows with a published referral count and the three
    /// highest and three lowest FTE per 50,000, in the table's order, and says where the rest are.
    @Test func longNetworkTablesShowTheRowsThatMatter() throws {
        // 20 networks; FTE per 50,000 = index; only N05 and N12 have a published referral count.
        let rows = (0..<20).map { i in
            ["N\(i < 10 ? "0" : "")\(i)", "U\(i)", "1", "50,000", String(i), i == 5 || i == 12 ? "10" : "suppressed", "", "", "", "", ""]
        }
        let shown = try #require(Report.networksThatMatter(rows))
        #expect(shown.map { $0[0] } == ["N00", "N01", "N02", "N05", "N12", "N17", "N18", "N19"])
        #expect(Report.networksThatMatter(Array(rows.prefix(15))) == nil)
        #expect(Report.networksRest(shown: 8, of: 20).contains("tables/pcn_provision.csv has them all"))
    }
}
