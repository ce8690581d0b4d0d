#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The model families sprx fits.
public enum GLMFamily: String, Sendable, CaseIterable {
    /// Binomial with logit link: binary outcomes.
    case logistic
    /// NB2 (variance μ + μ²/θ) with log link, θ by maximum likelihood: counts.
    case negativeBinomial = "negative_binomial"
}

/// How to fit.
public struct GLMOptions: Sendable {
    /// Standard errors clustered on the data's clusters (CR1); observations without a
    /// cluster are then left out, as Stata does.
    public var clusterRobust: Bool
    /// Newton / scoring iterations allowed (per inner loop).
    public var maxIterations: Int
    /// Convergence: largest coefficient change, relative to max(1, |β|).
    public var tolerance: Double

    public init(clusterRobust: Bool = true, maxIterations: Int = 100, tolerance: Double = 1e-10) {
        self.clusterRobust = clusterRobust
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }
}

/// A fitted model: coefficients on the link scale and their covariances.
public struct GLMFit: Sendable {
    public let family: GLMFamily
    public let factors: [Factor]
    /// The design columns, intercept first.
    public let columns: [DesignColumn]
    /// Coefficients (log odds or log rate) per column.
    public let coefficients: [Double]
    /// Model-based covariance: the inverse (expected) information. For negative
    /// binomial models θ is held at its estimate, as `MASS::glm.nb`'s `summary`.
    public let modelCovariance: [[Double]]
    /// CR1 cluster-robust covariance, `nil` when not asked for.
    public let clusterCovariance: [[Double]]?
    /// The CR1 factor applied: G/(G−1)·(N−1)/(N−K).
    public let smallSampleFactor: Double?
    /// NB2 dispersion θ (variance μ + μ²/θ) and its standard error (observed information).
    public let theta: Double?
    public let thetaStandardError: Double?
    /// Observations used (N), clusters (G), distinct covariate patterns.
    public let observations: Double
    public let clusters: Int
    public let patterns: Int
    /// Distinct (pattern, cluster, outcome) entries fitted from.
    public var entries: Int { design.entries }
    /// Observations left out for having no cluster.
    public let withoutCluster: Double
    /// Maximised log-likelihood.
    public let logLikelihood: Double
    /// Iterations used (outer alternations for negative binomial).
    public let iterations: Int
    let design: Design

    /// The covariance used for inference: cluster-robust when fitted so, else model-based.
    public var covariance: [[Double]] { clusterCovariance ?? modelCovariance }

    /// Standard error of coefficient `i` (cluster-robust when available).
    public func standardError(_ i: Int) -> Double { covariance[i][i].squareRoot() }

    /// Model-based standard error of coefficient `i`.
    public func modelStandardError(_ i: Int) -> Double { modelCovariance[i][i].squareRoot() }
}

/// Generalised linear models fitted from grouped observations.
///
/// Design note: logistic models use Newton–Raphson (identical to IRLS for the canonical
/// link) with step halving; negative binomial models alternate Fisher scoring for β at
/// fixed θ with Newton steps for log θ at fixed μ, as `MASS::glm.nb` does, until both
/// stop moving. Each iteration costs one pass over the distinct covariate patterns; the
/// (cluster, pattern) cells are visited once, for the cluster-robust meat.
public enum GLM {
    /// Fits `family` to `data`.
    public static func fit(_ data: ModelData, family: GLMFamily, options: GLMOptions = GLMOptions()) throws -> GLMFit {
        let design = try Design(data, family: family, clusterRobust: options.clusterRobust)
        switch family {
        case .logistic: return try fitLogistic(design, options: options)
        case .negativeBinomial: return try fitNegativeBinomial(design, options: options)
        }
    }

    // MARK: Logistic

    static func fitLogistic(_ d: Design, options: GLMOptions) throws -> GLMFit {
        let k = d.columns.count
        var beta = Array(repeating: 0.0, count: k)
        let mean = d.outcomeSum.reduce(0, +) / d.observations
        beta[0] = log(mean / (1 - mean))
        var loglik = logisticLogLikelihood(d, beta)
        var converged = false
        var iterations = 0
        while iterations < options.maxIterations {
            iterations += 1
            let (information, gradient) = logisticDerivatives(d, beta)
            let step = try solve(information, gradient, d)
            var scale = 1.0
            var candidate = zip(beta, step).map { $0 + $1 }
            var candidateLoglik = logisticLogLikelihood(d, candidate)
            while !(candidateLoglik >= loglik - 1e-12 * abs(loglik)) && scale > 1e-6 {
                scale /= 2
                candidate = zip(beta, step).map { $0 + scale * $1 }
                candidateLoglik = logisticLogLikelihood(d, candidate)
            }
            guard candidateLoglik.isFinite else { throw outOfRange() }
            let change = zip(step, beta).map { abs(scale * $0) / max(1, abs($1)) }.max() ?? 0
            beta = candidate
            loglik = candidateLoglik
            if change < options.tolerance {
                converged = true
                break
            }
        }
        // Fitted probabilities at 0 or 1, or coefficients running off: no finite maximum.
        var extreme = false
        for p in 0..<d.patternCount where abs(d.eta(p, beta)) > 30 { extreme = true }
        if extreme {
            throw ModelFitError(.separation, "fitted probabilities of 0 or 1: some combination of covariates predicts the outcome perfectly")
        }
        guard converged else {
            throw ModelFitError(.nonConvergence, "logistic regression did not converge in \(options.maxIterations) iterations")
        }
        let (information, _) = logisticDerivatives(d, beta)
        let bread = try invert(information, d)
        var cluster: SymmetricMatrix?
        var factor: Double?
        if d.clusterCount > 0 {
            let meat = clusterMeat(d) { p in
                let mu = SpecialFunctions.logistic(d.eta(p, beta))
                return (mu, 1.0)
            }
            let c = smallSampleFactor(d)
            cluster = SymmetricMatrix.sandwich(bread, meat).scaled(c)
            factor = c
        }
        return GLMFit(
            family: .logistic, factors: d.factors, columns: d.columns, coefficients: beta, modelCovariance: rows(bread),
            clusterCovariance: cluster.map(rows), smallSampleFactor: factor, theta: nil, thetaStandardError: nil,
            observations: d.observations, clusters: d.clusterCount, patterns: d.patternCount, withoutCluster: d.withoutCluster,
            logLikelihood: loglik, iterations: iterations, design: d)
    }

    static func logisticLogLikelihood(_ d: Design, _ beta: [Double]) -> Double {
        var sum = 0.0
        for p in 0..<d.patternCount {
            let eta = d.eta(p, beta)
            // y·η − n·log(1 + e^η), stably.
            let softplus = eta > 0 ? eta + log1p(exp(-eta)) : log1p(exp(eta))
            sum += d.outcomeSum[p] * eta - d.weight[p] * softplus
        }
        return sum
    }

    static func logisticDerivatives(_ d: Design, _ beta: [Double]) -> (SymmetricMatrix, [Double]) {
        let k = d.columns.count
        var information = SymmetricMatrix(size: k)
        var gradient = Array(repeating: 0.0, count: k)
        for p in 0..<d.patternCount {
            let mu = SpecialFunctions.logistic(d.eta(p, beta))
            d.accumulate(p, weight: d.weight[p] * mu * (1 - mu), score: d.outcomeSum[p] - d.weight[p] * mu, into: &information, gradient: &gradient)
        }
        information.symmetrise()
        return (information, gradient)
    }

    // MARK: Negative binomial

    static func fitNegativeBinomial(_ d: Design, options: GLMOptions) throws -> GLMFit {
        let k = d.columns.count
        var beta = Array(repeating: 0.0, count: k)
        let mean = d.outcomeSum.reduce(0, +) / d.observations
        guard mean > 0 else {
            throw ModelFitError(.separation, "every count is 0")
        }
        beta[0] = log(mean)
        // Start from the Poisson fit (θ = ∞), then θ by moments, as glm.nb does.
        beta = try scoreBeta(d, beta, theta: .infinity, options: options).beta
        var theta = momentTheta(d, beta)
        var iterations = 0
        var converged = false
        while iterations < options.maxIterations {
            iterations += 1
            let newTheta = try thetaML(d, beta, start: theta, options: options)
            let (newBeta, _) = try scoreBeta(d, beta, theta: newTheta, options: options)
            let betaChange = zip(newBeta, beta).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            let thetaChange = abs(log(newTheta / theta))
            beta = newBeta
            theta = newTheta
            if betaChange < options.tolerance && thetaChange < options.tolerance {
                converged = true
                break
            }
        }
        guard converged else {
            throw ModelFitError(.nonConvergence, "negative binomial regression did not converge in \(options.maxIterations) alternations")
        }
        let (information, _) = nbDerivatives(d, beta, theta: theta)
        let bread = try invert(information, d)
        let thetaInformation = -thetaDerivatives(d, beta, theta: theta).second
        guard thetaInformation > 0 else {
            throw ModelFitError(.dispersion, "the dispersion's information is not positive")
        }
        var cluster: SymmetricMatrix?
        var factor: Double?
        if d.clusterCount > 0 {
            let meat = clusterMeat(d) { p in
                let mu = exp(d.eta(p, beta))
                return (mu, 1 / (1 + mu / theta))
            }
            let c = smallSampleFactor(d)
            cluster = SymmetricMatrix.sandwich(bread, meat).scaled(c)
            factor = c
        }
        return GLMFit(
            family: .negativeBinomial, factors: d.factors, columns: d.columns, coefficients: beta, modelCovariance: rows(bread),
            clusterCovariance: cluster.map(rows), smallSampleFactor: factor, theta: theta,
            thetaStandardError: (1 / thetaInformation).squareRoot(), observations: d.observations, clusters: d.clusterCount,
            patterns: d.patternCount, withoutCluster: d.withoutCluster, logLikelihood: nbLogLikelihood(d, beta, theta: theta),
            iterations: iterations, design: d)
    }

    /// Fisher scoring for β at fixed θ (θ = ∞ is Poisson).
    static func scoreBeta(_ d: Design, _ start: [Double], theta: Double, options: GLMOptions) throws -> (beta: [Double], iterations: Int) {
        var beta = start
        var loglik = nbKernel(d, beta, theta: theta)
        for iteration in 1...options.maxIterations {
            let (information, gradient) = nbDerivatives(d, beta, theta: theta)
            let step = try solve(information, gradient, d)
            var scale = 1.0
            var candidate = zip(beta, step).map { $0 + $1 }
            var candidateLoglik = nbKernel(d, candidate, theta: theta)
            while !(candidateLoglik >= loglik - 1e-12 * abs(loglik)) && scale > 1e-6 {
                scale /= 2
                candidate = zip(beta, step).map { $0 + scale * $1 }
                candidateLoglik = nbKernel(d, candidate, theta: theta)
            }
            guard candidateLoglik.isFinite else { throw outOfRange() }
            let change = zip(step, beta).map { abs(scale * $0) / max(1, abs($1)) }.max() ?? 0
            beta = candidate
            loglik = candidateLoglik
            if change < options.tolerance { return (beta, iteration) }
        }
        throw ModelFitError(.nonConvergence, "the count model's coefficients did not converge in \(options.maxIterations) iterations")
    }

    /// The part of the NB log-likelihood that depends on β at fixed θ:
    /// Σ y·log μ − (y + θ)·log(θ + μ) (Poisson: Σ y·log μ − μ).
    static func nbKernel(_ d: Design, _ beta: [Double], theta: Double) -> Double {
        var sum = 0.0
        for p in 0..<d.patternCount {
            let eta = d.eta(p, beta)
            let mu = exp(eta)
            if theta.isInfinite {
                sum += d.outcomeSum[p] * eta - d.weight[p] * mu
            } else {
                // y log μ − (y+θ) log(θ+μ) = y log(μ/(θ+μ)) − θ log(θ+μ); keep the θ log θ-free form.
                sum += d.outcomeSum[p] * eta - (d.outcomeSum[p] + d.weight[p] * theta) * log1p(mu / theta)
            }
        }
        return sum
    }

    static func nbDerivatives(_ d: Design, _ beta: [Double], theta: Double) -> (SymmetricMatrix, [Double]) {
        let k = d.columns.count
        var information = SymmetricMatrix(size: k)
        var gradient = Array(repeating: 0.0, count: k)
        for p in 0..<d.patternCount {
            let mu = exp(d.eta(p, beta))
            let shrink = theta.isInfinite ? 1 : 1 / (1 + mu / theta)
            d.accumulate(
                p, weight: d.weight[p] * mu * shrink, score: (d.outcomeSum[p] - d.weight[p] * mu) * shrink, into: &information,
                gradient: &gradient)
        }
        information.symmetrise()
        return (information, gradient)
    }

    /// Full NB2 log-likelihood.
    static func nbLogLikelihood(_ d: Design, _ beta: [Double], theta: Double) -> Double {
        var sum = 0.0
        for p in 0..<d.patternCount {
            let mu = exp(d.eta(p, beta))
            for h in d.histogramStart[p]..<d.histogramStart[p + 1] {
                let y = d.histogramValue[h]
                let w = d.histogramWeight[h]
                sum +=
                    w
                    * (lgamma(y + theta) - lgamma(theta) - lgamma(y + 1) + theta * log(theta / (theta + mu))
                        + (y > 0 ? y * log(mu / (theta + mu)) : 0))
            }
        }
        return sum
    }

    /// θ by moments: N / Σ (y/μ − 1)² (MASS's starting value).
    static func momentTheta(_ d: Design, _ beta: [Double]) -> Double {
        var sum = 0.0
        for p in 0..<d.patternCount {
            let mu = exp(d.eta(p, beta))
            for h in d.histogramStart[p]..<d.histogramStart[p + 1] {
                let r = d.histogramValue[h] / mu - 1
                sum += d.histogramWeight[h] * r * r
            }
        }
        let theta = d.observations / sum
        return theta.isFinite && theta > 0 ? theta : 1
    }

    /// First and second derivatives of the log-likelihood in θ at fixed μ.
    static func thetaDerivatives(_ d: Design, _ beta: [Double], theta: Double) -> (first: Double, second: Double) {
        var first = 0.0
        var second = 0.0
        for p in 0..<d.patternCount {
            let mu = exp(d.eta(p, beta))
            let tm = theta + mu
            let common1 = -log1p(mu / theta) + 1  // log θ + 1 − log(θ+μ)
            for h in d.histogramStart[p]..<d.histogramStart[p + 1] {
                let y = d.histogramValue[h]
                let w = d.histogramWeight[h]
                // ψ(y+θ) − ψ(θ) and ψ′(y+θ) − ψ′(θ), exactly for moderate integer y.
                var dg = 0.0
                var tg = 0.0
                if y <= 1000 {
                    var j = 0.0
                    while j < y {
                        let t = 1 / (theta + j)
                        dg += t
                        tg -= t * t
                        j += 1
                    }
                } else {
                    dg = SpecialFunctions.digamma(y + theta) - SpecialFunctions.digamma(theta)
                    tg = SpecialFunctions.trigamma(y + theta) - SpecialFunctions.trigamma(theta)
                }
                first += w * (dg + common1 - (y + theta) / tm)
                second += w * (tg + 1 / theta - 2 / tm + (y + theta) / (tm * tm))
            }
        }
        return (first, second)
    }

    /// Maximum-likelihood θ at fixed β: Newton steps on log θ with step halving.
    static func thetaML(_ d: Design, _ beta: [Double], start: Double, options: GLMOptions) throws -> Double {
        var logTheta = log(start)
        for _ in 0..<max(options.maxIterations, 50) {
            let theta = exp(logTheta)
            let (first, second) = thetaDerivatives(d, beta, theta: theta)
            let gradient = theta * first
            let curvature = theta * theta * second + theta * first
            // Newton when the curve is concave here; otherwise a bounded gradient step.
            var step = curvature < 0 ? -gradient / curvature : (gradient > 0 ? 1 : -1)
            step = max(-2, min(2, step))
            logTheta += step
            if logTheta > log(1e8) {
                throw ModelFitError(
                    .dispersion,
                    "θ grows without bound: the counts show no overdispersion, so a negative binomial model cannot be fitted to them (the pipeline offers no Poisson family; the other models are unaffected)"
                )
            }
            if abs(step) < options.tolerance { return exp(logTheta) }
        }
        throw ModelFitError(.nonConvergence, "the dispersion θ did not converge")
    }

    // MARK: Shared

    /// Σ_g u_g u_gᵀ with u_g = Σ_{cells of g} x_p (y − n μ_p)·f_p.
    static func clusterMeat(_ d: Design, _ muAndFactor: (Int) -> (Double, Double)) -> SymmetricMatrix {
        let k = d.columns.count
        var fitted: [(Double, Double)] = []
        fitted.reserveCapacity(d.patternCount)
        for p in 0..<d.patternCount { fitted.append(muAndFactor(p)) }
        var meat = SymmetricMatrix(size: k)
        var score = Array(repeating: 0.0, count: k)
        func addScore() {
            for i in 0..<k where score[i] != 0 {
                for j in i..<k { meat.values[i * k + j] += score[i] * score[j] }
            }
        }
        var current = -1
        d.forEachClusterCell { cluster, p, weight, outcomeSum in
            if cluster != current {
                if current >= 0 { addScore() }
                for i in score.indices { score[i] = 0 }
                current = cluster
            }
            let (mu, factor) = fitted[p]
            let s = (outcomeSum - weight * mu) * factor
            let base = p * d.stride
            for a in 0..<d.stride {
                let column = d.active[base + a]
                if column >= 0 { score[Int(column)] += s }
            }
        }
        if current >= 0 { addScore() }
        meat.symmetrise()
        return meat
    }

    /// CR1: G/(G−1) · (N−1)/(N−K).
    static func smallSampleFactor(_ d: Design) -> Double {
        let g = Double(d.clusterCount)
        let n = d.observations
        let k = Double(d.columns.count)
        return g / (g - 1) * (n - 1) / (n - k)
    }

    static func solve(_ information: SymmetricMatrix, _ gradient: [Double], _ d: Design) throws -> [Double] {
        guard information.values.allSatisfy(\.isFinite), gradient.allSatisfy(\.isFinite) else { throw outOfRange() }
        switch Cholesky.factor(information) {
        case .success(let factor): return factor.solve(gradient)
        case .failure(let column): throw collinear(column.index, d)
        }
    }

    static func invert(_ information: SymmetricMatrix, _ d: Design) throws -> SymmetricMatrix {
        guard information.values.allSatisfy(\.isFinite) else { throw outOfRange() }
        switch Cholesky.factor(information) {
        case .success(let factor): return factor.inverse()
        case .failure(let column): throw collinear(column.index, d)
        }
    }

    /// The fit's numbers left the range of doubles (a step whose likelihood is not a
    /// number, an information matrix with infinities): not collinearity, but outcomes
    /// the model cannot follow. Seen with one referral of 123,456,789 contacts among
    /// ordinary ones: the Poisson start fits rates of 0 elsewhere, θ by moments is
    /// ~1e-38, and the steps overflow. `MASS::glm.nb` fails on the same data ("no valid
    /// set of coefficients has been found"), so this is a failure to report, not to mend.
    static func outOfRange() -> ModelFitError {
        ModelFitError(
            .nonConvergence,
            "the fit left the range of floating-point numbers: the outcome's values are too large or too spread out for the model")
    }

    static func collinear(_ column: Int, _ d: Design) -> ModelFitError {
        ModelFitError(.collinear, "\(d.describe(column: column)) is a linear combination of earlier terms (the covariates are collinear)")
    }

    static func rows(_ m: SymmetricMatrix) -> [[Double]] {
        (0..<m.size).map { i in Array(m.values[(i * m.size)..<((i + 1) * m.size)]) }
    }
}
