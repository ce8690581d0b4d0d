import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The report's colours, declared once: Okabe & Ito's colour-blind-safe palette for
/// fills, and the text and page colours. Every text colour is used only on the
/// backgrounds ``textPairs`` lists, each at a contrast of at least 4.5:1 (WCAG 2 AA;
/// tested).
enum Palette {
    // Fills (Okabe & Ito).
    static let medical = "#0072B2"
    static let nonMedical = "#E69F00"
    static let unknown = "#BBBBBB"
    static let contacted = "#009E73"
    static let intervention = "#CC79A7"
    static let neutral = "#56B4E9"
    // Text, page and lines.
    static let ink = "#222222"
    static let white = "#FFFFFF"
    static let page = white
    static let muted = "#555555"
    static let link = "#0060A0"
    static let warningBackground = "#FFF3CD"
    static let warningBorder = "#B26B00"
    static let rule = "#CCCCCC"
    static let grid = "#DDDDDD"
    /// The lines of a suppressed segment's hatching.
    static let hatch = "#767676"

    static func routeType(_ type: RouteType) -> String {
        switch type {
        case .medical: medical
        case .nonMedical: nonMedical
        case .unknown: unknown
        }
    }

    /// Fills that carry a percentage drawn on them.
    static let labelledFills = [medical, nonMedical, unknown]

    /// The text colour for a label drawn on `fill`: ink or white, whichever contrasts more.
    static func text(on fill: String) -> String {
        let l = luminance(fill)
        return (l + 0.05) / (luminance(ink) + 0.05) >= (luminance(white) + 0.05) / (l + 0.05) ? ink : white
    }

    /// Every text colour on every background it is drawn on, in the page and its charts.
    static var textPairs: [(text: String, background: String, use: String)] {
        [
            (ink, page, "body text, tables, chart labels and axis titles"),
            (muted, page, "lede, captions, comparisons, footer"),
            (link, page, "table disclosure summaries"),
            (medical, page, "headline figures"),
            (ink, warningBackground, "disclosure-off warning, model not fitted"),
        ] + labelledFills.map { (text(on: $0), $0, "percentage on a bar segment") }
    }

    /// WCAG 2 relative luminance of `#RRGGBB`.
    static func luminance(_ hex: String) -> Double {
        let value = Int(hex.dropFirst(), radix: 16) ?? 0
        func channel(_ shift: Int) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }
}

/// A number with `places` decimals in plain ASCII (for SVG coordinates and other
/// attribute values; text a person reads uses ``NumberFormat``); never an exponent.
func fixed(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return "0" }
    let text = NumberFormat.plain(abs(value), places: places)
    return value < 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "-" + text : text
}

private func n(_ value: Double) -> String { fixed(value, 1) }

/// SVG charts, each with a title and a description for screen readers (the numbers
/// are also in a table next to every chart).
enum Charts {
    /// One bar per group, drawn from the group's controlled counts so that parts and
    /// whole agree: each published count is its share of the bar, a suppressed category
    /// one hatched segment after the published ones filling what they leave of the
    /// published total (never narrower than ``minimumSuppressedPercent``). A percentage
    /// is written on a segment (as the table publishes it, ``NumberFormat``) only when
    /// the row's rounded parts are consistent with its rounded total; a row whose
    /// rounded parts exceed it (or fill it beside a suppressed part) is drawn to the
    /// parts' scale and says so in words beside the bar, never "63%" + "42%".
    struct StackedRow {
        var label: String
        var total: Int?
        /// `suppressed`: the table publishes the category with its count suppressed.
        var segments: [(category: String, count: Int64?, percent: Double?, suppressed: Bool)]

        /// Whether the published counts can be drawn as parts of the published total:
        /// they sum to it with nothing suppressed, or to less with something suppressed.
        var consistent: Bool {
            guard let total else { return false }
            let published = segments.compactMap(\.count).reduce(0, +)
            return segments.contains(where: \.suppressed) ? published < Int64(total) : published == Int64(total)
        }
    }

    /// The narrowest a suppressed segment is drawn, in percent of the bar.
    static let minimumSuppressedPercent = 4.0

    static func stackedBars(
        id: String, title: String, description: String, categories: [(name: String, label: String, colour: String)], rows: [StackedRow],
        groupTitle: String, valueTitle: String
    ) -> Node {
        let labelWidth = 190.0
        let barWidth = 380.0
        let rowHeight = 19.0
        let hatch = "\(id)-hatch"
        // The legend in rows as wide as the chart (the bars move down by the rows it takes).
        var legend = LegendLayout(left: labelWidth, right: 876)
        let legendItems = (categories.map { ($0.label, $0.colour) } + [("suppressed", "url(#\(hatch))")]).map { item in
            (item, legend.place(markWidth: 16, text: item.0))
        }
        let top = 42.0 + legend.extraHeight
        let barsBottom = top + Double(rows.count) * rowHeight
        let height = barsBottom + 40
        var children: [Node] = [
            el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description),
            el(
                "defs", [],
                [
                    el(
                        "pattern", [("id", hatch), ("width", "6"), ("height", "6"), ("patternUnits", "userSpaceOnUse"), ("patternTransform", "rotate(45)")],
                        [
                            el("rect", [("width", "6"), ("height", "6"), ("fill", Palette.page)]),
                            el("line", [("x1", "0"), ("y1", "0"), ("x2", "0"), ("y2", "6"), ("stroke", Palette.hatch), ("stroke-width", "3")]),
                        ])
                ]),
        ]
        // Legend, then the group axis title above the labels.
        for (category, at) in legendItems {
            children.append(
                el(
                    "rect",
                    [
                        ("x", n(at.x)), ("y", n(at.y - 7)), ("width", "12"), ("height", "12"), ("fill", category.1), ("stroke", Palette.hatch),
                        ("stroke-width", "0.5"),
                    ]))
            children.append(el("text", [("x", n(at.x + 16)), ("y", n(at.y + 3)), ("class", "small")], text: category.0))
        }
        children.append(el("text", [("x", "4"), ("y", n(top - 6)), ("class", "axis")], text: groupTitle))
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            children.append(
                el(
                    "text", [("x", n(labelWidth - 6)), ("y", n(y + 13)), ("text-anchor", "end"), ("class", "small")],
                    text: fitted(row.label, width: labelWidth - 10)))
            guard let total = row.total else {
                children.append(
                    el(
                        "rect", [("x", n(labelWidth)), ("y", n(y + 2)), ("width", n(barWidth)), ("height", "15"), ("fill", "url(#\(hatch))")],
                        [
                            el("title", text: "\(row.label): suppressed (the group's total is suppressed)")
                        ]))
                children.append(el("text", [("x", n(labelWidth + barWidth + 6)), ("y", n(y + 13)), ("class", "small")], text: "whole group suppressed"))
                continue
            }
            guard total > 0 else {
                children.append(el("text", [("x", n(labelWidth + 4)), ("y", n(y + 13)), ("class", "small")], text: "no referrals"))
                continue
            }
            let suppressed = row.segments.filter(\.suppressed).map(\.category)
            let published = Double(row.segments.compactMap(\.count).reduce(0, +))
            let whole = Double(total)
            let hatched = suppressed.isEmpty ? 0 : max(whole - published, whole * minimumSuppressedPercent / 100)
            let scale = max(whole, published + hatched)
            let consistent = row.consistent
            // Percentages are written on the bar only when, as written, they can add up:
            // to 100 give or take their own rounding (half a unit of the last place each:
            // 76% + 23% + 2% is 100.67% rounded), and to under 100 beside a suppressed part
            // (never "100%" beside a hatched segment, never "63%" + "42%").
            let written = row.segments.filter { ($0.count ?? 0) > 0 }.compactMap { $0.percent.map { NumberFormat.percent($0, denominator: whole) } }
            let writtenSum = written.map { Double($0.filter { $0.isNumber || $0 == "." }) ?? 0 }.reduce(0, +)
            let halfUnit = NumberFormat.percentPlaces(denominator: whole) == 0 ? 0.5 : 0.05
            let labelled = suppressed.isEmpty ? writtenSum <= 100 + halfUnit * Double(written.count) : writtenSum < 100
            var offset = labelWidth
            for segment in row.segments {
                guard let count = segment.count, count > 0 else { continue }
                let width = barWidth * Double(count) / scale
                let colour = categories.first { $0.name == segment.category }?.colour ?? Palette.unknown
                let name = categories.first { $0.name == segment.category }?.label ?? segment.category
                let percent = segment.percent.map { NumberFormat.percent($0, denominator: whole) + "%" }
                children.append(
                    el(
                        "rect", [("x", n(offset)), ("y", n(y + 2)), ("width", n(width)), ("height", "15"), ("fill", colour)],
                        [
                            el(
                                "title",
                                text: "\(row.label): \(name) \(NumberFormat.count(count)) of \(NumberFormat.count(total))"
                                    + (labelled ? percent.map { " (\($0))" } ?? "" : ""))
                        ]))
                if labelled, let percent, width > 34 {
                    children.append(
                        el(
                            "text",
                            [
                                ("x", n(offset + width / 2)), ("y", n(y + 13)), ("text-anchor", "middle"),
                                ("class", "onbar \(Palette.text(on: colour) == Palette.white ? "onbar-light" : "onbar-dark")"),
                                ("fill", Palette.text(on: colour)),
                            ],
                            text: percent))
                }
                offset += width
            }
            if !suppressed.isEmpty {
                let names = suppressed.map { name in categories.first { $0.name == name }?.label.lowercased() ?? name }.joined(separator: ", ")
                children.append(
                    el(
                        "rect", [("x", n(offset)), ("y", n(y + 2)), ("width", n(barWidth * hatched / scale)), ("height", "15"), ("fill", "url(#\(hatch))")],
                        [
                            el("title", text: "\(row.label): \(names) suppressed")
                        ]))
            }
            if !consistent {
                let parts = NumberFormat.count(Int64(published)), whole = NumberFormat.count(total)
                // Each count is rounded on its own, so parts and whole can differ by rounding:
                // say which way, and that they add up to the whole only when a suppressed part has no room left.
                let note =
                    published > Double(total)
                    ? "rounded parts (\(parts)) exceed the total (\(whole))"
                    : suppressed.isEmpty
                        ? "rounded parts (\(parts)) fall short of the total (\(whole))"
                        : "the rounded counts shown add up to all \(whole)"
                children.append(el("text", [("x", n(labelWidth + barWidth + 6)), ("y", n(y + 13)), ("class", "small")], text: note))
            }
        }
        // Value axis: ticks and title.
        for tick in stride(from: 0.0, through: 100, by: 25) {
            let tx = labelWidth + barWidth * tick / 100
            children.append(el("line", [("x1", n(tx)), ("x2", n(tx)), ("y1", n(barsBottom + 2)), ("y2", n(barsBottom + 6)), ("stroke", Palette.ink)]))
            children.append(
                el(
                    "text", [("x", n(tx)), ("y", n(barsBottom + 17)), ("text-anchor", "middle"), ("class", "small")],
                    text: NumberFormat.decimal(tick, places: 0) + "%"))
        }
        children.append(
            el("text", [("x", n(labelWidth + barWidth / 2)), ("y", n(barsBottom + 33)), ("text-anchor", "middle"), ("class", "axis")], text: valueTitle))
        return svg(id: id, width: 880, height: height, children)
    }

    /// A point with a 95% interval per x position, one panel per nation.
    struct Panel {
        var title: String
        var points: [(label: String, percent: Double?, low: Double?, high: Double?)]
    }

    static func intervalPanels(id: String, title: String, description: String, panels: [Panel], xTitle: String, yTitle: String, colour: String) -> Node {
        let panelWidth = 340.0
        let panelHeight = 150.0
        let columns = 2
        let rowsOfPanels = (panels.count + columns - 1) / columns
        let maximum = panels.flatMap { $0.points.compactMap { $0.high ?? $0.percent } }.max() ?? 100
        let yMax = max(10, min(100, (maximum / 10).rounded(.up) * 10))
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        // The y title in lines no longer than the distance between stacked panels, less
        // a gap (their titles never meet); its further lines push the plot right.
        let titleLength = panelHeight + 20 - 8
        let titleExtra = rotatedTitle(yTitle, x: 0, middle: 0, length: titleLength).extra
        for (p, panel) in panels.enumerated() {
            let ox = Double(p % columns) * (panelWidth + 20) + 10
            let oy = Double(p / columns) * (panelHeight + 20) + 10
            let left = ox + 52 + titleExtra, right = ox + panelWidth - 10, topY = oy + 24, bottom = oy + panelHeight - 30
            children.append(el("text", [("x", n(ox + panelWidth / 2)), ("y", n(oy + 14)), ("text-anchor", "middle"), ("class", "panel")], text: panel.title))
            // A panel with no published point is one sentence, not a row of "s".
            guard panel.points.contains(where: { $0.percent != nil }) else {
                children.append(
                    el(
                        "text", [("x", n(ox + panelWidth / 2)), ("y", n((topY + bottom) / 2)), ("text-anchor", "middle"), ("class", "small")],
                        text: panel.points.isEmpty ? "No figures." : "Every figure is suppressed (too few referrals to publish)."))
                continue
            }
            let middle = (topY + bottom) / 2
            children.append(rotatedTitle(yTitle, x: ox + 10, middle: middle, length: titleLength).node)
            for tick in stride(from: 0.0, through: yMax, by: yMax <= 50 ? 10 : 20) {
                let y = bottom - (bottom - topY) * tick / yMax
                children.append(el("line", [("x1", n(left)), ("x2", n(right)), ("y1", n(y)), ("y2", n(y)), ("stroke", Palette.grid)]))
                children.append(
                    el(
                        "text", [("x", n(left - 4)), ("y", n(y + 4)), ("text-anchor", "end"), ("class", "small")],
                        text: NumberFormat.decimal(tick, places: 0) + "%"))
            }
            let count = max(1, panel.points.count)
            let step = (right - left) / Double(count)
            for (i, point) in panel.points.enumerated() {
                let x = left + step * (Double(i) + 0.5)
                children.append(el("text", [("x", n(x)), ("y", n(bottom + 14)), ("text-anchor", "middle"), ("class", "small")], text: point.label))
                guard let percent = point.percent else {
                    children.append(el("text", [("x", n(x)), ("y", n(bottom - 4)), ("text-anchor", "middle"), ("class", "small")], text: "s"))
                    continue
                }
                func yOf(_ v: Double) -> Double { bottom - (bottom - topY) * min(v, yMax) / yMax }
                if let low = point.low, let high = point.high {
                    children.append(el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(yOf(low))), ("y2", n(yOf(high))), ("stroke", Palette.ink)]))
                }
                children.append(
                    el(
                        "circle", [("cx", n(x)), ("cy", n(yOf(percent))), ("r", "4"), ("fill", colour)],
                        [
                            el(
                                "title",
                                text: "\(panel.title), \(xTitle) \(point.label): \(NumberFormat.points(percent))%"
                                    + (point.low.map { " (95% CI \(NumberFormat.range(NumberFormat.points($0), NumberFormat.points(point.high ?? $0))))" } ?? "")
                            )
                        ]))
            }
            children.append(el("text", [("x", n((left + right) / 2)), ("y", n(bottom + 27)), ("text-anchor", "middle"), ("class", "axis")], text: xTitle))
        }
        return svg(id: id, width: Double(columns) * (panelWidth + 20) + 10, height: Double(rowsOfPanels) * (panelHeight + 20) + 10, children)
    }

    /// Horizontal bars, one or more measures per group.
    static func groupedBars(
        id: String, title: String, description: String, measures: [(label: String, colour: String)], rows: [(label: String, values: [Double?])],
        groupTitle: String, valueTitle: String, denominators: [Double?] = []
    ) -> Node {
        let labelWidth = 190.0
        let barWidth = 380.0
        let barHeight = 14.0
        let groupHeight = Double(measures.count) * (barHeight + 2) + 10
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        // The legend in rows as wide as the chart (the bars move down by the rows it takes).
        var legend = LegendLayout(left: labelWidth, right: 716)
        for measure in measures where measures.count > 1 {
            let at = legend.place(markWidth: 16, text: measure.label)
            children.append(el("rect", [("x", n(at.x)), ("y", n(at.y - 7)), ("width", "12"), ("height", "12"), ("fill", measure.colour)]))
            children.append(el("text", [("x", n(at.x + 16)), ("y", n(at.y + 3)), ("class", "small")], text: measure.label))
        }
        let top = 42.0 + legend.extraHeight
        children.append(el("text", [("x", "4"), ("y", n(top - 6)), ("class", "axis")], text: groupTitle))
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * groupHeight
            children.append(
                el(
                    "text", [("x", n(labelWidth - 6)), ("y", n(y + groupHeight / 2)), ("text-anchor", "end"), ("class", "small")],
                    text: fitted(row.label, width: labelWidth - 10)))
            for (m, value) in row.values.enumerated() {
                let by = y + Double(m) * (barHeight + 2)
                guard let value else {
                    children.append(el("text", [("x", n(labelWidth + 4)), ("y", n(by + 11)), ("class", "small")], text: "\(measures[m].label): suppressed"))
                    continue
                }
                let width = barWidth * min(100, value) / 100
                let label = NumberFormat.percent(value, denominator: i < denominators.count ? denominators[i] : nil)
                children.append(
                    el(
                        "rect", [("x", n(labelWidth)), ("y", n(by)), ("width", n(width)), ("height", n(barHeight)), ("fill", measures[m].colour)],
                        [
                            el("title", text: "\(row.label): \(measures[m].label) \(label)%")
                        ]))
                children.append(el("text", [("x", n(labelWidth + width + 4)), ("y", n(by + 11)), ("class", "small")], text: label + "%"))
            }
        }
        let barsBottom = top + Double(rows.count) * groupHeight
        for tick in stride(from: 0.0, through: 100, by: 25) {
            let tx = labelWidth + barWidth * tick / 100
            children.append(el("line", [("x1", n(tx)), ("x2", n(tx)), ("y1", n(barsBottom)), ("y2", n(barsBottom + 4)), ("stroke", Palette.ink)]))
            children.append(
                el(
                    "text", [("x", n(tx)), ("y", n(barsBottom + 15)), ("text-anchor", "middle"), ("class", "small")],
                    text: NumberFormat.decimal(tick, places: 0) + "%"))
        }
        children.append(
            el("text", [("x", n(labelWidth + barWidth / 2)), ("y", n(barsBottom + 31)), ("text-anchor", "middle"), ("class", "axis")], text: valueTitle))
        return svg(id: id, width: 720, height: barsBottom + 38, children)
    }

    /// Ratios with 95% intervals on a log scale, a line at 1.
    /// `label` cut with `…` to fit `width` points of chart text (about 6.2 points a
    /// character at the chart's small size), so a long label never runs off the left
    /// edge; the data table beside each chart has the full text.
    static func fitted(_ label: String, width: Double) -> String {
        let characters = max(4, Int(width / 6.2))
        return label.count <= characters ? label : String(label.prefix(characters - 1)) + "…"
    }

    static func forestPlot(
        id: String, title: String, description: String, rows: [(label: String, estimate: Double?, low: Double?, high: Double?)], colour: String,
        valueTitle: String, compact: Bool = false
    ) -> Node {
        // Compact: rows as tight as their labels allow, each row's ratio and interval
        // written at its right, so the figure carries the key estimates itself. `compact`
        // (the A4 print's version): as wide as the other charts, so printed at their
        // scale, with rows closer, so that three models fit a page.
        let labelWidth = 250.0
        let plotWidth = compact ? 490.0 : 360.0
        let valueWidth = 130.0
        let rowHeight = compact ? 10.0 : 12.0
        let top = 20.0
        let values = rows.flatMap { [$0.low, $0.high, $0.estimate].compactMap { $0 } }.filter { $0 > 0 && $0.isFinite }
        var lo = min(0.5, values.min() ?? 0.5)
        var hi = max(2, values.max() ?? 2)
        lo = max(lo, 1e-3)
        hi = min(hi, 1e3)
        let logLo = log(lo), logHi = log(hi)
        func xOf(_ v: Double) -> Double { labelWidth + plotWidth * (log(min(max(v, lo), hi)) - logLo) / (logHi - logLo) }
        let bottom = top + Double(rows.count) * rowHeight
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        for tick in [0.1, 0.25, 0.5, 1, 2, 4, 10] where tick >= lo && tick <= hi {
            let x = xOf(tick)
            children.append(
                el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(top - 4)), ("y2", n(bottom)), ("stroke", tick == 1 ? Palette.ink : Palette.grid)]))
            children.append(
                el(
                    "text", [("x", n(x)), ("y", n(bottom + 14)), ("text-anchor", "middle"), ("class", "small")],
                    text: NumberFormat.decimal(tick, places: tick < 1 ? 2 : 0)))
        }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight + rowHeight / 2
            children.append(
                el(
                    "text", [("x", n(labelWidth - 6)), ("y", n(y + 4)), ("text-anchor", "end"), ("class", "small")],
                    text: fitted(row.label, width: labelWidth - 10)))
            guard let estimate = row.estimate else {
                children.append(el("text", [("x", n(labelWidth + 4)), ("y", n(y + 4)), ("class", "small")], text: "suppressed"))
                continue
            }
            if let low = row.low, let high = row.high {
                children.append(el("line", [("x1", n(xOf(low))), ("x2", n(xOf(high))), ("y1", n(y)), ("y2", n(y)), ("stroke", Palette.ink)]))
            }
            let interval = row.low.map { " (\(NumberFormat.range(NumberFormat.ratio($0), NumberFormat.ratio(row.high ?? $0))))" } ?? ""
            children.append(
                el(
                    "rect", [("x", n(xOf(estimate) - 4)), ("y", n(y - 4)), ("width", "8"), ("height", "8"), ("fill", colour)],
                    [
                        el("title", text: "\(row.label): \(NumberFormat.ratio(estimate))" + (interval.isEmpty ? "" : " (95% CI " + interval.dropFirst(2)))
                    ]))
            children.append(
                el("text", [("x", n(labelWidth + plotWidth + 14)), ("y", n(y + 4)), ("class", "small")], text: NumberFormat.ratio(estimate) + interval))
        }
        children.append(el("text", [("x", n(labelWidth + plotWidth + 14)), ("y", n(top - 6)), ("class", "small")], text: "Ratio (95% interval)"))
        children.append(
            el("text", [("x", n(labelWidth + plotWidth / 2)), ("y", n(bottom + 30)), ("text-anchor", "middle"), ("class", "axis")], text: valueTitle))
        return svg(id: id, width: labelWidth + plotWidth + valueWidth + 20, height: bottom + 38, children)
    }

    /// A value axis's horizontal gridlines from `left` to `right`, one at each tick from
    /// `low` through `high` (half a step over, so rounding never drops the last) `step`
    /// apart, each labelled left of the plot with its value to `places` decimals; `yOf`
    /// places a value on the chart.
    static func gridlines(
        from low: Double, through high: Double, step: Double, places: Int, left: Double, right: Double, yOf: (Double) -> Double
    ) -> [Node] {
        zip(stride(from: low, through: high + step / 2, by: step), tickLabels(from: low, through: high, step: step, places: places)).flatMap {
            tick, label -> [Node] in
            let y = yOf(tick)
            return [
                el("line", [("x1", n(left)), ("x2", n(right)), ("y1", n(y)), ("y2", n(y)), ("stroke", Palette.grid)]),
                el("text", [("x", n(left - 4)), ("y", n(y + 4)), ("text-anchor", "end"), ("class", "small")], text: label),
            ]
        }
    }

    static func svg(id: String, width: Double, height: Double, _ children: [Node]) -> Node {
        el(
            "svg",
            [
                ("id", id), ("role", "img"), ("aria-labelledby", "\(id)-title \(id)-desc"),
                ("viewBox", "0 0 \(n(width)) \(n(height))"), ("width", n(width)), ("height", n(height)),
            ], children)
    }
}
