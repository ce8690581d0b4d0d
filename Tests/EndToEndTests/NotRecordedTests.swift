import Foundation
import SPRXTestSupport
import Testing

/// Issue 24, item 1, "Absent is not zero": an export that lacks a field the pipeline
/// marks optional has that field *not recorded*. Every figure that depends on it is an
/// empty cell with a note (`not_recorded:<field>`, or `recorded_in_part:<field>` when
/// only some input files lack it), the report says "not recorded in this export" where
/// the figure would be and never beside Bu et al.'s, its trends and funnel plots are
/// left out, the models that need it are not fitted and not warned about, and the
/// manifest and the end-of-run summary list it.
///
/// The export is built here: 40 referrals by fixed rules (below), written once with
/// every column and then without one column at a time, and run through the built binary
/// with `--no-disclosure-control` so the counts can be checked exactly. Expected values
/// are counted by hand from the rules, not by sprx:
/// - route: `i % 5` in {0, 1, 2} is `GP` (medical, 24 referrals), else `Charity`
///   (non-medical, 16).
/// - contacted: `N` when `i % 4 == 3` (i = 3, 7, …, 39: 10 referrals), else `Y` (30).
///   Of the ten, i % 5 is 3, 2, 1, 0, 4, 3, 2, 1, 0, 4: 6 medical, 4 non-medical. So
///   contacted: medical 18 of 24 (75.00%), non-medical 12 of 16 (75.00%), all 30 of 40.
/// - contacts: 0 when not contacted, else 1, 2, 1, 6, 1, 12, 2, 1 by `i % 8` (so
///   `contacts > 0` exactly when contacted; spread out, so the negative binomial fits).
/// - interventions: 1, 4, 1, 9, 2 by `(i / 3) % 5` when `i % 3 == 0` (i = 0, 3, …, 39:
///   14 referrals), else 0. Their
///   i % 5 is 0, 3, 1, 4, 2, 0, 3, 1, 4, 2, 0, 3, 1, 4: 8 medical, 6 non-medical. So
///   an intervention: medical 8 of 24 (33.33%), non-medical 6 of 16 (37.50%), all 14 of
///   40 (35.00%).
/// - sex `Female` for even i, `Male` for odd; age 20 + i; dates 2024-(i % 12 + 1)-15;
///   two English small areas; four organisations from the sample lookup (`i % 4`).
///
/// The models are cut to one covariate each (route_nonmedical by sex, the other three by
/// route type) so that, with 40 referrals, every model that can be fitted is.
@Suite(.serialized, .timeLimit(.minutes(10))) struct NotRecordedTests {
    static let header = [
        "referral_id", "person_id", "referral_date", "age", "sex", "ethnicity", "area_code", "referral_source", "referral_reasons", "contacted",
        "contacts", "interventions", "organisation_id",
    ]
    static let areas = ["E01020829", "E01004702"]
    static let organisations = ["U61321", "U12563", "U29596", "U84294"]

    /// Referral `i` by the rules above, one value per ``header`` column.
    static func referral(_ i: Int) -> [String] {
        let contacted = i % 4 != 3
        return [
            "R\(1000 + i)", "P\(1000 + i)", "2024-\(String(format: "%02d", i % 12 + 1))-15", String(20 + i), i % 2 == 0 ? "Female" : "Male", "White",
            areas[i % 2], i % 5 < 3 ? "GP" : "Charity", "Mental health", contacted ? "Y" : "N", contacted ? String([1, 2, 1, 6, 1, 12, 2, 1][i % 8]) : "0",
            i % 3 == 0 ? String([1, 4, 1, 9, 2][(i / 3) % 5]) : "0", organisations[i % 4],
        ]
    }

    /// Referral `i` by the rules above, by column name.
    static func referralRow(_ i: Int) -> [String: String] { Dictionary(uniqueKeysWithValues: zip(header, referral(i))) }

    /// Writes referrals `indices` (in that order, a repeat written again) as CSV at `path`
    /// with every column, each row first passed to `edit` by column name (the tests of
    /// other rules change a few cells of these referrals).
    static func writeReferrals(_ indices: [Int], to path: String, _ edit: (_ i: Int, _ row: inout [String: String]) -> Void = { _, _ in }) throws {
        let lines = indices.map { i -> String in
            var row = referralRow(i)
            edit(i, &row)
            return header.map { row[$0] ?? "" }.joined(separator: ",")
        }
        try (([header.joined(separator: ",")] + lines).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Writes referrals `range` as CSV without the columns `dropping`.
    static func writeExport(_ path: String, _ range: Range<Int>, dropping: Set<String>) throws {
        let keep = header.indices.filter { !dropping.contains(header[$0]) }
        let lines =
            [keep.map { header[$0] }]
            + range.map { i in
                let row = referral(i); return keep.map { row[$0] }
            }
        try (lines.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The default pipeline with `optional` fields declared and the models cut down.
    static func pipeline(in dir: String, optional: [String]) throws -> String {
        try pipelineVariant(
            in: dir,
            [
                ("columns:\n", "columns:\n  optional: [\(optional.joined(separator: ", "))]\n"),
                ("covariates: [age_band, sex, ethnicity, imd_quintile, rurality, nation]", "covariates: [sex]"),
                ("covariates: [route_type, age_band, sex, ethnicity, imd_quintile, rurality, nation]", "covariates: [route_type]"),
            ])
    }

    struct Run {
        var status: Int32
        var stderr: String
        var out: String
        func text(_ file: String) -> String { (try? String(contentsOfFile: out + "/" + file, encoding: .utf8)) ?? "" }
        /// A table's rows as dictionaries by header name.
        func table(_ name: String) -> [[String: String]] { CSVTable(text: text("tables/\(name).csv")).records }
        var manifest: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text("manifest.json").utf8))) as? [String: Any] ?? [:]
        }
        func model(_ name: String) -> [String: Any] {
            ((manifest["models"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name } ?? [:]
        }
    }

    /// Runs sprx on exports of referrals split into `files` (ranges), each lacking its columns.
    static func run(optional: [String], files: [(range: Range<Int>, dropping: Set<String>)]) throws -> Run {
        let dir = scratch()
        var inputs: [String] = []
        for (index, file) in files.enumerated() {
            let path = dir + "/referrals-\(index + 1).csv"
            try writeExport(path, file.range, dropping: file.dropping)
            inputs += ["--input", path]
        }
        let result = try sprx(
            ["run", "--pipeline", try pipeline(in: dir, optional: optional)] + inputs + ["--out", dir + "/out", "--no-disclosure-control", "--jobs", "2"])
        return Run(status: result.status, stderr: result.stderr, out: dir + "/out")
    }

    /// A percentage of 0 (`0%`, `0.0%`, `0.00%`) anywhere in `text`.
    static func zeroPercent(_ text: String) -> Bool { text.range(of: #"(^|[^0-9.])0(\.0+)?%"#, options: .regularExpression) != nil }

    /// Lines of `text` that mention `word` (case-insensitive).
    static func lines(_ text: String, mentioning word: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.lowercased().contains(word) }
    }

    /// The report's checks for a share that is not recorded: said where the figure would be,
    /// no 0% for it, never beside Bu et al., no trend or funnel of it.
    static func expectWithheldInReport(_ run: Run, word: String, headline: String, funnelID: String) {
        let markdown = run.text("report.md"), html = run.text("report.html")
        #expect(markdown.contains("- \(headline): not recorded in this export"), "report.md headline")
        #expect(html.contains("\(headline.lowercased()): not recorded in this export"), "report.html card")
        for line in lines(markdown, mentioning: word) {
            #expect(!zeroPercent(line), "a 0% beside \(word) in report.md: \(line)")
            #expect(!line.contains("Bu et al"), "a literature figure beside \(word): \(line)")
        }
        // HTML: each finding is one <li>; none that names the measure cites the study.
        for item in html.components(separatedBy: "<li>").dropFirst() {
            let text = item.components(separatedBy: "</li>").first ?? item
            guard text.lowercased().contains(word) else { continue }
            #expect(!text.contains("Bu et al"), "a literature figure beside \(word) in report.html")
            #expect(!zeroPercent(text), "a 0% beside \(word) in report.html")
        }
        #expect(markdown.contains("is not recorded in this export, so its trend is not shown."))
        #expect(!html.contains("id=\"\(funnelID)\""), "a funnel plot of a share not recorded")
        #expect(!run.stderr.contains("warning: model"), "a model warned about: \(run.stderr)")
    }

    @Test func interventionsNotRecorded() throws {
        let run = try Self.run(optional: ["interventions"], files: [(0..<40, ["interventions"])])
        #expect(run.status == 0, "\(run.stderr)")
        // Pathway: contacted by hand (above); intervention cells empty with the note.
        let pathway = run.table("pathway_by_group")
        let all = pathway.filter { $0["dimension"] == "all" && $0["group"] == "all" }
        let byType = Dictionary(uniqueKeysWithValues: all.map { ($0["route_type"]!, $0) })
        #expect(byType["all"]?["referred"] == "40" && byType["all"]?["contacted"] == "30" && byType["all"]?["pct_contacted"] == "75.00")
        #expect(byType["medical"]?["referred"] == "24" && byType["medical"]?["contacted"] == "18")
        #expect(byType["non_medical"]?["referred"] == "16" && byType["non_medical"]?["contacted"] == "12")
        #expect(!pathway.isEmpty)
        for row in pathway {
            #expect(row["intervention"] == "" && row["pct_intervention"] == "", "\(row)")
            // A route type with no referral (unknown: every label is mapped) has no contacted share either.
            #expect(row["note"] == "not_recorded:interventions" + (row["referred"] == "0" ? ";no_referrals" : ""), "\(row)")
        }
        // Trends: the intervention share's rows keep the group's referrals, nothing else.
        let trends = run.table("trends").filter { $0["measure"] == "intervention_share" }
        #expect(!trends.isEmpty)
        for row in trends {
            #expect(row["numerator"] == "" && row["value"] == "" && row["ci_low"] == "" && row["note"] == "not_recorded:interventions", "\(row)")
        }
        // The all-referrals trend of January 2024 (i % 12 == 0: i = 0, 12, 24, 36) has 4 referrals.
        #expect(trends.contains { $0["interval"] == "month" && $0["interval_start"] == "2024-01-01" && $0["dimension"] == "all" && $0["denominator"] == "4" })
        #expect(run.table("trends").filter { $0["measure"] == "contacted_share" }.allSatisfy { $0["note"] == ($0["denominator"] == "0" ? "no_referrals" : "") })
        // Organisations: no intervention rows (no funnel), the contacted share's are there.
        let organisations = run.table("organisations")
        #expect(!organisations.contains { $0["indicator"] == "intervention_share" })
        #expect(organisations.contains { $0["indicator"] == "contacted_share" })
        // Inequality: the intervention indices are empty with the note.
        for row in run.table("inequality") where row["indicator"] == "intervention_share" {
            #expect(row["value"] == "" && row["note"] == "not_recorded:interventions", "\(row)")
        }
        // Models: the two intervention models are not fitted, not warned about, listed once.
        let models = run.table("models")
        #expect(!models.contains { $0["model"] == "any_intervention" || $0["model"] == "interventions" })
        #expect(models.contains { $0["model"] == "contacts" })
        for name in ["any_intervention", "interventions"] {
            #expect(run.model(name)["status"] as? String == "not_recorded")
            #expect(run.model(name)["message"] as? String == "interventions not recorded in this export")
        }
        // Age is recorded here: the age-band rates count referrals by hand (age 20 + i:
        // 18-24 is i = 0-4, 25-34 is i = 5-14, 55-64 is i = 35-39; no one is 0-17).
        let bands = Dictionary(uniqueKeysWithValues: run.table("rates_by_group").filter { $0["dimension"] == "age_band" }.map { ($0["group"]!, $0) })
        #expect(bands["0-17"]?["referrals"] == "0" && bands["18-24"]?["referrals"] == "5" && bands["25-34"]?["referrals"] == "10")
        #expect(bands["55-64"]?["referrals"] == "5" && bands["25-34"]?["note"] == "crude_only")
        // Manifest and summary.
        #expect(run.manifest["fields_not_recorded"] as? [String] == ["interventions"])
        #expect(((run.manifest["inputs"] as? [[String: Any]])?.first?["fields_not_recorded"]) as? [String] == ["interventions"])
        #expect(
            run.stderr.contains(
                "sprx: not recorded in this export: interventions; left empty, not 0: the intervention share; models not fitted: any_intervention, interventions\n"
            ),
            "\(run.stderr)")
        #expect(run.stderr.contains("an intervention not recorded in this export"))
        Self.expectWithheldInReport(run, word: "intervention", headline: "Received at least one intervention", funnelID: "funnel-intervention-share")
        // The recorded share is still compared with the literature (a whole percentage: under 2,500 referrals).
        #expect(run.text("report.md").contains("75% of referrals reached a link worker (95% interval "))
        #expect(run.text("report.md").contains("*Compared with:* Bu et al. (2024): 90% reached a link worker."))
    }

    @Test func contactedAndContactsNotRecorded() throws {
        let run = try Self.run(optional: ["contacted", "contacts"], files: [(0..<40, ["contacted", "contacts"])])
        #expect(run.status == 0, "\(run.stderr)")
        let pathway = run.table("pathway_by_group")
        let all = pathway.first { $0["dimension"] == "all" && $0["group"] == "all" && $0["route_type"] == "all" }
        // Interventions by hand: 14 of 40 = 35.00%.
        #expect(all?["referred"] == "40" && all?["intervention"] == "14" && all?["pct_intervention"] == "35.00", "\(String(describing: all))")
        for row in pathway {
            #expect(
                row["contacted"] == "" && row["pct_contacted"] == ""
                    && row["note"] == "not_recorded:contacted" + (row["referred"] == "0" ? ";no_referrals" : ""), "\(row)")
        }
        for row in run.table("trends") where row["measure"] == "contacted_share" {
            #expect(row["numerator"] == "" && row["value"] == "" && row["note"] == "not_recorded:contacted", "\(row)")
        }
        #expect(!run.table("organisations").contains { $0["indicator"] == "contacted_share" })
        #expect(run.model("contacts")["status"] as? String == "not_recorded")
        #expect(run.model("any_intervention")["status"] as? String == "fitted")
        #expect(run.manifest["fields_not_recorded"] as? [String] == ["contacted", "contacts"])
        #expect(
            run.stderr.contains(
                "sprx: not recorded in this export: contacted, contacts; left empty, not 0: the share that reached a link worker; models not fitted: contacts\n"
            ), "\(run.stderr)")
        Self.expectWithheldInReport(run, word: "link worker", headline: "Reached a link worker", funnelID: "funnel-contacted-share")
        #expect(run.text("report.md").contains("35% of referrals received at least one intervention (95% interval "))
        #expect(run.text("report.md").contains("*Compared with:* Bu et al. (2024): 38% received any intervention."))
    }

    /// Without the contacted flag, "reached a link worker" is `contacts > 0`, the
    /// contract's rule for an empty flag: here exactly the contacted referrals (30 of 40).
    @Test func contactedAloneNotRecordedIsReadFromContacts() throws {
        let run = try Self.run(optional: ["contacted"], files: [(0..<40, ["contacted"])])
        #expect(run.status == 0, "\(run.stderr)")
        let all = run.table("pathway_by_group").first { $0["dimension"] == "all" && $0["group"] == "all" && $0["route_type"] == "all" }
        #expect(all?["contacted"] == "30" && all?["pct_contacted"] == "75.00" && all?["note"] == "", "\(String(describing: all))")
        #expect(run.manifest["fields_not_recorded"] as? [String] == ["contacted"])
        #expect(run.stderr.contains("sprx: not recorded in this export: contacted; reached a link worker is read from contacts > 0\n"), "\(run.stderr)")
        #expect(!run.stderr.contains("warning: model"), "\(run.stderr)")
    }

    /// No organisation_id: no organisation rows, no funnel plots, and models fitted with
    /// model-based standard errors (nothing to cluster by), said in the report.
    @Test func organisationNotRecorded() throws {
        let run = try Self.run(optional: ["organisation_id"], files: [(0..<40, ["organisation_id"])])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.table("organisations").isEmpty)
        #expect(run.text("tables/organisations.csv").hasPrefix("organisation_id,indicator,"))
        let models = run.table("models")
        #expect(!models.isEmpty)
        for row in models {
            #expect(row["se_type"] == "model" && row["n_clusters"] == "", "\(row)")
        }
        for name in ["route_nonmedical", "any_intervention", "contacts", "interventions"] {
            #expect(run.model(name)["status"] as? String == "fitted", "\(name): \(run.model(name))")
            #expect(run.model(name)["standard_errors"] as? String == "model")
            #expect(run.model(name)["excluded_no_organisation"] as? Int == 0)
        }
        // The route model uses all 40 referrals (none left out for want of an organisation).
        #expect(run.model("route_nonmedical")["n_obs"] as? Int == 40)
        #expect(!run.stderr.contains("warning: model"), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "sprx: not recorded in this export: organisation_id; left empty, not 0: organisation comparisons; model standard errors are model-based\n"),
            "\(run.stderr)")
        let markdown = run.text("report.md")
        #expect(markdown.contains("The organisation is not recorded in this export, so organisations cannot be compared: there are no funnel plots."))
        #expect(!run.text("report.html").contains("id=\"funnel-"))
    }

    /// No area_code: every area is unknown, so no rate against the population is
    /// computed (not 0 referrals per 1,000), and models with area covariates are not fitted.
    @Test func areaNotRecorded() throws {
        let run = try Self.run(optional: ["area_code"], files: [(0..<40, ["area_code"])])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.table("rates_by_group").isEmpty && run.table("inequality").isEmpty)
        #expect(run.manifest["fields_not_recorded"] as? [String] == ["area_code"])
        #expect(run.text("report.md").contains("The area code is not recorded in this export, so every referral's small area is unknown and no referral rate"))
        // The nation table: all 40 referrals Unknown (a fact), never a nation at 0.
        let nations = run.table("route_type_by_group").filter { $0["dimension"] == "nation" }
        #expect(Set(nations.map { $0["group"]! }) == ["Unknown"])
    }

    /// No age: the age-band rates and every age-standardised rate are empty with the
    /// note `not_recorded:age` (not 0 referrals per band, not "fewer than 10 with a known
    /// age"), the band populations (public) are kept, and the report has no table of
    /// age-band rates but a sentence saying why. Crude rates do not need ages: all 40
    /// referrals are English (two English areas), so `all` and `nation,England` count 40.
    @Test func ageNotRecorded() throws {
        let run = try Self.run(optional: ["age"], files: [(0..<40, ["age"])])
        #expect(run.status == 0, "\(run.stderr)")
        let rates = run.table("rates_by_group")
        let bands = rates.filter { $0["dimension"] == "age_band" }
        #expect(bands.map { $0["group"]! } == ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"])
        for row in bands {
            #expect(row["referrals"] == "" && row["crude_rate"] == "" && row["crude_ci_low"] == "" && row["referral_share"] == "", "\(row)")
            #expect(row["representation"] == "" && row["note"] == "not_recorded:age" && row["suppressed"] == "FALSE", "\(row)")
            #expect(row["population"] != "", "a band's population does not depend on ages: \(row)")
        }
        for row in rates where row["dimension"] != "age_band" {
            #expect(row["dsr"] == "" && row["dsr_ci_low"] == "" && row["dsr_scaled"] == "" && row["note"] == "not_recorded:age", "\(row)")
        }
        let all = rates.first { $0["dimension"] == "all" }, england = rates.first { $0["dimension"] == "nation" && $0["group"] == "England" }
        #expect(all?["referrals"] == "40" && all?["crude_rate"] != "" && england?["referrals"] == "40", "\(String(describing: all))")
        let markdown = run.text("report.md"), html = run.text("report.html")
        for text in [markdown, html] {
            #expect(text.contains("There are no rates by age band and no age-standardised rates: age is not recorded in this export."))
            #expect(!text.contains("fewer than 10 referrals with a known age"))
            #expect(!text.contains("crude rate only (age bands are not age-standardised)"), "an age-band rate table")
        }
        #expect(markdown.contains("| England | 40 |") && markdown.contains("age is not recorded in this export, so no age-standardised rate"))
    }

    /// Two files, one without interventions: the field is recorded in part. Its figures
    /// are withheld (the second file's 20 referrals would otherwise count as without an
    /// intervention), the note and the manifest say so, the summary names the file count.
    @Test func interventionsRecordedInPart() throws {
        let run = try Self.run(optional: ["interventions"], files: [(0..<20, []), (20..<40, ["interventions"])])
        #expect(run.status == 0, "\(run.stderr)")
        for row in run.table("pathway_by_group") {
            #expect(row["intervention"] == "" && row["note"] == "recorded_in_part:interventions" + (row["referred"] == "0" ? ";no_referrals" : ""), "\(row)")
        }
        #expect(run.manifest["fields_not_recorded"] as? [String] == [])
        let part = run.manifest["fields_recorded_in_part"] as? [[String: Any]]
        #expect(
            part?.count == 1 && part?.first?["field"] as? String == "interventions" && part?.first?["files_without"] as? Int == 1
                && part?.first?["files"] as? Int == 2)
        let inputs = run.manifest["inputs"] as? [[String: Any]]
        #expect(inputs?.map { $0["fields_not_recorded"] as? [String] ?? ["?"] } == [[], ["interventions"]])
        #expect(run.model("any_intervention")["status"] as? String == "not_recorded")
        #expect(run.stderr.contains("sprx: missing from some input files (their figures withheld): interventions (1 of 2 files)"), "\(run.stderr)")
        #expect(run.text("report.md").contains("- Received at least one intervention: missing from some input files"))
        #expect(!run.stderr.contains("warning: model"), "\(run.stderr)")
    }
}
