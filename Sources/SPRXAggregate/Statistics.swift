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

/// Disclosure control for published counts (`outputs-v1.md`).
public enum DisclosureControl {
    /// The count to publish, or `nil` when it must be suppressed.
    ///
    /// With control on: 0 stays 0, 1…`suppressUpTo` is suppressed, anything else is
    /// rounded to the nearest multiple of `roundTo` (halves up: 8 → 10, 12 → 10).
    public static func publish(_ count: Int64, enabled: Bool, suppressUpTo: Int, roundTo: Int) -> Int64? {
        guard enabled else { return count }
        if count == 0 { return 0 }
        if count > 0 && count <= Int64(suppressUpTo) { return nil }
        let step = Int64(max(1, roundTo))
        return ((count + step / 2) / step) * step
    }
}
