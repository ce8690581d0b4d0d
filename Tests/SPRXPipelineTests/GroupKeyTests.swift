import SPRXCore
import Testing

@testable import SPRXPipeline

/// The group-key schema: widths, offsets and levels derived from one declaration.
@Suite(.timeLimit(.minutes(10))) struct GroupKeyTests {
    static let bands = [AgeBand(label: "0-49", lower: 0, upper: 49), AgeBand(label: "50+", lower: 50, upper: 120)]
    static let schema = try! GroupKeySchema(ageBands: bands, routes: ["gp", "self", "council", "unknown"], reasons: ["a", "b", "c"])

    /// Widths by hand: levels 3 (two bands + Unknown) → 2 bits, sex 4 → 2, ethnicity 6 → 3,
    /// nation 5 → 3, decile 11 → 4, rurality 4 → 2, route type 3 → 2, contacted 2 → 1,
    /// routes 4 → 2, reasons 3 → 2, months 120,000 → 17 (2^17 = 131,072), standard age
    /// groups 20 (19 + Unknown) → 5, resident 3 → 2; offsets are the running sum, 47 bits in all.
    @Test func widthsAndOffsetsFollowTheLevelCounts() {
        let s = Self.schema
        let widths: [GroupAxis: UInt64] = [
            .ageBand: 2, .sex: 2, .ethnicity: 3, .nation: 3, .decile: 4, .rurality: 2, .routeType: 2, .contacted: 1, .route: 2, .reason: 2, .month: 17,
            .standardAge: 5, .resident: 2,
        ]
        var offset: UInt64 = 0
        for axis in GroupAxis.builtIn {
            #expect(s.field(axis).width == widths[axis], "\(axis)")
            #expect(s.field(axis).shift == offset, "\(axis)")
            offset += widths[axis]!
        }
        #expect(s.bits == 47)
        #expect(s.modelCellMask == (1 << 19) - 1)
    }

    /// Every axis reads back the level it was given, whatever the others hold.
    @Test func everyAxisRoundTrips() {
        let s = Self.schema
        let july2024 = GroupKeySchema.monthLevel(Day(year: 2024, month: 7, day: 31)!)
        #expect(july2024 == 2024 * 12 + 6)
        #expect(GroupKeySchema.monthLabel(Int(july2024)) == "2024-07")
        for (band, decile) in [(UInt8(0), UInt8(1)), (1, 10), (2, 0)] {
            let key = s.key(
                ageBand: band, sex: .other, ethnicity: .black, nation: .northernIreland, decile: decile, rurality: .mixed, routeType: .nonMedical,
                contacted: true, route: 3, month: july2024, standardAge: band * 9, resident: band != 1)
            #expect(s.level(.ageBand, of: key) == Int(band))
            #expect(s.level(.standardAge, of: key) == Int(band) * 9)
            #expect(s.level(.resident, of: key) == (band != 1 ? 1 : 0))
            #expect(s.level(.sex, of: key) == Int(Sex.other.rawValue))
            #expect(s.level(.ethnicity, of: key) == Int(Ethnicity.black.rawValue))
            #expect(s.level(.nation, of: key) == Int(Nation.northernIreland.rawValue))
            #expect(s.level(.decile, of: key) == (decile == 0 ? 10 : Int(decile) - 1))
            #expect(s.level(.rurality, of: key) == Int(Rurality.mixed.rawValue))
            #expect(s.level(.routeType, of: key) == Int(RouteType.nonMedical.rawValue))
            #expect(s.level(.contacted, of: key) == 1)
            #expect(s.level(.route, of: key) == 3)
            #expect(s.level(.month, of: key) == Int(july2024))
            #expect(s.level(.reason, of: s.setting(.reason, to: 2, in: key)) == 2)
        }
    }

    /// Groupings and table dimensions as `outputs-v2.md` names and labels them.
    @Test func tableDimensionsAndTheirGroups() throws {
        let s = Self.schema
        #expect(
            s.tableDimensions.map(\.name) == [
                "all", "age_band", "sex", "ethnicity", "imd_decile", "imd_quintile", "rurality", "nation", "nation/imd_quintile", "nation/imd_decile",
            ])
        let nationQuintile = try #require(s.tableDimensions.first { $0.name == "nation/imd_quintile" })
        #expect(nationQuintile.groupLabels.count == 5 * 6)
        #expect(nationQuintile.groupLabels.first == "England/1" && nationQuintile.groupLabels.last == "Unknown/Unknown")
        // Wales, decile 4 → quintile 2: group Wales (1) × 6 + quintile index 1 = 7, "Wales/2".
        let key = s.key(
            ageBand: 0, sex: .female, ethnicity: .white, nation: .wales, decile: 4, rurality: .urban, routeType: .medical, contacted: false,
            route: 0, month: 0)
        #expect(s.group(nationQuintile, of: key) == 7 && nationQuintile.groupLabels[7] == "Wales/2")
        #expect(s.grouping(.ageBand)?.levels == ["0-49", "50+", "Unknown"])
        #expect(s.grouping(.routeType)?.unknownLabel == "unknown")
        #expect(ModelSettings.defaultReference(.imdQuintile, groupKey: s) == "5")
        #expect(ModelSettings.defaultReference(.imdDecile, groupKey: s) == "10")
    }

    /// The unknown level is the domain's last, the pipeline's `unknown` route wherever it
    /// is listed, and none for reasons; the layout tells apart routes listed in another order.
    @Test func unknownLevelsAndLayoutFingerprint() throws {
        let s = Self.schema
        #expect(s.grouping(.sex)?.unknownLabel == "Unknown" && s.grouping(named: Grouping.Name.route)?.unknownLevel == 3)
        #expect(s.grouping(named: Grouping.Name.reason)?.unknownLevel == nil)
        let first = try GroupKeySchema(ageBands: Self.bands, routes: ["unknown", "gp", "self", "council"], reasons: ["a", "b", "c"])
        #expect(first.grouping(named: Grouping.Name.route)?.unknownLevel == 0)
        #expect(first.bits == s.bits && first.layoutDescription != s.layoutDescription)
        let same = try GroupKeySchema(ageBands: Self.bands, routes: ["gp", "self", "council", "unknown"], reasons: ["a", "b", "c"])
        #expect(same.layoutDescription == s.layoutDescription)
    }
}
