import SPRXCore
import SPRXPipeline

/// Builds `trends.csv` (`outputs-v2.md`): referrals and three shares by calendar month
/// and quarter, for all referrals and by route type, nation and deprivation quintile, in
/// the layout of OpenSAFELY's measures.
///
/// Design note: the rules of the table.
/// - Intervals: every calendar month (`interval` `month`) and calendar quarter (`quarter`,
///   January-March and so on) from the one holding the period's first day to the one
///   holding its last, listed even with no referrals (counts 0, never dropped).
///   `interval_start` and `interval_end` are the interval's first and last day (ISO,
///   inclusive); `partial` is `TRUE` when the interval starts before the period's first
///   day or ends after its last (the period is the first to the last clean referral
///   date, ``ReferralCounts/period``), so its count covers part of it only.
/// - Measures (``TrendColumn/Measure``): `referrals` (numerator = referrals, no
///   denominator, `value` = the published numerator, no interval); `non_medical_share`
///   (referrals whose route's type is non-medical, of every referral of the group, unknown
///   routes included, as `route_type_by_group`'s total); `contacted_share` (referrals that
///   reached a link worker, of the group's referrals); `intervention_share` (referrals with
///   an intervention, of the group's referrals). Shares are in percent with their 95%
///   Wilson interval, to ``EquityTableBuilder/percentPlaces`` decimals; a share whose
///   published denominator is 0 (no referral of the group in the interval) is empty with
///   `note` ``TrendColumn/Note/noReferrals``. A share whose
///   field the export does not record (``FieldRecording``) keeps its rows, with the
///   numerator, value and interval empty and `note` saying why (absent is not zero).
/// - Dimensions: `all` (group `all`), `route_type` (`medical`, `non_medical`, `unknown`;
///   without `non_medical_share`, which is 0 or 100 there by definition), `nation` and
///   `imd_quintile` (within-nation quintiles, folded from the decile as every table's
///   `imd_quintile` is: ``GroupKeySchema/grouping(named:)``). A group is listed, for every
///   interval, when it has at least one referral in the period.
/// - Disclosure control as for every share (``DisclosureControl/share(_:of:enabled:suppressUpTo:roundTo:)``):
///   numerator and denominator controlled on their own (the denominator is the group's
///   true total), the share computed from the two published counts and withheld when
///   either is; `suppressed` is `TRUE` when any count of the row is withheld.
/// - Row order: interval (month, quarter), measure, dimension (as above), group (the
///   grouping's level order), then `interval_start`.
///
/// The table is built from ``ReferralCounts/months`` (month × route × nation × decile),
/// summed once per interval kind: its size grows with months and groups, never with rows.
public struct TrendTableBuilder: Sendable {
    /// The key the counts were made with: its groupings give the dimensions' levels.
    public let groupKey: GroupKeySchema
    /// The pipeline's routes, by route index: a route's type decides `route_type` and `non_medical_share`.
    public let routes: [RouteDefinition]
    public let disclosure: DisclosureSettings
    /// The optional fields the export leaves out: a share that depends on one has its
    /// numerator, value and interval empty on every row, with a ``FieldNote`` (its
    /// denominator, the group's referrals, is still given).
    public var recording = FieldRecording.complete

    public init(groupKey: GroupKeySchema, routes: [RouteDefinition], disclosure: DisclosureSettings) {
        self.groupKey = groupKey
        self.routes = routes
        self.disclosure = disclosure
    }

    /// The builder for a pipeline's key, routes and disclosure settings.
    public init(pipeline: PipelineConfiguration) {
        self.init(groupKey: pipeline.groupKey, routes: pipeline.routes, disclosure: pipeline.disclosure)
    }

    /// What one group counts in one interval.
    struct Tally {
        var referred: Int64 = 0
        var nonMedical: Int64 = 0
        var contacted: Int64 = 0
        var intervention: Int64 = 0
    }

    /// One dimension of the table: its name, its groups' labels and how a months key maps to a group.
    struct Dimension {
        let name: String
        let labels: [String]
        let grouping: Grouping?
    }

    /// The table for `period` (the run's ``ReferralCounts/period``); header only when
    /// there is no period (nothing counted). Months outside the period's months are not
    /// counted (there are none when the period is the counts' own).
    public func build(_ counts: ReferralCounts, period: (first: Day, last: Day)?) -> PublishedTable {
        var table = PublishedTable(.trends)
        guard let period else { return table }
        // `all`, then the schema's trend groupings (route type, nation, quintile, declared dimensions).
        let dimensions =
            [Dimension(name: TableDimension.all, labels: [TableDimension.all], grouping: nil)]
            + groupKey.trendGroupings.map { Dimension(name: TableDimension.name([$0.name]), labels: $0.levels, grouping: $0) }
        // The months key holds the route, not its type: set the type field from the route
        // so the route_type grouping reads it like any other (a route the pipeline does not
        // list, which a run never counts, would be of unknown type).
        let routeTypes = routes.map(\.type)
        let entries = counts.months.map { entry -> (key: UInt64, counts: OutcomeCounts) in
            let route = groupKey.level(.route, of: entry.key)
            let type = route < routeTypes.count ? routeTypes[route] : .unknown
            return (groupKey.setting(.routeType, to: Int(type.rawValue), in: entry.key), entry.value)
        }
        let firstMonth = Int(GroupKeySchema.monthLevel(period.first)), lastMonth = Int(GroupKeySchema.monthLevel(period.last))
        let control = Cell.disclosureControl(disclosure.enabled)
        for interval in TrendColumn.Interval.allCases {
            let first = Self.intervalIndex(month: firstMonth, interval), last = Self.intervalIndex(month: lastMonth, interval)
            let intervals = (first...last).map { index -> (start: Day, end: Day, partial: Bool) in
                let (start, end) = Self.bounds(index, interval)
                return (start, end, start < period.first || end > period.last)
            }
            // tallies[dimension][group][interval]
            var tallies = dimensions.map { [[Tally]](repeating: [Tally](repeating: Tally(), count: intervals.count), count: $0.labels.count) }
            for (key, outcome) in entries {
                let month = groupKey.level(.month, of: key)
                guard month >= firstMonth && month <= lastMonth else { continue }
                let slot = Self.intervalIndex(month: month, interval) - first
                let nonMedical = groupKey.level(.routeType, of: key) == Int(RouteType.nonMedical.rawValue)
                for (d, dimension) in dimensions.enumerated() {
                    let group = dimension.grouping.map { groupKey.level($0, of: key) } ?? 0
                    tallies[d][group][slot].referred += outcome.referred
                    if nonMedical { tallies[d][group][slot].nonMedical += outcome.referred }
                    tallies[d][group][slot].contacted += outcome.contacted
                    tallies[d][group][slot].intervention += outcome.intervention
                }
            }
            for measure in TrendColumn.Measure.allCases {
                for (d, dimension) in dimensions.enumerated() {
                    if measure == .nonMedicalShare && dimension.grouping?.name == Grouping.Name.routeType { continue }
                    for (group, label) in dimension.labels.enumerated() where tallies[d][group].contains(where: { $0.referred != 0 }) {
                        for (slot, span) in intervals.enumerated() {
                            var row: [Cell] = [
                                .text(measure.rawValue), .text(interval.rawValue), .text(span.start.description), .text(span.end.description),
                                .text(dimension.name), .text(label),
                            ]
                            var note = withheldNote(measure)
                            let (values, suppressed) = cells(measure, tallies[d][group][slot], withheld: note != nil)
                            // A share of no referrals is no number, and not 0: say why it is empty.
                            if note == nil, measure != .referrals, values[1].count == 0 { note = TrendColumn.Note.noReferrals }
                            row += values
                            row += [.flag(span.partial), note.map(Cell.text) ?? .empty, .flag(suppressed), control]
                            table.append(row)
                        }
                    }
                }
            }
        }
        return table
    }

    /// Why a measure is withheld on every row (its field is not recorded), `nil` when it is given.
    func withheldNote(_ measure: TrendColumn.Measure) -> String? {
        switch measure {
        case .referrals, .nonMedicalShare: nil
        case .contactedShare: recording.contactedShareNote
        case .interventionShare: recording.interventionShareNote
        }
    }

    /// numerator, denominator, value, ci_low and ci_high of one measure, and whether a
    /// count is suppressed; with `withheld`, only the denominator.
    private func cells(_ measure: TrendColumn.Measure, _ tally: Tally, withheld: Bool = false) -> (cells: [Cell], suppressed: Bool) {
        if withheld {
            let denominator = DisclosureControl.publish(
                tally.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            return ([.empty, .count(denominator), .empty, .empty, .empty], denominator == nil)
        }
        let numerator: Int64
        switch measure {
        case .referrals:
            let published = DisclosureControl.publish(
                tally.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            return ([.count(published), .empty, .count(published), .empty, .empty], published == nil)
        case .nonMedicalShare: numerator = tally.nonMedical
        case .contactedShare: numerator = tally.contacted
        case .interventionShare: numerator = tally.intervention
        }
        let share = DisclosureControl.share(
            numerator, of: tally.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
        let places = EquityTableBuilder.percentPlaces
        let values: [Cell] = [
            .count(share.numerator), .count(share.denominator), .decimal(share.percent?.value, places: places),
            .decimal(share.percent?.low, places: places), .decimal(share.percent?.high, places: places),
        ]
        return (values, share.isSuppressed)
    }

    /// The interval holding a month level: the month itself, or its calendar quarter
    /// (quarters since January of year 0).
    static func intervalIndex(month: Int, _ interval: TrendColumn.Interval) -> Int {
        switch interval {
        case .month: month
        case .quarter: month / 3
        }
    }

    /// The first and last day of an interval.
    static func bounds(_ index: Int, _ interval: TrendColumn.Interval) -> (start: Day, end: Day) {
        let firstMonth = interval == .month ? index : index * 3
        let lastMonth = interval == .month ? index : index * 3 + 2
        let (startYear, startMonth) = (firstMonth / 12, firstMonth % 12 + 1)
        let (endYear, endMonth) = (lastMonth / 12, lastMonth % 12 + 1)
        // safe: month levels come from valid dates (years 1-9999), so both days exist.
        return (
            Day(year: startYear, month: startMonth, day: 1)!,
            Day(year: endYear, month: endMonth, day: Day.daysIn(month: endMonth, year: endYear))!
        )
    }
}
