import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXEnrich
@testable import SPRXPipeline

/// Population denominators summed per group exactly as referrals are grouped (issue 17).
///
/// Expected figures on the real files come from `scripts/expected/population_denominators.py`
/// (DuckDB SQL straight from the reference CSVs, no sprx code); the per-nation totals also
/// match `shared/reference/README.md` ("Totals: England 56,286,961; Wales 3,152,879;
/// Scotland 5,463,300; NI 1,893,691").
@Suite(.serialized, .timeLimit(.minutes(10))) struct PopulationTests {
    static let shipped = try! String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)

    /// The shipped pipeline (with `old` replaced by `new`), its lookups and its denominators.
    static func load(_ old: String? = nil, _ new: String = "") throws -> (EnrichSettings, ReferenceData, PopulationDenominators?) {
        var text = shipped
        if let old {
            precondition(text.components(separatedBy: old).count == 2)
            text = text.replacingOccurrences(of: old, with: new)
        }
        let configuration = try PipelineLoader.parse(yaml: text, path: "test.yaml", baseDirectory: "\(packageRoot)/Pipelines")
        let reference = try ReferenceData.load(configuration.enrich)
        return (configuration.enrich, reference, try PopulationLoader.denominators(configuration.enrich, reference: reference))
    }

    static let shippedDenominators: (EnrichSettings, ReferenceData, PopulationDenominators?) = try! load()

    /// The sum of the groups `keep` selects.
    func sum(_ table: [ResidentCell: Int64], _ keep: (ResidentCell) -> Bool) -> Int64 {
        table.filter { keep($0.key) }.values.reduce(0, +)
    }

    @Test func everyAreaOfEachNation() throws {
        let (_, reference, denominators) = Self.shippedDenominators
        let d = try #require(denominators)
        #expect(d.total(of: .england) == 56_286_961 && d.total(of: .wales) == 3_152_879)
        #expect(d.total(of: .scotland) == 5_463_300 && d.total(of: .northernIreland) == 1_893_691)
        // Every area of the totals file (42,619 rows), the 3 Scottish data zones whose mid-2019
        // estimate is 0 (S01010206, S01010226, S01010227) included: their referrals count in
        // the rates' numerators (issue 24, one referral one count).
        #expect(d.areas == [.england: 32_844, .wales: 1_909, .scotland: 6_976, .northernIreland: 890])
        #expect(reference.residents.count == 42_619 && d.areasWithoutDecile.isEmpty)
        #expect(d.edition == "mid-2019" && d.catchment == "every small area")
    }

    @Test func groupsAreTheReferralsGroups() throws {
        let d = try #require(Self.shippedDenominators.2)
        #expect(sum(d.totals) { $0.nation == .england && $0.decile == 1 } == 5_588_091)
        #expect(d.totals[ResidentCell(nation: .england, decile: 1, rurality: .urban)] == 5_501_005)
        #expect(sum(d.totals) { $0.nation == .wales && $0.rurality == .rural } == 992_623)
        #expect(d.totals[ResidentCell(nation: .northernIreland, decile: 10, rurality: .mixed)] == 14_163)
        #expect(!d.totals.keys.contains { $0.decile == 0 || $0.rurality == .unknown || $0.nation == .unknown })
    }

    @Test func residentIsTheFlagReferralsCarry() throws {
        let (settings, reference, _) = Self.shippedDenominators
        let rules = EnrichRules(reference: reference, ageBands: settings.ageBands)
        #expect(rules.enrich(area: ShortCode("E01021988"), age: 40).0.resident)  // Jaywick: in the totals, 1,500-odd people
        #expect(rules.enrich(area: ShortCode("95AA01S2"), age: 40).0.resident)
        #expect(rules.enrich(area: ShortCode("S01010206"), age: 40).0.resident)  // population 0, still in the catchment
        #expect(!rules.enrich(area: ShortCode("E01035000"), age: 40).0.resident)  // LSOA 2021 code: not in the 2011 totals
        #expect(!rules.enrich(area: nil, age: 40).0.resident)
        #expect(
            reference.files.contains { $0.name == "pop_mid2019_uk_small_areas_total.csv.gz" && $0.use == "population totals (mid-2019)" && $0.rows == 42_619 })
    }

    @Test func singleYearsOfAge() throws {
        let d = try #require(Self.shippedDenominators.2)
        #expect(d.nationsWithAges == [.england, .wales, .scotland] && d.byAgeBand[.northernIreland] == nil)
        #expect(!d.byStandardAge.keys.contains { $0.nation == .northernIreland })
        let scotland10 = d.byStandardAge.filter { $0.key.nation == .scotland && $0.key.decile == 10 }.values
        #expect(scotland10.map { $0[0] }.reduce(0, +) == 23_070)  // ages 0-4, persons, NRS mid-2020
        #expect(d.byStandardAge[ResidentCell(nation: .england, decile: 1, rurality: .urban)]?[18] == 32_561)  // 90+
        // ONS mid-2019 single years equal the mid-2019 totals exactly (shared README).
        #expect(d.byStandardAge.filter { $0.key.nation == .england }.values.map { $0.reduce(0, +) }.reduce(0, +) == 56_286_961)
        let wales = try #require(d.byAgeBand[.wales])
        #expect(wales.count == 9 && wales[1] == 274_989 && wales[8] == 84_394)  // 18-24, 85+
        #expect(d.files.map(\.name) == ["pop_mid2019_ew_lsoa11_sya.csv.gz", "pop_mid2020_scotland_dz11_sya_sex.csv.gz"])
        #expect(d.files.first?.use == "population by single year of age England, Wales" && d.files.first?.rows == 34_753)
        #expect(d.files.last?.sha256 == "14914bb423d10f3524ae00ee7504c0409ece4ab0d962f28ba2da77463694c61a")
    }

    @Test func aCatchmentOfTwoAuthorities() throws {
        let (_, reference, denominators) = try Self.load("  catchment: every_area\n", "  catchment: {local_authorities: [E06000001, denbighshire]}\n")
        let d = try #require(denominators)
        #expect(d.areas == [.england: 58, .wales: 58] && reference.residents.count == 116)
        #expect(d.total(of: .england) == 93_663 && d.total(of: .wales) == 95_696 && d.total(of: .scotland) == 0)
        #expect(sum(d.totals) { $0.nation == .wales && $0.decile == 1 } == 11_566)
        #expect(reference.info(ShortCode("E01021988")!)?.resident == false)  // Tendring, not in the catchment
        #expect(d.catchment == "the small areas of the local authorities E06000001 and denbighshire")
    }

    @Test func anUnknownAuthorityIsRefused() {
        let error = #expect(throws: SPRXError.self) {
            try Self.load("  catchment: every_area\n", "  catchment: {local_authorities: [E06000001, Atlantis]}\n")
        }
        #expect(error?.code == .invalidReference)
        #expect(error?.message.hasPrefix("population catchment names the local authority 'Atlantis', which no deprivation lookup lists") == true)
    }

    @Test func populationNoneComputesNoRates() throws {
        let (_, reference, denominators) = try Self.load(
            String(
                Self.shipped[Self.shipped.range(of: "population:\n  edition")!.lowerBound..<Self.shipped.range(of: "  catchment: every_area\n")!.upperBound]),
            "population: none\n")
        #expect(denominators == nil && reference.residents.isEmpty)
        #expect(reference.info(ShortCode("E01021988")!)?.resident == false)
        #expect(!reference.files.contains { $0.name.hasPrefix("pop_") })
    }

    // MARK: Hostile files

    func folder(_ files: [String: String]) throws -> String {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-population-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(text.utf8)) }
        return dir
    }

    let imd = "area_code,decile,la\nE01000001,9,Alpha\nE01000002,3,Alpha\nE01000003,1,Beta\n"

    /// A single-year row: `people` at age 30 (and `extra` at age 0), total as given.
    func ageRow(_ code: String, people: Int, total: Int? = nil, extra: Int = 0, sex: String? = nil) -> String {
        var ages = [String](repeating: "0", count: SingleYearOfAgeColumns.count)
        ages[30] = String(people)
        ages[0] = String(extra)
        return ([code] + (sex.map { [$0] } ?? []) + [String(total ?? people + extra)] + ages).joined(separator: ",") + "\n"
    }

    func ageHeader(sex: Bool = false) -> String {
        (["area_code"] + (sex ? ["sex"] : []) + ["total_population"] + SingleYearOfAgeColumns.names).joined(separator: ",") + "\n"
    }

    func settings(_ dir: String, totals: String = "totals.csv", ages: SingleYearOfAgeSource? = nil, catchment: PopulationCatchment = .everyArea)
        -> EnrichSettings
    {
        var population = PopulationSettings(edition: "test", totals: PopulationTotalsSource(file: totals, edition: "test totals"), catchment: catchment)
        population.singleYearOfAge = ages.map { [$0] } ?? []
        return EnrichSettings(
            referenceDirectory: dir,
            deprivation: [
                DeprivationSource(
                    nation: .england, file: "imd.csv", edition: "test IMD", codeColumn: "area_code", decileColumn: "decile", localAuthorityColumns: ["la"])
            ],
            rurality: [], ageBands: [AgeBand(label: "0-29", lower: 0, upper: 29), AgeBand(label: "30+", lower: 30, upper: 120)],
            population: population)
    }

    func run(_ files: [String: String], ages: SingleYearOfAgeSource? = nil, catchment: PopulationCatchment = .everyArea) throws -> (
        ReferenceData, PopulationDenominators?
    ) {
        let dir = try folder(files.merging(["imd.csv": imd]) { a, _ in a })
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = settings(dir, ages: ages, catchment: catchment)
        let reference = try ReferenceData.load(settings)
        return (reference, try PopulationLoader.denominators(settings, reference: reference))
    }

    func refusal(_ files: [String: String], ages: SingleYearOfAgeSource? = nil, catchment: PopulationCatchment = .everyArea) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try run(files, ages: ages, catchment: catchment) }
        #expect(error?.code == .invalidReference, "\(String(describing: error))")
        return error
    }

    let totals = "nation,area_code,population\nEngland,E01000001,100\nEngland,E01000002,50\nEngland,E01000003,20\nWales,W01000009,7\n"
    let englandAges = SingleYearOfAgeSource(nation: .england, file: "ages.csv", edition: "test ages")

    @Test func aSmallCatchmentByHand() throws {
        // By hand: decile 9 = 100, decile 3 = 50, decile 1 = 20 (all rurality Unknown: no
        // rurality lookup); the Welsh area has no decile (no Welsh lookup) but is resident.
        let ages =
            ageHeader() + ageRow("E01000001", people: 60, extra: 40) + ageRow("E01000002", people: 50) + ageRow("E01000003", people: 20)
            + ageRow("W01000009", people: 1)  // another nation's row: skipped
        let (reference, denominators) = try run(["totals.csv": totals, "ages.csv": ages], ages: englandAges)
        let d = try #require(denominators)
        #expect(
            d.totals == [
                ResidentCell(nation: .england, decile: 9, rurality: .unknown): 100, ResidentCell(nation: .england, decile: 3, rurality: .unknown): 50,
                ResidentCell(nation: .england, decile: 1, rurality: .unknown): 20, ResidentCell(nation: .wales, decile: 0, rurality: .unknown): 7,
            ])
        #expect(d.areasWithoutDecile == [.wales: 1] && reference.info(ShortCode("W01000009")!)?.resident == true)
        let nine = try #require(d.byStandardAge[ResidentCell(nation: .england, decile: 9, rurality: .unknown)])
        #expect(nine[0] == 40 && nine[6] == 60 && nine.reduce(0, +) == 100)  // age 0 → 0-4, age 30 → 30-34
        #expect(d.byAgeBand == [.england: [40, 130]])
        // Local authority Beta: the one decile-1 area.
        let (_, beta) = try run(["totals.csv": totals, "ages.csv": ages], ages: englandAges, catchment: .localAuthorities(["beta"]))
        #expect(beta?.totals == [ResidentCell(nation: .england, decile: 1, rurality: .unknown): 20])
    }

    @Test func aFileWithRowsPerSexIsReadForOneSex() throws {
        var source = englandAges
        source.sexColumn = "sex"
        source.sex = "persons"
        var ages = ageHeader(sex: true)
        for code in ["E01000001", "E01000002", "E01000003"] {
            ages += ageRow(code, people: 3, sex: "female") + ageRow(code, people: 4, sex: "male") + ageRow(code, people: 7, sex: " Persons")
        }
        let d = try #require(try run(["totals.csv": totals, "ages.csv": ages], ages: source).1)
        #expect(d.byAgeBand == [.england: [0, 21]])
    }

    @Test func bandsThatSplitTheOpenGroupHaveNoPopulation() {
        let years = (0..<SingleYearOfAgeColumns.count).map { Int64($0 == 90 ? 7 : 1) }
        #expect(PopulationLoader.bandPopulation(AgeBand(label: "85+", lower: 85, upper: 120), singleYears: years) == 12)
        #expect(PopulationLoader.bandPopulation(AgeBand(label: "90+", lower: 90, upper: 120), singleYears: years) == 7)
        #expect(PopulationLoader.bandPopulation(AgeBand(label: "80-94", lower: 80, upper: 94), singleYears: years) == nil)
        #expect(PopulationLoader.bandPopulation(AgeBand(label: "95+", lower: 95, upper: 120), singleYears: years) == nil)
        #expect(PopulationLoader.bandPopulation(AgeBand(label: "0-89", lower: 0, upper: 89), singleYears: years) == 90)
    }

    @Test(arguments: [("-5", "negative"), ("12.5", "a decimal"), ("", "empty"), ("1e3", "a float")])
    func aPopulationThatIsNotAWholeNumberIsRefused(value: String, _: String) {
        let error = refusal(["totals.csv": "nation,area_code,population\nEngland,E01000001,100\nEngland,E01000002,\(value)\n"])
        #expect(error?.message == "population must be a whole number, 0 or more")
        #expect(error?.location == DataLocation(file: "totals.csv", line: 3, column: "population"))
    }

    @Test func anAreaListedTwiceInTheTotalsIsRefused() {
        let error = refusal(["totals.csv": totals + "England,e01000002 ,50\n"])
        #expect(error?.message == "area listed twice (first on line 3); a population file lists each area once")
        #expect(error?.location == DataLocation(file: "totals.csv", line: 6, column: "area_code"))
    }

    @Test func aTotalsRowOutsideTheUKIsRefused() {
        let error = refusal(["totals.csv": totals + "Nowhere,X0100001,5\n"])
        #expect(error?.location == DataLocation(file: "totals.csv", line: 6, column: "area_code"))
    }

    @Test func singleYearsThatDoNotAddUpAreRefused() {
        let ages = ageHeader() + ageRow("E01000001", people: 100) + ageRow("E01000002", people: 50, total: 51) + ageRow("E01000003", people: 20)
        let error = refusal(["totals.csv": totals, "ages.csv": ages], ages: englandAges)
        #expect(error?.message == "the single years of age (age_0 to age_90plus) do not add up to the row's total")
        #expect(error?.location == DataLocation(file: "ages.csv", line: 3, column: "total_population"))
    }

    @Test func aSingleYearThatIsNotAWholeNumberIsRefused() {
        let bad = ageRow("E01000002", people: 50).replacingOccurrences(of: ",50,", with: ",-50,")  // total and age 30; ages are read first
        let ages = ageHeader() + ageRow("E01000001", people: 100) + bad + ageRow("E01000003", people: 20)
        let error = refusal(["totals.csv": totals, "ages.csv": ages], ages: englandAges)
        #expect(error?.location == DataLocation(file: "ages.csv", line: 3, column: "age_30"))
    }

    @Test func anAreaListedTwiceInASingleYearFileIsRefused() {
        let ages = ageHeader() + ageRow("E01000001", people: 100) + ageRow("E01000002", people: 50) + ageRow("E01000001", people: 100)
        let error = refusal(["totals.csv": totals, "ages.csv": ages], ages: englandAges)
        #expect(error?.message == "area listed twice (first on line 2); a single-year-of-age file lists each area once")
        #expect(error?.location == DataLocation(file: "ages.csv", line: 4, column: "area_code"))
    }

    @Test func catchmentAreasMissingFromASingleYearFileAreRefused() {
        let ages = ageHeader() + ageRow("E01000001", people: 100)
        let error = refusal(["totals.csv": totals, "ages.csv": ages], ages: englandAges)
        #expect(error?.message.hasPrefix("2 England small areas of the population catchment are not in the single-year-of-age file (first: E01000002)") == true)
        #expect(error?.location?.file == "ages.csv")
    }

    @Test func catchmentAreasMissingFromTheTotalsAreRefused() {
        let error = refusal(["totals.csv": "nation,area_code,population\nEngland,E01000001,100\n"], catchment: .localAuthorities(["Alpha"]))
        #expect(error?.message.hasPrefix("1 small area of the catchment's local authorities is not in the population file (first: E01000002)") == true)
    }

    @Test func theMissingDefaultFileSaysWhatToDo() throws {
        let dir = try folder(["imd.csv": imd])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var settings = settings(dir)
        settings.population = .standard
        let error = #expect(throws: SPRXError.self) { try ReferenceData.load(settings) }
        #expect(error?.code == .invalidReference)
        #expect(error?.message.contains("pop_mid2019_uk_small_areas_total.csv.gz is not in the reference folder") == true)
        #expect(error?.message.contains("copy it there") == true && error?.message.contains("`population: none`") == true)
        // A file the pipeline names itself is an ordinary missing lookup.
        let named = #expect(throws: SPRXError.self) { try ReferenceData.load(self.settings(dir, totals: "mine.csv")) }
        #expect(named?.message.hasPrefix("cannot read reference lookup") == true)
    }
}
