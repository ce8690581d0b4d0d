import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXModels

private let fixtures = URL(fileURLWithPath: packageRoot).appendingPathComponent("Tests/SPRXModelsTests/Fixtures")

/// The committed fixture (Fixtures/make_fixture.py): 2,400 rows, 40 clusters.
private struct FixtureRow {
    var cluster: String
    var group: String
    var sex: String
    var band: String
    var y: Int64
    var count: Int64
}

private func fixtureRows() throws -> [FixtureRow] {
    let table = try CSVTable(path: fixtures.appendingPathComponent("glm_fixture.csv").path)
    return table.rows.map { f in
        return FixtureRow(cluster: f[1], group: f[2], sex: f[3], band: f[4], y: Int64(f[5])!, count: Int64(f[6])!)
    }
}

/// group (reference B, not the first level), sex (reference F), band (reference middle).
private func fixtureFactors() throws -> [Factor] {
    [
        try Factor(name: "group", levels: ["A", "B", "C", "D"], reference: "B"),
        try Factor(name: "sex", levels: ["F", "M"], reference: "F"),
        try Factor(name: "band", levels: ["young", "middle", "old"], reference: "middle"),
    ]
}

private func modelData(_ rows: [FixtureRow], outcome: (FixtureRow) -> Int64) throws -> ModelData {
    let factors = try fixtureFactors()
    var data = ModelData(factors: factors)
    for row in rows {
        let levels = [
            factors[0].levels.firstIndex(of: row.group)!, factors[1].levels.firstIndex(of: row.sex)!,
            factors[2].levels.firstIndex(of: row.band)!,
        ]
        data.add(levels: levels, cluster: row.cluster, outcome: outcome(row))
    }
    return data
}

/// The same rows as ``modelData(_:outcome:)`` held the way the models hold a run's
/// counts: summaries per covariate pattern (and, for counts, a histogram per pattern),
/// with the (cluster, pattern) cells read again through ``ModelData/ClusterCells`` for
/// the cluster-robust meat: one cell per row, clusters in name order.
private func streamedModelData(_ rows: [FixtureRow], outcome: (FixtureRow) -> Int64) throws -> ModelData {
    let factors = try fixtureFactors()
    var data = ModelData(factors: factors)
    func levels(_ row: FixtureRow) -> [Int] {
        [factors[0].levels.firstIndex(of: row.group)!, factors[1].levels.firstIndex(of: row.sex)!, factors[2].levels.firstIndex(of: row.band)!]
    }
    var perPattern: [[Int]: (count: Double, sum: Double)] = [:]
    var histogram: [[Int]: [Int64: Double]] = [:]
    for row in rows {
        perPattern[levels(row), default: (0, 0)].count += 1
        perPattern[levels(row), default: (0, 0)].sum += Double(outcome(row))
        histogram[levels(row), default: [:]][outcome(row), default: 0] += 1
    }
    for (pattern, sums) in perPattern { data.add(levels: pattern, clusterIndex: -1, count: sums.count, outcomeSum: sums.sum) }
    for (pattern, values) in histogram {
        for (value, weight) in values { data.addHistogram(levels: pattern, outcome: value, weight: weight, hasCluster: true) }
    }
    let names = Set(rows.map(\.cluster)).sorted()
    let cells = rows.sorted { $0.cluster < $1.cluster }.map { row in
        (names.firstIndex(of: row.cluster)!, data.pattern(levels: levels(row)), Double(outcome(row)))
    }
    data.clusterCells = ModelData.ClusterCells(count: names.count, entries: cells.count) { body in
        for cell in cells { body(cell.0, cell.1, 1, cell.2) }
    }
    return data
}

/// Expected values computed by Fixtures/expected.R with R 4.2.2 (`glm`), MASS 7.3.58.2
/// (`glm.nb`) and sandwich 3.0.2 (`vcovCL(type = "HC1")`): Fixtures/expected_r.csv.
private struct RExpected {
    var values: [String: Double] = [:]

    init() throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("expected_r.csv"), encoding: .utf8)
        for f in CSVTable.records(text) where !f[0].hasPrefix("#") && f[0] != "model" {
            values["\(f[0])|\(f[1])|\(f[2])"] = Double(f[3])!
        }
    }

    func callAsFunction(_ model: String, _ quantity: String, _ term: String = "") -> Double {
        guard let value = values["\(model)|\(quantity)|\(term)"] else { fatalError("no expected \(model) \(quantity) \(term)") }
        return value
    }
}

/// R's name for a design column: factor name + level, or "(Intercept)".
private func rName(_ fit: GLMFit, _ i: Int) -> String {
    guard let f = fit.columns[i].factor else { return "(Intercept)" }
    return fit.factors[f].name + fit.factors[f].levels[fit.columns[i].level]
}

private func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

@Suite(.timeLimit(.minutes(10))) struct GLMAgainstRTests {
    @Test func logisticMatchesR() throws {
        let r = try RExpected()
        let fit = try GLM.fit(modelData(fixtureRows()) { $0.y }, family: .logistic)
        #expect(fit.observations == r("logistic", "n_obs"))
        #expect(fit.clusters == 40)
        #expect(fit.columns.count == 7)
        for i in fit.columns.indices {
            let name = rName(fit, i)
            // Odds ratios to 1e-6 relative; standard errors to 1e-4 relative (the issue's bar).
            #expect(relative(exp(fit.coefficients[i]), exp(r("logistic", "coef", name))) < 1e-6, "\(name)")
            #expect(relative(fit.modelStandardError(i), r("logistic", "se_model", name)) < 1e-4, "\(name)")
            #expect(relative(fit.standardError(i), r("logistic", "se_cr1", name)) < 1e-4, "\(name)")
            // Same optimum, so in fact far closer than the bar.
            #expect(abs(fit.coefficients[i] - r("logistic", "coef", name)) < 1e-9, "\(name)")
        }
        #expect(abs(fit.logLikelihood - r("logistic", "loglik")) < 1e-8)
    }

    /// Summaries per pattern with the cells read again for the meat (the models' path
    /// for a run's counts) give R's cluster-robust errors too, for both families.
    @Test func streamedClusterCellsMatchR() throws {
        let r = try RExpected()
        let rows = try fixtureRows()
        for (family, name) in [(GLMFamily.logistic, "logistic"), (.negativeBinomial, "negative_binomial")] {
            let fit = try GLM.fit(streamedModelData(rows) { family == .logistic ? $0.y : $0.count }, family: family)
            #expect(fit.clusters == 40)
            for i in fit.columns.indices {
                let term = rName(fit, i)
                #expect(relative(exp(fit.coefficients[i]), exp(r(name, "coef", term))) < 1e-6, "\(name) \(term)")
                #expect(relative(fit.standardError(i), r(name, "se_cr1", term)) < 1e-4, "\(name) \(term)")
            }
        }
    }

    @Test func averageMarginalEffectsMatchR() throws {
        let r = try RExpected()
        let fit = try GLM.fit(modelData(fixtureRows()) { $0.y }, family: .logistic)
        let effects = fit.averageMarginalEffects()
        #expect(effects.count == 6)
        for effect in effects {
            let name = fit.factors[effect.factor].name + fit.factors[effect.factor].levels[effect.level]
            #expect(abs(effect.estimate - r("logistic", "ame", name)) < 1e-9, "\(name)")
            #expect(relative(effect.standardError, r("logistic", "ame_se_cr1", name)) < 1e-4, "\(name)")
            #expect(relative(effect.modelStandardError, r("logistic", "ame_se_model", name)) < 1e-4, "\(name)")
        }
    }

    @Test func negativeBinomialMatchesR() throws {
        let r = try RExpected()
        let fit = try GLM.fit(modelData(fixtureRows()) { $0.count }, family: .negativeBinomial)
        for i in fit.columns.indices {
            let name = rName(fit, i)
            // Incidence rate ratios to 1e-6 relative, standard errors to 1e-4 relative.
            #expect(relative(exp(fit.coefficients[i]), exp(r("negative_binomial", "coef", name))) < 1e-6, "\(name)")
            #expect(relative(fit.modelStandardError(i), r("negative_binomial", "se_model", name)) < 1e-4, "\(name)")
            #expect(relative(fit.standardError(i), r("negative_binomial", "se_cr1", name)) < 1e-4, "\(name)")
        }
        let theta = try #require(fit.theta)
        let thetaSE = try #require(fit.thetaStandardError)
        #expect(relative(theta, r("negative_binomial", "theta")) < 1e-6)
        #expect(relative(thetaSE, r("negative_binomial", "theta_se")) < 1e-4)
        #expect(abs(fit.logLikelihood - r("negative_binomial", "loglik")) < 1e-6)
    }
}

@Suite(.timeLimit(.minutes(10))) struct GLMGroupingTests {
    /// Fitting from chunks merged, in any order, is the fit from all rows at once:
    /// integer weights add exactly and the design sorts entries, so bit for bit.
    @Test func chunksMergeToTheSameFit() throws {
        let rows = try fixtureRows()
        let whole = try GLM.fit(modelData(rows) { $0.count }, family: .negativeBinomial)
        var merged = ModelData(factors: try fixtureFactors())
        let chunkSize = 347
        for start in stride(from: 0, to: rows.count, by: chunkSize).reversed() {
            merged.merge(try modelData(Array(rows[start..<min(rows.count, start + chunkSize)])) { $0.count })
        }
        let fit = try GLM.fit(merged, family: .negativeBinomial)
        #expect(fit.coefficients == whole.coefficients)
        #expect(fit.clusterCovariance == whole.clusterCovariance)
        #expect(fit.theta == whole.theta)
        // Far fewer distinct entries than rows.
        #expect(merged.entryCount < rows.count)
        #expect(fit.patterns == 24)
    }

    @Test func observationsWithoutClusterAreLeftOutWhenClustering() throws {
        let rows = try fixtureRows()
        var data = try modelData(rows) { $0.y }
        // 30 more rows without a cluster: left out of a clustered fit, and counted.
        for i in 0..<30 { data.add(levels: [i % 4, i % 2, i % 3], cluster: nil, outcome: Int64(i % 2)) }
        let fit = try GLM.fit(data, family: .logistic)
        let reference = try GLM.fit(modelData(rows) { $0.y }, family: .logistic)
        #expect(fit.withoutCluster == 30)
        #expect(fit.observations == 2400)
        #expect(fit.coefficients == reference.coefficients)
        // Without clustering they are used, and there is no cluster covariance.
        let unclustered = try GLM.fit(data, family: .logistic, options: GLMOptions(clusterRobust: false))
        #expect(unclustered.observations == 2430)
        #expect(unclustered.clusterCovariance == nil)
        #expect(unclustered.smallSampleFactor == nil)
    }

    /// Hand calculation: one binary factor, no clusters. The MLE reproduces the
    /// observed proportions: reference 30/100 → log(30/70); level 60/100 → OR (60/40)/(30/70) = 3.5.
    /// Model SE of the log OR = sqrt(1/30 + 1/70 + 1/60 + 1/40) (Woolf).
    @Test func twoByTwoTableByHand() throws {
        var data = ModelData(factors: [try Factor(name: "x", levels: ["no", "yes"], reference: "no")])
        data.add(levels: [0], cluster: nil, outcome: 1, weight: 30)
        data.add(levels: [0], cluster: nil, outcome: 0, weight: 70)
        data.add(levels: [1], cluster: nil, outcome: 1, weight: 60)
        data.add(levels: [1], cluster: nil, outcome: 0, weight: 40)
        let fit = try GLM.fit(data, family: .logistic, options: GLMOptions(clusterRobust: false))
        #expect(abs(fit.coefficients[0] - log(30.0 / 70)) < 1e-12)
        #expect(abs(exp(fit.coefficients[1]) - 3.5) < 1e-12)
        #expect(abs(fit.modelStandardError(1) - (1.0 / 30 + 1.0 / 70 + 1.0 / 60 + 1.0 / 40).squareRoot()) < 1e-12)
        // AME = 0.6 − 0.3 exactly (the model is saturated).
        #expect(abs(fit.averageMarginalEffects()[0].estimate - 0.3) < 1e-12)
    }
}

@Suite(.timeLimit(.minutes(10))) struct GLMErrorTests {
    private func twoFactorData(_ cells: [(x: Int, z: Int, y: Int64, w: Double)], clusters: Int = 4) throws -> ModelData {
        var data = ModelData(factors: [
            try Factor(name: "x", levels: ["0", "1"], reference: "0"), try Factor(name: "z", levels: ["0", "1"], reference: "0"),
        ])
        for (i, cell) in cells.enumerated() {
            for c in 0..<clusters {
                data.add(levels: [cell.x, cell.z], cluster: "C\((i + c) % clusters)", outcome: cell.y, weight: cell.w)
            }
        }
        return data
    }

    @Test func levelWithOneOutcomeIsSeparation() throws {
        let data = try twoFactorData([(0, 0, 0, 5), (0, 0, 1, 5), (1, 0, 1, 5), (0, 1, 0, 3), (0, 1, 1, 4), (1, 1, 1, 2)])
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .separation)
        #expect(error?.message.contains("x = 1") == true)
    }

    /// y = 1 exactly when x = 1 and z = 1: each level alone has both outcomes, but
    /// β_x = β_z → ∞ separates the data. Only the diverging fit can tell.
    @Test func jointSeparationIsDetected() throws {
        let data = try twoFactorData([(0, 0, 0, 10), (1, 0, 0, 10), (0, 1, 0, 10), (1, 1, 1, 10)])
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .separation)
    }

    @Test func nonConvergence() throws {
        let rows = try fixtureRows()
        let error = #expect(throws: ModelFitError.self) {
            try GLM.fit(modelData(rows) { $0.y }, family: .logistic, options: GLMOptions(maxIterations: 1))
        }
        #expect(error?.code == .nonConvergence)
    }

    @Test func levelWithoutObservations() throws {
        var data = ModelData(factors: [try Factor(name: "nation", levels: ["England", "Wales", "Scotland"], reference: "England")])
        for (level, y) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            data.add(levels: [level], cluster: "A", outcome: Int64(y), weight: 4)
            data.add(levels: [level], cluster: "B", outcome: Int64(y), weight: 3)
        }
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .emptyLevel)
        #expect(error?.message == "level 'Scotland' of nation has no observations")
    }

    @Test func singleCluster() throws {
        let data = try twoFactorData([(0, 0, 0, 5), (0, 0, 1, 5), (1, 0, 1, 5), (1, 0, 0, 5), (0, 1, 0, 3), (0, 1, 1, 4)], clusters: 1)
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .singleCluster)
        // Model-based errors need no clusters.
        #expect(throws: Never.self) { try GLM.fit(data, family: .logistic, options: GLMOptions(clusterRobust: false)) }
    }

    @Test func collinearFactors() throws {
        // z is always equal to x.
        let data = try twoFactorData([(0, 0, 0, 5), (0, 0, 1, 5), (1, 1, 1, 5), (1, 1, 0, 5)])
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .collinear)
        #expect(error?.message.hasPrefix("z = 1") == true)
    }

    @Test func underdispersedCountsHaveNoDispersion() throws {
        // Every count 2 or 3: variance far below the mean, θ → ∞.
        let data = try twoFactorData([(0, 0, 2, 5), (0, 0, 3, 5), (1, 0, 2, 5), (1, 0, 3, 4), (0, 1, 3, 6), (0, 1, 2, 5), (1, 1, 2, 3), (1, 1, 3, 3)])
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .negativeBinomial) }
        #expect(error?.code == .dispersion)
    }

    @Test func invalidOutcomeAndReference() throws {
        let data = try twoFactorData([(0, 0, 2, 5), (1, 1, 0, 5)])
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .logistic) }
        #expect(error?.code == .invalidOutcome)
        let reference = #expect(throws: ModelFitError.self) { try Factor(name: "sex", levels: ["Female", "Male"], reference: "female") }
        #expect(reference?.code == .unknownReference)
    }
}

@Suite(.timeLimit(.minutes(10))) struct SpecialFunctionTests {
    // Closed forms: ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(n+1) = ψ(n) + 1/n,
    // ψ′(1) = π²/6, ψ′(1/2) = π²/2, ψ′(n+1) = ψ′(n) − 1/n².
    static let euler = 0.57721566490153286061

    @Test func digammaClosedForms() {
        #expect(abs(SpecialFunctions.digamma(1) + Self.euler) < 1e-14)
        #expect(abs(SpecialFunctions.digamma(0.5) + Self.euler + 2 * log(2.0)) < 1e-14)
        var harmonic = 0.0
        for n in 1..<40 { harmonic += 1 / Double(n) }
        #expect(abs(SpecialFunctions.digamma(40) - (harmonic - Self.euler)) < 1e-13)
    }

    @Test func trigammaClosedForms() {
        #expect(abs(SpecialFunctions.trigamma(1) - Double.pi * Double.pi / 6) < 1e-14)
        #expect(abs(SpecialFunctions.trigamma(0.5) - Double.pi * Double.pi / 2) < 1e-13)
        var sum = 0.0
        for n in 1..<40 { sum += 1 / Double(n * n) }
        #expect(abs(SpecialFunctions.trigamma(40) - (Double.pi * Double.pi / 6 - sum)) < 1e-14)
    }

    @Test func normalTailProbability() {
        // R: 2 * pnorm(-1.959963984540054) = 0.05; 2 * pnorm(-3) = 0.0026997960632601866
        #expect(abs(SpecialFunctions.twoSidedNormalP(SpecialFunctions.z975) - 0.05) < 1e-15)
        #expect(abs(SpecialFunctions.twoSidedNormalP(-3) - 0.0026997960632601866) < 1e-17)
    }
}

@Suite(.timeLimit(.minutes(10))) struct GLMSummaryTests {
    /// The same rows given as (pattern, cluster) counts and outcome sums, plus the
    /// outcome histogram per pattern, give the same fit bit for bit: the sums are of
    /// whole numbers, so exact in any grouping.
    @Test(arguments: [GLMFamily.logistic, .negativeBinomial])
    func summariesGiveTheSameFitAsRows(family: GLMFamily) throws {
        let rows = try fixtureRows()
        let outcome: (FixtureRow) -> Int64 = family == .logistic ? { $0.y } : { $0.count }
        let fromRows = try GLM.fit(modelData(rows, outcome: outcome), family: family)
        let factors = try fixtureFactors()
        var cells: [[Int]: (count: Double, sum: Double)] = [:]
        var histogram: [[Int]: Double] = [:]
        var clusters: [String] = []
        for row in rows {
            if !clusters.contains(row.cluster) { clusters.append(row.cluster) }
            let levels = [
                factors[0].levels.firstIndex(of: row.group)!, factors[1].levels.firstIndex(of: row.sex)!,
                factors[2].levels.firstIndex(of: row.band)!,
            ]
            let key = levels + [clusters.firstIndex(of: row.cluster)!]
            let y = outcome(row)
            cells[key, default: (0, 0)].count += 1
            cells[key, default: (0, 0)].sum += Double(y)
            histogram[levels + [Int(y)], default: 0] += 1
        }
        var data = ModelData(factors: factors, clusterNames: clusters)
        for (key, value) in cells { data.add(levels: Array(key.prefix(3)), clusterIndex: Int32(key[3]), count: value.count, outcomeSum: value.sum) }
        for (key, weight) in histogram { data.addHistogram(levels: Array(key.prefix(3)), outcome: Int64(key[3]), weight: weight, hasCluster: true) }
        let fromSummaries = try GLM.fit(data, family: family)
        #expect(fromSummaries.coefficients == fromRows.coefficients)
        #expect(fromSummaries.clusterCovariance == fromRows.clusterCovariance)
        #expect(fromSummaries.theta == fromRows.theta)
        #expect(fromSummaries.entries == cells.count)
    }

    @Test func histogramMustAgreeWithCounts() throws {
        var data = ModelData(factors: [try Factor(name: "x", levels: ["a", "b"], reference: "a")], clusterNames: ["C1", "C2"])
        data.add(levels: [0], clusterIndex: 0, count: 4, outcomeSum: 6)
        data.add(levels: [1], clusterIndex: 1, count: 4, outcomeSum: 9)
        data.addHistogram(levels: [0], outcome: 1, weight: 2, hasCluster: true)
        data.addHistogram(levels: [0], outcome: 2, weight: 2, hasCluster: true)
        data.addHistogram(levels: [1], outcome: 2, weight: 4, hasCluster: true)  // sums to 8, not 9
        let error = #expect(throws: ModelFitError.self) { try GLM.fit(data, family: .negativeBinomial) }
        #expect(error?.code == .invalidDesign)
    }
}
