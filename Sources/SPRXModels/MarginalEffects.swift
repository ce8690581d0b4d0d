/// The average marginal effect of one factor level against the reference, on the
/// probability scale (a logistic model's discrete change).
public struct MarginalEffect: Sendable, Hashable {
    /// Index into the fit's factors.
    public var factor: Int
    /// The level compared with the factor's reference.
    public var level: Int
    /// Mean over the observations of P(y=1 | level) − P(y=1 | reference), other covariates as observed.
    public var estimate: Double
    /// Delta-method standard error with the fit's inference covariance (cluster-robust when fitted so).
    public var standardError: Double
    /// Delta-method standard error with the model-based covariance.
    public var modelStandardError: Double
}

extension GLMFit {
    /// Average marginal effects of every non-reference level of every factor, as
    /// Stata's `margins, dydx(i.factor)` after `logit`: for each observation the
    /// factor is set to the level and to the reference, everything else as observed,
    /// and the difference in predicted probability is averaged over the estimation
    /// sample. Standard errors by the delta method. Empty for non-logistic models.
    public func averageMarginalEffects() -> [MarginalEffect] {
        guard family == .logistic else { return [] }
        let d = design
        let k = columns.count
        var effects: [MarginalEffect] = []
        for (f, factor) in factors.enumerated() {
            for level in factor.indicatorLevels {
                let column = d.columnOf[f][level]
                var mean = 0.0
                var gradient = Array(repeating: 0.0, count: k)
                for p in 0..<d.patternCount {
                    let w = d.weight[p] / observations
                    // Linear predictor without this factor's contribution: the reference.
                    let own = d.active[p * d.stride + 1 + f]
                    let base = d.eta(p, coefficients) - (own >= 0 ? coefficients[Int(own)] : 0)
                    let p1 = SpecialFunctions.logistic(base + coefficients[column])
                    let p0 = SpecialFunctions.logistic(base)
                    mean += w * (p1 - p0)
                    let d1 = p1 * (1 - p1)
                    let d0 = p0 * (1 - p0)
                    // ∂/∂β of p1 − p0: columns shared by both predictions get (d1 − d0),
                    // this level's column gets d1; the factor's own column is in neither.
                    for a in 0..<d.stride where a != 1 + f {
                        let c = d.active[p * d.stride + a]
                        if c >= 0 { gradient[Int(c)] += w * (d1 - d0) }
                    }
                    gradient[column] += w * d1
                }
                let robust = quadratic(covariance, gradient)
                let model = quadratic(modelCovariance, gradient)
                effects.append(
                    MarginalEffect(
                        factor: f, level: level, estimate: mean, standardError: robust.squareRoot(), modelStandardError: model.squareRoot()))
            }
        }
        return effects
    }

    private func quadratic(_ m: [[Double]], _ v: [Double]) -> Double {
        var sum = 0.0
        for i in v.indices where v[i] != 0 {
            for j in v.indices where v[j] != 0 { sum += v[i] * m[i][j] * v[j] }
        }
        return sum
    }
}
