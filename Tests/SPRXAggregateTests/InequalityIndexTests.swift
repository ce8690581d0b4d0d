import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// How far a simulated limit may sit from a reference, in Monte Carlo terms.
///
/// A limit is the sample quantile at p = (1 − confidence)/2 of R simulated values; its
/// standard error is √(p(1 − p)/R) / f(q), with f the density there. Taking the simulated
/// distribution as normal with SD σ, f(q) = φ(z)/σ, z the two-sided z of the confidence.
/// Two independent simulations (ours and the reference's) differ with SD √(SE₁² + SE₂²);
/// the bound is 5 of those, so a correct implementation fails about once in 1.7 million
/// comparisons.
func monteCarloTolerance(sd: Double, confidence: Double, repetitions: [Int]) -> Double {
    let p = (1 - confidence) / 2
    let z = StandardNormal.twoSidedZ(confidence: confidence)
    let density = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
    let variance = repetitions.map { p * (1 - p) / Double($0) }.reduce(0, +)
    return 5 * variance.squareRoot() / density * sd
}

@Suite(.timeLimit(.minutes(10))) struct InequalityIndexTests {
    /// The hand-made quintiles of Fixtures/statsmodels_sii_inputs.csv.
    static func handMadeQuintiles() throws -> [InequalityIndices.Quantile] {
        try FixtureTable("statsmodels_sii_inputs.csv").records.map {
            InequalityIndices.Quantile(
                value: try #require($0.number("value")), population: try #require($0.number("population")),
                uncertainty: .standardError(try #require($0.number("standard_error"))))
        }
    }

    /// The same quintiles as rates with 95% limits value ± 1.96 SE (in the rates' units;
    /// a rate's standard error would be on the log scale).
    static func handMadeRates() throws -> [InequalityIndices.Quantile] {
        try handMadeQuintiles().map {
            guard case .standardError(let se) = $0.uncertainty else { throw CancellationError() }
            return InequalityIndices.Quantile(
                value: $0.value, population: $0.population, uncertainty: .limits95(lower: $0.value - 1.96 * se, upper: $0.value + 1.96 * se))
        }
    }

    // statsmodels 0.15.0 WLS(value ~ 1 + rank, weights = population share) on hand-made
    // quintiles (Fixtures/statsmodels_sii_*.csv, scripts/expected/scipy_reference.py):
    // the SII is the slope, the fitted value at the most deprived end the intercept.
    @Test func fitMatchesStatsmodelsWLS() throws {
        let expected = try #require(FixtureTable("statsmodels_sii_expected.csv").records.first)
        let intercept = try #require(expected.number("intercept")), slope = try #require(expected.number("slope"))
        let result = try InequalityIndices.calculate(try Self.handMadeQuintiles(), kind: .other, repetitions: 1000).get()
        #expect(close(result.sii, slope, relative: 1e-12))
        #expect(close(result.fittedMostDeprived, intercept, relative: 1e-12))
        #expect(close(result.fittedLeastDeprived, intercept + slope, relative: 1e-12))
        #expect(close(result.rii, (intercept + slope) / intercept, relative: 1e-12))
        #expect(result.quantiles == 5)
    }

    // For untransformed values the SII is linear in them, so its simulated distribution is
    // normal with SD slope_sd (statsmodels' WLS coefficients; Fixtures/statsmodels_sii_expected.csv):
    // the simulated 95% limits must be SII ± 1.959964 × slope_sd within Monte Carlo error.
    @Test func simulatedLimitsMatchExactNormalLimits() throws {
        let expected = try #require(FixtureTable("statsmodels_sii_expected.csv").records.first)
        let sd = try #require(expected.number("slope_sd"))
        let result = try InequalityIndices.calculate(try Self.handMadeQuintiles(), kind: .other).get()
        let z = StandardNormal.twoSidedZ(confidence: 0.95)
        let tolerance = monteCarloTolerance(sd: sd, confidence: 0.95, repetitions: [InequalityIndices.defaultRepetitions])
        #expect(abs(result.siiLimits.lower - (result.sii - z * sd)) < tolerance)
        #expect(abs(result.siiLimits.upper - (result.sii + z * sd)) < tolerance)
    }

    // PHEindicatormethods phe_sii: tests/testthat/testdata_SII.xlsx with the arguments of
    // testSII.R (Fixtures/phe_sii_inputs.csv, phe_sii_expected.csv). Point estimates to
    // 1e-6 relative; simulated limits within 5 Monte Carlo SDs of PHE's (monteCarloTolerance,
    // σ taken from PHE's own interval width, both simulations at PHE's repetitions).
    @Test func matchesPHESIITestData() throws {
        let inputs = try FixtureTable("phe_sii_inputs.csv").records
        let expected = try FixtureTable("phe_sii_expected.csv").records
        #expect(expected.count == 50)
        for row in expected {
            let name = "\(row["case"] ?? "")/\(row["area"] ?? "")"
            let quantiles = try inputs.filter { $0["case"] == row["case"] && $0["area"] == row["area"] }.map { input in
                let uncertainty: InequalityIndices.Uncertainty
                if let se = input.number("standard_error") {
                    uncertainty = .standardError(se)
                } else {
                    uncertainty = .limits95(lower: try #require(input.number("lower_cl")), upper: try #require(input.number("upper_cl")))
                }
                return InequalityIndices.Quantile(
                    value: try #require(input.number("value")), population: try #require(input.number("population")), uncertainty: uncertainty)
            }
            #expect(quantiles.count == Int(try #require(row.number("quantiles"))))
            let kind: InequalityIndices.IndicatorKind = [.other, .rate, .proportion][Int(try #require(row.number("value_type")))]
            let confidence = try #require(row.number("confidence"))
            let repetitions = Int(try #require(row.number("repetitions")))
            let multiplier = try #require(row.number("multiplier"))
            let result = try InequalityIndices.calculate(
                quantiles, kind: kind, transform: row["transform"] == "1", multiplier: multiplier, confidence: confidence, repetitions: repetitions
            ).get()
            #expect(close(result.sii, try #require(row.number("sii")), relative: 1e-6), "\(name)")
            if let rii = row.number("rii") { #expect(close(result.rii, rii, relative: 1e-6), "\(name)") }
            if let intercept = row.number("intercept") {
                // PHE's intercept is the fitted value at x = 0, scaled by |multiplier| only when transformed.
                #expect(close(result.fittedMostDeprived, intercept, relative: 1e-6), "\(name)")
            }
            for (index, (lowerColumn, upperColumn)) in [("sii_lower", "sii_upper"), ("rii_lower", "rii_upper")].enumerated() {
                guard let lower = row.number(lowerColumn), let upper = row.number(upperColumn) else { continue }
                let limits = index == 0 ? result.siiLimits : result.riiLimits
                let sd = (upper - lower) / (2 * StandardNormal.twoSidedZ(confidence: confidence))
                let tolerance = monteCarloTolerance(sd: sd, confidence: confidence, repetitions: [repetitions, repetitions])
                #expect(abs(limits.lower - lower) < tolerance, "\(name) \(lowerColumn)")
                #expect(abs(limits.upper - upper) < tolerance, "\(name) \(upperColumn)")
            }
        }
    }

    @Test func signConvention() throws {
        // Rates falling from most to least deprived: SII < 0, RII < 1, and the most deprived
        // end's fitted rate is 1/RII times the least deprived end's.
        let quantiles = try Self.handMadeRates()
        let result = try InequalityIndices.calculate(quantiles, kind: .rate, repetitions: 1000).get()
        #expect(result.sii < 0 && result.rii < 1)
        #expect(result.fittedMostDeprived > result.fittedLeastDeprived)
        #expect(close(result.mostToLeastDeprivedRatio, 1 / result.rii, relative: 1e-12))
        #expect(result.siiLimits.lower < result.sii && result.sii < result.siiLimits.upper)
        #expect(result.riiLimits.lower < result.rii && result.rii < result.riiLimits.upper)
        // A negative multiplier flips the SII and inverts the RII (PHE).
        let flipped = try InequalityIndices.calculate(quantiles, kind: .rate, multiplier: -1, repetitions: 1000).get()
        #expect(flipped.sii == -result.sii && close(flipped.rii, 1 / result.rii, relative: 1e-12))
    }

    @Test func sameSeedSameBytesOtherSeedWithinMonteCarloError() throws {
        let quantiles = try Self.handMadeRates()
        let first = try InequalityIndices.calculate(quantiles, kind: .rate, transform: false).get()
        let again = try InequalityIndices.calculate(quantiles, kind: .rate, transform: false).get()
        #expect(first == again)
        #expect(first.siiLimits.lower.bitPattern == again.siiLimits.lower.bitPattern)
        let other = try InequalityIndices.calculate(quantiles, kind: .rate, transform: false, seed: 17).get()
        #expect(other.sii == first.sii && other.rii == first.rii)
        #expect(other.siiLimits != first.siiLimits)
        let reps = InequalityIndices.defaultRepetitions
        for (a, b) in [(first.siiLimits, other.siiLimits), (first.riiLimits, other.riiLimits)] {
            let tolerance = monteCarloTolerance(sd: (a.upper - a.lower) / 3.92, confidence: 0.95, repetitions: [reps, reps])
            #expect(abs(a.lower - b.lower) < tolerance && abs(a.upper - b.upper) < tolerance, "\(a) \(b) \(tolerance)")
        }
        // The generator itself: a fixed seed gives a fixed stream.
        var one = SimulationRandom(seed: 42), two = SimulationRandom(seed: 42), three = SimulationRandom(seed: 43)
        let streamOne = (0..<8).map { _ in one.next() }
        #expect(streamOne == (0..<8).map { _ in two.next() })
        #expect(streamOne != (0..<8).map { _ in three.next() })
    }

    @Test func selectionGivesTheSortedValues() {
        // The limits are picked by selection, not a full sort: the same numbers as sorting.
        var random = SeededRandom()
        for trial in 0..<200 {
            let count = Int.random(in: 1...300, using: &random)
            let values = (0..<count).map { _ in Double(Int.random(in: -20...20, using: &random)) / 4 }
            let low = Int.random(in: 0..<count, using: &random)
            let high = Int.random(in: low..<count, using: &random)
            var scratch = values
            let picked = OrderStatistics.select(low, high, in: &scratch)
            let sorted = values.sorted()
            #expect(picked.low == sorted[low] && picked.high == sorted[high], "trial \(trial), \(random)")
        }
    }

    @Test func normalDrawsHaveUnitMoments() {
        var random = SimulationRandom(seed: InequalityIndices.defaultSeed)
        let n = 200_000
        var sum = 0.0, squares = 0.0
        for _ in 0..<n {
            let draw = random.nextStandardNormal()
            sum += draw
            squares += draw * draw
        }
        let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
        // SE of the mean 1/√n = 0.0022, of the variance √(2/n) = 0.0032: 5 SEs.
        #expect(abs(mean) < 0.012 && abs(variance - 1) < 0.016)
    }

    @Test func withheldInputs() throws {
        let quantiles = try Self.handMadeQuintiles()
        #expect(InequalityIndices.calculate(Array(quantiles.prefix(4)), kind: .other, repetitions: 1000) == .failure(.quantileCount))
        var empty = quantiles
        empty[2].population = 0
        #expect(InequalityIndices.calculate(empty, kind: .other, repetitions: 1000) == .failure(.noPopulation(quantile: 2)))
        var zeroRate = quantiles
        zeroRate[4].value = 0
        #expect(InequalityIndices.calculate(zeroRate, kind: .rate, repetitions: 1000) == .failure(.valueOutsideScale(quantile: 4)))
        #expect(InequalityIndices.calculate(quantiles, kind: .proportion, repetitions: 1000) == .failure(.valueOutsideScale(quantile: 0)))
        #expect(InequalityIndices.calculate(quantiles, kind: .rate, transform: true, repetitions: 1000) == .failure(.transformNeedsLimits))
        var zeroLimit = quantiles.map {
            InequalityIndices.Quantile(value: $0.value, population: $0.population, uncertainty: .limits95(lower: $0.value - 2, upper: $0.value + 2))
        }
        zeroLimit[1].uncertainty = .limits95(lower: 0, upper: 3)
        #expect(InequalityIndices.calculate(zeroLimit, kind: .rate, repetitions: 1000) == .failure(.invalidUncertainty(quantile: 1)))
    }
}
