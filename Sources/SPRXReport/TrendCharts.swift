import SPRXAggregate
import SPRXCore
import SPRXPipeline

extension Charts {
    /// One line of a time panel: a point (or nothing, where the table has no row) per axis slot.
    struct TimeSeries {
        var label: String
        var colour: String
        var points: [TrendPoint?]
    }

    /// One panel of small multiples over time (a nation, a route type).
    struct TimePanel {
        var title: String
        var series: [TimeSeries]
    }

    /// Small multiples over a shared time axis: each series a line with its 95% interval
    /// as a band (or, with `bars`, a column per interval for counts). A suppressed
    /// interval breaks the line and is marked `s` at the foot of the panel; an interval
    /// without a value is a gap; a partial interval's marker (or column) is hollow. The
    /// y scale from 0 is shared by the panels; series are told apart by shape too.
    /// `compact`: up to three panels a row, lower, the years alone on the time axis (the
    /// A4 print's version, whose pages are full).
    static func timePanels(
        id: String, title: String, description: String, axis: [String], panels: [TimePanel], yTitle: String, bars: Bool = false,
        compact: Bool = false, valueText: (Double) -> String
    ) -> Node {
        let columns = compact ? min(3, max(1, panels.count)) : panels.count > 1 ? 2 : 1
        let panelWidth = compact ? (880 - 20 * Double(columns - 1)) / Double(columns) - 20 : columns == 1 ? 860.0 : 420.0
        let panelHeight = compact ? 108.0 : 160.0
        let rowsOfPanels = (panels.count + columns - 1) / columns
        let width = Double(columns) * (panelWidth + 20) + 10
        let values = panels.flatMap { $0.series.flatMap { $0.points.compactMap { $0.flatMap { $0.high ?? $0.value } } } }.filter(\.isFinite)
        let maximum = values.max() ?? 1
        let step = tickStep(maximum)
        let yMax = max(step, (maximum / step).rounded(.up) * step)
        let places = tickPlaces(step)
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        // Legend: series, band, partial, suppressed.
        let series = panels.first?.series ?? []
        // In rows as wide as the chart; `mark` draws an item's mark at its place (x, centre y).
        var layout = LegendLayout(left: 62, right: width - 10)
        func legend(_ text: String, _ mark: (Double, Double) -> Node) {
            let at = layout.place(markWidth: 14, text: text)
            children.append(mark(at.x, at.y))
            children.append(el("text", [("x", n(at.x + 14)), ("y", n(at.y + 4)), ("class", "small")], text: text))
        }
        for (s, item) in series.enumerated() {
            legend(item.label) { x, y in
                bars
                    ? el("rect", [("x", n(x)), ("y", n(y - 6)), ("width", "10"), ("height", "10"), ("fill", item.colour)])
                    : marker(s, x: x + 5, y: y, colour: item.colour, title: nil)
            }
        }
        if !bars {
            legend("95% interval") { x, y in
                el(
                    "rect",
                    [
                        ("x", n(x)), ("y", n(y - 5)), ("width", "10"), ("height", "10"), ("fill", series.first?.colour ?? Palette.neutral),
                        ("fill-opacity", "0.25"),
                    ])
            }
        }
        legend("partial interval") { x, y in
            bars
                ? el(
                    "rect",
                    [
                        ("x", n(x)), ("y", n(y - 6)), ("width", "10"), ("height", "10"), ("fill", Palette.page), ("stroke", Palette.ink),
                        ("stroke-dasharray", "2 1"),
                    ])
                : el("circle", [("cx", n(x + 5)), ("cy", n(y)), ("r", "4"), ("fill", Palette.page), ("stroke", Palette.ink), ("stroke-width", "1.5")])
        }
        legend("suppressed") { x, y in el("text", [("x", n(x + 2)), ("y", n(y + 4)), ("class", "small")], text: "s") }
        let legendHeight = 26 + layout.extraHeight
        let labels = tickLabels(from: 0, through: yMax, step: step, places: places)
        // The y title in lines no longer than the distance between stacked panels, less
        // a gap (their titles never meet); its further lines push the plot right.
        let titleLength = panelHeight + 20 - 8
        let titleExtra = rotatedTitle(yTitle, x: 0, middle: 0, length: titleLength).extra

        // Axis labels: the first slot and the first of each year (January, or Q1).
        let yearStarts = axis.indices.filter { axis[$0].hasPrefix("Jan ") || axis[$0].hasSuffix(" Q1") }
        // Compact: the year alone, at each year's start (and the first slot when a year's width is free before the next).
        func year(_ label: String) -> String { label.split(separator: " ").first { $0.count == 4 && $0.allSatisfy(\.isNumber) }.map(String.init) ?? label }
        let labelled =
            compact
            ? (yearStarts.first.map { $0 * 12 >= axis.count } ?? true ? [0] : []) + yearStarts.filter { $0 > 0 }
            : [0] + yearStarts.filter { $0 > 0 }
        for (p, panel) in panels.enumerated() {
            let ox = Double(p % columns) * (panelWidth + 20) + 10
            let oy = legendHeight + Double(p / columns) * (panelHeight + 20) + 6
            let left = plotLeft(origin: ox, least: 62, reserved: 16 + titleExtra, labels: labels), right = ox + panelWidth - 10, topY = oy + 24
            let bottom = oy + panelHeight - 34
            func yOf(_ v: Double) -> Double { bottom - (bottom - topY) * min(max(v, 0), yMax) / yMax }
            let slot = (right - left) / Double(max(1, axis.count))
            func xOf(_ i: Int) -> Double { left + slot * (Double(i) + 0.5) }
            children.append(el("text", [("x", n((left + right) / 2)), ("y", n(oy + 14)), ("text-anchor", "middle"), ("class", "panel")], text: panel.title))
            // A panel with no published value is one sentence, not a row of "s".
            guard panel.series.contains(where: { $0.points.contains { $0?.value != nil } }) else {
                let suppressed = panel.series.contains { $0.points.contains { $0?.suppressed == true } }
                children.append(
                    el(
                        "text", [("x", n((left + right) / 2)), ("y", n((topY + bottom) / 2)), ("text-anchor", "middle"), ("class", "small")],
                        text: suppressed ? "Every interval is suppressed (too few referrals to publish)." : "No figures."))
                continue
            }
            let middle = (topY + bottom) / 2
            children.append(rotatedTitle(yTitle, x: ox + 10, middle: middle, length: titleLength).node)
            children += gridlines(from: 0.0, through: yMax, step: step, places: places, left: left, right: right, yOf: yOf)
            for i in labelled {
                let x = xOf(i)
                children.append(el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(bottom)), ("y2", n(bottom + 4)), ("stroke", Palette.ink)]))
                children.append(
                    el("text", [("x", n(x)), ("y", n(bottom + 15)), ("text-anchor", "middle"), ("class", "small")], text: compact ? year(axis[i]) : axis[i]))
            }
            for (s, line) in panel.series.enumerated() {
                let name = "\(panel.title), \(line.label)"
                if bars {
                    let width = max(1, slot * 0.8)
                    for (i, point) in line.points.enumerated() {
                        guard let point, let value = point.value else { continue }
                        var attributes = [("x", n(xOf(i) - width / 2)), ("y", n(yOf(value))), ("width", n(width)), ("height", n(bottom - yOf(value)))]
                        attributes += point.partial ? [("fill", Palette.page), ("stroke", line.colour), ("stroke-dasharray", "2 1")] : [("fill", line.colour)]
                        children.append(
                            el("rect", attributes, [el("title", text: "\(name), \(axis[i]): \(valueText(value))\(point.partial ? " (partial interval)" : "")")])
                        )
                    }
                } else {
                    // Runs of consecutive slots with a value: a band and a line each.
                    var runs: [[Int]] = [[]]
                    for (i, point) in line.points.enumerated() {
                        if point?.value != nil { runs[runs.count - 1].append(i) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
                    }
                    for run in runs where !run.isEmpty {
                        let banded = run.filter { line.points[$0]?.low != nil && line.points[$0]?.high != nil }
                        if banded.count == run.count, run.count > 1 {
                            let upper = run.map { "\(n(xOf($0))) \(n(yOf(line.points[$0]!.high!)))" }
                            let lower = run.reversed().map { "\(n(xOf($0))) \(n(yOf(line.points[$0]!.low!)))" }
                            children.append(
                                el("path", [("d", "M" + (upper + lower).joined(separator: "L") + "Z"), ("fill", line.colour), ("fill-opacity", "0.25")]))
                        } else {
                            for i in banded {
                                let point = line.points[i]!
                                children.append(
                                    el(
                                        "line",
                                        [
                                            ("x1", n(xOf(i))), ("x2", n(xOf(i))), ("y1", n(yOf(point.low!))), ("y2", n(yOf(point.high!))),
                                            ("stroke", line.colour),
                                        ]))
                            }
                        }
                        if run.count > 1 {
                            let d = "M" + run.map { "\(n(xOf($0))) \(n(yOf(line.points[$0]!.value!)))" }.joined(separator: "L")
                            children.append(el("path", [("d", d), ("fill", "none"), ("stroke", line.colour), ("stroke-width", "1.5")]))
                        }
                    }
                    for (i, point) in line.points.enumerated() {
                        guard let point, let value = point.value else { continue }
                        let interval = point.low.flatMap { low in point.high.map { " (95% CI \(valueText(low))–\(valueText($0)))" } } ?? ""
                        let text = "\(name), \(axis[i]): \(valueText(value))\(interval)\(point.partial ? ", partial interval" : "")"
                        // Every point carries its figures; partial ones are hollow and always drawn.
                        if point.partial {
                            children.append(
                                el(
                                    "circle",
                                    [
                                        ("cx", n(xOf(i))), ("cy", n(yOf(value))), ("r", "4"), ("fill", Palette.page), ("stroke", line.colour),
                                        ("stroke-width", "1.5"),
                                    ],
                                    [
                                        el("title", text: text)
                                    ]))
                        } else {
                            let mark = marker(s, x: xOf(i), y: yOf(value), colour: line.colour, title: text)
                            children.append(axis.count > 24 ? scaled(mark, xOf(i), yOf(value)) : mark)
                        }
                    }
                }
            }
            // Suppressed or empty intervals: one mark per slot at the panel's foot.
            for i in axis.indices {
                let points = panel.series.compactMap { $0.points[i] }.filter { $0.value == nil }
                guard !points.isEmpty else { continue }
                let suppressed = points.contains(where: \.suppressed)
                let which = panel.series.filter { $0.points[i] != nil && $0.points[i]!.value == nil }.map(\.label).joined(separator: ", ")
                children.append(
                    el(
                        "text", [("x", n(xOf(i))), ("y", n(bottom - 3)), ("text-anchor", "middle"), ("class", "small")],
                        [
                            .text(suppressed ? "s" : "—"), el("title", text: "\(panel.title), \(axis[i]): \(which) \(suppressed ? "suppressed" : "no value")"),
                        ]))
            }
        }
        return svg(id: id, width: width, height: legendHeight + Double(rowsOfPanels) * (panelHeight + 20) + 10, children)
    }

    /// A marker drawn at 60% of its size about (x, y), for panels with many intervals.
    static func scaled(_ mark: Node, _ x: Double, _ y: Double) -> Node {
        el("g", [("transform", "translate(\(n(x)) \(n(y))) scale(0.6) translate(\(n(-x)) \(n(-y)))")], [mark])
    }

    private static func n(_ value: Double) -> String { fixed(value, 1) }
}

extension Report {
    /// The series of one panel: `measures` of one dimension's group, each aligned to `axis`.
    static func trendSeries(
        _ figures: TrendFigures, _ interval: TrendColumn.Interval, axis: [String], dimension: String, group: String,
        measures: [(measure: TrendColumn.Measure, label: String, colour: String)]
    ) -> [Charts.TimeSeries] {
        measures.map { item in
            let points = Dictionary(figures.series(item.measure, dimension, group, interval).map { ($0.start, $0) }, uniquingKeysWith: { a, _ in a })
            return Charts.TimeSeries(label: item.label, colour: item.colour, points: axis.map { points[$0] })
        }
    }

    static func trendsSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        let figures = numbers.trends
        guard figures.hasTrends else { return section("trends", trendsTitle, [el("p", text: noTrends)]) }
        let interval = figures.interval
        let slots = figures.axis(interval)
        let starts = slots.map(\.start)
        let axis = starts.map { TrendWording.shortLabel($0, interval) }
        let unit = interval == .month ? "month" : "quarter"
        var children: [Node] = []
        // Each headline trend with the variation icon of its latest month (SPC, as
        // Making Data Count puts it beside the measure), when spc.csv charts the measure.
        let lead = TrendWording.leadByMeasure(figures)
        if !lead.isEmpty {
            children.append(
                el(
                    "ul", [("class", "findings spc-findings")],
                    lead.map { item in
                        let series = figures.spcSeries(item.measure)
                        let icon = series.isCharted ? series.variation : nil
                        let name = TrendWording.measureName(item.measure)
                        return el(
                            "li", [],
                            (icon.map {
                                [Charts.variationIcon($0.type, high: $0.high, label: "\(name): " + SPCWording.variation($0.type, high: $0.high), size: 22)]
                            } ?? []) + [el("p", text: item.sentence)])
                    }))
        }

        let referralsTitle = "Referrals per \(unit), all referrals"
        children.append(el("h3", text: "Referrals and shares for all referrals"))
        children.append(
            el(
                "figure", [],
                [
                    Charts.timePanels(
                        id: "trend-referrals", title: referralsTitle,
                        description:
                            "Columns, one per \(unit), of the number of clean referrals; a hollow column is a partial \(unit), s marks a suppressed one. The same numbers are in the table below.",
                        axis: axis,
                        panels: [
                            Charts.TimePanel(
                                title: "All referrals",
                                series: trendSeries(
                                    figures, interval, axis: starts, dimension: TableDimension.all, group: TableDimension.all,
                                    measures: [(.referrals, "Referrals", Palette.medical)]))
                        ],
                        yTitle: "Referrals", bars: true, valueText: { Report.grouped(Int($0)) }),
                    el("figcaption", text: referralsTitle + "."),
                    details(
                        tableSummary("all referrals by \(unit)", table: .trends),
                        dataTable(
                            caption: controlled("Referrals and shares (95% CI) by \(unit), all referrals (tables/trends.csv)", context),
                            header: trendAllHeader(figures, interval),
                            rows: trendTable(figures, interval, columns: trendAllColumns(figures)), numeric: Set(1...trendAllColumns(figures).count))),
                ]))

        children += spcNodes(figures, suppressUpTo: context.disclosureEnabled ? context.suppressUpTo : nil)

        // A nation whose every interval is suppressed has no panel: the section's
        // withheld sentence (``trendWithheldSentence(_:_:)``) names it instead.
        let nations = trendNationCandidates(figures).filter { !isWhollyWithheld(figures, $0) }.map(\.group)
        if !nations.isEmpty {
            let title = "Non-medical share by \(unit) in each nation, with 95% intervals"
            children.append(el("h3", text: "Non-medical share by nation"))
            func chart(compact: Bool) -> Node {
                Charts.timePanels(
                    id: compact ? "trend-nation-print" : "trend-nation", title: title,
                    description:
                        "One panel per nation; the line is the percentage of the \(unit)'s referrals through non-medical routes, the band its 95% Wilson interval; a hollow point is a partial \(unit); s at the foot of a panel marks a suppressed \(unit), which is a gap in the line. The same numbers are in the table below.",
                    axis: axis,
                    panels: nations.map { nation in
                        Charts.TimePanel(
                            title: nation,
                            series: trendSeries(
                                figures, interval, axis: starts, dimension: Grouping.Name.nation, group: nation,
                                measures: [(.nonMedicalShare, "Non-medical share", Palette.nonMedical)]))
                    },
                    yTitle: "Non-medical share (%)", compact: compact, valueText: { NumberFormat.points($0) + "%" })
            }
            // Two panels a row on screen; three lower ones a row in the A4 print.
            children.append(
                el(
                    "figure", [],
                    [
                        el("div", [("class", "screen-only")], [chart(compact: false)]),
                        el("div", [("class", "print-only")], [chart(compact: true)]),
                        el("figcaption", text: title + "."),
                        details(
                            tableSummary("non-medical share by nation and \(unit)", table: .trends),
                            dataTable(
                                caption: controlled("Non-medical share (95% CI), percent, by nation and \(unit)", context),
                                header: trendNationHeader(figures, interval),
                                rows: trendTable(figures, interval, columns: trendNationColumns(figures)),
                                numeric: Set(0...trendNationColumns(figures).count).subtracting([0]))),
                    ]))
        }

        let routes = figures.groups(Grouping.Name.routeType, .contactedShare)
        // Only the shares whose field is recorded (neither: no chart; the lead says why).
        let routeMeasures = [
            (TrendColumn.Measure.contactedShare, "Reached a link worker", Palette.contacted),
            (.interventionShare, "Received an intervention", Palette.intervention),
        ].filter { figures.withheld($0.0) == nil }
        if !routes.isEmpty && !routeMeasures.isEmpty {
            let title = routeMeasures.map(\.1).joined(separator: " and ") + ", by route type and \(unit), with 95% intervals"
            children.append(el("h3", text: "From referral to help, by route type"))
            let columns = trendRouteColumns(figures)
            // Contact and intervention by route type over time add detail to the lead's
            // sentences: one click away, not printed.
            children.append(
                details(
                    "Chart and table: \(title.prefix(1).lowercased() + title.dropFirst()) (all rows: \(TableSchema.trends.path))",
                    el(
                        "figure", [],
                        [
                            Charts.timePanels(
                                id: "trend-route", title: title,
                                description:
                                    "One panel per route type; the circles are the percentage of the \(unit)'s referrals that reached a link worker, the diamonds the percentage that received at least one intervention, each with its 95% Wilson interval as a band; a hollow point is a partial \(unit); s marks a suppressed \(unit). The same numbers are in the table below.",
                                axis: axis,
                                panels: routes.map { route in
                                    Charts.TimePanel(
                                        title: label(.routeType, route),
                                        series: trendSeries(
                                            figures, interval, axis: starts, dimension: Grouping.Name.routeType, group: route,
                                            measures: routeMeasures))
                                },
                                yTitle: "Percentage of referrals", valueText: { NumberFormat.points($0) + "%" }),
                            el("figcaption", text: title + "."),
                            details(
                                tableSummary("contact and intervention by route type and \(unit)", table: .trends),
                                dataTable(
                                    caption: controlled("Shares (95% CI), percent, by route type and \(unit)", context),
                                    header: trendRouteHeader(figures, label, interval),
                                    rows: trendTable(figures, interval, columns: columns), numeric: Set(0...columns.count).subtracting([0]))),
                        ])))
        }
        if let withheld = trendWithheldSentence(figures, label) { children.append(el("p", text: withheld)) }
        children += methodNotes(trendNotes(figures, context))
        return section("trends", trendsTitle, children)
    }

    /// The trend section in Markdown: the same sentences and tables as the HTML.
    static func trendsMarkdown(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [String] {
        let figures = numbers.trends, md = markdownText
        var out = ["## " + trendsTitle, ""]
        guard figures.hasTrends else { return out + [md(noTrends), ""] }
        let interval = figures.interval
        let unit = interval == .month ? "month" : "quarter"
        let lead = TrendWording.lead(figures)
        if !lead.isEmpty { out += lead.map { "- " + md($0) } + [""] }
        out += [
            "### Referrals and shares for all referrals", "",
            md(controlled("Referrals and shares (95% CI) by \(unit), all referrals (tables/trends.csv)", context)), "",
        ]
        out += table(
            trendAllHeader(figures, interval), trendTable(figures, interval, columns: trendAllColumns(figures)), right: Set(1...trendAllColumns(figures).count))
        out += spcMarkdown(figures, suppressUpTo: context.disclosureEnabled ? context.suppressUpTo : nil)
        let nations = trendNationColumns(figures)
        if !nations.isEmpty {
            out += ["### Non-medical share by nation", "", md("Non-medical share (95% CI), percent, by nation and \(unit)."), ""]
            out += table(trendNationHeader(figures, interval), trendTable(figures, interval, columns: nations), right: Set(1...nations.count))
        }
        let columns = trendRouteColumns(figures)
        if !columns.isEmpty {
            out += ["### From referral to help, by route type", "", md("Shares (95% CI), percent, by route type and \(unit)."), ""]
            out += table(trendRouteHeader(figures, label, interval), trendTable(figures, interval, columns: columns), right: Set(1...columns.count))
        }
        if let withheld = trendWithheldSentence(figures, label) { out += [md(withheld), ""] }
        out += ["### How these figures are made", ""]
        out += trendNotes(figures, context).map { "- " + md($0) } + [""]
        return out
    }
}
