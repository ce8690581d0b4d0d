/// The 95% Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).
public enum WilsonInterval {
    /// z for a two-sided 95% interval: the 0.975 quantile of the standard normal.
    public static let z95 = 1.959963984540054

    /// Lower and upper bounds as proportions (0-1); `nil` when `total` is 0.
    public static func bounds(successes: Int64, total: Int64, z: Double = z95) -> (low: Double, high: Double)? {
        guard total > 0 else { return nil }
        let n = Double(total)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
        return (max(0, centre - half), min(1, centre + half))
    }
}

/// Disclosure control for published counts, after NHS Digital's rule for HES and ECDS
/// (`outputs-v2.md`, "Disclosure control").
///
/// Every published count, a group's total included, is controlled on its own: 0 stays
/// 0, 1…`suppressUpTo` is suppressed, anything else is rounded to the nearest multiple
/// of `roundTo`. A total is the group's true total, never the sum of its published
/// cells; a percentage is computed from the controlled numerator and the controlled
/// denominator, and is suppressed when either is.
public enum DisclosureControl {
    /// The rule's name, in plain words (manifest).
    public static let ruleName = "NHS Digital HES/ECDS rule"

    /// The rule in plain words for the given settings (manifest and report).
    public static func ruleDescription(suppressUpTo: Int, roundTo: Int) -> String {
        "\(ruleName): every count of 1 to \(suppressUpTo) is suppressed and every other count is rounded to the nearest "
            + "\(roundTo); a group's total is its true total, suppressed or rounded on its own by the same rule; "
            + "percentages and their intervals are computed from the rounded numerator and the rounded total, and are "
            + "suppressed when either is; zero stays zero."
    }

    /// The count to publish, or `nil` when it must be suppressed.
    ///
    /// With control on: 0 stays 0, 1…`suppressUpTo` is suppressed, anything else is
    /// rounded to the nearest multiple of `roundTo` (halves up: 8 → 10, 12 → 10).
    public static func publish(_ count: Int64, enabled: Bool, suppressUpTo: Int, roundTo: Int) -> Int64? {
        guard enabled else { return count }
        if count == 0 { return 0 }
        if count > 0 && count <= Int64(suppressUpTo) { return nil }
        let step = Int64(max(1, roundTo))
        let (sum, overflow) = count.addingReportingOverflow(step / 2)
        return overflow ? (count / step) * step : (sum / step) * step
    }

    /// A proportion as published: the controlled numerator and denominator, and the
    /// percentage with its 95% Wilson interval computed from those two.
    public struct Share: Sendable, Equatable {
        /// The numerator to publish; `nil` when suppressed.
        public var numerator: Int64?
        /// The denominator to publish; `nil` when suppressed.
        public var denominator: Int64?
        /// 100 × numerator / denominator and its interval, in percent; `nil` when either
        /// count is suppressed or the denominator is 0.
        public var percent: (value: Double, low: Double, high: Double)?

        /// Whether anything in the share is withheld.
        public var isSuppressed: Bool { numerator == nil || denominator == nil }

        public static func == (a: Share, b: Share) -> Bool {
            a.numerator == b.numerator && a.denominator == b.denominator && a.percent?.value == b.percent?.value
                && a.percent?.low == b.percent?.low && a.percent?.high == b.percent?.high
        }
    }

    /// Controls `numerator` and `denominator` on their own, then computes the share from
    /// the published values.
    public static func share(_ numerator: Int64, of denominator: Int64, enabled: Bool, suppressUpTo: Int, roundTo: Int) -> Share {
        let n = publish(numerator, enabled: enabled, suppressUpTo: suppressUpTo, roundTo: roundTo)
        let d = publish(denominator, enabled: enabled, suppressUpTo: suppressUpTo, roundTo: roundTo)
        var share = Share(numerator: n, denominator: d, percent: nil)
        // Rounding to the nearest multiple is monotone, so n ≤ d holds after it as before.
        if let n, let d, d > 0, let ci = WilsonInterval.bounds(successes: min(n, d), total: d) {
            share.percent = (100 * Double(min(n, d)) / Double(d), 100 * ci.low, 100 * ci.high)
        }
        return share
    }
}
