import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// `organisations.csv` from hand-made organisation counts.
///
/// Expected limits are from scripts/expected/funnel_reference.py's `limits(n, p)` (scipy
/// brentq on the Wilson bounds, independent of sprx's closed form), rounded to 2 places;
/// counts, values and overall shares are hand calculations written beside each check.
@Suite(.timeLimit(.minutes(10))) struct OrganisationTableTests {
    static let off = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false))
    static let on = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))

    /// `referrals` referrals of `code` (nil: no organisation_id) spread over three
    /// months: the first `nonMedical` are non-medical, the first `contacted` contacted,
    /// the first `intervention` had an intervention.
    static func add(_ counts: inout OrganisationCounts, _ code: String?, referrals: Int, nonMedical: Int, contacted: Int, intervention: Int) {
        let organisation = code.map { ShortCode($0)! } ?? ShortCode()
        for i in 0..<referrals {
            counts.add(
                organisation: organisation, month: UInt64(1 + i % 3), nonMedical: i < nonMedical, contacted: i < contacted, intervention: i < intervention)
        }
    }

    /// The columns of the crude comparison these tests check (the case-mix and
    /// overdispersion columns have their own tests: CaseMixTests).
    static let crudeColumns: [OrganisationColumn] = [
        .organisationID, .indicator, .numerator, .denominator, .value, .overall, .lower95, .upper95, .lower998, .upper998, .flag, .level, .name,
        .organisationType, .parentID, .note, .suppressed, .disclosureControl,
    ]

    /// The note codes about the crude comparison (the others are the ratio's and the
    /// overdispersed funnels', checked in CaseMixTests).
    static let crudeNotes: Set<String> = [
        OrganisationColumn.Note.flagWithheldRounding, OrganisationColumn.Note.overallSuppressed, OrganisationColumn.Note.noReferrals,
    ]

    /// The CSV's data lines, the crude comparison's columns only (and of `note`, its codes).
    static func lines(_ table: PublishedTable) -> [String] {
        table.rows.map { row in
            crudeColumns.map { column in
                guard column == .note else { return row[column.index].csv }
                let codes = (row[column.index].string ?? "").split(separator: ";").map(String.init)
                return codes.filter { crudeNotes.contains($0) || $0.hasPrefix("not_recorded:") }.joined(separator: ";")
            }.joined(separator: ",")
        }
    }

    // Totals over A, B, C: 1,000 referrals, 420 non-medical, 420 contacted, 110 with an
    // intervention: overall 42.00, 42.00, 11.00. The 50 referrals without an organisation
    // are in no row and not in overall. Flags from value against the limits.
    @Test func sharesOverallLimitsAndFlags() {
        var counts = OrganisationCounts()
        Self.add(&counts, "A10001", referrals: 400, nonMedical: 120, contacted: 160, intervention: 40)
        Self.add(&counts, "B10002", referrals: 400, nonMedical: 200, contacted: 180, intervention: 60)
        Self.add(&counts, "C10003", referrals: 200, nonMedical: 100, contacted: 80, intervention: 10)
        Self.add(&counts, nil, referrals: 50, nonMedical: 50, contacted: 50, intervention: 50)
        let table = Self.off.build(counts, directory: nil)
        #expect(table.name == "organisations")
        #expect(table.header == OrganisationColumn.header)
        #expect(
            Self.lines(table) == [
                "A10001,non_medical_share,120,400,30.00,42.00,37.16,46.84,34.37,49.63,below_998,organisation,,,,,FALSE,off",
                "A10001,contacted_share,160,400,40.00,42.00,37.16,46.84,34.37,49.63,within,organisation,,,,,FALSE,off",
                "A10001,intervention_share,40,400,10.00,11.00,7.93,14.07,6.17,15.83,within,organisation,,,,,FALSE,off",
                "B10002,non_medical_share,200,400,50.00,42.00,37.16,46.84,34.37,49.63,above_998,organisation,,,,,FALSE,off",
                "B10002,contacted_share,180,400,45.00,42.00,37.16,46.84,34.37,49.63,within,organisation,,,,,FALSE,off",
                "B10002,intervention_share,60,400,15.00,11.00,7.93,14.07,6.17,15.83,above_95,organisation,,,,,FALSE,off",
                "C10003,non_medical_share,100,200,50.00,42.00,35.16,48.84,31.22,52.78,above_95,organisation,,,,,FALSE,off",
                "C10003,contacted_share,80,200,40.00,42.00,35.16,48.84,31.22,52.78,within,organisation,,,,,FALSE,off",
                "C10003,intervention_share,10,200,5.00,11.00,6.66,15.34,4.16,17.84,below_95,organisation,,,,,FALSE,off",
            ])
    }

    // Control 7/5. X: 23 referrals → 25; 6 non-medical → suppressed; 12 contacted → 10;
    // 0 interventions → 0. Y: 101 → 100; 50, 70, 9 → 50, 70, 10. Overall from the
    // controlled totals: 124 → 125; 56 → 55 (44.00), 82 → 80 (64.00), 9 → 10 (8.00).
    // Limits for the controlled denominator (25, 100) around those shares.
    @Test func disclosureControlsCountsOnTheirOwn() {
        var counts = OrganisationCounts()
        Self.add(&counts, "X10001", referrals: 23, nonMedical: 6, contacted: 12, intervention: 0)
        Self.add(&counts, "Y10002", referrals: 101, nonMedical: 50, contacted: 70, intervention: 9)
        #expect(
            Self.lines(Self.on.build(counts, directory: nil)) == [
                "X10001,non_medical_share,,25,,44.00,24.54,63.46,13.32,74.68,,organisation,,,,,TRUE,on",
                // 10 of 25 is below 95% as published, but the pair stands for 8-12 of 23-27,
                // and 12 of 23 (52.2%, the truth) is within 44.4-83.6 at 23: no flag, and the note says why.
                "X10001,contacted_share,10,25,40.00,64.00,45.18,82.82,34.33,93.67,,organisation,,,,flag_withheld_rounding_could_cross_limit,FALSE,on",
                "X10001,intervention_share,0,25,0.00,8.00,0.00,18.63,0.00,24.77,within,organisation,,,,,FALSE,on",
                "Y10002,non_medical_share,50,100,50.00,44.00,34.27,53.73,28.66,59.34,within,organisation,,,,,FALSE,on",
                "Y10002,contacted_share,70,100,70.00,64.00,54.59,73.41,49.17,78.83,within,organisation,,,,,FALSE,on",
                "Y10002,intervention_share,10,100,10.00,8.00,2.68,13.32,0.00,16.38,within,organisation,,,,,FALSE,on",
            ])
        // A denominator of 1-7 is suppressed: no value, limits or flag (overall 50 / 105).
        var small = OrganisationCounts()
        Self.add(&small, "S10001", referrals: 5, nonMedical: 0, contacted: 0, intervention: 0)
        Self.add(&small, "T10002", referrals: 100, nonMedical: 50, contacted: 50, intervention: 50)
        let first = Self.lines(Self.on.build(small, directory: nil))[0]
        #expect(first == "S10001,non_medical_share,0,,,47.62,,,,,,organisation,,,,,TRUE,on")
    }

    // The reviewer's case: 8 of 10 non-medical (within the limits) publishes as 10 of 10,
    // which alone would flag above 99.8%. Overall: 508 of 1,010 → 510 of 1,010 (p =
    // 0.50495); limits at 10 by hand: p ± 1.959964·√(p(1−p)/10) = p ± 0.30988 = 19.51-81.48
    // (95%), p ± 3.090232 · 0.158106 = 1.64-99.35 (99.8%). The published pair stands for 8-12 of 8-12: 8/10 is
    // within, so no flag; without control the exact 8/10 is flagged within.
    @Test func flagsOnlyWhatRoundingCannotMove() {
        var counts = OrganisationCounts()
        Self.add(&counts, "X10001", referrals: 10, nonMedical: 8, contacted: 10, intervention: 0)
        Self.add(&counts, "Y10002", referrals: 1000, nonMedical: 500, contacted: 1000, intervention: 0)
        let controlled = Self.lines(Self.on.build(counts, directory: nil))[0]
        #expect(
            controlled
                == "X10001,non_medical_share,10,10,100.00,50.50,19.51,81.48,1.64,99.35,,organisation,,,,flag_withheld_rounding_could_cross_limit,FALSE,on")
        let exact = Self.lines(Self.off.build(counts, directory: nil))[0]
        #expect(exact.hasPrefix("X10001,non_medical_share,8,10,80.00,50.30,") && exact.contains(",within,"))
        // Far outside whatever the rounding: Y's 500 of 1,000 against a Z with 5 of 400.
        var far = OrganisationCounts()
        Self.add(&far, "Y10002", referrals: 1000, nonMedical: 500, contacted: 0, intervention: 0)
        Self.add(&far, "Z10003", referrals: 400, nonMedical: 40, contacted: 0, intervention: 0)
        #expect(Self.lines(Self.on.build(far, directory: nil))[3].contains(",below_998,"))
    }

    // Free text in organisation_id is never published: a name with a space, a code of
    // two characters, letters without a digit, 13 characters, punctuation and text longer
    // than 16 bytes (held as a digest) are pooled into "(other)", which counts in overall.
    // Published: B82005 (10), U10001 (20); pooled 1+2+3+4+5+6 = 21; overall 51.
    @Test func freeTextIsPooledNeverPublished() {
        var counts = OrganisationCounts()
        Self.add(&counts, "U10001", referrals: 20, nonMedical: 20, contacted: 0, intervention: 0)
        Self.add(&counts, "b82005", referrals: 10, nonMedical: 0, contacted: 0, intervention: 0)
        let secrets = ["Jane Doe", "AB", "ABCDEF", "ABCDEFGHIJK12", "AB-123", "Mrs Example, 4 Some Street"]
        for (i, secret) in secrets.enumerated() { Self.add(&counts, secret, referrals: i + 1, nonMedical: 0, contacted: 0, intervention: 0) }
        let table = Self.off.build(counts, directory: nil)
        let csv = table.csv.uppercased()
        // Short secrets ("AB") are checked by the id column below ("ABOVE_95" holds "AB").
        for secret in secrets where secret.count >= 6 { #expect(!csv.contains(secret.uppercased())) }
        for word in ["JANE", "DOE", "EXAMPLE", "STREET"] { #expect(!csv.contains(word)) }
        let rows = Self.lines(table)
        #expect(rows.map { CSVTable.fields($0)[0] } == ["B82005", "B82005", "B82005", "U10001", "U10001", "U10001", "(other)", "(other)", "(other)"])
        #expect(rows[6].hasPrefix("(other),non_medical_share,0,21,0.00,39.22,"))  // 20 / 51
        // The rule itself.
        #expect(OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode("U10001")!))
        #expect(OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode("b82005")!))
        // Codes of other shapes need a lookup; identifiers of people and places never pass.
        for other in ["E54000027", "123", "4857773456", "SW1A1AA", "AB12CD", "JSMITH1", "P00001234", "U1000", "1U0001"] {
            #expect(!OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode(other)!), "\(other)")
        }
        #expect(!OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode("PCN")!))
        #expect(!OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode("AB1 23")!))
        #expect(!OrganisationTableBuilder.looksLikeOrganisationCode(ShortCode(String(repeating: "A1", count: 20))!))
    }

    // With a lookup: only its codes are published (Z99999, though code-shaped, is not in
    // it and is pooled; so is the free text); names, types and parents filled; one parent
    // row set per parent: P1 = U10001 (20) + B82005 (10) = 30, P2 = C10003 (40).
    @Test func lookupNamesAndParentRollUp() {
        var counts = OrganisationCounts()
        Self.add(&counts, "U10001", referrals: 20, nonMedical: 10, contacted: 20, intervention: 5)
        Self.add(&counts, "B82005", referrals: 10, nonMedical: 5, contacted: 0, intervention: 5)
        Self.add(&counts, "C10003", referrals: 40, nonMedical: 20, contacted: 10, intervention: 0)
        Self.add(&counts, "Z99999", referrals: 8, nonMedical: 0, contacted: 0, intervention: 0)
        Self.add(&counts, "Jane Doe", referrals: 2, nonMedical: 0, contacted: 0, intervention: 0)
        let directory = OrganisationDirectory(
            organisations: [
                "U10001": OrganisationInfo(
                    code: "U10001", name: "Riverside Surgery", type: "practice", parentCode: "P1", parentName: "North PCN", parentType: "PCN"),
                "B82005": OrganisationInfo(
                    code: "B82005", name: "Hill Practice", type: "practice", parentCode: "P1", parentName: "North PCN", parentType: "PCN"),
                "C10003": OrganisationInfo(code: "C10003", name: "Valley Hub", type: "hub", parentCode: "P2", parentName: "South PCN", parentType: "PCN"),
                "D10004": OrganisationInfo(code: "D10004", name: "Quiet Scheme", type: "scheme", parentCode: "P3", parentName: "East PCN", parentType: "PCN"),
            ], edition: "test")
        let table = Self.off.build(counts, directory: directory)
        let rows = CSVTable(text: table.csv).rows
        let column = { (c: OrganisationColumn) in rows.map { $0[c.index] } }
        #expect(column(.organisationID) == ["B82005", "C10003", "U10001", "(other)", "P1", "P2"].flatMap { Array(repeating: $0, count: 3) })
        #expect(column(.level) == Array(repeating: "organisation", count: 12) + Array(repeating: "parent", count: 6))
        #expect(column(.name) == ["Hill Practice", "Valley Hub", "Riverside Surgery", "", "North PCN", "South PCN"].flatMap { Array(repeating: $0, count: 3) })
        #expect(column(.organisationType) == ["practice", "hub", "practice", "", "PCN", "PCN"].flatMap { Array(repeating: $0, count: 3) })
        #expect(column(.parentID) == ["P1", "P2", "P1", "", "", ""].flatMap { Array(repeating: $0, count: 3) })
        // P1: non-medical 15/30, contacted 20/30, intervention 10/30; P2: 20, 10, 0 of 40; other: 0 of 10.
        #expect(column(.numerator) == ["5", "0", "5", "20", "10", "0", "10", "20", "5", "0", "0", "0", "15", "20", "10", "20", "10", "0"])
        #expect(column(.denominator) == ["10", "10", "10", "40", "40", "40", "20", "20", "20", "10", "10", "10", "30", "30", "30", "40", "40", "40"])
        // Overall over organisations (pooled included): non-medical 35/80 = 43.75 on every row.
        #expect(Set(rows.filter { $0[OrganisationColumn.indicator.index] == "non_medical_share" }.map { $0[OrganisationColumn.overall.index] }) == ["43.75"])
        #expect(!table.csv.uppercased().contains("JANE"))
        #expect(!table.csv.contains("Z99999"))
        #expect(!table.csv.contains("P3"))  // a parent without referrals has no rows
    }

    // Merging two states (in either order, and after a JSON round trip) gives the state
    // and the table of counting everything in one.
    @Test func mergedStatesEqualOneState() throws {
        var whole = OrganisationCounts(), first = OrganisationCounts(), second = OrganisationCounts()
        let plan: [(String?, Int, Int, Int, Int)] = [
            ("U10001", 40, 10, 20, 5), ("B82005", 33, 30, 3, 1), ("Jane Doe", 9, 9, 0, 0), (nil, 12, 4, 4, 4), ("C10003", 60, 1, 59, 30),
        ]
        for (code, n, a, b, c) in plan {
            let organisation = code.map { ShortCode($0)! } ?? ShortCode()
            for i in 0..<n {
                let month = UInt64(1 + i % 3)
                whole.add(organisation: organisation, month: month, nonMedical: i < a, contacted: i < b, intervention: i < c)
                // Every fourth referral to the second state, the rest to the first.
                if i % 4 == 1 {
                    second.add(organisation: organisation, month: month, nonMedical: i < a, contacted: i < b, intervention: i < c)
                } else {
                    first.add(organisation: organisation, month: month, nonMedical: i < a, contacted: i < b, intervention: i < c)
                }
            }
        }
        let expected = Self.on.build(whole, directory: nil).csv
        var merged = first
        merged.merge(second)
        #expect(merged == whole)
        #expect(Self.on.build(merged, directory: nil).csv == expected)
        var reversed = second
        reversed.merge(first)
        #expect(Self.on.build(reversed, directory: nil).csv == expected)
        let decodedFirst = try JSONDecoder().decode(OrganisationCounts.self, from: JSONEncoder().encode(first))
        var decoded = try JSONDecoder().decode(OrganisationCounts.self, from: JSONEncoder().encode(second))
        decoded.merge(decodedFirst)
        #expect(decoded == whole)
        #expect(Self.on.build(decoded, directory: nil).csv == expected)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(decoded) == encoder.encode(whole))
    }
}
