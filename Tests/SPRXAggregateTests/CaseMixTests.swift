import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// Indirect standardisation of the organisations' shares: PHE's ratio, limits, funnel and
/// significance against PHEindicatormethods' own test data, the expected counts by hand,
/// and the case-mix counts merging like every other count.
@Suite(.timeLimit(.minutes(10))) struct CaseMixTests {
    // PHEindicatormethods tests/testthat/testISRatios.R, "isratios and CIs calculate
    // correctly" (commit 093fd288d8f8949dbcfbed70049dbbf385b6141d): calculate_ISRatio of
    // testdata_multiarea against refdata, confidence c(0.95, 0.998), gives the rows
    // "indirectly standardised ratio x 1" of testresults_ISR (Fixtures/phe_isr_*.csv,
    // scripts/expected/phe_isr_fixtures.py). The expected count goes through
    // CaseMixStandard (the reference rates as stratum shares), the limits through
    // StandardisedRatio; compared to 1e-9 relative.
    @Test func ratioAndLimitsMatchPHETestData() throws {
        var reference: [UInt32: ResidentCounts] = [:]
        for row in try FixtureTable("phe_isr_refdata.csv").records {
            var counts = ResidentCounts()
            counts.referred = Int64(try #require(row.number("refpop")))
            counts.nonMedical = Int64(try #require(row.number("refcount")))
            reference[UInt32(try #require(row.number("stratum")))] = counts
        }
        let standard = CaseMixStandard(strata: reference)
        var areas: [String: (observed: Int64, strata: [UInt32: ResidentCounts])] = [:]
        for row in try FixtureTable("phe_isr_inputs.csv").records {
            let area = try #require(row["area"])
            var counts = ResidentCounts()
            counts.referred = Int64(try #require(row.number("pop")))
            areas[area, default: (0, [:])].strata[UInt32(try #require(row.number("stratum")))] = counts
            // An empty count is NA: PHE sums the observed events with na.rm = TRUE.
            areas[area, default: (0, [:])].observed += Int64(row.number("count") ?? 0)
        }
        let results = try FixtureTable("phe_isr_results.csv").records
        #expect(results.count == 3)
        for result in results {
            let name = try #require(result["area"])
            let area = try #require(areas[name])
            #expect(area.observed == Int64(try #require(result.number("observed"))))
            let expected = standard.expected(.nonMedicalShare, strata: area.strata)
            #expect(close(expected, try #require(result.number("expected")), relative: 1e-12))
            let ratio = try #require(StandardisedRatio(observed: area.observed, expected: expected))
            let pairs: [(Double, String)] = [
                (ratio.ratio, "value"), (ratio.limits95.lower, "lower95_0cl"), (ratio.limits95.upper, "upper95_0cl"),
                (ratio.limits998.lower, "lower99_8cl"), (ratio.limits998.upper, "upper99_8cl"),
            ]
            for (actual, column) in pairs {
                #expect(close(actual, try #require(result.number(column)), relative: 1e-9), "\(column) of \(result["area"] ?? "")")
            }
        }
    }

    // testFunnels.R, "confidence limits calculate correctly for ratios (isr)":
    // calculate_funnel_limits(statistic = "ratio", ratio_type = "isr", multiplier = 100)
    // gives testdata_funnel_ratio_outputs.csv (Fixtures/phe_funnel_ratio_outputs.csv) at
    // each of its 100 points x: the limits x/λ (its *_isr columns, × 100) from the Poisson
    // means λ (its *_exp_events columns). PHE finds λ = (1 + x)v/(1 − v) by bisecting v to
    // 1e-7, so λ is compared to that resolution, (1 + x)/(1 − v)² × 2e-7, and the limits to
    // the same relative error.
    @Test func funnelLimitsMatchPHETestData() throws {
        let table = try FixtureTable("phe_funnel_ratio_outputs.csv")
        #expect(table.records.count == 100)
        for row in table.records {
            let x = try #require(row.number("Observed_events"))
            let limits = try #require(RatioFunnel.limits(expected: x))
            let pairs: [(Double, String, String)] = [
                (limits.lower95, "lower_2s_exp_events", "lower_2s_isr"), (limits.upper95, "upper_2s_exp_events", "upper_2s_isr"),
                (limits.lower998, "lower_3s_exp_events", "lower_3s_isr"), (limits.upper998, "upper_3s_exp_events", "upper_3s_isr"),
            ]
            for (limit, meanColumn, isrColumn) in pairs {
                let mean = try #require(row.number(meanColumn))
                let v = mean / (1 + x + mean)
                let resolution = 2e-7 * (1 + x) / ((1 - v) * (1 - v))
                #expect(abs(x / limit - mean) <= resolution, "\(meanColumn) at \(x)")
                let isr = try #require(row.number(isrColumn))
                #expect(close(100 * limit, isr, relative: 2 * resolution / mean + 1e-9), "\(isrColumn) at \(x)")
            }
        }
    }

    // testFunnels.R, "Significance for ratios calculates correctly": every area's
    // assign_funnel_significance(statistic = "ratio") result for its obs and expected
    // (Fixtures/phe_funnel_ratio_inputs.csv, 300 areas).
    @Test func flagsMatchPHESignificance() throws {
        let names: [String: OrganisationColumn.Flag] = [
            "High (0.001)": .above998, "High (0.025)": .above95, "Low (0.001)": .below998, "Low (0.025)": .below95, "Not significant": .within,
        ]
        let rows = try FixtureTable("phe_funnel_ratio_inputs.csv").records
        #expect(rows.count == 300)
        var seen: Set<OrganisationColumn.Flag> = []
        for row in rows {
            let observed = Int64(try #require(row.number("obs")))
            let expected = try #require(row.number("expected"))
            let flag = try #require(StandardisedRatio(observed: observed, expected: expected)).flag
            #expect(flag == names[try #require(row["significance"])], "\(observed) of \(expected)")
            seen.insert(flag)
        }
        #expect(seen.count == 5, "the data reach every flag")
    }

    // The gamma distribution function against values computed independently with
    // scipy.special.gammainc (scipy 1.17.1): P(2.5, 1) = 0.15085496391539038,
    // P(10, 12) = 0.7576078383294875, P(0.3, 0.01) = 0.27924099635901484.
    @Test func gammaDistributionMatchesScipy() {
        #expect(close(GammaDistribution.cdf(1, shape: 2.5), 0.15085496391539038, relative: 1e-12))
        #expect(close(GammaDistribution.cdf(12, shape: 10), 0.7576078383294875, relative: 1e-12))
        #expect(close(GammaDistribution.cdf(0.01, shape: 0.3), 0.27924099635901484, relative: 1e-10))
        #expect(close(GammaDistribution.cdf(GammaDistribution.quantile(0.3, shape: 4.2), shape: 4.2), 0.3, relative: 1e-12))
    }

    // The gamma quantile against scipy.special.gammaincinv (scipy 1.17.1), from a shape
    // of 0.01 (the smallest expected count a ratio funnel is drawn for; its 0.1% point
    // is near the smallest normal double) to a quarter of a million, and from the 0.1%
    // to the 99.9% point (the funnel limits' range).
    @Test func gammaQuantileMatchesScipy() {
        let cases: [(a: Double, p: Double, x: Double)] = [
            (0.01, 0.001, 5.660738147062265e-301), (0.03, 0.001, 5.752818817068877e-101), (0.05, 0.001, 5.844632057286632e-61),
            (0.02, 0.999, 2.006320801776613), (0.2, 0.025, 6.372539920029766e-09),
            (0.5, 0.001, 7.853985746312461e-07), (1, 0.025, 0.025317807984289876), (10, 0.975, 17.084803451419166),
            (10_000, 0.001, 9693.824385823726), (10_000, 0.999, 10311.875224539537), (250_000.5, 0.025, 249021.4645243394),
            (3.7, 0.5, 3.3725380132364133),
        ]
        for c in cases { #expect(close(GammaDistribution.quantile(c.p, shape: c.a), c.x, relative: 1e-12), "a = \(c.a), p = \(c.p)") }
    }

    /// Two organisations × two strata, counted through ``OrganisationCounts``.
    ///
    /// A10001: stratum 0, 10 referrals (2 non-medical); stratum 1, 30 (15).
    /// B10002: stratum 0, 40 referrals (12); stratum 1, 20 (8).
    static func twoByTwo() -> OrganisationCounts {
        var counts = OrganisationCounts()
        let cells: [(String, UInt32, Int, Int)] = [("A10001", 0, 10, 2), ("A10001", 1, 30, 15), ("B10002", 0, 40, 12), ("B10002", 1, 20, 8)]
        for (code, stratum, referrals, nonMedical) in cells {
            for i in 0..<referrals {
                counts.add(
                    organisation: ShortCode(code)!, month: 24_290, stratum: stratum, nonMedical: i < nonMedical, contacted: true, intervention: false)
            }
        }
        return counts
    }

    /// ``twoByTwo()`` and a third organisation, C10003, in a stratum of its own (stratum 2:
    /// 20 referrals, 10 non-medical, all contacted), so the standard comes from
    /// ``OrganisationTableBuilder/minimumOrganisationsForCaseMix`` organisations while the
    /// shares of strata 0 and 1, and so A10001's and B10002's expected counts, stay.
    static func threeOrganisations(third code: String = "C10003", stratum: UInt32 = 2) -> OrganisationCounts {
        var counts = twoByTwo()
        for i in 0..<20 {
            counts.add(organisation: ShortCode(code)!, month: 24_290, stratum: stratum, nonMedical: i < 10, contacted: true, intervention: false)
        }
        return counts
    }

    // Strata of fewer than 3 organisations are collapsed to the published overall share.
    // By hand, with the three organisations of expectedCountsByHand (A and B in strata 0
    // and 1, the third alone in stratum 2 with 20 referrals, 10 non-medical):
    // the two shared strata keep their own shares only when 3 organisations are in them,
    // which none is, so every stratum takes overall = Σ non-medical / Σ referrals over
    // the three, and E = n × overall for each: the crude comparison, no exact share of
    // any organisation inside any expected count.
    @Test func strataOfTooFewOrganisationsAreCollapsed() throws {
        let counts = Self.threeOrganisations()
        let table = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false)).build(counts, directory: nil)
        func value(_ id: String, _ column: OrganisationColumn) -> Double? {
            table.rows.first { $0[OrganisationColumn.organisationID].string == id && $0[OrganisationColumn.indicator].string == "non_medical_share" }?[column]
                .value
        }
        var referrals = 0.0, nonMedical = 0.0
        for id in ["A10001", "B10002", "C10003"] {
            referrals += try #require(value(id, .denominator))
            nonMedical += try #require(value(id, .numerator))
        }
        let overall = nonMedical / referrals
        for id in ["A10001", "B10002", "C10003"] {
            let n = try #require(value(id, .denominator))
            let expected = try #require(value(id, .expected))
            #expect(abs(expected - n * overall) <= 1e-5 * n * overall, "\(id): E \(expected), n × overall \(n * overall)")
        }
    }

    // By hand: stratum shares p0 = (2 + 12)/(10 + 40) = 0.28, p1 = (15 + 8)/(30 + 20) = 0.46.
    // E(A) = 10 × 0.28 + 30 × 0.46 = 2.8 + 13.8 = 16.6, O(A) = 17, isr = 17/16.6 = 1.02410;
    // E(B) = 40 × 0.28 + 20 × 0.46 = 11.2 + 9.2 = 20.4, O(B) = 20, isr = 20/20.4 = 0.980392.
    // Σ E = 37 = Σ O. Every referral contacted: each stratum's share is 1, E = n, isr = 1.
    @Test func expectedCountsByHand() throws {
        // The arithmetic by hand: every stratum keeps its own share (two organisations in
        // each, below the publication rule's 3; strataOfTooFewOrganisationsAreCollapsed
        // checks that rule).
        var builder = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false))
        builder.minimumOrganisationsPerStratum = 1
        let table = builder.build(Self.threeOrganisations(), directory: nil)
        func cell(_ id: String, _ indicator: OrganisationColumn.Indicator, _ column: OrganisationColumn) -> String {
            let row = table.rows.first {
                $0[OrganisationColumn.organisationID.index].string == id && $0[OrganisationColumn.indicator.index].string == indicator.rawValue
            }
            return row?[column.index].csv ?? "(no row)"
        }
        #expect(cell("A10001", .nonMedicalShare, .observed) == "17")
        #expect(cell("A10001", .nonMedicalShare, .expected) == "16.6")
        #expect(cell("A10001", .nonMedicalShare, .isr) == "1.0241")
        #expect(cell("B10002", .nonMedicalShare, .observed) == "20")
        #expect(cell("B10002", .nonMedicalShare, .expected) == "20.4")
        #expect(cell("B10002", .nonMedicalShare, .isr) == "0.980392")
        #expect(cell("A10001", .contactedShare, .expected) == "40")
        #expect(cell("A10001", .contactedShare, .isr) == "1")
        // No intervention anywhere: no events expected, no ratio, and the note says so.
        #expect(cell("A10001", .interventionShare, .expected) == "0")
        #expect(cell("A10001", .interventionShare, .isr) == "")
        #expect(cell("A10001", .interventionShare, .note).contains(OrganisationColumn.Note.noExpectedEvents))
    }

    // Parent and pooled rows, by hand: an id the lookup does not list (Z99999: 10
    // referrals in stratum 0, 5 non-medical) is pooled as (other) and counts in the
    // standard: p0 = (2 + 12 + 5)/(10 + 40 + 10) = 19/60, p1 = 23/50 = 0.46. So
    // E(other) = 10 × 19/60 = 3.16667, E(A) = 10 × 19/60 + 30 × 0.46 = 16.9667,
    // E(B) = 40 × 19/60 + 20 × 0.46 = 21.8667; their parent P1 has observed 17 + 20 = 37
    // and expected 38.8333, and 38.8333 + 3.16667 = 42 = Σ observed (37 + 5). φ and τ²
    // are estimated from the organisation rows only: `units` 3, A10001, B10002 and C10003
    // (listed, with no parent, in a stratum of its own; the pooled and parent rows are not units).
    @Test func parentAndPooledRows() throws {
        var counts = Self.threeOrganisations()
        for i in 0..<10 { counts.add(organisation: ShortCode("Z99999")!, month: 24_290, stratum: 0, nonMedical: i < 5, contacted: i < 9, intervention: i < 2) }
        let directory = OrganisationDirectory(
            organisations: [
                "A10001": OrganisationInfo(code: "A10001", name: "A", type: "PCN", parentCode: "P1", parentName: "Parent", parentType: "ICB"),
                "B10002": OrganisationInfo(code: "B10002", name: "B", type: "PCN", parentCode: "P1", parentName: "Parent", parentType: "ICB"),
                "C10003": OrganisationInfo(code: "C10003", name: "C", type: "PCN", parentCode: "", parentName: "", parentType: ""),
            ], edition: "test")
        var builder = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false))
        builder.minimumOrganisationsPerStratum = 1  // the arithmetic by hand, every stratum its own share
        let built = builder.buildWithFigures(counts, directory: directory)
        func cell(_ id: String, _ column: OrganisationColumn) -> String {
            let row = built.table.rows.first {
                $0[OrganisationColumn.organisationID.index].string == id && $0[OrganisationColumn.indicator.index].string == "non_medical_share"
            }
            return row?[column.index].csv ?? "(no row)"
        }
        #expect(cell("A10001", .expected) == "16.9667")
        #expect(cell(OrganisationTableBuilder.pooledID, .observed) == "5")
        #expect(cell(OrganisationTableBuilder.pooledID, .expected) == "3.16667")
        #expect(cell("P1", .observed) == "37")
        #expect(cell("P1", .expected) == "38.8333")
        let proportion = try #require(built.figures.dispersion.first { $0.indicator == "non_medical_share" && $0.kind == .proportion })
        #expect(proportion.units == 3)
        #expect(built.figures.caseMixStrata == GroupKeySchema.defaultCaseMixStrata)
    }

    // Σ expected = Σ observed over the organisation rows (the pooled row included), on
    // counts drawn at random: the standard population is every referral with an id.
    @Test func expectedSumsToObserved() throws {
        var random = SeededRandom(seed: 27)
        var counts = OrganisationCounts()
        for _ in 0..<5000 {
            let code = ["A10001", "B10002", "C10003", "D10004", "free text"][Int.random(in: 0..<5, using: &random)]
            counts.add(
                organisation: ShortCode(code)!, month: 24_290, stratum: UInt32(Int.random(in: 0..<12, using: &random)),
                nonMedical: Int.random(in: 0..<3, using: &random) == 0,
                contacted: Int.random(in: 0..<4, using: &random) != 0, intervention: Int.random(in: 0..<5, using: &random) == 0)
        }
        let table = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false)).build(counts, directory: nil)
        for indicator in OrganisationColumn.Indicator.allCases {
            let rows = table.rows.filter { $0[OrganisationColumn.indicator.index].string == indicator.rawValue }
            #expect(rows.count == 5)
            let observed = rows.compactMap { $0[OrganisationColumn.observed.index].count }.reduce(0, +)
            let expected = rows.compactMap { $0[OrganisationColumn.expected.index].value }.reduce(0, +)
            #expect(observed > 0)
            // Each expected count is printed to 6 significant digits.
            #expect(abs(expected - Double(observed)) < 5 * 1e-3, "\(indicator): \(expected) against \(observed)")
        }
    }

    /// One referral of `organisation` with the given age band, sex, decile and nation.
    static func add(
        _ counts: inout ReferralCounts, _ schema: GroupKeySchema, organisation: String, ageBand: UInt8, sex: Sex, decile: UInt8, nonMedical: Bool
    ) {
        let key = schema.key(
            ageBand: ageBand, sex: sex, ethnicity: .white, nation: .england, decile: decile, rurality: .urban,
            routeType: nonMedical ? .nonMedical : .medical, contacted: false, route: 0, month: 24_290)
        counts.add(key: key, reasons: 0, contacted: false, intervention: false, organisation: ShortCode(organisation)!)
    }

    static let bands = [AgeBand(label: "0-39", lower: 0, upper: 39), AgeBand(label: "40+", lower: 40, upper: 200)]

    // Deciles 1 and 2 are one quintile: referrals that differ only there share a
    // stratum, and Unknown is a stratum of its own. Two halves of the referrals counted
    // apart and merged equal the whole counted at once, and encode to the same bytes.
    @Test func strataPackQuintilesAndMerge() throws {
        let schema = try GroupKeySchema(ageBands: Self.bands, routes: ["gp", "unknown"], reasons: [])
        var whole = ReferralCounts(schema: schema), left = ReferralCounts(schema: schema), right = ReferralCounts(schema: schema)
        let referrals: [(String, UInt8, Sex, UInt8, Bool)] = [
            ("A10001", 0, .female, 1, true), ("A10001", 0, .female, 2, false), ("A10001", 1, .male, 0, true), ("B10002", 0, .female, 2, true),
            ("B10002", 1, .male, 10, false), ("B10002", 1, .male, 9, true),
        ]
        for (i, referral) in referrals.enumerated() {
            Self.add(&whole, schema, organisation: referral.0, ageBand: referral.1, sex: referral.2, decile: referral.3, nonMedical: referral.4)
            if i % 2 == 0 {
                Self.add(&left, schema, organisation: referral.0, ageBand: referral.1, sex: referral.2, decile: referral.3, nonMedical: referral.4)
            } else {
                Self.add(&right, schema, organisation: referral.0, ageBand: referral.1, sex: referral.2, decile: referral.3, nonMedical: referral.4)
            }
        }
        var strataOfA: [UInt32: Int64] = [:]
        for entry in whole.organisations.strataEntries where entry.organisation.description == "A10001" { strataOfA[entry.stratum] = entry.counts.referred }
        // A10001: deciles 1 and 2 of the same band and sex are one stratum of 2; the unknown decile another.
        #expect(strataOfA.values.sorted() == [1, 2])
        var strataOfB: [UInt32: Int64] = [:]
        for entry in whole.organisations.strataEntries where entry.organisation.description == "B10002" { strataOfB[entry.stratum] = entry.counts.referred }
        // B10002: deciles 10 and 9 are quintile 5 of the same band and sex.
        #expect(strataOfB.values.sorted() == [1, 2])
        left.merge(right)
        #expect(left == whole)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(left) == encoder.encode(whole))
        #expect(try JSONDecoder().decode(ReferralCounts.self, from: encoder.encode(whole)) == whole)
    }

    // Counts stratified otherwise are not added together: the strata are part of the
    // layout a merge checks.
    @Test func otherStrataDoNotMerge() throws {
        let schema = try GroupKeySchema(ageBands: Self.bands, routes: ["gp", "unknown"], reasons: [])
        var counts = ReferralCounts(schema: schema)
        let other = ReferralCounts(schema: try schema.settingCaseMix([Grouping.Name.ageBand, Grouping.Name.imdDecile]))
        #expect(throws: SPRXError.self) { try counts.merge(counted: other) }
    }

    // Which groupings may stratify: the demographic ones, each field once, within 32 bits.
    @Test func strataChoicesAreChecked() throws {
        let schema = try GroupKeySchema(ageBands: Self.bands, routes: ["gp", "unknown"], reasons: [])
        #expect(schema.caseMixStrata.map(\.name) == ["age_band", "sex", "imd_quintile", "nation"])
        #expect(schema.caseMixProblem(["age_band", "ethnicity", "rurality"]) == nil)
        #expect(schema.caseMixProblem([]) == nil)
        #expect(schema.caseMixProblem(["route"])?.contains("'route'") == true)
        #expect(schema.caseMixProblem(["imd_decile", "imd_quintile"])?.contains("each field once") == true)
        #expect(throws: GroupKeySchema.Overflow.self) { try schema.settingCaseMix(["month"]) }
    }

    // The robust flag for the ratio, by hand: X has 12 of 23 contacted (one stratum for
    // everyone, so its share over every referral, 82/124, is each organisation's expected
    // share), published 10 of 25. The published pair's ratio is 10 / (25 × 82/124 = 16.53)
    // within (Byar's 95% upper limit for 10, 18.39, is above 16.53), but the pair stands for
    // 8-12 of 23-27, and 8 of 27 (expected 17.85) is below 95% (the exact upper limit for
    // 8 is 15.76): no `isr_flag`, and the note says why. Without control, 12 of 23 is
    // within (expected 15.21; Byar's limits for 12, 6.20-20.96). A third organisation,
    // W10003 (82 of 124 contacted), keeps the share over every referral at 164/248 = 82/124.
    @Test func ratioFlagOnlyWhatRoundingCannotMove() {
        var counts = OrganisationCounts()
        for i in 0..<23 { counts.add(organisation: ShortCode("X10001")!, month: 24_290, nonMedical: i < 6, contacted: i < 12, intervention: false) }
        for i in 0..<101 { counts.add(organisation: ShortCode("Y10002")!, month: 24_290, nonMedical: i < 50, contacted: i < 70, intervention: i < 9) }
        for i in 0..<124 { counts.add(organisation: ShortCode("W10003")!, month: 24_290, nonMedical: i < 50, contacted: i < 82, intervention: i < 9) }
        func cells(_ enabled: Bool) -> (flag: String, note: String) {
            let table = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: enabled, suppressUpTo: 7, roundTo: 5)).build(counts, directory: nil)
            let row = table.rows.first {
                $0[OrganisationColumn.organisationID.index].string == "X10001" && $0[OrganisationColumn.indicator.index].string == "contacted_share"
            }
            return (row?[OrganisationColumn.isrFlag.index].csv ?? "(no row)", row?[OrganisationColumn.note.index].csv ?? "")
        }
        let controlled = cells(true)
        #expect(controlled.flag == "")
        #expect(controlled.note.split(separator: ";").contains { $0 == OrganisationColumn.Note.isrFlagWithheldRounding })
        #expect(cells(false).flag == "within")
    }

    // Disclosure control on: a row with a suppressed count has no case-mix cells;
    // `observed` is the published numerator and `expected` the published denominator times
    // the mix's expected share. A10001 (n = 40, 17 non-medical → 15, 40 → 40):
    // m = 16.6/40 = 0.415, E = 40 × 0.415 = 16.6, isr = 15/16.6 = 0.903614.
    // B10002 (n = 60 → 60, 20 → 20): E = 60 × 20.4/60 = 20.4, isr = 0.980392.
    @Test func disclosureControlPublishesFromPublishedCounts() throws {
        var builder = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))
        builder.minimumOrganisationsPerStratum = 1  // the arithmetic by hand, every stratum its own share
        var counts = Self.threeOrganisations(third: "D10004", stratum: 3)
        // C10003: 5 referrals in a stratum of its own (the shares of strata 0 and 1 stay), suppressed.
        for i in 0..<5 { counts.add(organisation: ShortCode("C10003")!, month: 24_290, stratum: 2, nonMedical: i < 2, contacted: true, intervention: false) }
        let table = builder.build(counts, directory: nil)
        func cell(_ id: String, _ column: OrganisationColumn) -> String {
            let row = table.rows.first {
                $0[OrganisationColumn.organisationID.index].string == id && $0[OrganisationColumn.indicator.index].string == "non_medical_share"
            }
            return row?[column.index].csv ?? "(no row)"
        }
        #expect(cell("A10001", .observed) == "15")
        #expect(cell("A10001", .expected) == "16.6")
        #expect(cell("A10001", .isr) == "0.903614")
        #expect(cell("B10002", .isr) == "0.980392")
        for column in [OrganisationColumn.observed, .expected, .isr, .isrLower95, .isrFunnelUpper998, .isrFlag] { #expect(cell("C10003", column) == "") }
    }
}
