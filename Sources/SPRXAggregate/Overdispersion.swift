import Foundation

/// Spiegelhalter's (2005) allowance for overdispersion in a funnel plot: the dispersion
/// factor φ and the between-organisation variance τ² of a set of organisations, and the
/// funnel limits widened by τ².
///
/// The method is the one `nhs-r-community/FunnelPlotR` implements (`R/od_adjustment.R`,
/// `R/calculate_limits.R`, `R/funnel_plot.R` at commit 9020d49), for its two kinds that
/// sprx publishes:
///
/// - **Proportions** (FunnelPlotR's `data_type = "PR"`): each organisation's z-score is
///   (asin √(numerator/denominator) − asin √target) / s with s = 1/(2√n) (n = the
///   denominator). The z-scores are *Winsorised* at 10% in each tail: a z-score below
///   the 10th percentile is replaced by it, one above the 90th by it, with percentiles
///   by R's default rule (`quantile`, type 7: linear interpolation between order
///   statistics at (N − 1)·p). Limits are sin²(asin √target ∓ z·√(s² + τ²)), the angle
///   held within 0…π/2 (FunnelPlotR clamps the limits to 0…1 and, where the arcsine
///   limits turn back at small denominators, sets them to 0 or 1; holding the angle is
///   the same thing at a single denominator).
/// - **Indirectly standardised ratios** (observed/expected; FunnelPlotR's default
///   `data_type = "SR"`, `sr_method = "SHMI"`): each z-score is √E · log(O/E) (the log
///   scale, s = 1/√E, target 1). On this scale FunnelPlotR *truncates* rather than
///   Winsorises, as NHS Digital's SHMI does: organisations are ranked by z (ties
///   averaged), split into ten groups by ⌊rank · 10/(N + 1)⌋, and the lowest and highest
///   groups (group 0, and 9 or more) are left out of φ and τ². Below 9 organisations no
///   one is left out. Limits are exp(log target ∓ z·√(1/E + τ²)).
///
/// In both: φ is the mean of the squared (Winsorised or kept) z-scores over the N
/// organisations they came from; τ² is 0 when Nφ < N − 1, else
/// max(0, (Nφ − (N − 1)) / (Σw − Σw²/Σw)) with w = 1/s². z for the limits is the normal
/// quantile at 0.975 (95%) and 0.999 (99.8%), as `FunnelLimits` takes it.
///
/// Where FunnelPlotR has no rule sprx adds one, so that no figure it publishes is
/// undefined: organisations whose denominator is not positive carry no information and
/// are left out before anything is computed; FunnelPlotR rounds a SHMI's expected
/// counts to 2 decimals (`SHMI_rounding`), sprx does not (its expected counts are not
/// SHMI's).
public struct Overdispersion: Sendable, Equatable {
    /// The scale the funnel is drawn on, which fixes the transformation and the trimming.
    public enum Scale: String, Sendable {
        /// A share: events out of n, on the arcsine-square-root scale, Winsorised.
        case proportion
        /// An indirectly standardised ratio: observed over expected, on the log scale,
        /// truncated as SHMI does.
        case ratio
    }

    /// The scale φ and τ² were estimated on.
    public let scale: Scale
    /// The dispersion factor φ: the mean squared trimmed z-score; above 1 the
    /// organisations vary more than chance alone allows.
    public let phi: Double
    /// The between-organisation variance τ² on the transformed scale, added to each
    /// organisation's own variance s² to widen the limits; 0 when φ does not show
    /// overdispersion.
    public let tau2: Double
    /// The number of organisations φ and τ² were estimated from (after truncation, for
    /// ratios).
    public let units: Int

    /// The share of each tail that is Winsorised (proportions) or truncated (ratios).
    public static let trimmedTail = 0.1

    /// Estimates φ and τ² from the organisations' counts.
    ///
    /// - `.proportion`: `numerator` is the events, `denominator` the organisation's n;
    ///   `target` is the overall proportion (0…1; FunnelPlotR takes Σ numerators / Σ
    ///   denominators of the organisations plotted).
    /// - `.ratio`: `numerator` is the observed count, `denominator` the expected count;
    ///   `target` is 1 (FunnelPlotR's for a standardised ratio).
    ///
    /// Units whose denominator is not positive are left out. `nil` when φ and τ² cannot
    /// be estimated: fewer than two units remain to estimate from (τ²'s denominator
    /// Σw − Σw²/Σw is then 0), a target outside its range (a proportion outside 0…1, a
    /// ratio not positive), a proportion's numerator outside 0…denominator or negative
    /// observed count, or a ratio's z-score that stays infinite (an organisation with no
    /// observed events that truncation does not remove: log 0 has no place on the log
    /// scale).
    public init?(units: [(numerator: Double, denominator: Double)], target: Double, scale: Scale) {
        let informative = units.filter { $0.denominator > 0 }
        // Fewer than two units estimate nothing (and the Winsorising quantiles need some).
        guard informative.count >= 2 else { return nil }
        guard informative.allSatisfy({ $0.numerator >= 0 && $0.numerator.isFinite && $0.denominator.isFinite }) else { return nil }
        self.scale = scale
        var scores: [(z: Double, s: Double)]
        switch scale {
        case .proportion:
            guard target >= 0, target <= 1, informative.allSatisfy({ $0.numerator <= $0.denominator }) else { return nil }
            let centre = asin(target.squareRoot())
            scores = informative.map { unit in
                let s = 1 / (2 * unit.denominator.squareRoot())
                return ((asin((unit.numerator / unit.denominator).squareRoot()) - centre) / s, s)
            }
            let sorted = scores.map(\.z).sorted()
            let low = Self.quantile(sorted, Self.trimmedTail), high = Self.quantile(sorted, 1 - Self.trimmedTail)
            scores = scores.map { (min(max($0.z, low), high), $0.s) }
        case .ratio:
            guard target > 0, target.isFinite else { return nil }
            scores = informative.map { unit in
                (unit.denominator.squareRoot() * (log(unit.numerator / unit.denominator) - log(target)), 1 / unit.denominator.squareRoot())
            }
            scores = Self.truncated(scores)
        }
        guard scores.count >= 2 else { return nil }
        let n = Double(scores.count)
        let phi = scores.map { $0.z * $0.z }.reduce(0, +) / n
        guard phi.isFinite else { return nil }
        let weights = scores.map { 1 / ($0.s * $0.s) }
        let sumW = weights.reduce(0, +)
        let spread = sumW - weights.map { $0 * $0 }.reduce(0, +) / sumW
        self.phi = phi
        self.tau2 = n * phi < n - 1 ? 0 : max(0, (n * phi - (n - 1)) / spread)
        self.units = scores.count
    }

    /// The overdispersed 95% and 99.8% limits at `denominator` (n, or the expected
    /// count) around `target`, on the indicator's own scale (a proportion 0…1, or a
    /// ratio); `nil` when the denominator is not positive or the target is out of range.
    public func limits(denominator: Double, target: Double) -> FunnelLimits? {
        guard denominator > 0, denominator.isFinite else { return nil }
        switch scale {
        case .proportion:
            guard target >= 0, target <= 1 else { return nil }
            let s2 = 1 / (4 * denominator)
            let centre = asin(target.squareRoot()), spread = (s2 + tau2).squareRoot()
            func bound(_ z: Double) -> Double {
                let angle = min(max(centre + z * spread, 0), Double.pi / 2)
                return pow(sin(angle), 2)
            }
            return FunnelLimits(
                lower95: bound(-FunnelLimits.z95), upper95: bound(FunnelLimits.z95),
                lower998: bound(-FunnelLimits.z998), upper998: bound(FunnelLimits.z998))
        case .ratio:
            guard target > 0, target.isFinite else { return nil }
            let centre = log(target), spread = (1 / denominator + tau2).squareRoot()
            func bound(_ z: Double) -> Double { exp(centre + z * spread) }
            return FunnelLimits(
                lower95: bound(-FunnelLimits.z95), upper95: bound(FunnelLimits.z95),
                lower998: bound(-FunnelLimits.z998), upper998: bound(FunnelLimits.z998))
        }
    }

    /// R's default sample quantile (type 7) of ascending `sorted` at probability `p`:
    /// the order statistics at ⌊h⌋ and ⌊h⌋ + 1 (0-based), h = (N − 1)·p, interpolated.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty)
        let h = Double(sorted.count - 1) * p
        let lower = Int(h.rounded(.down))
        guard lower + 1 < sorted.count else { return sorted[lower] }
        let fraction = h - Double(lower)
        if fraction == 0 { return sorted[lower] }
        return sorted[lower] + fraction * (sorted[lower + 1] - sorted[lower])
    }

    /// The scores SHMI's truncation keeps: ranked by z (ties get their average rank),
    /// grouped by ⌊rank · k/(N + 1)⌋ with k = 1/`trimmedTail` = 10, groups 1…k − 2 kept.
    static func truncated(_ scores: [(z: Double, s: Double)]) -> [(z: Double, s: Double)] {
        let order = scores.indices.sorted { scores[$0].z < scores[$1].z }
        var rank = [Double](repeating: 0, count: scores.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]].z == scores[order[start]].z { end += 1 }
            let average = Double(start + end + 2) / 2
            for position in start...end { rank[order[position]] = average }
            start = end + 1
        }
        let groups = (1 / trimmedTail).rounded()
        let total = Double(scores.count + 1)
        return scores.indices.compactMap { index in
            let group = (rank[index] * groups / total).rounded(.down)
            return group > 0 && group < groups - 1 ? scores[index] : nil
        }
    }
}
