import Foundation
import SPRXCore
import Testing

@testable import SPRXAggregate

/// Public Health England's funnel limits for proportions against PHE's own test data
/// and against an independent root-finding implementation.
@Suite(.timeLimit(.minutes(10))) struct FunnelLimitTests {
    /// PHEindicatormethods' test areas (Fixtures/phe_funnel_prop_inputs.csv): numerator,
    /// denominator and the significance assign_funnel_significance gives.
    static func pheAreas() throws -> [(numerator: Double, denominator: Double, significance: String)] {
        try FixtureTable("phe_funnel_prop_inputs.csv").records.map {
            (try #require($0.number("numerator")), try #require($0.number("denominator")), try #require($0["significance"]))
        }
    }

    /// Compares the limits for every `Population` of a PHE output file with its columns
    /// (percent, 6 or 8 decimals) to 1e-6.
    func checkAgainstPHE(_ fixture: String, areas: [(numerator: Double, denominator: Double, significance: String)]) throws {
        let overall = areas.map(\.numerator).reduce(0, +) / areas.map(\.denominator).reduce(0, +)
        let table = try FixtureTable(fixture)
        #expect(table.records.count == 100)
        for row in table.records {
            let population = try #require(row.number("Population"))
            let limits = try #require(FunnelLimits(denominator: population, overall: overall))
            #expect(abs(100 * overall - (try #require(row.number("Baseline")))) < 1e-6)
            let pairs: [(Double, String)] = [
                (limits.lower95, "Lower2s0025limit"), (limits.upper95, "Upper2s0025limit"), (limits.lower998, "Lower3s0001limit"),
                (limits.upper998, "Upper3s0001limit"),
            ]
            for (actual, column) in pairs {
                let expected = try #require(row.number(column))
                #expect(abs(100 * actual - expected) < 1e-6, "\(column) at \(population)")
            }
        }
    }

    // PHEindicatormethods tests/testthat/testFunnels.R, "confidence limits calculate
    // correctly for proportions": calculate_funnel_limits(statistic = "proportion",
    // multiplier = 100) on all 303 areas gives testdata_funnel_prop_outputs.csv
    // (Fixtures/phe_funnel_prop_outputs.csv, scripts/expected/phe_funnel_fixtures.py).
    @Test func limitsMatchPHETestData() throws {
        let areas = try Self.pheAreas()
        #expect(areas.count == 303)
        try checkAgainstPHE("phe_funnel_prop_outputs.csv", areas: areas)
    }

    // The same with "axis variation": the areas with denominator < 31000
    // (testdata_funnel_prop_outputs_with_axis_variation.csv; Fixtures/phe_funnel_prop_outputs_axis.csv).
    @Test func limitsMatchPHETestDataForSmallerAreas() throws {
        try checkAgainstPHE("phe_funnel_prop_outputs_axis.csv", areas: try Self.pheAreas().filter { $0.denominator < 31000 })
    }

    // testFunnels.R, "Significance for proportions calculates correctly": every area's
    // assign_funnel_significance result (High/Low at 0.001 and 0.025, Not significant).
    @Test func flagsMatchPHESignificance() throws {
        let areas = try Self.pheAreas()
        let overall = areas.map(\.numerator).reduce(0, +) / areas.map(\.denominator).reduce(0, +)
        let names: [String: OrganisationColumn.Flag] = [
            "High (0.001)": .above998, "High (0.025)": .above95, "Not significant": .within, "Low (0.025)": .below95, "Low (0.001)": .below998,
        ]
        var seen = Set<OrganisationColumn.Flag>()
        for area in areas {
            let limits = try #require(FunnelLimits(denominator: area.denominator, overall: overall))
            let flag = limits.flag(area.numerator / area.denominator)
            #expect(flag == names[area.significance], "denominator \(area.denominator)")
            seen.insert(flag)
        }
        #expect(seen.count == 5)
    }

    // scripts/expected/funnel_reference.py (Fixtures/scipy_funnel_limits.csv): the
    // proportions whose Wilson bound (z from scipy.stats.norm.ppf) equals the overall
    // proportion, found by scipy.optimize.brentq, clamped to 0-1; denominators 1 to 10^6,
    // overall 0.001 to 0.999. To 1e-8 as proportions (1e-6 in percent).
    @Test func limitsMatchRootFindingReference() throws {
        let table = try FixtureTable("scipy_funnel_limits.csv")
        #expect(table.records.count == 84)
        for row in table.records {
            let n = try #require(row.number("denominator")), p = try #require(row.number("overall"))
            let limits = try #require(FunnelLimits(denominator: n, overall: p))
            let pairs: [(Double, String)] = [
                (limits.lower95, "lower_95"), (limits.upper95, "upper_95"), (limits.lower998, "lower_998"), (limits.upper998, "upper_998"),
            ]
            for (actual, column) in pairs {
                #expect(abs(actual - (try #require(row.number(column)))) < 1e-8, "\(column) n = \(n) p = \(p)")
            }
        }
    }

    @Test func noLimitsWithoutADenominatorOrAProportion() {
        #expect(FunnelLimits(denominator: 0, overall: 0.5) == nil)
        #expect(FunnelLimits(denominator: 10, overall: 1.5) == nil)
        #expect(FunnelLimits(denominator: 10, overall: .nan) == nil)
    }

    // A value exactly on a limit is within it (PHE compares strictly); an overall share
    // of 0 gives limits of 0, so any positive value is above.
    @Test func flagsAtTheEdges() throws {
        let limits = try #require(FunnelLimits(denominator: 100, overall: 0.5))
        #expect(limits.flag(limits.upper95) == .within)
        #expect(limits.flag(limits.lower95) == .within)
        #expect(limits.flag(limits.upper998) == .above95)
        #expect(limits.flag(limits.lower998) == .below95)
        let zero = try #require(FunnelLimits(denominator: 100, overall: 0))
        #expect(zero.lower998 == 0 && zero.upper998 == 0)
        #expect(zero.flag(0) == .within)
        #expect(zero.flag(0.01) == .above998)
    }
}
