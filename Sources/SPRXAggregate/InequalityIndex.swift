import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The slope index of inequality (SII) and relative index of inequality (RII) across
/// deprivation quantiles (Low and Low 2004, J Public Health 26:388-395), as Public Health
/// England's `PHEindicatormethods::phe_sii` computes them for Fingertips.
///
/// **Method.** Quantiles are taken in the order given, 1 = most deprived first. Each has
/// its share aᵢ of the total population and a relative rank xᵢ, the midpoint of its
/// range in the cumulative population share (xᵢ = a₁ + … + aᵢ₋₁ + aᵢ/2). The indicator
/// value yᵢ is regressed on xᵢ by least squares weighted by aᵢ (PHE fits
/// `lm(√a·y ~ √a + x√a − 1)`, the same fit; here it is solved in closed form). The fitted
/// line's value at x = 0 is the most deprived end, at x = 1 the least deprived end.
///
/// **Sign convention (PHE's).** SII = multiplier × (fitted at x = 1 − fitted at x = 0) =
/// multiplier × (least deprived − most deprived): *negative when the indicator is higher
/// in the more deprived quantiles*. RII = fitted at x = 1 / fitted at x = 0 (least over
/// most deprived), so *below 1 when the indicator is higher in the more deprived
/// quantiles*; a negative multiplier flips the SII's sign and inverts the RII, as in PHE.
/// "People in the most deprived areas were referred X times as often as those in the
/// least deprived" is X = ``mostToLeastDeprivedRatio`` = ``fittedMostDeprived`` /
/// ``fittedLeastDeprived`` (1 / RII for a positive multiplier).
///
/// **Indicator kinds and `transform`.** For a rate (PHE `value_type = 1`) values and
/// their limits are log-transformed, for a proportion (`value_type = 2`, values in 0-1)
/// logit-transformed, before each quantile's standard error is taken from its 95%
/// limits as (U′ − L′) / (2 × 1.959964); a standard error given directly is taken to be
/// on that transformed scale. With `transform = false` (PHE's default) the regression
/// is on the untransformed values and the simulated values are transformed back before
/// each fit. With `transform = true` the regression is on the log (logit) scale, the SII
/// is the difference of the back-transformed fitted values at x = 1 and x = 0 and the RII
/// their ratio, and the interval comes from the simulated log-scale slopes placed
/// symmetrically about the fitted midpoint (PHE's `xequalshalf` rule).
///
/// **Interval.** By simulation, as PHE: each repetition draws every quantile's value from
/// a normal distribution with its (transformed) value as mean and its standard error as
/// SD, refits the line, and the limits are the sorted results at positions
/// round(R × α/2) and round(R × (1 − α/2)) (1-based, halves to even, as R's `round`).
/// Draws come from ``SimulationRandom`` started at `seed`, so a rerun gives identical
/// bytes.
///
/// Deviations from `phe_sii`: none in the arithmetic; for log-transformed rates PHE
/// swaps the limits when the multiplier is below 1 (its rate branch tests
/// `multiplier < 1`, its proportion branch `< 0`): here both test `< 0`, which differs
/// from PHE only for a multiplier between 0 and 1. ``fittedMostDeprived`` and
/// ``fittedLeastDeprived`` are always × |multiplier| (PHE's `intercept` output is so
/// scaled only when `transform` is true).
public struct InequalityIndices: Sendable, Equatable {
    /// The slope index of inequality, in the indicator's units × multiplier.
    public var sii: Double
    /// The SII's simulated interval.
    public var siiLimits: ConfidenceLimits
    /// The relative index of inequality (least over most deprived fitted value).
    public var rii: Double
    /// The RII's simulated interval.
    public var riiLimits: ConfidenceLimits
    /// The fitted value at the most deprived end (x = 0), × |multiplier|.
    public var fittedMostDeprived: Double
    /// The fitted value at the least deprived end (x = 1), × |multiplier|.
    public var fittedLeastDeprived: Double
    /// How many quantiles the indices are across.
    public var quantiles: Int

    /// How many times the indicator at the most deprived end is that at the least
    /// deprived end, on the fitted line.
    public var mostToLeastDeprivedRatio: Double { fittedMostDeprived / fittedLeastDeprived }

    /// What kind of value the indicator is (PHE's `value_type`).
    public enum IndicatorKind: Sendable, Equatable {
        /// A rate, positive (PHE 1): log scale for its standard error and `transform`.
        case rate
        /// A proportion in (0, 1) (PHE 2): logit scale likewise.
        case proportion
        /// Any other value (PHE 0): no transformation.
        case other
    }

    /// A quantile's uncertainty: its standard error, or its 95% confidence limits.
    public enum Uncertainty: Sendable, Equatable {
        /// The standard error; for a rate or proportion, on the log or logit scale.
        case standardError(Double)
        /// The value's 95% confidence limits, in the value's own units.
        case limits95(lower: Double, upper: Double)
    }

    /// One quantile's indicator value, population and uncertainty.
    public struct Quantile: Sendable, Equatable {
        /// The indicator's value (a rate above 0; a proportion in 0-1, not percent).
        public var value: Double
        /// The quantile's population (the weight of its share and rank).
        public var population: Double
        /// Its standard error or 95% limits.
        public var uncertainty: Uncertainty

        /// A quantile with `value`, `population` and `uncertainty`.
        public init(value: Double, population: Double, uncertainty: Uncertainty) {
            self.value = value
            self.population = population
            self.uncertainty = uncertainty
        }
    }

    /// Why the indices are not computed.
    public enum Withheld: Error, Sendable, Equatable {
        /// Fewer than 5 or more than 100 quantiles (PHE's bounds).
        case quantileCount
        /// A quantile (its index) has no population.
        case noPopulation(quantile: Int)
        /// A quantile's value is outside its kind's range (a rate not above 0, a proportion
        /// not strictly between 0 and 1), so it cannot be log or logit transformed.
        case valueOutsideScale(quantile: Int)
        /// A quantile's standard error or limits are missing, negative or not finite on
        /// the transformed scale (a rate's lower limit of 0, for one).
        case invalidUncertainty(quantile: Int)
        /// `transform` needs every quantile's limits, not a standard error (as PHE).
        case transformNeedsLimits
    }

    /// PHE's default number of repetitions (100,000).
    public static let defaultRepetitions = 100_000
    /// The fewest repetitions PHE allows (1,000).
    public static let minimumRepetitions = 1_000
    /// The seed the published tables use (any fixed value would do; 2004 for Low and Low).
    public static let defaultSeed: UInt64 = 2004
    /// The quantile counts PHE accepts.
    public static let quantileRange = 5...100
    /// z for the 95% limits a standard error is taken from (PHE hard-codes 95%).
    static let z95 = StandardNormal.quantile(0.975)

    /// The SII and RII of `quantiles` (1 = most deprived first), with intervals at
    /// `confidence` from `repetitions` simulated refits drawn from `seed`.
    public static func calculate(
        _ quantiles: [Quantile], kind: IndicatorKind, transform: Bool = false, multiplier: Double = 1,
        confidence: Double = 0.95, repetitions: Int = defaultRepetitions, seed: UInt64 = defaultSeed
    ) -> Result<InequalityIndices, Withheld> {
        precondition(!(transform && kind == .other), "only a rate or a proportion can be transformed")
        precondition(repetitions >= minimumRepetitions, "PHE requires at least 1,000 repetitions")
        precondition(confidence > 0 && confidence < 1, "confidence is a fraction")
        let count = quantiles.count
        guard quantileRange.contains(count) else { return .failure(.quantileCount) }

        // Each quantile's mean and standard error on the transformed scale.
        let scale = TransformScale(kind)
        var means = [Double](repeating: 0, count: count)
        var errors = [Double](repeating: 0, count: count)
        var totalPopulation = 0.0
        for (index, quantile) in quantiles.enumerated() {
            guard quantile.population > 0, quantile.population.isFinite else { return .failure(.noPopulation(quantile: index)) }
            totalPopulation += quantile.population
            let mean = scale.forward(quantile.value)
            guard mean.isFinite, scale.contains(quantile.value) else { return .failure(.valueOutsideScale(quantile: index)) }
            means[index] = mean
            let error: Double
            switch quantile.uncertainty {
            case .standardError(let given):
                if transform { return .failure(.transformNeedsLimits) }
                error = given
            case .limits95(let lower, let upper):
                error = (scale.forward(upper) - scale.forward(lower)) / z95 / 2
            }
            guard error.isFinite, error >= 0 else { return .failure(.invalidUncertainty(quantile: index)) }
            errors[index] = error
        }

        // Population shares, relative ranks and the closed-form weighted fit: the slope
        // and intercept are fixed linear combinations of the values.
        var shares = [Double](repeating: 0, count: count)
        var ranks = [Double](repeating: 0, count: count)
        var cumulative = 0.0
        for index in 0..<count {
            let share = quantiles[index].population / totalPopulation
            shares[index] = share
            ranks[index] = cumulative + share / 2
            cumulative += share
        }
        let fit = WeightedLine(shares: shares, ranks: ranks)
        let fitted = transform ? means : quantiles.map(\.value)
        let intercept = fit.intercept(fitted)
        let slope = fit.slope(fitted)

        let sign: Double = multiplier < 0 ? -1 : 1
        let magnitude = abs(multiplier)
        var result: InequalityIndices
        let atMost: Double
        let atLeast: Double
        if transform {
            atMost = scale.backward(intercept)
            atLeast = scale.backward(intercept + slope)
        } else {
            atMost = intercept
            atLeast = intercept + slope
        }
        let ratio = atLeast / atMost
        result = InequalityIndices(
            sii: (atLeast - atMost) * multiplier, siiLimits: ConfidenceLimits(lower: .nan, upper: .nan),
            rii: sign < 0 ? 1 / ratio : ratio, riiLimits: ConfidenceLimits(lower: .nan, upper: .nan),
            fittedMostDeprived: atMost * magnitude, fittedLeastDeprived: atLeast * magnitude, quantiles: count)

        // Simulation: `repetitions` refits on normal draws around each quantile's mean.
        var random = SimulationRandom(seed: seed)
        var simulatedSlopes = [Double](repeating: 0, count: repetitions)
        var simulatedRatios = [Double](repeating: 0, count: transform ? 0 : repetitions)
        let simulation = Simulation(means: means, errors: errors, fit: fit)
        switch (transform, kind) {
        case (true, _), (false, .other):
            simulation.run(into: &simulatedSlopes, &simulatedRatios, multiplier: multiplier, transform: transform, random: &random) { $0 }
        case (false, .rate):
            simulation.run(into: &simulatedSlopes, &simulatedRatios, multiplier: multiplier, transform: false, random: &random) { exp($0) }
        case (false, .proportion):
            simulation.run(into: &simulatedSlopes, &simulatedRatios, multiplier: multiplier, transform: false, random: &random) {
                let odds = exp($0); return odds / (1 + odds)
            }
        }
        let alpha = confidence + (1 - confidence) / 2
        let lowerPosition = max(1, min(repetitions, Int((Double(repetitions) * (1 - alpha)).rounded(.toNearestOrEven)))) - 1
        let upperPosition = max(1, min(repetitions, Int((Double(repetitions) * alpha).rounded(.toNearestOrEven)))) - 1
        let slopeLimits = OrderStatistics.select(lowerPosition, upperPosition, in: &simulatedSlopes)
        if transform {
            // PHE's rule: the simulated log-scale slopes placed about the fitted midpoint.
            let middle = intercept + slope / 2
            let lowSlope = slopeLimits.low
            let highSlope = slopeLimits.high
            let lowAtMost = scale.backward(middle - lowSlope / 2)
            let lowAtLeast = scale.backward(middle + lowSlope / 2)
            let highAtMost = scale.backward(middle - highSlope / 2)
            let highAtLeast = scale.backward(middle + highSlope / 2)
            let lowSII = (lowAtLeast - lowAtMost) * multiplier
            let highSII = (highAtLeast - highAtMost) * multiplier
            let lowRatio = lowAtLeast / lowAtMost
            let highRatio = highAtLeast / highAtMost
            if sign < 0 {
                result.siiLimits = ConfidenceLimits(lower: highSII, upper: lowSII)
                result.riiLimits = ConfidenceLimits(lower: 1 / highRatio, upper: 1 / lowRatio)
            } else {
                result.siiLimits = ConfidenceLimits(lower: lowSII, upper: highSII)
                result.riiLimits = ConfidenceLimits(lower: lowRatio, upper: highRatio)
            }
        } else {
            let ratioLimits = OrderStatistics.select(lowerPosition, upperPosition, in: &simulatedRatios)
            result.siiLimits = ConfidenceLimits(lower: slopeLimits.low, upper: slopeLimits.high)
            result.riiLimits = ConfidenceLimits(lower: ratioLimits.low, upper: ratioLimits.high)
        }
        return .success(result)
    }
}

/// The line fitted by least squares weighted by population share: slope and intercept
/// as fixed linear combinations Σ cᵢyᵢ and Σ dᵢyᵢ of the values, computed once.
struct WeightedLine {
    /// Coefficients of the slope.
    let slopeCoefficients: [Double]
    /// Coefficients of the intercept (the fitted value at x = 0).
    let interceptCoefficients: [Double]

    /// The fit's coefficients for weights `shares` at `ranks`.
    init(shares: [Double], ranks: [Double]) {
        let weight = shares.reduce(0, +)
        var centre = 0.0
        for index in shares.indices { centre += shares[index] * ranks[index] }
        centre /= weight
        var spread = 0.0
        for index in shares.indices { spread += shares[index] * (ranks[index] - centre) * (ranks[index] - centre) }
        slopeCoefficients = shares.indices.map { shares[$0] * (ranks[$0] - centre) / spread }
        interceptCoefficients = shares.indices.map { shares[$0] / weight - centre * shares[$0] * (ranks[$0] - centre) / spread }
    }

    /// The fitted slope for `values`.
    @inline(__always) func slope(_ values: [Double]) -> Double {
        var sum = 0.0
        for index in values.indices { sum += slopeCoefficients[index] * values[index] }
        return sum
    }

    /// The fitted intercept (value at x = 0) for `values`.
    @inline(__always) func intercept(_ values: [Double]) -> Double {
        var sum = 0.0
        for index in values.indices { sum += interceptCoefficients[index] * values[index] }
        return sum
    }
}

/// The simulation's inner loop, specialised for each back-transformation.
struct Simulation {
    let means: [Double]
    let errors: [Double]
    let fit: WeightedLine

    /// Fills `slopes` (× multiplier unless `transform`) and, unless `transform`, `ratios`
    /// (the RII, inverted for a negative multiplier) with one refit per repetition.
    @inline(__always) func run(
        into slopes: inout [Double], _ ratios: inout [Double], multiplier: Double, transform: Bool, random: inout SimulationRandom,
        _ backward: (Double) -> Double
    ) {
        let count = means.count
        let invert = multiplier < 0
        means.withUnsafeBufferPointer { means in
            errors.withUnsafeBufferPointer { errors in
                fit.slopeCoefficients.withUnsafeBufferPointer { slopeCoefficients in
                    fit.interceptCoefficients.withUnsafeBufferPointer { interceptCoefficients in
                        for repetition in slopes.indices {
                            var slope = 0.0
                            var intercept = 0.0
                            for index in 0..<count {
                                let draw = backward(means[index] + errors[index] * random.nextStandardNormal())
                                slope += slopeCoefficients[index] * draw
                                intercept += interceptCoefficients[index] * draw
                            }
                            if transform {
                                slopes[repetition] = slope
                            } else {
                                slopes[repetition] = slope * multiplier
                                let ratio = (intercept + slope) / intercept
                                ratios[repetition] = invert ? 1 / ratio : ratio
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Order statistics without a full sort.
enum OrderStatistics {
    /// The values that would sit at 0-based positions `low` ≤ `high` if `values` were
    /// sorted ascending (the same numbers a sort gives); reorders `values`.
    static func select(_ low: Int, _ high: Int, in values: inout [Double]) -> (low: Double, high: Double) {
        precondition(low <= high && high < values.count)
        return values.withUnsafeMutableBufferPointer { buffer in
            let lowValue = select(low, in: buffer, from: 0, to: buffer.count - 1)
            // After selecting `low`, everything right of it is ≥ it: select `high` there.
            let highValue = select(high, in: buffer, from: low, to: buffer.count - 1)
            return (lowValue, highValue)
        }
    }

    /// Hoare's selection (median-of-three pivot) of 0-based position `k` in `from...to`.
    private static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Double>, from: Int, to: Int) -> Double {
        var left = from
        var right = to
        while left < right {
            let middle = left + (right - left) / 2
            // Median of three as pivot.
            if a[middle] < a[left] { a.swapAt(middle, left) }
            if a[right] < a[left] { a.swapAt(right, left) }
            if a[right] < a[middle] { a.swapAt(right, middle) }
            let pivot = a[middle]
            var i = left
            var j = right
            while i <= j {
                while a[i] < pivot { i += 1 }
                while pivot < a[j] { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                right = j
            } else if k >= i {
                left = i
            } else {
                return a[k]
            }
        }
        return a[k]
    }
}

/// The scale a kind of indicator is simulated on: log for rates, logit for proportions.
struct TransformScale {
    let kind: InequalityIndices.IndicatorKind

    init(_ kind: InequalityIndices.IndicatorKind) { self.kind = kind }

    /// Whether `value` is in the kind's range.
    func contains(_ value: Double) -> Bool {
        switch kind {
        case .rate: return value > 0
        case .proportion: return value > 0 && value < 1
        case .other: return value.isFinite
        }
    }

    /// To the simulation scale.
    @inline(__always) func forward(_ value: Double) -> Double {
        switch kind {
        case .rate: return log(value)
        case .proportion: return log(value / (1 - value))
        case .other: return value
        }
    }

    /// Back from the simulation scale.
    @inline(__always) func backward(_ value: Double) -> Double {
        switch kind {
        case .rate: return exp(value)
        case .proportion: return exp(value) / (1 + exp(value))
        case .other: return value
        }
    }
}

/// The seeded random source of the inequality simulation: xoshiro256** (Blackman and
/// Vigna 2018) started from a 64-bit seed through SplitMix64, with standard normal
/// draws by Marsaglia's polar method. The same seed gives the same draws on every run.
public struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    /// A generator whose state is four SplitMix64 outputs from `seed`.
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        state = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotateLeft(state.3, 45)
        return result
    }

    @inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A draw from the standard normal distribution (Marsaglia's polar method; each
    /// accepted pair gives two draws).
    public mutating func nextStandardNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = Double(next() >> 11) * 0x1p-52 - 1
            let v = Double(next() >> 11) * 0x1p-52 - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }
}
