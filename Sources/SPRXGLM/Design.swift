/// One column of a treatment-coded design matrix.
public struct DesignColumn: Sendable, Hashable {
    /// Index into the model's factors; `nil` for the intercept.
    public var factor: Int?
    /// The level the indicator is 1 for (unused for the intercept).
    public var level: Int
}

/// Grouped observations laid out for fitting: distinct covariate patterns with their
/// design columns and outcome sums, plus the (cluster, pattern) cells the cluster
/// scores need. Everything is in a fixed order (patterns by code, clusters by name),
/// so sums, and therefore results, do not depend on hashing order.
struct Design: Sendable {
    let factors: [Factor]
    let columns: [DesignColumn]
    /// Design column of each (factor, level); -1 for the reference level.
    let columnOf: [[Int]]
    /// Per pattern: its factor levels, flattened with stride `factors.count`.
    let patternLevels: [Int]
    /// Per pattern: its active columns (intercept first), flattened with stride
    /// `factors.count + 1`; -1 where the factor is at its reference level.
    let active: [Int32]
    /// Per pattern: number of observations.
    let weight: [Double]
    /// Per pattern: sum of the outcome over its observations.
    let outcomeSum: [Double]
    /// Per pattern: histogram of outcome values, as `histogramStart[p]..<histogramStart[p+1]`
    /// into ``histogramValue``/``histogramWeight`` (negative binomial only).
    let histogramStart: [Int]
    let histogramValue: [Double]
    let histogramWeight: [Double]
    /// (cluster, pattern) cells, sorted by cluster then pattern.
    let cellCluster: [Int32]
    let cellPattern: [Int32]
    let cellWeight: [Double]
    let cellOutcomeSum: [Double]
    /// Number of clusters (0 when the fit is not cluster-robust).
    let clusterCount: Int
    /// Total observations used.
    let observations: Double
    /// Observations left out because they have no cluster.
    let withoutCluster: Double

    var patternCount: Int { weight.count }
    var stride: Int { factors.count + 1 }

    init(_ data: ModelData, family: GLMFamily, clusterRobust: Bool) throws {
        factors = data.factors
        var columns = [DesignColumn(factor: nil, level: 0)]
        var columnOf: [[Int]] = []
        for (f, factor) in factors.enumerated() {
            var map = Array(repeating: -1, count: factor.levels.count)
            for level in factor.indicatorLevels {
                map[level] = columns.count
                columns.append(DesignColumn(factor: f, level: level))
            }
            columnOf.append(map)
        }
        self.columns = columns
        self.columnOf = columnOf

        // A fixed order: by pattern, then cluster name, then outcome.
        let names = data.clusterNames
        let sorted = data.entries.sorted { a, b in
            if a.key.pattern != b.key.pattern { return a.key.pattern < b.key.pattern }
            if a.key.cluster != b.key.cluster {
                if a.key.cluster < 0 || b.key.cluster < 0 { return a.key.cluster < b.key.cluster }
                return names[Int(a.key.cluster)].utf8.lexicographicallyPrecedes(names[Int(b.key.cluster)].utf8)
            }
            return a.key.outcome < b.key.outcome
        }

        var patternIndex: [UInt64: Int] = [:]
        var patternLevels: [Int] = []
        var active: [Int32] = []
        var weight: [Double] = []
        var outcomeSum: [Double] = []
        var histograms: [[Int64: Double]] = []
        var cells: [Int64: (weight: Double, sum: Double)] = [:]
        var usedClusters = Set<Int32>()
        var withoutCluster = 0.0
        var levelWeight = factors.map { Array(repeating: 0.0, count: $0.levels.count) }
        var levelEvents = levelWeight

        for (entry, w) in sorted {
            if w < 0 {
                throw ModelFitError(.invalidDesign, "an observation has a negative weight")
            }
            switch family {
            case .logistic where entry.outcome != 0 && entry.outcome != 1:
                throw ModelFitError(.invalidOutcome, "a logistic outcome must be 0 or 1")
            case .negativeBinomial where entry.outcome < 0:
                throw ModelFitError(.invalidOutcome, "a count outcome must be 0 or more")
            default: break
            }
            if clusterRobust && entry.cluster < 0 {
                withoutCluster += w
                continue
            }
            let p: Int
            if let known = patternIndex[entry.pattern] {
                p = known
            } else {
                p = weight.count
                patternIndex[entry.pattern] = p
                let levels = data.levels(of: entry.pattern)
                patternLevels += levels
                active.append(0)
                for (f, level) in levels.enumerated() { active.append(Int32(columnOf[f][level])) }
                weight.append(0)
                outcomeSum.append(0)
                histograms.append([:])
            }
            let y = Double(entry.outcome)
            weight[p] += w
            outcomeSum[p] += w * y
            if family == .negativeBinomial { histograms[p][entry.outcome, default: 0] += w }
            for f in factors.indices {
                let level = patternLevels[p * factors.count + f]
                levelWeight[f][level] += w
                levelEvents[f][level] += w * y
            }
            if clusterRobust {
                usedClusters.insert(entry.cluster)
                let key = Int64(entry.cluster) << 32 | Int64(p)
                let old = cells[key] ?? (0, 0)
                cells[key] = (old.weight + w, old.sum + w * y)
            }
        }

        let total = weight.reduce(0, +)
        guard total > 0 else {
            throw ModelFitError(.noObservations, clusterRobust && withoutCluster > 0
                ? "no observation has a cluster" : "there are no observations")
        }
        for (f, factor) in factors.enumerated() {
            for (level, name) in factor.levels.enumerated() where levelWeight[f][level] == 0 {
                throw ModelFitError(.emptyLevel, "level '\(name)' of \(factor.name) has no observations")
            }
        }
        if family == .logistic {
            let events = outcomeSum.reduce(0, +)
            if events == 0 || events == total {
                throw ModelFitError(.separation, "every observation has outcome \(events == 0 ? 0 : 1)")
            }
            for (f, factor) in factors.enumerated() {
                for (level, name) in factor.levels.enumerated() {
                    let e = levelEvents[f][level]
                    if e == 0 || e == levelWeight[f][level] {
                        throw ModelFitError(
                            .separation,
                            "quasi-complete separation: every observation with \(factor.name) = \(name) has outcome \(e == 0 ? 0 : 1)")
                    }
                }
            }
        }
        if clusterRobust && usedClusters.count < 2 {
            throw ModelFitError(.singleCluster, "cluster-robust standard errors need at least two clusters; the data have \(usedClusters.count)")
        }

        // Clusters numbered in name order; cells sorted by (cluster, pattern).
        let clusterOrder = usedClusters.sorted { names[Int($0)].utf8.lexicographicallyPrecedes(names[Int($1)].utf8) }
        var clusterRank: [Int32: Int32] = [:]
        for (rank, id) in clusterOrder.enumerated() { clusterRank[id] = Int32(rank) }
        let cellKeys = cells.keys.sorted { a, b in
            let ra = clusterRank[Int32(a >> 32)]!, rb = clusterRank[Int32(b >> 32)]!
            return ra != rb ? ra < rb : (a & 0xFFFF_FFFF) < (b & 0xFFFF_FFFF)
        }
        cellCluster = cellKeys.map { clusterRank[Int32($0 >> 32)]! }
        cellPattern = cellKeys.map { Int32($0 & 0xFFFF_FFFF) }
        cellWeight = cellKeys.map { cells[$0]!.weight }
        cellOutcomeSum = cellKeys.map { cells[$0]!.sum }
        clusterCount = clusterRobust ? clusterOrder.count : 0

        var histogramStart = [0]
        var histogramValue: [Double] = []
        var histogramWeight: [Double] = []
        for histogram in histograms {
            for (value, w) in histogram.sorted(by: { $0.key < $1.key }) {
                histogramValue.append(Double(value))
                histogramWeight.append(w)
            }
            histogramStart.append(histogramValue.count)
        }
        self.patternLevels = patternLevels
        self.active = active
        self.weight = weight
        self.outcomeSum = outcomeSum
        self.histogramStart = histogramStart
        self.histogramValue = histogramValue
        self.histogramWeight = histogramWeight
        self.observations = total
        self.withoutCluster = withoutCluster
    }

    /// The linear predictor of pattern `p`.
    @inline(__always)
    func eta(_ p: Int, _ beta: [Double]) -> Double {
        var sum = 0.0
        let base = p * stride
        for k in 0..<stride {
            let column = active[base + k]
            if column >= 0 { sum += beta[Int(column)] }
        }
        return sum
    }

    /// Adds `w · xₚ xₚᵀ` (upper triangle) and `g · xₚ` for pattern `p`.
    @inline(__always)
    func accumulate(_ p: Int, weight w: Double, score g: Double, into information: inout SymmetricMatrix, gradient: inout [Double]) {
        let base = p * stride
        let k = information.size
        for a in 0..<stride {
            let i = Int(active[base + a])
            if i < 0 { continue }
            gradient[i] += g
            for b in 0..<stride {
                let j = Int(active[base + b])
                if j >= i { information.values[i * k + j] += w }
            }
        }
    }

    /// A readable name for a design column, for error messages.
    func describe(column: Int) -> String {
        guard let f = columns[column].factor else { return "the intercept" }
        return "\(factors[f].name) = \(factors[f].levels[columns[column].level])"
    }
}
