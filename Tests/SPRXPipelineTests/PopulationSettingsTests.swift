import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `population` section: the shipped one, the defaults without it, `none`, and each
/// mistake refused before any data is read (issue 17).
@Suite(.timeLimit(.minutes(10))) struct PopulationSettingsTests: ShippedPipelineEditing {
    /// The shipped pipeline's population section, comments included.
    var shippedSection: String {
        let start = valid.range(of: "# The resident population referral rates")!.lowerBound
        let end = valid.range(of: "\ndisclosure:", range: start..<valid.endIndex)!.lowerBound
        return String(valid[start..<end])
    }

    /// The shipped pipeline with its population section replaced by `section`.
    func withPopulation(_ section: String) -> String { edited(shippedSection, section) }

    func failure(_ yaml: String) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try parse(yaml) }
        #expect(error?.code == .invalidPipeline, "\(String(describing: error))")
        #expect(error?.location?.line != nil)
        return error
    }

    @Test func theShippedSectionReadsAsWritten() throws {
        let enrich = try parse(valid).enrich
        let population = try #require(enrich.population)
        #expect(population.edition == "mid-2019" && !population.isDefault)
        #expect(
            population.totals == PopulationTotalsSource(file: "pop_mid2019_uk_small_areas_total.csv.gz", edition: "ONS/NRS/NISRA mid-2019 small-area totals"))
        #expect(population.singleYearOfAge.map(\.nation) == [.england, .wales, .scotland])
        let scotland = try #require(population.singleYearOfAge(for: .scotland))
        #expect(scotland.file == "pop_mid2020_scotland_dz11_sya_sex.csv.gz" && scotland.sexColumn == "sex" && scotland.sex == "persons")
        #expect(population.singleYearOfAge(for: .england)?.sexColumn == nil && population.singleYearOfAge(for: .northernIreland) == nil)
        #expect(population.catchment == .everyArea && population.period == nil)
        // England and Wales share one file: it is read once.
        #expect(
            population.files == ["pop_mid2019_uk_small_areas_total.csv.gz", "pop_mid2019_ew_lsoa11_sya.csv.gz", "pop_mid2020_scotland_dz11_sya_sex.csv.gz"])
        // Local-authority columns as the shared reference README lists each lookup's columns.
        #expect(
            enrich.deprivation.map(\.localAuthorityColumns) == [
                ["lad19_code", "lad19_name"], ["la_name"], ["la_code", "la_name"], ["lgd14_code", "lgd14_name"],
            ])
    }

    @Test func withoutTheSectionTheDefaultsApply() throws {
        let population = try #require(try parse(withPopulation("")).enrich.population)
        #expect(population == PopulationSettings.standard && population.isDefault)
        #expect(population.totals.file == "pop_mid2019_uk_small_areas_total.csv.gz" && population.singleYearOfAge.isEmpty)
        #expect(population.catchment == .everyArea && population.period == nil)
    }

    @Test func noneSwitchesRatesOff() throws {
        #expect(try parse(withPopulation("population: none\n")).enrich.population == nil)
    }

    @Test func aCatchmentOfLocalAuthoritiesAndAFixedPeriod() throws {
        let yaml = edited(
            "  catchment: every_area\n",
            "  catchment: {local_authorities: [E06000001, \" Denbighshire \", S12000036]}\n  period: {first: 2024-01-01, last: 2024-12-31}\n")
        let population = try #require(try parse(yaml).enrich.population)
        #expect(population.catchment == .localAuthorities(["E06000001", "Denbighshire", "S12000036"]))
        #expect(population.catchment.description == "the small areas of the local authorities E06000001, Denbighshire and S12000036")
        #expect(population.period == Day(year: 2024, month: 1, day: 1)!...Day(year: 2024, month: 12, day: 31)!)
    }

    @Test func theAgeColumnsAreThoseOfThePopulationFiles() {
        // shared/reference/README.md: columns age_0 … age_89, age_90plus (ESP 2013's open group starts at 90).
        #expect(SingleYearOfAgeColumns.count == 91)
        #expect(SingleYearOfAgeColumns.names.first == "age_0" && SingleYearOfAgeColumns.names[89] == "age_89")
        #expect(SingleYearOfAgeColumns.names.last == "age_90plus")
    }

    @Test(arguments: [
        ("population: some\n", "population", "none (no population rates)"),
        ("population:\n  edition: x\n", "population.totals", "a value for 'totals'"),
        ("population:\n  edition: \"  \"\n  totals: {file: t.csv, edition: e}\n", "population.edition", "a label"),
        ("population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  extra: 1\n", "population.extra", "unknown key 'extra'"),
        ("population:\n  edition: x\n  totals: {file: t.csv, edition: e, colour: red}\n", "population.totals.colour", "unknown key 'colour'"),
        ("population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  catchment: some_areas\n", "population.catchment", "every_area or"),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  period: {first: 2024-02-01, last: 2024-01-31}\n", "population.period.last",
            "on or after 'first'"
        ),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  single_year_of_age:\n    Atlantis: {file: a.csv, edition: e}\n",
            "population.single_year_of_age.Atlantis", "unknown key 'Atlantis'"
        ),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  single_year_of_age:\n    Scotland: {file: s.csv, edition: e, sex_column: sex}\n",
            "population.single_year_of_age.Scotland", "sex_column and sex together"
        ),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  single_year_of_age:\n    England: {file: ew.csv, edition: e}\n    Wales: {file: ew.csv, edition: other}\n",
            "population.single_year_of_age.Wales", "the same edition and columns as England's entry"
        ),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  catchment: {local_authorities: [Hartlepool, hartlepool]}\n",
            "population.catchment.local_authorities", "each local authority once ('hartlepool' repeats)"
        ),
        (
            "population:\n  edition: x\n  totals: {file: t.csv, edition: e}\n  catchment: {local_authorities: []}\n", "population.catchment.local_authorities",
            "a non-empty list"
        ),
    ])
    func aMistakeInTheSectionIsInvalid(section: String, key: String, expected: String) {
        let error = failure(withPopulation(section))
        #expect(error?.message.contains("key '\(key)'") == true, "\(String(describing: error?.message))")
        #expect(error?.message.contains(expected) == true, "\(String(describing: error?.message))")
    }

    @Test func localAuthoritiesNeedALookupThatNamesThem() {
        var yaml = valid
        for columns in [
            ", local_authority_columns: [lad19_code, lad19_name]", ", local_authority_columns: [la_name]",
            ", local_authority_columns: [la_code, la_name]", ", local_authority_columns: [lgd14_code, lgd14_name]",
        ] {
            yaml = yaml.replacingOccurrences(of: columns, with: "")
        }
        yaml = yaml.replacingOccurrences(of: "  catchment: every_area\n", with: "  catchment: {local_authorities: [Hartlepool]}\n")
        let error = failure(yaml)
        #expect(error?.message.contains("names its lookup's local_authority_columns (none does)") == true, "\(String(describing: error?.message))")
    }

    @Test func localAuthorityColumnsAreNamesEachOnce() {
        let error = failure(edited("local_authority_columns: [la_name]", "local_authority_columns: [la_name, LA_NAME]"))
        #expect(error?.message.contains("key 'enrich.deprivation.Wales.local_authority_columns': expected each column once") == true)
    }
}
