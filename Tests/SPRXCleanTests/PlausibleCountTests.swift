import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// Contacts and interventions have a plausibility bound (``PlausibleCount``: 0 to 1,000
/// per referral), as age has (0 to 120): a whole number past it quarantines the referral
/// with its own reason (`implausible_contacts`, `implausible_interventions`), not as "not
/// a whole number". Expected outcomes are written by hand per row (the bound, 1,000, is
/// read off the declaration's documentation, not computed).
@Suite(.timeLimit(.minutes(10))) struct PlausibleCountTests {
    @Test func wholeNumbersPastTheBoundHaveTheirOwnReason() throws {
        let rows = [
            "1,P1,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,1000,1000,U00001",  // both at the bound: clean
            "2,P2,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,1001,1,U00001",  // implausible_contacts
            "3,P3,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,999999999,1,U00001",  // a typed-in number: implausible_contacts
            "4,P4,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,94347659190000,1,U00001",  // 14 digits: implausible_contacts
            "5,P5,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,1001,U00001",  // implausible_interventions
            "6,P6,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,-1,1,U00001",  // a sign: invalid_contacts
            "7,P7,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,1.5,1,U00001",  // decimals: invalid_contacts
            "8,P8,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,2,two,U00001",  // invalid_interventions
            "9,P9,2021-03-04,121,F,White,E01021988,GP,Anxiety,Y,5000,1,U00001",  // age first: invalid_age
            "10,P10,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,5000,x,U00001",  // contacts before interventions
            "11,P11,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y, 0 ,0,U00001",  // 0 (padded): clean
            "12,P12,2021-03-04,99999999999,F,White,E01021988,GP,Anxiety,Y,1,1,U00001",  // a long age: invalid_age
        ]
        let (outcomes, _) = try clean(header + rows.joined(separator: "\n") + "\n")
        #expect(outcomes.count == rows.count)
        let r1 = try #require(record(outcomes[0]))
        #expect(r1.contacts == 1000 && r1.interventions == 1000)
        for i in [1, 2, 3] {
            #expect(reason(outcomes[i])?.0 == .implausibleContacts && reason(outcomes[i])?.1 == "contacts", "row \(i + 1)")
        }
        #expect(reason(outcomes[4])?.0 == .implausibleInterventions && reason(outcomes[4])?.1 == "interventions")
        #expect(reason(outcomes[5])?.0 == .invalidContacts)
        #expect(reason(outcomes[6])?.0 == .invalidContacts)
        #expect(reason(outcomes[7])?.0 == .invalidInterventions)
        #expect(reason(outcomes[8])?.0 == .invalidAge)
        #expect(reason(outcomes[9])?.0 == .implausibleContacts)
        let r11 = try #require(record(outcomes[10]))
        #expect(r11.contacts == 0 && r11.interventions == 0)
        #expect(reason(outcomes[11])?.0 == .invalidAge)
    }

    /// A value listed under `missing_values` is Unknown even when it is a number past the
    /// bound (a `9999` "not known" code), so listing it keeps the referral.
    @Test func aListedNumberPastTheBoundIsUnknown() throws {
        let pipeline = try shippedPipeline(adding: "missing_values:\n  contacts: [\"9999\"]\n")
        let rows = [
            "1,P1,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,9999,1,U00001",
            "2,P2,2021-03-04,42,F,White,E01021988,GP,Anxiety,Y,9998,1,U00001",
        ]
        let (outcomes, _) = try clean(header + rows.joined(separator: "\n") + "\n", configuration: pipeline)
        #expect(record(outcomes[0])?.contacts == -1)
        #expect(reason(outcomes[1])?.0 == .implausibleContacts)
    }

    /// The reasons are checked in ``QuarantineReason``'s order and each says its bound.
    @Test func theReasonsAreDeclaredInCheckingOrderAndSayTheBound() {
        let order = QuarantineReason.allCases.map(\.rawValue)
        #expect(
            Array(order.drop { $0 != "invalid_age" }.prefix(5)) == [
                "invalid_age", "invalid_contacts", "implausible_contacts", "invalid_interventions", "implausible_interventions",
            ])
        #expect(QuarantineReason.implausibleContacts.explanation.contains("over 1,000"))
        #expect(QuarantineReason.implausibleInterventions.explanation.contains("over 1,000"))
        #expect(PlausibleCount.maximum(.contacts) == 1000 && PlausibleCount.maximum(.age) == 120 && PlausibleCount.maximum(.sex) == nil)
    }
}
