import SPRXAggregate
import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Charts {
    /// A funnel plot: each organisation's share (y) against its number of referrals (x),
    /// or its case-mix adjusted ratio (by the strata `adjustedBy` names) against its
    /// expected number, the overall share (or 1) as a dashed line, the 95% limits as solid and the 99.8% limits as dotted curves
    /// (the overdispersed ones when the points carry them). The curves join the limits the table publishes at each denominator;
    /// between two published denominators they follow the funnel's shape (the distance from
    /// the overall share interpolated linearly in 1/√n), and they are not drawn beyond
    /// them. A point outside the 99.8% limits is a filled diamond with its label; between
    /// the limits a filled circle; within the 95% limits a hollow circle.
    static func funnelPlot(
        id: String, title: String, description: String, points: [FunnelPoint], overall: Double?, xTitle: String, yTitle: String,
        measure: FunnelMeasure = .crude, adjustedBy: String? = nil
    ) -> Node {
        let plotted = points.filter { $0.value != nil && ($0.x ?? 0) > 0 }
        // A point whose flag is withheld (rounding could move it across a limit) has a
        // marker of its own: drawn as "within" it would contradict the curves around it.
        let unflagged = plotted.contains { $0.flag == nil }
        // Above ``funnelPointLimit`` organisations those within the 95% limits, and those
        // not flagged, are shaded squares (darker where more lie); the rest stay points.
        let dense = plotted.count > funnelPointLimit
        let width = 860.0, left = 66.0, right = width - 150
        let ratio = measure.scale == .ratio
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        // Legend, in rows as wide as the chart (the plot moves down by the rows it takes);
        // `mark` draws an item's mark at its place (x, centre y).
        var layout = LegendLayout(left: left, right: width - 4)
        func legend(_ text: String, _ mark: (Double, Double) -> Node) {
            let at = layout.place(markWidth: 26, text: text)
            children.append(mark(at.x, at.y))
            children.append(el("text", [("x", n(at.x + 26)), ("y", n(at.y + 4)), ("class", "small")], text: text))
        }
        func lineMark(_ dash: String?) -> (Double, Double) -> Node {
            { x, y in
                el(
                    "line",
                    [("x1", n(x)), ("x2", n(x + 22)), ("y1", n(y)), ("y2", n(y)), ("stroke", Palette.ink), ("stroke-width", "1.5")]
                        + (dash.map { [("stroke-dasharray", $0)] } ?? []))
            }
        }
        let widened = measure.overdispersed ? " (overdispersed)" : ""
        legend(ratio ? (adjustedBy == nil ? "as expected (1)" : "as expected for its case mix (1)") : "overall", lineMark("6 3"))
        legend("95% limits" + widened, lineMark(nil))
        legend("99.8% limits" + widened, lineMark("1 3"))
        legend("outside 99.8%") { x, y in funnelMarker(.above998, x: x + 11, y: y, title: nil) }
        legend("outside 95%") { x, y in funnelMarker(.above95, x: x + 11, y: y, title: nil) }
        if dense {
            legend("within 95% or not flagged: shaded by how many") { x, y in
                el("rect", [("x", n(x + 6)), ("y", n(y - 5)), ("width", "10"), ("height", "10"), ("fill", Palette.medical), ("fill-opacity", "0.45")])
            }
        } else {
            legend("within 95%") { x, y in funnelMarker(.within, x: x + 11, y: y, title: nil) }
            if unflagged { legend("not flagged: rounding could move it") { x, y in funnelMarker(nil, x: x + 11, y: y, title: nil) } }
        }
        let height = 260 + layout.extraHeight, top = 34 + layout.extraHeight, bottom = height - 44
        let xs = plotted.compactMap(\.x)
        let xStep = tickStep(xs.max() ?? 1)
        let xMax = max(xStep, ((xs.max() ?? 1) / xStep).rounded(.up) * xStep)
        let ys = plotted.flatMap { [$0.value, $0.upper998, $0.lower998] }.compactMap { $0 } + [overall].compactMap { $0 }
        // A ratio's limits at small expected numbers run far above the points: the axis
        // stops a little above the highest point (at least 2) or the upper 99.8% limit
        // at the largest expected number, whichever is higher, and the curves are clipped there.
        let values = plotted.compactMap(\.value)
        let widest = plotted.max { ($0.x ?? 0) < ($1.x ?? 0) }?.upper998 ?? 0
        let yLow = max(0, ys.min() ?? 0)
        let yHigh = ratio ? min(ys.max() ?? 2, max(2, 1.15 * (values.max() ?? 1), 1.05 * widest)) : min(100, ys.max() ?? 100)
        // A ratio's axis steps in tenths or less; a share's in whole percentage points or more.
        let yStep = ratio ? tickStep(max(0.1, yHigh - yLow)) : tickStep(max(1, yHigh - yLow))
        let yMin = (yLow / yStep).rounded(.down) * yStep, yMax = max(yMin + yStep, (yHigh / yStep).rounded(.up) * yStep)
        func xOf(_ v: Double) -> Double { left + (right - left) * min(max(v, 0), xMax) / xMax }
        func yOf(_ v: Double) -> Double { bottom - (bottom - top) * (min(max(v, yMin), yMax) - yMin) / (yMax - yMin) }
        /// Unclamped, for the limit curves (clipped to the plot area instead).
        func yCurve(_ v: Double) -> Double { bottom - (bottom - top) * (v - yMin) / (yMax - yMin) }
        // Grid and axes.
        children += gridlines(from: yMin, through: yMax, step: yStep, places: tickPlaces(yStep), left: left, right: right, yOf: yOf)
        for tick in stride(from: 0.0, through: xMax + xStep / 2, by: xStep) {
            let x = xOf(tick)
            children.append(el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(bottom)), ("y2", n(bottom + 4)), ("stroke", Palette.ink)]))
            children.append(el("text", [("x", n(x)), ("y", n(bottom + 15)), ("text-anchor", "middle"), ("class", "small")], text: Report.grouped(Int(tick))))
        }
        children.append(el("line", [("x1", n(left)), ("x2", n(right)), ("y1", n(bottom)), ("y2", n(bottom)), ("stroke", Palette.ink)]))
        children.append(el("text", [("x", n((left + right) / 2)), ("y", n(bottom + 32)), ("text-anchor", "middle"), ("class", "axis")], text: xTitle))
        let middle = (top + bottom) / 2
        children.append(
            el(
                "text", [("x", "14"), ("y", n(middle)), ("text-anchor", "middle"), ("class", "axis"), ("transform", "rotate(-90 14 \(n(middle)))")],
                text: yTitle))
        if let overall {
            children.append(
                el(
                    "line",
                    [
                        ("x1", n(left)), ("x2", n(right)), ("y1", n(yOf(overall))), ("y2", n(yOf(overall))), ("stroke", Palette.ink),
                        ("stroke-dasharray", "6 3"), ("stroke-width", "1.5"),
                    ],
                    [
                        el(
                            "title",
                            text: ratio
                                ? adjustedBy.map { "As expected for its case mix (\($0)): 1" } ?? "As expected: 1" : "Overall: \(NumberFormat.points(overall))%"
                        )
                    ]))
        }
        // Limit curves through the published limits, in 1/√n between them.
        if let overall {
            var byDenominator: [Double: FunnelPoint] = [:]
            for point in points {
                if let d = point.x, d > 0, byDenominator[d] == nil, point.lower95 != nil || point.upper95 != nil { byDenominator[d] = point }
            }
            let known = byDenominator.keys.sorted().map { byDenominator[$0]! }
            children.append(
                el(
                    "clipPath", [("id", "\(id)-plot")],
                    [el("rect", [("x", n(left)), ("y", n(top)), ("width", n(right - left)), ("height", n(bottom - top))])]))
            let curves: [(KeyPath<FunnelPoint, Double?>, String?, String)] = [
                (\.upper95, nil, "upper 95% limit"), (\.lower95, nil, "lower 95% limit"), (\.upper998, "1 3", "upper 99.8% limit"),
                (\.lower998, "1 3", "lower 99.8% limit"),
            ]
            for (path, dash, name) in curves {
                var d = ""
                var previous: (n: Double, limit: Double)?
                // At most a vertex a pixel across: thousands of denominators (every
                // organisation's own expected number) would otherwise give a path of
                // thousands of vertices per curve for what a few hundred draw.
                var lastX = -Double.infinity
                for (index, point) in known.enumerated() {
                    guard let limit = point[keyPath: path], let nValue = point.x else {
                        previous = nil
                        continue
                    }
                    if let previous {
                        // Distance from the overall share × √n, linear in 1/√n between the two.
                        for k in 1...8 {
                            let t = Double(k) / 8
                            let inverse = (1 - t) / sqrt(previous.n) + t / sqrt(nValue)
                            let distance = (1 - t) * (previous.limit - overall) * sqrt(previous.n) + t * (limit - overall) * sqrt(nValue)
                            let atN = 1 / (inverse * inverse)
                            guard xOf(atN) - lastX >= 1 || (index == known.count - 1 && k == 8) else { continue }
                            lastX = xOf(atN)
                            d += "L\(n(xOf(atN))) \(n(yCurve(overall + distance * inverse)))"
                        }
                    } else {
                        d += "M\(n(xOf(nValue))) \(n(yCurve(limit)))"
                        lastX = xOf(nValue)
                    }
                    previous = (nValue, limit)
                }
                guard d.contains("L") else { continue }
                children.append(
                    el(
                        "path",
                        [("d", d), ("fill", "none"), ("stroke", Palette.ink), ("stroke-width", "1.2"), ("clip-path", "url(#\(id)-plot)")]
                            + (dash.map { [("stroke-dasharray", $0)] } ?? []),
                        [
                            el("title", text: name)
                        ]))
            }
        }
        // Points, then the labels of those outside the 99.8% limits; above the limit, the
        // points within the 95% limits (or not flagged) counted in squares of the plot instead.
        var cells: [Int: [Int: Int]] = [:]
        var markers: [Node] = []
        for point in plotted {
            guard let value = point.value, let x = point.x else { continue }
            if dense && (point.flag == nil || point.flag == .within) {
                let column = Int(((xOf(x) - left) / densityCell).rounded(.down)), row = Int(((yOf(value) - top) / densityCell).rounded(.down))
                cells[column, default: [:]][row, default: 0] += 1
                continue
            }
            let text: String
            if ratio {
                let limits =
                    point.lower95.flatMap { l in point.upper95.map { "; 95% limits \(NumberFormat.range(NumberFormat.ratio(l), NumberFormat.ratio($0)))" } }
                    ?? ""
                let observed = point.observed.map { "\(PlaceWording.countFigure($0)) observed against " } ?? ""
                text =
                    "\(point.label): ratio \(NumberFormat.ratio(value)), \(observed)\(PlaceWording.countFigure(x)) expected\(limits); \(point.flag.map(PlaceWording.flagWords) ?? "not flagged: the rounding of small counts could move it across a limit")"
            } else {
                let limits =
                    point.lower95.flatMap { l in point.upper95.map { "; 95% limits \(NumberFormat.range(NumberFormat.points(l), NumberFormat.points($0)))%" } }
                    ?? ""
                text =
                    "\(point.label): \(NumberFormat.percent(value, denominator: x))% of \(Report.grouped(Int(x))) referrals\(limits); \(point.flag.map(PlaceWording.flagWords) ?? "not flagged: the rounding of small counts could move it across a limit")"
            }
            markers.append(funnelMarker(point.flag, x: xOf(x), y: yOf(value), title: text))
        }
        let most = cells.values.flatMap(\.values).max() ?? 1
        for column in cells.keys.sorted() {
            for (row, count) in cells[column]!.sorted(by: { $0.key < $1.key }) {
                // Shade by the count on a log scale: one organisation faint, the fullest square 0.6.
                let opacity = 0.12 + 0.48 * log(1 + Double(count)) / log(1 + Double(most))
                children.append(
                    el(
                        "rect",
                        [
                            ("class", "density"), ("x", n(left + Double(column) * densityCell)), ("y", n(top + Double(row) * densityCell)),
                            ("width", n(densityCell)), ("height", n(densityCell)), ("fill", Palette.medical), ("fill-opacity", fixed(opacity, 2)),
                        ],
                        [
                            el(
                                "title",
                                text:
                                    "\(NumberFormat.count(Int64(count))) \(count == 1 ? "organisation" : "organisations") within the 95% limits or not flagged")
                        ]
                    ))
            }
        }
        children += markers
        // Labels of those outside the 99.8% limits, the furthest out first, at most
        // ``funnelLabels``, right of the point or else left of it, and left out where both
        // would overlap a label already drawn (the table beside the chart names them all).
        var boxes: [(x0: Double, x1: Double, y: Double)] = []
        for point in PlaceWording.outliers(plotted).prefix(funnelLabels) {
            guard let value = point.value, let xValue = point.x else { continue }
            let x = xOf(xValue), y = yOf(value) + 4
            let text = fitted(point.label, width: 180), length = Double(text.count) * 6.2
            let candidates = [(x + 8, x + 8 + length, "start"), (x - 8 - length, x - 8, "end")].filter { $0.0 >= left && $0.1 <= width - 4 }
            guard let place = candidates.first(where: { c in !boxes.contains { abs($0.y - y) < 12 && $0.x0 < c.1 && c.0 < $0.x1 } }) else { continue }
            boxes.append((place.0, place.1, y))
            // On a page ground of its own: a label never sits on a marker's fill.
            let drawn = textWidth(text)
            let x0 = place.2 == "start" ? place.0 : place.1 - drawn
            children.append(el("rect", [("x", n(x0 - 1)), ("y", n(y - 10)), ("width", n(drawn + 2)), ("height", "13"), ("fill", Palette.page)]))
            children.append(
                el("text", [("x", n(place.2 == "start" ? place.0 : place.1)), ("y", n(y)), ("text-anchor", place.2), ("class", "small")], text: text))
        }
        return svg(id: id, width: width, height: height, children)
    }

    /// The most points a funnel plot labels.
    static let funnelLabels = 8

    /// The most organisations a funnel plot draws one point each: above it, those within
    /// the 95% limits (and those not flagged) are counted in ``densityCell`` squares
    /// instead, so that 50,000 organisations do not make 50,000 points per chart; those
    /// outside the 95% limits are always points.
    static let funnelPointLimit = 2_000

    /// The side of a square of the shaded density, in px.
    static let densityCell = 8.0

    /// A funnel point's marker: a diamond outside the 99.8% limits, a filled circle outside
    /// the 95%, a hollow circle within, a hollow square when the flag is withheld (shape
    /// and fill, not colour alone).
    static func funnelMarker(_ flag: OrganisationColumn.Flag?, x: Double, y: Double, title: String?) -> Node {
        let titleNode = title.map { [el("title", text: $0)] } ?? []
        guard let flag else {
            return el(
                "rect",
                [
                    ("x", n(x - 3.5)), ("y", n(y - 3.5)), ("width", "7"), ("height", "7"), ("fill", Palette.page), ("stroke", Palette.ink),
                    ("stroke-width", "1.2"),
                ], titleNode)
        }
        switch flag {
        case .above998, .below998:
            let d = "M\(n(x)) \(n(y - 6))L\(n(x + 6)) \(n(y))L\(n(x)) \(n(y + 6))L\(n(x - 6)) \(n(y))Z"
            return el("path", [("d", d), ("fill", Palette.nonMedical), ("stroke", Palette.ink), ("stroke-width", "0.8")], titleNode)
        case .above95, .below95:
            return el(
                "circle", [("cx", n(x)), ("cy", n(y)), ("r", "4.5"), ("fill", Palette.medical), ("stroke", Palette.ink), ("stroke-width", "0.5")], titleNode)
        case .within:
            return el(
                "circle", [("cx", n(x)), ("cy", n(y)), ("r", "4"), ("fill", Palette.page), ("stroke", Palette.medical), ("stroke-width", "1.5")], titleNode)
        }
    }

    /// Bars of a value per quintile with 95% intervals, an "all" reference line, and the
    /// data's own units as points over their quintile's bar.
    static func quintileBars(
        id: String, title: String, description: String, bars: [(label: String, value: Double?, low: Double?, high: Double?)], all: Double?,
        points: [(quintile: Int, value: Double, title: String)], xTitle: String, yTitle: String
    ) -> Node {
        let width = 620.0, height = 300.0, left = 66.0, right = width - 20, top = 34.0, bottom = height - 44
        let values = bars.flatMap { [$0.high ?? $0.value] }.compactMap { $0 } + points.map(\.value) + [all].compactMap { $0 }
        let step = tickStep(values.max() ?? 1)
        let yMax = max(step, ((values.max() ?? 1) / step).rounded(.up) * step)
        func yOf(_ v: Double) -> Double { bottom - (bottom - top) * min(max(v, 0), yMax) / yMax }
        let slot = (right - left) / Double(max(1, bars.count))
        var children: [Node] = [el("title", [("id", "\(id)-title")], text: title), el("desc", [("id", "\(id)-desc")], text: description)]
        var lx = left
        children.append(el("rect", [("x", n(lx)), ("y", "7"), ("width", "12"), ("height", "12"), ("fill", Palette.neutral)]))
        children.append(el("text", [("x", n(lx + 16)), ("y", "17"), ("class", "small")], text: "all England's networks in the quintile (95% CI)"))
        lx += 16 + 46 * 6.2 + 14
        if !points.isEmpty {
            children.append(funnelMarker(.above998, x: lx + 6, y: 13, title: nil))
            children.append(el("text", [("x", n(lx + 16)), ("y", "17"), ("class", "small")], text: "this data's networks"))
            lx += 16 + 20 * 6.2 + 14
        }
        if all != nil {
            children.append(
                el(
                    "line",
                    [
                        ("x1", n(lx)), ("x2", n(lx + 22)), ("y1", "13"), ("y2", "13"), ("stroke", Palette.ink), ("stroke-dasharray", "6 3"),
                        ("stroke-width", "1.5"),
                    ]))
            children.append(el("text", [("x", n(lx + 26)), ("y", "17"), ("class", "small")], text: "England"))
        }
        children += gridlines(from: 0.0, through: yMax, step: step, places: tickPlaces(step), left: left, right: right, yOf: yOf)
        for (i, bar) in bars.enumerated() {
            let x = left + slot * (Double(i) + 0.5)
            children.append(el("text", [("x", n(x)), ("y", n(bottom + 15)), ("text-anchor", "middle"), ("class", "small")], text: bar.label))
            guard let value = bar.value else {
                children.append(el("text", [("x", n(x)), ("y", n(bottom - 4)), ("text-anchor", "middle"), ("class", "small")], text: ReachWording.empty))
                continue
            }
            let interval = bar.low.flatMap { l in bar.high.map { " (95% CI \(NumberFormat.range(NumberFormat.fte(l), NumberFormat.fte($0))))" } } ?? ""
            children.append(
                el(
                    "rect",
                    [("x", n(x - slot * 0.3)), ("y", n(yOf(value))), ("width", n(slot * 0.6)), ("height", n(bottom - yOf(value))), ("fill", Palette.neutral)],
                    [
                        el("title", text: "\(xTitle) \(bar.label): \(NumberFormat.fte(value))\(interval)")
                    ]))
            if let low = bar.low, let high = bar.high {
                children.append(
                    el("line", [("x1", n(x)), ("x2", n(x)), ("y1", n(yOf(low))), ("y2", n(yOf(high))), ("stroke", Palette.ink), ("stroke-width", "1.5")]))
                for y in [low, high] {
                    children.append(
                        el(
                            "line",
                            [("x1", n(x - 5)), ("x2", n(x + 5)), ("y1", n(yOf(y))), ("y2", n(yOf(y))), ("stroke", Palette.ink), ("stroke-width", "1.5")]))
                }
            }
        }
        if let all {
            children.append(
                el(
                    "line",
                    [
                        ("x1", n(left)), ("x2", n(right)), ("y1", n(yOf(all))), ("y2", n(yOf(all))), ("stroke", Palette.ink), ("stroke-dasharray", "6 3"),
                        ("stroke-width", "1.5"),
                    ],
                    [
                        el("title", text: "England: \(NumberFormat.fte(all))")
                    ]))
        }
        // Points spread evenly across their quintile's bar, in the order given.
        for q in 1...5 {
            let mine = points.filter { $0.quintile == q }
            for (k, point) in mine.enumerated() {
                let x = left + slot * (Double(q - 1) + 0.5) + slot * 0.5 * ((Double(k) + 0.5) / Double(mine.count) - 0.5)
                children.append(funnelMarker(.above998, x: x, y: yOf(point.value), title: point.title))
            }
        }
        children.append(el("line", [("x1", n(left)), ("x2", n(right)), ("y1", n(bottom)), ("y2", n(bottom)), ("stroke", Palette.ink)]))
        children.append(el("text", [("x", n((left + right) / 2)), ("y", n(bottom + 32)), ("text-anchor", "middle"), ("class", "axis")], text: xTitle))
        let middle = (top + bottom) / 2
        children.append(
            el(
                "text", [("x", "14"), ("y", n(middle)), ("text-anchor", "middle"), ("class", "axis"), ("transform", "rotate(-90 14 \(n(middle)))")],
                text: yTitle))
        return svg(id: id, width: width, height: height, children)
    }

    private static func n(_ value: Double) -> String { fixed(value, 1) }
}

extension Report {
    /// The funnel plots and their sentences and tables for one level: each indicator the
    /// data record, as ``PlaceFigures/funnel(_:_:_:)`` chooses to draw it.
    static func funnelFigures(_ figures: PlaceFigures, _ level: PlaceFigures.Level, _ context: ReportContext) -> [Node] {
        var nodes: [Node] = []
        // The parents' funnels sit under one heading: their method, said once when the
        // same for every indicator.
        let funnels = PlaceFigures.charted.filter { PlaceFigures.isCharted($0, context) }.map { figures.funnel($0, level, context) }
            .filter { !$0.points.isEmpty }
        let methods = funnels.map { $0.method.joined(separator: " ") }
        let sharedMethod = level == .parent && Set(methods).count == 1
        if sharedMethod, let method = methods.first { nodes.append(el("p", [("class", "note")], text: method)) }
        // The case-mix adjustment is said in full for the first adjusted funnel, then
        // referred to (the print's pages are full).
        var adjustmentSaid = false
        for var funnel in funnels {
            if let strata = funnel.adjustedBy, !funnel.method.isEmpty {
                if adjustmentSaid { funnel.method[0] = PlaceWording.adjustedAsAbove(strata) }
                adjustmentSaid = true
            }
            let indicator = funnel.indicator
            let points = funnel.points, noun = funnel.noun, measure = funnel.measure
            let name = PlaceWording.indicatorName(indicator)
            let ratio = measure.scale == .ratio
            let what = funnel.adjustedBy.map { "\(name), case-mix adjusted ratio (by \($0))," } ?? name
            let limitsWords = measure.overdispersed ? "95% and 99.8% limits widened for overdispersion" : "95% and 99.8% limits"
            let against = ratio ? "expected numbers" : "numbers of referrals"
            let title = "\(what) by \(noun), against \(noun == "parent" ? "parents'" : "organisations'") \(against), with \(limitsWords)"
            var sentences = [PlaceWording.flagSentence(points, indicator, noun: noun)]
            if let outliers = PlaceWording.outlierSentence(points, overall: funnel.overall) { sentences.append(outliers) }
            let id = "funnel-\(level == .organisation ? "" : "parent-")\(indicator.rawValue.replacingOccurrences(of: "_", with: "-"))"
            // The parents' sentences each name their indicator, under the one heading "By parent".
            if level == .organisation { nodes.append(el("h3", text: name)) }
            if !sharedMethod { nodes.append(el("p", [("class", "note")], text: funnel.method.joined(separator: " "))) }
            nodes.append(el("ul", [("class", "findings")], sentences.map { el("li", [], [el("p", text: $0)]) }))
            let centre =
                ratio
                ? "the dashed line is 1 (\(funnel.adjustedBy.map { "as many as the \(noun)'s case mix by \($0) predicts" } ?? "as many as expected"))"
                : "the dashed line is the overall share\(funnel.overall.map { " (\(NumberFormat.points($0))%)" } ?? "")"
            let description =
                "Funnel plot: one point per \(noun), its \(PlaceWording.subject(indicator, measure)) (up) against its \(ratio ? "expected number" : "number of referrals") (across); \(centre), the solid curves the 95% limits and the dotted curves the 99.8% limits\(measure.overdispersed ? ", both widened for overdispersion" : ""). Diamonds are outside the 99.8% limits and are labelled, filled circles outside the 95% limits, hollow circles within\(points.contains { $0.value != nil && $0.flag == nil } ? ", hollow squares not flagged because the rounding of small counts could move them across a limit" : ""). The same numbers are in the table below."
            let caption = organisationCaption(funnel)
            let figure =
                el(
                    "figure", [],
                    [
                        // The axis title may run past the plot, centred under it (about 111 characters; the caption has them all).
                        Charts.funnelPlot(
                            id: id, title: title, description: description, points: points, overall: funnel.overall,
                            xTitle: funnel.adjustedBy.map { Charts.fitted("Expected number, case-mix adjusted by \($0)", width: 690) }
                                ?? (ratio ? "Expected number" : "Referrals (the share's denominator)"),
                            yTitle: ratio ? "Observed / expected" : "\(name) (%)", measure: measure, adjustedBy: funnel.adjustedBy),
                        el(
                            "figcaption",
                            text: title + "."
                                + (points.filter { $0.value != nil && ($0.x ?? 0) > 0 }.count > Charts.funnelPointLimit
                                    ? " With more than \(Report.grouped(Charts.funnelPointLimit)) \(noun)s, those within the 95% limits or not flagged are shaded squares, darker where more lie; those outside the 95% limits are drawn one by one."
                                    : "")),
                        details(
                            tableSummary(funnelSummary(funnel), table: .organisations),
                            dataTable(
                                caption: controlled(caption, context), header: organisationHeader(measure), rows: organisationRows(figures, funnel),
                                numeric: [4, 5, 6, 7, 8])),
                    ])
            // A funnel with no point outside its limits shows nothing its sentence does not
            // say, and the parents' funnels repeat the organisations' at a coarser level:
            // their sentences stay in view, the charts are one click away (and not printed).
            let flagged = points.contains { $0.flag.map { $0 != .within } ?? false }
            nodes.append(
                level == .parent || !flagged
                    ? details("Chart and table: \(funnelSummary(funnel)) (all rows: \(TableSchema.organisations.path))", figure) : figure)
        }
        return nodes
    }

    /// What a funnel's summary line calls it: "non-medical share by organisation", with
    /// "case-mix adjusted ratio by …" and its strata when adjusted.
    static func funnelSummary(_ funnel: Funnel) -> String {
        "\(PlaceWording.indicatorName(funnel.indicator).lowercased()) by \(funnel.noun)"
            + (funnel.adjustedBy.map { ", case-mix adjusted ratio by \($0)" } ?? "")
    }

    /// The caption of a funnel's table: a share's percent, or the adjusted ratio's counts with its strata.
    static func organisationCaption(_ funnel: Funnel) -> String {
        let name = PlaceWording.indicatorName(funnel.indicator), noun = funnel.noun
        if let by = funnel.adjustedBy {
            return
                "\(name) by \(noun), observed, expected (case-mix adjusted by \(by)) and their ratio, with the funnel limits for its expected number (tables/organisations.csv)"
        }
        return funnel.measure.scale == .ratio
            ? "\(name) by \(noun), observed, expected and their ratio, with the funnel limits for its expected number (tables/organisations.csv)"
            : "\(name) by \(noun), percent, with the funnel limits for its denominator (tables/organisations.csv)"
    }

    static func placeSection(_ numbers: ReportNumbers, _ context: ReportContext) -> Node {
        let figures = numbers.place
        var children: [Node] = []
        children += placeWithheldSentences(context).map { el("p", text: $0) }
        if figures.hasOrganisations {
            children.append(el("p", text: placeIntro))
            children += funnelFigures(figures, .organisation, context)
            if figures.hasParents {
                children.append(
                    el(
                        "h3",
                        text:
                            "By parent: the organisations of each parent the lookup names (a primary care network, an integrated care board or a health board) taken together"
                    ))
                children += funnelFigures(figures, .parent, context)
            }
            children += methodNotes(placeNotes(figures, context))
        } else {
            children.append(el("p", text: noOrganisations))
        }
        children.append(el("h3", text: provisionTitle))
        children += provisionNodes(figures, context)
        return section("organisations", placeTitle, children)
    }

    /// The provision part: the national bars with the data's networks, the gradient in words, the tables.
    static func provisionNodes(_ figures: PlaceFigures, _ context: ReportContext) -> [Node] {
        let coverage = context.censusCoverage
        guard let date = figures.reportedCensus(coverage) else {
            return [el("p", text: noProvision)]
        }
        var nodes: [Node] = []
        if let period = provisionPeriodNote(coverage) { nodes.append(el("p", text: period)) }
        if let sentence = PlaceWording.gradientSentence(
            sii: figures.gradientRow(date, PlaceFigures.sii, PlaceFigures.allGroups), rii: figures.gradientRow(date, PlaceFigures.rii, PlaceFigures.allGroups),
            date: date,
            coverage: coverage)
        {
            nodes.append(el("ul", [("class", "findings")], [el("li", [], [el("p", text: sentence)])]))
        }
        let bars = (1...5).map { q -> (label: String, value: Double?, low: Double?, high: Double?) in
            let row = figures.gradientRow(date, PlaceFigures.ftePer50000, String(q))
            let label = q == 1 ? "1 (most deprived)" : q == 5 ? "5 (least deprived)" : String(q)
            return (label, row?[ProvisionGradientColumn.value].value, row?[ProvisionGradientColumn.ciLow].value, row?[ProvisionGradientColumn.ciHigh].value)
        }
        let networks = figures.networks(date)
        let points = networks.compactMap { row -> (quintile: Int, value: Double, title: String)? in
            guard let q = quintile(row[ProvisionColumn.imdQuintile]), let value = row[ProvisionColumn.ftePer50000].value else { return nil }
            let name = row[ProvisionColumn.pcnName].shown
            return (q, value, "\(name.isEmpty ? row[ProvisionColumn.pcnCode].shown : name): \(NumberFormat.fte(value)) FTE per 50,000, quintile \(q)")
        }
        let title = "Link worker FTE per 50,000 registered patients by fifth of England's primary care networks by deprivation, \(date)"
        nodes.append(
            el(
                "figure", [],
                [
                    Charts.quintileBars(
                        id: "provision", title: title,
                        description:
                            "Bars, one per fifth of England's networks ranked by deprivation (1 = most deprived), of link worker FTE per 50,000 registered patients with 95% intervals; the dashed line is England's figure"
                            + (points.isEmpty ? "." : "; the diamonds are the networks this data's organisations map to, over their own quintile's bar.")
                            + " The same numbers are in the tables below.",
                        bars: bars, all: figures.gradientRow(date, PlaceFigures.ftePer50000, PlaceFigures.allGroups)?[ProvisionGradientColumn.value].value,
                        points: points,
                        xTitle: "Quintile of networks by deprivation (1 = most deprived)", yTitle: "FTE per 50,000 patients"),
                    el("figcaption", text: title + "."),
                    details(
                        tableSummary("England's networks by deprivation quintile, \(date)", table: .provisionByDeprivation),
                        dataTable(
                            caption: "Link worker FTE per 50,000 registered patients by quintile of networks, \(date) (tables/provision_by_deprivation.csv)",
                            header: gradientHeader,
                            rows: provisionGradientRows(figures, date), numeric: [1, 2, 3, 4])),
                ]))
        if networks.isEmpty {
            nodes.append(
                el(
                    "p",
                    text:
                        "None of this data's organisations maps to an English primary care network at \(date), so no network of the data is shown (tables/pcn_provision.csv has no rows for it)."
                ))
        } else {
            let all = provisionRows(figures, date), shown = networksThatMatter(all)
            nodes.append(
                details(
                    tableSummary("this data's primary care networks, \(date)", table: .pcnProvision),
                    dataTable(
                        caption: controlled("This data's primary care networks, \(date) (tables/pcn_provision.csv)", context), header: provisionHeader,
                        rows: shown ?? all,
                        numeric: [2, 3, 4, 5, 6, 7, 8, 9])))
            if let shown { nodes.append(el("p", text: networksRest(shown: shown.count, of: all.count))) }
        }
        nodes += methodNotes(provisionNotes(coverage), inView: provisionInViewNotes(coverage), heading: nil)
        return nodes
    }

    /// The organisations section in Markdown: the same sentences and tables as the HTML.
    static func placeMarkdown(_ numbers: ReportNumbers, _ context: ReportContext) -> [String] {
        let figures = numbers.place, md = markdownText
        var out = ["## " + placeTitle, ""]
        out += placeWithheldSentences(context).flatMap { [md($0), ""] }
        if figures.hasOrganisations {
            out += [md(placeIntro), ""]
            for level in figures.hasParents ? [PlaceFigures.Level.organisation, .parent] : [.organisation] {
                let noun = level == .organisation ? "organisation" : "parent"
                for indicator in PlaceFigures.charted where PlaceFigures.isCharted(indicator, context) {
                    let funnel = figures.funnel(indicator, level, context)
                    let points = funnel.points
                    guard !points.isEmpty else { continue }
                    let name = PlaceWording.indicatorName(indicator)
                    out += ["### " + md("\(name)\(level == .parent ? ", by parent" : "")"), ""]
                    out += [md(funnel.method.joined(separator: " ")), ""]
                    out.append("- " + md(PlaceWording.flagSentence(points, indicator, noun: noun)))
                    if let outliers = PlaceWording.outlierSentence(points, overall: funnel.overall) { out.append("- " + md(outliers)) }
                    let caption = organisationCaption(funnel)
                    out += ["", md(controlled(caption, context)), ""]
                    out += table(organisationHeader(funnel.measure), organisationRows(figures, funnel), right: [4, 5, 6, 7, 8])
                }
            }
            out += ["### How these figures are made", ""]
            out += placeNotes(figures, context).map { "- " + md($0) } + [""]
        } else {
            out += [md(noOrganisations), ""]
        }
        out += ["### " + md(provisionTitle), ""]
        let coverage = context.censusCoverage
        guard let date = figures.reportedCensus(coverage) else { return out + [md(noProvision), ""] }
        if let period = provisionPeriodNote(coverage) { out += [md(period), ""] }
        if let sentence = PlaceWording.gradientSentence(
            sii: figures.gradientRow(date, PlaceFigures.sii, PlaceFigures.allGroups), rii: figures.gradientRow(date, PlaceFigures.rii, PlaceFigures.allGroups),
            date: date,
            coverage: coverage)
        {
            out += ["- " + md(sentence), ""]
        }
        out += [md("Link worker FTE per 50,000 registered patients by quintile of networks, \(date) (tables/provision_by_deprivation.csv)."), ""]
        out += table(gradientHeader, provisionGradientRows(figures, date), right: [1, 2, 3, 4])
        let networks = provisionRows(figures, date)
        if networks.isEmpty {
            out += [
                md(
                    "None of this data's organisations maps to an English primary care network at \(date), so no network of the data is shown (tables/pcn_provision.csv has no rows for it)."
                ), "",
            ]
        } else {
            out += [md(controlled("This data's primary care networks, \(date) (tables/pcn_provision.csv)", context)), ""]
            let shown = networksThatMatter(networks)
            out += table(provisionHeader, shown ?? networks, right: [2, 3, 4, 5, 6, 7, 8, 9])
            if let shown { out += [md(networksRest(shown: shown.count, of: networks.count)), ""] }
        }
        out += provisionNotes(coverage).map { "- " + md($0) } + [""]
        return out
    }
}
