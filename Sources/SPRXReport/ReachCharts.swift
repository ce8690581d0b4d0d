#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Charts {
    /// A value, its 95% interval and whether disclosure control withheld it.
    struct SeriesPoint {
        var value: Double?
        var low: Double?
        var high: Double?
        var suppressed: Bool
    }

    /// One panel (a nation): for each x position (a decile), one point per series.
    struct SeriesPanel {
        var title: String
        var points: [(label: String, values: [SeriesPoint])]
    }

    /// A round step for about five ticks from 0 to `maximum` (1, 2, 2.5 or 5 × 10ⁿ).
    static func tickStep(_ maximum: Double) -> Double {
        guard maximum > 0, maximum.isFinite else { return 1 }
        let raw = maximum / 5
        let power = pow(10, (log10(raw)).rounded(.down))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= raw { return factor * power }
        return 10 * power
    }

    /// Decimals a tick label needs for `step`.
    static func tickPlaces(_ step: Double) -> Int {
        var places = 0
        while places < 6 && abs((step * pow(10, Double(places))).rounded() - step * pow(10, Double(places))) > 1e-9 { places += 1 }
        return places
    }

    /// Points with 95% intervals on a linear scale from 0, one panel per nation, with
    /// an optional marked reference line (`reference`); series are told apart by shape
    /// (circle, then diamond) as well as colour. The y scale is shared by the panels.
    static func seriesPanels(
        id: String, title: String, description: String, panels: [SeriesPanel], series: [(label: String, colour: String)], xTitle: String,
        yTitle: String, reference: (value: Double, label: String)? = nil, valueText: (Double) -> String
    ) -> Node {
        let panelWidth = 420.0, panelHeight = 170.0, columns = panels.count > 1 ? 2 : 1
        let rowsOfPanels = (panels.count + columns - 1) / columns
        let width = Double(columns) * (panelWidth + 20) + 10
        let values = panels.flatMap { $0.points.flatMap { $0.values.compactMap { $0.high ?? $0.value } } }.filter(\.isFinite)
        let maximum = max(values.max() ?? 1, (reference?.value ?? 0) * 1.2)
        let step = tickStep(maximum)
        let yMax = max(step, (maximum / step).rounded(.up) * step)
        let places = tickPlaces(step)
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        // Legend: each series' marker, then the reference line, in rows as wide as the chart.
        var legend = LegendLayout(left: 62, right: width - 10)
        for (s, item) in series.enumerated() {
            let at = legend.place(markWidth: 14, text: item.label, gap: 10)
            children.append(marker(s, x: at.x + 5, y: at.y, colour: item.colour, title: nil))
            children.append(el("text", [("x", n(at.x + 14)), ("y", n(at.y + 4)), ("class", "small")], text: item.label))
        }
        if let reference {
            let at = legend.place(markWidth: 28, text: reference.label)
            children.append(
                el(
                    "line",
                    [
                        ("x1", n(at.x)), ("x2", n(at.x + 22)), ("y1", n(at.y)), ("y2", n(at.y)), ("stroke", Palette.ink), ("stroke-dasharray", "5 3"),
                        ("stroke-width", "1.5"),
                    ]))
            children.append(el("text", [("x", n(at.x + 28)), ("y", n(at.y + 4)), ("class", "small")], text: reference.label))
        }
        let legendHeight = 26 + legend.extraHeight
        let labels = tickLabels(from: 0, through: yMax, step: step, places: places)
        // The y title in lines no longer than the distance between stacked panels, less
        // a gap (their titles never meet); its further lines push the plot right.
        let titleLength = panelHeight + 20 - 8
        let titleExtra = rotatedTitle(yTitle, x: 0, middle: 0, length: titleLength).extra
        for (p, panel) in panels.enumerated() {
            let ox = Double(p % columns) * (panelWidth + 20) + 10
            let oy = legendHeight + Double(p / columns) * (panelHeight + 20) + 6
            let left = plotLeft(origin: ox, least: 62, reserved: 16 + titleExtra, labels: labels), right = ox + panelWidth - 10, topY = oy + 24
            let bottom = oy + panelHeight - 32
            func yOf(_ v: Double) -> Double { bottom - (bottom - topY) * min(max(v, 0), yMax) / yMax }
            children.append(el("text", [("x", n((left + right) / 2)), ("y", n(oy + 14)), ("text-anchor", "middle"), ("class", "panel")], text: panel.title))
            // A panel with no published value is one sentence, not a row of "s".
            guard panel.points.contains(where: { $0.values.contains { $0.value != nil } }) else {
                let suppressed = panel.points.contains { $0.values.contains(where: \.suppressed) }
                children.append(
                    el(
                        "text", [("x", n((left + right) / 2)), ("y", n((topY + bottom) / 2)), ("text-anchor", "middle"), ("class", "small")],
                        text: suppressed ? "Every decile is suppressed (too few referrals to publish)." : "No figures."))
                continue
            }
            let middle = (topY + bottom) / 2
            children.append(rotatedTitle(yTitle, x: ox + 10, middle: middle, length: titleLength).node)
            children += gridlines(from: 0.0, through: yMax, step: step, places: places, left: left, right: right, yOf: yOf)
            if let reference {
                let y = yOf(reference.value)
                children.append(
                    el(
                        "line",
                        [
                            ("x1", n(left)), ("x2", n(right)), ("y1", n(y)), ("y2", n(y)), ("stroke", Palette.ink), ("stroke-dasharray", "5 3"),
                            ("stroke-width", "1.5"),
                        ],
                        [el("title", text: reference.label)]))
            }
            let step = (right - left) / Double(max(1, panel.points.count))
            for (i, point) in panel.points.enumerated() {
                let x = left + step * (Double(i) + 0.5)
                children.append(el("text", [("x", n(x)), ("y", n(bottom + 14)), ("text-anchor", "middle"), ("class", "small")], text: point.label))
                if point.values.allSatisfy({ $0.value == nil }) {
                    let mark = point.values.contains(where: \.suppressed) ? "s" : "—"
                    children.append(el("text", [("x", n(x)), ("y", n(bottom - 4)), ("text-anchor", "middle"), ("class", "small")], text: mark))
                    continue
                }
                let spread = 9.0
                for (s, value) in point.values.enumerated() {
                    guard let v = value.value, s < series.count else { continue }
                    let sx = x + (Double(s) - Double(point.values.count - 1) / 2) * spread
                    if let low = value.low, let high = value.high {
                        children.append(el("line", [("x1", n(sx)), ("x2", n(sx)), ("y1", n(yOf(low))), ("y2", n(yOf(high))), ("stroke", Palette.ink)]))
                    }
                    let interval = value.low.flatMap { low in value.high.map { " (95% CI \(valueText(low))–\(valueText($0)))" } } ?? ""
                    children.append(
                        marker(
                            s, x: sx, y: yOf(v), colour: series[s].colour,
                            title: "\(panel.title), \(xTitle) \(point.label), \(series[s].label): \(valueText(v))\(interval)"))
                }
            }
            children.append(el("text", [("x", n((left + right) / 2)), ("y", n(bottom + 28)), ("text-anchor", "middle"), ("class", "axis")], text: xTitle))
        }
        return svg(id: id, width: width, height: legendHeight + Double(rowsOfPanels) * (panelHeight + 20) + 10, children)
    }

    /// Series `index`'s marker: a circle, then a diamond (shape tells series apart without colour).
    static func marker(_ index: Int, x: Double, y: Double, colour: String, title: String?) -> Node {
        let titleNode = title.map { [el("title", text: $0)] } ?? []
        if index == 0 {
            return el("circle", [("cx", n(x)), ("cy", n(y)), ("r", "4.5"), ("fill", colour), ("stroke", Palette.ink), ("stroke-width", "0.5")], titleNode)
        }
        let d = "M\(n(x)) \(n(y - 5.5))L\(n(x + 5.5)) \(n(y))L\(n(x)) \(n(y + 5.5))L\(n(x - 5.5)) \(n(y))Z"
        return el("path", [("d", d), ("fill", colour), ("stroke", Palette.ink), ("stroke-width", "0.5")], titleNode)
    }

    private static func n(_ value: Double) -> String { fixed(value, 1) }
}
