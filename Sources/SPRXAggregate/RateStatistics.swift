import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Population rates with Public Health England's intervals, as its `PHEindicatormethods`
// R package computes them (`phe_rate`, `calculate_dsr`, `byars_lower`/`byars_upper`):
// a count's Poisson interval, the crude rate and the directly standardised rate with
// Dobson's interval. Pure functions, no I/O.

/// The standard normal distribution's quantile function.
public enum StandardNormal {
    /// The `p` quantile (the z with Φ(z) = p) for 0 < p < 1; -∞ at 0 and +∞ at 1.
    ///
    /// Acklam's rational approximation (relative error < 1.2e-9) refined by one Halley
    /// step on `erfc`, which brings it to a few units in the last place.
    public static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        // Upper half by symmetry: 1 − p is exact there (Sterbenz), Φ(x) − p near 1 is not.
        if p > 0.5 { return -quantile(1 - p) }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log1p(-p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step: e = Φ(x) − p, with Φ from erfc for accuracy in both tails.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// The z of a two-sided interval at `confidence` (0.95 → 1.959963984540054).
    public static func twoSidedZ(confidence: Double) -> Double { quantile(confidence + (1 - confidence) / 2) }
}

/// A confidence interval: its lower and upper limits.
public struct ConfidenceLimits: Sendable, Equatable {
    /// The lower limit.
    public var lower: Double
    /// The upper limit.
    public var upper: Double

    /// An interval from `lower` to `upper`.
    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// Both limits multiplied by `factor` (a positive scale).
    public func scaled(by factor: Double) -> ConfidenceLimits { ConfidenceLimits(lower: lower * factor, upper: upper * factor) }
}

/// The confidence interval for a count of events taken as Poisson, by Public Health
/// England's rule: exact below ``exactBelow`` events, Byar's approximation from there.
///
/// As `PHEindicatormethods::phe_rate` computes it: for a count x below 10 the exact
/// limits `qchisq(α/2, 2x) / 2` and `qchisq(1 − α/2, 2x + 2) / 2` (Garwood 1936), found here
/// by inverting the Poisson distribution function, which is the same quantity; from 10,
/// Byar's approximation (Breslow and Day 1987, vol. II, p. 69). A count of 0 has lower
/// limit 0.
public enum PoissonCountInterval {
    /// Counts below this use the exact interval, counts from it Byar's (PHE: 10).
    public static let exactBelow = 10

    /// How a count's interval is computed.
    public enum Method: String, Sendable, Equatable {
        /// Exact (chi-square / Poisson distribution inversion).
        case exact = "Exact"
        /// Byar's approximation.
        case byar = "Byars"
    }

    /// The method PHE uses for `count`.
    public static func method(forCount count: Int) -> Method { count < exactBelow ? .exact : .byar }

    /// The two-sided interval for `count` events (on the count scale) at `confidence`
    /// (0 < confidence < 1; default 0.95): exact below 10, Byar's from 10.
    public static func limits(count: Int, confidence: Double = 0.95) -> ConfidenceLimits {
        precondition(count >= 0, "a count of events is never negative")
        if count < exactBelow { return commonExactLimits[confidence]?[count] ?? exactLimits(count: count, confidence: confidence) }
        let byar = byarLimits(count: Double(count), confidence: confidence)
        // From 10 events Byar's lower limit is positive for any confidence below 0.99999.
        return ConfidenceLimits(lower: byar.lower ?? 0, upper: byar.upper)
    }

    /// Byar's approximate limits for `count` events (PHE's `byars_lower`/`byars_upper`):
    /// lower x(1 − 1/(9x) − z/(3√x))³, upper (x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³;
    /// the lower limit is `nil` where the formula goes negative (PHE returns NA).
    public static func byarLimits(count: Double, confidence: Double = 0.95) -> (lower: Double?, upper: Double) {
        let z = StandardNormal.twoSidedZ(confidence: confidence)
        let x = count
        let lowerBase = 1 - 1 / (9 * x) - z / (3 * x.squareRoot())
        let lower = x * lowerBase * lowerBase * lowerBase
        let y = x + 1
        let upperBase = 1 - 1 / (9 * y) + z / (3 * y.squareRoot())
        let upper = y * upperBase * upperBase * upperBase
        return (lower.isNaN || lower < 0 ? nil : lower, upper)
    }

    /// The exact limits of every count below ``exactBelow`` at the confidences the
    /// funnels and ratios use (95% and 99.8%), solved once: a table of thousands of
    /// organisations asks for them hundreds of thousands of times.
    static let commonExactLimits: [Double: [ConfidenceLimits]] = Dictionary(
        uniqueKeysWithValues: [0.95, 0.998].map { confidence in (confidence, (0..<exactBelow).map { exactLimits(count: $0, confidence: confidence) }) })

    /// The exact (Garwood) limits for `count` events: the means λ at which the chance of
    /// at least `count` events (lower limit), or of at most `count` events (upper limit),
    /// is (1 − confidence) / 2. Accurate to about 1e-14 relative.
    public static func exactLimits(count: Int, confidence: Double = 0.95) -> ConfidenceLimits {
        precondition(count >= 0, "a count of events is never negative")
        let tail = (1 - confidence) / 2
        let lower = count == 0 ? 0 : solveIncreasing(target: tail) { atLeast(count, mean: $0) }
        // P(X ≤ k; λ) falls as λ grows: its negative rises to −tail.
        let upper = count == 0 ? -log(tail) : solveIncreasing(target: -tail) { -atMost(count, mean: $0) }
        return ConfidenceLimits(lower: lower, upper: upper)
    }

    /// P(X ≤ k) for X Poisson with `mean`.
    static func atMost(_ k: Int, mean: Double) -> Double {
        var term = exp(-mean)
        var sum = term
        if k > 0 {
            for j in 1...k {
                term *= mean / Double(j)
                sum += term
            }
        }
        return sum
    }

    /// P(X ≥ k) for X Poisson with `mean`, k ≥ 1: summed upwards from k when the mean
    /// is small (no cancellation), else 1 − P(X ≤ k − 1).
    static func atLeast(_ k: Int, mean: Double) -> Double {
        if mean > Double(k) { return 1 - atMost(k - 1, mean: mean) }
        var term = exp(-mean)
        for j in stride(from: 1, through: k, by: 1) { term *= mean / Double(j) }
        var sum = 0.0
        var j = k
        while term > sum * 1e-17 || j <= k {
            sum += term
            j += 1
            term *= mean / Double(j)
            if term == 0 { break }
        }
        return sum
    }

    /// The λ ≥ 0 where the increasing `f` reaches `target`, by bisection to the last bit.
    private static func solveIncreasing(target: Double, _ f: (Double) -> Double) -> Double {
        var low = 0.0
        var high = 1.0
        while f(high) < target { high *= 2 }
        for _ in 0..<2000 {
            let mid = 0.5 * (low + high)
            if mid <= low || mid >= high { break }
            if f(mid) < target { low = mid } else { high = mid }
        }
        return 0.5 * (low + high)
    }
}

/// A rate with its confidence interval.
public struct RateEstimate: Sendable, Equatable {
    /// The rate, per ``multiplier``.
    public var value: Double
    /// The interval's limits, per ``multiplier``.
    public var limits: ConfidenceLimits
    /// The unit: events per `multiplier` person-years (or people).
    public var multiplier: Double

    /// A rate of `value` per `multiplier`, with its interval's `limits`.
    public init(value: Double, limits: ConfidenceLimits, multiplier: Double) {
        self.value = value
        self.limits = limits
        self.multiplier = multiplier
    }
}

/// The crude rate of events in a population: events per `multiplier` person-years.
public enum CrudeRate {
    /// The rate unit `rates_by_group.csv` publishes: per 1,000 person-years.
    public static let perThousand = 1000.0

    /// `multiplier × count / personYears`, with the count's Poisson interval
    /// (``PoissonCountInterval``: exact below 10, Byar's from 10) scaled the same way, as
    /// `PHEindicatormethods::phe_rate` computes it. `nil` when `personYears` is not
    /// positive (PHE requires a positive denominator).
    public static func estimate(count: Int, personYears: Double, multiplier: Double = perThousand, confidence: Double = 0.95) -> RateEstimate? {
        guard personYears > 0, personYears.isFinite else { return nil }
        let scale = multiplier / personYears
        let counts = PoissonCountInterval.limits(count: count, confidence: confidence)
        return RateEstimate(value: Double(count) * scale, limits: counts.scaled(by: scale), multiplier: multiplier)
    }
}

/// A directly age-standardised rate (DSR) with Dobson's confidence interval, as
/// `PHEindicatormethods::calculate_dsr` computes it (independent events).
///
/// With per-group events dᵢ, person-years nᵢ and standard weights wᵢ:
/// DSR = m · Σ wᵢ dᵢ / nᵢ / Σ wᵢ; var = Σ dᵢ (wᵢ / nᵢ)² / (Σ wᵢ)²; with D = Σ dᵢ and Byar's
/// limits (D_L, D_U) for D, the limits are DSR + m · √(var / D) · (D_L − D) and
/// DSR + m · √(var / D) · (D_U − D) (Dobson et al. 1991, Stat Med 10:457-462).
///
/// Age groups with no population and no events are left out, and so is their weight
/// (the standard is renormalised over the groups the population has; PHE refuses
/// such input). ``omittedGroups`` says how many were. A DSR is withheld when the total
/// is below 10 events, as PHE withholds it, or when a group has events but no
/// population.
public struct DirectlyStandardisedRate: Sendable, Equatable {
    /// The rate and its interval, per ``RateEstimate/multiplier``.
    public var estimate: RateEstimate
    /// Σ events over the age groups (whole unless the counts were scaled, as disclosure
    /// control scales a group's age-specific counts to its published total).
    public var totalCount: Double
    /// Σ person-years over the age groups.
    public var totalPersonYears: Double
    /// Age groups left out for having neither population nor events.
    public var omittedGroups: Int

    /// Why a DSR is not published.
    public enum Withheld: Error, Sendable, Equatable {
        /// Fewer than ``DirectlyStandardisedRate/minimumCount`` events in all (PHE publishes none).
        case fewerThanMinimumCount
        /// An age group (its index) has events but no population, so its rate is undefined.
        case countWithoutPopulation(group: Int)
        /// No age group has any population.
        case noPopulation
    }

    /// The fewest events a DSR is published for (PHE: 10).
    public static let minimumCount = 10

    /// The 2013 European Standard Population's weights (``EuropeanStandardPopulation``).
    public static var europeanStandard2013: [Double] { EuropeanStandardPopulation.weights.map(Double.init) }

    /// The DSR of `counts` events over `personYears`, group by group (same order and
    /// length as `standardWeights`, default ESP 2013's 19 groups), per `multiplier`.
    public static func calculate(
        counts: [Int], personYears: [Double], standardWeights: [Double] = europeanStandard2013,
        multiplier: Double = CrudeRate.perThousand, confidence: Double = 0.95
    ) -> Result<DirectlyStandardisedRate, Withheld> {
        calculate(
            counts: counts.map(Double.init), personYears: personYears, standardWeights: standardWeights, multiplier: multiplier,
            confidence: confidence)
    }

    /// The DSR of event counts given as real numbers: counts controlled for disclosure and
    /// scaled back to a controlled total need not be whole (the `[Int]` form converts).
    /// Otherwise as ``calculate(counts:personYears:standardWeights:multiplier:confidence:)-([Int],_,_,_,_)``.
    public static func calculate(
        counts: [Double], personYears: [Double], standardWeights: [Double] = europeanStandard2013,
        multiplier: Double = CrudeRate.perThousand, confidence: Double = 0.95
    ) -> Result<DirectlyStandardisedRate, Withheld> {
        precondition(counts.count == standardWeights.count && personYears.count == standardWeights.count, "one count and one population per standard age group")
        var weightedRate = 0.0
        var weightedSquare = 0.0
        var weightSum = 0.0
        var total = 0.0
        var totalPersonYears = 0.0
        var omitted = 0
        for group in counts.indices {
            let d = counts[group]
            let n = personYears[group]
            let w = standardWeights[group]
            precondition(d >= 0 && n >= 0 && w >= 0, "counts, populations and weights are never negative")
            if n <= 0 {
                if d > 0 { return .failure(.countWithoutPopulation(group: group)) }
                omitted += 1
                continue
            }
            let ratio = w / n
            weightedRate += d * ratio
            weightedSquare += d * ratio * ratio
            weightSum += w
            total += d
            totalPersonYears += n
        }
        guard weightSum > 0 else { return .failure(.noPopulation) }
        guard total >= Double(minimumCount) else { return .failure(.fewerThanMinimumCount) }
        let value = weightedRate / weightSum * multiplier
        let variance = weightedSquare / (weightSum * weightSum)
        let d = total
        let byar = PoissonCountInterval.byarLimits(count: d, confidence: confidence)
        let spread = (variance / d).squareRoot() * multiplier
        let lower = byar.lower.map { value + spread * ($0 - d) } ?? 0
        let upper = value + spread * (byar.upper - d)
        return .success(
            DirectlyStandardisedRate(
                estimate: RateEstimate(value: value, limits: ConfidenceLimits(lower: lower, upper: upper), multiplier: multiplier),
                totalCount: total, totalPersonYears: totalPersonYears, omittedGroups: omitted))
    }
}
