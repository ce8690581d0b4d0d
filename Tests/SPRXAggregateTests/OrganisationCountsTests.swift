import Foundation
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

/// Referrals per organisation and month: numbered codes that merge, serialise and undo
/// like every other count. Expected values by construction (hand counts).
@Suite(.timeLimit(.minutes(10))) struct OrganisationCountsTests {
    func code(_ text: String) -> ShortCode {
        Array(text.utf8).withUnsafeBytes { ShortCode(normalising: $0)! }
    }

    func fill(_ codes: [String], month: UInt64 = 24_290) -> OrganisationCounts {
        var counts = OrganisationCounts()
        for (i, text) in codes.enumerated() {
            counts.add(organisation: code(text), month: month, nonMedical: i % 2 == 0, contacted: true, intervention: i % 3 == 0)
        }
        return counts
    }

    /// Two states that saw the same codes in other orders merge to one state equal to
    /// counting everything in one, and encode to the same bytes.
    @Test func mergeRenumbersCodes() throws {
        var left = fill(["U00002", "U00001", "U00002"])
        let right = fill(["U00003", "U00001"])
        left.merge(right)
        let whole = fill(["U00002", "U00001", "U00002"]).merged(fill(["U00003", "U00001"]))
        #expect(left == whole)
        var byCode: [String: Int64] = [:]
        for entry in left.entries { byCode[entry.organisation.description, default: 0] += entry.counts.referred }
        #expect(byCode == ["U00001": 2, "U00002": 2, "U00003": 1])
        let reordered = fill(["U00003", "U00001"]).merged(fill(["U00002", "U00001", "U00002"]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(left) == encoder.encode(reordered), "code order, not arrival order, decides the bytes")
        let decoded = try JSONDecoder().decode(OrganisationCounts.self, from: encoder.encode(left))
        #expect(decoded == left)
    }

    /// Removing a referral again takes it out; compaction drops the emptied entry.
    @Test func removalUndoes() {
        var counts = fill(["U00001", "U00002"])
        counts.add(organisation: code("u00002"), month: 24_290, nonMedical: false, contacted: true, intervention: false, sign: -1)
        counts.compact()
        #expect(counts.entries.map(\.organisation.description) == ["U00001"])
        #expect(counts.entries.first?.counts.nonMedical == 1 && counts.entries.first?.counts.intervention == 1)
    }

    /// The key layout, by hand: organisation 3 and value 7 are 3 × 2^32 + 7 = 12,884,901,895;
    /// the largest value stays in the low half.
    @Test func organisationKeyLayout() {
        #expect(OrganisationKey.make(organisation: 3, low: 7) == 12_884_901_895)
        #expect(OrganisationKey.parts(12_884_901_895) == (3, 7))
        #expect(OrganisationKey.parts(OrganisationKey.make(organisation: 1, low: .max)) == (1, .max))
    }

    /// A table keyed by organisation merges another's entries under their codes, whatever
    /// numbers the two gave them (hand counts: U00001 1 + 4, U00002 2, U00003 8).
    @Test func keyedTableMergesByCode() {
        var left = OrganisationKeyedTable<Int64>(initial: 0)
        left.update(organisation: code("U00001"), low: 5) { $0 += 1 }
        left.update(organisation: code("U00002"), low: 5) { $0 += 2 }
        var right = OrganisationKeyedTable<Int64>(initial: 0)
        right.update(organisation: code("U00003"), low: 5) { $0 += 8 }
        right.update(organisation: code("U00001"), low: 5) { $0 += 4 }
        left.merge(right) { $0 += $1 }
        var byCode: [String: Int64] = [:]
        for entry in left.numbered { byCode[left.codes[entry.organisation].description + "#\(entry.low)"] = entry.value }
        #expect(byCode == ["U00001#5": 5, "U00002#5": 2, "U00003#5": 8])
    }

    /// A decoded state whose keys point past its code list is refused, not trusted.
    @Test func corruptStateIsRefused() throws {
        let json =
            #"{"organisations":[{"low":0,"high":0,"count":0}],"months":{"entries":[[8589934592,{"referred":1,"nonMedical":0,"contacted":0,"intervention":0}]]}}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(OrganisationCounts.self, from: Data(json.utf8)) }
    }
}

extension OrganisationCounts {
    fileprivate func merged(_ other: OrganisationCounts) -> OrganisationCounts {
        var copy = self
        copy.merge(other)
        return copy
    }
}
