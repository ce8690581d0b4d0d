import SPRXCore
import SPRXPipeline

/// Builds the referral-route equity tables of `outputs-v2.md` from ``ReferralCounts``.
public struct EquityTableBuilder: Sendable {
    public let routes: [RouteDefinition]
    public let reasons: [ReasonDefinition]
    /// The key the counts were made with: its table dimensions are the tables' rows.
    public let groupKey: GroupKeySchema
    public let disclosure: DisclosureSettings
    /// The optional fields the export leaves out: the pathway's contacted and
    /// intervention cells that depend on one are empty, with a ``FieldNote``.
    public var recording = FieldRecording.complete

    public init(routes: [RouteDefinition], reasons: [ReasonDefinition], groupKey: GroupKeySchema, disclosure: DisclosureSettings) {
        self.routes = routes
        self.reasons = reasons
        self.groupKey = groupKey
        self.disclosure = disclosure
    }

    /// The builder for a pipeline's routes, reasons, key and disclosure settings.
    public init(pipeline: PipelineConfiguration) {
        self.init(routes: pipeline.routes, reasons: pipeline.reasons, groupKey: pipeline.groupKey, disclosure: pipeline.disclosure)
    }

    /// Decimal places for percentages and intervals.
    public static let percentPlaces = 2

    private var controlLabel: Cell { .disclosureControl(disclosure.enabled) }

    /// All four tables: route type, route, reasons and pathway by group.
    public func build(_ counts: ReferralCounts) -> [PublishedTable] {
        let routeTypes = RouteType.allCases
        var routeTypeTable = PublishedTable(.routeTypeByGroup)
        var routeTable = PublishedTable(.routeByGroup)
        var reasonTable = PublishedTable(.reasonsByGroup)
        var pathwayTable = PublishedTable(.pathwayByGroup)

        /// One group's rows in every table: route types and routes against the group's
        /// true total (unknown routes included), its reasons (`nil`: none published, as for
        /// reason groups), and the pathway by route type and for all routes together.
        func appendRows(_ dimension: String, _ label: String, byRoute: [OutcomeCounts], byReason: [Int64]?, inSeveralGroups: Bool = false) {
            let groupTotal = byRoute.reduce(Int64(0)) { $0 + $1.referred }
            guard groupTotal > 0 else { return }
            var pathway = [OutcomeCounts](repeating: OutcomeCounts(), count: routeTypes.count + 1)
            for (route, counts) in byRoute.enumerated() {
                pathway[Int(routes[route].type.rawValue)].add(counts)
                pathway[routeTypes.count].add(counts)
            }
            routeTypeTable.append(
                contentsOf: shareRows(dimension, label, routeTypes.map(\.label), pathway.prefix(routeTypes.count).map(\.referred), groupTotal: groupTotal))
            routeTable.append(contentsOf: shareRows(dimension, label, routes.map(\.id), byRoute.map(\.referred), groupTotal: groupTotal))
            if let byReason { reasonTable.append(contentsOf: shareRows(dimension, label, reasons.map(\.id), byReason, groupTotal: groupTotal)) }
            for (slot, name) in (routeTypes.map(\.label) + [PathwayColumn.allRouteTypes]).enumerated() {
                pathwayTable.append(pathwayRow(dimension, label, name, pathway[slot], inSeveralGroups: inSeveralGroups))
            }
        }

        let outcomeEntries = counts.outcomes.sorted { $0.key < $1.key }
        let reasonEntries = counts.reasons.sorted { $0.key < $1.key }
        for dimension in groupKey.tableDimensions {
            let groups = dimension.groupLabels.count
            var byRoute = [[OutcomeCounts]](repeating: [OutcomeCounts](repeating: OutcomeCounts(), count: routes.count), count: groups)
            var byReason = [[Int64]](repeating: [Int64](repeating: 0, count: reasons.count), count: groups)
            for (key, value) in outcomeEntries {
                let route = groupKey.level(.route, of: key)
                guard route < routes.count else { continue }
                byRoute[groupKey.group(dimension, of: key)][route].add(value)
            }
            for (key, value) in reasonEntries {
                let reason = groupKey.level(.reason, of: key)
                guard reason < reasons.count else { continue }
                byReason[groupKey.group(dimension, of: key)][reason] += value
            }
            for g in 0..<groups { appendRows(dimension.name, dimension.groupLabels[g], byRoute: byRoute[g], byReason: byReason[g]) }
        }
        // Reason groups: a referral counted in every group one of its reasons is in, so
        // the groups' totals add up to more than the referrals (the pathway rows say so).
        var groupsByRoute = [[OutcomeCounts]](
            repeating: [OutcomeCounts](repeating: OutcomeCounts(), count: routes.count), count: groupKey.reasonGroups.count)
        for (key, value) in counts.reasonGroups {
            let group = ReferralCounts.reasonGroup(ofKey: key), route = groupKey.level(.route, of: key)
            guard group < groupsByRoute.count, route < routes.count else { continue }
            groupsByRoute[group][route].add(value)
        }
        for (g, reasonGroup) in groupKey.reasonGroups.enumerated() {
            appendRows(ReasonGroup.dimension, reasonGroup.name, byRoute: groupsByRoute[g], byReason: nil, inSeveralGroups: true)
        }
        return [routeTypeTable, routeTable, reasonTable, pathwayTable]
    }

    /// Rows for the categories of one group (route types, routes, or reasons, which a
    /// referral may have several of): each n against the group's true total, both
    /// controlled on their own (`outputs-v2.md`, "Disclosure control").
    private func shareRows(_ dimension: String, _ group: String, _ categories: [String], _ counts: [Int64], groupTotal: Int64) -> [[Cell]] {
        categories.indices.map { i in
            let share = DisclosureControl.share(
                counts[i], of: groupTotal, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            var cells: [Cell] = [.text(dimension), .text(group), .text(categories[i])]
            cells += [.count(share.numerator), .count(share.denominator)]
            cells += Self.percentCells(share.percent)
            return cells + [.flag(share.isSuppressed), controlLabel]
        }
    }

    /// A percentage cell: empty when withheld.
    private static func percent(_ value: Double?) -> Cell { .decimal(value, places: percentPlaces) }

    /// Percent, ci_low and ci_high cells: empty when the share is withheld.
    private static func percentCells(_ percent: (value: Double, low: Double, high: Double)?) -> [Cell] {
        [Self.percent(percent?.value), Self.percent(percent?.low), Self.percent(percent?.high)]
    }

    /// One pathway row: `referred` is the denominator, controlled on its own; each
    /// percentage comes from its controlled numerator and the controlled denominator.
    /// `inSeveralGroups`: a reason group's row, whose referrals may be in other groups too (said in the note).
    private func pathwayRow(_ dimension: String, _ group: String, _ routeType: String, _ counts: OutcomeCounts, inSeveralGroups: Bool = false) -> [Cell] {
        let contacted = DisclosureControl.share(
            counts.contacted, of: counts.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo,
            roundTo: disclosure.roundTo)
        let intervention = DisclosureControl.share(
            counts.intervention, of: counts.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo,
            roundTo: disclosure.roundTo)
        // A share whose field is not recorded is withheld (absent is not zero), and is
        // no reason to flag the row suppressed.
        let contactedNote = recording.contactedShareNote, interventionNote = recording.interventionShareNote
        let suppressed =
            (contactedNote == nil && contacted.isSuppressed) || (interventionNote == nil && intervention.isSuppressed)
            || contacted.denominator == nil
        // A route type with no referral in the group has no percentage (not 0): said
        // unless both shares are withheld for their fields anyway.
        let noReferrals = contacted.denominator == 0 && (contactedNote == nil || interventionNote == nil) ? PathwayColumn.Note.noReferrals : nil
        let several = inSeveralGroups ? PathwayColumn.Note.countedInEachReasonGroup : nil
        let note = [contactedNote, interventionNote, noReferrals, several].compactMap { $0 }.joined(separator: FieldNote.separator)
        return [
            .text(dimension), .text(group), .text(routeType), .count(contacted.denominator),
            contactedNote == nil ? .count(contacted.numerator) : .empty, interventionNote == nil ? .count(intervention.numerator) : .empty,
            contactedNote == nil ? Self.percent(contacted.percent?.value) : .empty,
            interventionNote == nil ? Self.percent(intervention.percent?.value) : .empty, note.isEmpty ? .empty : .text(note),
            .flag(suppressed), controlLabel,
        ]
    }
}
