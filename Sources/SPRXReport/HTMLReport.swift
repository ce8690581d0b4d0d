import SPRXAggregate
import SPRXCore
import SPRXModels
import SPRXPipeline

/// `report.html` and `report.md`: the published tables and the run, for people.
///
/// Both are built from the same ``ReportNumbers`` (read from the tidy tables the CSVs
/// hold) and ``ReportContext``; neither carries a time stamp or an absolute path, so the
/// same inputs give the same bytes. The HTML is one file: inline CSS, inline SVG, no
/// script, nothing fetched.
///
/// One clean-referral figure: page 1 gives the total the tables give (rounded when
/// disclosure control is on, and said so); the exact count of clean records from
/// `data_quality.csv` (`all`, `clean`) is set beside it once, in the appendix; every
/// count from a disclosure-controlled table is said to be rounded where it is shown.
public enum Report {
    /// The headline figures in one line (for the end of `sprx run` and `make report`).
    public static func headline(tables: PublishedTables) -> String {
        let numbers = ReportNumbers(tables: tables)
        guard numbers.hasReferrals else { return "headlines: no clean referrals" }
        func pct(_ value: String?) -> String { value.map { "\($0)%" } ?? "suppressed" }
        return
            "headlines: \(numbers.cleanReferrals.map(grouped) ?? "an unrecorded number of") clean referrals; routes medical \(pct(numbers.share(.medical))), "
            + "non-medical \(pct(numbers.share(.nonMedical))), unknown \(pct(numbers.share(.unknown))); "
            + "reached a link worker \(pathwayHeadline(numbers, .pctContacted)), an intervention \(pathwayHeadline(numbers, .pctIntervention))"
    }

    // MARK: HTML

    public static func html(tables: PublishedTables, context: ReportContext) -> String {
        let numbers = ReportNumbers(tables: tables)
        let label = Labels(context)
        // Page 1, the questions in order (each opening with its finding), references, appendix.
        let body: [Node] = [
            summarySection(numbers, context, label),
            whoSection(numbers, context, label),
            withLead(reachSection(numbers, context), lead("reach", numbers, context, label)),
            withLead(trendsSection(numbers, context, label), lead("trends", numbers, context, label)),
            withLead(placeSection(numbers, context), lead("organisations", numbers, context, label)),
            withLead(modelsSection(numbers, context, label), lead("models", numbers, context, label)),
            referencesSection(),
            appendixSection(numbers, context, label),
            el(
                "footer", [],
                [
                    el(
                        "p",
                        text:
                            "sprx \(context.toolVersion), pipeline \(context.pipelineName). Every number here is in tables/*.csv beside this file; manifest.json records the inputs, reference files and settings."
                    )
                ]),
        ]
        let document = el(
            "html", [("lang", "en-GB")],
            [
                el(
                    "head", [],
                    [
                        el("meta", [("charset", "utf-8")]),
                        el("meta", [("name", "viewport"), ("content", "width=device-width, initial-scale=1")]),
                        el("title", text: title(context) + (context.organisation.map { ": \($0)" } ?? "")),
                        el("style", [], [.trusted(css)]),
                    ]),
                el("body", [], [el("main", [], body)]),
            ])
        return "<!DOCTYPE html>\n" + document.rendered + "\n"
    }

    static func period(_ context: ReportContext) -> String? {
        guard let first = context.firstDay, let last = context.lastDay else { return nil }
        return "\(first) to \(last)"
    }

    /// A table caption with the rounding note when its counts are disclosure-controlled.
    static func controlled(_ caption: String, _ context: ReportContext) -> String {
        context.roundingNote.map { "\(caption). \($0)" } ?? caption
    }

    static let fileCaption =
        "Rows read from each file (exact counts of records, from data_quality.csv): every row is clean, a duplicate (counted once) or quarantined with its reason"

    static func runSection(_ numbers: ReportNumbers, _ context: ReportContext) -> Node {
        section(
            "run", "The run",
            [
                el(
                    "ul", [],
                    [
                        el("li", text: "Period covered: " + (period(context) ?? "no clean referrals"))
                    ] + (cleanReferralsSentence(numbers, context).map { [el("li", text: $0)] } ?? []) + [
                        el("li", text: "Pipeline: \(context.pipelineName) (sha256 \(context.pipelineSHA256.prefix(12))…), sprx \(context.toolVersion)")
                    ] + (declaredSentence(context).map { [el("li", text: $0)] } ?? []) + notRecordedSentences(context).map { el("li", text: $0) }),
                details(
                    tableSummary("rows read from each file", table: .dataQuality),
                    dataTable(caption: fileCaption, header: fileHeader, rows: fileRows(numbers), numeric: [1, 2, 3, 4])),
                details(
                    "Table: reference data files and editions (also in manifest.json)",
                    dataTable(
                        caption: "Reference data (each nation's own deprivation index and rurality classification)", header: ["File", "Edition", "Used for"],
                        rows: context.references.map { [$0.name, $0.edition, $0.use] })),
            ])
    }

    static let noReferrals = "No clean referrals: there is nothing to report."

    static let warningsIntro = "What this run warns about (also in manifest.json, under warnings):"

    /// A warning as nodes, a sentence a person reads ("Warning (name): message."), with what a person types
    /// into a pipeline or a lookup (``DisplayNames/codeSpans(_:)``) verbatim in `<code>`,
    /// YAML nested as it is pasted (a block of its own), so that a fix copied from the
    /// report is the fix the manifest and stderr give.
    static func warningNodes(_ warning: RunWarning) -> [Node] {
        var nodes: [Node] = [.text("Warning (\(DisplayNames.warningName(warning.code).lowercased())): ")]
        for span in DisplayNames.codeSpans(warning.message) {
            guard span.code else {
                nodes.append(.text(DisplayNames.prose(span.text)))
                continue
            }
            let yaml = DisplayNames.pasteable(span.text)
            nodes.append(el("code", yaml.contains("\n") ? [("class", "snippet")] : [], text: yaml))
        }
        // A sentence ends in a full stop, unless it ends in a block of YAML.
        let endsInBlock = DisplayNames.codeSpans(warning.message).last.map { $0.code && DisplayNames.pasteable($0.text).contains("\n") } ?? false
        return nodes + (endsInBlock ? [] : [.text(".")])
    }

    /// A warning in Markdown: its sentence with code in backticks, and nested YAML as a
    /// fenced block after it (indented to sit in a list item).
    static func warningMarkdown(_ warning: RunWarning) -> [String] {
        var line = markdownText("Warning (\(DisplayNames.warningName(warning.code).lowercased())): ")
        var blocks: [String] = []
        for span in DisplayNames.codeSpans(warning.message) {
            guard span.code else {
                line += markdownText(DisplayNames.prose(span.text))
                continue
            }
            let yaml = DisplayNames.pasteable(span.text)
            if yaml.contains("\n") {
                line += "(below)"
                blocks += ["", "  ```yaml"] + yaml.split(separator: "\n").map { "  " + $0 } + ["  ```"]
            } else {
                line += "`" + yaml + "`"
            }
        }
        return [line + "."] + blocks
    }

    static let allSuppressed = "Every figure these sentences rest on is suppressed or absent in this run's tables: there is nothing to report."

    static func routeTypeCategories(_ label: Labels) -> [(name: String, label: String, colour: String)] {
        RouteType.allCases.map { ($0.label, label(.routeType, $0.label), Palette.routeType($0)) }
    }

    static func routeMixSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        let categories = routeTypeCategories(label)
        var children: [Node] = [
            el(
                "p",
                text:
                    "Share of each group's referrals by route type (tables/route_type_by_group.csv), drawn from the group's rounded counts. A hatched segment is a suppressed route type, never drawn as zero or as part of another; a bar whose rounded parts do not add up to its rounded total (each count is rounded on its own: 9 of 11 publishes as 10 of 10) says so beside it, and percentages are written on a bar only where, as written, they add up."
            )
        ]
        let routes = routeRows(numbers, label)
        if !routes.isEmpty {
            children.append(dataTable(caption: controlled(routeCaption, context), header: routeHeader, rows: routes, numeric: [1, 2, 3]))
        }
        for breakdown in breakdowns(context.groupKey) where !numbers.groups(breakdown.name).isEmpty {
            let dimension = breakdown.name
            let groups = numbers.groups(dimension)
            let rows = groups.map { group in
                let cells = categories.map { c in numbers.routeType.first([.dimension: dimension, .group: group, .category: c.name]) }
                // The group's total is on each of its rows: the first published one gives it.
                let total = cells.compactMap { $0 }.first?[ShareColumn.total].count
                return Charts.StackedRow(
                    label: CSVText.neutralised(groupLabel(breakdown, group)), total: total.map { Int($0) },
                    segments: zip(categories, cells).map { c, row in
                        (c.name, row?[ShareColumn.n].count, ReportNumbers.percent(row), row.map { $0[ShareColumn.n].isEmpty } ?? false)
                    })
            }
            let dimensionTitle = breakdown.title
            let title = "Route type by \(DisplayNames.inSentence(dimensionTitle))"
            let counted = breakdown.isReasonGroups ? [el("p", text: reasonGroupsNote(breakdown, groups: groups, label))] : []
            let figure =
                el(
                    "figure", [],
                    [
                        Charts.stackedBars(
                            id: "mix-" + breakdown.id, title: title,
                            description:
                                "Stacked bars, one per group, of the percentage of referrals by medical, non-medical and unknown routes; a hatched segment is a suppressed route type. The same numbers are in the table below.",
                            categories: categories, rows: rows, groupTitle: dimensionTitle, valueTitle: "Percentage of the group's referrals"),
                        el("figcaption", text: title),
                    ] + counted + [
                        details(
                            tableSummary(title, table: .routeTypeByGroup),
                            dataTable(
                                caption: controlled("Referrals by route type, \(DisplayNames.inSentence(dimensionTitle))", context),
                                header: ["Group", "Route type", "n", "Total", "%", "95% CI"], rows: routeTypeRows(numbers, label, breakdown),
                                numeric: [2, 3, 4]))
                    ])
            // Deciles pooled across nations repeat the quintiles more finely (the gradient
            // below gives them within each nation), and rurality is a secondary view: one
            // click away, not printed.
            children.append(
                breakdown.behind
                    ? details("Chart and table: \(title.prefix(1).lowercased() + title.dropFirst()) (all rows: \(TableSchema.routeTypeByGroup.path))", figure)
                    : figure)
        }
        return section("route-mix", "Route mix by group", children)
    }

    static func gradientSection(_ numbers: ReportNumbers, _ context: ReportContext) -> Node {
        let entries = gradientRows(numbers)
        let rows = entries.map(gradientCells)
        var panels: [Charts.Panel] = []
        for entry in entries {
            let point = (
                String(entry.decile), ReportNumbers.percent(entry.row), ReportNumbers.percent(entry.row, ShareColumn.ciLow),
                ReportNumbers.percent(entry.row, ShareColumn.ciHigh)
            )
            if panels.last?.title == entry.nation {
                panels[panels.count - 1].points.append(point)
            } else {
                panels.append(Charts.Panel(title: entry.nation, points: [point]))
            }
        }
        guard !panels.isEmpty else {
            return section("gradient", "The equity gradient", [el("p", text: "No referrals with a known nation and deprivation decile.")])
        }
        let title = "Non-medical share by deprivation decile within each nation (1 = most deprived), with 95% intervals"
        return section(
            "gradient", "The equity gradient",
            [
                el("p", text: "Deciles are each nation's own (IMD, WIMD, SIMD, NIMDM) and are never pooled across nations."),
                el(
                    "figure", [],
                    [
                        Charts.intervalPanels(
                            id: "gradient", title: title,
                            description:
                                "One panel per nation; points are the percentage of referrals through non-medical routes in each deprivation decile, lines the 95% Wilson interval; s marks a suppressed cell.",
                            panels: panels, xTitle: "Deprivation decile (1 = most deprived)", yTitle: "Non-medical share (%)", colour: Palette.nonMedical),
                        el("figcaption", text: title),
                        details(
                            tableSummary(title, table: .routeTypeByGroup),
                            dataTable(
                                caption: controlled("Non-medical referrals by nation and deprivation decile", context),
                                header: ["Nation", "Decile", "n", "Total", "%", "95% CI"], rows: rows, numeric: [2, 3, 4])),
                    ]),
            ])
    }

    static func pathwaySection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        let rows = pathwayRows(numbers)
        let title = "Referral → link worker contact → intervention, by route type"
        // Only the shares whose field is recorded are charted; the others are said in words.
        let measures = [
            (column: PathwayColumn.pctContacted, name: "reached a link worker", colour: Palette.contacted),
            (column: PathwayColumn.pctIntervention, name: "received an intervention", colour: Palette.intervention),
        ].filter { numbers.pathwayAllWithheld($0.column) == nil }
        let withheld = [PathwayColumn.pctContacted, .pctIntervention].compactMap { column in
            numbers.pathwayAllWithheld(column).map {
                "Whether referrals \(column == .pctContacted ? "reached a link worker" : "received an intervention") is \($0), so it is not charted."
            }
        }
        var children: [Node] = withheld.map { el("p", text: $0) }
        if !measures.isEmpty {
            children.append(
                el(
                    "figure", [],
                    [
                        Charts.groupedBars(
                            id: "pathway", title: title,
                            description: "For each route type, the percentage of referrals that " + measures.map(\.name).joined(separator: " and that ") + ".",
                            measures: measures.map { ($0.name, $0.colour) },
                            rows: rows.map { row in
                                (label(.routeType, row[PathwayColumn.routeType].shown), measures.map { ReportNumbers.percent(row, $0.column) })
                            },
                            groupTitle: "Route type", valueTitle: "Percentage of the route type's referrals",
                            denominators: rows.map { $0[PathwayColumn.referred].value }),
                        el("figcaption", text: title),
                    ]))
        }
        children.append(
            details(
                tableSummary("referred, contacted and helped, by route type", table: .pathwayByGroup),
                dataTable(caption: controlled(title, context), header: pathwayHeader, rows: rows.map { pathwayCells($0, label) }, numeric: [1, 2, 3, 4, 5])))
        for breakdown in breakdowns(context.groupKey) where breakdown.pathway {
            children += pathwayBreakdown(numbers, context, label, breakdown, measures: measures)
        }
        return section("pathway", "From referral to help", children)
    }

    /// A breakdown's pathway chart (reaching a link worker and an intervention, by
    /// group) and its table; nothing when the tables have no row for it.
    static func pathwayBreakdown(
        _ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels, _ breakdown: Breakdown,
        measures: [(column: PathwayColumn, name: String, colour: String)]
    ) -> [Node] {
        let rows = pathwayGroupRows(numbers, breakdown)
        guard !rows.isEmpty else { return [] }
        let title = "Referral → link worker contact → intervention, by \(DisplayNames.inSentence(breakdown.title))"
        let counted = breakdown.isReasonGroups ? [el("p", text: reasonGroupsNote(breakdown, groups: numbers.groups(breakdown.name), label))] : []
        let table = details(
            tableSummary("referred, contacted and helped, by \(DisplayNames.inSentence(breakdown.title))", table: .pathwayByGroup),
            dataTable(
                caption: controlled(title, context), header: pathwayGroupHeader, rows: rows.map { pathwayGroupCells($0, breakdown) },
                numeric: [1, 2, 3, 4, 5]))
        guard !measures.isEmpty else { return [el("figure", [], [el("figcaption", text: title)] + counted + [table])] }
        return [
            el(
                "figure", [],
                [
                    Charts.groupedBars(
                        id: "pathway-" + breakdown.id, title: title,
                        description: "For each group, the percentage of its referrals that " + measures.map(\.name).joined(separator: " and that ") + ".",
                        measures: measures.map { ($0.name, $0.colour) },
                        rows: rows.map { row in
                            (CSVText.neutralised(groupLabel(breakdown, row[PathwayColumn.group].shown)), measures.map { ReportNumbers.percent(row, $0.column) })
                        },
                        groupTitle: breakdown.title, valueTitle: "Percentage of the group's referrals",
                        denominators: rows.map { $0[PathwayColumn.referred].value }),
                    el("figcaption", text: title),
                ] + counted + [table])
        ]
    }

    static func reasonsSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        let rows = numbers.reasons.select([.dimension: allGroups, .group: allGroups])
        let title = "Referral reasons (a referral may give several)"
        return section(
            "reasons", "Why people are referred",
            [
                el(
                    "figure", [],
                    [
                        Charts.groupedBars(
                            id: "reasons", title: title, description: "Percentage of all referrals giving each reason.",
                            measures: [("referrals", Palette.neutral)],
                            rows: sortedReasons(rows).map { (label(.reason, $0[ShareColumn.category].shown), [ReportNumbers.percent($0)]) },
                            groupTitle: "Reason", valueTitle: "Percentage of referrals giving the reason",
                            denominators: sortedReasons(rows).map { $0[ShareColumn.total].value }),
                        el("figcaption", text: title),
                    ]),
                details(
                    tableSummary(title, table: .reasonsByGroup),
                    dataTable(caption: controlled(title, context), header: reasonsHeader, rows: reasonCells(numbers, label), numeric: [1, 2, 3])),
            ])
    }

    /// What the models' ratios are (the section's method note).
    static let modelsMethod =
        "Odds ratios (logistic models) and incidence rate ratios (negative binomial models) against each covariate's reference level, adjusted for the other covariates, with 95% Wald intervals from cluster-robust (CR1) standard errors by organisation when the data name organisations. Average marginal effects are in percentage points."

    static func modelsSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        var children: [Node] = methodNotes([modelsMethod])
        if context.models.isEmpty { children.append(el("p", text: "The pipeline declares no models.")) }
        for summary in context.models {
            var parts: [Node] = [el("h3", text: modelHeading(summary))]
            guard summary.status == .fitted else {
                // A model whose field is not recorded is not a failure: said plainly, once.
                let notRecorded = summary.status == ModelRunSummary.notRecorded
                parts.append(el("p", notRecorded ? [] : [("class", "warning")], text: "Not fitted: \(notFittedReason(summary))."))
                children.append(el("div", [("class", "model")], parts))
                continue
            }
            let ratios = ratioRows(numbers, summary)
            parts.append(el("p", text: modelSize(numbers, summary, context)))
            let logistic = summary.family == ModelFamilyName.logistic.rawValue
            let ratioName = logistic ? "Odds ratio" : "Rate ratio"
            let title = "\(DisplayNames.modelName(summary.name, outcome: summary.outcome)): \(ratioName.lowercased())s with 95% intervals (log scale)"
            func forest(compact: Bool) -> Node {
                Charts.forestPlot(
                    id: "forest-\(summary.name)\(compact ? "-print" : "")", title: title,
                    description:
                        "Forest plot: one row per covariate level, the square the ratio against the reference level, the line its 95% interval; 1 means no difference.",
                    rows: ratios.map { row in
                        let term = row[ModelColumn.term].shown
                        return (
                            forestLabel(term, row[ModelColumn.level].shown, row[ModelColumn.reference].shown, label),
                            row[ModelColumn.estimate].value, row[ModelColumn.ciLow].value, row[ModelColumn.ciHigh].value
                        )
                    },
                    colour: logistic ? Palette.nonMedical : Palette.contacted, valueTitle: "\(ratioName) (log scale; 1 = no difference)",
                    compact: compact)
            }
            parts.append(
                el(
                    "figure", [],
                    [
                        el("div", [("class", "screen-only")], [forest(compact: false)]),
                        el("div", [("class", "print-only")], [forest(compact: true)]),
                        el("figcaption", text: title),
                    ]))
            let estimates = modelTable(numbers, summary, label)
            let estimatesTitle = "\(DisplayNames.modelName(summary.name, outcome: summary.outcome)): estimates"
            parts.append(
                details(
                    tableSummary(estimatesTitle, table: .models),
                    dataTable(caption: estimatesTitle, header: estimates.header, rows: estimates.rows, numeric: [3, 4, 5])))
            children.append(el("div", [("class", "model")], parts))
        }
        return section("models", "Who is reached by which route: models", children)
    }

    static let qualityIntro =
        "Exact counts of records, not people, from tables/data_quality.csv (all its rows): not rounded, because they describe the extract, not the population."
    static let quarantineCaption =
        "Quarantined rows by reason, largest first, equal counts in the order of their reason ids (the raw rows are in quarantine/rejected.csv.gz, readable by the owner only)"
    static let unmappedCaption = "Referrals with a label that no list in the pipeline file names, by field (counted as unknown, never guessed)"
    static let unmappedLabelCaption =
        "Unmapped labels from tables/unmapped_labels.csv: only labels seen often enough and short enough to publish; the rest are counted as (other labels); the full list is in quarantine/unmapped_labels.csv, readable by the owner only"
    static let areaCaption = "Area codes not matched to a small area, by nation"

    static func qualitySection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        guard !numbers.quality.all.isEmpty else {
            return section("quality", "Data quality", [el("p", text: "tables/data_quality.csv gives no figures for the whole run.")])
        }
        let labels = unmappedLabelRows(numbers, label)
        let warnings: [Node] =
            context.warnings.isEmpty
            ? [] : [el("p", text: warningsIntro), el("ul", [], context.warnings.map { el("li", [("class", "warning")], warningNodes($0)) })]
        return section(
            "quality", "Data quality",
            warnings + [
                el("p", text: qualityIntro),
                details(
                    tableSummary("quarantined rows by reason", table: .dataQuality),
                    dataTable(caption: quarantineCaption, header: quarantineHeader, rows: quarantineRows(numbers, label), numeric: [1])),
                details(
                    tableSummary("unmapped labels by field", table: .dataQuality),
                    dataTable(caption: unmappedCaption, header: unmappedHeader, rows: unmappedFieldRows(numbers, label), numeric: [1])),
                details(
                    tableSummary("unmapped labels", table: .unmappedLabels),
                    dataTable(
                        caption: controlled(unmappedLabelCaption, context), header: unmappedLabelHeader, rows: labels.isEmpty ? [["none", "", "0"]] : labels,
                        numeric: [2])),
                details(
                    tableSummary("area codes not matched", table: .dataQuality),
                    dataTable(caption: areaCaption, header: areaHeader, rows: areaRows(numbers), numeric: [1])),
            ])
    }

    // MARK: Helpers

    static func section(_ id: String, _ title: String, _ children: [Node]) -> Node {
        el("section", [("id", id), ("aria-labelledby", "\(id)-h")], [el("h2", [("id", "\(id)-h")], text: title)] + children)
    }

    /// Detail behind a closed `<details>`: shown on screen when opened, left out of print
    /// (the print note says where it is). A table whose every figure is suppressed is
    /// already one sentence and stays in view, so print never loses a sentence saying
    /// that something is withheld.
    static func details(_ summary: String, _ content: Node) -> Node {
        details(summary, [content])
    }

    /// Detail behind a closed `<details>` (``details(_:_:)-swift.type.method``), several nodes.
    static func details(_ summary: String, _ content: [Node]) -> Node {
        let collapsed = content.filter(isCollapsedTable)
        let rest = content.filter { !isCollapsedTable($0) }
        guard !rest.isEmpty else { return content.count == 1 ? content[0] : el("div", [], content) }
        let box = el("details", [], [el("summary", text: summary)] + rest)
        return collapsed.isEmpty ? box : el("div", [], collapsed + [box])
    }

    /// Whether `node` is a table said as one sentence (every figure suppressed).
    static func isCollapsedTable(_ node: Node) -> Bool {
        guard case .element("p", let attributes, _) = node else { return false }
        return attributes.contains { $0.0 == "class" && $0.1 == "collapsed" }
    }

    /// The closed details' summary for a table: "Table: title (all rows: tables/x.csv)";
    /// `table` is the published table's schema.
    static func tableSummary(_ title: String, table: TableSchema) -> String {
        "Table: \(title) (all rows: \(table.path))"
    }

    /// A section's notes on method behind a closed details ("How these figures are
    /// made"); `inView`, the notes that say what the figures leave out, stay in view
    /// under their own heading, so print never loses them.
    static func methodNotes(_ notes: [String], inView: [String] = [], heading: String? = "What these figures leave out") -> [Node] {
        let methods = notes.filter { !inView.contains($0) }
        var nodes: [Node] = []
        if !inView.isEmpty {
            nodes += (heading.map { [el("h3", text: $0)] } ?? []) + [el("ul", [], inView.map { el("li", text: $0) })]
        }
        if !methods.isEmpty { nodes.append(details("How these figures are made", el("ul", [], methods.map { el("li", text: $0) }))) }
        return nodes
    }

    /// Said once, in print only: where the tables behind "Table: …" on screen are.
    static let printNote =
        "In print, the longer tables are left out: they are in the on-screen report (report.html, under \"Table: …\") and, every row, in the tables/*.csv files it names."

    /// A count or percentage cell as the page says it (``NumberFormat``), "suppressed" when empty in a suppressed row.
    static func cell<Column: SuppressibleColumn>(_ row: [Cell]?, in column: Column) -> String {
        guard let row else { return "" }
        return printed(row, column) ?? (row[Column.suppressed].flag == true ? "suppressed" : "")
    }

    static func cell(_ row: [Cell]?, _ column: ShareColumn) -> String { cell(row, in: column) }
    static func cell(_ row: [Cell]?, _ column: PathwayColumn) -> String { withheld(row, column).map { _ in "not recorded" } ?? cell(row, in: column) }
    static func cell(_ row: [Cell]?, _ column: ModelColumn) -> String { cell(row, in: column) }

    /// The denominator of a percentage column of `row` (its published total), `nil` when
    /// the column is not a percentage of referrals.
    static func percentDenominator<Column: TableColumn>(_ row: [Cell], _ column: Column) -> Double?? {
        switch column {
        case let c as ShareColumn where [.percent, .ciLow, .ciHigh].contains(c): return .some(row[ShareColumn.total].value)
        case let c as PathwayColumn where c == .pctContacted || c == .pctIntervention: return .some(row[PathwayColumn.referred].value)
        case let c as OrganisationColumn where [.value, .overall, .lower95, .upper95, .lower998, .upper998].contains(c):
            return .some(row[OrganisationColumn.denominator].value)
        default: return nil
        }
    }

    /// A cell of `row` as the page says it: a percentage by its row's denominator, any
    /// other number by its kind (``printed(_:)``); `nil` when empty.
    static func printed<Column: TableColumn>(_ row: [Cell], _ column: Column) -> String? {
        guard let denominator = percentDenominator(row, column) else { return printed(row[column]) }
        return NumberFormat.text(row[column], as: .percent(of: denominator))
    }

    /// A percentage's 95% interval limits "low–high" with the estimate's decimals; `nil` when either is empty.
    static func percentRange<Column: TableColumn>(_ row: [Cell], _ low: Column, _ high: Column) -> String? {
        guard let l = row[low].value, let h = row[high].value else { return nil }
        let places = NumberFormat.percentPlaces(denominator: percentDenominator(row, low) ?? nil)
        return NumberFormat.range(NumberFormat.percentLimit(l, places: places), NumberFormat.percentLimit(h, places: places))
    }

    /// A share's 95% interval as the page says it, "suppressed" when withheld in a suppressed row.
    static func interval(_ row: [Cell]) -> String {
        guard let range = percentRange(row, ShareColumn.ciLow, ShareColumn.ciHigh) else {
            return row[ShareColumn.suppressed].flag == true ? "suppressed" : ""
        }
        return range
    }

    /// p for people: 3 decimals, `<0.001` below that (models.csv keeps 4 significant digits).
    static func pValue(_ row: [Cell]) -> String {
        guard let p = row[ModelColumn.pValue].value else { return cell(row, ModelColumn.pValue) }
        return NumberFormat.pValue(p)
    }

    /// A model's heading: what it explains and how, in words (the model's id stays in models.csv).
    static func modelHeading(_ summary: ModelRunSummary) -> String {
        let kind = summary.family == ModelFamilyName.logistic.rawValue ? "logistic regression" : "negative binomial regression"
        let name = DisplayNames.modelName(summary.name, outcome: summary.outcome)
        return summary.name == summary.outcome
            ? "\(name): \(kind)" : "\(name): \(kind) of \(DisplayNames.outcomeName(summary.outcome))"
    }

    /// A ratio with its 95% interval, 2 decimals.
    static func ratio(_ row: [Cell]) -> String { estimate(row, places: 2, to: "–") }

    /// An average marginal effect in points with its 95% interval, 1 decimal.
    static func ratioPP(_ row: [Cell]) -> String { estimate(row, places: 1, to: " to ") }

    /// A model row's estimate and interval rounded for people (true minus signs); "suppressed" when suppressed.
    static func estimate(_ row: [Cell], places: Int, to: String) -> String {
        guard let estimate = row[ModelColumn.estimate].value else { return row[ModelColumn.suppressed].flag == true ? "suppressed" : "" }
        let low = row[ModelColumn.ciLow].value.map { NumberFormat.decimal($0, places: places) } ?? ""
        let high = row[ModelColumn.ciHigh].value.map { NumberFormat.decimal($0, places: places) } ?? ""
        return "\(NumberFormat.decimal(estimate, places: places)) (\(to == "–" ? NumberFormat.range(low, high) : low + to + high))"
    }

    /// A forest plot's row label, short and complete: "IMD Q1 (most deprived) vs Q5",
    /// "Age 0-17 vs 45-54", "Nation: Wales vs England".
    static func forestLabel(_ term: String, _ level: String, _ reference: String, _ label: Labels) -> String {
        // The level's end of the scale is said; the reference's is known from the level's.
        func end(_ value: String, _ first: String, _ last: String) -> String {
            value == first ? " (most deprived)" : value == last ? " (least deprived)" : ""
        }
        switch term {
        case Grouping.Name.imdQuintile: return "IMD Q\(level)\(end(level, "1", "5")) vs Q\(reference)"
        case Grouping.Name.imdDecile: return "IMD D\(level)\(end(level, "1", "10")) vs D\(reference)"
        case Grouping.Name.ageBand: return "Age \(level) vs \(reference)"
        default: return "\(label(.dimension, term)): \(Report.level(term, level, label)) vs \(Report.level(term, reference, label))"
        }
    }

    /// Reason rows by published percentage, largest first (suppressed last), ties in the table's order.
    static func sortedReasons(_ rows: [[Cell]]) -> [[Cell]] {
        rows.enumerated().sorted { a, b in
            let x = ReportNumbers.percent(a.element) ?? -1, y = ReportNumbers.percent(b.element) ?? -1
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
    }

    /// 12345 → "12,345" (``NumberFormat/count(_:)-swift.type.method``).
    static func grouped(_ value: Int) -> String { NumberFormat.count(value) }
}

extension Optional where Wrapped == String {
    var orEmpty: String { self ?? "" }
}
