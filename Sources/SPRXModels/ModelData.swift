/// A categorical covariate with treatment coding: one indicator column per level,
/// except the reference level, which is the intercept's.
public struct Factor: Sendable, Hashable {
    /// The covariate's name (`age_band`, `route_type`).
    public var name: String
    /// Every level, in the order they are published.
    public var levels: [String]
    /// Index of the reference level in ``levels``.
    public var reference: Int

    /// A factor whose reference is named; fails if `reference` is not one of `levels`
    /// or a level is listed twice.
    public init(name: String, levels: [String], reference: String) throws {
        guard let index = levels.firstIndex(of: reference) else {
            throw ModelFitError(.unknownReference, "reference level '\(reference)' of \(name) is not one of its levels")
        }
        guard Set(levels).count == levels.count else {
            throw ModelFitError(.invalidDesign, "\(name) lists a level twice")
        }
        self.name = name
        self.levels = levels
        self.reference = index
    }

    /// Levels that get an indicator column (all but the reference), in order.
    public var indicatorLevels: [Int] { levels.indices.filter { $0 != reference } }
}

/// Observations for a generalised linear model, held grouped rather than as rows.
///
/// Design note: every observation is one of a small number of covariate patterns
/// (one level per factor), in one cluster, with one outcome value. Holding the weight
/// of each (pattern, cluster, outcome) is exact: the likelihood, its derivatives and
/// the cluster scores are sums over observations that share those three things. So
/// the data are as large as the number of distinct patterns and clusters, never the
/// number of rows, and ``merge(_:)`` of two chunks' data is the data of both. Additions
/// are appended; the fit combines equal keys by sorting (no hashing).
public struct ModelData: Sendable {
    /// The covariates, in design-matrix order.
    public let factors: [Factor]
    /// Cluster names seen so far; entries refer to them by index.
    public private(set) var clusterNames: [String] = []
    private var clusterIndex: [String: Int32] = [:]
    /// (pattern, cluster, outcome) and weight, in the order added (equal keys are
    /// combined when fitted).
    private(set) var items: [(entry: Entry, weight: Double)] = []
    /// The summarised form: per (pattern, cluster), observations and their outcome sum.
    private(set) var summaries: [Summary] = []
    /// With summaries, for negative binomial models: the outcome's histogram per pattern.
    private(set) var histogram: [HistogramEntry] = []
    /// With summaries per pattern (cluster -1) of observations that all have a cluster:
    /// their (cluster, pattern) cells, read only for the cluster-robust meat.
    public var clusterCells: ClusterCells? = nil

    /// The (cluster, pattern) cells of data summarised per pattern, read again when the
    /// cluster-robust meat needs them rather than held: there may be one per referral.
    ///
    /// `read` calls its body with every cell (a cluster number, a pattern as
    /// ``pattern(levels:)`` packs it, observations and their outcome sum), a cluster's
    /// cells one after another, clusters in a fixed order; the cells must add up to the
    /// data's summaries.
    public struct ClusterCells: Sendable {
        /// Clusters with observations.
        public var count: Int
        /// Distinct (pattern, cluster) cells.
        public var entries: Int
        /// Calls its argument with every cell, as described above.
        public var read: @Sendable ((_ cluster: Int, _ pattern: UInt64, _ count: Double, _ outcomeSum: Double) -> Void) -> Void

        public init(
            count: Int, entries: Int,
            read: @escaping @Sendable ((_ cluster: Int, _ pattern: UInt64, _ count: Double, _ outcomeSum: Double) -> Void) -> Void
        ) {
            self.count = count
            self.entries = entries
            self.read = read
        }
    }

    /// Observations of one (pattern, cluster) summarised by their number and outcome sum:
    /// all a logistic fit, and the β part of a negative binomial fit, need.
    public struct Summary: Sendable, Hashable {
        public var pattern: UInt64
        public var cluster: Int32
        public var count: Double
        public var outcomeSum: Double
    }

    /// How many observations of a pattern have one outcome value (for θ).
    public struct HistogramEntry: Sendable, Hashable {
        public var pattern: UInt64
        public var outcome: Int64
        public var weight: Double
        /// Whether these observations have a cluster (a clustered fit leaves out those that do not).
        public var hasCluster: Bool
    }

    /// One distinct kind of observation.
    public struct Entry: Hashable, Sendable {
        /// The covariate pattern: level indices packed in mixed radix (first factor lowest).
        public var pattern: UInt64
        /// Index into ``ModelData/clusterNames``, or -1 for an observation without a cluster.
        public var cluster: Int32
        /// The outcome: 0/1 for logistic models, a count for negative binomial ones.
        public var outcome: Int64
    }

    public init(factors: [Factor]) {
        self.factors = factors
    }

    /// Data whose clusters are known up front, to be added by index with
    /// ``add(levels:clusterIndex:outcome:weight:)``. The names must be distinct. The
    /// name-to-index table is built only if names are later added by name (there may be
    /// millions of clusters, and several models hold their data at once).
    public init(factors: [Factor], clusterNames: [String]) {
        self.factors = factors
        self.clusterNames = clusterNames
    }

    /// Number of distinct (pattern, cluster, outcome) entries (or, for summaries,
    /// (pattern, cluster) cells) with a non-zero weight.
    public var entryCount: Int {
        if !summaries.isEmpty {
            var weights: [UInt64: [Int32: Double]] = [:]
            for summary in summaries { weights[summary.pattern, default: [:]][summary.cluster, default: 0] += summary.count }
            return weights.values.reduce(0) { $0 + $1.values.filter { $0 != 0 }.count }
        }
        var weights: [Entry: Double] = [:]
        for (entry, weight) in items { weights[entry, default: 0] += weight }
        return weights.values.filter { $0 != 0 }.count
    }

    /// Adds `weight` observations with the given level of each factor (indices into
    /// each factor's levels), cluster index (into ``clusterNames``, -1: none) and outcome.
    public mutating func add(levels: [Int], clusterIndex clusterID: Int32, outcome: Int64, weight: Double = 1) {
        precondition(clusterID >= -1 && Int(clusterID) < clusterNames.count, "cluster index out of range")
        items.append((Entry(pattern: pack(levels), cluster: clusterID, outcome: outcome), weight))
    }

    /// The packed pattern of one level index per factor (as ``ClusterCells`` names patterns).
    public func pattern(levels: [Int]) -> UInt64 { pack(levels) }

    private func pack(_ levels: [Int]) -> UInt64 {
        precondition(levels.count == factors.count, "one level per factor")
        var pattern: UInt64 = 0
        var radix: UInt64 = 1
        for (factor, level) in zip(factors, levels) {
            precondition(level >= 0 && level < factor.levels.count, "level index out of range")
            pattern += UInt64(level) * radix
            radix *= UInt64(factor.levels.count)
        }
        return pattern
    }

    /// Adds `count` observations of one pattern and cluster (index, -1: none) whose
    /// outcomes sum to `outcomeSum` (events, for a logistic model). Data are either all
    /// single observations or all summaries; a negative binomial fit from summaries also
    /// needs ``addHistogram(levels:outcome:weight:hasCluster:)``.
    public mutating func add(levels: [Int], clusterIndex clusterID: Int32, count: Double, outcomeSum: Double) {
        precondition(clusterID >= -1 && Int(clusterID) < clusterNames.count, "cluster index out of range")
        summaries.append(Summary(pattern: pack(levels), cluster: clusterID, count: count, outcomeSum: outcomeSum))
    }

    /// Adds `weight` observations of a pattern with outcome value `outcome`, for the
    /// negative binomial dispersion when the data are summaries.
    public mutating func addHistogram(levels: [Int], outcome: Int64, weight: Double, hasCluster: Bool) {
        histogram.append(HistogramEntry(pattern: pack(levels), outcome: outcome, weight: weight, hasCluster: hasCluster))
    }

    /// Adds `weight` observations with the given level of each factor (indices into
    /// each factor's levels), cluster (`nil`: none) and outcome.
    public mutating func add(levels: [Int], cluster: String?, outcome: Int64, weight: Double = 1) {
        let pattern = pack(levels)
        let clusterID = intern(cluster)
        items.append((Entry(pattern: pattern, cluster: clusterID, outcome: outcome), weight))
    }

    /// The index of a cluster name, added if new; -1 for none.
    private mutating func intern(_ cluster: String?) -> Int32 {
        guard let cluster else { return -1 }
        if clusterIndex.count < clusterNames.count {
            for (i, name) in clusterNames.enumerated() where clusterIndex[name] == nil { clusterIndex[name] = Int32(i) }
        }
        if let known = clusterIndex[cluster] { return known }
        let id = Int32(clusterNames.count)
        clusterIndex[cluster] = id
        clusterNames.append(cluster)
        return id
    }

    /// Adds another chunk's observations (same factors) to these.
    public mutating func merge(_ other: ModelData) {
        precondition(other.factors == factors, "merging data for different factors")
        // Cells read again from where they are held cannot be merged here.
        precondition(clusterCells == nil && other.clusterCells == nil, "merging data whose cells are read through ClusterCells")
        for summary in other.summaries {
            var copy = summary
            copy.cluster = intern(summary.cluster < 0 ? nil : other.clusterNames[Int(summary.cluster)])
            summaries.append(copy)
        }
        histogram += other.histogram
        for (entry, weight) in other.items {
            var levels: [Int] = []
            var rest = entry.pattern
            for factor in factors {
                levels.append(Int(rest % UInt64(factor.levels.count)))
                rest /= UInt64(factor.levels.count)
            }
            add(levels: levels, cluster: entry.cluster < 0 ? nil : other.clusterNames[Int(entry.cluster)], outcome: entry.outcome, weight: weight)
        }
    }

    /// The level index of each factor in a packed pattern.
    public func levels(of pattern: UInt64) -> [Int] {
        var levels: [Int] = []
        var rest = pattern
        for factor in factors {
            levels.append(Int(rest % UInt64(factor.levels.count)))
            rest /= UInt64(factor.levels.count)
        }
        return levels
    }
}

/// Why a model could not be fitted.
public struct ModelFitError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable category of failure.
    public enum Code: String, Sendable {
        /// There are no observations to fit.
        case noObservations = "no_observations"
        /// A declared level has no observations.
        case emptyLevel = "empty_level"
        /// A named reference level is not a level of its factor.
        case unknownReference = "unknown_reference"
        /// Factors or levels are malformed.
        case invalidDesign = "invalid_design"
        /// An outcome value is impossible for the family (not 0/1, negative).
        case invalidOutcome = "invalid_outcome"
        /// Some indicator columns are linear combinations of others.
        case collinear
        /// (Quasi-)complete separation: the logistic likelihood has no finite maximum.
        case separation
        /// The iterations did not converge.
        case nonConvergence = "non_convergence"
        /// Cluster-robust errors need at least two clusters.
        case singleCluster = "single_cluster"
        /// The negative binomial dispersion has no finite estimate (no overdispersion).
        case dispersion
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
