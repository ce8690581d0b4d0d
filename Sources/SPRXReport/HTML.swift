/// A node of an HTML (or inline SVG) document, escaped when rendered.
///
/// Design note: the report is built from typed nodes rather than a text template, so
/// every value that came from data is escaped by construction (a group label can never
/// inject markup), the structure is checked by the compiler, and charts are the same
/// kind of value as tables. Templates (layout) live in ``HTMLReport``; numbers come
/// only from the published tables.
public indirect enum Node: Sendable {
    case element(String, [(String, String)], [Node])
    case text(String)
    /// Trusted text written as is: only for the fixed style sheet and doctype.
    case trusted(String)

    /// Renders the node.
    public func render(into out: inout String) {
        switch self {
        case .text(let text):
            out += Node.escape(text)
        case .trusted(let text):
            out += text
        case .element(let name, let attributes, let children):
            out += "<" + name
            for (key, value) in attributes { out += " \(key)=\"\(Node.escape(value))\"" }
            if children.isEmpty && Node.voidElements.contains(name) {
                out += ">"
                return
            }
            if children.isEmpty && Node.svgLeaves.contains(name) {
                out += "/>"
                return
            }
            out += ">"
            for child in children { child.render(into: &out) }
            out += "</\(name)>"
        }
    }

    public var rendered: String {
        var out = ""
        render(into: &out)
        return out
    }

    static let voidElements: Set<String> = ["meta", "br", "hr", "col"]
    static let svgLeaves: Set<String> = ["rect", "line", "circle", "path", "stop"]

    /// Escapes `&`, `<`, `>`, `"` and `'`.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// `name` with attributes and children.
func el(_ name: String, _ attributes: [(String, String)] = [], _ children: [Node] = []) -> Node {
    .element(name, attributes, children)
}

/// `name` with attributes and one text child.
func el(_ name: String, _ attributes: [(String, String)] = [], text: String) -> Node {
    .element(name, attributes, [.text(text)])
}

/// A table with a caption, a header row and body rows; `numeric` columns align right.
///
/// Rows whose every figure is suppressed, and a note repeated on every row, are said once
/// in the caption; a table whose every figure is suppressed is one sentence instead
/// (``Report/compacted(header:rows:numeric:)``). The table sits in a `table-wrap` box that
/// scrolls sideways on a narrow screen, so a wide table never runs off the page's column
/// (print wraps it to the page instead).
func dataTable(caption: String, header: [String], rows: [[String]], numeric: Set<Int> = []) -> Node {
    let shape = Report.compacted(header: header, rows: rows, numeric: numeric)
    let said = shape.sentences.joined(separator: " ")
    if shape.empty { return el("p", [("class", "collapsed")], text: caption + (caption.hasSuffix(".") ? " " : ". ") + said) }
    return el(
        "div", [("class", "table-wrap")],
        [
            el(
                "table", [],
                [
                    el("caption", text: said.isEmpty ? caption : caption + (caption.hasSuffix(".") ? " " : ". ") + said),
                    el("thead", [], [el("tr", [], shape.header.map { el("th", [("scope", "col")], text: $0) })]),
                    el(
                        "tbody", [],
                        shape.rows.map { row in
                            el(
                                "tr", [],
                                row.enumerated().map { i, cell in
                                    i == 0 ? el("th", [("scope", "row")], text: cell) : el("td", numeric.contains(i) ? [("class", "num")] : [], text: cell)
                                })
                        }),
                ])
        ])
}
