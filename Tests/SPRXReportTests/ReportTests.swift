import Foundation
import SPRXAggregate
import SPRXRunner
import Testing

@testable import SPRXReport

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let snapshots = "\(packageRoot)/Tests/SPRXReportTests/Snapshots"

/// The default pipeline on SampleData/canonical, run once for all report tests.
let sampleRun: String = {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("sprx-report-\(UUID().uuidString)").path
    _ = try! Runner.run(
        RunOptions(
            pipelinePath: "\(packageRoot)/Pipelines/referral-equity.yaml", inputs: ["\(packageRoot)/SampleData/canonical"],
            outputDirectory: out, jobs: 2, quiet: true))
    return out
}()

/// Compares with a committed snapshot; `SPRX_UPDATE_SNAPSHOTS=1 swift test` rewrites it
/// (then read the diff before committing).
func matchSnapshot(_ text: String, _ name: String) throws {
    let path = "\(snapshots)/\(name)"
    if ProcessInfo.processInfo.environment["SPRX_UPDATE_SNAPSHOTS"] == "1" {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    if text != expected {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        Issue.record("\(name) differs from its snapshot at line \(line + 1): expected \(line < a.count ? String(a[line]) : "(end)") got \(line < b.count ? String(b[line]) : "(end)")")
    }
}

/// The HTML's outline: sections, headings, figures (with their accessible names),
/// tables (with captions), details. Snapshot of structure, not of every number.
func outline(_ html: String) -> String {
    var lines: [String] = []
    let patterns = [
        #"<section id="([^"]+)""#, #"<h[123][^>]*>([^<]+)</h[123]>"#, #"<svg id="([^"]+)" role="img""#, #"<caption>([^<]+)</caption>"#,
        #"<summary>([^<]+)</summary>"#,
    ]
    let regexes = patterns.map { try! NSRegularExpression(pattern: $0) }
    var matches: [(Int, String)] = []
    let ns = html as NSString
    for (i, regex) in regexes.enumerated() {
        for m in regex.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let kind = ["section", "heading", "chart", "table", "details"][i]
            matches.append((m.range.location, "\(kind): \(ns.substring(with: m.range(at: 1)))"))
        }
    }
    for (_, text) in matches.sorted(by: { $0.0 < $1.0 }) { lines.append(text) }
    return lines.joined(separator: "\n") + "\n"
}

@Suite(.serialized) struct ReportTests {
    @Test func markdownMatchesSnapshot() throws {
        try matchSnapshot(try String(contentsOfFile: sampleRun + "/report.md", encoding: .utf8), "report.md")
    }

    @Test func htmlStructureMatchesSnapshot() throws {
        try matchSnapshot(outline(try String(contentsOfFile: sampleRun + "/report.html", encoding: .utf8)), "report-structure.txt")
    }

    /// Nothing outside the file: no scripts, links, images, frames, fonts, imports or URLs.
    @Test func htmlReferencesNothingOutsideItself() throws {
        let html = try String(contentsOfFile: sampleRun + "/report.html", encoding: .utf8)
        for forbidden in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "href=", "url(", "@import", "http:", "https:", "//"] {
            #expect(!html.contains(forbidden), "report.html contains \(forbidden)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en-GB\">"))
        #expect(html.contains("<style>") && html.contains("@page { size: A4"))
    }

    @Test func chartsAndTablesAreAccessible() throws {
        let html = try String(contentsOfFile: sampleRun + "/report.html", encoding: .utf8)
        let svgs = html.components(separatedBy: "<svg ").dropFirst()
        #expect(svgs.count >= 11)  // 7 route mixes, gradient, pathway, reasons, 4 forest plots
        for svg in svgs {
            let id = svg.split(separator: "\"")[1]
            #expect(svg.contains("role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\""))
            #expect(svg.contains("<title id=\"\(id)-title\">") && svg.contains("<desc id=\"\(id)-desc\">"))
        }
        #expect(html.components(separatedBy: "<table>").count == html.components(separatedBy: "<caption>").count)
        #expect(html.contains("<th scope=\"col\">"))
    }

    @Test func suppressedCellsAreShownAsSuppressed() throws {
        let md = try String(contentsOfFile: sampleRun + "/report.md", encoding: .utf8)
        // Sex "Other", non-medical: 1-7 referrals in SampleData (route_type_by_group).
        #expect(md.contains("| Other | non_medical | suppressed | 10 | suppressed | suppressed |"))
        let html = try String(contentsOfFile: sampleRun + "/report.html", encoding: .utf8)
        #expect(html.contains(">suppressed: non-medical</text>"))
    }

    @Test func labelsAreEscaped() {
        let table = PublishedTable(
            name: "route_type_by_group", header: ["dimension", "group", "route_type", "n", "total", "percent", "ci_low", "ci_high", "suppressed", "disclosure_control"],
            rows: [["sex", "<script>alert(1)</script>", "medical", "10", "10", "100.00", "72.25", "100.00", "FALSE", "on"]])
        let context = ReportContext(
            toolVersion: "t", pipelineName: "p&q", pipelineSHA256: "0", inputs: [], firstDay: nil, lastDay: nil, disclosureEnabled: false,
            disclosureStatement: "OFF", references: [], models: [])
        let html = Report.html(tables: [table], context: context)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("p&amp;q"))
        // Disclosure control off is said at the top, in plain words.
        #expect(html.contains("<p class=\"warning\" role=\"alert\">OFF</p>"))
    }
}
