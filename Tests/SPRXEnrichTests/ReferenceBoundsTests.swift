import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXEnrich
@testable import SPRXPipeline

/// Issue 24 item 10: every value sprx reads from a reference file lies within the
/// plausibility bound its file kind declares (``ReferenceBounds``), and no row or field
/// is longer than sprx holds; otherwise the file is refused (exit 78) naming file, line
/// and column, never the value. The bounds' edges are accepted (an off-by-one on either
/// side fails here), and every bundled file passes (the README's ranges, read back).
@Suite(.timeLimit(.minutes(10))) struct ReferenceBoundsTests {
    func folder(_ files: [String: [UInt8]]) throws -> String {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-bounds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in files { FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes)) }
        return dir
    }

    // MARK: Population files

    let imd = "area_code,decile\nE01000001,9\nE01000002,3\n"

    func populationSettings(_ dir: String, ages: Bool) -> EnrichSettings {
        var population = PopulationSettings(edition: "test", totals: PopulationTotalsSource(file: "totals.csv", edition: "t"), catchment: .everyArea)
        if ages { population.singleYearOfAge = [SingleYearOfAgeSource(nation: .england, file: "ages.csv", edition: "a")] }
        return EnrichSettings(
            referenceDirectory: dir,
            deprivation: [DeprivationSource(nation: .england, file: "imd.csv", edition: "i", codeColumn: "area_code", decileColumn: "decile")],
            rurality: [], ageBands: [AgeBand(label: "0+", lower: 0, upper: 120)], population: population)
    }

    func loadPopulation(totals: String, ages: String? = nil) throws -> PopulationDenominators? {
        var files = ["imd.csv": Array(imd.utf8), "totals.csv": Array(totals.utf8)]
        if let ages { files["ages.csv"] = Array(ages.utf8) }
        let dir = try folder(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = populationSettings(dir, ages: ages != nil)
        return try PopulationLoader.denominators(settings, reference: try ReferenceData.load(settings))
    }

    func refused(_ body: () throws -> Void) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try body() }
        #expect(error?.code == .invalidReference, "\(String(describing: error))")
        return error
    }

    /// A single-year row with `people` at age 30, as the single-year files write it.
    func ageRow(_ code: String, _ people: String) -> String {
        var ages = [String](repeating: "0", count: SingleYearOfAgeColumns.count)
        ages[30] = people
        return ([code, people] + ages).joined(separator: ",") + "\n"
    }

    var ageHeader: String { (["area_code", "total_population"] + SingleYearOfAgeColumns.names).joined(separator: ",") + "\n" }

    /// 1,000,000 people in one area is the bound and is read; 1,000,001 (and the issue's
    /// 999,999,999,999,999, whose sum with another area overflowed before) are refused at
    /// the row's line and the population column. By hand: 1,000,000 + 5 = 1,000,005.
    @Test func aPopulationPastTheBoundIsRefused() throws {
        let read = try loadPopulation(totals: "nation,area_code,population\nEngland,E01000001,1000000\nEngland,E01000002,5\n")
        #expect(read?.totals.values.reduce(0, +) == 1_000_005)
        for value in ["1000001", "999999999999999"] {
            let error = refused { _ = try loadPopulation(totals: "nation,area_code,population\nEngland,E01000001,5\nEngland,E01000002,\(value)\n") }
            #expect(error?.location == DataLocation(file: "totals.csv", line: 3, column: "population"))
            #expect(error?.message == "population of one small area must be from 0 to 1,000,000 (the plausibility bound of population files)")
            #expect(error?.description.contains(value) == false)
        }
    }

    /// The single-year files have the same bound, for each age and for the row's total.
    @Test func aSingleYearPastTheBoundIsRefused() throws {
        let totals = "nation,area_code,population\nEngland,E01000001,1000000\nEngland,E01000002,5\n"
        // By hand: age 30 holds everyone, so the 15 to 64 group of the standard has 1,000,005.
        let read = try loadPopulation(totals: totals, ages: ageHeader + ageRow("E01000001", "1000000") + ageRow("E01000002", "5"))
        #expect(read?.byAgeBand[.england] == [1_000_005])
        let error = refused { _ = try loadPopulation(totals: totals, ages: ageHeader + ageRow("E01000001", "1000001") + ageRow("E01000002", "5")) }
        #expect(error?.location == DataLocation(file: "ages.csv", line: 2, column: "age_30"))
    }

    // MARK: Provision files

    static let goodFiles = [
        "w.csv": "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,1.5\n",
        "r.csv": "extract_date,pcn_code,pcn_name,registered_patients\n2025-12-01,U1,ONE PCN,1000\n",
        "p.csv": "extract_date,practice_code,pcn_code,pcn_name,registered_patients\n2025-12-01,P1,U1,ONE PCN,1000\n",
        "d.csv": "practice_code,imd2019_score\nP1,12.5\n",
    ]
    static let settings = ProvisionSettings(
        workforce: NamedReferenceFile(file: "w.csv", edition: "w"), registeredPatients: NamedReferenceFile(file: "r.csv", edition: "r"),
        practices: NamedReferenceFile(file: "p.csv", edition: "p"), practiceDeprivation: NamedReferenceFile(file: "d.csv", edition: "d"))

    func provision(_ file: String, _ text: String) throws -> ProvisionData {
        let files = Self.goodFiles.merging([file: text]) { _, new in new }.mapValues { Array($0.utf8) }
        let dir = try folder(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try OrganisationLoader.provision(Self.settings, referenceDirectory: dir)
    }

    /// Each provision value at its bound's two edges is read; just past either edge (and
    /// the issue's 1e308 and -1e308 FTE) is refused naming the file, line 2 and the column.
    @Test(arguments: [
        ("w.csv", "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,", "splw_fte", ["0", "1000"], ["-0.01", "1000.01", "1e308", "-1e308"]),
        ("r.csv", "extract_date,pcn_code,pcn_name,registered_patients\n2025-12-01,U1,ONE PCN,", "registered_patients", ["0", "10000000"], ["10000001"]),
        (
            "p.csv", "extract_date,practice_code,pcn_code,pcn_name,registered_patients\n2025-12-01,P1,U1,ONE PCN,", "registered_patients", ["0", "1000000"],
            ["1000001"]
        ),
        ("d.csv", "practice_code,imd2019_score\nP1,", "imd2019_score", ["0", "100"], ["-0.5", "100.001", "1e308"]),
    ])
    func provisionValuesOutsideTheirBoundsAreRefused(file: String, prefix: String, column: String, edges: [String], outside: [String]) throws {
        for value in edges { _ = try provision(file, prefix + value + "\n") }
        for value in outside {
            let error = refused { _ = try provision(file, prefix + value + "\n") }
            #expect(
                error?.location?.file.hasSuffix(file) == true && error?.location?.line == 2 && error?.location?.column == column,
                "\(value): \(String(describing: error))")
            #expect(error?.message.contains("plausibility bound") == true)
            #expect(error?.description.contains(value) == false)
        }
    }

    /// The FTE bound at its edge keeps every derived figure finite: 1,000 FTE for 1 patient
    /// is 50,000 × 1,000 / 1 = 5 × 10^7 FTE per 50,000 (by hand), not Inf.
    @Test func theFTEBoundKeepsRatesFinite() throws {
        let data = try provision("w.csv", "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,1000\n")
        let patients = try #require(data.networks["U1"]?.registeredPatients.values.first)
        let fte = try #require(data.networks["U1"]?.fte.values.first)
        #expect(50_000 * fte / Double(patients) == 50_000)
        #expect((50_000 * fte / 1).isFinite && 50_000 * fte / 1 == 5e7)
    }

    // MARK: Rows and fields

    /// A field of 1,025 bytes (one past ``ReferenceBounds/maxFieldBytes``) in a column sprx
    /// does not even read is refused naming its column; 1,024 bytes are read.
    @Test func anOverlongFieldIsRefusedNamingItsColumn() throws {
        let header = "census_date,pcn_code,pcn_name,splw_fte\n"
        let ok = try provision("w.csv", header + "2025-11-30,U1,\(String(repeating: "N", count: 1024)),1.5\n")
        #expect(ok.networks["U1"]?.fte.values.first == 1.5)
        let error = refused { _ = try provision("w.csv", header + "2025-11-30,U1,\(String(repeating: "N", count: 1025)),1.5\n") }
        #expect(error?.location?.line == 2 && error?.location?.column == "pcn_name")
        #expect(error?.message == "field is longer than the 1024 bytes a reference field may hold")
    }

    /// A row longer than the reader holds (2 MiB of one field, as the issue's 320 MB one)
    /// was skipped without a word: the file is now refused naming the row's line. The row
    /// after it (line 4) proves the skipped one is not silently dropped.
    @Test func anOverlongRowIsRefusedNotSkipped() throws {
        let long = String(repeating: "X", count: 2 << 20)
        let text = "area_code,decile\nE01000001,9\nE01000002,\(long)\nE01000003,4\n"
        let error = refused {
            _ = try ReferenceTableReader.read(path: try folder(["imd.csv": Array(text.utf8)]) + "/imd.csv", columns: ["area_code", "decile"])
        }
        #expect(error?.location?.line == 3, "\(String(describing: error))")
        #expect(error?.message.contains("row is longer than the 1048576 bytes") == true)
    }

    /// A decile outside 1-10 is refused, stating the bound.
    @Test func aDecileOutsideItsBoundIsRefused() throws {
        for value in ["0", "11"] {
            let files = [
                "imd.csv": Array("area_code,decile\nE01000001,\(value)\n".utf8), "totals.csv": Array("nation,area_code,population\nEngland,E01000001,5\n".utf8),
            ]
            let dir = try folder(files)
            let error = refused { _ = try ReferenceData.load(populationSettings(dir, ages: false)) }
            #expect(error?.location == DataLocation(file: "imd.csv", line: 2, column: "decile"))
            #expect(error?.message == "decile must be a whole number from 1 to 10")
        }
    }

    // MARK: The bundled files

    /// Every bundled reference file is within its bounds: the shipped pipeline's lookups,
    /// populations and provision files load (the README's ranges: population 0 to 16,004,
    /// FTE 0 to 15.63, PCN patients 7,920 to 270,869, practice 1 to 106,804, score 3.40 to
    /// 68.72, read with Python's csv module while writing this test), and the largest
    /// values read agree with those ranges.
    @Test func theBundledFilesPass() throws {
        let reference = "\(packageRoot)/SampleData/reference"
        let data = try OrganisationLoader.provision(OrganisationLoaderTests.shippedSettings, referenceDirectory: reference)
        let fte = data.networks.values.flatMap { $0.fte.values }
        #expect(fte.min() == 0 && fte.max().map { abs($0 - 15.633333) < 1e-9 } == true)
        let patients = data.networks.values.flatMap { $0.registeredPatients.values }
        #expect(patients.min() == 7_920 && patients.max() == 270_869)
        let scores = data.practices.values.compactMap(\.imdScore)
        #expect(scores.allSatisfy { ReferenceBounds.practiceIMDScore.contains($0) })

        var population = PopulationSettings(
            edition: "bundled", totals: PopulationTotalsSource(file: "pop_mid2019_uk_small_areas_total.csv.gz", edition: "t"), catchment: .everyArea)
        population.singleYearOfAge = [
            SingleYearOfAgeSource(nation: .england, file: "pop_mid2019_ew_lsoa11_sya.csv.gz", edition: "a"),
            SingleYearOfAgeSource(nation: .wales, file: "pop_mid2019_ew_lsoa11_sya.csv.gz", edition: "a"),
            { () -> SingleYearOfAgeSource in
                var scotland = SingleYearOfAgeSource(nation: .scotland, file: "pop_mid2020_scotland_dz11_sya_sex.csv.gz", edition: "s")
                (scotland.sexColumn, scotland.sex) = ("sex", "persons")
                return scotland
            }(),
        ]
        let settings = EnrichSettings(
            referenceDirectory: reference,
            deprivation: [
                DeprivationSource(nation: .england, file: "imd2019_england_lsoa11.csv.gz", edition: "i", codeColumn: "area_code", decileColumn: "decile"),
                DeprivationSource(nation: .england, file: "imd2025_england_lsoa21.csv.gz", edition: "i25", codeColumn: "area_code", decileColumn: "decile"),
                DeprivationSource(nation: .wales, file: "wimd2019_wales_lsoa11.csv.gz", edition: "w", codeColumn: "area_code", decileColumn: "decile"),
                DeprivationSource(nation: .scotland, file: "simd2020v2_scotland_dz11.csv.gz", edition: "s", codeColumn: "area_code", decileColumn: "decile"),
                DeprivationSource(nation: .northernIreland, file: "nimdm2017_ni_soa.csv.gz", edition: "n", codeColumn: "area_code", decileColumn: "decile"),
            ],
            rurality: [], ageBands: [AgeBand(label: "0+", lower: 0, upper: 120)], population: population)
        let loaded = try ReferenceData.load(settings)
        #expect(loaded.residents.map(\.population).max() == 16_004)
        let denominators = try #require(try PopulationLoader.denominators(settings, reference: loaded))
        #expect(Set(denominators.nationsWithAges) == [.england, .wales, .scotland])
    }
}
