import Foundation
import SPRXTestSupport
import Testing

/// Issue 26's acceptance test: a dimension declared in a pipeline only (no code), on a
/// generated export carrying its column, publishes tables equal to an independent
/// recount and model terms equal to statsmodels.
///
/// The fixture (Tests/EndToEndTests/Fixtures/declared-dimension, see its README.md) is
/// 4,000 rows `sprx generate --extra-column "Disability status=…"` wrote; its
/// `pipeline.yaml` is the shipped referral-equity pipeline plus a `dimensions:` section
/// (`disability`, levels Yes/No, `tables: true`, `model: true`), two `reason_groups`
/// sharing a reason, and `disability` among the route_nonmedical model's covariates.
/// The expected values in `expected/` come from scripts/declared_dimension_expected.py:
/// DuckDB rebuilds one row per referral from the raw gzip CSV and the reference lookups
/// (scripts/duckdb_frame.py, no sprx code) and recounts the tables; statsmodels fits the
/// model (GLM Binomial, CR1 standard errors by organisation). Counts must be equal;
/// percentages and intervals within the 2 decimals sprx writes; odds ratios within 1e-6
/// relative and standard errors within 1e-4 relative, as scripts/check_models.py allows.
@Suite(.timeLimit(.minutes(10))) struct DeclaredDimensionAcceptanceTests {
    static let fixture = packageRoot + "/Tests/EndToEndTests/Fixtures/declared-dimension"
    /// The dimensions the fixture's pipeline adds (the declared one and the reason groups).
    static let added: Set<String> = ["disability", "reason_group"]

    /// The fixture run once for every test of the suite: its tables folder.
    static let run: (tables: String, status: Int32, stderr: String) = {
        let dir = scratch()
        let result = try? sprx([
            "run", "--pipeline", fixture + "/pipeline.yaml", "--input", fixture + "/data", "--out", dir + "/out", "--quiet",
            "--no-disclosure-control",
        ])
        return (dir + "/out/tables", result?.status ?? -1, result?.stderr ?? "sprx did not run")
    }()

    /// The rows of `table` (the expected one, or sprx's) keyed by `key`, for the added dimensions.
    func rows(_ path: String, key: [String]) throws -> [[String]: [String: String]] {
        var rows: [[String]: [String: String]] = [:]
        for record in try CSVTable(path: path).records where Self.added.contains(record["dimension"] ?? "") {
            let id = key.map { record[$0] ?? "" }
            #expect(rows[id] == nil, "\(path) lists \(id) twice")
            rows[id] = record
        }
        return rows
    }

    /// Compares sprx's `table` with the expectation: every expected row present, counts
    /// equal, decimals within the written rounding; sprx has no row the recount does not.
    func compare(_ table: String, key: [String], counts: [String], decimals: [String], dimensions: Set<String> = added) throws {
        #expect(Self.run.status == 0, "\(Self.run.stderr)")
        let expected = try rows(Self.fixture + "/expected/\(table).csv", key: key)
        let published = try rows(Self.run.tables + "/\(table).csv", key: key)
        #expect(Set(expected.values.map { $0["dimension"] ?? "" }) == dimensions, "the expectation covers \(dimensions.sorted())")
        for (id, row) in published where expected[id] == nil {
            Issue.record("\(table): sprx publishes \(id) (\(row)), which the DuckDB recount does not have")
        }
        for (id, want) in expected.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            guard let got = published[id] else {
                Issue.record("\(table): sprx has no row \(id); DuckDB counts \(want)")
                continue
            }
            #expect(got["disclosure_control"] == "off")
            for column in counts {
                #expect(got[column] == want[column], "\(table) \(id) \(column): sprx \(got[column] ?? "-") DuckDB \(want[column] ?? "-")")
            }
            for column in decimals {
                let wanted = want[column] ?? "", written = got[column] ?? ""
                if wanted.isEmpty || written.isEmpty {
                    #expect(wanted == written, "\(table) \(id) \(column): sprx '\(written)' DuckDB '\(wanted)'")
                } else if let w = Double(wanted), let g = Double(written) {
                    #expect(abs(w - g) <= 0.005 + 1e-9, "\(table) \(id) \(column): sprx \(g) DuckDB \(w)")
                } else {
                    Issue.record("\(table) \(id) \(column): not a number: sprx '\(written)' DuckDB '\(wanted)'")
                }
            }
        }
    }

    @Test func routeTypeRowsEqualTheDuckDBRecount() throws {
        try compare(
            "route_type_by_group", key: ["dimension", "group", "route_type"], counts: ["n", "total"],
            decimals: ["percent", "ci_low", "ci_high"])
    }

    @Test func routeRowsEqualTheDuckDBRecount() throws {
        try compare(
            "route_by_group", key: ["dimension", "group", "route"], counts: ["n", "total"], decimals: ["percent", "ci_low", "ci_high"])
    }

    @Test func pathwayRowsEqualTheDuckDBRecount() throws {
        try compare(
            "pathway_by_group", key: ["dimension", "group", "route_type"], counts: ["referred", "contacted", "intervention"],
            decimals: ["pct_contacted", "pct_intervention"])
    }

    /// The disability values no list names ("Prefer not to say") are counted as unmapped,
    /// as DuckDB counts them.
    @Test func unmappedDisabilityLabelsEqualTheDuckDBCount() throws {
        #expect(Self.run.status == 0, "\(Self.run.stderr)")
        func all(_ path: String) throws -> String? {
            try CSVTable(path: path).records.first { $0["file"] == "all" && $0["measure"] == "unmapped:disability" }?["value"]
        }
        let expected = try #require(try all(Self.fixture + "/expected/data_quality.csv"))
        #expect((Int(expected) ?? 0) > 0, "the fixture has unmapped values")
        #expect(try all(Self.run.tables + "/data_quality.csv") == expected)
    }

    /// Trends by the declared dimension (reason groups have none: docs/pipeline-reference.md).
    @Test func trendRowsEqualTheDuckDBRecount() throws {
        try compare(
            "trends", key: ["measure", "interval", "interval_start", "dimension", "group"],
            counts: ["interval_end", "numerator", "denominator", "partial"], decimals: ["value", "ci_low", "ci_high"], dimensions: ["disability"])
    }

    /// Every term of route_nonmedical (disability among the covariates) equals statsmodels.
    @Test func modelTermsEqualStatsmodels() throws {
        #expect(Self.run.status == 0, "\(Self.run.stderr)")
        let expected = try CSVTable(path: Self.fixture + "/expected/models.csv").records
        var published: [[String]: [String: String]] = [:]
        for record in try CSVTable(path: Self.run.tables + "/models.csv").records
        where record["model"] == "route_nonmedical" && ["odds_ratio", "baseline_odds"].contains(record["measure"] ?? "") {
            published[[record["term"] ?? "", record["level"] ?? ""]] = record
        }
        #expect(expected.contains { $0["term"] == "disability" }, "the expectation has disability terms")
        #expect(published.count == expected.count, "sprx has \(published.count) terms, statsmodels \(expected.count)")
        func relative(_ got: String?, _ want: String?) -> Double {
            guard let g = got.flatMap(Double.init), let w = want.flatMap(Double.init) else { return .infinity }
            return abs(g - w) / abs(w)
        }
        for want in expected {
            let id = [want["term"] ?? "", want["level"] ?? ""]
            guard let got = published[id] else {
                Issue.record("models.csv has no route_nonmedical term \(id)")
                continue
            }
            #expect(
                relative(got["estimate"], want["estimate"]) <= 1e-6, "\(id) odds ratio: sprx \(got["estimate"] ?? "-") statsmodels \(want["estimate"] ?? "-")")
            #expect(
                relative(got["std_error"], want["std_error"]) <= 1e-4, "\(id) CR1 SE: sprx \(got["std_error"] ?? "-") statsmodels \(want["std_error"] ?? "-")")
            #expect(
                relative(got["std_error_model"], want["std_error_model"]) <= 1e-4,
                "\(id) model SE: sprx \(got["std_error_model"] ?? "-") statsmodels \(want["std_error_model"] ?? "-")")
            #expect(got["n_obs"] == want["n_obs"] && got["n_clusters"] == want["n_clusters"], "\(id) n_obs/n_clusters")
        }
    }

    /// The fixture means something: the generator made disability matter for the route
    /// (the No level's log odds ratio at least 3 CR1 standard errors from 0 in statsmodels).
    @Test func theGeneratedColumnHasAnEffect() throws {
        let expected = try CSVTable(path: Self.fixture + "/expected/models.csv").records
        let no = try #require(expected.first { $0["term"] == "disability" && $0["level"] == "No" })
        let coefficient = try #require(no["coefficient"].flatMap(Double.init)), se = try #require(no["std_error"].flatMap(Double.init))
        #expect(abs(coefficient) / se >= 3)
    }
}
