import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline

/// How one declared model went: fitted (with its size) or not fitted and why.
public struct ModelRunSummary: Sendable, Codable, Equatable {
    public var name: String
    public var outcome: String
    public var family: String
    /// Whether the model was fitted (``Status``).
    public var status: Status
    /// The ``ModelFitError`` code and message when the model failed.
    public var errorCode: String?
    public var message: String?
    /// Referrals used, organisations (clusters), distinct covariate patterns, distinct
    /// (organisation, pattern, outcome) entries fitted from.
    public var observations: Int64
    public var clusters: Int
    public var patterns: Int
    public var entries: Int
    /// Referrals left out: an unknown covariate, an unknown outcome, no organisation
    /// while clustering.
    public var excludedUnknownCovariate: Int64
    public var excludedUnknownOutcome: Int64
    public var excludedNoOrganisation: Int64
    /// Standard errors: `cluster_robust_cr1` or `model`.
    public var standardErrors: String
    /// Wall time of the fit, seconds (not part of any table).
    public var fitSeconds: Double

    /// How a model went, as the manifest and the report say it.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case fitted
        /// The fit failed (``ModelRunSummary/errorCode`` says why).
        case failed
        /// A field it needs is not in the export: not attempted, not a warning (also its error code).
        case notRecorded = "not_recorded"
    }

    /// The status of a model left out because the export does not record its outcome
    /// or a covariate (``FieldRecording/missingField(of:)``).
    public static let notRecorded = Status.notRecorded
}

/// Fits the pipeline's models from ``ModelCounts`` and publishes `models.csv`.
///
/// Design note: for each model it walks the joint histogram once, maps every cell to
/// its covariate levels, outcome and cluster (or leaves it out, counted), keeps only
/// levels that occur (as R's `droplevels`; the reference must occur) and hands the
/// grouped data to ``GLM``. A model that cannot be fitted does not stop the run: its
/// reason goes into the returned summaries (and so the manifest and the report), and
/// `models.csv` has no rows for it.
public struct ModelTableBuilder: Sendable {
    public let settings: ModelSettings
    /// The key the model cells were projected from: covariate levels are read from it.
    public let groupKey: GroupKeySchema
    public let disclosure: DisclosureSettings
    /// The optional fields the export leaves out: a model needing one is not fitted
    /// (status ``ModelRunSummary/notRecorded``), and without any `organisation_id` the
    /// standard errors are model-based (there are no clusters to be robust to).
    public var recording = FieldRecording.complete

    public init(settings: ModelSettings, groupKey: GroupKeySchema, disclosure: DisclosureSettings) {
        self.settings = settings
        self.groupKey = groupKey
        self.disclosure = disclosure
    }

    public static let header = ModelColumn.header

    /// Writes the level of each grouping in a model cell into `levels` (one per grouping,
    /// in order; `levels` must have that many elements). Any number of covariates: a
    /// model reads its own covariates' levels from the cell as it walks the cells, so
    /// nothing per cell is kept for covariates it does not use.
    static func levels(of cell: UInt32, _ groupKey: GroupKeySchema, _ groupings: [Grouping], into levels: inout [Int]) {
        for i in groupings.indices { levels[i] = groupKey.level(groupings[i], of: UInt64(cell)) }
    }

    struct PreparedHistogramEntry {
        /// As ``ModelCell/cell``: covariate levels are read from it.
        var cell: UInt32
        var hasOrganisation: Bool
        var kind: ModelCounts.Kind
        var value: Int32
        var count: Int64
    }

    /// The table and one summary per declared model, in declaration order.
    public func build(_ counts: ModelCounts) -> (table: PublishedTable, summaries: [ModelRunSummary]) {
        // The cells are read where they are held (``ModelCounts/forEachCell(_:)``, in
        // organisation code order), once per model to sum them per covariate pattern and
        // once more for the cluster scores: nothing per cell is copied, so memory does not
        // grow with organisations × patterns.
        let histogram = counts.histogram.compactMap { key, count -> PreparedHistogramEntry? in
            guard count > 0 else { return nil }
            let parts = ModelCounts.histogramParts(key)
            return PreparedHistogramEntry(cell: parts.cell, hasOrganisation: parts.hasOrganisation, kind: parts.kind, value: parts.value, count: count)
        }
        // Models are independent: fit them side by side and publish in declaration order.
        // Clustering asked for is clustering done: with no organisation ids at all, every
        // referral is left out (as with some missing) and the models say why, rather than
        // quietly falling back to model-based standard errors.
        // An export with no organisation_id column is the exception: it cannot be
        // clustered at all, so its models are fitted with model-based standard errors
        // (`se_type` `model`), and the report and manifest say why.
        let clustered = settings.clusterByOrganisation && !recording.notRecorded.contains(.organisationID)
        let results = concurrentMap(count: settings.models.count) { index -> (rows: [[Cell]], summary: ModelRunSummary) in
            let model = settings.models[index]
            let started = DispatchTime.now().uptimeNanoseconds
            var summary = ModelRunSummary(
                name: model.name, outcome: model.outcome.rawValue, family: model.family.rawValue, status: .fitted, observations: 0,
                clusters: 0, patterns: 0, entries: 0, excludedUnknownCovariate: 0, excludedUnknownOutcome: 0, excludedNoOrganisation: 0,
                standardErrors: clustered ? "cluster_robust_cr1" : "model", fitSeconds: 0)
            var rows: [[Cell]] = []
            if let field = recording.missingField(of: model) {
                summary.status = ModelRunSummary.notRecorded
                summary.errorCode = ModelRunSummary.notRecorded.rawValue
                summary.message = "\(field.rawValue) \(recording.wording(field))"
                return ([], summary)
            }
            do {
                rows = try fit(model, counts: counts, histogram: histogram, clustered: clustered, summary: &summary)
            } catch let error as ModelFitError {
                summary.status = .failed
                summary.errorCode = error.code.rawValue
                summary.message = error.message
            } catch {
                summary.status = .failed
                summary.errorCode = "internal"
                summary.message = "\(error)"
            }
            summary.fitSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return (rows, summary)
        }
        return (PublishedTable(.models, rows: results.flatMap(\.rows)), results.map(\.summary))
    }

    /// A model's observations in one cell: how many have a known outcome and the sum
    /// of their outcomes (events, for a binary outcome).
    func outcome(_ outcome: ModelOutcome, _ cell: UInt32, _ sums: ModelCellSums) -> (count: Int64, sum: Int64) {
        switch outcome {
        case .routeNonMedical:
            switch RouteType(rawValue: UInt8(groupKey.level(.routeType, of: UInt64(cell)))) ?? .unknown {
            case .medical: return (sums.referrals, 0)
            case .nonMedical: return (sums.referrals, sums.referrals)
            case .unknown: return (0, 0)
            }
        case .contacted: return (sums.referrals, groupKey.level(.contacted, of: UInt64(cell)) == 1 ? sums.referrals : 0)
        case .anyIntervention: return (sums.interventionsKnown, sums.withIntervention)
        case .contacts: return (sums.contactsKnown, sums.contacts)
        case .interventions: return (sums.interventionsKnown, sums.interventions)
        }
    }

    private func fit(
        _ model: ModelDefinition, counts: ModelCounts, histogram: [PreparedHistogramEntry], clustered: Bool, summary: inout ModelRunSummary
    ) throws -> [[Cell]] {
        let covariates = model.covariates
        // The loader and ModelCellProjection refuse a covariate the key's model cell does
        // not keep; a builder given another key says so rather than read level 0.
        var groupings: [Grouping] = []
        for covariate in covariates {
            guard let grouping = groupKey.grouping(covariate), groupKey.modelCellKeeps(grouping) else {
                throw ModelFitError(.invalidDesign, groupKey.covariateProblem(covariate) ?? "covariate \(covariate.name) is not in the model cell")
            }
            groupings.append(grouping)
        }
        let allLevels = groupings.map(\.levels)
        let unknownLevel = groupings.map { $0.unknownLevel ?? -1 }
        let settings = settings, groupKey = groupKey, fixedGroupings = groupings
        /// The cell's covariate levels into `out`; false when one is unknown and unknown
        /// referrals are left out.
        @Sendable func covariateLevels(_ cell: UInt32, into out: inout [Int]) -> Bool {
            Self.levels(of: cell, groupKey, fixedGroupings, into: &out)
            return settings.unknownAsLevel || !out.indices.contains { out[$0] == unknownLevel[$0] }
        }
        /// The referrals of a cell with the outcome known: their number and outcome sum.
        let outcomeOf: @Sendable (UInt32, ModelCellSums) -> (count: Int64, sum: Int64) = { [self] cell, sums in
            outcome(model.outcome, cell, sums)
        }
        // Pass 1: which referrals are in, which levels occur among them, and their sums
        // per cell of the model's covariates (organisations added together).
        var perCell = FlatTable<UInt32, (count: Int64, sum: Int64)>(initial: (0, 0))
        var levelWeight = allLevels.map { Array(repeating: Int64(0), count: $0.count) }
        var levelEvents = levelWeight
        var levels = Array(repeating: 0, count: covariates.count)
        var clusters = 0
        /// Distinct (pattern, organisation) pairs: one organisation's patterns at a time.
        var entries = 0
        var organisationPatterns = Set<Int>()
        var lastOrganisation: ShortCode? = nil
        var used = false
        counts.forEachCell { key, sums in
            guard sums.referrals > 0 else { return }
            guard covariateLevels(key.cell, into: &levels) else {
                summary.excludedUnknownCovariate += sums.referrals
                return
            }
            let (count, sum) = outcomeOf(key.cell, sums)
            summary.excludedUnknownOutcome += sums.referrals - count
            if count == 0 { return }
            if clustered && !key.hasOrganisation {
                summary.excludedNoOrganisation += count
                return
            }
            for (c, level) in levels.enumerated() {
                levelWeight[c][level] += count
                levelEvents[c][level] += sum
            }
            if clustered {
                if key.organisation != lastOrganisation {
                    clusters += 1
                    entries += organisationPatterns.count
                    organisationPatterns.removeAll(keepingCapacity: true)
                    lastOrganisation = key.organisation
                }
                // The cell's pattern of the model's covariates (organisations hold many
                // cells of one pattern: other routes, contact flags, covariates of other models).
                var pattern = 0
                for (c, level) in levels.enumerated() { pattern = pattern * allLevels[c].count + level }
                organisationPatterns.insert(pattern)
            }
            used = true
            perCell.update(key.cell) { total in
                total.count += count
                total.sum += sum
            }
        }
        entries += organisationPatterns.count
        guard used else {
            if clustered && summary.excludedNoOrganisation > 0 {
                throw ModelFitError(
                    .noObservations,
                    "no referral with every covariate and the outcome known has an organisation id, and the pipeline clusters standard errors by organisation")
            }
            throw ModelFitError(.noObservations, "no referral has every covariate and the outcome known")
        }
        // Levels that occur, in published order; the reference must be one of them.
        var factors: [Factor] = []
        var remap: [[Int]] = []
        for (c, covariate) in covariates.enumerated() {
            let present = allLevels[c].indices.filter { levelWeight[c][$0] > 0 }
            // The grouping is in the key (checked above), so it has a default reference. A
            // covariate with one level in the data (an export from Wales alone: nation) is
            // constant: it has no terms to estimate, whatever its reference, so that level is
            // its reference and it adds no column (the model is fitted without it, rather
            // than failing on a reference level, England, no referral has).
            let configured = settings.references[covariate] ?? ModelSettings.defaultReference(covariate, groupKey: groupKey) ?? ""
            let reference = present.count == 1 ? allLevels[c][present[0]] : configured
            guard present.contains(where: { allLevels[c][$0] == reference }) else {
                throw ModelFitError(.emptyLevel, "reference level '\(reference)' of \(covariate.rawValue) has no referrals in this model's data")
            }
            factors.append(try Factor(name: covariate.rawValue, levels: present.map { allLevels[c][$0] }, reference: reference))
            var map = Array(repeating: -1, count: allLevels[c].count)
            for (i, level) in present.enumerated() { map[level] = i }
            remap.append(map)
        }
        var data = ModelData(factors: factors)
        // Per cell, in cell order (the sums are whole numbers: any order gives the same bits).
        for (cell, total) in perCell.sorted(by: { $0.key < $1.key }) {
            Self.levels(of: cell, groupKey, groupings, into: &levels)
            for c in levels.indices { levels[c] = remap[c][levels[c]] }
            data.add(levels: levels, clusterIndex: -1, count: Double(total.count), outcomeSum: Double(total.sum))
        }
        if clustered {
            // The model's pattern of each cell, once per distinct cell.
            var patterns: [UInt32: UInt64] = [:]
            for cell in perCell.keys {
                Self.levels(of: cell, groupKey, groupings, into: &levels)
                for c in levels.indices { levels[c] = remap[c][levels[c]] }
                patterns[cell] = data.pattern(levels: levels)
            }
            let patternOf = patterns
            let readCells: @Sendable ((_ cluster: Int, _ pattern: UInt64, _ count: Double, _ sum: Double) -> Void) -> Void = { body in
                var cluster = -1
                var organisation: ShortCode? = nil
                counts.forEachCell { key, sums in
                    // A cell has a pattern only if its covariates passed pass 1 (they are the cell's own).
                    guard sums.referrals > 0, key.hasOrganisation else { return }
                    let (count, sum) = outcomeOf(key.cell, sums)
                    guard count > 0, let pattern = patternOf[key.cell] else { return }
                    if key.organisation != organisation {
                        cluster += 1
                        organisation = key.organisation
                    }
                    body(cluster, pattern, Double(count), Double(sum))
                }
            }
            data.clusterCells = ModelData.ClusterCells(count: clusters, entries: entries, read: readCells)
        }
        if model.family == .negativeBinomial {
            let kind: ModelCounts.Kind = model.outcome == .contacts ? .contacts : .interventions
            for entry in histogram where entry.kind == kind && (entry.hasOrganisation || !clustered) {
                guard covariateLevels(entry.cell, into: &levels) else { continue }
                for c in levels.indices { levels[c] = remap[c][levels[c]] }
                data.addHistogram(levels: levels, outcome: Int64(entry.value), weight: Double(entry.count), hasCluster: entry.hasOrganisation)
            }
        }
        let fit = try GLM.fit(data, family: model.family == .logistic ? .logistic : .negativeBinomial, options: GLMOptions(clusterRobust: clustered))
        summary.observations = Int64(fit.observations)
        summary.clusters = fit.clusters
        summary.patterns = fit.patterns
        summary.entries = fit.entries

        // Rows.
        let logistic = model.family == .logistic
        let nObs = publishCount(Int64(fit.observations))
        let nClusters: Cell = clustered ? .count(Int64(fit.clusters)) : .empty
        let seType = Cell.text(clustered ? "cluster_robust_cr1" : "model")
        let control = Cell.disclosureControl(disclosure.enabled)
        let prefix: [Cell] = [.text(model.name), .text(model.outcome.rawValue), .text(model.family.rawValue)]
        func levelIsSmall(_ f: Int, _ level: Int) -> Bool {
            guard disclosure.enabled else { return false }
            // safe: `level` is a remapped level, and every remapped level is some original's
            let original = remap[f].firstIndex(of: level)!
            let n = levelWeight[f][original]
            let events = levelEvents[f][original]
            let limit = Int64(disclosure.suppressUpTo)
            if n <= limit { return true }
            return logistic && ((events > 0 && events <= limit) || (n - events > 0 && n - events <= limit))
        }
        /// A row with its estimate, standard error and interval (`nil`: suppressed, all
        /// empty), p-value, coefficient and model-based standard error (`nil`: empty).
        func row(
            _ identity: [Cell], measure: String, _ values: (estimate: Double, se: Double, low: Double, high: Double)?, p: Double?,
            coefficient: Double?, modelSE: Double?, seType: Cell = seType, suppressed: Bool = false
        ) -> [Cell] {
            let estimates: [Cell] =
                values.map { [Self.number($0.estimate), Self.number($0.se), Self.number($0.low), Self.number($0.high)] }
                ?? [.empty, .empty, .empty, .empty]
            return prefix + identity + estimates + [p.map(Self.pValue) ?? .empty, nObs, nClusters, .text(measure)]
                + [coefficient.map(Self.number) ?? .empty, modelSE.map(Self.number) ?? .empty, seType, .flag(suppressed), control]
        }
        func ratioRow(term: String, level: String, reference: String, measure: String, index i: Int, suppressed: Bool) -> [Cell] {
            let b = fit.coefficients[i]
            let se = fit.standardError(i)
            let identity: [Cell] = [.text(term), .text(level), .text(reference)]
            if suppressed { return row(identity, measure: measure, nil, p: nil, coefficient: nil, modelSE: nil, suppressed: true) }
            return row(
                identity, measure: measure,
                (exp(b), se, exp(b - SpecialFunctions.z975 * se), exp(b + SpecialFunctions.z975 * se)),
                p: SpecialFunctions.twoSidedNormalP(b / se), coefficient: b, modelSE: fit.modelStandardError(i))
        }

        var rows: [[Cell]] = []
        let referenceSmall = factors.indices.contains { levelIsSmall($0, factors[$0].reference) }
        rows.append(
            ratioRow(term: "(Intercept)", level: "", reference: "", measure: logistic ? "baseline_odds" : "baseline_rate", index: 0, suppressed: referenceSmall)
        )
        for (i, column) in fit.columns.enumerated() {
            guard let f = column.factor else { continue }
            let factor = factors[f]
            rows.append(
                ratioRow(
                    term: factor.name, level: factor.levels[column.level], reference: factor.levels[factor.reference],
                    measure: logistic ? "odds_ratio" : "rate_ratio", index: i, suppressed: levelIsSmall(f, column.level)))
        }
        if let theta = fit.theta, let thetaSE = fit.thetaStandardError {
            // θ (MASS::glm.nb) and α = 1/θ (Stata nbreg), Wald intervals on the log scale.
            let low = exp(log(theta) - SpecialFunctions.z975 * thetaSE / theta)
            let high = exp(log(theta) + SpecialFunctions.z975 * thetaSE / theta)
            let alphaSE = thetaSE / (theta * theta)
            rows.append(
                row(
                    [.text(ModelFamilyName.dispersionTerms.theta), .text(""), .text("")], measure: "dispersion", (theta, thetaSE, low, high), p: nil,
                    coefficient: nil, modelSE: thetaSE,
                    seType: .text("model")))
            rows.append(
                row(
                    [.text(ModelFamilyName.dispersionTerms.alpha), .text(""), .text("")], measure: "dispersion", (1 / theta, alphaSE, 1 / high, 1 / low),
                    p: nil, coefficient: nil,
                    modelSE: alphaSE, seType: .text("model")))
        }
        for effect in fit.averageMarginalEffects() {
            let factor = factors[effect.factor]
            let identity: [Cell] = [.text(factor.name), .text(factor.levels[effect.level]), .text(factor.levels[factor.reference])]
            if levelIsSmall(effect.factor, effect.level) {
                rows.append(row(identity, measure: "ame_pp", nil, p: nil, coefficient: nil, modelSE: nil, suppressed: true))
                continue
            }
            let estimate = 100 * effect.estimate
            let se = 100 * effect.standardError
            rows.append(
                row(
                    identity, measure: "ame_pp",
                    (estimate, se, estimate - SpecialFunctions.z975 * se, estimate + SpecialFunctions.z975 * se),
                    p: SpecialFunctions.twoSidedNormalP(estimate / se), coefficient: nil, modelSE: 100 * effect.modelStandardError))
        }
        return rows
    }

    private func publishCount(_ n: Int64) -> Cell {
        .count(DisclosureControl.publish(n, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo))
    }

    /// Estimates: 8 significant digits (more than R or Stata print), `.` as the point.
    static func number(_ value: Double) -> Cell { .significant(value, digits: 8) }

    /// p-values: 4 significant digits; below 1e-300 printed as 0.
    static func pValue(_ value: Double) -> Cell { .significant(value < 1e-300 ? 0 : value, digits: 4) }
}
