import SPRXAggregate
import SPRXCore
import SPRXPipeline

/// A breakdown the report charts by route mix: a table dimension of one grouping
/// (built-in or declared in the pipeline), or the pipeline's reason groups.
///
/// Design note: the list comes from the run's ``GroupKeySchema`` (its
/// ``GroupKeySchema/tableDimensions`` and ``GroupKeySchema/reasonGroups``), so a
/// dimension the pipeline declares is charted as the built-in ones are, titled by its
/// one declaration (``Grouping/title``); the report keeps no list of dimensions.
struct Breakdown {
    /// The tables' `dimension`.
    let name: String
    /// What the page calls it (``Grouping/title``; "Reason group" for the reason groups).
    let title: String
    /// Whether the route-mix chart is one click away (on screen, not in print).
    let behind: Bool
    /// Whether the breakdown has a pathway chart of its own (reaching a link worker and
    /// an intervention by group): the declared dimensions and the reason groups. The
    /// built-in ones' differences in contact and intervention are the models' to show,
    /// adjusted for each other (the shipped models adjust for every one of them).
    let pathway: Bool
    /// The reasons each reason group holds, by group name (empty for a grouping).
    let reasons: [String: [String]]

    /// Whether this is the reason groups (a referral counted in every group one of its reasons is in).
    var isReasonGroups: Bool { name == ReasonGroup.dimension }

    /// The id part of the breakdown's charts (`age-band`, `reason-group`).
    var id: String { name.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: "_", with: "-") }

    /// Built-in groupings charted one click away: a secondary view.
    static let secondary: Set<String> = [Grouping.Name.rurality]
}

extension Report {
    /// The breakdowns a run's route-mix and pathway charts are drawn for, in page order:
    /// every table dimension of one grouping, in the tables' order except that of the
    /// groupings reading one field the coarsest comes first and the finer ones follow
    /// it one click away (deprivation quintiles, then deciles); then the reason groups.
    static func breakdowns(_ groupKey: GroupKeySchema) -> [Breakdown] {
        let groupings = groupKey.tableDimensions.compactMap { $0.groupings.count == 1 ? $0.groupings[0] : nil }
        /// The first position of a grouping reading the same field.
        func field(_ grouping: Grouping) -> Int { groupings.firstIndex { $0.axis == grouping.axis } ?? 0 }
        /// Whether a coarser grouping of the same field is charted too.
        func finer(_ grouping: Grouping) -> Bool {
            grouping.levelOfField == nil && groupings.contains { $0.axis == grouping.axis && $0.levelOfField != nil }
        }
        let ordered = groupings.enumerated().sorted { a, b in
            let fa = field(a.element), fb = field(b.element)
            if fa != fb { return fa < fb }
            if finer(a.element) != finer(b.element) { return !finer(a.element) }
            return a.offset < b.offset
        }.map(\.element)
        var out = ordered.map { grouping in
            Breakdown(
                name: grouping.name, title: grouping.title, behind: finer(grouping) || Breakdown.secondary.contains(grouping.name),
                pathway: grouping.axis.declaredIndex != nil, reasons: [:])
        }
        if !groupKey.reasonGroups.isEmpty {
            let reasons = groupKey.grouping(named: Grouping.Name.reason)?.levels ?? []
            out.append(
                Breakdown(
                    name: ReasonGroup.dimension, title: DisplayNames.reasonGroupTitle, behind: false, pathway: true,
                    reasons: Dictionary(
                        groupKey.reasonGroups.map { group in (group.name, group.reasons.compactMap { $0 < reasons.count ? reasons[$0] : nil }) },
                        uniquingKeysWith: { a, _ in a })))
        }
        return out
    }

    /// The run section's line on what the pipeline declares beyond the built-in
    /// breakdowns, and where each is used; `nil` when it declares none.
    static func declaredSentence(_ context: ReportContext) -> String? {
        let groupKey = context.groupKey
        var parts = groupKey.declared.map { dimension in
            let uses =
                (dimension.tables ? ["charted by route type and pathway, in the trends table"] : [])
                + (dimension.model ? ["a covariate the models may adjust for"] : [])
            return "\(dimension.title) (\(uses.joined(separator: "; ")))"
        }
        if !groupKey.reasonGroups.isEmpty {
            parts.append(
                "reason groups \(ReportContext.listed(groupKey.reasonGroups.map { DisplayNames.readable($0.name) })) (a referral counted in every group one of its reasons is in)"
            )
        }
        return parts.isEmpty ? nil : "Breakdowns the pipeline declares beyond the built-in ones: " + parts.joined(separator: "; ") + "."
    }

    /// A group of a breakdown as the page shows it: a reason group's name in words, any
    /// other group as published.
    static func groupLabel(_ breakdown: Breakdown, _ group: String) -> String {
        breakdown.isReasonGroups ? DisplayNames.readable(group) : group
    }

    /// What the reason groups hold and how they are counted, for their charts' captions:
    /// "A referral is counted in every group one of its reasons is in (…). Mental
    /// wellbeing: mental health, loneliness or isolation."
    static func reasonGroupsNote(_ breakdown: Breakdown, groups: [String], _ label: Labels) -> String {
        let held = groups.compactMap { group in
            breakdown.reasons[group].map { "\(DisplayNames.readable(group)): \($0.map { label.inSentence(.reason, $0) }.joined(separator: ", "))" }
        }
        return "A referral is counted in every group one of its reasons is in, so the groups' totals add up to more than the referrals"
            + (held.isEmpty ? "." : ". " + held.joined(separator: "; ") + ".")
    }

    /// A breakdown's pathway rows for every route type together, one per group in the tables' order.
    static func pathwayGroupRows(_ numbers: ReportNumbers, _ breakdown: Breakdown) -> [[Cell]] {
        numbers.groups(breakdown.name).compactMap { group in
            numbers.pathway.first([.dimension: breakdown.name, .group: group, .routeType: DisplayNames.allRouteTypes])
        }
    }

    static let pathwayGroupHeader = ["Group", "Referred", "Contacted", "Intervention", "% contacted", "% intervention"]

    /// A breakdown's pathway row as the page says it.
    static func pathwayGroupCells(_ row: [Cell], _ breakdown: Breakdown) -> [String] {
        [
            groupLabel(breakdown, row[PathwayColumn.group].shown), cell(row, .referred), cell(row, .contacted), cell(row, .intervention),
            cell(row, .pctContacted), cell(row, .pctIntervention),
        ]
    }
}

extension DisplayNames {
    /// The reason groups' dimension on the page.
    static let reasonGroupTitle = "Reason group"

    /// Each dimension's title by its name: the groupings' own (``Grouping/title``),
    /// crossed dimensions' as one name ("Nation × deprivation quintile (each nation's
    /// own index)"), every referral's and the reason groups'.
    static func titles(of groupKey: GroupKeySchema) -> [String: String] {
        var titles = [TableDimension.all: "All referrals", ReasonGroup.dimension: reasonGroupTitle]
        for grouping in groupKey.groupings { titles[grouping.name] = grouping.title }
        for dimension in groupKey.tableDimensions where dimension.groupings.count > 1 {
            titles[dimension.name] = crossedTitle(dimension.groupings.map(\.title))
        }
        return titles
    }

    /// Titles of crossed groupings as one name: "Nation × deprivation quintile" (the
    /// report's and the codebook's).
    package static func crossedTitle(_ titles: [String]) -> String {
        titles.enumerated().map { $0 == 0 ? $1 : inSentence($1) }.joined(separator: " × ")
    }

    /// A title inside a sentence: its first letter lower case, unless its first word is
    /// an abbreviation written in capitals ("LGBT+ status" stays as written) or the title
    /// is in title case ("Welsh Language Preference" stays as written: lowering only its
    /// first letter gave "welsh Language Preference", and its first word may be a name).
    static func inSentence(_ title: String) -> String {
        let first = title.prefix { !$0.isWhitespace }
        if first.count > 1, first.dropFirst().first?.isUppercase == true { return title }
        if title.split(whereSeparator: \.isWhitespace).dropFirst().contains(where: { $0.first?.isUppercase == true }) { return title }
        return title.prefix(1).lowercased() + title.dropFirst()
    }

    /// The groups of the built-in groupings alone: the titles a sentence from elsewhere
    /// in sprx (a model's message, a warning) is said with, as it carries no schema.
    static let builtInTitles: [String: String] = {
        do throws(GroupKeySchema.Overflow) {
            return titles(of: try GroupKeySchema(ageBands: [], routes: [], reasons: []))
        } catch {
            // The built-in groups alone always fit the key (the shipped pipelines' do, with more).
            preconditionFailure("the built-in groups do not fit the key: \(error.message)")
        }
    }()
}
