import SPRXCore
import SPRXPipeline

/// An XmR (individuals and moving range) chart of one series, computed as
/// NHSRplotthedots' `ptd_spc` computes it with its defaults (`screen_outliers = TRUE`,
/// no rebase, no `fix_after_n_points`, no target), read from its `R/ptd_spc_standard.R`
/// and `R/ptd_calculate_point_type.R` (commit 050b07d7).
///
/// Design note: the method, exactly.
/// - Centre: the mean of the values. Moving ranges: |x_i − x_{i−1}|, none beside a
///   missing value (a gap is never bridged). Screening: moving ranges of 3.267 × their
///   mean or more are dropped and the mean moving range taken again. Limits: centre ±
///   2.66 × mean moving range; the near-limit band at 2 × (2.66 / 3) of it.
/// - A point is `outside` when strictly above the upper or below the lower limit (a
///   point exactly on a limit is not outside: it is in the near-limit band).
/// - `shift`: part of 7 consecutive points all strictly on one side of the centre (a
///   point on the centre breaks a run).
/// - `trend`: part of 7 consecutive points each strictly higher (or each strictly
///   lower) than the one before (a tie breaks a trend).
/// - `two_of_three`: the point is in the near-limit band (beyond the band, not outside)
///   and part of 3 consecutive points, at least 2 of them in the band, all 3 on one
///   side of the centre.
/// - A window of consecutive points (7 or 3) holding a missing value never fires (R
///   compares with `NA` and the condition is not met; in one case, a trend window whose
///   other 6 differences all go one way, R stops with an error; here it does not fire).
/// - Direction, by the package's order: outside (above or below), else trend (the
///   difference to the next point when that one is in a trend too, else from the one
///   before; a tie reads as falling, as the package's `ifelse` has it), else two of
///   three, else shift (above or below the centre).
/// - When every moving range is 0 the screening drops them all (0 ≥ 3.267 × 0): the mean
///   moving range is undefined, there are no limits, and only runs can fire (the package
///   gives `NaN` limits).
public struct SPCChart: Sendable, Equatable {
    /// The points, in series order; `nil` values are gaps.
    public let values: [Double?]
    /// The mean of the values.
    public let centre: Double
    /// The mean moving range after screening; `nil` when every moving range was screened out or there is none.
    public let meanMovingRange: Double?
    /// The rules each point is part of (empty for a gap).
    public let rules: [Set<SPCColumn.Rule>]
    /// The direction of each point's special cause (+1 up, −1 down, 0 common cause or gap), by the package's order.
    public let direction: [Int]

    /// The process limits' distance from the centre.
    public static let limitSigma = 2.66
    /// The near-limit band's distance from the centre (the package's `2 * (limit / 3)`).
    public static let nearLimitSigma = 2 * (limitSigma / 3)
    /// Moving ranges of this many times their mean or more are screened out.
    public static let screenFactor = 3.267
    /// The consecutive points a shift or trend needs.
    public static let runLength = 7

    /// The lower process limit, `nil` without a mean moving range.
    public var lowerLimit: Double? { meanMovingRange.map { centre - Self.limitSigma * $0 } }
    /// The upper process limit, `nil` without a mean moving range.
    public var upperLimit: Double? { meanMovingRange.map { centre + Self.limitSigma * $0 } }

    /// The chart of `values`; `nil` when no value is given. `screenOutliers` is the
    /// package's option of that name (on by default, as there and in every run).
    public init?(_ values: [Double?], screenOutliers: Bool = true) {
        let given = values.compactMap { $0 }
        guard !given.isEmpty else { return nil }
        self.values = values
        let n = values.count
        let centre = Self.mean(given)!
        self.centre = centre
        var movingRanges: [Double] = []
        for i in values.indices.dropFirst() {
            if let a = values[i - 1], let b = values[i] { movingRanges.append(abs(b - a)) }
        }
        // ptd_spc_standard: mr kept when mr < 3.267 × amr (with amr NaN nothing is kept).
        let screened =
            screenOutliers ? Self.mean(movingRanges).map { first in movingRanges.filter { $0 < Self.screenFactor * first } } ?? [] : movingRanges
        let amr = Self.mean(screened)
        meanMovingRange = amr

        // Per point: side of the centre, outside, in the near-limit band (nil = unknown, R's NA).
        let side: [Int?] = values.map { $0.map { $0 > centre ? 1 : ($0 < centre ? -1 : 0) } }
        var outside = [Bool?](repeating: nil, count: n), near = [Bool?](repeating: nil, count: n)
        if let amr {
            let (lower, upper) = (centre - Self.limitSigma * amr, centre + Self.limitSigma * amr)
            let (nearLower, nearUpper) = (centre - Self.nearLimitSigma * amr, centre + Self.nearLimitSigma * amr)
            for (i, value) in values.enumerated() {
                guard let y = value else { continue }
                outside[i] = y > upper || y < lower
                near[i] = !(outside[i]!) && (y < nearLower || y > nearUpper)
            }
        }

        let inShift = Self.partOfRun(Self.shiftEnds(side)), inTrend = Self.partOfRun(Self.trendEnds(values).map { $0 != 0 })
        let inTwoOfThree = Self.partOfTwoOfThree(near: near, side: side)

        var rules: [Set<SPCColumn.Rule>] = []
        var direction: [Int] = []
        for i in 0..<n {
            var set: Set<SPCColumn.Rule> = []
            if outside[i] == true { set.insert(.outside) }
            if inShift[i] { set.insert(.shift) }
            if inTrend[i] { set.insert(.trend) }
            if inTwoOfThree[i] { set.insert(.twoOfThree) }
            rules.append(set)
            let above = (side[i] ?? 0) > 0 ? 1 : -1
            if outside[i] == true {
                direction.append(above)
            } else if inTrend[i] {
                // ptd_special_cause_type: the right-hand difference when the next point is in a trend too, else the left-hand one.
                let useRight = i + 1 < n && inTrend[i + 1]
                let (a, b) = useRight ? (values[i], values[i + 1]) : (i > 0 ? values[i - 1] : nil, values[i])
                let step = a.flatMap { a in b.map { $0 > a ? 1 : ($0 < a ? -1 : 0) } } ?? 0
                direction.append(step == 1 ? 1 : -1)
            } else if inTwoOfThree[i] || inShift[i] {
                direction.append(above)
            } else {
                direction.append(0)
            }
        }
        self.rules = rules
        self.direction = direction
    }

    /// Where a run of 7 points strictly on one side of the centre ends (the package's
    /// `ptd_seven_point_one_side_mean`): `side` is -1, 0 or +1 per point, `nil` for a gap;
    /// a window holding a gap or a point on the centre never fires.
    static func shiftEnds(_ side: [Int?]) -> [Bool] {
        side.indices.map { end in
            guard end >= runLength - 1, let first = side[end], first != 0 else { return false }
            return side[(end - runLength + 1)...end].allSatisfy { $0 == first }
        }
    }

    /// Where a trend of 7 points ends (the package's `ptd_seven_point_trend`): +1 when each
    /// of the 7 is strictly higher than the one before, -1 when each is strictly lower,
    /// 0 otherwise (a tie or a gap in the window).
    static func trendEnds(_ values: [Double?]) -> [Int] {
        values.indices.map { end in
            guard end >= runLength - 1 else { return 0 }
            let steps = ((end - runLength + 2)...end).map { i -> Int? in
                guard let a = values[i - 1], let b = values[i] else { return nil }
                return b > a ? 1 : (b < a ? -1 : 0)
            }
            if steps.allSatisfy({ $0 == 1 }) { return 1 }
            if steps.allSatisfy({ $0 == -1 }) { return -1 }
            return 0
        }
    }

    /// Whether each point is part of a run: one ends at it or at one of the next 6 (the
    /// package's `ptd_part_of_seven_trend`).
    static func partOfRun(_ ends: [Bool]) -> [Bool] {
        ends.indices.map { i in (i..<min(ends.count, i + runLength)).contains { ends[$0] } }
    }

    /// Whether each point is in some window of 3 consecutive points with at least 2 in
    /// the near-limit band and all 3 strictly on one side of the centre (the package's
    /// `ptd_two_in_three`); a window holding a gap never fires.
    static func twoOfThreeWindows(near: [Bool?], side: [Int?]) -> [Bool] {
        let n = near.count
        func fires(_ start: Int) -> Bool {
            guard start >= 0, start + 2 < n else { return false }
            let window = start...(start + 2)
            guard window.allSatisfy({ near[$0] != nil && side[$0] != nil }) else { return false }
            return window.filter { near[$0] == true }.count >= 2 && abs(window.reduce(0) { $0 + side[$1]! }) == 3
        }
        return (0..<n).map { fires($0 - 2) || fires($0 - 1) || fires($0) }
    }

    /// Whether each point is part of a two-of-three signal: in such a window and itself in
    /// the near-limit band (the package's `ptd_part_of_two_in_three`).
    static func partOfTwoOfThree(near: [Bool?], side: [Int?]) -> [Bool] {
        zip(twoOfThreeWindows(near: near, side: side), near).map { $0 && $1 == true }
    }

    /// The arithmetic mean as R's `mean` takes it (the sum in extended precision, then
    /// one correcting pass over the residuals), so that a point exactly on a limit of the
    /// package's is on it here too; `nil` for no values.
    static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        #if arch(x86_64) && !os(Windows)
        typealias Wide = Float80
        #else
        typealias Wide = Double
        #endif
        let count = Wide(values.count)
        var sum: Wide = 0
        for value in values { sum += Wide(value) }
        var mean = sum / count
        if Double(mean).isFinite {
            var residual: Wide = 0
            for value in values { residual += Wide(value) - mean }
            mean += residual / count
        }
        return Double(mean)
    }

    /// Whether point `i` is a special cause.
    public func isSpecialCause(_ i: Int) -> Bool { !rules[i].isEmpty }

    /// Point `i`'s type for a measure whose improvement is `improvement`.
    public func pointType(_ i: Int, _ improvement: ImprovementDirection) -> SPCColumn.PointType {
        guard direction[i] != 0 else { return .commonCause }
        switch direction[i] * improvement.sign {
        case 1...: return .improvement
        case ..<0: return .concern
        default: return .neutral
        }
    }

    /// Point `i`'s rules as `rules` lists them: in ``SPCColumn/Rule``'s order, `;`-separated.
    public func rulesText(_ i: Int) -> String {
        SPCColumn.Rule.allCases.filter { rules[i].contains($0) }.map(\.rawValue).joined(separator: ";")
    }
}
