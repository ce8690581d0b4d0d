/// The 2013 European Standard Population (ESP 2013): the age structure directly
/// age-standardised rates are weighted to.
///
/// Nineteen five-year groups, 0-4 to 85-89, and 90+ (the 2013 revision's 90-94 and 95+
/// weights, 800 and 200, summed), as Public Health England's Fingertips and its
/// `PHEindicatormethods` package use it. Source: Eurostat, "Revision of the European
/// Standard Population: report of Eurostat's task force", 2013 edition, table 1 (the
/// weights sum to 100,000).
public enum EuropeanStandardPopulation {
    /// The standard population of each group, youngest first.
    public static let weights: [Int] = [
        5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
    ]

    /// How many age groups the standard has (19).
    public static var groupCount: Int { weights.count }

    /// The youngest age of the open-ended last group (90).
    public static var openAge: Int { 5 * (groupCount - 1) }

    /// The group of an age in whole years (0-4 → 0, …, 90 and over → 18); `nil` for a
    /// negative age.
    @inlinable public static func group(ofAge age: Int) -> Int? {
        age < 0 ? nil : min(age / 5, groupCount - 1)
    }

    /// A group's label: `0-4`, …, `85-89`, `90+`.
    public static func label(_ group: Int) -> String {
        group == groupCount - 1 ? "\(openAge)+" : "\(5 * group)-\(5 * group + 4)"
    }
}
