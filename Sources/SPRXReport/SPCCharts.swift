import SPRXAggregate
import SPRXCore
import SPRXPipeline

/// The colours of NHS England's Making Data Count charts and icons (NHSRplotthedots'
/// `ptd_spc_colours` defaults): grey common cause, blue improvement, orange concern,
/// purple neutral. Used for points, lines and icon rings only, never behind text.
enum SPCPalette {
    static let commonCause = "#A6A6A6"
    static let improvement = "#00B0F0"
    static let concern = "#E46C0A"
    static let neutral = "#490092"
    /// The process limits' dashed lines.
    static let limit = "#767676"

    static func colour(_ type: SPCColumn.PointType?) -> String {
        switch type {
        case .improvement: improvement
        case .concern: concern
        case .neutral: neutral
        case .commonCause, nil: commonCause
        }
    }
}

/// One month of an SPC series, as `spc.csv` publishes it.
struct SPCPoint {
    var start: String
    var value: Double?
    var centre: Double?
    var lower: Double?
    var upper: Double?
    var pointType: SPCColumn.PointType?
    var rules: [SPCColumn.Rule]
    var note: String?

    init(_ row: [Cell]) {
        start = row[SPCColumn.intervalStart].string ?? ""
        value = row[SPCColumn.value].value
        centre = row[SPCColumn.centre].value
        lower = row[SPCColumn.lowerLimit].value
        upper = row[SPCColumn.upperLimit].value
        pointType = row[SPCColumn.pointType].string.flatMap(SPCColumn.PointType.init(rawValue:))
        rules = (row[SPCColumn.rules].string ?? "").split(separator: ";").compactMap { SPCColumn.Rule(rawValue: String($0)) }
        note = row[SPCColumn.note].string.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Charted: a value the chart classified (not a gap, a partial month or a short series).
    var isCharted: Bool { pointType != nil }
}

/// One measure's SPC series for all referrals, and what its latest month says.
struct SPCSeries {
    let measure: TrendColumn.Measure
    let points: [SPCPoint]

    /// Whether the series is charted (has a centre): false when it is too short.
    var isCharted: Bool { points.contains { $0.isCharted } }
    /// The months with a value that the chart counts.
    var chartedCount: Int { points.filter(\.isCharted).count }
    /// The latest charted month.
    var latest: SPCPoint? { points.last { $0.isCharted } }

    /// The variation of the latest month: its point type, and whether a special cause is
    /// high (above the centre, or rising in a trend) or low.
    var variation: (type: SPCColumn.PointType, high: Bool)? {
        guard let index = points.lastIndex(where: { $0.isCharted }), let type = points[index].pointType else { return nil }
        let point = points[index]
        guard type != .commonCause, let value = point.value, let centre = point.centre else { return (type, false) }
        // The package's order: outside, then trend, then the rest; a trend goes by its last step.
        if !point.rules.contains(.outside), point.rules.contains(.trend), let before = points[..<index].last(where: { $0.isCharted })?.value {
            return (type, value > before)
        }
        return (type, value > centre)
    }
}

extension TrendFigures {
    /// The SPC series of `measure` for all referrals (empty when spc.csv has none: the
    /// field is not recorded).
    func spcSeries(_ measure: Measure) -> SPCSeries {
        SPCSeries(
            measure: measure,
            points: spc.select([.measure: measure.rawValue, .dimension: TableDimension.all, .group: TableDimension.all]).map(SPCPoint.init)
                .sorted { $0.start < $1.start })
    }

    /// The headline measures' SPC series that spc.csv lists, in the report's order.
    var spcHeadline: [SPCSeries] { Measure.allCases.map(spcSeries).filter { !$0.points.isEmpty } }
}

/// SPC results into words, written once.
enum SPCWording {
    /// A point type as a reader says it.
    static func variation(_ type: SPCColumn.PointType, high: Bool) -> String {
        switch type {
        case .commonCause: "common cause variation (no signal)"
        case .improvement: "special cause: improvement (\(high ? "high" : "low"))"
        case .concern: "special cause: concern (\(high ? "high" : "low"))"
        case .neutral: "special cause (\(high ? "high" : "low"); no direction set as better)"
        }
    }

    /// A rule's name in a sentence.
    static func rule(_ rule: SPCColumn.Rule) -> String {
        switch rule {
        case .outside: "outside the limits"
        case .shift: "7+ on one side of the mean"
        case .trend: "7+ rising or falling"
        case .twoOfThree: "2 of 3 near a limit"
        }
    }

    /// A month as a reader says it ("June 2025").
    static func monthName(_ start: String) -> String {
        TrendWording.yearMonth(start).map { "\(TrendWording.monthNames[$0.month - 1]) \($0.year)" } ?? start
    }

    /// The sentence for one headline series: its latest month's variation and how many
    /// months are special causes, the months with no value to chart, or why it is not
    /// charted at all.
    ///
    /// `suppressUpTo` is disclosure control's threshold (`nil` when it is off): a
    /// suppressed monthly count of referrals stands for 1 to that many, so when the
    /// lower limit is above it the month is below the limit whatever its count, and the
    /// sentence says so (a collapsed month must not vanish into a gap).
    static func sentence(_ series: SPCSeries, suppressUpTo: Int? = nil) -> String {
        let name = TrendWording.measureName(series.measure)
        let full = series.points.filter { $0.note != SPCColumn.Note.partialMonth }
        guard series.isCharted, let latest = series.latest, let variation = series.variation else {
            let values = full.filter { $0.value != nil }.count
            let partial = full.count < series.points.count ? " (partial first or last months left out)" : ""
            if series.points.contains(where: { $0.note == SPCColumn.Note.monthsWithheld }) {
                let small = suppressUpTo.map { "1 to \($0)" } ?? "a few"
                let which =
                    series.measure == .referrals
                    ? "months whose count is \(small), the low months" : "months whose numerator is \(small), which leaves the months of higher share"
                return
                    "\(name): not charted: disclosure control withholds \(which), so a chart of the \(values) full months with a published value would set its centre and limits too high."
            }
            if series.points.contains(where: { $0.note == SPCColumn.Note.tooManyGaps }) {
                return
                    "\(name): not charted: its \(values) full months with a published value are broken up by months with none, leaving fewer than \(SPCColumn.minimumMovingRanges) pairs of consecutive months to set limits from."
            }
            return
                "\(name): not charted: \(values) full month\(values == 1 ? "" : "s") with a published value\(partial), and an SPC chart needs at least \(SPCColumn.minimumPoints)."
        }
        let special = series.points.filter { $0.pointType != nil && $0.pointType != .commonCause }
        var text = "\(name): \(monthName(latest.start)), the latest month charted, shows \(self.variation(variation.type, high: variation.high))"
        if special.isEmpty {
            text += "; no month of the \(series.chartedCount) charted is a special cause."
        } else {
            let fired = SPCColumn.Rule.allCases.filter { rule in special.contains { $0.rules.contains(rule) } }.map(rule)
            let verb = special.count == 1 ? "is a special cause" : "are special causes"
            text += "; \(special.count) of the \(series.chartedCount) months charted \(verb) (\(fired.joined(separator: "; ")))."
        }
        if latest.lower == nil { text += " Every month-to-month change is 0, so the chart has no limits." }
        // Months inside the series with no value: say which, and what a withheld count must be.
        let gaps = full.filter { $0.value == nil && $0.note == SPCColumn.Note.noValue }
        if !gaps.isEmpty {
            let names = gaps.map { monthName($0.start) }
            let listed = names.count <= 3 ? ReportContext.listed(names) : "\(names.count) months"
            let why =
                series.measure == .referrals
                ? "whose count is withheld by disclosure control" : "with no published share (withheld by disclosure control, or no referrals)"
            text += " Not charted: \(listed), \(why)"
            if series.measure == .referrals, let suppressUpTo, let lower = latest.lower, lower > Double(suppressUpTo) {
                text +=
                    "; a withheld count is \(suppressUpTo) or fewer, below the lower limit (\(Report.grouped(Int(lower.rounded(.down))))) whatever it is, so \(names.count == 1 ? "that month is a signal" : "each is a signal") worth a look."
            } else {
                text += "."
            }
        }
        return text
    }
}

extension Charts {
    /// A Making Data Count variation icon of our own drawing: a ring in the point type's
    /// colour around seven dots, flat and grey for common cause, the last ones raised
    /// (high) or lowered (low) and coloured for a special cause, with H or L.
    static func variationIcon(_ type: SPCColumn.PointType, high: Bool, label: String, size: Double = 30) -> Node {
        let colour = SPCPalette.colour(type)
        var children: [Node] = [
            el("title", text: label),
            el("circle", [("cx", "20"), ("cy", "20"), ("r", "18"), ("fill", Palette.page), ("stroke", colour), ("stroke-width", "3")]),
        ]
        let special = type != .commonCause
        for i in 0..<7 {
            let x = 8.0 + Double(i) * 4
            let lifted = special && i >= 4
            let y = lifted ? (high ? 14.0 : 26.0) : 20.0
            children.append(el("circle", [("cx", n(x)), ("cy", n(y)), ("r", "1.8"), ("fill", lifted ? colour : SPCPalette.commonCause)]))
        }
        if special {
            children.append(
                el(
                    "text", [("x", "20"), ("y", high ? "33" : "12"), ("text-anchor", "middle"), ("font-size", "9"), ("fill", Palette.ink)],
                    text: high ? "H" : "L"))
        }
        return el(
            "svg", [("class", "variation-icon"), ("role", "img"), ("viewBox", "0 0 40 40"), ("width", n(size)), ("height", n(size))], children)
    }

    /// Making Data Count charts, one panel per series: the values as a grey line with
    /// each month's point coloured by its type, the mean as a solid line and the process
    /// limits dashed; a gap (suppressed month) breaks the line; the variation icon of the
    /// latest month beside each panel's title. The y scale fits each panel's values and limits.
    /// `compact`: every panel in one row, lower (the A4 print's version).
    static func spcPanels(
        id: String, title: String, description: String, series: [SPCSeries], compact: Bool = false, valueText: (TrendColumn.Measure, Double) -> String
    ) -> Node {
        let columns = compact ? max(1, series.count) : (series.count > 1 ? 2 : 1)
        let panelWidth = (880.0 - 20 * Double(columns - 1)) / Double(columns) - (columns == 1 ? 20 : 0)
        let panelHeight = compact ? 104.0 : 128.0, legendHeight = 22.0
        let rowsOfPanels = (series.count + columns - 1) / columns
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        var lx = 12.0
        func legend(_ mark: Node, _ text: String) {
            children.append(mark)
            children.append(el("text", [("x", n(lx + 14)), ("y", "17"), ("class", "small")], text: text))
            lx += 30 + Double(text.count) * 6.2
        }
        for (type, text) in [
            (SPCColumn.PointType.commonCause, "common cause"), (.improvement, "improvement"), (.concern, "concern"), (.neutral, "special cause, no direction"),
        ] {
            legend(el("circle", [("cx", n(lx + 5)), ("cy", "13"), ("r", "4"), ("fill", SPCPalette.colour(type))]), text)
        }
        legend(el("line", [("x1", n(lx)), ("x2", n(lx + 10)), ("y1", "13"), ("y2", "13"), ("stroke", Palette.ink), ("stroke-width", "1.5")]), "mean")
        legend(
            el("line", [("x1", n(lx)), ("x2", n(lx + 10)), ("y1", "13"), ("y2", "13"), ("stroke", SPCPalette.limit), ("stroke-dasharray", "3 2")]),
            "process limits")
        for (p, item) in series.enumerated() {
            let ox = Double(p % columns) * (panelWidth + 20) + 10
            let oy = legendHeight + Double(p / columns) * (panelHeight + 12) + 6
            let right = ox + panelWidth - (compact ? 4 : 10), topY = oy + 30, bottom = oy + panelHeight - 20
            let name = TrendWording.measureName(item.measure)
            if let variation = item.variation {
                children.append(
                    el(
                        "g", [("transform", "translate(\(n(ox + 2)) \(n(oy - 2)))")],
                        [variationIcon(variation.type, high: variation.high, label: "\(name): " + SPCWording.variation(variation.type, high: variation.high))]))
            }
            children.append(el("text", [("x", n(ox + 38)), ("y", n(oy + 18)), ("class", "panel")], text: name))
            guard item.isCharted else {
                children.append(
                    el(
                        "text", [("x", n((ox + right) / 2)), ("y", n((topY + bottom) / 2)), ("text-anchor", "middle"), ("class", "small")],
                        text: "Too few months to chart (at least \(SPCColumn.minimumPoints) are needed)."))
                continue
            }
            let charted = item.points.filter(\.isCharted)
            let reach = charted.compactMap(\.value) + charted.compactMap(\.lower) + charted.compactMap(\.upper) + charted.compactMap(\.centre)
            var low = reach.min() ?? 0, high = reach.max() ?? 1
            if high - low < 1e-9 { (low, high) = (low - 1, high + 1) }
            // The compact panels are low: about half the ticks.
            let step = tickStep((high - low) * (compact ? 2 : 1))
            let yMin = (low / step).rounded(.down) * step, yMax = (high / step).rounded(.up) * step
            let places = tickPlaces(step)
            // The plot starts right of the longest tick label ("10,000" needs more than "20").
            let left = plotLeft(
                origin: ox, least: compact ? 30 : 56, reserved: 0, labels: tickLabels(from: yMin, through: yMax, step: step, places: places))
            func yOf(_ v: Double) -> Double { bottom - (bottom - topY) * (v - yMin) / (yMax - yMin) }
            let slot = (right - left) / Double(max(1, item.points.count))
            func xOf(_ i: Int) -> Double { left + slot * (Double(i) + 0.5) }
            children += gridlines(from: yMin, through: yMax, step: step, places: places, left: left, right: right, yOf: yOf)
            // Month labels far enough apart not to collide: every 1, 2, 3, 6 or 12 months
            // (January, April, … for 3), the first month too when there is room; the
            // compact panels give the year at each January.
            let labelWidth = compact ? 28.0 : 52.0
            let every = compact ? 12 : ([1, 2, 3, 6, 12].first { Double($0) * slot >= labelWidth + 6 } ?? 12)
            func month(_ start: String) -> Int { TrendWording.yearMonth(start)?.month ?? 1 }
            var labelled = item.points.indices.filter { (month(item.points[$0].start) - 1) % every == 0 }
            if let first = labelled.first, first > 0, Double(first) * slot >= labelWidth + 6 { labelled.insert(0, at: 0) }
            if labelled.isEmpty { labelled = [0] }
            // A month with no value to chart is marked s at the foot of the panel; where
            // months are narrower than an s, a run of them has an s every few months
            // (never one drawn over another).
            var lastMark = -Double.infinity
            for (i, point) in item.points.enumerated() where point.value == nil && point.note == SPCColumn.Note.noValue {
                guard xOf(i) - lastMark >= textWidth("s") + 2 else { continue }
                lastMark = xOf(i)
                children.append(el("text", [("x", n(xOf(i))), ("y", n(bottom - 3)), ("text-anchor", "middle"), ("class", "small")], text: "s"))
            }
            for i in labelled {
                let point = item.points[i]
                let x = xOf(i)
                children.append(el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(bottom)), ("y2", n(bottom + 4)), ("stroke", Palette.ink)]))
                children.append(
                    el(
                        "text", [("x", n(x)), ("y", n(bottom + 15)), ("text-anchor", "middle"), ("class", "small")],
                        text: compact ? String(point.start.prefix(4)) : TrendWording.shortLabel(point.start, .month)))
            }
            if let centre = charted.first?.centre {
                children.append(
                    el(
                        "line",
                        [("x1", n(left)), ("x2", n(right)), ("y1", n(yOf(centre))), ("y2", n(yOf(centre))), ("stroke", Palette.ink), ("stroke-width", "1.5")]))
            }
            for limit in [charted.first?.lower, charted.first?.upper].compactMap({ $0 }) {
                children.append(
                    el(
                        "line",
                        [
                            ("x1", n(left)), ("x2", n(right)), ("y1", n(yOf(limit))), ("y2", n(yOf(limit))), ("stroke", SPCPalette.limit),
                            ("stroke-dasharray", "4 3"),
                        ]))
            }
            // The value line, broken at every month without a charted value.
            var path = "", pen = false
            for (i, point) in item.points.enumerated() {
                guard point.isCharted, let value = point.value else {
                    pen = false
                    continue
                }
                path += "\(pen ? "L" : "M")\(n(xOf(i))) \(n(yOf(value)))"
                pen = true
            }
            if !path.isEmpty { children.append(el("path", [("d", path), ("fill", "none"), ("stroke", SPCPalette.commonCause), ("stroke-width", "1.2")])) }
            for (i, point) in item.points.enumerated() {
                guard let value = point.value, point.isCharted else { continue }
                let rules = point.rules.isEmpty ? "common cause" : point.rules.map(SPCWording.rule).joined(separator: "; ")
                children.append(
                    el(
                        "circle", [("cx", n(xOf(i))), ("cy", n(yOf(value))), ("r", compact ? "2" : "2.6"), ("fill", SPCPalette.colour(point.pointType))],
                        [el("title", text: "\(name), \(TrendWording.shortLabel(point.start, .month)): \(valueText(item.measure, value)), \(rules)")]))
            }
        }
        return svg(id: id, width: Double(columns) * (panelWidth + 20) + 10, height: legendHeight + Double(rowsOfPanels) * (panelHeight + 12) + 6, children)
    }

    private static func n(_ value: Double) -> String { fixed(value, 1) }
}

extension Report {
    static let spcTitle = "Signal or noise: statistical process control"

    /// What the SPC charts are, in sentences (beside the section's other notes).
    static let spcNotes = [
        "Statistical process control as NHS England's Making Data Count does it (NHSRplotthedots' method, tables/spc.csv): an XmR chart of each monthly series, mean ± 2.66 × the mean month-to-month change (unusually large changes, about 3.27 times their mean or more, left out first). A month is a special cause when it is outside those limits, in a run of 7 or more on one side of the mean, in 7 or more rising or falling, or 2 of 3 months beyond two thirds of the way to a limit on one side. The pipeline's spc section says which way is better for each measure; without it a special cause is neutral (purple).",
        "The charts use the published monthly values, so disclosure control holds: a suppressed month is a gap, which no run crosses, and the sentence names it. A partial first or last month is left out, and a series with fewer than 12 monthly values, or whose gaps leave fewer than 11 pairs of consecutive months, is not charted.",
        "The chart asks whether a month is unusual against the series' own month-to-month variation; the comparison of the first and last quarters above asks whether the level differs between two points in time. A steady drift can show as a change there and as common cause here, and a single odd month the other way round: read the two together.",
    ]

    /// The SPC part of the trend section: one sentence with its variation icon per
    /// headline measure, and the charts; nothing when spc.csv has no row.
    static func spcNodes(_ figures: TrendFigures, suppressUpTo: Int? = nil) -> [Node] {
        let series = figures.spcHeadline
        guard !series.isEmpty else { return [] }
        var nodes: [Node] = [el("h3", text: spcTitle)]
        nodes.append(
            el(
                "ul", [("class", "findings spc-findings")],
                series.map { item in
                    let icon = item.variation.map {
                        Charts.variationIcon($0.type, high: $0.high, label: SPCWording.variation($0.type, high: $0.high), size: 22)
                    }
                    return el("li", [], (icon.map { [$0] } ?? []) + [el("p", text: SPCWording.sentence(item, suppressUpTo: suppressUpTo))])
                }))
        let charted = series.filter(\.isCharted)
        if !charted.isEmpty {
            let title = "Making Data Count charts by month, all referrals"
            let description =
                "One panel per measure: each month's value as a point coloured by its variation (grey common cause, blue improvement, orange concern, purple special cause without a better direction), the mean as a solid line and the process limits dashed; s marks a month whose value is withheld; the icon by each title is the latest month's variation. The values are in tables/spc.csv."
            let valueText: (TrendColumn.Measure, Double) -> String = { measure, value in
                measure == .referrals ? Report.grouped(Int(value)) : NumberFormat.points(value) + "%"
            }
            // Two panels a row on screen; one row of lower panels in the A4 print (its pages are full).
            nodes.append(
                el(
                    "figure", [],
                    [
                        el(
                            "div", [("class", "screen-only")],
                            [Charts.spcPanels(id: "trend-spc", title: title, description: description, series: charted, valueText: valueText)]),
                        el(
                            "div", [("class", "print-only")],
                            [
                                Charts.spcPanels(
                                    id: "trend-spc-print", title: title, description: description, series: charted, compact: true, valueText: valueText)
                            ]),
                        el("figcaption", text: title + "."),
                    ]))
        }
        return nodes
    }

    /// The SPC part of the trend section in Markdown: the same sentences.
    static func spcMarkdown(_ figures: TrendFigures, suppressUpTo: Int? = nil) -> [String] {
        let series = figures.spcHeadline
        guard !series.isEmpty else { return [] }
        return ["### " + spcTitle, ""] + series.map { "- " + markdownText(SPCWording.sentence($0, suppressUpTo: suppressUpTo)) } + [""]
    }
}
