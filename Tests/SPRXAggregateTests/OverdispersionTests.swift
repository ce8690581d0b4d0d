import Foundation
import Testing

@testable import SPRXAggregate

/// Spiegelhalter's overdispersion (φ, τ² and the widened funnel limits) against
/// nhs-r-community/FunnelPlotR's own code and test data, and against hand calculations.
@Suite(.timeLimit(.minutes(10))) struct OverdispersionTests {
    /// One case of Fixtures/funnelplotr_overdispersion.csv: FunnelPlotR's `funnel_plot()`
    /// (R/*.R at commit 9020d4972873d863e10b8a16555975f0e322adfc, sourced and run by
    /// scripts/expected/funnelplotr_overdispersion.R) on the case's organisations.
    struct Case {
        var scale: Overdispersion.Scale
        var rows: [[String: String]]
        var units: [(numerator: Double, denominator: Double)]
    }

    static func cases() throws -> [String: Case] {
        var cases: [String: Case] = [:]
        for row in try FixtureTable("funnelplotr_overdispersion.csv").records {
            let name = try #require(row["case"]), scaleName = try #require(row["scale"])
            let scale = try #require(Overdispersion.Scale(rawValue: scaleName))
            cases[name, default: Case(scale: scale, rows: [], units: [])].rows.append(row)
            cases[name]?.units.append((try #require(row.number("numerator")), try #require(row.number("denominator"))))
        }
        return cases
    }

    /// φ, τ² and the four overdispersed limits at every organisation's denominator equal
    /// FunnelPlotR's to 1e-6 (limits above 1 to 1e-6 relative). The target is
    /// FunnelPlotR's: 1 for a standardised ratio, Σ numerators / Σ denominators for proportions.
    func check(_ name: String, units expectedUnits: Int) throws {
        let fixture = try #require(try Self.cases()[name])
        let target =
            fixture.scale == .ratio ? 1 : fixture.units.map(\.numerator).reduce(0, +) / fixture.units.map(\.denominator).reduce(0, +)
        let od = try #require(Overdispersion(units: fixture.units, target: target, scale: fixture.scale))
        #expect(od.units == expectedUnits)
        let first = try #require(fixture.rows.first)
        #expect(abs(od.phi - (try #require(first.number("phi")))) < 1e-6, "phi \(od.phi)")
        #expect(abs(od.tau2 - (try #require(first.number("tau2")))) < 1e-6, "tau2 \(od.tau2)")
        for row in fixture.rows {
            let denominator = try #require(row.number("denominator"))
            let limits = try #require(od.limits(denominator: denominator, target: target))
            let pairs: [(Double, String)] = [
                (limits.lower95, "od_lower_95"), (limits.upper95, "od_upper_95"), (limits.lower998, "od_lower_998"), (limits.upper998, "od_upper_998"),
            ]
            for (actual, column) in pairs {
                let expected = try #require(row.number(column))
                // Relative above 1: FunnelPlotR writes the 99.8% z as 3.090232 (R/calculate_limits.R),
                // 3.1e-7 short of qnorm(0.999), which moves a ratio's upper limit near 8 by 1.6e-6.
                #expect(abs(actual - expected) < 1e-6 * max(1, abs(expected)), "\(name) \(row["group"] ?? "") \(column): \(actual) vs \(expected)")
            }
        }
    }

    // FunnelPlotR tests/testthat/test-classes_methods.R (commit 9020d49): its six
    // standardised ratios, whose φ the test asserts as 2.948033 (round(phi, 6)); τ² and
    // the limits from funnel_plot() on the same data (fixture). Six organisations: SHMI's
    // truncation leaves none out.
    @Test func funnelPlotRTestData() throws {
        try check("funnelplotr_tests", units: 6)
        let units: [(numerator: Double, denominator: Double)] = [(100, 108), (150, 112), (180, 165), (80, 95), (120, 100), (225, 220)]
        let od = try #require(Overdispersion(units: units, target: 1, scale: .ratio))
        #expect((od.phi * 1e6).rounded() / 1e6 == 2.948033)
    }

    // Twenty ratios, one with no observed events (z = −∞) and so truncated with the
    // lowest two and the highest two: φ and τ² from the 16 kept.
    @Test func truncatedRatios() throws { try check("twenty_ratios", units: 16) }

    // Twenty proportions, Winsorised at R's type-7 10th and 90th percentiles.
    @Test func winsorisedProportions() throws { try check("twenty_proportions", units: 20) }

    // The twelve organisations of OrganisationOverdispersionTableTests.dispersionFromExactCounts:
    // proportions, and their ratios in one stratum (SHMI's truncation leaves out ranks 1 and 12).
    @Test func exactCountsCases() throws {
        try check("exact_counts_proportions", units: 12)
        try check("exact_counts_ratios", units: 10)
    }

    // Ten nearly equal proportions: φ < 1, so τ² = 0 and the limits are the plain arcsine ones.
    @Test func underdispersedProportions() throws {
        try check("underdispersed_proportions", units: 10)
        let fixture = try #require(try Self.cases()["underdispersed_proportions"])
        let od = try #require(Overdispersion(units: fixture.units, target: 0.3, scale: .proportion))
        #expect(od.phi < 1)
        #expect(od.tau2 == 0)
    }

    // By hand. Four ratios with E = 100 and log(O/E) = −0.2, −0.1, 0.1, 0.2: z = √E·log(O/E)
    // = −2, −1, 1, 2 (four units: truncation leaves none out, ⌊rank·10/5⌋ = 2…8).
    // φ = (4 + 1 + 1 + 4)/4 = 2.5. Nφ = 10 ≥ N − 1 = 3, w = 1/s² = E = 100 each:
    // τ² = (10 − 3)/(400 − 40000/400) = 7/300. At E = 100 around 1 the 95% limits are
    // exp(∓z₀.₉₇₅·√(1/100 + 7/300)) = exp(∓1.959964·0.1825742) = 0.6991 and 1.4303.
    @Test func handRatios() throws {
        let units = [-0.2, -0.1, 0.1, 0.2].map { (numerator: 100 * exp($0), denominator: 100.0) }
        let od = try #require(Overdispersion(units: units, target: 1, scale: .ratio))
        #expect(od.units == 4)
        #expect(abs(od.phi - 2.5) < 1e-12)
        #expect(abs(od.tau2 - 7.0 / 300) < 1e-12)
        let limits = try #require(od.limits(denominator: 100, target: 1))
        let spread = (0.01 + 7.0 / 300).squareRoot()
        #expect(abs(spread - 0.18257418583505536) < 1e-15)  // √(1/30), by hand
        #expect(abs(limits.lower95 - exp(-1.959963984540054 * spread)) < 1e-12)
        #expect(abs(limits.upper95 - 1.4303) < 1e-4)
        #expect(abs(limits.lower95 - 0.6991) < 1e-4)
        #expect(abs(limits.upper998 - exp(3.090232306167813 * spread)) < 1e-12)
    }

    // By hand. Five proportions of n = 100 around a target of 0.25 (asin √0.25 = π/6) with
    // asin √p = π/6 + δ, δ = −0.1, −0.05, 0, 0.05, 0.1, so z = δ·2√n = −2, −1, 0, 1, 2.
    // R's type-7 10th percentile: h = 4·0.1 = 0.4, −2 + 0.4·1 = −1.6; the 90th: 1.6.
    // Winsorised: −1.6, −1, 0, 1, 1.6; φ = (2.56·2 + 2)/5 = 1.424. Nφ = 7.12 ≥ 4;
    // w = 4n = 400 each: τ² = (7.12 − 4)/(2000 − 400) = 0.00195. Limits at n = 100:
    // sin²(π/6 ∓ z·√(0.0025 + 0.00195)).
    @Test func handProportions() throws {
        let units = [-0.1, -0.05, 0, 0.05, 0.1].map { (numerator: 100 * pow(sin(Double.pi / 6 + $0), 2), denominator: 100.0) }
        let od = try #require(Overdispersion(units: units, target: 0.25, scale: .proportion))
        #expect(od.units == 5)
        #expect(abs(od.phi - 1.424) < 1e-12)
        #expect(abs(od.tau2 - 0.00195) < 1e-12)
        let limits = try #require(od.limits(denominator: 100, target: 0.25))
        let spread = (0.0025 + 0.00195).squareRoot()
        #expect(abs(limits.lower95 - pow(sin(Double.pi / 6 - 1.959963984540054 * spread), 2)) < 1e-12)
        #expect(abs(limits.upper998 - pow(sin(Double.pi / 6 + 3.090232306167813 * spread), 2)) < 1e-12)
        // Wider than the plain arcsine limits at the same n (τ² = 0: s = 1/(2√100) = 0.05).
        #expect(limits.lower95 < pow(sin(Double.pi / 6 - 1.959963984540054 * 0.05), 2))
        #expect(limits.upper95 > pow(sin(Double.pi / 6 + 1.959963984540054 * 0.05), 2))
        #expect(limits.lower998 < limits.lower95 && limits.lower95 < 0.25 && 0.25 < limits.upper95 && limits.upper95 < limits.upper998)
    }

    // The angle is held within 0…π/2: at a tiny denominator the lower limit is 0 and the
    // upper 1 (FunnelPlotR sets the limits there to 0 and 1), never a value that turns back.
    @Test func proportionLimitsStayWithinZeroAndOne() throws {
        let units: [(numerator: Double, denominator: Double)] = [(1, 10), (9, 10), (5, 10), (2, 10)]
        let od = try #require(Overdispersion(units: units, target: 0.5, scale: .proportion))
        let limits = try #require(od.limits(denominator: 1, target: 0.5))
        #expect(limits.lower998 == 0)
        #expect(limits.upper998 == 1)
    }

    // When φ and τ² cannot be estimated there is no answer, not a made-up one.
    @Test func notEstimable() {
        #expect(Overdispersion(units: [], target: 0.5, scale: .proportion) == nil)  // none (a 20-row run once trapped here)
        #expect(Overdispersion(units: [], target: 1, scale: .ratio) == nil)
        #expect(Overdispersion(units: [(5, 10)], target: 0.5, scale: .proportion) == nil)  // one unit: τ²'s denominator is 0
        #expect(Overdispersion(units: [(5, 10), (3, 0)], target: 0.5, scale: .proportion) == nil)  // a zero denominator is left out
        #expect(Overdispersion(units: [(11, 10), (3, 10)], target: 0.5, scale: .proportion) == nil)  // not a proportion
        #expect(Overdispersion(units: [(0, 10), (3, 10), (4, 8)], target: 1, scale: .ratio) == nil)  // log 0, not truncated
        #expect(Overdispersion(units: [(5, 10), (3, 10)], target: 0, scale: .ratio) == nil)
        let od = Overdispersion(units: [(5, 10), (3, 10)], target: 0.4, scale: .proportion)
        #expect(od?.limits(denominator: 0, target: 0.4) == nil)
    }
}
