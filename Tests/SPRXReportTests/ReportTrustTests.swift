import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXReport

// Tables built by hand in the outputs-v2 layout (shared/contract/outputs-v2.md); every
// expected value below is read off these hand-made rows or worked out by hand.

let shareColumns = ["n", "total", "percent", "ci_low", "ci_high", "suppressed", "disclosure_control"]

/// A share table from rows of `dimension, group, category, n, total, percent, ci_low, ci_high`; `suppressed` is TRUE when n or total is empty.
func trustShareTable(_ name: String, _ category: String, _ rows: [[String]]) -> PublishedTable {
    typedTable(
        name, header: ["dimension", "group", category] + shareColumns,
        rows: rows.map { $0 + [($0[3].isEmpty || $0[4].isEmpty) ? "TRUE" : "FALSE", "on"] })
}

func trustQuality(_ rows: [(String, String, Int)]) -> PublishedTable {
    typedTable("data_quality", header: ["file", "measure", "value"], rows: rows.map { [$0.0, $0.1, String($0.2)] })
}

func trustPathway(_ rows: [[String]]) -> PublishedTable {
    typedTable(
        "pathway_by_group",
        header: [
            "dimension", "group", "route_type", "referred", "contacted", "intervention", "pct_contacted", "pct_intervention", "note", "suppressed",
            "disclosure_control",
        ],
        rows: rows.map { $0 + ["", $0[3...5].contains("") ? "TRUE" : "FALSE", "on"] })
}

func trustContext(disclosure: Bool = true, displayNames: [String: [String: String]] = [:]) -> ReportContext {
    ReportContext(
        toolVersion: "t", pipelineName: "p", pipelineSHA256: "0", inputs: [], firstDay: "2024-01-01", lastDay: "2024-12-31", disclosureEnabled: disclosure,
        disclosureStatement: disclosure ? "Disclosure control applied." : "OFF", references: [], models: [], groupKey: shippedGroupKey,
        displayNames: displayNames)
}

/// The whole population: 2,956 clean records (exact), 2,955 after rounding in the tables.
let trustTables: [PublishedTable] = [
    trustShareTable(
        "route_type_by_group", "route_type",
        [
            ["all", "all", "medical", "2395", "2955", "81.05", "79.60", "82.42"],
            ["all", "all", "non_medical", "480", "2955", "16.24", "14.96", "17.61"],
            ["all", "all", "unknown", "80", "2955", "2.71", "2.18", "3.36"],
            ["sex", "Other", "medical", "10", "10", "100.00", "72.25", "100.00"],
            ["sex", "Other", "non_medical", "", "10", "", "", ""],
            ["sex", "Other", "unknown", "0", "10", "0.00", "0.00", "27.75"],
            ["sex", "Tiny", "medical", "", "", "", "", ""],
            ["sex", "Tiny", "non_medical", "", "", "", "", ""],
            ["sex", "Tiny", "unknown", "0", "", "", "", ""],
            ["nation/imd_quintile", "England/1", "non_medical", "110", "500", "22.00", "18.59", "25.83"],
            ["nation/imd_quintile", "England/5", "non_medical", "60", "500", "12.00", "9.45", "15.13"],
            ["nation/imd_quintile", "Wales/1", "non_medical", "", "20", "", "", ""],
            ["nation/imd_quintile", "Wales/5", "non_medical", "10", "20", "50.00", "29.93", "70.07"],
        ]),
    trustShareTable(
        "route_by_group", "route",
        [
            ["all", "all", "primary_care", "2000", "2955", "67.68", "65.97", "69.35"],
            ["all", "all", "vcse", "200", "2955", "6.77", "5.92", "7.73"],
        ]),
    trustShareTable(
        "reasons_by_group", "reason",
        [
            ["all", "all", "mental_health", "1780", "2955", "60.24", "58.46", "61.99"],
            ["all", "all", "loneliness_isolation", "915", "2955", "30.96", "29.32", "32.66"],
        ]),
    trustPathway([["all", "all", "all", "2955", "2680", "1140", "90.69", "38.58"]]),
    trustQuality([
        ("a.csv", "rows_read", 1500), ("a.csv", "clean", 1480), ("a.csv", "duplicate", 4), ("a.csv", "quarantined", 16),
        ("a.csv", "quarantined:invalid_date", 9), ("a.csv", "quarantined:field_count", 5), ("a.csv", "quarantined:invalid_age", 2),
        ("b.csv", "rows_read", 1500), ("b.csv", "clean", 1476), ("b.csv", "duplicate", 5), ("b.csv", "quarantined", 19),
        ("b.csv", "quarantined:invalid_date", 8), ("b.csv", "quarantined:field_count", 6), ("b.csv", "quarantined:invalid_age", 5),
        ("all", "rows_read", 3000), ("all", "clean", 2956), ("all", "duplicate", 9), ("all", "quarantined", 35),
        ("all", "quarantined:invalid_date", 17), ("all", "quarantined:field_count", 11), ("all", "quarantined:invalid_age", 7),
        ("all", "quarantined:unterminated_quote", 0), ("all", "quarantined:conflicting_referral_id", 0), ("all", "blank_lines", 3),
        ("all", "area_unknown", 28), ("all", "area_unmatched_deprivation:Wales", 2), ("all", "unmapped:referral_source", 14),
    ]),
    typedTable(
        "unmapped_labels", header: ["field", "label", "n"],
        rows: [["referral_source", "walk-in centre", "10"], ["referral_source", "(other labels)", ""]]),
]

/// The lines of `text` between a line starting with `start` and the next blank line after a table.
func trustSection(_ text: String, _ start: String) -> String {
    guard let range = text.range(of: start) else { return "" }
    return String(text[range.lowerBound...].prefix(1500))
}

@Suite(.timeLimit(.minutes(10))) struct ReportTrustTests {
    /// Data-quality figures are data_quality.csv's `all` rows, never the files summed
    /// with them: invalid_date 17 (9 + 8 by hand), not 34; the "All files" row is the
    /// `all` row as published.
    @Test func qualityFiguresEqualTheDataQualityTable() {
        let md = Report.markdown(tables: trustTables, context: trustContext())
        #expect(md.contains("| Referral date not a date | 17 |"))
        #expect(md.contains("| Wrong number of fields | 11 |"))
        #expect(md.contains("| Duplicate rows (each kept once) | 9 |"))
        #expect(md.contains("| Blank lines (skipped) | 3 |"))
        #expect(md.contains("| a.csv | 1,500 | 1,480 | 4 | 16 |"))
        #expect(md.contains("| b.csv | 1,500 | 1,476 | 5 | 19 |"))
        #expect(md.contains("| All files | 3,000 | 2,956 | 9 | 35 |"))
        #expect(md.contains("| Not a recognised small-area code (any nation) | 28 |"))
        #expect(md.contains("| Wales: not in the nation's deprivation index | 2 |"))
        #expect(md.contains("| Referral source | 14 |"))
        #expect(!md.contains("| 34 |") && !md.contains("| 22 |"))
        let html = Report.html(tables: trustTables, context: trustContext())
        #expect(html.contains("<th scope=\"row\">Referral date not a date</th><td class=\"num\">17</td>"))
    }

    /// Reasons by count, largest first, ties by reason id: invalid_date 17,
    /// field_count 11, invalid_age 7, then the zeros conflicting_referral_id, unterminated_quote.
    @Test func quarantineReasonsAreSortedByCountThenName() {
        let md = Report.markdown(tables: trustTables, context: trustContext())
        let order = [
            "Referral date not a date", "Wrong number of fields", "Age not a whole number from 0 to 120", "Referral id repeated with different content",
            "File ended inside a quoted field",
        ]
        let positions = order.map { md.range(of: "| \($0) |")?.lowerBound }
        #expect(!positions.contains(nil))
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    /// Unmapped labels come from unmapped_labels.csv as published: common labels by name,
    /// the rest as (other labels), a suppressed count said to be suppressed.
    @Test func unmappedLabelsComeFromTheirTable() {
        let md = Report.markdown(tables: trustTables, context: trustContext())
        #expect(md.contains("| Referral source | walk-in centre | 10 |"))
        // A row whose only figure is suppressed is named once after the table, not shown.
        #expect(md.contains("Not shown, every figure suppressed: Referral source / (other labels)."))
    }

    /// One clean-referral figure on the page: page 1 gives the tables' rounded total 2,955
    /// and says it is rounded; the exact 2,956 from data_quality.csv is set beside it once,
    /// in the appendix (and in the file table); the tables' 2,955 only in tables whose
    /// caption says they are rounded. The operator's headline line keeps the exact count.
    @Test func oneCleanReferralFigureAndRoundedSaysSo() {
        #expect(Report.headline(tables: trustTables).hasPrefix("headlines: 2,956 clean referrals;"))
        let html = Report.html(tables: trustTables, context: trustContext())
        #expect(html.contains("<p class=\"big\">2,955</p><p>referrals (rounded to the nearest 5, as in every table)</p>"))
        #expect(html.components(separatedBy: "2,956").count == 3, "the exact count once in the run list, once in the file table")
        #expect(
            html.contains(
                "<li>Clean referrals: exactly 2,956 records (tables/data_quality.csv); page 1 and the tables give 2,955, the total rounded to the nearest 5 like every published count.</li>"
            ))
        #expect(!html.contains("2,950") && !html.contains(">2950<"))
        let captions = html.components(separatedBy: "<table>").dropFirst()
        for table in captions where table.contains(">2955<") {
            #expect(table.contains("rounded to the nearest 5"), "a table showing the rounded total does not say it is rounded")
        }
        #expect(html.contains("computed from counts rounded to the nearest 5"))
        // With disclosure control off nothing is said to be rounded.
        let exact = Report.html(tables: trustTables, context: trustContext(disclosure: false))
        #expect(!exact.contains("rounded to the nearest"))
        #expect(exact.contains("<p class=\"big\">2,955</p><p>referrals</p>"))
    }

    /// Sex "Other": medical 100.00% of a rounded total, non-medical suppressed. The bar
    /// draws the suppressed part hatched and labelled, so the medical part stays short of
    /// the bar's full width (380): 380 × 100 / 104 = 365.4 by hand, the hatched part 14.6.
    /// A group whose total is suppressed is one hatched bar.
    @Test func suppressedSegmentIsDrawnAsSuppressed() throws {
        let html = Report.html(tables: trustTables, context: trustContext())
        let svg = try #require(html.components(separatedBy: "<svg id=\"mix-sex\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        // Its parts (10 of 10, beside a suppressed part) do not add up as written: no percentage, said in words.
        let medical = try #require(svg.firstMatch(of: #/width="([0-9.]+)" height="15" fill="#0072B2"><title>Other: Medical 10 of 10</title>/#))
        #expect(medical.1 == "365.4")
        let hatched = try #require(
            svg.firstMatch(of: #/width="([0-9.]+)" height="15" fill="url\(#mix-sex-hatch\)"><title>Other: non-medical suppressed</title>/#))
        #expect(hatched.1 == "14.6")
        #expect(svg.contains(">the rounded counts shown add up to all 10</text>"))
        #expect(svg.contains("<title>Tiny: suppressed (the group&#39;s total is suppressed)</title>") && svg.contains(">whole group suppressed</text>"))
        #expect(svg.contains("<pattern id=\"mix-sex-hatch\""))
    }

    /// Findings are computed from this run's tables, each literature figure labelled as
    /// a comparison with this data's beside it.
    @Test func findingsAreComputedFromTheTables() {
        let md = Report.markdown(tables: trustTables, context: trustContext())
        let html = Report.html(tables: trustTables, context: trustContext())
        // The shares and their intervals as route_type_by_group.csv and reasons_by_group.csv
        // publish them, said by hand: a denominator of 2,955 (2,500 or more) gives one decimal,
        // 81.05 [79.60, 82.42] → 81.1% (79.6–82.4%), 16.24 [14.96, 17.61] → 16.2% (15.0–17.6%),
        // 60.24 [58.46, 61.99] → 60.2% (58.5–62.0%); one of 500 gives whole percentages.
        #expect(html.contains("<p>81.1% of referrals came through medical routes (95% interval 79.6–82.4%) and 16.2% through non-medical routes (15.0–17.6%)."))
        #expect(html.contains("Compared with: Bu et al. (2024), across the UK: 72% to 85% of referrals came through medical routes."))
        #expect(html.contains("Compared with: Bu et al. (2024): 90% reached a link worker and 38% received any intervention."))
        // Gradient: England 22.00 [18.59, 25.83] vs 12.00 [9.45, 15.13] (15.13 < 18.59: the
        // intervals do not overlap); Wales quintile 1 suppressed, so left out.
        #expect(
            html.contains(
                "Of the referrals in this data from the most deprived fifth of areas in England, 22% (95% interval 19–26%) came through non-medical routes, against 12% (95% interval 9–15%) from the least deprived fifth: their 95% intervals do not overlap."
            ))
        #expect(!html.contains("In Wales"))
        #expect(html.contains("The most common referral reason was mental health: 60.2% of referrals (95% interval 58.5–62.0%)."))
        #expect(md.contains("*Compared with:* Bu et al. (2024), across the UK: 72% to 85% of referrals came through medical routes."))
        // Literature is only ever a comparison: "Bu et al." appears only in Comparison sentences.
        #expect(html.components(separatedBy: "Bu et al.").count - 1 == html.components(separatedBy: "Compared with: Bu et al.").count - 1)
    }

    /// No clean referrals: nothing to report and no literature claims. All figures suppressed: the same.
    @Test func nothingToReportSaysSo() {
        let empty = [trustQuality([("all", "rows_read", 0), ("all", "clean", 0)])]
        for text in [Report.html(tables: empty, context: trustContext()), Report.markdown(tables: empty, context: trustContext())] {
            #expect(text.contains("No clean referrals: there is nothing to report."))
            #expect(!text.contains("Bu et al."))
        }
        #expect(Report.headline(tables: empty) == "headlines: no clean referrals")
        let suppressed = [
            trustShareTable(
                "route_type_by_group", "route_type", [["all", "all", "medical", "", "10", "", "", ""], ["all", "all", "non_medical", "", "10", "", "", ""]]),
            trustPathway([["all", "all", "all", "10", "", "", "", ""]]),
            trustQuality([("all", "clean", 9)]),
        ]
        let html = Report.html(tables: suppressed, context: trustContext())
        #expect(html.contains("Every figure these sentences rest on is suppressed or absent in this run&#39;s tables: there is nothing to report."))
        #expect(!html.contains("Bu et al."))
    }

    /// Plain-English labels by default, the pipeline's where it names them; ids never shown.
    @Test func labelsAreReadableAndOverridable() {
        let label = Labels(overrides: [:])
        #expect(label(.routeType, "non_medical") == "Non-medical")
        #expect(label(.route, "primary_care") == "Primary care")
        #expect(label(.route, "vcse") == "Voluntary and community sector")
        #expect(label(.quarantineReason, "line_too_long") == "Line too long")
        // Every quarantine reason and input field has a name (the names are keyed by their enums).
        #expect(label(.quarantineReason, "row_too_long") == "Row too long" && label(.field, "organisation_id") == "Organisation")
        // The kinds a pipeline may name are the report's kinds of the same keys.
        #expect(DisplayNameDimension.allCases.allSatisfy { DisplayNames.Kind(rawValue: $0.rawValue) != nil })
        let md = Report.markdown(tables: trustTables, context: trustContext())
        #expect(md.contains("| Other | Non-medical | suppressed | 10 | suppressed | suppressed |"))
        // 200 of 2,955 = 6.77% → 6.8 (one decimal: denominator ≥ 2,500), limits 5.9–7.7; counts with separators.
        #expect(md.contains("| Voluntary and community sector | 200 | 2,955 | 6.8 | 5.9–7.7 |"))
        #expect(md.contains("| Mental health | 1,780 |"))
        for id in ["non\\_medical", "primary\\_care", "mental\\_health", "invalid\\_date", "referral\\_source |"] { #expect(!md.contains(id), "\(id)") }
        let named = trustContext(displayNames: ["route_type": ["non_medical": "Community routes"], "route": ["vcse": "Charities"]])
        let html = Report.html(tables: trustTables, context: named)
        #expect(html.contains(">Community routes</text>") && html.contains("<td>Community routes</td>"))
        #expect(html.contains("<th scope=\"row\">Charities</th>"))
    }

    /// WCAG 2 contrast, computed here from the hex values (independently of the
    /// report's own luminance code): every text colour on every background it is drawn
    /// on is at least 4.5:1, and every colour the page uses is one Palette declares.
    @Test func textContrastIsAtLeastFourAndAHalf() throws {
        func luminance(_ hex: String) -> Double {
            let v = Int(hex.dropFirst(), radix: 16)!
            let channels = [(v >> 16) & 255, (v >> 8) & 255, v & 255].map { c -> Double in
                let s = Double(c) / 255
                return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
        }
        func contrast(_ a: String, _ b: String) -> Double {
            let (x, y) = (luminance(a), luminance(b))
            return (max(x, y) + 0.05) / (min(x, y) + 0.05)
        }
        // Sanity of this formula: black on white is 21:1, #767676 on white 4.54:1 (WebAIM).
        #expect(abs(contrast("#000000", "#FFFFFF") - 21) < 0.01 && abs(contrast("#767676", "#FFFFFF") - 4.54) < 0.01)
        for pair in Palette.textPairs {
            #expect(contrast(pair.text, pair.background) >= 4.5, "\(pair.use): \(pair.text) on \(pair.background)")
        }
        // Labels drawn on bar segments, as rendered: the segment's fill and the text's.
        let html = Report.html(tables: trustTables, context: trustContext())
        // (The fixture's charts: these tables' only labelled bar, 10 of 10 beside a suppressed part, is no longer labelled.)
        let onBar = fixtureHTML.matches(of: #/fill="(#[0-9A-F]{6})"><title>[^<]*</title></rect><text [^>]*class="onbar[^"]*" fill="(#[0-9A-F]{6})"/#)
        #expect(!onBar.isEmpty)
        for m in onBar { #expect(contrast(String(m.2), String(m.1)) >= 4.5, "\(m.2) on \(m.1)") }
        // Every colour in the page is declared in Palette.
        let declared: Set<String> = Set(
            [
                Palette.medical, Palette.nonMedical, Palette.unknown, Palette.contacted, Palette.intervention, Palette.neutral, Palette.ink, Palette.white,
                Palette.muted, Palette.link, Palette.warningBackground, Palette.warningBorder, Palette.rule, Palette.grid, Palette.hatch,
            ].map { $0.uppercased() })
        for m in html.matches(of: #/#[0-9A-Fa-f]{6}\b/#) { #expect(declared.contains(String(m.0).uppercased()), "\(m.0)") }
        #expect(!html.contains("#fff;") && !html.matches(of: #/#[0-9A-Fa-f]{3}\b/#).contains { _ in true })
    }

    /// Data never reaches Markdown as markup: a hostile label in a group, a file name and
    /// an unmapped label are shown as text in report.md (Markdown and HTML specials
    /// backslash-escaped, a line break shown as the table writes it) and escaped in report.html.
    @Test func hostileLabelsAreShownAsText() {
        let hostile = "<img src=x onerror=alert(1)>|*x*"
        let escaped = "\\<img src=x onerror=alert(1)\\>\\|\\*x\\*"
        let tables = [
            trustShareTable(
                "route_type_by_group", "route_type",
                [
                    ["all", "all", "medical", "10", "10", "100.00", "72.25", "100.00"],
                    ["sex", hostile, "medical", "10", "10", "100.00", "72.25", "100.00"],
                    ["sex", "line\nbreak_[x](y)`z`", "medical", "10", "10", "100.00", "72.25", "100.00"],
                ]),
            trustQuality([(hostile + ".csv", "clean", 10), ("all", "clean", 10)]),
            typedTable(
                "unmapped_labels", header: ["field", "label", "n", "suppressed", "disclosure_control"],
                rows: [["referral_source", hostile, "10", "FALSE", "on"]]),
        ]
        let context = trustContext(displayNames: ["route_type": ["medical": "<b>bold</b>"]])
        let md = Report.markdown(tables: tables, context: context)
        // Every < and > is escaped (so none can open a tag); a backslash before each.
        let unescaped = md.replacingOccurrences(of: "\\<", with: "").replacingOccurrences(of: "\\>", with: "")
        #expect(!unescaped.contains("<") && !unescaped.contains(">"))
        #expect(md.contains("| \(escaped) | \\<b\\>bold\\</b\\> | 10 | 10 | 100 | 72–100 |"))
        #expect(md.contains("| \(escaped).csv |  |"))
        #expect(md.contains("| Referral source | \(escaped) | 10 |"))
        // A line break is shown as the table writes it (`\u{A}`, CSVText), its backslash escaped.
        #expect(md.contains("| line\\\\u{A}break\\_\\[x\\](y)\\`z\\` |"))
        let html = Report.html(tables: tables, context: context)
        #expect(!html.contains("<img") && !html.contains("<b>"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;|*x*"))
    }
}
