import Foundation
import SPRXCore
import Testing

@testable import SPRXReport

/// The printed report stays short: long tables are behind a closed `<details>` on screen
/// (left out of print by the style sheet) and say which CSV holds every row.
@Suite(.timeLimit(.minutes(10))) struct ReportPagesTests {
    /// A table longer than this many body rows is "long": it belongs behind a closed details.
    static let longTable = 10

    /// Each `<table>` of `html`: its body rows, whether an enclosing `<details>` is closed,
    /// and the text of that details' summary and of the table's caption.
    static func tables(_ html: String) -> [(rows: Int, closed: Bool, summary: String, caption: String)] {
        let tag = try! NSRegularExpression(pattern: "<(/?)([a-zA-Z0-9]+)([^>]*?)(/?)>")
        let text = html as NSString
        var stack: [(name: String, attributes: String, summary: String)] = []
        var found: [(rows: Int, closed: Bool, summary: String, caption: String)] = []
        var rows = 0, caption = "", inCaption = false, inSummary = false, inBody = false, last = 0
        for match in tag.matches(in: html, range: NSRange(location: 0, length: text.length)) {
            let between = text.substring(with: NSRange(location: last, length: match.range.location - last))
            last = match.range.location + match.range.length
            if inCaption { caption += between }
            if inSummary, !stack.isEmpty { stack[stack.count - 1].summary += between }
            let closing = text.substring(with: match.range(at: 1)) == "/"
            let name = text.substring(with: match.range(at: 2)).lowercased()
            let attributes = text.substring(with: match.range(at: 3))
            let selfClosing = text.substring(with: match.range(at: 4)) == "/" || ["meta", "br", "hr", "col", "!doctype"].contains(name)
            if closing {
                switch name {
                case "caption": inCaption = false
                case "summary": inSummary = false
                case "tbody": inBody = false
                case "table":
                    let details = stack.last { $0.name == "details" }
                    found.append((rows, details.map { !$0.attributes.contains("open") } ?? false, details?.summary ?? "", caption))
                default: break
                }
                if let i = stack.lastIndex(where: { $0.name == name }) { stack.removeSubrange(i...) }
                continue
            }
            switch name {
            case "table": rows = 0; caption = ""
            case "caption": inCaption = true
            case "summary": inSummary = true
            case "tbody": inBody = true
            case "tr" where inBody: rows += 1
            default: break
            }
            // A summary's text belongs to its details (the element below it on the stack).
            if name == "summary" { continue }
            if !selfClosing { stack.append((name, attributes, "")) }
        }
        return found
    }

    /// Whether `text` names a published table's CSV ("tables/route_type_by_group.csv").
    static func namesACSV(_ text: String) -> Bool {
        PublishedTables.schemas.contains { text.contains("tables/\($0.name).csv") }
    }

    /// The sample report: every table longer than ``longTable`` rows is behind a closed
    /// details, and that details or the table names the CSV with every row; the print
    /// style sheet leaves closed details out and the print note says where they are.
    @Test func longTablesAreBehindClosedDetailsNamingTheirCSV() throws {
        let html = try String(contentsOfFile: sampleRun.out + "/report.html", encoding: .utf8)
        let tables = Self.tables(html)
        // The sample has long tables (ages, deciles, quarters, organisations, models):
        // a parser that found none would pass vacuously.
        let long = tables.filter { $0.rows > Self.longTable }
        #expect(long.count >= 10, "found \(long.count) long tables")
        for table in long {
            #expect(table.closed, "a \(table.rows)-row table is in print: \(table.caption.prefix(80))")
            #expect(
                Self.namesACSV(table.summary) || Self.namesACSV(table.caption) || table.summary.contains("manifest.json"),
                "no CSV named: \(table.summary) / \(table.caption.prefix(80))")
        }
        // Every closed details holding a table says where its rows are, in its summary.
        for table in tables where table.closed {
            #expect(Self.namesACSV(table.summary) || table.summary.contains("manifest.json"), "summary names no file: \(table.summary)")
        }
        #expect(Report.css.contains("details:not([open]) { display: none; }"))
        #expect(html.contains("<p class=\"print-only note\">\(Node.escape(Report.printNote))</p>"))
    }

    /// A hand-built table whose every figure is suppressed is one sentence, and that
    /// sentence stays in view (and in print) instead of going behind the details.
    @Test func aWhollySuppressedTableStaysInView() {
        let node = Report.details(
            Report.tableSummary("x by y", table: .routeTypeByGroup),
            dataTable(caption: "X by y", header: ["Group", "n"], rows: [["A", "suppressed"], ["B", "suppressed"]], numeric: [1]))
        let html = node.rendered
        #expect(!html.contains("<details"))
        #expect(html.hasPrefix("<p class=\"collapsed\">X by y. Every figure in this table is suppressed"))
        // With figures, the same table goes behind a closed details naming its CSV.
        let shown = Report.details(
            Report.tableSummary("x by y", table: .routeTypeByGroup),
            dataTable(caption: "X by y", header: ["Group", "n"], rows: [["A", "10"]], numeric: [1])
        ).rendered
        #expect(shown.hasPrefix("<details><summary>Table: x by y (all rows: tables/route_type_by_group.csv)</summary><div class=\"table-wrap\"><table>"))
        let tables = Self.tables(shown)
        #expect(tables.count == 1 && tables[0].rows == 1 && tables[0].closed)
    }
}
