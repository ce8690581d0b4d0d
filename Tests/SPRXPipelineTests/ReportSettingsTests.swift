import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `report` section (issue 25, item 6): the report's title and the service or area
/// it is about, both optional, read as written; anything else refused (78) with its key.
@Suite(.timeLimit(.minutes(10))) struct ReportSettingsTests: ShippedPipelineEditing {
    /// The shipped pipeline with `section` inserted before `dates:`.
    func withReport(_ section: String) -> String { edited("\ndates:\n", "\nreport:\n\(section)\ndates:\n") }

    @Test func titleAndOrganisationRoundTrip() throws {
        let config = try parse(withReport("  title: \"Social prescribing in Anytown, 2024/25\"\n  organisation: Anytown Primary Care Network"))
        #expect(config.report.title == "Social prescribing in Anytown, 2024/25")
        #expect(config.report.organisation == "Anytown Primary Care Network")
        let onlyTitle = try parse(withReport("  title: Board report"))
        #expect(onlyTitle.report == ReportSettings(title: "Board report", organisation: nil))
    }

    @Test func withoutTheSectionNeitherIsSet() throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        #expect(config.report == ReportSettings())
    }

    @Test(arguments: [
        // (section, words the message must hold)
        ("  titel: x", "unknown key 'titel'"),
        ("  title: \"  \"", "report.title"),
        ("  organisation: \"\(String(repeating: "x", count: 201))\"", "1 to 200 characters"),
        ("  title: \"a\\u202Eb\"", "bidirectional"),
        ("  title: [a, b]", "report.title"),
    ])
    func badValuesAreRefusedWithTheirKey(section: String, words: String) {
        let error = #expect(throws: SPRXError.self) { try parse(withReport(section)) }
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(words) == true, "\(String(describing: error?.message))")
        #expect(error?.location?.line != nil)
    }

    /// The top level still refuses a key it does not know, now naming `report` among those it does.
    @Test func unknownTopLevelKeysAreStillRefused() {
        let error = #expect(throws: SPRXError.self) { try parse(edited("\ndates:\n", "\nreports:\n  title: x\ndates:\n")) }
        #expect(error?.message.contains("unknown key 'reports'") == true)
        #expect(error?.message.contains("report") == true)
    }
}
