/// One column of a treatment-coded design matrix.
public struct DesignColumn: Sendable, Hashable {
    /// Index into the model's factors; `nil` for the intercept.
    public var factor: Int?
    /// The level the indicator is 1 for (unused for the intercept).
    public var level: Int
}

/// Grouped observations laid out for fitting: distinct covariate patterns with their
/// design columns and outcome sums, plus the (cluster, pattern) cells the cluster
/// scores need (or ``ModelData/ClusterCells`` that read them again in their own fixed
/// order). Everything is in a fixed order (patterns by code, clusters by name),
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
    /// The cells, read again for the meat, when the data hold them that way (then the
    /// arrays above are empty).
    let clusterCells: ModelData.ClusterCells?
    /// Index of each packed pattern.
    let patternIndex: [UInt64: Int32]
    /// Number of clusters (0 when the fit is not cluster-robust).
    let clusterCount: Int
    /// Total observations used.
    let observations: Double
    /// Observations left out because they have no cluster.
    let withoutCluster: Double
    /// Distinct (pattern, cluster) cells.
    let entries: Int

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

        // A fixed order: by pattern, then cluster name, then outcome. Sorting (not
        // hashing) groups equal keys, so sums do not depend on the order of additions.
        let names = data.clusterNames
        var nameRank = Array(repeating: Int32(0), count: names.count)
        for (rank, id) in names.indices.sorted(by: { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }).enumerated() {
            nameRank[id] = Int32(rank)
        }
        // Everything becomes (pattern, cluster) counts and outcome sums, plus (negative
        // binomial) a histogram of outcome values per pattern.
        struct Item {
            var pattern: UInt64
            var cluster: Int32  // name rank, -1 none
            var count: Double
            var sum: Double
        }
        var items: [Item] = []
        var histogramIn: [(pattern: UInt64, value: Int64, weight: Double)] = []
        var withoutCluster = 0.0
        func rank(_ cluster: Int32) -> Int32 { cluster < 0 ? -1 : nameRank[Int(cluster)] }
        if data.summaries.isEmpty {
            items.reserveCapacity(data.items.count)
            for (entry, w) in data.items {
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
                items.append(Item(pattern: entry.pattern, cluster: rank(entry.cluster), count: w, sum: w * Double(entry.outcome)))
                if family == .negativeBinomial { histogramIn.append((entry.pattern, entry.outcome, w)) }
            }
        } else {
            guard data.items.isEmpty else {
                throw ModelFitError(.invalidDesign, "data hold both single observations and summaries")
            }
            items.reserveCapacity(data.summaries.count)
            for summary in data.summaries {
                guard summary.count >= 0, summary.outcomeSum >= 0, family != .logistic || summary.outcomeSum <= summary.count else {
                    throw ModelFitError(.invalidOutcome, family == .logistic ? "events must lie between 0 and the trials" : "counts must be 0 or more")
                }
                if clusterRobust && data.clusterCells == nil && summary.cluster < 0 {
                    withoutCluster += summary.count
                    continue
                }
                items.append(Item(pattern: summary.pattern, cluster: rank(summary.cluster), count: summary.count, sum: summary.outcomeSum))
            }
            if family == .negativeBinomial {
                for entry in data.histogram where !(clusterRobust && !entry.hasCluster) {
                    guard entry.outcome >= 0, entry.weight >= 0 else {
                        throw ModelFitError(.invalidOutcome, "a count outcome must be 0 or more")
                    }
                    histogramIn.append((entry.pattern, entry.outcome, entry.weight))
                }
            }
        }
        items.sort { a, b in a.pattern != b.pattern ? a.pattern < b.pattern : a.cluster < b.cluster }

        var patternLevels: [Int] = []
        var active: [Int32] = []
        var weight: [Double] = []
        var outcomeSum: [Double] = []
        var patternIndex: [UInt64: Int32] = [:]
        var cells: [(cluster: Int32, pattern: Int32, weight: Double, sum: Double)] = []
        var clusterCount = 0
        var seenCluster = Array(repeating: false, count: names.count)
        var levelWeight = factors.map { Array(repeating: 0.0, count: $0.levels.count) }
        var levelEvents = levelWeight
        var lastPattern: UInt64?
        var entries = 0
        var lastCell: (UInt64, Int32)?
        for item in items where item.count != 0 {
            if lastCell.map({ $0.0 != item.pattern || $0.1 != item.cluster }) ?? true { entries += 1 }
            lastCell = (item.pattern, item.cluster)
            if item.pattern != lastPattern {
                lastPattern = item.pattern
                let levels = data.levels(of: item.pattern)
                patternIndex[item.pattern] = Int32(weight.count)
                patternLevels += levels
                active.append(0)
                for (f, level) in levels.enumerated() { active.append(Int32(columnOf[f][level])) }
                weight.append(0)
                outcomeSum.append(0)
            }
            let p = weight.count - 1
            weight[p] += item.count
            outcomeSum[p] += item.sum
            for f in factors.indices {
                let level = patternLevels[p * factors.count + f]
                levelWeight[f][level] += item.count
                levelEvents[f][level] += item.sum
            }
            if clusterRobust && data.clusterCells == nil {
                let c = Int(item.cluster)
                if !seenCluster[c] {
                    seenCluster[c] = true
                    clusterCount += 1
                }
                if let last = cells.last, last.cluster == item.cluster, last.pattern == Int32(p) {
                    cells[cells.count - 1].weight += item.count
                    cells[cells.count - 1].sum += item.sum
                } else {
                    cells.append((item.cluster, Int32(p), item.count, item.sum))
                }
            }
        }
        var histogram: [(pattern: Int32, value: Int64, weight: Double)] = []
        histogram.reserveCapacity(histogramIn.count)
        for entry in histogramIn where entry.weight != 0 {
            guard let p = patternIndex[entry.pattern] else {
                throw ModelFitError(.invalidDesign, "the outcome histogram has a covariate pattern the counts do not")
            }
            histogram.append((p, entry.value, entry.weight))
        }

        let total = weight.reduce(0, +)
        guard total > 0 else {
            throw ModelFitError(
                .noObservations,
                clusterRobust && withoutCluster > 0
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
        let streamed = clusterRobust ? data.clusterCells : nil
        if let streamed {
            clusterCount = streamed.count
            entries = streamed.entries
        }
        if clusterRobust && clusterCount < 2 {
            throw ModelFitError(.singleCluster, "cluster-robust standard errors need at least two clusters; the data have \(clusterCount)")
        }

        // Cells sorted by (cluster, pattern); clusters renumbered 0..<G in name order.
        cells.sort { $0.cluster != $1.cluster ? $0.cluster < $1.cluster : $0.pattern < $1.pattern }
        var clusterNumber = Array(repeating: Int32(-1), count: names.count)
        var next: Int32 = 0
        for cell in cells where clusterNumber[Int(cell.cluster)] < 0 {
            clusterNumber[Int(cell.cluster)] = next
            next += 1
        }
        cellCluster = cells.map { clusterNumber[Int($0.cluster)] }
        cellPattern = cells.map(\.pattern)
        cellWeight = cells.map(\.weight)
        cellOutcomeSum = cells.map(\.sum)
        self.clusterCount = clusterRobust ? clusterCount : 0
        self.clusterCells = streamed
        self.patternIndex = patternIndex

        // Histograms per pattern, values ascending, equal values combined.
        histogram.sort { $0.pattern != $1.pattern ? $0.pattern < $1.pattern : $0.value < $1.value }
        var histogramStart = Array(repeating: 0, count: weight.count + 1)
        var histogramValue: [Double] = []
        var histogramWeight: [Double] = []
        var h = 0
        for p in 0..<weight.count {
            histogramStart[p] = histogramValue.count
            while h < histogram.count && histogram[h].pattern == Int32(p) {
                let value = histogram[h].value
                var w = 0.0
                while h < histogram.count && histogram[h].pattern == Int32(p) && histogram[h].value == value {
                    w += histogram[h].weight
                    h += 1
                }
                histogramValue.append(Double(value))
                histogramWeight.append(w)
            }
        }
        histogramStart[weight.count] = histogramValue.count
        if family == .negativeBinomial {
            for p in 0..<weight.count {
                var total = 0.0
                var sum = 0.0
                for h in histogramStart[p]..<histogramStart[p + 1] {
                    total += histogramWeight[h]
                    sum += histogramWeight[h] * histogramValue[h]
                }
                guard total == weight[p] && sum == outcomeSum[p] else {
                    throw ModelFitError(.invalidDesign, "the outcome histogram and the counts disagree for a covariate pattern")
                }
            }
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
        self.entries = entries
    }

    /// Calls `body` with every (cluster, pattern) cell, a cluster's cells together: from
    /// the cells held, or read again through ``clusterCells``; the pattern as an index
    /// into the design's patterns.
    func forEachClusterCell(_ body: (_ cluster: Int, _ pattern: Int, _ weight: Double, _ outcomeSum: Double) -> Void) {
        guard let clusterCells else {
            for i in cellCluster.indices { body(Int(cellCluster[i]), Int(cellPattern[i]), cellWeight[i], cellOutcomeSum[i]) }
            return
        }
        clusterCells.read { cluster, pattern, weight, outcomeSum in
            guard weight != 0 else { return }
            // safe: the cells add up to the data's summaries, so a pattern with observations is one of the design's
            body(cluster, Int(patternIndex[pattern]!), weight, outcomeSum)
        }
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
