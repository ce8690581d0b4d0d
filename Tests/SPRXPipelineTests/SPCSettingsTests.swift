import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `spc` section (issue 27, item 1): per measure of trends.csv, which direction is an
/// improvement on its SPC chart; `neutral` without one; anything else refused (78) at its line.
@Suite(.timeLimit(.minutes(10))) struct SPCSettingsTests: ShippedPipelineEditing {
    /// The shipped pipeline with `section` inserted before `dates:`.
    func withSPC(_ section: String) -> String { edited("\ndates:\n", "\nspc:\n\(section)\ndates:\n") }

    @Test func directionsRoundTrip() throws {
        let config = try parse(withSPC("  improvement_direction:\n    contacted_share: increase\n    referrals: decrease\n    intervention_share: neutral"))
        #expect(config.spc.direction(.contactedShare) == .increase)
        #expect(config.spc.direction(.referrals) == .decrease)
        #expect(config.spc.direction(.interventionShare) == .neutral)
        #expect(config.spc.direction(.nonMedicalShare) == .neutral)
        #expect(ImprovementDirection.increase.sign == 1 && ImprovementDirection.decrease.sign == -1 && ImprovementDirection.neutral.sign == 0)
    }

    @Test func withoutTheSectionEveryMeasureIsNeutral() throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        #expect(config.spc == SPCSettings())
        #expect(TrendColumn.Measure.allCases.allSatisfy { config.spc.direction($0) == .neutral })
    }

    @Test(arguments: [
        // (section, words the message must hold, line of the error in the edited file relative to `spc:`)
        ("  improvement_direction:\n    contacted: increase", "unknown measure 'contacted'", 2),
        ("  improvement_direction:\n    referrals: up", "one of increase, decrease, neutral", 2),
        ("  improvement_direction:\n    referrals: [increase]", "spc.improvement_direction.referrals", 2),
        ("  improvement_direction: increase", "spc.improvement_direction", 1),
        ("  direction:\n    referrals: increase", "unknown key 'direction'", 2),
    ])
    func badValuesAreRefusedAtTheirLine(section: String, words: String, offset: Int) throws {
        let text = withSPC(section)
        let spcLine = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(of: "spc:")) + 1
        let error = #expect(throws: SPRXError.self) { try parse(text) }
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(words) == true, "\(String(describing: error?.message))")
        #expect(error?.location?.line == spcLine + offset, "\(String(describing: error?.location))")
    }
}
