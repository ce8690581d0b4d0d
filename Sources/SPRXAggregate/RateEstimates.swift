import Foundation
import SPRXCore

/// TEMPORARY shim until the statistics library lands: the calls the rate tables make.
public enum RateEstimates {
    public enum Kind: Sendable { case rate, percentage }
    public struct Quantile: Sendable { public var value, low, high, population: Double }
    public struct Simulation: Sendable, Hashable, Codable {
        public var repetitions = 100_000
        public var seed: UInt64 = 1
        public init() {}
    }
    public struct Estimate: Sendable { public var value, low, high: Double }
    public struct Inequality: Sendable { public var sii, rii: Estimate; public var fittedMostDeprived, fittedLeastDeprived: Double }
    public enum Standardised: Sendable { case rate(value: Double, low: Double, high: Double), fewerThanTen, referralsWithoutPopulation }

    static func crude(count: Int64, personYears: Double, per: Double) -> (value: Double, low: Double, high: Double) {
        let o = Double(count)
        return (per * o / personYears, per * o * 0.9 / personYears, per * (o + 1) * 1.1 / personYears)
    }
    static func standardised(counts: [Double], personYears: [Double], per: Double) -> Standardised {
        let total = counts.reduce(0, +)
        if total < 10 { return .fewerThanTen }
        var sum = 0.0
        for i in counts.indices {
            if personYears[i] == 0 { if counts[i] > 0 { return .referralsWithoutPopulation } else { continue } }
            sum += Double(EuropeanStandardPopulation.weights[i]) * counts[i] / personYears[i]
        }
        let v = per * sum / 100_000
        return .rate(value: v, low: v * 0.9, high: v * 1.1)
    }
    static func inequality(_ q: [Quantile], kind: Kind, simulation: Simulation) -> Inequality? {
        Inequality(sii: Estimate(value: q[9].value - q[0].value, low: 0, high: 0), rii: Estimate(value: 1, low: 0, high: 0), fittedMostDeprived: q[0].value, fittedLeastDeprived: q[9].value)
    }
}
