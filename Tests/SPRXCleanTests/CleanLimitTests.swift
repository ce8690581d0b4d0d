import Foundation
import SPRXCore
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// Runs `rows` (after the canonical header) through one processor with the given label
/// limit, as one block.
private func cleanLimitsProcess(_ rows: [String], maxDistinct: Int = InputLimits.maxDistinctUnmappedLabelsPerField) throws -> (
    [CleanOutcome], CleanProcessor
) {
    let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
    let names = CSVTable.fields(header)
    let layout = try ColumnLayout(header: names, pipeline: config, file: "t.csv")
    let processor = CleanProcessor(rules: CleanRules(pipeline: config), layout: layout, maxDistinctUnmapped: maxDistinct)
    var outcomes: [CleanOutcome] = []
    var blank = 0
    let block = Array((rows.joined(separator: "\n") + "\n").utf8)
    block.withUnsafeBytes { raw in
        CSVBlockDecoder.forEachRow(in: raw, firstLine: 2, scratch: CSVDecodeScratch(), blankLines: &blank) { outcomes.append(processor.process($0)) }
    }
    return (outcomes, processor)
}

private func cleanLimitsRow(_ id: Int, sex: String = "F", source: String = "GP", notes: String = "") -> String {
    "\(id),P\(id),2021-03-04,40,\(sex),White,E01021988,\(source),Anxiety,Y,2,1,U00001"
}

@Suite(.timeLimit(.minutes(10))) struct CleanLimitTests {
    /// Distinct unmapped labels are kept up to the limit per field; referrals with labels
    /// first seen after that are counted under the overflow label. Hand count: limit 3,
    /// sex labels s0…s5 each once, then s0 and s5 again → s0 2, s1 1, s2 1, overflow
    /// s3, s4, s5, s5 = 4. The other field (referral_source) has its own allowance.
    @Test func distinctUnmappedLabelsAreCappedPerField() throws {
        var rows = (0..<6).map { cleanLimitsRow($0, sex: "s\($0)") }
        rows += [cleanLimitsRow(6, sex: "s0"), cleanLimitsRow(7, sex: "s5")]
        rows += (0..<3).map { cleanLimitsRow(10 + $0, source: "src\($0)") }
        let (outcomes, processor) = try cleanLimitsProcess(rows, maxDistinct: 3)
        #expect(outcomes.allSatisfy { record($0) != nil })
        let sex = processor.unmapped.filter { $0.key.field == .sex }
        #expect(sex.count == 4)
        #expect(sex[UnmappedLabel(field: .sex, label: "s0")] == 2)
        #expect(sex[UnmappedLabel(field: .sex, label: "s1")] == 1)
        #expect(sex[UnmappedLabel(field: .sex, label: "s2")] == 1)
        #expect(sex[UnmappedLabel(field: .sex, label: InputLimits.unmappedOverflowLabel)] == 4)
        #expect(processor.unmapped.filter { $0.key.field == .referralSource }.count == 3)
        #expect(processor.unmapped.values.reduce(0, +) == 11)
    }

    /// With the shipped limit: one more distinct label than kept gives exactly the limit
    /// plus one overflow entry (so memory is bounded by the limit, not the data).
    @Test func theShippedLimitHolds() throws {
        let limit = InputLimits.maxDistinctUnmappedLabelsPerField
        let rows = (0...limit).map { cleanLimitsRow($0, sex: "label \($0)") }
        let (_, processor) = try cleanLimitsProcess(rows)
        #expect(processor.unmapped.count == limit + 1)
        #expect(processor.unmapped[UnmappedLabel(field: .sex, label: InputLimits.unmappedOverflowLabel)] == 1)
    }

    /// A mapped field over the limit is quarantined `field_too_long` naming the column,
    /// before its content is judged (so a long invalid-UTF-8 field is too long); an
    /// unmapped column (here `notes`, not in the canonical header) is not limited.
    @Test func aMappedFieldOverTheLimitIsQuarantined() throws {
        let long = String(repeating: "a", count: InputLimits.maxMappedFieldBytes + 1)
        let exact = String(repeating: "a", count: InputLimits.maxMappedFieldBytes)
        let (outcomes, _) = try cleanLimitsProcess([
            cleanLimitsRow(1, source: long), cleanLimitsRow(2, source: exact), cleanLimitsRow(3, sex: long + "\u{FFFD}"),
        ])
        #expect(reason(outcomes[0])?.0 == .fieldTooLong && reason(outcomes[0])?.1 == "referral_source")
        #expect(record(outcomes[1]) != nil)
        #expect(reason(outcomes[2])?.0 == .fieldTooLong && reason(outcomes[2])?.1 == "sex")
    }

    /// A row longer than the row limit that reached the clean stage whole (it ended
    /// within one read of the limit) is quarantined `row_too_long`, before anything else.
    @Test func aHeldRowOverTheLimitIsQuarantined() throws {
        let tooLong = "1,P1,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1," + String(repeating: "u", count: InputLimits.maxRowBytes)
        let (outcomes, _) = try cleanLimitsProcess([tooLong, cleanLimitsRow(2)])
        #expect(reason(outcomes[0])?.0 == .rowTooLong)
        #expect(record(outcomes[1]) != nil)
    }

    /// Every reason is explained, and the new ones say their limit.
    @Test func newReasonsAreExplained() {
        #expect(QuarantineReason.rowTooLong.explanation.contains(String(InputLimits.maxRowBytes)))
        #expect(QuarantineReason.fieldTooLong.explanation.contains(String(InputLimits.maxMappedFieldBytes)))
        #expect(QuarantineReason.allCases.first == .rowTooLong)
    }
}
