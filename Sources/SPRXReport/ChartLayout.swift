extension Charts {
    /// About how wide `text` is drawn at `size` px in the report's sans-serif, erring wide:
    /// digits and capitals 0.66 em, narrow marks (space, comma, full stop, colon, i, l,
    /// 1) 0.34 em, every other character 0.58 em (DejaVu Sans, Chromium's fallback for
    /// system-ui on Linux, draws digits 0.64 em and lower case 0.50–0.61 em wide).
    static func textWidth(_ text: String, size: Double = 11) -> Double {
        text.reduce(0.0) { width, character in
            let em: Double =
                " ,.:;'|!il1()".contains(character) ? 0.34 : (character.isNumber || character.isUppercase) ? 0.66 : 0.58
            return width + em * size
        }
    }

    /// The widest of `labels` at `size` px (``textWidth(_:size:)``); 0 for none.
    static func widest(_ labels: [String], size: Double = 11) -> Double {
        labels.map { textWidth($0, size: size) }.max() ?? 0
    }

    /// The labels of a value axis's ticks from `low` through `high` (half a step over, so
    /// rounding never drops the last), `step` apart, to `places` decimals: what
    /// ``gridlines(from:through:step:places:left:right:yOf:)`` writes, for sizing the
    /// margin they are written in before they are drawn.
    static func tickLabels(from low: Double, through high: Double, step: Double, places: Int) -> [String] {
        stride(from: low, through: high + step / 2, by: step).map { NumberFormat.decimal($0, places: places) }
    }

    /// A chart's left edge of its plot: at least `least` from `origin`, and far enough
    /// right that the longest of the tick labels written right-aligned 4 px left of it,
    /// after `reserved` px (a rotated axis title), stays inside the chart.
    static func plotLeft(origin: Double, least: Double, reserved: Double, labels: [String]) -> Double {
        origin + max(least, reserved + widest(labels) + 8)
    }

    /// A legend set out in rows: each item a mark and its text, placed left to right from
    /// `left` and wrapped to a new row before an item would reach past `right`, so that no
    /// legend runs off its chart however long its texts (a single item wider than the
    /// whole row starts a row of its own). `rows` says how many rows it took, so the
    /// chart moves its plots down by ``extraHeight``.
    struct LegendLayout {
        let left: Double
        let right: Double
        /// The y of the first row's marks (their centre line); a row's text sits 4 px lower.
        let firstRow: Double
        let rowHeight: Double
        private var x: Double
        private(set) var rows = 1

        init(left: Double, right: Double, firstRow: Double = 13, rowHeight: Double = 18) {
            self.left = left
            self.right = right
            self.firstRow = firstRow
            self.rowHeight = rowHeight
            x = left
        }

        /// Where the next item goes, a mark `markWidth` wide before its `text`, followed by
        /// `gap` px before the next item: the x of its mark and the y of its centre line.
        mutating func place(markWidth: Double, text: String, gap: Double = 14) -> (x: Double, y: Double) {
            let width = markWidth + Charts.textWidth(text)
            if x > left && x + width > right {
                rows += 1
                x = left
            }
            let position = (x: x, y: firstRow + Double(rows - 1) * rowHeight)
            x += width + gap
            return position
        }

        /// The height the rows after the first add.
        var extraHeight: Double { Double(rows - 1) * rowHeight }
    }
}

extension Charts {
    /// The gap between the lines of a wrapped rotated axis title, in px.
    static let titleLineStep = 12.0

    /// `text` in lines no longer than `length` px at the axis titles' 11 px bold (a word
    /// longer than `length` has a line of its own).
    static func wrapped(_ text: String, length: Double) -> [String] {
        var lines: [String] = []
        for word in text.split(separator: " ").map(String.init) {
            if let last = lines.last, textWidth(last + " " + word) * 1.06 <= length {
                lines[lines.count - 1] = last + " " + word
            } else {
                lines.append(word)
            }
        }
        return lines
    }

    /// A panel's y-axis title turned a quarter left, centred on `middle` with its first
    /// line at `x`, wrapped into lines no longer than `length` px (the panel's height,
    /// so that the titles of panels stacked one above another never run into each other),
    /// each further line ``titleLineStep`` px right of the last; and the px its lines
    /// take across beyond the first (what the tick labels must leave it).
    static func rotatedTitle(_ text: String, x: Double, middle: Double, length: Double) -> (node: Node, extra: Double) {
        let lines = wrapped(text, length: length)
        let attributes = [
            ("x", fixed(x, 1)), ("y", fixed(middle, 1)), ("text-anchor", "middle"), ("class", "axis"),
            ("transform", "rotate(-90 \(fixed(x, 1)) \(fixed(middle, 1)))"),
        ]
        guard lines.count > 1 else { return (el("text", attributes, text: text), 0) }
        let node = el(
            "text", attributes,
            lines.enumerated().map { i, line in
                el("tspan", [("x", fixed(x, 1)), ("dy", i == 0 ? "0" : fixed(titleLineStep, 1))], text: line)
            })
        return (node, Double(lines.count - 1) * titleLineStep)
    }
}
