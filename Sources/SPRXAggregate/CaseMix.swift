import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Indirect standardisation of the organisations' shares (`organisations.csv`'s
// `observed`, `expected`, `isr` and their limits), as Public Health England's
// `PHEindicatormethods` computes it: `calculate_ISRatio` (Byar's interval, exact below
// 10), `calculate_funnel_limits(statistic = "ratio", ratio_type = "isr")` and
// `assign_funnel_significance(statistic = "ratio")`. Pure functions, no I/O.

/// An indirectly standardised ratio: observed events against the events expected from
/// the unit's own case mix, with PHE's confidence limits.
///
/// As `PHEindicatormethods::calculate_ISRatio` (with `refvalue = 1`): the ratio O/E and
/// the limits of the count O (``PoissonCountInterval``: exact below 10, Byar's from 10)
/// divided by E, at 95% and 99.8%.
public struct StandardisedRatio: Sendable, Equatable {
    /// The observed count and the expected count.
    public var observed: Int64
    public var expected: Double
    /// O / E.
    public var ratio: Double { Double(observed) / expected }
    /// The 95% and 99.8% confidence limits of the ratio.
    public var limits95: ConfidenceLimits
    public var limits998: ConfidenceLimits

    /// The confidence levels of the ratio's two intervals (PHE's `confidence = c(0.95, 0.998)`).
    public static let confidence95 = 0.95, confidence998 = 0.998

    /// The ratio of `observed` events to `expected`; `nil` when `expected` is not positive.
    public init?(observed: Int64, expected: Double) {
        guard expected > 0, expected.isFinite, observed >= 0 else { return nil }
        self.observed = observed
        self.expected = expected
        let count = Int(observed)
        limits95 = PoissonCountInterval.limits(count: count, confidence: Self.confidence95).scaled(by: 1 / expected)
        limits998 = PoissonCountInterval.limits(count: count, confidence: Self.confidence998).scaled(by: 1 / expected)
    }

    /// Where the ratio lies against the target 1, as `assign_funnel_significance` (statistic
    /// "ratio") decides it: above the 99.8% limits when its 99.8% interval lies wholly
    /// above 1, above the 95% limits when its 95% interval does, below likewise, else
    /// within. (PHE tests the high side first; no interval lies both wholly above and
    /// wholly below 1.) Strict comparisons: an interval touching 1 is within.
    public var flag: OrganisationColumn.Flag {
        if limits998.lower > 1 { return .above998 }
        if limits95.lower > 1 { return .above95 }
        if limits998.upper < 1 { return .below998 }
        if limits95.upper < 1 { return .below95 }
        return .within
    }
}

/// PHE's funnel limits for an indirectly standardised ratio at a given expected count,
/// around the target ratio 1 (`calculate_funnel_limits(statistic = "ratio", ratio_type =
/// "isr")`, divided by its multiplier 100 so the limits are ratios like `isr`).
///
/// PHE's funnel at a point x of the axis (the denominator, here the expected count) is
/// x / λ, where λ is the exact Poisson limit of a count of x events (its `poisson_funnel`:
/// the lower limit λ with P(X ≥ x; λ) = α gives the upper funnel limit, the upper λ with
/// P(X ≤ x; λ) = α the lower one; α = 0.025 and 0.001). PHE evaluates it at whole x by
/// bisection; for an expected count that is not whole this takes the same limits' continuous
/// form, the gamma quantiles λ = Q(α; x) and Q(1 − α; x + 1) (equal to PHE's at whole x,
/// since P(X ≥ x; λ) is the gamma distribution function of λ with shape x).
public enum RatioFunnel {
    /// The tail probability at each limit: 2.5% (95%) and 0.1% (99.8%).
    public static let tail95 = 0.025, tail998 = 0.001

    /// The smallest expected count the funnel is drawn at. The upper 99.8% limit is
    /// x / Q(0.001; x), and for small x Q(0.001; x) ≈ 0.001^(1/x) (P(X ≥ 1; λ) ≈ λ^x),
    /// which falls below the smallest normal double (2.2e−308, e^−708.4) once
    /// x < ln 1000 / 708.4 ≈ 0.00975: the quantile underflows and the limit is infinite
    /// or meaningless. 0.01 is that point rounded up.
    public static let minimumExpected = 0.01

    /// Whether the funnel is drawn at `expected`: from ``minimumExpected``, where every
    /// limit is finite (``limits(expected:)`` checks them too), without computing them.
    public static func isDrawn(expected x: Double) -> Bool { x >= minimumExpected && x.isFinite }

    /// The limits at `expected`; `nil` when it is below ``minimumExpected`` (or not a
    /// number) or a limit is not finite.
    public static func limits(expected x: Double) -> FunnelLimits? {
        guard isDrawn(expected: x) else { return nil }
        let limits = FunnelLimits(
            lower95: x / GammaDistribution.quantile(1 - tail95, shape: x + 1), upper95: x / GammaDistribution.quantile(tail95, shape: x),
            lower998: x / GammaDistribution.quantile(1 - tail998, shape: x + 1), upper998: x / GammaDistribution.quantile(tail998, shape: x))
        return [limits.lower95, limits.upper95, limits.lower998, limits.upper998].allSatisfy(\.isFinite) ? limits : nil
    }
}

/// The gamma distribution with scale 1: its distribution function (the regularised lower
/// incomplete gamma function P(a, x)) and quantile.
public enum GammaDistribution {
    /// P(a, x) for shape a > 0 and x ≥ 0: the series for x < a + 1, else 1 − Q(a, x) by
    /// its continued fraction (modified Lentz), each to full double precision.
    public static func cdf(_ x: Double, shape a: Double) -> Double {
        guard x > 0 else { return 0 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return min(1, sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return max(0, 1 - exp(logPrefix) * h)
    }

    /// The x with P(a, x) = p (0 < p < 1): Newton's method on P, kept inside a bracket
    /// that every step narrows (a step that would leave it bisects instead,
    /// geometrically while the bracket spans orders of magnitude), to a relative change
    /// of 1e-15. It starts from P(a, x) ≈ x^a / Γ(a + 1) for a shape under 1 (the
    /// quantile of an expected count of 0.01 is near 1e-301) and from the Wilson–Hilferty
    /// approximation otherwise. A handful of evaluations of P rather than bisection's
    /// sixty or more: a run computes four per organisation and indicator, and national
    /// data have thousands of organisations.
    public static func quantile(_ p: Double, shape a: Double) -> Double {
        var low = 0.0
        var high = max(1.0, a)
        while cdf(high, shape: a) < p {
            low = high
            high *= 2
        }
        let logGammaA: Double = lgamma(a)
        let start: Double
        if a < 1 {
            start = exp((log(p) + lgamma(a + 1)) / a)
        } else {
            // x ≈ a (1 − 1/(9a) + z √(1/(9a)))³, z the normal quantile of p.
            let z = StandardNormal.quantile(p)
            start = a * pow(max(0, 1 - 1 / (9 * a) + z * (1 / (9 * a)).squareRoot()), 3)
        }
        /// A point inside the bracket: its middle, or its geometric middle when it spans
        /// orders of magnitude (and a step down by 2^10 from a bracket that starts at 0).
        func inside() -> Double {
            if low == 0 { return high / 1024 }
            return high / low > 4 ? (low * high).squareRoot() : 0.5 * (low + high)
        }
        var x = start > low && start < high ? start : inside()
        for _ in 0..<2000 {
            let f = cdf(x, shape: a) - p
            if f < 0 { low = x } else if f > 0 { high = x } else { return x }
            let density = exp((a - 1) * log(x) - x - logGammaA)
            var next = x - f / density
            if !(next > low && next < high) { next = inside() }
            if abs(next - x) <= 1e-15 * x || high - low <= 1e-15 * high { return next }
            x = next
        }
        return x
    }
}

/// The expected counts of indirect standardisation: each stratum's share over every
/// organisation, and per organisation the count its own mix of strata predicts.
///
/// The rules (``OrganisationTableBuilder``):
/// - The standard population is the one `overall` uses: every referral with an
///   `organisation_id` (the pooled ids included), so the organisations' expected counts
///   sum to their observed counts (Σ E = Σ O over the organisation rows).
/// - A stratum's share p_s = Σ numerators / Σ referrals in the stratum over every
///   organisation; an organisation's expected count E = Σ_s n_s · p_s over its referrals'
///   strata, and its mix-weighted share m = E / n.
/// - A stratum fewer than ``OrganisationTableBuilder/minimumOrganisationsForCaseMix``
///   organisations (distinct ids, pooled ones included) have referrals in is collapsed:
///   its share is the published `overall` share instead. A stratum of one organisation
///   would otherwise carry that organisation's own exact share into its expected count
///   (three organisations each alone in its strata would publish their exact counts as
///   `expected`); collapsed, it says nothing beyond the published `overall`, and
///   adjusts nothing there (the organisation is compared with everyone in it).
public struct CaseMixStandard: Sendable {
    /// Each stratum's share of referrals with the outcome, per indicator (``OrganisationColumn/Indicator`` order).
    public let shares: [[UInt32: Double]]

    /// The standard of these strata's counts over every organisation, with no stratum collapsed (tests).
    public init(strata: [UInt32: ResidentCounts]) {
        self.init(strata: strata, organisations: [:], overall: [], minimumOrganisations: 0)
    }

    /// The standard of these strata's counts over every organisation; a stratum with
    /// fewer than `minimumOrganisations` `organisations` takes the indicator's `overall`
    /// share (``OrganisationColumn/Indicator`` order; `nil`, withheld, leaves it out: no
    /// expected count from it).
    public init(
        strata: [UInt32: ResidentCounts], organisations: [UInt32: Int], overall: [Double?],
        minimumOrganisations: Int = OrganisationTableBuilder.minimumOrganisationsForCaseMix
    ) {
        shares = OrganisationColumn.Indicator.allCases.enumerated().map { index, indicator in
            var shares: [UInt32: Double] = [:]
            for (stratum, counts) in strata where counts.referred > 0 {
                if organisations[stratum, default: 0] >= minimumOrganisations {
                    shares[stratum] = Double(OrganisationTableBuilder.numerator(indicator, of: counts)) / Double(counts.referred)
                } else if index < overall.count, let share = overall[index] {
                    shares[stratum] = share
                }
            }
            return shares
        }
    }

    /// The expected count of `indicator` for an organisation with these referrals per stratum.
    public func expected(_ indicator: OrganisationColumn.Indicator, strata: [UInt32: ResidentCounts]) -> Double {
        // safe: every indicator has an entry (built from allCases)
        let index = OrganisationColumn.Indicator.allCases.firstIndex(of: indicator)!
        // Summed in stratum order, so the same counts give the same bits whatever the table's order.
        var sum = 0.0
        for stratum in strata.keys.sorted() {
            // safe: iterating the dictionary's own keys
            let counts = strata[stratum]!
            sum += Double(counts.referred) * (shares[index][stratum] ?? 0)
        }
        return sum
    }
}
