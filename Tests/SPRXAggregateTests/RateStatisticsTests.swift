import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// A fixture CSV of Tests/SPRXAggregateTests/Fixtures: `#` lines are provenance, then a
/// header and comma-separated rows.
struct FixtureTable {
    let header: [String]
    let rows: [[String]]

    init(_ name: String) throws {
        let path = URL(fileURLWithPath: packageRoot).appendingPathComponent("Tests/SPRXAggregateTests/Fixtures/\(name)")
        let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        let table = CSVTable(text: lines.joined(separator: "\n"))
        (header, rows) = (table.header, table.rows)
    }

    /// Each row as column name → text.
    var records: [[String: String]] { rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) } }
}

extension Dictionary where Key == String, Value == String {
    /// The column as a number; `nil` when empty.
    func number(_ column: String) -> Double? { self[column].flatMap { $0.isEmpty ? nil : Double($0) } }
}

/// |actual − expected| within `relative` of |expected| (or of 1 near zero).
func close(_ actual: Double, _ expected: Double, relative: Double) -> Bool {
    abs(actual - expected) <= relative * max(abs(expected), 1e-300)
}

@Suite(.timeLimit(.minutes(10))) struct StandardNormalTests {
    // scipy.stats.norm.ppf (Fixtures/scipy_normal_quantiles.csv, scripts/expected/scipy_reference.py).
    @Test func quantilesMatchScipy() throws {
        let table = try FixtureTable("scipy_normal_quantiles.csv")
        #expect(table.records.count >= 10)
        for row in table.records {
            let p = try #require(row.number("p")), z = try #require(row.number("z"))
            if z == 0 {
                #expect(abs(StandardNormal.quantile(p)) < 1e-15)
            } else {
                #expect(close(StandardNormal.quantile(p), z, relative: 1e-13), "p = \(p)")
            }
        }
        #expect(
            StandardNormal.twoSidedZ(confidence: 0.95) == WilsonInterval.z95
                || close(StandardNormal.twoSidedZ(confidence: 0.95), WilsonInterval.z95, relative: 1e-15))
    }
}

@Suite(.timeLimit(.minutes(10))) struct PoissonCountIntervalTests {
    // Exact limits for counts 0-9 at 95% and 99.8%: scipy.stats.chi2.ppf(α/2, 2x)/2 and
    // chi2.ppf(1 − α/2, 2x + 2)/2 (Fixtures/scipy_poisson_exact.csv).
    @Test func exactLimitsMatchScipyChiSquare() throws {
        let table = try FixtureTable("scipy_poisson_exact.csv")
        #expect(table.records.count == 20)
        for row in table.records {
            let count = Int(try #require(row.number("count")))
            let confidence = try #require(row.number("confidence"))
            let limits = PoissonCountInterval.limits(count: count, confidence: confidence)
            #expect(PoissonCountInterval.method(forCount: count) == .exact)
            if count == 0 {
                #expect(limits.lower == 0)
            } else {
                #expect(close(limits.lower, try #require(row.number("lower")), relative: 1e-10), "count \(count)")
            }
            #expect(close(limits.upper, try #require(row.number("upper")), relative: 1e-10), "count \(count)")
        }
    }

    // PHEindicatormethods tests/testthat/testdata_Byars_Wilson.xlsx, Byar rows
    // (Fixtures/phe_byars.csv): its internal byars_lower/byars_upper, NA lower for 1 at 99.8%.
    @Test func byarLimitsMatchPHE() throws {
        let table = try FixtureTable("phe_byars.csv")
        #expect(table.records.count == 7)
        for row in table.records {
            let count = try #require(row.number("count")), confidence = try #require(row.number("confidence"))
            let byar = PoissonCountInterval.byarLimits(count: count, confidence: confidence)
            if let lower = row.number("lower") {
                #expect(close(try #require(byar.lower), lower, relative: 1e-6))
            } else {
                #expect(byar.lower == nil)
            }
            #expect(close(byar.upper, try #require(row.number("upper")), relative: 1e-6))
        }
    }

    @Test func methodSwitchesAtTen() {
        #expect(PoissonCountInterval.method(forCount: 9) == .exact)
        #expect(PoissonCountInterval.method(forCount: 10) == .byar)
        let ten = PoissonCountInterval.limits(count: 10)
        let byar = PoissonCountInterval.byarLimits(count: 10)
        #expect(ten.lower == byar.lower && ten.upper == byar.upper)
    }
}

@Suite(.timeLimit(.minutes(10))) struct CrudeRateTests {
    // PHEindicatormethods phe_rate: tests/testthat/testdata_Rate.xlsx (Fixtures/phe_rates.csv),
    // exact below 10 events and Byar's from 10, at 95% and 99.8%, multipliers 100 and 100,000.
    @Test func matchesPHERateTestData() throws {
        let table = try FixtureTable("phe_rates.csv")
        #expect(table.records.count == 17)
        for row in table.records {
            let count = Int(try #require(row.number("count")))
            let denominator = try #require(row.number("denominator")), multiplier = try #require(row.number("multiplier"))
            for (confidence, suffix) in [(0.95, "95"), (0.998, "998")] {
                let rate = try #require(CrudeRate.estimate(count: count, personYears: denominator, multiplier: multiplier, confidence: confidence))
                #expect(close(rate.value, try #require(row.number("value")), relative: 1e-6))
                #expect(close(rate.limits.lower, try #require(row.number("lower" + suffix)), relative: 1e-6), "row with \(suffix)")
                #expect(close(rate.limits.upper, try #require(row.number("upper" + suffix)), relative: 1e-6), "row with \(suffix)")
            }
            #expect(PoissonCountInterval.method(forCount: count).rawValue == row["method"])
        }
    }

    @Test func handCalculation() throws {
        // 25 referrals over 12,500 person-years, per 1,000: 1000 × 25 / 12500 = 2.
        // Byar (z = 1.959963985): lower 25 × (1 − 1/225 − z/15)³ = 25 × 0.8648917³ = 16.17427,
        // upper 26 × (1 − 1/234 + z/(3√26))³ = 26 × 1.1127843³ = 36.90645;
        // per 1,000: 16.17427 / 12.5 = 1.293941 and 36.90645 / 12.5 = 2.952516.
        let rate = try #require(CrudeRate.estimate(count: 25, personYears: 12_500))
        #expect(rate.value == 2)
        #expect(abs(rate.limits.lower - 1.293941) < 5e-7)
        #expect(abs(rate.limits.upper - 2.952516) < 5e-7)
        #expect(rate.multiplier == 1000)
    }

    @Test func zeroCountAndNoPersonYears() throws {
        let rate = try #require(CrudeRate.estimate(count: 0, personYears: 1000))
        #expect(rate.value == 0 && rate.limits.lower == 0)
        // Upper: −ln(0.025) = 3.688879 events, per 1,000 of 1,000 person-years.
        #expect(abs(rate.limits.upper - 3.688879454) < 1e-8)
        #expect(CrudeRate.estimate(count: 3, personYears: 0) == nil)
    }
}

@Suite(.timeLimit(.minutes(10))) struct DirectlyStandardisedRateTests {
    // PHEindicatormethods calculate_dsr: tests/testthat/testdata_DSR_ISR.xlsx, inputs
    // testdata_multiarea (ESP 2013) and testdata_1976 (its esp1976 weights), expected
    // testresults_DSR (Fixtures/phe_dsr_inputs.csv, phe_dsr_expected.csv).
    @Test func matchesPHEDSRTestData() throws {
        let inputs = try FixtureTable("phe_dsr_inputs.csv").records
        let expected = try FixtureTable("phe_dsr_expected.csv").records
        #expect(expected.count == 8)
        for row in expected {
            let area = try #require(row["area"])
            let groups = inputs.filter { $0["area"] == area }
            let counts = try groups.map { Int(try #require($0.number("count"))) }
            let populations = try groups.map { try #require($0.number("pop")) }
            let weights = groups.compactMap { $0.number("weight") }
            let standard = weights.isEmpty ? DirectlyStandardisedRate.europeanStandard2013 : weights
            let multiplier = try #require(row.number("multiplier"))
            let result = DirectlyStandardisedRate.calculate(counts: counts, personYears: populations, standardWeights: standard, multiplier: multiplier)
            guard let value = row.number("value") else {
                #expect(result == .failure(.fewerThanMinimumCount), "\(area)")
                continue
            }
            let dsr = try result.get()
            #expect(dsr.totalCount == (try #require(row.number("total_count"))))
            #expect(dsr.totalPersonYears == row.number("total_pop"))
            #expect(close(dsr.estimate.value, value, relative: 1e-6), "\(area)")
            #expect(close(dsr.estimate.limits.lower, try #require(row.number("lower95")), relative: 1e-6), "\(area)")
            #expect(close(dsr.estimate.limits.upper, try #require(row.number("upper95")), relative: 1e-6), "\(area)")
            if let lower998 = row.number("lower998"), let upper998 = row.number("upper998") {
                let wide = try DirectlyStandardisedRate.calculate(
                    counts: counts, personYears: populations, standardWeights: standard, multiplier: multiplier, confidence: 0.998
                ).get()
                #expect(close(wide.estimate.limits.lower, lower998, relative: 1e-6), "\(area)")
                #expect(close(wide.estimate.limits.upper, upper998, relative: 1e-6), "\(area)")
            }
        }
    }

    @Test func handCalculation() throws {
        // Two groups, standard weights 60,000 and 40,000: 8 referrals over 4,000
        // person-years (2 per 1,000) and 12 over 2,000 (6 per 1,000).
        // DSR = 1000 × (60000 × 8/4000 + 40000 × 12/2000) / 100000 = 0.6 × 2 + 0.4 × 6 = 3.6.
        // var = (8 × 15² + 12 × 20²) / 100000² = 6600 / 1e10 = 6.6e-7; D = 20;
        // √(var / D) × 1000 = 0.18165902. Byar for 20: 12.21142883 and 30.88988037.
        // Lower 3.6 + 0.18165902 × (12.21142883 − 20) = 2.18513579;
        // upper 3.6 + 0.18165902 × (30.88988037 − 20) = 5.57824501.
        let dsr = try DirectlyStandardisedRate.calculate(counts: [8, 12], personYears: [4000, 2000], standardWeights: [60000, 40000]).get()
        #expect(abs(dsr.estimate.value - 3.6) < 1e-12)
        #expect(abs(dsr.estimate.limits.lower - 2.18513579) < 1e-8)
        #expect(abs(dsr.estimate.limits.upper - 5.57824501) < 1e-8)
    }

    @Test func groupsWithoutPopulation() throws {
        // A group with neither people nor referrals is left out with its weight: the same
        // DSR as the two groups alone.
        let alone = try DirectlyStandardisedRate.calculate(counts: [8, 12], personYears: [4000, 2000], standardWeights: [60000, 40000]).get()
        let withEmpty = try DirectlyStandardisedRate.calculate(counts: [8, 0, 12], personYears: [4000, 0, 2000], standardWeights: [60000, 5000, 40000]).get()
        #expect(withEmpty.estimate == alone.estimate)
        #expect(withEmpty.omittedGroups == 1 && alone.omittedGroups == 0)
        // Referrals in a group with no population: withheld, naming the group.
        let orphan = DirectlyStandardisedRate.calculate(counts: [8, 1, 12], personYears: [4000, 0, 2000], standardWeights: [60000, 5000, 40000])
        #expect(orphan == .failure(.countWithoutPopulation(group: 1)))
        #expect(DirectlyStandardisedRate.calculate(counts: [0, 0], personYears: [0, 0], standardWeights: [1, 1]) == .failure(.noPopulation))
        #expect(DirectlyStandardisedRate.calculate(counts: [4, 5], personYears: [10, 10], standardWeights: [1, 1]) == .failure(.fewerThanMinimumCount))
    }

    @Test func equalRatesStandardiseToThatRate() throws {
        // Every ESP 2013 group at 3 referrals per 1,000 person-years: the DSR is 3 whatever
        // the age structure (the weights sum out).
        let personYears = (0..<19).map { Double(1000 * (1 + $0 % 4)) }
        let counts = personYears.map { Int($0 * 3 / 1000) }
        let dsr = try DirectlyStandardisedRate.calculate(counts: counts, personYears: personYears).get()
        #expect(abs(dsr.estimate.value - 3) < 1e-12)
        #expect(dsr.estimate.limits.lower < 3 && dsr.estimate.limits.upper > 3)
    }

    @Test func defaultStandardIsESP2013() {
        #expect(DirectlyStandardisedRate.europeanStandard2013.count == 19)
        #expect(DirectlyStandardisedRate.europeanStandard2013.reduce(0, +) == 100_000)
    }
}
