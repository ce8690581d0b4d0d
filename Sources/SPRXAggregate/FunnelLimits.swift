import SPRXCore

/// Public Health England's funnel plot control limits for a proportion: the range an
/// organisation with a given denominator stays within, at 95% and 99.8%, when its true
/// proportion is the overall one.
///
/// The method is PHE's as its `PHEindicatormethods` R package implements it
/// (`calculate_funnel_limits` and `assign_funnel_significance` with statistic
/// "proportion", method "Wilson"; Fingertips technical guidance, "Calculating funnel
/// plot limits"): a limit is the proportion whose 95% (z at 0.975) or 99.8% (z at 0.999)
/// Wilson score interval just reaches the overall proportion p, clamped to 0…1. The
/// package finds it by solving the Wilson bound for the observed value; that equation
/// reduces to p ∓ z·√(p(1 − p)/n), because the Wilson interval is the inversion of the
/// score test, whose acceptance region for a true proportion p is exactly that. This
/// type computes the reduced form (no cancellation), which agrees with the package's test
/// data to its printed precision.
///
/// Limits and values are proportions (0…1) here; tables scale them to percent.
public struct FunnelLimits: Sendable, Equatable {
    /// The lower and upper 95% limits.
    public var lower95: Double
    public var upper95: Double
    /// The lower and upper 99.8% limits.
    public var lower998: Double
    public var upper998: Double

    /// The normal quantiles PHE takes z at: 0.975 for the 95% limits (two-sided 2.5% in
    /// each tail), 0.999 for the 99.8% limits.
    public static let probability95 = 0.975, probability998 = 0.999
    static let z95 = StandardNormal.quantile(probability95)
    static let z998 = StandardNormal.quantile(probability998)

    /// The limits for `denominator` around `overall` (a proportion, 0…1); `nil` when the
    /// denominator is not positive or the overall proportion is not a proportion.
    ///
    /// The denominator may be fractional (PHE's test data have fractional numerators;
    /// a published table passes its controlled denominator).
    public init?(denominator: Double, overall: Double) {
        guard denominator > 0, overall >= 0, overall <= 1 else { return nil }
        (lower95, upper95) = Self.limits(denominator: denominator, overall: overall, z: Self.z95)
        (lower998, upper998) = Self.limits(denominator: denominator, overall: overall, z: Self.z998)
    }

    /// Limits computed elsewhere (a ratio's funnel, overdispersed limits), in the scale
    /// of the values they will flag.
    public init(lower95: Double, upper95: Double, lower998: Double, upper998: Double) {
        self.lower95 = lower95
        self.upper95 = upper95
        self.lower998 = lower998
        self.upper998 = upper998
    }

    /// The pair of limits at normal quantile `z`: p ∓ z·√(p(1 − p)/n), clamped to 0…1.
    static func limits(denominator n: Double, overall p: Double, z: Double) -> (lower: Double, upper: Double) {
        let half = z * (p * (1 - p) / n).squareRoot()
        return (max(0, p - half), min(1, p + half))
    }

    /// Where `value` (a proportion) lies against the limits, tested in PHE's order:
    /// below the 99.8% lower limit, below the 95% one, above the 99.8% upper limit, above
    /// the 95% one, else within. Strict comparisons: a value on a limit is within it.
    public func flag(_ value: Double) -> OrganisationColumn.Flag {
        if value < lower998 { return .below998 }
        if value < lower95 { return .below95 }
        if value > upper998 { return .above998 }
        if value > upper95 { return .above95 }
        return .within
    }
}
