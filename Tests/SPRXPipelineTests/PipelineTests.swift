import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

@Suite(.timeLimit(.minutes(10))) struct PipelineFileTests: ShippedPipelineEditing {
    @Test(arguments: ["referral-equity.yaml", "casebook-export.yaml", "referral-equity-lsoa21.yaml"])
    func shippedPipelinesLoad(name: String) throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/\(name)")
        #expect(config.routes.map(\.id).contains("unknown"))
        #expect(config.reasons.count == 10)
        #expect(config.enrich.ageBands.count == 9)
        #expect(config.sourceSHA256.count == 64)
    }

    @Test func defaultPipelineListsEveryContractLabel() throws {
        // Labels copied from referral-extract-v1.md, "Referral routes" and "Referral reasons".
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let routes = Dictionary(uniqueKeysWithValues: config.routes.map { ($0.id, $0.labels) })
        #expect(routes["primary_care"] == ["GP", "General Practice", "GP practice", "Practice nurse", "Primary care", "Community pharmacy"])
        #expect(routes["self_referral"] == ["Self-referral", "Self", "Self referral", "Family/friend"])
        #expect(routes["other"] == ["Police", "Job centre", "Fire service", "Other"])
        #expect(config.routes.first { $0.id == "secondary_care" }?.type == .medical)
        #expect(config.routes.first { $0.id == "vcse" }?.type == .nonMedical)
        #expect(config.reasons.first { $0.id == "substance_use" }?.labels == ["Substance misuse"])
        #expect(config.sexLabels[.unknown] == ["U", "X", "0", "Unknown", "Not known"])
        #expect(config.contactedLabels[.yes] == ["Y", "Yes", "true", "1"])
    }

    @Test func unknownKeyIsRejectedWithKeyPath() {
        let yaml = valid.replacingOccurrences(of: "  round_to: 5", with: "  round_too: 5")
        let error = #expect(throws: SPRXError.self) { try parse(yaml) }
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("disclosure.round_too") == true)
        #expect(error?.location?.line != nil)
    }

    @Test func missingRequiredColumnMappingIsRejected() {
        let yaml = valid.replacingOccurrences(of: "  referral_date: [referral_date]\n", with: "")
        let error = #expect(throws: SPRXError.self) { try parse(yaml) }
        #expect(error?.message.contains("columns.referral_date") == true)
    }

    @Test func wrongTypesNameWhatWasExpected() {
        let yaml = valid.replacingOccurrences(of: "    type: medical\n    labels: [GP,", with: "    type: clinical\n    labels: [GP,")
        let error = #expect(throws: SPRXError.self) { try parse(yaml) }
        #expect(error?.message.contains("routes.primary_care.type") == true)
        #expect(error?.message.contains("medical, non_medical, unknown") == true)
    }

    @Test func ageBandsMustCoverWithoutGaps() {
        let yaml = valid.replacingOccurrences(of: "\"18-24\", \"25-34\"", with: "\"18-24\", \"26-34\"")
        let error = #expect(throws: SPRXError.self) { try parse(yaml) }
        #expect(error?.message.contains("enrich.age_bands") == true)
        #expect(error?.message.contains("should start at 25") == true)
    }

    @Test func notYAMLIsRejected() {
        #expect(throws: SPRXError.self) { try parse("version: [1\n") }
    }

    @Test func dayArithmetic() {
        // Days since epoch checked against Python: (date(2024,2,29) - date(1970,1,1)).days == 19782
        #expect(Day(year: 2024, month: 2, day: 29)?.daysSinceEpoch == 19782)
        #expect(Day(year: 1970, month: 1, day: 1)?.daysSinceEpoch == 0)
        #expect(Day(year: 2023, month: 2, day: 29) == nil)
        #expect(Day(year: 2000, month: 2, day: 29) != nil)
        #expect(Day(year: 1900, month: 2, day: 29) == nil)
        #expect(Day(daysSinceEpoch: 19782).description == "2024-02-29")
    }
}
