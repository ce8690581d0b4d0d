import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate
@testable import SPRXPublish
@testable import SPRXReport

/// The fixes a warning gives (the catchment, the organisation lookup) are pipeline YAML
/// and lookup column names: the report keeps them verbatim, so the fix a person copies
/// from the rendered report loads. Issue: `DisplayNames.plainWords` used to turn
/// `local_authorities` into "local authorities", an invalid pipeline.
@Suite(.timeLimit(.minutes(10))) struct PasteableFixTests {
    /// A run whose referrals sit in Sheffield and Barnsley, the catchment every area.
    static let catchmentWarning = RunWarnings.catchment(
        CatchmentConcentration(authorities: ["Sheffield (E08000019)", "Barnsley (E08000016)"], areas: 520, catchmentAreas: 32_844, mismatch: true))
    static let lookupWarning = RunWarnings.organisations(
        OrganisationTableBuilder.Pooled(referrals: 400, referralsWithID: 1000, ids: 12, publishedIDs: 3), hasLookup: false,
        disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))!

    static func html(_ warnings: [RunWarning]) -> String {
        var context = fixtureContext
        context.warnings = warnings
        return Report.html(tables: fixtureTables, context: context)
    }

    /// Every `<code>` of `html`, its entities decoded: what a person copies.
    static func codes(_ html: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"<code[^>]*>([^<]*)</code>"#)
        let ns = html as NSString
        return regex.matches(in: html, range: NSRange(location: 0, length: ns.length)).map {
            ns.substring(with: $0.range(at: 1)).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    /// `pipeline` with `snippet` pasted as a person would: each of the snippet's nested
    /// keys found under the last, and the innermost key's line replaced (or added under
    /// its parent when the pipeline has none).
    static func paste(_ snippet: String, into pipeline: String) -> String {
        let keys = snippet.split(separator: "\n").map(String.init)
        var lines = pipeline.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var from = 0
        for (depth, key) in keys.enumerated() {
            let name = key.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" } + ":"
            let indent = String(repeating: "  ", count: depth)
            if let at = lines[from...].firstIndex(where: { $0.hasPrefix(indent + name) }) {
                if depth == keys.count - 1 { lines[at] = key } else { from = at + 1 }
            } else {
                lines.insert(key, at: from)
                from += 1
            }
        }
        return lines.joined(separator: "\n")
    }

    static let shipped = try! String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)

    /// The catchment fix, copied from the rendered report and pasted into the shipped
    /// pipeline, loads with the pipeline loader and names the authorities by code
    /// (expected: the codes the warning was built with).
    @Test func catchmentFixFromTheReportLoads() throws {
        let html = Self.html([Self.catchmentWarning])
        let snippet = try #require(Self.codes(html).first { $0.contains("catchment") })
        #expect(snippet == "population:\n  catchment: {local_authorities: [E08000019, E08000016]}")
        #expect(!html.contains("local authorities: ["))
        let yaml = Self.paste(snippet, into: Self.shipped)
        let configuration = try PipelineLoader.parse(yaml: yaml, path: "\(packageRoot)/Pipelines/pasted.yaml", baseDirectory: "\(packageRoot)/Pipelines")
        #expect(configuration.enrich.population?.catchment == .localAuthorities(["E08000019", "E08000016"]))
        // report.md gives the same YAML in a fenced block.
        var context = fixtureContext
        context.warnings = [Self.catchmentWarning]
        let markdown = Report.markdown(tables: fixtureTables, context: context)
        #expect(markdown.contains("  ```yaml\n  population:\n    catchment: {local_authorities: [E08000019, E08000016]}\n  ```"))
    }

    /// The lookup fix keeps its YAML and the lookup's column names verbatim, and the
    /// YAML loads (expected columns: the header sprx generate writes, GeneratedOrganisations.lookupHeader).
    @Test func lookupFixFromTheReportLoads() throws {
        let html = Self.html([Self.lookupWarning])
        let codes = Self.codes(html)
        #expect(codes.contains("code, name, type, parent_code, parent_name, parent_type"))
        #expect(!html.contains("parent code"))
        let snippet = try #require(codes.first { $0.contains("lookup") })
        #expect(snippet == "organisations:\n  lookup: {file: organisations.csv, edition: \"...\"}")
        let yaml = Self.paste(snippet, into: Self.shipped)
        let configuration = try PipelineLoader.parse(yaml: yaml, path: "\(packageRoot)/Pipelines/pasted.yaml", baseDirectory: "\(packageRoot)/Pipelines")
        #expect(configuration.organisations?.lookup != nil)
    }

    /// A quarantine reason's words can end in a number ("… from 0 to 120"): its count is
    /// bracketed, never run on ("…120 1, contacts …" was the report's text).
    @Test func reasonCountsAreBracketed() {
        let words = DisplayNames.plainWords("most common reasons invalid_age 1, invalid_contacts 12")
        #expect(words.contains("from 0 to 120 (1 row), "), "\(words)")
        #expect(words.hasSuffix(" (12 rows)"), "\(words)")
        #expect(!words.contains("120 1"))
    }

    /// Prose around the code is still said in words (the rule the code spans are an exception to).
    @Test func proseAroundTheCodeIsStillWords() {
        #expect(DisplayNames.plainWords("no_link_worker_fte, then {a_b: 1}") == "no link worker time recorded, then {a_b: 1}")
        #expect(DisplayNames.pasteable("population: catchment: {local_authorities: [X]}") == "population:\n  catchment: {local_authorities: [X]}")
    }
}
