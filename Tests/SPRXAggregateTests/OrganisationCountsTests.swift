import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
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

    /// The key layout of an encoded table, by hand: organisation 3 and value 7 are
    /// 3 × 2^32 + 7 = 12,884,901,895; the largest value stays in the low half.
    @Test func organisationKeyLayout() {
        #expect(OrganisationKey.make(organisation: 3, low: 7) == 12_884_901_895)
        #expect(OrganisationKey.parts(12_884_901_895) == (3, 7))
        #expect(OrganisationKey.parts(OrganisationKey.make(organisation: 1, low: .max)) == (1, .max))
    }

    /// A table keyed by organisation merges another's entries under their codes
    /// (hand counts: U00001 1 + 4, U00002 2, U00003 8), in code order.
    @Test func keyedTableMergesByCode() {
        var left = OrganisationKeyedTable<Int64>()
        left.update(organisation: code("U00001"), low: 5) { $0 += 1 }
        left.update(organisation: code("U00002"), low: 5) { $0 += 2 }
        var right = OrganisationKeyedTable<Int64>()
        right.update(organisation: code("U00003"), low: 5) { $0 += 8 }
        right.update(organisation: code("U00001"), low: 5) { $0 += 4 }
        left.merge(right)
        #expect(left.sortedEntries.map { "\($0.organisation)#\($0.low)=\($0.value)" } == ["U00001#5=5", "U00002#5=2", "U00003#5=8"])
    }

    /// The compact table against a dictionary (the independent reference): random
    /// additions and removals over many organisations, with a hash table of 1 to 7
    /// entries so that entries go through many runs and merges, give the same non-zero
    /// entries in (code, value) order, before and after merging, compacting and a
    /// round trip through JSON.
    @Test func keyedTableMatchesADictionary() throws {
        var random = SeededRandom()
        for round in 0..<40 {
            let limit = 1 + round % 7
            var tables = [OrganisationKeyedTable<ResidentCounts>(pendingLimit: limit), OrganisationKeyedTable<ResidentCounts>(pendingLimit: limit)]
            var reference: [String: ResidentCounts] = [:]
            let organisations = 1 + Int(random.next() % 30)
            for _ in 0..<Int(random.next() % 400) {
                let which = Int(random.next() % 2)
                let n = Int(random.next() % UInt64(organisations))
                // Short codes, the empty code and one id too long to hold (held as its digest).
                let text = n == 0 ? "" : n == 1 ? String(repeating: "LONG-ORGANISATION-", count: 3) : "U\(10_000 + n * 37)"
                let organisation = text.isEmpty ? ShortCode() : code(text)
                let low = UInt32(random.next() % 5) * 1_000_003 % 7919
                let sign: Int64 = random.next() % 5 == 0 ? -1 : 1
                let counts = ResidentCounts(fields: { _ in Int64(random.next() % 3) * sign })
                tables[which].update(organisation: organisation, low: low) { $0.add(counts) }
                reference[organisation.description + "#" + String(low), default: ResidentCounts()].add(counts)
            }
            let expected = reference.filter { $0.value != ResidentCounts() }
            var merged = tables[0]
            merged.merge(tables[1])
            func asDictionary(_ table: OrganisationKeyedTable<ResidentCounts>) -> [String: ResidentCounts] {
                Dictionary(uniqueKeysWithValues: table.sortedEntries.map { ($0.organisation.description + "#" + String($0.low), $0.value) })
            }
            #expect(asDictionary(merged) == expected, "round \(round), seed \(random.seed)")
            let keys = merged.sortedEntries.map { ($0.organisation, $0.low) }
            #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }, "code order")
            var compacted = merged
            compacted.compact()
            #expect(compacted == merged && asDictionary(compacted) == expected)
            var state = OrganisationCounts()
            for entry in merged.sortedEntries {
                state.add(organisation: entry.organisation, month: UInt64(entry.low), nonMedical: false, contacted: false, intervention: false)
            }
            let decoded = try JSONDecoder().decode(OrganisationCounts.self, from: JSONEncoder().encode(state))
            #expect(decoded == state)
        }
    }

    /// Memory that does not grow per organisation beyond the entries: 200,000 distinct
    /// organisation × cell entries (20,000 organisations, ten cells each, one referral
    /// each, as with many small organisations) are held in a few runs of under 16 bytes
    /// an entry (by hand: a header byte or two, 17 bytes of code once per organisation,
    /// four one-byte counts), where a hash slot took 40 bytes at three-quarters load.
    @Test func entriesCostAFewBytes() {
        var table = OrganisationKeyedTable<ResidentCounts>()
        for organisation in 0..<20_000 {
            for cell in 0..<10 {
                table.update(organisation: code("U\(100_000 + organisation)"), low: UInt32(cell * 37)) { $0.referred += 1 }
            }
        }
        table.compact()
        #expect(table.storedEntries == 200_000)
        #expect(table.runBytes < 16 * 200_000, "\(table.runBytes) bytes")
        #expect(table.sortedEntries.count == 200_000 && table.sortedEntries.allSatisfy { $0.value.referred == 1 })
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
