import Foundation
import SPRXCore
import SPRXPipeline
import Testing

@testable import SPRXAggregate

/// `rates_by_group.csv` and `inequality.csv` from hand-made counts and populations.
///
/// Every expected figure is a hand calculation from the referrals and residents the
/// fixture puts in (written out beside each check); the period is 2024, 366 days, so
/// person-years are population × 366 / 365.25.
@Suite(.timeLimit(.minutes(10))) struct RateTableTests {
    static let bands = [
        AgeBand(label: "0-17", lower: 0, upper: 17), AgeBand(label: "18-64", lower: 18, upper: 64), AgeBand(label: "65+", lower: 65, upper: 120),
    ]
    static let routes: [(String, RouteType)] = [("primary_care", .medical), ("self_referral", .nonMedical), ("unknown", .unknown)]
    static let schema = try! GroupKeySchema(ageBands: bands, routes: routes.map(\.0), reasons: ["mental_health"])
    static let period = (first: Day(year: 2024, month: 1, day: 1)!, last: Day(year: 2024, month: 12, day: 31)!)
    static let years = 366.0 / 365.25

    /// `count` referrals of one kind.
    static func add(
        _ counts: inout ReferralCounts, _ count: Int, nation: Nation, decile: UInt8, rurality: Rurality, age: Int?, route: UInt8,
        resident: Bool = true, contacted: Bool = false, intervention: Bool = false
    ) {
        let band = age.map { a in UInt8(bands.firstIndex { $0.lower <= a && a <= $0.upper }!) } ?? UInt8(bands.count)
        let standard = age.map { UInt8(EuropeanStandardPopulation.group(ofAge: $0)!) } ?? UInt8(GroupKeySchema.unknownStandardAgeLevel)
        let key = schema.key(
            ageBand: band, sex: .female, ethnicity: .white, nation: nation, decile: decile, rurality: rurality, routeType: routes[Int(route)].1,
            contacted: contacted, route: route, month: GroupKeySchema.monthLevel(period.first), standardAge: standard, resident: resident)
        for _ in 0..<count { counts.add(key: key, reasons: 1, contacted: contacted, intervention: intervention) }
    }

    /// England decile 1 urban: 10 aged 22 (medical, contacted, helped), 10 aged 72
    /// (non-medical, contacted); England decile 10 rural: 12 aged 23; Wales decile 5: 3
    /// aged 22; Northern Ireland decile 2: 9 of unknown age; 4 English referrals outside
    /// the catchment; 5 with no area.
    static func counts() -> ReferralCounts {
        var counts = ReferralCounts(schema: schema)
        add(&counts, 10, nation: .england, decile: 1, rurality: .urban, age: 22, route: 0, contacted: true, intervention: true)
        add(&counts, 10, nation: .england, decile: 1, rurality: .urban, age: 72, route: 1, contacted: true)
        add(&counts, 12, nation: .england, decile: 10, rurality: .rural, age: 23, route: 0)
        add(&counts, 3, nation: .wales, decile: 5, rurality: .urban, age: 22, route: 0)
        add(&counts, 9, nation: .northernIreland, decile: 2, rurality: .urban, age: nil, route: 2)
        add(&counts, 4, nation: .england, decile: 3, rurality: .urban, age: 40, route: 0, resident: false)
        add(&counts, 5, nation: .unknown, decile: 0, rurality: .unknown, age: 40, route: 0, resident: false)
        return counts
    }

    /// Residents: England decile 1 urban 1,000 (100 aged 0-4, 400 aged 20-24, 500 aged
    /// 70-74); England decile 10 rural 3,000 (1,000 aged 20-24, 2,000 aged 70-74); Wales
    /// decile 5 urban 500 (all 20-24); Northern Ireland decile 2 urban 800 (no ages).
    static func population() -> PopulationDenominators {
        func ages(_ pairs: [Int: Int64]) -> [Int64] {
            (0..<EuropeanStandardPopulation.groupCount).map { pairs[$0] ?? 0 }
        }
        var population = PopulationDenominators()
        let e1 = ResidentCell(nation: .england, decile: 1, rurality: .urban), e10 = ResidentCell(nation: .england, decile: 10, rurality: .rural)
        let w5 = ResidentCell(nation: .wales, decile: 5, rurality: .urban), n2 = ResidentCell(nation: .northernIreland, decile: 2, rurality: .urban)
        population.totals = [e1: 1000, e10: 3000, w5: 500, n2: 800]
        population.byStandardAge = [e1: ages([0: 100, 4: 400, 14: 500]), e10: ages([4: 1000, 14: 2000]), w5: ages([4: 500])]
        population.byAgeBand = [.england: [100, 1400, 2500], .wales: [0, 500, 0]]
        population.nationsWithAges = [.england, .wales]
        return population
    }

    static func build(disclosure: DisclosureSettings = DisclosureSettings(enabled: false)) -> (
        rates: [String: [Cell]], inequality: PublishedTable, figures: RateFigures?
    ) {
        let builder = RateTableBuilder(groupKey: schema, ageBands: bands, disclosure: disclosure)
        let built = builder.build(counts(), population: population(), period: period)
        var rows: [String: [Cell]] = [:]
        for row in built.rates.rows { rows[row[RateColumn.dimension].string! + " " + row[RateColumn.group].string!] = row }
        return (rows, built.inequality, built.figures)
    }

    static func close(_ cell: Cell, _ expected: Double, places: Int = 3) -> Bool {
        guard let value = cell.value else { return false }
        return abs(value - expected) <= 0.5 * pow(10, -Double(places)) + 1e-12
    }

    @Test func groupsCountResidentsAndTheirReferralsByTheSameCells() throws {
        let (rows, _, _) = Self.build()
        // Rows: all, 3 nations, England deciles 1 and 10, Wales 5, NI 2, their quintiles
        // and rurality, and 3 age bands; groups with neither residents nor referrals are left out.
        #expect(rows.count == 1 + 3 + 4 + 4 + 4 + 3)
        let all = try #require(rows["all all"])
        #expect(all[RateColumn.referrals].count == 44)  // 20 + 12 + 3 + 9: not the 4 outside the catchment nor the 5 without an area
        #expect(all[RateColumn.population].count == 5300)
        // 1000 × 44 / (5300 × 366 / 365.25) = 8.2836…
        #expect(Self.close(all[RateColumn.crudeRate], 1000 * 44 / (5300 * Self.years)))
        #expect(all[RateColumn.dsr].isEmpty && all[RateColumn.note].string == RateColumn.Note.noAgePopulation)
        #expect(all[RateColumn.referralShare].isEmpty && all[RateColumn.representation].isEmpty)
        #expect(rows["nation/imd_decile England/3"] == nil && rows["nation/imd_decile England/Unknown"] == nil)
        #expect(rows["nation/imd_quintile England/1"]?[RateColumn.referrals].count == 20)
        #expect(rows["nation/imd_quintile England/5"]?[RateColumn.referrals].count == 12)
        #expect(rows["nation/rurality England/Rural"]?[RateColumn.population].count == 3000)
        #expect(Self.close(try #require(rows["nation/rurality England/Urban"])[RateColumn.personYears], 1000 * Self.years, places: 1))
    }

    @Test func standardisedRatesWeightTheAgeSpecificRatesByTheEuropeanStandard() throws {
        let (rows, _, _) = Self.build()
        // Age groups without residents or referrals are left out with their weights, so
        // England's cells weigh 0-4 (5000), 20-24 (6000) and 70-74 (5000): 16,000 in all.
        // England decile 1: (6000 × 10/400 + 5000 × 10/500) / 16000 per person-year
        // = 250 / 16000, × 1000 / years = 15.625 / years.
        let e1 = try #require(rows["nation/imd_decile England/1"])
        #expect(Self.close(e1[RateColumn.dsr], 15.625 / Self.years))
        // England: 22 aged 20-24 of 1,400 and 10 aged 70-74 of 2,500:
        // (6000 × 22/1400 + 5000 × 10/2500) / 16000 × 1000 / years.
        let england = try #require(rows["nation England"])
        #expect(Self.close(england[RateColumn.dsr], (6000 * 22 / 1400 + 5000 * 10 / 2500) / 16 / Self.years))
        // Wales has 3 referrals: PHE computes no standardised rate below 10.
        #expect(rows["nation Wales"]?[RateColumn.note].string == RateColumn.Note.fewerThanTen)
        #expect(rows["nation Northern Ireland"]?[RateColumn.note].string == RateColumn.Note.noAgePopulation)
    }

    @Test func representationComparesShareOfReferralsWithShareOfResidents() throws {
        let (rows, _, _) = Self.build()
        // England decile 1: 20 of England's 32 referrals (62.5%), 1,000 of its 4,000 residents (25%): 2.5.
        let e1 = try #require(rows["nation/imd_decile England/1"])
        #expect(Self.close(e1[RateColumn.referralShare], 62.5, places: 2) && Self.close(e1[RateColumn.populationShare], 25, places: 2))
        #expect(Self.close(e1[RateColumn.representation], 2.5))
        // England of all: 32/44 = 72.73% against 4000/5300 = 75.47%: 0.964.
        let england = try #require(rows["nation England"])
        #expect(Self.close(england[RateColumn.representation], (32.0 / 44) / (4000.0 / 5300)))
    }

    @Test func ageBandRatesCoverNationsWithSingleYearPopulations() throws {
        let (rows, _, _) = Self.build()
        // 18-64: 10 + 12 (England) + 3 (Wales) of 1,400 + 500 residents; NI's 9 have no age.
        let adults = try #require(rows["age_band 18-64"])
        #expect(adults[RateColumn.referrals].count == 25 && adults[RateColumn.population].count == 1900)
        #expect(Self.close(adults[RateColumn.crudeRate], 1000 * 25 / (1900 * Self.years)))
        #expect(adults[RateColumn.note].string == RateColumn.Note.crudeOnly && adults[RateColumn.dsr].isEmpty)
        #expect(rows["age_band 0-17"]?[RateColumn.referrals].count == 0)
    }

    @Test func figuresCountWhatTheRatesLeaveOut() throws {
        let figures = try #require(Self.build().figures)
        #expect(figures.referralsInRates == 44 && figures.unknownArea == 5 && figures.outsideCatchment == ["England": 4])
        #expect(figures.unknownAge == 9 && figures.nationsWithoutAges == ["Northern Ireland"])
        #expect(figures.firstDay == "2024-01-01" && figures.lastDay == "2024-12-31" && abs(figures.years - Self.years) < 1e-15)
    }

    @Test func disclosureControlRoundsTheCountAndRatesFollowIt() throws {
        let (rows, _, _) = Self.build(disclosure: DisclosureSettings())
        // England decile 10: 12 published as 10; crude 1000 × 10 / (3000 × years).
        let e10 = try #require(rows["nation/imd_decile England/10"])
        #expect(e10[RateColumn.referrals].count == 10 && e10[RateColumn.population].count == 3000)
        #expect(Self.close(e10[RateColumn.crudeRate], 1000 * 10 / (3000 * Self.years)))
        // Its 12 aged 20-24 scaled to the published 10, over weights 6000 + 5000 (its
        // residents are 20-24 and 70-74): 6000 × 10/1000 / 11000 × 1000 / years.
        #expect(Self.close(e10[RateColumn.dsr], 6000.0 * 10 / 1000 / 11 / Self.years))
        // Wales's 3 are suppressed: no rate, no share; the population stays (it is public).
        let wales = try #require(rows["nation Wales"])
        #expect(wales[RateColumn.referrals].isEmpty && wales[RateColumn.crudeRate].isEmpty && wales[RateColumn.suppressed].flag == true)
        #expect(wales[RateColumn.population].count == 500 && wales[RateColumn.representation].isEmpty)
        #expect(wales[RateColumn.note].string == RateColumn.Note.suppressed)
    }

    @Test func residentCountsMergeAndAreUndoneLikeEveryOtherCount() {
        // Two halves merged equal the whole; a referral added and removed again leaves nothing.
        var first = ReferralCounts(schema: Self.schema), second = ReferralCounts(schema: Self.schema)
        Self.add(&first, 10, nation: .england, decile: 1, rurality: .urban, age: 22, route: 0, contacted: true, intervention: true)
        Self.add(&first, 10, nation: .england, decile: 1, rurality: .urban, age: 72, route: 1, contacted: true)
        Self.add(&second, 12, nation: .england, decile: 10, rurality: .rural, age: 23, route: 0)
        Self.add(&second, 3, nation: .wales, decile: 5, rurality: .urban, age: 22, route: 0)
        Self.add(&second, 9, nation: .northernIreland, decile: 2, rurality: .urban, age: nil, route: 2)
        Self.add(&second, 4, nation: .england, decile: 3, rurality: .urban, age: 40, route: 0, resident: false)
        Self.add(&second, 5, nation: .unknown, decile: 0, rurality: .unknown, age: 40, route: 0, resident: false)
        first.merge(second)
        #expect(first == Self.counts())
        var undone = ReferralCounts(schema: Self.schema)
        let key = Self.schema.key(
            ageBand: 1, sex: .male, ethnicity: .asian, nation: .wales, decile: 4, rurality: .rural, routeType: .nonMedical, contacted: true,
            route: 1, month: 0, standardAge: 7, resident: true)
        undone.add(key: key, reasons: 1, contacted: true, intervention: true)
        #expect(undone.residents.count == 1 && undone.residentBands.count == 1)
        #expect(
            undone.residents.map(\.value) == [
                {
                    var c = ResidentCounts(); c.referred = 1; c.nonMedical = 1; c.contacted = 1; c.intervention = 1; return c
                }()
            ])
        undone.add(key: key, reasons: 1, contacted: true, intervention: true, sign: -1)
        undone.compact()
        #expect(undone == ReferralCounts(schema: Self.schema))
    }

    @Test func noPopulationGivesHeaderOnlyTables() {
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings())
            .build(Self.counts(), population: nil, period: Self.period)
        #expect(built.rates.rows.isEmpty && built.inequality.rows.isEmpty && built.figures == nil)
        #expect(built.rates.csv == RateColumn.header.joined(separator: ",") + "\n")
    }

    @Test func inequalityNeedsEveryDecileToHaveResidents() {
        let (_, inequality, _) = Self.build()
        // Three nations × four indicators × SII and RII, each empty with its reason.
        #expect(inequality.rows.count == 3 * 4 * 2)
        #expect(
            inequality.rows.allSatisfy {
                $0[InequalityColumn.value].isEmpty && $0[InequalityColumn.note].string == InequalityColumn.Note.decileWithoutPopulation
            })
    }

    /// England with all ten deciles: decile d has 10,000 residents and 1100 − 100d
    /// referrals (1,000 in the most deprived, 100 in the least), of which half less
    /// 10 × (d mod 3) are non-medical (and contacted), the rest medical (with an intervention). The table's indices are the library's on the published values, in
    /// decile order, and point the way the data do.
    @Test func inequalityIndicesFitEachNationsDecilesFromThePublishedCounts() throws {
        var counts = ReferralCounts(schema: Self.schema)
        var population = PopulationDenominators()
        for decile in 1...10 {
            let cell = ResidentCell(nation: .england, decile: UInt8(decile), rurality: .urban)
            population.totals[cell] = 10_000
            population.byStandardAge[cell] = (0..<EuropeanStandardPopulation.groupCount).map { $0 == 8 ? 10_000 : 0 }
            let referrals = 1100 - 100 * decile
            let nonMedical = referrals / 2 - 10 * (decile % 3)
            Self.add(&counts, nonMedical, nation: .england, decile: UInt8(decile), rurality: .urban, age: 40, route: 1, contacted: true)
            Self.add(&counts, referrals - nonMedical, nation: .england, decile: UInt8(decile), rurality: .urban, age: 40, route: 0, intervention: true)
        }
        population.nationsWithAges = [.england]
        population.byAgeBand = [.england: [0, 100_000, 0]]
        var simulation = InequalitySimulation()
        simulation.repetitions = 2_000
        let builder = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(), inequality: simulation)
        let table = builder.build(counts, population: population, period: Self.period).inequality
        #expect(table.rows.count == 4 * 2)
        func row(_ indicator: InequalityColumn.Indicator, _ measure: InequalityColumn.Measure) throws -> [Cell] {
            try #require(
                table.rows.first { $0[InequalityColumn.indicator].string == indicator.rawValue && $0[InequalityColumn.measure].string == measure.rawValue })
        }
        // Referral rate: the published counts (1000, 900, …, 100: multiples of 5 stay) per 10,000 × years.
        let quantiles = (1...10).map { decile -> InequalityIndices.Quantile in
            let rate = CrudeRate.estimate(count: 1100 - 100 * decile, personYears: 10_000 * Self.years)!
            return InequalityIndices.Quantile(value: rate.value, population: 10_000, uncertainty: .limits95(lower: rate.limits.lower, upper: rate.limits.upper))
        }
        let expected = try InequalityIndices.calculate(quantiles, kind: .rate, transform: true, repetitions: 2_000).get()
        let sii = try row(.referralRate, .sii), rii = try row(.referralRate, .rii)
        #expect(sii[InequalityColumn.value].value == Cell.significant(expected.sii, digits: 6).value)
        #expect(rii[InequalityColumn.ciHigh].value == Cell.significant(expected.riiLimits.upper, digits: 6).value)
        // More referrals where deprivation is higher: SII (least − most) below 0, RII below 1.
        let siiValue = try #require(sii[InequalityColumn.value].value), riiValue = try #require(rii[InequalityColumn.value].value)
        let most = try #require(sii[InequalityColumn.fittedMostDeprived].value), least = try #require(sii[InequalityColumn.fittedLeastDeprived].value)
        #expect(siiValue < 0 && riiValue < 1 && most > least)
        #expect(sii[InequalityColumn.unit].string == RateTableBuilder.rateUnit && sii[InequalityColumn.quantiles].count == 10)
        // Contacted share is 100% in no decile and 0% in none, so it is fitted; its unit is percent.
        let contacted = try row(.contactedShare, .sii)
        #expect(!contacted[InequalityColumn.value].isEmpty && contacted[InequalityColumn.unit].string == RateTableBuilder.percentUnit)
        #expect(sii[InequalityColumn.rankedBy].string == "residents" && contacted[InequalityColumn.rankedBy].string == "referrals")

        // Shares are ranked and weighted by their denominator, the deciles' referrals, as
        // PHE's `phe_sii` takes `population` (issue 27): by hand, a least-squares line of
        // logit(share) on the deciles' relative ranks in the cumulative referrals, each
        // decile weighted by its referrals, transformed back; SII = least − most deprived,
        // in percentage points. The residents (10,000 in every decile) would rank the
        // deciles evenly and give another slope.
        let referrals = (1...10).map { Double(1100 - 100 * $0) }
        let shares: [Double] = (1...10).map { (decile: Int) -> Double in
            let nonMedical = 550 - 50 * decile - 10 * (decile % 3)
            return Double(nonMedical) / Double(1100 - 100 * decile)
        }
        func handSII(weights: [Double]) -> Double {
            let total = weights.reduce(0, +)
            var cumulative = 0.0
            let ranks = weights.map { weight -> Double in
                defer { cumulative += weight }
                return (cumulative + weight / 2) / total
            }
            let logits: [Double] = shares.map { share in Foundation.log(share / (1 - share)) }
            var meanX = 0.0, meanY = 0.0
            for i in 0..<10 {
                meanX += weights[i] * ranks[i] / total
                meanY += weights[i] * logits[i] / total
            }
            var sxy = 0.0, sxx = 0.0
            for i in 0..<10 {
                let dx = ranks[i] - meanX
                sxy += weights[i] * dx * (logits[i] - meanY)
                sxx += weights[i] * dx * dx
            }
            let slope = sxy / sxx, intercept = meanY - slope * meanX
            func inverse(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
            return 100 * (inverse(intercept + slope) - inverse(intercept))
        }
        let nonMedical = try #require(try row(.nonMedicalShare, .sii)[InequalityColumn.value].value)
        let byReferrals = handSII(weights: referrals), byResidents = handSII(weights: [Double](repeating: 10_000, count: 10))
        #expect(abs(nonMedical - byReferrals) <= 1e-5 * abs(byReferrals), "SII \(nonMedical), by hand \(byReferrals)")
        #expect(abs(byReferrals - byResidents) > 0.1, "the two rankings should differ on these data")
    }

    /// A review recovered exact age-specific counts from a DSR computed from them (the
    /// populations being public). Under disclosure control each age group's count is
    /// controlled first: England decile 1 with 2 aged 22 and 10 aged 72 publishes 10
    /// referrals and the DSR of (0, 10), by hand 5000 × 10/500 / 16000 × 1000 / years
    /// (weights of its residents' groups 0-4, 20-24, 70-74: 5000 + 6000 + 5000).
    @Test func standardisedRatesUseControlledAgeSpecificCounts() throws {
        var counts = ReferralCounts(schema: Self.schema)
        Self.add(&counts, 2, nation: .england, decile: 1, rurality: .urban, age: 22, route: 0)
        Self.add(&counts, 10, nation: .england, decile: 1, rurality: .urban, age: 72, route: 0)
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings())
            .build(counts, population: Self.population(), period: Self.period)
        let row = try #require(built.rates.rows.first { $0[RateColumn.group].string == "England/1" })
        #expect(row[RateColumn.referrals].count == 10)
        #expect(Self.close(row[RateColumn.dsr], 5000.0 * 10 / 500 / 16 / Self.years))
        // The manifest's figures are controlled too: 12 referrals publish as 10.
        #expect(built.figures?.referralsInRates == 10)
    }

    /// Referrals dated outside a period the pipeline fixes are not in the rates, and are
    /// counted apart from those outside the catchment.
    @Test func referralsOutsideAFixedPeriodAreLeftOut() throws {
        var counts = Self.counts()
        let key = Self.schema.key(
            ageBand: 1, sex: .female, ethnicity: .white, nation: .england, decile: 1, rurality: .urban, routeType: .medical,
            contacted: false, route: 0, month: 0, standardAge: 4, resident: true, outsidePeriod: true)
        for _ in 0..<30 { counts.add(key: key, reasons: 1, contacted: false, intervention: false) }
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(enabled: false))
            .build(counts, population: Self.population(), period: Self.period, periodFixed: true)
        let figures = try #require(built.figures)
        #expect(figures.outsidePeriod == 30 && figures.referralsInRates == 44 && figures.outsideCatchment == ["England": 4])
        #expect(built.rates.rows.first { $0[RateColumn.group].string == "England/1" }?[RateColumn.referrals].count == 20)
        #expect(figures.periodFixed)
    }

    /// Bands that split the open 90+ group have no population: no person-years, no rate,
    /// no shares; the other bands' shares are of the bands that have one.
    @Test func bandsWithoutAPopulationAreEmptyNotZero() throws {
        var population = Self.population()
        population.byAgeBand = [.england: [100, 1400, nil], .wales: [0, 500, nil]]
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(enabled: false))
            .build(Self.counts(), population: population, period: Self.period)
        let old = try #require(built.rates.rows.first { $0[RateColumn.dimension].string == "age_band" && $0[RateColumn.group].string == "65+" })
        #expect(old[RateColumn.population].isEmpty && old[RateColumn.personYears].isEmpty && old[RateColumn.crudeRate].isEmpty)
        #expect(old[RateColumn.referralShare].isEmpty && old[RateColumn.note].string == RateColumn.Note.bandPopulationUnavailable)
        // 18-64: 25 of the 25 referrals and 1,900 of the 2,000 residents in bands with a population.
        let adults = try #require(built.rates.rows.first { $0[RateColumn.dimension].string == "age_band" && $0[RateColumn.group].string == "18-64" })
        #expect(Self.close(adults[RateColumn.referralShare], 100, places: 2) && Self.close(adults[RateColumn.populationShare], 95, places: 2))
    }

    // MARK: - Issue 24: one referral, one count; local is not national

    /// A referral from a catchment area whose population estimate is 0 counts in its
    /// group's numerator, as it does in the equity tables. By hand: Scotland decile 9 has
    /// 3 referrals from an urban data zone of 0 residents (S01010226 in mid-2019) and 20
    /// from a rural one of 615, so Scotland/9 is 23 referrals over 615 residents: crude
    /// 1000 × 23 / (615 × 366/365.25) = 37.32 per 1,000; Scotland/Urban is 3 referrals and
    /// 0 residents: no rate, with the note saying why (never left out, never 0).
    @Test func referralsFromZeroPopulationAreasCountInTheNumerator() throws {
        var counts = ReferralCounts(schema: Self.schema)
        Self.add(&counts, 3, nation: .scotland, decile: 9, rurality: .urban, age: 40, route: 0)
        Self.add(&counts, 20, nation: .scotland, decile: 9, rurality: .rural, age: 40, route: 0)
        var population = PopulationDenominators()
        population.totals = [
            ResidentCell(nation: .scotland, decile: 9, rurality: .urban): 0, ResidentCell(nation: .scotland, decile: 9, rurality: .rural): 615,
        ]
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(enabled: false))
            .build(counts, population: population, period: Self.period)
        func row(_ group: String) -> [Cell]? { built.rates.rows.first { $0[RateColumn.group].string == group } }
        let decile = try #require(row("Scotland/9"))
        #expect(decile[RateColumn.referrals].count == 23 && decile[RateColumn.population].count == 615)
        #expect(Self.close(decile[RateColumn.crudeRate], 1000.0 * 23 / (615 * Self.years), places: 2))
        #expect(row("Scotland")?[RateColumn.referrals].count == 23 && built.figures?.referralsInRates == 23)
        let urban = try #require(row("Scotland/Urban"))
        #expect(urban[RateColumn.referrals].count == 3 && urban[RateColumn.population].count == 0)
        #expect(urban[RateColumn.crudeRate].isEmpty && urban[RateColumn.note].string == RateColumn.Note.referralsWithoutPopulation)
    }

    /// A nation no referral lies in is left out: no rows, its residents not in `all`.
    /// Only English referrals here, against the fixture's England (4,000), Wales (500)
    /// and Northern Ireland (800): `all` is England's 4,000 residents.
    @Test func nationsWithoutReferralsAreLeftOut() throws {
        var counts = ReferralCounts(schema: Self.schema)
        Self.add(&counts, 12, nation: .england, decile: 10, rurality: .rural, age: 23, route: 0)
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(enabled: false))
            .build(counts, population: Self.population(), period: Self.period)
        let figures = try #require(built.figures)
        #expect(figures.nationsLeftOut == ["Wales", "Northern Ireland"])
        #expect(figures.nationsWithoutAges.isEmpty)  // Northern Ireland is left out, not "without ages"
        #expect(
            !built.rates.rows.contains { ($0[RateColumn.group].string ?? "").hasPrefix("Wales") || ($0[RateColumn.group].string ?? "").hasPrefix("Northern") })
        let all = try #require(built.rates.rows.first { $0[RateColumn.dimension].string == "all" })
        #expect(all[RateColumn.population].count == 4000 && all[RateColumn.referrals].count == 12)
        // The age-band rows' residents are England's alone: 100 + 1,400 + 2,500.
        let bands = built.rates.rows.filter { $0[RateColumn.dimension].string == "age_band" }
        #expect(bands.compactMap { $0[RateColumn.population].count }.reduce(0, +) == 4000)
    }

    /// Rates under 1 per 1,000 overall are also given per 100,000. By hand: 10 referrals
    /// over 10,000,000 residents for 366/365.25 years is 0.000998 per 1,000, so per
    /// 100,000 it is 100 × that = 0.0998; the fixture's own rates (thousands of residents,
    /// tens of referrals) are over 1 per 1,000 and stay per 1,000.
    @Test func ratesUnderOnePerThousandAreAlsoPerHundredThousand() throws {
        var counts = ReferralCounts(schema: Self.schema)
        Self.add(&counts, 10, nation: .england, decile: 1, rurality: .urban, age: 22, route: 0)
        var population = PopulationDenominators()
        population.totals = [ResidentCell(nation: .england, decile: 1, rurality: .urban): 10_000_000]
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings(enabled: false))
            .build(counts, population: population, period: Self.period)
        let england = try #require(built.rates.rows.first { $0[RateColumn.group].string == "England" })
        #expect(england[RateColumn.scaledPer].count == 100_000 && built.figures?.scaledPer == 100_000)
        let perThousand = 1000.0 * 10 / (10_000_000 * Self.years)
        #expect(Self.close(england[RateColumn.crudeRate], perThousand, places: 7))
        #expect(Self.close(england[RateColumn.crudeRateScaled], 100 * perThousand, places: 5))
        #expect(Self.build().figures?.scaledPer == 1000)
        #expect(RateTableBuilder.scale(perThousand: 0.04) == 100_000 && RateTableBuilder.scale(perThousand: 1) == 1000)
    }

    /// A group of 15 with known ages, 5 in each of three age groups: under control every
    /// age group's count (5) is suppressed, so no DSR can be made of them, and the note
    /// says that (not "fewer than 10 with a known age": 15 is published).
    @Test func standardisedRateWithheldForSuppressedAgeCountsSaysSo() throws {
        var counts = ReferralCounts(schema: Self.schema)
        Self.add(&counts, 5, nation: .england, decile: 1, rurality: .urban, age: 2, route: 0)
        Self.add(&counts, 5, nation: .england, decile: 1, rurality: .urban, age: 22, route: 0)
        Self.add(&counts, 5, nation: .england, decile: 1, rurality: .urban, age: 72, route: 0)
        let built = RateTableBuilder(groupKey: Self.schema, ageBands: Self.bands, disclosure: DisclosureSettings())
            .build(counts, population: Self.population(), period: Self.period)
        let row = try #require(built.rates.rows.first { $0[RateColumn.group].string == "England/1" })
        #expect(row[RateColumn.referrals].count == 15 && row[RateColumn.dsr].isEmpty)
        #expect(row[RateColumn.note].string == RateColumn.Note.ageCountsSuppressed)
    }

    /// The catchment check by hand: authority A holds 950 of 1,000 referrals, which is
    /// 95%, in 100 of 3,300 areas (3.0%, under 5%): a mismatch naming A alone. With 900
    /// and 100, A and B are needed, 300 of 3,300 areas (9.1%): no mismatch.
    @Test func catchmentConcentrationNamesTheAuthoritiesHoldingTheReferrals() throws {
        let names = ["", "A", "B", "C"], areas = [0, 100, 200, 3000]
        let one = try #require(CatchmentConcentration.measure(byAuthority: [0, 950, 50, 0], areasByAuthority: areas, names: names))
        #expect(one.authorityCount == 1 && one.authorities == ["A"] && one.areas == 100 && one.catchmentAreas == 3300 && one.mismatch)
        let two = try #require(CatchmentConcentration.measure(byAuthority: [7, 900, 100], areasByAuthority: areas, names: names))
        #expect(two.authorityCount == 2 && two.authorities == [] && two.areas == 300 && !two.mismatch)
        #expect(CatchmentConcentration.measure(byAuthority: [40], areasByAuthority: areas, names: names) == nil)
    }
}
