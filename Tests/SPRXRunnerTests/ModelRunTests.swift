import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPublish
import SPRXTestSupport
import Testing

@testable import SPRXRunner

/// Reads a CSV written by sprx into dictionaries.
private func readCSV(_ path: String) throws -> [[String: String]] { try CSVTable(path: path).records }

private let fixture = "\(packageRoot)/Tests/SPRXRunnerTests/Fixtures/models-6000"

@Suite(.serialized, .timeLimit(.minutes(10))) struct ModelRunTests {
    /// The default pipeline's four models on 6,000 generated referrals, against R.
    ///
    /// Expected values: Fixtures/models-6000-r.csv, written by
    /// `scripts/check_models.py Tests/SPRXRunnerTests/Fixtures/models-6000 Pipelines/referral-equity.yaml OUT WORK
    /// --write-expected ...`: DuckDB 2.0.0 rebuilt one row per referral from the gzip
    /// CSV and the reference lookups (scripts/duckdb_frame.py), and R 4.2.2 fitted
    /// glm (binomial), MASS 7.3.58.2 glm.nb and sandwich 3.0.2 vcovCL(type = "HC1")
    /// by organisation (scripts/models_in_r.R). Nothing of sprx is involved.
    @Test func defaultModelsMatchR() throws {
        let out = temporaryDirectory("models") + "/out"
        let summary = try RunJob.run(
            RunOptions(pipelinePath: defaultPipeline, inputs: [fixture], outputDirectory: out, jobs: 2, disclosureControl: false, quiet: true))
        #expect(summary.models.map(\.status) == [.fitted, .fitted, .fitted, .fitted])
        let rows = try readCSV(out + "/tables/models.csv")
        var expected: [String: Double] = [:]
        for f in CSVTable.records(try String(contentsOfFile: fixture + "-r.csv", encoding: .utf8)) where !f[0].hasPrefix("#") && f[0] != "model" {
            expected["\(f[0])|\(f[1])|\(f[2])|\(f[3])"] = Double(f[4])!
        }
        func row(_ model: String, _ term: String, _ level: String, _ measures: Set<String>) -> [String: String]? {
            rows.first { $0["model"] == model && $0["term"] == term && $0["level"] == level && measures.contains($0["measure"]!) }
        }
        let ratio: Set = ["odds_ratio", "rate_ratio", "baseline_odds", "baseline_rate"]
        var checked = 0
        for (key, value) in expected {
            let k = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let (model, term, level, quantity) = (k[0], k[1], k[2], k[3])
            func close(_ got: String?, _ want: Double, relative tolerance: Double) {
                checked += 1
                let g = Double(got ?? "") ?? .nan
                #expect(abs(g - want) / abs(want) < tolerance, "\(key): sprx \(got ?? "missing") R \(want)")
            }
            switch quantity {
            case "coef": close(row(model, term, level, ratio)?["estimate"], exp(value), relative: 1e-6)
            case "se_model": close(row(model, term, level, ratio)?["std_error_model"], value, relative: 1e-4)
            case "se_cr1": close(row(model, term, level, ratio)?["std_error"], value, relative: 1e-4)
            case "theta": close(row(model, "theta", "", ["dispersion"])?["estimate"], value, relative: 1e-6)
            case "theta_se": close(row(model, "theta", "", ["dispersion"])?["std_error"], value, relative: 1e-4)
            case "ame": close(row(model, term, level, ["ame_pp"])?["estimate"], 100 * value, relative: 1e-6)
            case "ame_se_cr1": close(row(model, term, level, ["ame_pp"])?["std_error"], 100 * value, relative: 1e-4)
            case "n_obs": close(rows.first { $0["model"] == model }?["n_obs"], value, relative: 1e-12)
            case "n_clusters": close(rows.first { $0["model"] == model }?["n_clusters"], value, relative: 1e-12)
            default: Issue.record("unexpected quantity \(quantity)")
            }
        }
        #expect(checked == expected.count && checked > 350)
        // Every model row is backed by an expected value: nothing extra, nothing missing.
        let ratioRows = rows.filter { ratio.contains($0["measure"]!) }
        #expect(ratioRows.count == expected.keys.filter { $0.hasSuffix("|coef") }.count)
    }

    /// Exact repeats of referrals (a second, overlapping extract) are duplicates: they
    /// are taken out of the models' histograms too, so the models do not change.
    @Test func duplicatesDoNotChangeTheModels() throws {
        let dir = temporaryDirectory("models-dup")
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture + "/referrals-001.csv.gz"))
        try original.write(to: URL(fileURLWithPath: dir + "/a.csv.gz"))
        try original.write(to: URL(fileURLWithPath: dir + "/b.csv.gz"))
        let single = temporaryDirectory("models-single") + "/out"
        let doubled = temporaryDirectory("models-doubled") + "/out"
        try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: [fixture], outputDirectory: single, quiet: true))
        let summary = try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: [dir], outputDirectory: doubled, quiet: true))
        #expect(summary.duplicate == 6000)
        #expect(try tables(in: single)["models.csv"] == tables(in: doubled)["models.csv"])
    }

    /// With disclosure control on (the default), levels with 1-7 referrals or 1-7
    /// events are suppressed and n_obs is rounded; the SampleData fixture has such levels.
    @Test func disclosureControlAppliesToModels() throws {
        let out = temporaryDirectory("models-sdc") + "/out"
        let summary = try RunJob.run(
            RunOptions(pipelinePath: defaultPipeline, inputs: ["\(packageRoot)/SampleData/canonical"], outputDirectory: out, quiet: true))
        let rows = try readCSV(out + "/tables/models.csv")
        #expect(!rows.isEmpty)
        for row in rows {
            #expect(Int(row["n_obs"]!)! % 5 == 0)
            #expect(row["disclosure_control"] == "on")
            if row["suppressed"] == "TRUE" {
                #expect(row["estimate"] == "" && row["std_error"] == "" && row["p_value"] == "")
            }
        }
        // Sex "Other": about 10 referrals in SampleData (route_type_by_group), at most 7
        // of them non-medical, so suppressed in the logistic models (events 1-7) but not
        // in the count models (8 or more referrals).
        let other = rows.filter { $0["term"] == "sex" && $0["level"] == "Other" }
        #expect(other.filter { $0["family"] == "logistic" }.count == 4)
        #expect(other.allSatisfy { $0["suppressed"] == ($0["family"] == "logistic" ? "TRUE" : "FALSE") })
        // The manifest's sizes are controlled as models.csv's (issue 24): n_obs rounded to 5
        // (by hand: the exact size rounded half up to a multiple of 5), as in the table.
        let fitted = summary.models.filter { $0.status == .fitted }
        #expect(fitted.count == 4)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let models = manifest["models"] as! [[String: Any]]
        #expect(models.map { $0["name"] as! String } == ["route_nonmedical", "any_intervention", "contacts", "interventions"])
        #expect(models.map { ($0["n_obs"] as! NSNumber).int64Value } == fitted.map { ($0.observations + 2) / 5 * 5 })
        #expect(models.map { ($0["n_obs"] as! NSNumber).stringValue } == fitted.map { name in rows.first { $0["model"] == name.name }!["n_obs"]! })
    }
}
