import Foundation
import SPRXCore
import SPRXEnrich
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// `pcn_provision.csv` and `provision_by_deprivation.csv`: hand-calculated tables from a
/// two-network fixture, and real PCNs from the shipped NHS England / OHID files against
/// an independent DuckDB + statsmodels computation (scripts/expected/provision_reference.py).
@Suite(.timeLimit(.minutes(10))) struct ProvisionTableTests {
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Day { Day(year: y, month: m, day: d)! }
    static let march = day(2025, 3, 31), november = day(2025, 11, 30)
    static let april1 = day(2025, 4, 1), december1 = day(2025, 12, 1)

    /// Two networks. U00001: FTE 2.0 (March) and 0 (November), 40,000 patients at both
    /// extracts; practices A1 (1,000 patients, score 40) and A2 (3,000, score 20), so its
    /// score is (1,000 × 40 + 3,000 × 20) / 4,000 = 25. U00002: FTE 1.5 in March and no
    /// November return, 25,000 patients in April only; practices B1 (2,000, score 10)
    /// and B2 (500, no score), so its score is 10. Ranked 25 then 10: fifths ⌊5r/2⌋ + 1 = 1, 3.
    static let data = ProvisionData(
        networks: [
            "U00001": .init(name: "FIRST PCN", fte: [march: 2.0, november: 0], registeredPatients: [april1: 40_000, december1: 40_000]),
            "U00002": .init(name: "SECOND PCN", fte: [march: 1.5], registeredPatients: [april1: 25_000]),
        ],
        practices: [
            "A1": .init(network: "U00001", registeredPatients: 1_000, imdScore: 40), "A2": .init(network: "U00001", registeredPatients: 3_000, imdScore: 20),
            "B1": .init(network: "U00002", registeredPatients: 2_000, imdScore: 10), "B2": .init(network: "U00002", registeredPatients: 500, imdScore: nil),
            "C1": .init(network: nil, registeredPatients: 700, imdScore: 30),
        ],
        censusDates: [march, november], extractDates: [april1, december1], practiceExtract: december1)

    /// U00001 by its own code: 10 (Jan), 5 (Feb), 5 (Mar), 12 (Oct); practice `a2 ` (its
    /// member) 3 in March; X9, whose lookup parent is U00002, 4 in March; ZZZ (unmapped)
    /// 6; 2 without an organisation.
    static func counts() -> OrganisationCounts {
        var counts = OrganisationCounts()
        func add(_ code: String, _ month: Int, _ n: Int) {
            let organisation = ShortCode(code) ?? ShortCode()
            for _ in 0..<n {
                counts.add(
                    organisation: organisation, month: GroupKeySchema.monthLevel(day(2025, month, 1)), nonMedical: false, contacted: false, intervention: false)
            }
        }
        add("U00001", 1, 10); add("U00001", 2, 5); add("U00001", 3, 5); add("U00001", 10, 12)
        add("a2 ", 3, 3); add("X9", 3, 4); add("ZZZ", 5, 6); add("", 5, 2)
        return counts
    }

    static let directory = OrganisationDirectory(
        organisations: ["X9": OrganisationInfo(code: "X9", name: "Scheme", type: "scheme", parentCode: "U00002", parentName: "SECOND PCN", parentType: "PCN")],
        edition: "test")

    static let builder = ProvisionTableBuilder(disclosure: DisclosureSettings())

    func cells(_ table: PublishedTable, _ code: String, _ census: String) throws -> [String: String] {
        let row = try #require(table.rows.first { $0[ProvisionColumn.pcnCode].string == code && $0[ProvisionColumn.censusDate].string == census })
        return Dictionary(uniqueKeysWithValues: zip(table.header, row.map(\.shown)))
    }

    @Test func handCalculatedProvisionRows() throws {
        let (table, _, figures) = Self.builder.build(
            Self.counts(), data: Self.data, directory: Self.directory, period: (Self.day(2025, 1, 1), Self.day(2025, 12, 31)))
        #expect(table.header == ProvisionColumn.header && table.rows.count == 4)
        #expect(table.rows.map { $0[ProvisionColumn.pcnCode].shown } == ["U00001", "U00001", "U00002", "U00002"])

        // March window 2025-01-01..03-31 (90 days): 10 + 5 + 5 + 3 = 23 referrals → 25 published.
        let first = try cells(table, "U00001", "2025-03-31")
        #expect(first["pcn_name"] == "FIRST PCN" && first["period_start"] == "2025-01-01" && first["period_end"] == "2025-03-31")
        #expect(first["splw_fte"] == "2" && first["registered_patients"] == "40000" && first["registered_patients_extract"] == "2025-04-01")
        #expect(first["fte_per_50000"] == "2.5")  // 50,000 × 2 / 40,000
        #expect(first["referrals"] == "25")
        #expect(first["referrals_per_1000_per_year"] == "2.53646")  // 1,000 × 25 / 40,000 × 365.25 / 90 = 2.536458
        #expect(first["referrals_per_fte_per_year"] == "50.7292")  // 25 / 2 × 365.25 / 90 = 50.729167
        #expect(first["imd_score"] == "25" && first["imd_quintile"] == "1" && first["note"] == "" && first["suppressed"] == "FALSE")

        // November window 09-01..11-30 (91 days): 12 → 10; FTE 0: no per-FTE rate.
        let second = try cells(table, "U00001", "2025-11-30")
        #expect(second["splw_fte"] == "0" && second["fte_per_50000"] == "0" && second["registered_patients_extract"] == "2025-12-01")
        #expect(second["referrals"] == "10" && second["referrals_per_1000_per_year"] == "1.00343")  // 1,000 × 10 / 40,000 × 365.25 / 91
        #expect(second["referrals_per_fte_per_year"] == "" && second["note"] == ProvisionColumn.Note.noLinkWorkerFTE)

        // U00002 in March: 4 referrals (through the lookup parent) are suppressed, so are their rates.
        let third = try cells(table, "U00002", "2025-03-31")
        #expect(third["fte_per_50000"] == "3" && third["referrals"] == "" && third["referrals_per_1000_per_year"] == "")
        #expect(third["suppressed"] == "TRUE" && third["note"] == "suppressed" && third["imd_score"] == "10" && third["imd_quintile"] == "3")

        // U00002 in November: no return, not in the December extract; 0 referrals stay 0.
        let fourth = try cells(table, "U00002", "2025-11-30")
        #expect(fourth["splw_fte"] == "" && fourth["registered_patients"] == "" && fourth["registered_patients_extract"] == "")
        #expect(fourth["referrals"] == "0" && fourth["fte_per_50000"] == "" && fourth["note"] == "no_workforce_return;no_registered_patients")

        var expected = ProvisionFigures()
        expected.organisations = 4
        (expected.mappedAsNetwork, expected.mappedAsPractice, expected.mappedByLookupParent, expected.unmapped) = (1, 1, 1, 1)
        // 39, 6 and 2 referrals by hand, controlled as published counts: 40, suppressed, suppressed.
        (expected.referralsMapped, expected.referralsUnmapped, expected.referralsWithoutOrganisation) = (40, nil, nil)
        (expected.networksMapped, expected.censusDates, expected.censusDatesWithPatients, expected.networksWithScore) = (2, 2, 2, 2)
        expected.scoredPatientShare = 6_000.0 / 6_500.0  // B2's 500 have no score; C1 is in no network
        expected.practiceExtract = "2025-12-01"
        // The period (2025) covers both censuses' three months; both have an extract.
        expected.coverage = CensusCoverage(
            censusDates: [Self.march, Self.november], withPatients: [Self.march, Self.november], period: (Self.day(2025, 1, 1), Self.day(2025, 12, 31)))
        #expect(expected.coverage?.covered == ["2025-03-31", "2025-11-30"] && expected.coverage?.reported == "2025-11-30")
        #expect(figures == expected)
    }

    @Test func withoutTheLookupTheParentDoesNotMap() {
        let figures = Self.builder.build(Self.counts(), data: Self.data, directory: nil, period: (Self.day(2025, 1, 1), Self.day(2025, 12, 31))).figures
        #expect(figures.mappedByLookupParent == 0 && figures.unmapped == 2 && figures.referralsUnmapped == 10)
    }

    @Test func aWindowOutsideTheDataPeriodHasNoReferrals() throws {
        // Data from 1 February: the March window (from 1 January) is not covered, November's is.
        let table = Self.builder.build(Self.counts(), data: Self.data, directory: Self.directory, period: (Self.day(2025, 2, 1), Self.day(2025, 12, 31)))
            .provision
        let march = try cells(table, "U00001", "2025-03-31")
        #expect(
            march["referrals"] == "" && march["referrals_per_1000_per_year"] == "" && march["note"] == "outside_data_period" && march["suppressed"] == "FALSE")
        #expect(try cells(table, "U00001", "2025-11-30")["referrals"] == "10")
        // No dated referral at all: every window is outside.
        let none = Self.builder.build(Self.counts(), data: Self.data, directory: nil, period: nil).provision
        #expect(none.rows.allSatisfy { $0[ProvisionColumn.note].shown.hasPrefix(ProvisionColumn.Note.outsideDataPeriod) })
    }

    @Test func withoutDataTheTablesAreEmpty() {
        let (provision, gradient, figures) = Self.builder.build(Self.counts(), data: nil, directory: nil, period: nil)
        #expect(
            provision.rows.isEmpty && gradient.rows.isEmpty && provision.header == ProvisionColumn.header && gradient.header == ProvisionGradientColumn.header)
        #expect(figures == ProvisionFigures())
    }

    @Test func windowsAreTheThreeMonthsEndingWithTheCensusMonth() {
        #expect(ProvisionTableBuilder.window(of: Self.day(2020, 3, 31)) == (Self.day(2020, 1, 1), Self.day(2020, 3, 31)))
        #expect(ProvisionTableBuilder.window(of: Self.day(2021, 2, 28)) == (Self.day(2020, 12, 1), Self.day(2021, 2, 28)))
    }

    @Test func nearestExtractWithinThirtyOneDaysLaterOnATie() {
        let data = ProvisionData(
            networks: [:], practices: [:], censusDates: [], extractDates: [Self.day(2025, 5, 1), Self.day(2025, 5, 31)], practiceExtract: Self.day(2025, 5, 31))
        #expect(data.extract(for: Self.day(2025, 5, 16)) == Self.day(2025, 5, 31))  // 15 days either way
        #expect(data.extract(for: Self.day(2025, 4, 1)) == Self.day(2025, 5, 1))  // 30 days
        #expect(data.extract(for: Self.day(2025, 3, 30)) == nil)  // 32 days
    }

    /// The hand fixture's gradient for March: U00001 in quintile 1, U00002 in quintile 3,
    /// the other quintiles empty, so no indices. `all`: 50,000 × 3.5 / 65,000 = 2.692308;
    /// R = 3.5/65,000, residuals 2 − 40,000R = −0.153846 and 1.5 − 25,000R = 0.153846,
    /// SE = 50,000 × √(2 × 2 × 0.153846²) / 65,000 = 0.236686; limits 2.692308 ∓ 1.959964 × SE
    /// (numpy: 2.228410891, 3.156204493).
    @Test func handCalculatedGradient() throws {
        let rows = Self.builder.build(Self.counts(), data: Self.data, directory: nil, period: nil).gradient.rows
        let march = rows.filter { $0[ProvisionGradientColumn.censusDate].string == "2025-03-31" }
        #expect(march.map { $0[ProvisionGradientColumn.group].shown } == ["1", "2", "3", "4", "5", "all", "all", "all"])
        let all = march[5]
        #expect(all[ProvisionGradientColumn.pcns].count == 2 && all[ProvisionGradientColumn.registeredPatients].count == 65_000)
        #expect(all[ProvisionGradientColumn.value].shown == "2.69231")
        #expect(all[ProvisionGradientColumn.ciLow].shown == "2.22841" && all[ProvisionGradientColumn.ciHigh].shown == "3.1562")
        #expect(
            march[0][ProvisionGradientColumn.value].shown == "2.5" && march[2][ProvisionGradientColumn.value].shown == "3"
                && march[0][ProvisionGradientColumn.note].shown == ProvisionGradientColumn.Note.fewerThanTwo)
        #expect(march[1][ProvisionGradientColumn.pcns].count == 0 && march[1][ProvisionGradientColumn.value].shown == "")
        #expect(march[6][ProvisionGradientColumn.measure].shown == "sii" && march[6][ProvisionGradientColumn.value].shown == "")
        #expect(march[6][ProvisionGradientColumn.note].shown == ProvisionGradientColumn.Note.quintileWithoutValue)
        // November: U00002 is in no December extract and U00001 has a return, so `all` has one PCN.
        let november = rows.filter { $0[ProvisionGradientColumn.censusDate].string == "2025-11-30" }
        #expect(
            november[5][ProvisionGradientColumn.pcns].count == 1
                && november[5][ProvisionGradientColumn.note].shown == "fewer_than_2_pcns;no_registered_patients=1")
    }

    // MARK: - Real PCNs (SampleData/reference), against scripts/expected/provision_reference.py

    static let realData: ProvisionData = {
        let settings = ProvisionSettings(
            workforce: NamedReferenceFile(file: "pcn_splw_fte_england.csv.gz", edition: "w"),
            registeredPatients: NamedReferenceFile(file: "pcn_registered_patients_england.csv.gz", edition: "r"),
            practices: NamedReferenceFile(file: "gp_practice_pcn_lookup_england.csv.gz", edition: "p"),
            practiceDeprivation: NamedReferenceFile(file: "gp_practice_imd2019_fingertips_england.csv.gz", edition: "d"))
        return try! OrganisationLoader.provision(settings, referenceDirectory: "\(packageRoot)/SampleData/reference")
    }()

    func close(_ shown: String, _ expected: Double, digits: Int = 6) -> Bool {
        guard let value = Double(shown) else { return false }
        return abs(value - expected) <= abs(expected) * 5 * pow(10, Double(-digits))
    }

    /// U89141 STOCKTON PCN, U00070 WEST MERTON PCN and U11559 HARNESS SOUTH PCN; the
    /// script's values: scores 31.4299086909 (q1), 8.2706611612 (q5), 34.1076549327 (q1),
    /// of 1,296 scored PCNs; FTE per 50,000 3.2811824188 (U89141, 4.4 FTE, 67,049 patients
    /// at 2025-12-01), 7.9434032518 (U89141 2025-03-31: 10.24 FTE, 64,456 at 2025-04-01),
    /// 10.0897968272 (U11559 2025-11-30).
    @Test func realNetworksAgainstDuckDB() throws {
        let deprivation = Self.realData.networkDeprivation
        #expect(deprivation.count == 1_296)
        #expect(abs(try #require(deprivation["U89141"]).score - 31.4299086909) < 1e-9 && deprivation["U89141"]?.quintile == 1)
        #expect(abs(try #require(deprivation["U00070"]).score - 8.2706611612) < 1e-9 && deprivation["U00070"]?.quintile == 5)
        #expect(abs(try #require(deprivation["U11559"]).score - 34.1076549327) < 1e-9 && deprivation["U11559"]?.quintile == 1)

        var counts = OrganisationCounts()
        for code in ["U89141", "A81001", "U11559"] {
            counts.add(
                organisation: ShortCode(code)!, month: GroupKeySchema.monthLevel(Self.november), nonMedical: false, contacted: false, intervention: false)
        }
        let (table, _, figures) = Self.builder.build(counts, data: Self.realData, directory: nil, period: nil)
        #expect(figures.networksMapped == 2 && figures.mappedAsPractice == 1 && figures.mappedAsNetwork == 2)  // A81001 is a Stockton practice
        #expect(table.rows.count == 2 * 16)
        let stockton = try cells(table, "U89141", "2025-11-30")
        #expect(stockton["splw_fte"] == "4.4" && stockton["registered_patients"] == "67049" && stockton["registered_patients_extract"] == "2025-12-01")
        #expect(close(stockton["fte_per_50000"]!, 3.2811824188) && close(stockton["imd_score"]!, 31.4299086909))
        #expect(close(try cells(table, "U89141", "2025-03-31")["fte_per_50000"]!, 7.9434032518))
        #expect(close(try cells(table, "U11559", "2025-11-30")["fte_per_50000"]!, 10.0897968272))
        // 2020-2022 dates: FTE but no registration extract.
        let early = try cells(table, "U89141", "2022-09-30")
        #expect(early["splw_fte"] == "9.08" && early["registered_patients"] == "" && early["note"] == "outside_data_period;no_registered_patients")
    }

    /// The script's 2025-11-30 gradient: per quintile and `all` (pcns, FTE, patients,
    /// value and limits: statsmodels WLS, HC1), and the SII/RII point estimates (WLS line).
    @Test func realGradientAgainstStatsmodels() throws {
        var builder = Self.builder
        builder.jobs = 3
        let gradient = builder.build(OrganisationCounts(), data: Self.realData, directory: nil, period: nil).gradient
        let rows = gradient.rows.filter { $0[ProvisionGradientColumn.censusDate].string == "2025-11-30" }
        let expected: [(pcns: Int64, patients: Int64, fte: Double, value: Double, low: Double, high: Double)] = [
            (250, 12_544_796, 650.331714, 2.5920378219, 2.3047439054, 2.8793317384),
            (254, 13_676_510, 584.783071, 2.1379104428, 1.9150286066, 2.3607922790),
            (254, 12_690_826, 506.612282, 1.9959783626, 1.7889772255, 2.2029794998),
            (258, 12_357_273, 520.510139, 2.1060882081, 1.9036240055, 2.3085524108),
            (256, 11_496_005, 437.080003, 1.9010082329, 1.7066043066, 2.0954121591),
            (1272, 62_765_410, 2699.317209, 2.1503222946, 2.0482063557, 2.2524382334),
        ]
        try #require(rows.count == 8)
        for (row, want) in zip(rows, expected) {
            #expect(row[ProvisionGradientColumn.pcns].count == want.pcns && row[ProvisionGradientColumn.registeredPatients].count == want.patients)
            #expect(close(row[ProvisionGradientColumn.splwFTE].shown, want.fte))
            #expect(close(row[ProvisionGradientColumn.value].shown, want.value))
            #expect(close(row[ProvisionGradientColumn.ciLow].shown, want.low) && close(row[ProvisionGradientColumn.ciHigh].shown, want.high))
        }
        #expect(close(rows[6][ProvisionGradientColumn.value].shown, -0.6995650395) && close(rows[7][ProvisionGradientColumn.value].shown, 0.7201857156))
        // The simulated interval brackets the estimate; any thread count gives the same bytes.
        #expect(Double(rows[6][ProvisionGradientColumn.ciLow].shown)! < -0.69956 && Double(rows[6][ProvisionGradientColumn.ciHigh].shown)! > -0.69957)
        builder.jobs = 1
        #expect(builder.build(OrganisationCounts(), data: Self.realData, directory: nil, period: nil).gradient == gradient)
        // Five census dates have an extract (2025), each with 6 fifths/all rows and 2 indices.
        #expect(gradient.rows.count == 5 * 8)
    }

    // MARK: Census coverage (issue 24 item 6)

    /// The bundled workforce file's census dates (SampleData/reference/README.md; read with
    /// `zcat | cut -d, -f1 | sort -u`), the last five with a registration extract.
    static let bundledCensus: [Day] = [
        day(2020, 3, 31), day(2020, 6, 30), day(2020, 9, 30), day(2020, 12, 31), day(2021, 3, 31), day(2021, 6, 30), day(2021, 9, 30),
        day(2021, 12, 31), day(2022, 3, 31), day(2022, 6, 30), day(2022, 9, 30), day(2025, 3, 31), day(2025, 4, 30), day(2025, 5, 31),
        day(2025, 10, 31), day(2025, 11, 30),
    ]
    static var bundledWithPatients: [Day] { Array(bundledCensus.suffix(5)) }

    /// The case: a 2023-2024 export covers no census. By hand: the last census
    /// before 2023-01-01 is 2022-09-30, the first after 2024-12-31 is 2025-03-31; the
    /// national figures use the census with patients nearest the period: 2025-03-31 (90
    /// days after its end; 2025-04-30 is 120). Gaps over 100 days: 2022-09-30 to
    /// 2025-03-31 (913 days) and 2025-05-31 to 2025-10-31 (153 days).
    @Test func aPeriodBetweenCensusDatesIsExplained() {
        let coverage = CensusCoverage(
            censusDates: Self.bundledCensus, withPatients: Self.bundledWithPatients, period: (Self.day(2023, 1, 1), Self.day(2024, 12, 31)))
        #expect(coverage.covered.isEmpty && coverage.within.isEmpty)
        #expect(coverage.before == "2022-09-30" && coverage.after == "2025-03-31")
        #expect(coverage.gaps == [["2022-09-30", "2025-03-31"], ["2025-05-31", "2025-10-31"]])
        #expect(coverage.reported == "2025-03-31" && !coverage.reportedIsCovered)
        #expect(coverage.explanation.contains("falls between the census dates 2022-09-30 and 2025-03-31"))
        #expect(coverage.explanation.contains("(2023-01-01 to 2024-12-31)") && !coverage.explanation.contains("_"))
    }

    /// A period covering some censuses: those whose three whole months lie in it. By hand,
    /// 2022-01-15 to 2025-06-30 covers 2022-06-30 (Apr-Jun 2022), 2022-09-30 (Jul-Sep),
    /// 2025-03-31, 2025-04-30 and 2025-05-31, not 2022-03-31 (January starts before the
    /// 15th); the national figures use the latest covered with patients, 2025-05-31.
    @Test func coveredCensusesAreThoseWhoseThreeMonthsLieInThePeriod() {
        let coverage = CensusCoverage(
            censusDates: Self.bundledCensus, withPatients: Self.bundledWithPatients, period: (Self.day(2022, 1, 15), Self.day(2025, 6, 30)))
        #expect(coverage.covered == ["2022-06-30", "2022-09-30", "2025-03-31", "2025-04-30", "2025-05-31"])
        #expect(coverage.reported == "2025-05-31" && coverage.reportedIsCovered && coverage.before == nil && coverage.after == nil)
        // Nine days of March 2024 (the small-counts run): between, nearest with patients 2025-03-31.
        let short = CensusCoverage(
            censusDates: Self.bundledCensus, withPatients: Self.bundledWithPatients, period: (Self.day(2024, 3, 1), Self.day(2024, 3, 9)))
        #expect(short.covered.isEmpty && short.before == "2022-09-30" && short.after == "2025-03-31" && short.reported == "2025-03-31")
        // A period inside one census's months but not all of them: 2025-03-10 to 2025-04-20
        // holds 2025-03-31 (its months start 1 January), so it is named as within.
        let inside = CensusCoverage(
            censusDates: Self.bundledCensus, withPatients: Self.bundledWithPatients, period: (Self.day(2025, 3, 10), Self.day(2025, 4, 20)))
        #expect(inside.covered.isEmpty && inside.within == ["2025-03-31"] && inside.before == "2022-09-30" && inside.after == "2025-04-30")
        #expect(inside.reported == "2025-03-31" && inside.explanation.contains("2025-03-31 is in the period, but not all of its three months"))
        // No dated referral: nothing covered, the latest census with patients.
        let undated = CensusCoverage(censusDates: Self.bundledCensus, withPatients: Self.bundledWithPatients, period: nil)
        #expect(undated.covered.isEmpty && undated.reported == "2025-11-30")
    }

    /// The manifest carries the coverage of the run's own period (the fixture's two dates).
    @Test func theFiguresCarryTheCoverage() throws {
        let figures = Self.builder.build(Self.counts(), data: Self.data, directory: Self.directory, period: (Self.day(2025, 2, 1), Self.day(2025, 12, 31)))
            .figures
        let coverage = try #require(figures.coverage)
        #expect(coverage.censusDates == ["2025-03-31", "2025-11-30"] && coverage.covered == ["2025-11-30"] && coverage.gaps == [["2025-03-31", "2025-11-30"]])
        let json = String(decoding: try JSONEncoder().encode(figures), as: UTF8.self)
        #expect(json.contains("\"census_coverage\"") && json.contains("\"national_figures_census_date\":\"2025-11-30\""))
    }
}
