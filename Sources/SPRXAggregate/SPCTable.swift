import SPRXCore
import SPRXPipeline

/// Builds `spc.csv` (`outputs-v2.md`) from the published `trends.csv`: each monthly
/// series for all referrals and per nation as an ``SPCChart``.
///
/// Design note: the rules of the table.
/// - Series: `interval` `month` rows of `trends.csv` with `dimension` `all` or `nation`,
///   one per measure and group, in the trends table's order. A measure whose field the
///   export does not record (a row noted `not_recorded:` or `recorded_in_part:`) has no rows.
/// - Values: the published ones (the trends table's value cell, copied), so disclosure
///   control holds: with it on, counts are rounded (and a series with a month
///   suppressed is not charted, below); with it off, the values are exact.
/// - An empty value (suppressed, or a share of no referrals) is a gap: the row is kept at
///   its place with `note` `no_value`, no moving range crosses it and no run or two-of-
///   three window holding it fires (``SPCChart``).
/// - A partial first or last month (`partial` `TRUE`: the data start or end inside it)
///   counts part of a month: it is listed with its value and `note` `partial_month`
///   but left out of the chart (its centre, limits and runs).
/// - A series with fewer than ``SPCColumn/minimumPoints`` values (partial months not
///   counted) is not charted: its rows have no centre, limits or classification, with
///   `note` `short_series`. Nor is one whose gaps leave fewer than
///   ``SPCColumn/minimumMovingRanges`` moving ranges (`note` `too_many_gaps`): 16 values
///   scattered over 60 months would put limits on 3 moving ranges.
/// - A series with enough values but any full month withheld by disclosure control
///   (`suppressed` `TRUE`) is not charted either (`note` `months_withheld` on its rows
///   with a value, ``SPCColumn/Note/monthsWithheld``): a month is withheld because its
///   count is small, so the months left are a biased selection. A month with no
///   referrals (`suppressed` `FALSE`) is a gap as before; with disclosure control off no
///   month is withheld and nothing changes.
/// - `point_type` by the pipeline's `spc.improvement_direction` for the measure
///   (``SPCSettings``; `neutral` by default). Centre and limits to 6 significant digits.
public struct SPCTableBuilder: Sendable {
    /// Which direction is an improvement for each measure.
    public let settings: SPCSettings

    /// The dimensions charted, in table order.
    public static let dimensions = [TableDimension.all, Grouping.Name.nation]
    /// The significant digits of centre and limits.
    public static let digits = 6

    public init(settings: SPCSettings) {
        self.settings = settings
    }

    /// One series of the trends table: its key and its months' rows, earliest first.
    struct Series {
        let measure: TrendColumn.Measure
        let dimension: String
        let group: String
        var rows: [[Cell]]
    }

    /// The table for a run's trends table.
    public func build(_ trends: PublishedTable) -> PublishedTable {
        var table = PublishedTable(.spc)
        guard trends.isWritten(by: TrendColumn.self) else { return table }
        for series in Self.series(trends) {
            table.append(contentsOf: rows(series))
        }
        return table
    }

    /// The monthly series of `trends` charted, in the table's order, without the measures withheld.
    static func series(_ trends: PublishedTable) -> [Series] {
        var order: [String] = []
        var byKey: [String: Series] = [:]
        for row in trends.rows where row[TrendColumn.interval].string == TrendColumn.Interval.month.rawValue {
            guard let measureText = row[TrendColumn.measure].string, let measure = TrendColumn.Measure(rawValue: measureText),
                let dimension = row[TrendColumn.dimension].string, dimensions.contains(dimension), let group = row[TrendColumn.group].string
            else { continue }
            let key = [measureText, dimension, group].joined(separator: "\u{1F}")
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = Series(measure: measure, dimension: dimension, group: group, rows: [])
            }
            byKey[key]!.rows.append(row)
        }
        return order.compactMap { key in
            guard var series = byKey[key] else { return nil }
            // Absent is not zero: a measure the export does not record is not charted at all.
            let withheld = series.rows.contains { row in
                let note = row[TrendColumn.note].string ?? ""
                return FieldNote.withholdingPrefixes.contains { note.hasPrefix($0) }
            }
            guard !withheld else { return nil }
            series.rows.sort { ($0[TrendColumn.intervalStart].string ?? "") < ($1[TrendColumn.intervalStart].string ?? "") }
            return series
        }
    }

    /// The rows of one series.
    func rows(_ series: Series) -> [[Cell]] {
        let partial = series.rows.map { $0[TrendColumn.partial].flag == true }
        let charted = series.rows.indices.filter { !partial[$0] }
        let values = charted.map { series.rows[$0][TrendColumn.value].value }
        let enough = values.compactMap { $0 }.count >= SPCColumn.minimumPoints
        let movingRanges = zip(values, values.dropFirst()).filter { $0.0 != nil && $0.1 != nil }.count
        let unbroken = movingRanges >= SPCColumn.minimumMovingRanges
        // A series with a full month withheld by disclosure control is not charted (``SPCColumn/Note/monthsWithheld``).
        let withheld = charted.contains { series.rows[$0][TrendColumn.suppressed].flag == true }
        let chart = enough && unbroken && !withheld ? SPCChart(values) : nil
        let direction = settings.direction(series.measure)
        var place: [Int: Int] = [:]
        for (position, index) in charted.enumerated() { place[index] = position }
        func figure(_ value: Double?) -> Cell { value.map { Cell.significant($0, digits: Self.digits) } ?? .empty }
        return series.rows.enumerated().map { index, trend in
            var row: [Cell] = [
                .text(series.measure.rawValue), .text(series.dimension), .text(series.group), trend[TrendColumn.intervalStart], trend[TrendColumn.value],
            ]
            row += [figure(chart?.centre), figure(chart?.lowerLimit), figure(chart?.upperLimit)]
            let hasValue = trend[TrendColumn.value].value != nil
            let note: String?
            if partial[index] {
                note = SPCColumn.Note.partialMonth
            } else if !hasValue {
                note = SPCColumn.Note.noValue
            } else if chart == nil {
                note = !enough ? SPCColumn.Note.shortSeries : withheld ? SPCColumn.Note.monthsWithheld : SPCColumn.Note.tooManyGaps
            } else {
                note = chart?.meanMovingRange == nil ? SPCColumn.Note.noVariation : nil
            }
            if let chart, let i = place[index], hasValue {
                row += [.flag(chart.isSpecialCause(i)), .text(chart.pointType(i, direction).rawValue), .text(chart.rulesText(i))]
            } else {
                row += [.empty, .empty, .empty]
            }
            row += [note.map(Cell.text) ?? .empty, trend[TrendColumn.disclosureControl]]
            return row
        }
    }
}
