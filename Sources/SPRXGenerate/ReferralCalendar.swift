import Foundation
import SPRXCore
import SPRXPipeline

/// When generated referrals happen: a level that grows and flattens, with seasonal dips.
///
/// Dates run from 1 January 2021 to 31 December 2025, which covers the NHS England link
/// worker census dates of 2021-2022 and March-November 2025. The daily weight is the
/// product of
/// - the level `1 + g·τ·(1 − e^(−t/τ))` with `t` in years since 1 January 2021,
///   `g` = 0.8 and `τ` = 2: year on year about +36% in 2022, +16% in 2023, +8% in 2024
///   and +5% in 2025;
/// - a month factor (August 0.72, the summer holidays; December 0.9);
/// - half weight from 22 to 31 December (Christmas);
/// - a quarter weight on Saturdays and a sixth on Sundays (link workers keep office hours).
///
/// A date is drawn by inverting the cumulative daily weight (one binary search, no
/// allocation per draw).
///
/// With fewer ``months`` (`sprx generate --months N`), dates fall in the last N calendar
/// months of the span only (20: May 2024 to December 2025), each day keeping its
/// weight, so the level, seasons and trends are those of the same days in the full span.
struct ReferralCalendar: Sendable {
    /// The calendar months of the full span (January 2021 to December 2025).
    static let spanMonths = 60

    /// The first day a referral can have.
    // safe: a literal calendar date
    static let firstDay = Day(year: 2021, month: 1, day: 1)!
    /// The last day a referral can have.
    // safe: a literal calendar date
    static let lastDay = Day(year: 2025, month: 12, day: 31)!
    /// The mid-point of the span in years from ``firstDay``, about which the route and
    /// intervention trends are centred so that their overall shares stay calibrated.
    static let centreYears = 2.5

    /// Month factors, January to December.
    static let monthFactors: [Double] = [1.05, 1.05, 1.05, 0.95, 1.0, 1.0, 1.0, 0.72, 1.0, 1.08, 1.05, 0.9]

    /// How many calendar months dates fall in: the last ones of the span.
    let months: Int
    /// The first day a referral can have: the first of the first of ``months``.
    let firstDrawnDay: Day
    /// The cumulative daily weight, one entry per day from ``firstDrawnDay``.
    private let cumulative: [Double]

    /// A calendar over the last `months` months of the span (1 to ``spanMonths``).
    init(months: Int = spanMonths) {
        precondition((1...Self.spanMonths).contains(months), "months is from 1 to \(Self.spanMonths)")
        self.months = months
        let skipped = Self.spanMonths - months
        // safe: a month of 2021-2025
        firstDrawnDay = Day(year: 2021 + skipped / 12, month: skipped % 12 + 1, day: 1)!
        var running = 0.0
        var cumulative: [Double] = []
        for day in firstDrawnDay.daysSinceEpoch...Self.lastDay.daysSinceEpoch {
            running += Self.weight(Day(daysSinceEpoch: day))
            cumulative.append(running)
        }
        self.cumulative = cumulative
    }

    /// The level of referrals `years` after ``firstDay`` (1 at the start).
    static func level(years: Double) -> Double {
        let growth = 0.8, scale = 2.0
        return 1 + growth * scale * (1 - Foundation.exp(-years / scale))
    }

    /// Years from ``firstDay`` to `day`.
    static func years(_ day: Day) -> Double { Double(day.daysSinceEpoch - firstDay.daysSinceEpoch) / 365.25 }

    /// The relative number of referrals expected on `day`.
    static func weight(_ day: Day) -> Double {
        let (_, month, dayOfMonth) = day.components
        var weight = level(years: years(day)) * monthFactors[month - 1]
        if month == 12 && dayOfMonth >= 22 { weight *= 0.5 }
        // 1 January 1970 was a Thursday: 0 is Monday.
        let weekday = (Int(day.daysSinceEpoch) % 7 + 7 + 3) % 7
        if weekday == 5 { weight *= 0.25 } else if weekday == 6 { weight /= 6 }
        return weight
    }

    /// One referral date, and its years from ``firstDay`` for the trends.
    func draw(_ rng: inout SplitMix64) -> (date: (year: Int, month: Int, day: Int), years: Double) {
        let target = rng.unit() * cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] <= target { low = mid + 1 } else { high = mid }
        }
        let day = Day(daysSinceEpoch: firstDrawnDay.daysSinceEpoch + Int32(low))
        return (day.components, Self.years(day))
    }
}
