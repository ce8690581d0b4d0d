import Foundation
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

@Suite struct WilsonTests {
    // Newcombe RG (1998) Two-sided confidence intervals for the single proportion,
    // Stat Med 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
    @Test(arguments: [
        (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0000, 0.1611), (1, 29, 0.0061, 0.1718),
    ])
    func publishedValues(successes: Int, total: Int, low: Double, high: Double) throws {
        let ci = try #require(WilsonInterval.bounds(successes: Int64(successes), total: Int64(total)))
        #expect(abs(ci.low - low) < 0.00005)
        #expect(abs(ci.high - high) < 0.00005)
    }

    @Test func statsmodelsValue() throws {
        // statsmodels 0.15.0: proportion_confint(15400, 19650, method="wilson")
        //   = (0.7779033468089169, 0.7894157711030603)
        let ci = try #require(WilsonInterval.bounds(successes: 15400, total: 19650))
        #expect(abs(ci.low - 0.7779033468089169) < 1e-12 && abs(ci.high - 0.7894157711030603) < 1e-12)
    }
}

@Suite struct DisclosureTests {
    @Test func suppressionAndRounding() {
        let publish = { (n: Int64) in DisclosureControl.publish(n, enabled: true, suppressUpTo: 7, roundTo: 5) }
        #expect(publish(0) == 0)
        for n in 1...7 { #expect(publish(Int64(n)) == nil) }
        #expect(publish(8) == 10 && publish(12) == 10 && publish(13) == 15 && publish(100) == 100 && publish(102) == 100)
        #expect(DisclosureControl.publish(3, enabled: false, suppressUpTo: 7, roundTo: 5) == 3)
    }

    func routes() -> [RouteDefinition] {
        [
            RouteDefinition(id: "primary_care", type: .medical, labels: []),
            RouteDefinition(id: "self_referral", type: .nonMedical, labels: []),
            RouteDefinition(id: "unknown", type: .unknown, labels: []),
        ]
    }

    @Test func noSmallCountPublishedOrRecoverable() {
        var counts = ReferralCounts()
        let a = Pattern(ageBand: 1, sex: .male, ethnicity: .white, nation: .wales, decile: 3, rurality: .rural)
        let b = Pattern(ageBand: 2, sex: .female, ethnicity: .asian, nation: .wales, decile: 4, rurality: .urban)
        for _ in 0..<3 { counts.add(pattern: a, route: 1, reasons: 1, contacted: true, intervention: false) }
        for _ in 0..<42 { counts.add(pattern: a, route: 0, reasons: 1, contacted: true, intervention: true) }
        for _ in 0..<9 { counts.add(pattern: b, route: 0, reasons: 0, contacted: false, intervention: false) }
        let builder = EquityTableBuilder(
            routes: routes(), reasons: [ReasonDefinition(id: "mental_health", labels: [])],
            ageBands: [AgeBand(label: "0-17", lower: 0, upper: 17), AgeBand(label: "18-24", lower: 18, upper: 24), AgeBand(label: "25+", lower: 25, upper: 120)],
            disclosure: DisclosureSettings())
        let tables = builder.build(counts)
        for table in tables {
            let nColumns = table.header.indices.filter { ["n", "total", "referred", "contacted", "intervention"].contains(table.header[$0]) }
            for row in table.rows {
                for c in nColumns where !row[c].isEmpty {
                    let v = Int(row[c])!
                    #expect(v == 0 || (v > 7 && v % 5 == 0), "\(table.name) \(row)")
                }
            }
        }
        // In partition tables the total is the sum of the published cells: subtracting
        // published cells from the total always gives 0, never the suppressed count.
        for table in tables where table.name == "route_by_group" || table.name == "route_type_by_group" {
            var groups: [String: (sum: Int, total: Int)] = [:]
            for row in table.rows {
                let key = row[0] + "|" + row[1]
                groups[key, default: (0, Int(row[4])!)].sum += Int(row[3]) ?? 0
            }
            for (key, value) in groups { #expect(value.sum == value.total, "\(table.name) \(key)") }
        }
        let all = tables[1].rows.filter { $0[0] == "all" }
        #expect(all.map { $0[2] } == ["primary_care", "self_referral", "unknown"])
        #expect(all[1][3] == "" && all[1][8] == "TRUE", "3 self-referrals are suppressed")
        #expect(all[0][3] == "50" && all[0][4] == "50", "42 + 9 = 51 rounds to 50; total from published cells")
    }

    @Test func mergeIsAdditionAndRemovalUndoes() throws {
        let p = Pattern(ageBand: 3, sex: .other, ethnicity: .black, nation: .scotland, decile: 10, rurality: .rural)
        var whole = ReferralCounts(), left = ReferralCounts(), right = ReferralCounts()
        for i in 0..<20 {
            whole.add(pattern: p, route: UInt8(i % 3), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            if i < 7 {
                left.add(pattern: p, route: UInt8(i % 3), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            } else {
                right.add(pattern: p, route: UInt8(i % 3), reasons: UInt32(i % 4), contacted: i % 2 == 0, intervention: i % 5 == 0)
            }
        }
        var merged = left
        merged.merge(right)
        #expect(merged == whole)
        var undo = whole
        undo.merge(left)
        undo.add(pattern: p, route: 0, reasons: 0, contacted: false, intervention: false)
        undo.add(pattern: p, route: 0, reasons: 0, contacted: false, intervention: false, sign: -1)
        // Serialisable: a shard's state survives JSON and merges the same.
        let data = try JSONEncoder().encode(left)
        var decoded = try JSONDecoder().decode(ReferralCounts.self, from: data)
        decoded.merge(right)
        #expect(decoded == whole)
        #expect(whole.referrals == 20)
        #expect(Pattern(bits: p.bits).nation == .scotland && p.decile == 10 && p.quintile == 5 && p.rurality == .rural && p.sex == .other)
    }
}
