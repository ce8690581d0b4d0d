import Foundation
import SPRXCore
import SPRXPipeline
import SPRXPublish
import SPRXRunner
import SPRXTestSupport
import Testing

@testable import SPRXReport

/// A pipeline that declares a dimension and reason groups (issue 26), run on referrals
/// built here: the report charts them as it charts the built-in dimensions, by their
/// titles, never by their names.
///
/// The shipped pipeline plus `disability_status` (title "Disability", levels Yes and
/// No) and reason groups `mental_wellbeing` [mental_health, loneliness_isolation] and
/// `money` [financial, employment], on 600 referrals (``row(_:)``). Counted by hand from
/// the rule, with k = i / 3:
/// - Disability: Yes when i % 3 == 0 (200), No when i % 3 == 1 (200), else Unknown (200:
///   "Not stated", empty, and "Perhaps", a label no level lists, at i = 5).
/// - Route: GP (medical) for Yes when k % 4 == 0 (50 of 200: 25%), for No when
///   k % 4 != 0 (150 of 200: 75%), for Unknown when k % 2 == 0 (100 of 200: 50%); else Self.
/// - Contacted: N when i % 5 == 0, so Yes (i = 3k) is not contacted when k % 5 == 0:
///   160 of 200 contacted (80%). Interventions: 1 when i % 4 == 0, so Yes has one when
///   k % 4 == 0: 50 of 200 (25%).
/// - Reasons by i % 4: mental health, loneliness, debt, mental health and debt; so
///   mental wellbeing holds i % 4 in {0, 1, 3} (450) and money i % 4 in {2, 3} (300):
///   750 counted for 600 referrals.
/// Every count is a multiple of 5 above 7, so disclosure control leaves it as it is.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DeclaredDimensionReportTests {
    static let header =
        "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id,Disability status"

    static func row(_ i: Int) -> String {
        let k = i / 3
        let disability = i == 5 ? "Perhaps" : i % 3 == 0 ? "Y" : i % 3 == 1 ? "No" : i % 6 == 2 ? "Not stated" : ""
        let medical = i % 3 == 0 ? k % 4 == 0 : i % 3 == 1 ? k % 4 != 0 : k % 2 == 0
        let reasons = ["Mental health", "Loneliness", "Debt", "Mental health; Debt"][i % 4]
        let date = "2023-\(String(format: "%02d", 1 + i % 12))-\(String(format: "%02d", 1 + i % 28))"
        let contacted = i % 5 != 0
        return [
            "R\(i + 1)", "P\(i + 1)", date, String(20 + i % 60), i % 2 == 0 ? "F" : "M", "White", "E01021988", medical ? "GP" : "Self", reasons,
            contacted ? "Y" : "N", contacted ? "2" : "0", i % 4 == 0 ? "1" : "0", "U00000", disability,
        ].joined(separator: ",")
    }

    static let section = """
        dimensions:
          disability_status:
            title: "Disability"
            column: ["Disability status"]
            levels:
              "Yes": ["Y", "Yes", "Disabled"]
              "No": ["N", "No"]
            unknown: ["Unknown", "Not stated"]
            tables: true
            model: false
        reason_groups:
          mental_wellbeing: [mental_health, loneliness_isolation]
          money: [financial, employment]

        """

    /// The run's report.html and report.md.
    static let report: (html: String, markdown: String) = {
        let folder = ScratchFolder.url.appendingPathComponent("sprx-declared-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: folder + "/in", withIntermediateDirectories: true)
        // The shipped pipeline, its reference paths made absolute (it is written elsewhere).
        let shipped = try! String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
        let pipeline = shipped.replacingOccurrences(of: "../SampleData", with: "\(packageRoot)/SampleData") + "\n" + section
        try! pipeline.write(toFile: folder + "/pipeline.yaml", atomically: true, encoding: .utf8)
        let rows = [header] + (0..<600).map(row)
        try! (rows.joined(separator: "\n") + "\n").write(toFile: folder + "/in/referrals.csv", atomically: true, encoding: .utf8)
        _ = try! RunJob.run(
            RunOptions(pipelinePath: folder + "/pipeline.yaml", inputs: [folder + "/in"], outputDirectory: folder + "/out", jobs: 2, quiet: true))
        if let path = ProcessInfo.processInfo.environment["SPRX_DECLARED_REPORT"] {
            // To look at it (scripts/check_report.py): SPRX_DECLARED_REPORT=path swift test --filter DeclaredDimensionReportTests
            try? FileManager.default.removeItem(atPath: path)
            try! FileManager.default.copyItem(atPath: folder + "/out/report.html", toPath: path)
        }
        return (
            try! String(contentsOfFile: folder + "/out/report.html", encoding: .utf8), try! String(contentsOfFile: folder + "/out/report.md", encoding: .utf8)
        )
    }()

    /// The SVG of the chart with this id.
    static func chart(_ id: String) -> String? {
        guard let start = report.html.range(of: "<svg id=\"\(id)\""), let end = report.html.range(of: "</svg>", range: start.upperBound..<report.html.endIndex)
        else {
            return nil
        }
        return String(report.html[start.lowerBound..<end.upperBound])
    }

    /// Where each text first appears in `text` (nil when absent).
    static func positions(_ texts: [String], in text: String) -> [Int?] {
        texts.map { text.range(of: $0).map { text.distance(from: text.startIndex, to: $0.lowerBound) } }
    }

    /// The declared dimension has a route-mix chart and a pathway chart, titled by its
    /// title, its groups in declared order and Unknown last.
    @Test func theDeclaredDimensionIsChartedByItsTitle() throws {
        let mix = try #require(Self.chart("mix-disability-status"), "no route-mix chart for the declared dimension")
        #expect(mix.contains("Route type by disability"))
        let mixOrder = Self.positions([">Yes<", ">No<", ">Unknown<"], in: mix)
        #expect(mixOrder.allSatisfy { $0 != nil } && mixOrder == mixOrder.sorted { ($0 ?? 0) < ($1 ?? 0) }, "\(mixOrder)")
        let pathway = try #require(Self.chart("pathway-disability-status"), "no pathway chart for the declared dimension")
        #expect(pathway.contains("by disability"))
        let pathwayOrder = Self.positions([">Yes<", ">No<", ">Unknown<"], in: pathway)
        #expect(pathwayOrder.allSatisfy { $0 != nil } && pathwayOrder == pathwayOrder.sorted { ($0 ?? 0) < ($1 ?? 0) }, "\(pathwayOrder)")
        // Hand counts (the suite's note): Yes 50 medical of 200, No 150 of 200, Unknown 100 of 200;
        // Yes 160 of 200 contacted and 50 of 200 with an intervention.
        let md = NumberRules.visibleText(markdown: Self.report.markdown).joined(separator: "\n")
        #expect(md.contains("| Yes | Medical | 50 | 200 | 25 |"))
        #expect(md.contains("| No | Medical | 150 | 200 |"))
        #expect(md.contains("| Unknown | Medical | 100 | 200 |"))
        #expect(md.contains("| Yes | 200 | 160 | 50 |"))
        // The chart draws the same shares: Yes 25% medical; Yes 80% contacted.
        #expect(mix.contains(">25%<"))
        #expect(pathway.contains(">80%<"))
    }

    /// The reason groups have a route-mix chart and a pathway chart whose captions say a
    /// referral is counted in every group one of its reasons is in, and what each holds.
    @Test func reasonGroupsAreChartedAndSayHowTheyAreCounted() throws {
        let mix = try #require(Self.chart("mix-reason-group"), "no route-mix chart for the reason groups")
        #expect(mix.contains(">Mental wellbeing<") && mix.contains(">Money<"))
        #expect(Self.chart("pathway-reason-group") != nil, "no pathway chart for the reason groups")
        let html = NumberRules.visibleText(html: Self.report.html).joined(separator: "\n")
        let note =
            "A referral is counted in every group one of its reasons is in, so the groups' totals add up to more than the referrals. Mental wellbeing: mental health, loneliness or isolation; Money: money and debt, employment."
        #expect(html.components(separatedBy: note).count - 1 == 2, "the note under each of the two charts")
        // Hand counts: mental wellbeing 450 referrals, money 300 (750 for 600 referrals).
        let md = NumberRules.visibleText(markdown: Self.report.markdown).joined(separator: "\n")
        #expect(md.contains("| Mental wellbeing | 450 |") && md.contains("| Money | 300 |"))
    }

    /// The appendix's run section says what the pipeline declares beyond the built-in
    /// breakdowns, and where each is used.
    @Test func theAppendixNamesTheDeclaredBreakdowns() {
        let sentence =
            "Breakdowns the pipeline declares beyond the built-in ones: Disability (charted by route type and pathway, in the trends table); reason groups Mental wellbeing and Money (a referral counted in every group one of its reasons is in)."
        #expect(NumberRules.visibleText(html: Self.report.html).contains(sentence))
        #expect(NumberRules.visibleText(markdown: Self.report.markdown).contains("- " + sentence))
        // The shipped pipeline declares none: no such line (its report is unchanged).
        #expect(!fixtureHTML.contains("Breakdowns the pipeline declares"))
    }

    /// No name reaches the page: the declared dimension's and the reason groups' are
    /// said by their titles, in the charts, tables and data quality alike; and every
    /// number keeps the page's rules.
    @Test func noCodeReachesThePage() {
        let html = NumberRules.visibleText(html: Self.report.html)
        let md = NumberRules.visibleText(markdown: Self.report.markdown)
        #expect(NumberRules.snakeCase(html).isEmpty, "\(NumberRules.snakeCase(html).prefix(8))")
        #expect(NumberRules.snakeCase(md).isEmpty, "\(NumberRules.snakeCase(md).prefix(8))")
        #expect(NumberRules.breaches(html).isEmpty, "\(NumberRules.breaches(html).prefix(8))")
        #expect(NumberRules.breaches(md).isEmpty, "\(NumberRules.breaches(md).prefix(8))")
        for text in [html.joined(separator: "\n"), md.joined(separator: "\n")] {
            #expect(!text.contains("disability status") && !text.contains("Disability status") && !text.contains("reason group:"))
        }
        // The unmapped label ("Perhaps") is counted under the dimension's title.
        #expect(Self.report.markdown.contains("| Disability | 1 |"))
    }
}

/// The breakdowns come from the pipeline's groups, not a list of the report's own.
@Suite(.timeLimit(.minutes(10))) struct BreakdownTests {
    /// The shipped pipeline's: the report's fixed list before issue 26 (its snapshot),
    /// in its order, deciles and rurality one click away; no pathway chart of their own.
    @Test func theShippedPipelineChartsTheBuiltInDimensions() {
        let breakdowns = Report.breakdowns(shippedGroupKey)
        #expect(breakdowns.map(\.name) == ["age_band", "sex", "ethnicity", "imd_quintile", "imd_decile", "rurality", "nation"])
        #expect(breakdowns.filter(\.behind).map(\.name) == ["imd_decile", "rurality"])
        #expect(breakdowns.allSatisfy { !$0.pathway })
        #expect(
            breakdowns.map(\.title) == [
                "Age band", "Sex", "Ethnicity", "Deprivation quintile (each nation's own index)", "Deprivation decile (each nation's own index)", "Rurality",
                "Nation",
            ])
    }

    /// A declared dimension follows the built-in ones, with a pathway chart; a
    /// dimension with `tables: false` is not charted; the reason groups come last.
    @Test func declaredDimensionsAndReasonGroupsFollow() throws {
        let schema = try GroupKeySchema(
            ageBands: [AgeBand(label: "0-64", lower: 0, upper: 64), AgeBand(label: "65+", lower: 65, upper: 120)], routes: ["gp", "unknown"],
            reasons: ["housing", "debt"],
            declared: [
                DeclaredDimension(name: "carer", title: "Unpaid carer", columns: ["carer"], levels: [.init(label: "Yes", values: ["Y"])]),
                DeclaredDimension(
                    name: "veteran", title: "Veteran", columns: ["veteran"], levels: [.init(label: "Yes", values: ["Y"])], tables: false, model: true),
            ],
            reasonGroups: [ReasonGroup(name: "money", reasons: [1])])
        let breakdowns = Report.breakdowns(schema)
        #expect(breakdowns.map(\.name).suffix(2) == ["carer", "reason_group"])
        #expect(breakdowns.filter(\.pathway).map(\.name) == ["carer", "reason_group"])
        #expect(breakdowns.last?.reasons == ["money": ["debt"]])
        let label = Labels(overrides: [:], titles: DisplayNames.titles(of: schema))
        #expect(label(.dimension, "carer") == "Unpaid carer")
        // A declared covariate's forest-plot row and a declared field's data-quality row, by title.
        #expect(Report.forestLabel("veteran", "Yes", "Unknown", label) == "Veteran: Yes vs Unknown")
        #expect(label(.field, "carer") == "Unpaid carer" && label(.field, "sex") == "Sex")
    }

    /// A title in a sentence: first letter lower case, an abbreviation kept, a title in
    /// title case kept whole (a new-user trial's drafted "Welsh Language Preference" read
    /// "by welsh Language Preference").
    @Test func titlesInSentences() {
        #expect(DisplayNames.inSentence("Deprivation quintile (each nation's own index)") == "deprivation quintile (each nation's own index)")
        #expect(DisplayNames.inSentence("LGBT+ status") == "LGBT+ status")
        #expect(DisplayNames.inSentence("A") == "a")
        #expect(DisplayNames.inSentence("Welsh Language Preference") == "Welsh Language Preference")
        #expect(DisplayNames.inSentence("Unpaid carer") == "unpaid carer")
    }
}
