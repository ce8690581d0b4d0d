import Foundation
import SPRXTestSupport
import Testing

/// Page 1 speaks of the data: England's link worker provision by deprivation (a finding
/// about England's primary care networks, from the bundled workforce files) is a finding
/// of the report only when some of the data's organisations map to an English network.
/// A new-user trial's Welsh service got "the most deprived fifth of England's primary
/// care networks had 2.63 link worker FTE per 50,000" as its last page-1 finding.
///
/// Expected by hand: ``NotRecordedTests``' 40 referrals, dated January to March 2025 (the
/// three months of the 2025-03-31 workforce census, so the finding has a census to speak
/// of), with their organisations (sample lookup codes that map to English networks)
/// against the same referrals with Welsh-practice-shaped codes no English file lists.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ProvisionScopeTests {
    static let sentence = "England's primary care networks had"

    static func run(organisations: [String]?) throws -> (status: Int32, markdown: String, stderr: String) {
        let dir = scratch()
        try NotRecordedTests.writeReferrals(Array(0..<40), to: dir + "/referrals.csv") { i, row in
            row["referral_date"] = "2025-0\(i % 3 + 1)-15"
            if let organisations { row["organisation_id"] = organisations[i % organisations.count] }
        }
        let result = try sprx(
            ["run", "--pipeline", try pipelineVariant(in: dir), "--input", dir + "/referrals.csv", "--out", dir + "/out", "--no-disclosure-control"])
        return (result.status, (try? String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)) ?? "", result.stderr)
    }

    @Test func englandsNetworksAreAFindingOnlyForDataThatMapsToThem() throws {
        let english = try Self.run(organisations: nil)
        #expect(english.status == 0, "\(english.stderr)")
        let welsh = try Self.run(organisations: ["W97001", "W97002", "W97003", "W97004"])
        #expect(welsh.status == 0, "\(welsh.stderr)")
        #expect(english.markdown.contains(Self.sentence), "mapped and covered: the finding is given")
        #expect(!welsh.markdown.contains(Self.sentence), "a finding about England's networks for data in none of them")
    }
}
