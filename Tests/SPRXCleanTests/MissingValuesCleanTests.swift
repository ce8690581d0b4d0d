import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// The clean stage reads a pipeline's `missing_values` as Unknown (issue 24, item 4): a
/// listed value never quarantines the row and is never counted as unmapped; an impossible
/// or unlisted value still is quarantined. Expected outcomes are written by hand per row.
@Suite(.timeLimit(.minutes(10))) struct MissingValuesCleanTests {
    /// The shipped pipeline with a `missing_values` section for every field that may have one.
    static func configuration() throws -> PipelineConfiguration {
        try shippedPipeline(
            adding: """
                missing_values:
                  age: [unknown, "N/K", "-"]
                  contacts: ["-"]
                  interventions: [not recorded]
                  area_code: [E99999999]
                  organisation_id: [none]
                  sex: [Not stated]
                  ethnicity: [Refused]
                  referral_source: ["n/a"]
                  referral_reasons: [none given]
                  contacted: ["?"]

                """)
    }

    @Test func listedValuesAreUnknownAndOthersAreJudgedAsBefore() throws {
        let rows = [
            "1,P1,2021-03-04,unknown,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // age Unknown
            "2,P2,2021-03-04, n/K ,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // age Unknown (case, spaces)
            "3,P3,2021-03-04,-,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // age Unknown
            "4,P4,2021-03-04,150,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // impossible: invalid_age
            "5,P5,2021-03-04,-3,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // impossible: invalid_age
            "6,P6,2021-03-04,forty,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // not listed: invalid_age
            "7,P7,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // 42
            "8,P8,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,-,Not  Recorded,U00001",  // contacts, interventions Unknown
            "9,P9,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,--,1,U00001",  // not listed: invalid_contacts
            "10,P10,2021-03-04,42,F,White,e99999999,GP,Anxiety,Y,2,1,NONE",  // area and organisation Unknown
            "11,P11,2021-03-04,42,not stated,Refused,E01021988,N/A,none given,?,2,1,U00001",  // every label field Unknown
            "12,P12,2021-03-04,42,Not statedd,Refused,E01021988,GP,Anxiety;none given,Y,2,1,U00001",  // one unmapped sex
        ]
        let (outcomes, processor) = try clean(header + rows.joined(separator: "\n") + "\n", configuration: try Self.configuration())
        #expect(outcomes.count == rows.count)
        for i in [0, 1, 2] { #expect(record(outcomes[i])?.age == -1, "row \(i + 1)") }
        #expect(reason(outcomes[3])?.0 == .invalidAge)
        #expect(reason(outcomes[4])?.0 == .invalidAge)
        #expect(reason(outcomes[5])?.0 == .invalidAge)
        #expect(record(outcomes[6])?.age == 42)
        let r8 = try #require(record(outcomes[7]))
        #expect(r8.contacts == -1 && r8.interventions == -1)
        #expect(reason(outcomes[8])?.0 == .invalidContacts)
        let r10 = try #require(record(outcomes[9]))
        #expect(r10.area == nil && r10.organisation == nil)
        let r11 = try #require(record(outcomes[10]))
        #expect(r11.sex == .unknown && r11.ethnicity == .unknown && r11.contacted == .unknown)
        #expect(r11.route == UInt8(processor.rules.pipeline.unknownRouteIndex) && r11.reasons == 0)
        let r12 = try #require(record(outcomes[11]))
        let mentalHealth = try #require(processor.rules.pipeline.reasons.firstIndex { $0.id == "mental_health" })
        #expect(r12.reasons == 1 << UInt32(mentalHealth), "a missing value among reasons gives none and is not unmapped")
        #expect(processor.unmapped == [UnmappedLabel(field: .sex, label: "not statedd"): 1], "only the unlisted label is unmapped")
    }

    /// Without the section, the same values are judged as before: quarantined or unmapped.
    @Test func withoutTheSectionTheValuesAreNotMissing() throws {
        let rows = [
            "1,P1,2021-03-04,unknown,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",
            "2,P2,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,-,1,U00001",
            "3,P3,2021-03-04,42,F,White,e99999999,GP,Anxiety,Y,2,1,NONE",
        ]
        let (outcomes, _) = try clean(header + rows.joined(separator: "\n") + "\n")
        #expect(reason(outcomes[0])?.0 == .invalidAge)
        #expect(reason(outcomes[1])?.0 == .invalidContacts)
        let r3 = try #require(record(outcomes[2]))
        #expect(r3.area?.description == "E99999999" && r3.organisation?.description == "NONE")
    }
}
