import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// The clean stage reads a declared dimension's column (issue 26): a level's label puts
/// the level in the dimension's field of the key; empty, a listed "not known" value or an
/// unlisted label is Unknown, only the last counted as unmapped (under the dimension's
/// name); the row is never quarantined for it. Expected outcomes written by hand per row.
@Suite(.timeLimit(.minutes(10))) struct DeclaredDimensionCleanTests {
    static func configuration() throws -> PipelineConfiguration {
        try shippedPipeline(
            adding: """
                dimensions:
                  carer:
                    title: Unpaid carer
                    column: ["Carer status", carer]
                    levels:
                      "Carer": [Y, "Yes"]
                      "Not a carer": [N, "No"]
                    unknown: [Not asked]

                """)
    }

    static let carerHeader = header.dropLast() + ",Carer Status\n"

    @Test func levelsUnknownsAndUnmappedLabels() throws {
        let config = try Self.configuration()
        let rows = [
            "1,P1,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,Y",  // Carer
            "2,P2,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001, yes ",  // Carer (case, spaces)
            "3,P3,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,N",  // Not a carer
            "4,P4,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,",  // Unknown: empty
            "5,P5,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,not  asked",  // Unknown: listed
            "6,P6,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,sometimes",  // Unknown: unmapped
        ]
        let (outcomes, processor) = try clean(Self.carerHeader + rows.joined(separator: "\n") + "\n", configuration: config)
        let field = config.groupKey.field(.declared(0))
        let levels = try outcomes.map { try #require(record($0)).dimensionBits >> field.shift }
        #expect(levels == [0, 0, 1, 2, 2, 2])
        #expect(processor.unmapped == [UnmappedLabel(field: LabelledField(config.dimensions[0]), label: "sometimes"): 1])
        // The bits sit in the dimension's field only.
        for outcome in outcomes { #expect(try #require(record(outcome)).dimensionBits & ~field.mask == 0) }
    }

    /// Two rows with one referral id that differ only in the dimension are told apart
    /// (a conflict, not an exact duplicate): they would be counted under different groups.
    @Test func theDimensionIsPartOfARowsContent() throws {
        let config = try Self.configuration()
        let rows = ["1,P1,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,Y", "1,P1,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001,N"]
        let (outcomes, _) = try clean(Self.carerHeader + rows.joined(separator: "\n") + "\n", configuration: config)
        guard case .clean(_, let first) = outcomes[0], case .clean(_, let second) = outcomes[1] else {
            Issue.record("both rows are clean")
            return
        }
        #expect(first.idLow == second.idLow && first.content != second.content)
    }

    /// A file without the dimension's column is refused naming the dimension and its aliases.
    @Test func aMissingColumnIsNamed() throws {
        let config = try Self.configuration()
        do {
            _ = try ColumnLayout(header: header.dropLast().split(separator: ",").map(String.init), pipeline: config, file: "t.csv")
            Issue.record("a header without the dimension's column was accepted")
        } catch let error as SPRXError {
            #expect(error.code == .inputFormat)
            #expect(error.message.contains("dimension 'carer' as 'Carer status' or 'carer'"), "\(error.message)")
            // The advice names the key to fix, not columns.optional (which refuses a dimension).
            #expect(error.message.contains("fix dimensions.carer.column") && !error.message.contains("columns.optional"), "\(error.message)")
        }
    }
}
