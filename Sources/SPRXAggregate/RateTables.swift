import Dispatch
import SPRXCore
import SPRXPipeline

/// What the population rates were computed from: the period, and the referrals each
/// rate leaves out (for the manifest and the report).
public struct RateFigures: Sendable, Equatable, Codable {
    /// The population edition the pipeline names, and the catchment in words.
    public var edition: String
    public var catchment: String
    /// The first and last day of the period the person-years cover (ISO dates).
    public var firstDay: String?
    public var lastDay: String?
    /// Whether the pipeline fixed the period (else it runs from the first to the last clean referral).
    public var periodFixed: Bool
    /// The period's length in years: days inclusive / 365.25.
    public var years: Double
    // The counts below are controlled like every published count when disclosure control
    // is on (`nil`, left out of the manifest, when suppressed): with the rates' rounded counts beside
    // them, exact figures would undo the rounding.
    /// Referrals counted in the rates: their area is in the catchment and has a population.
    public var referralsInRates: Int64?
    /// Referrals left out: no usable area code.
    public var unknownArea: Int64?
    /// Referrals left out: a nation's area code outside the catchment or without a population, by nation.
    public var outsideCatchment: [String: Int64?]
    /// Referrals left out: a catchment area, but dated outside the period the pipeline fixes.
    public var outsidePeriod: Int64?
    /// Referrals in the crude rates whose age is unknown, so left out of the age-standardised ones.
    public var unknownAge: Int64?
    /// Nations in the catchment without single-year-of-age populations (no standardised rates, no age-band rates).
    public var nationsWithoutAges: [String]
    /// Catchment areas with a population, and those of them the nation's deprivation
    /// index does not list (their residents are in the Unknown decile: many means the
    /// population and the index are on different small-area vintages), by nation.
    public var populationAreas: [String: Int]
    public var populationAreasWithoutDecile: [String: Int]
    /// Nations of the catchment that no clean referral's area lies in: left out of the
    /// rates (no rows, their residents not in `all`), so a local service is not set beside
    /// nations it does not serve.
    public var nationsLeftOut: [String] = []
    /// The scale `rates_by_group.csv`'s `*_scaled` columns and the report use: rates per
    /// this many residents per year (``RateTableBuilder/scale(perThousand:)``).
    public var scaledPer: Int = RateTableBuilder.perThousand
    /// Where the catchment's referrals come from, by local authority; `nil` when the
    /// lookups name no local authorities or no referral is in the rates.
    public var concentration: CatchmentConcentration?

    enum CodingKeys: String, CodingKey {
        case edition = "population_edition", catchment
        case firstDay = "first_day", lastDay = "last_day", periodFixed = "period_fixed_by_pipeline", years
        case referralsInRates = "referrals_in_rates", unknownArea = "left_out_unknown_area"
        case outsideCatchment = "left_out_outside_catchment", outsidePeriod = "left_out_outside_period", unknownAge = "in_crude_rates_only_unknown_age"
        case nationsWithoutAges = "nations_without_single_year_populations"
        case populationAreas = "population_areas", populationAreasWithoutDecile = "population_areas_without_decile"
        case nationsLeftOut = "nations_left_out_without_referrals", scaledPer = "scaled_per", concentration = "catchment_concentration"
    }
}

extension RateFigures {
    /// Decodes figures written before the nations left out, the scale and the concentration were (they take their defaults).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        edition = try c.decode(String.self, forKey: .edition)
        catchment = try c.decode(String.self, forKey: .catchment)
        firstDay = try c.decodeIfPresent(String.self, forKey: .firstDay)
        lastDay = try c.decodeIfPresent(String.self, forKey: .lastDay)
        periodFixed = try c.decode(Bool.self, forKey: .periodFixed)
        years = try c.decode(Double.self, forKey: .years)
        referralsInRates = try c.decodeIfPresent(Int64.self, forKey: .referralsInRates)
        unknownArea = try c.decodeIfPresent(Int64.self, forKey: .unknownArea)
        outsideCatchment = try c.decode([String: Int64?].self, forKey: .outsideCatchment)
        outsidePeriod = try c.decodeIfPresent(Int64.self, forKey: .outsidePeriod)
        unknownAge = try c.decodeIfPresent(Int64.self, forKey: .unknownAge)
        nationsWithoutAges = try c.decode([String].self, forKey: .nationsWithoutAges)
        populationAreas = try c.decode([String: Int].self, forKey: .populationAreas)
        populationAreasWithoutDecile = try c.decode([String: Int].self, forKey: .populationAreasWithoutDecile)
        nationsLeftOut = try c.decodeIfPresent([String].self, forKey: .nationsLeftOut) ?? []
        scaledPer = try c.decodeIfPresent(Int.self, forKey: .scaledPer) ?? RateTableBuilder.perThousand
        concentration = try c.decodeIfPresent(CatchmentConcentration.self, forKey: .concentration)
    }
}

/// Where a run's catchment referrals come from: the fewest local authorities that hold
/// ``RateTableBuilder/concentratedShare`` of them, and how much of the catchment those
/// authorities are. A catchment whose referrals come from a small part of it
/// (``mismatch``) compares a local service with a whole nation: its rates are diluted and
/// its deciles are where the place sits in the nation's, not a gradient.
///
/// Counted as rows are read (a repeated referral counts with its original); only names
/// and public area counts are published, never these referral counts.
public struct CatchmentConcentration: Sendable, Equatable, Codable {
    /// How many local authorities hold ``RateTableBuilder/concentratedShare`` of the
    /// referrals (not in the manifest: the named list says it under a mismatch).
    public var authorityCount = 0
    /// Those local authorities, most referrals first (names as the deprivation lookups
    /// give them), listed only under a ``mismatch`` (otherwise they can be hundreds).
    public var authorities: [String]
    /// Catchment small areas in those authorities, and in the whole catchment.
    public var areas: Int
    public var catchmentAreas: Int
    /// Whether those authorities are under ``RateTableBuilder/concentratedAreaShare`` of the catchment's areas.
    public var mismatch: Bool

    enum CodingKeys: String, CodingKey {
        case authorities = "authorities_holding_95_percent", areas = "their_catchment_areas"
        case catchmentAreas = "catchment_areas", mismatch
    }

    /// The concentration of `byAuthority` (catchment referrals per authority index, 0 =
    /// none named) over a catchment of `areasByAuthority`; `nil` when no referral has a
    /// named authority.
    public static func measure(byAuthority: [Int64], areasByAuthority: [Int], names: [String]) -> CatchmentConcentration? {
        let named = byAuthority.enumerated().filter { $0.offset > 0 && $0.offset < names.count && $0.element > 0 }
        let total = named.reduce(Int64(0)) { $0 + $1.element }
        guard total > 0 else { return nil }
        // Most referrals first; ties by name, so the list is the same on every run.
        let ordered = named.sorted { $0.element != $1.element ? $0.element > $1.element : names[$0.offset] < names[$1.offset] }
        var held: Int64 = 0
        var chosen: [Int] = []
        for (index, count) in ordered where Double(held) < RateTableBuilder.concentratedShare * Double(total) {
            held += count
            chosen.append(index)
        }
        let areas = chosen.reduce(0) { $0 + ($1 < areasByAuthority.count ? areasByAuthority[$1] : 0) }
        let catchment = areasByAuthority.reduce(0, +)
        let mismatch = catchment > 0 && Double(areas) < RateTableBuilder.concentratedAreaShare * Double(catchment)
        return CatchmentConcentration(
            authorityCount: chosen.count, authorities: mismatch ? chosen.map { names[$0] } : [], areas: areas, catchmentAreas: catchment,
            mismatch: mismatch)
    }
}

/// How the inequality indices' intervals are simulated: PHE's 100,000 refits from one
/// fixed seed, so reruns give the same bytes.
public struct InequalitySimulation: Sendable, Hashable, Codable {
    public var repetitions = InequalityIndices.defaultRepetitions
    public var seed = InequalityIndices.defaultSeed
    public init() {}
}

/// Builds `rates_by_group.csv` and `inequality.csv` (`outputs-v2.md`) from the resident
/// counts and the catchment's population.
///
/// Design note: referrals and residents are grouped by the same cells (nation, the
/// nation's own decile, rurality; ``ResidentCell``), so a group's numerator and
/// denominator always cover the same small areas. Disclosure control works as for
/// shares: the referral count is published controlled, and every rate is computed from
/// the published count and the exact (public) population. A standardised rate is
/// computed from the group's age-specific counts each controlled by the same rule (a
/// count of 1-7 taken as 0) and scaled back to the group's controlled count of referrals
/// with a known age: with the populations public, a rate from exact age-specific counts
/// would give them back when a group's referrals fall in a few age groups.
public struct RateTableBuilder: Sendable {
    public let groupKey: GroupKeySchema
    public let ageBands: [AgeBand]
    public let disclosure: DisclosureSettings
    /// Simulations and seed for the inequality indices' intervals.
    public let inequality: InequalitySimulation
    /// Most threads the inequality fits use (the run's `--jobs`).
    public var jobs = 1
    /// Indicators whose field the export does not record, with the note their rows carry
    /// (``FieldNote``): their indices are empty.
    public var withheld: [InequalityColumn.Indicator: String] = [:]
    /// Why ages are not usable (``FieldRecording/note(_:)`` of `age`: not recorded, or
    /// recorded in part): every age-standardised rate is empty with this note, and the
    /// `age_band` rows keep their populations with the referrals, rates and shares empty
    /// (absent is not zero: a band's referrals would read 0). `nil` when age is recorded.
    public var ageNote: String?

    /// Rates are per this many residents per year (`crude_rate`, `dsr`: the contract's unit).
    public static let perResidents = CrudeRate.perThousand
    public static let perThousand = 1000, perHundredThousand = 100_000
    /// A catchment is mismatched when the local authorities holding this share of its
    /// referrals (0.95) are under ``concentratedAreaShare`` (0.05) of its small areas.
    public static let concentratedShare = 0.95, concentratedAreaShare = 0.05

    /// The scale rates are said at: per 1,000 when the rate of all the catchment's
    /// residents is at least 1 per 1,000 per year, else per 100,000 (0.04 per 1,000 is
    /// said "4 per 100,000").
    public static func scale(perThousand rate: Double?) -> Int {
        guard let rate, rate > 0 else { return perThousand }
        return rate >= 1 ? perThousand : perHundredThousand
    }
    /// Days in a year for person-years.
    public static let daysPerYear = 365.25
    /// Significant digits of rates (a catchment of millions with a local scheme's
    /// referrals has rates far below 1 per 1,000), decimal places of person-years,
    /// shares (percent) and the representation ratio.
    public static let rateDigits = 6, personYearPlaces = 1, sharePlaces = 2, ratioPlaces = 3
    /// The unit of each indicator, as `inequality.csv` names it.
    public static let rateUnit = "per 1,000 per year", percentUnit = "percent"
    /// Significant digits of the inequality indices and their fitted ends.
    public static let indexDigits = 6

    public init(groupKey: GroupKeySchema, ageBands: [AgeBand], disclosure: DisclosureSettings, inequality: InequalitySimulation = InequalitySimulation()) {
        self.groupKey = groupKey
        self.ageBands = ageBands
        self.disclosure = disclosure
        self.inequality = inequality
    }

    /// The builder for a pipeline's key, bands and disclosure settings.
    public init(pipeline: PipelineConfiguration) {
        self.init(groupKey: pipeline.groupKey, ageBands: pipeline.enrich.ageBands, disclosure: pipeline.disclosure)
    }

    /// The two tables (header-only without a population) and what they were computed from.
    public func build(_ counts: ReferralCounts, population: PopulationDenominators?, period: (first: Day, last: Day)?, periodFixed: Bool = false)
        -> (rates: PublishedTable, inequality: PublishedTable, figures: RateFigures?)
    {
        var rates = PublishedTable(.ratesByGroup)
        var indices = PublishedTable(.inequality)
        guard let population else { return (rates, indices, nil) }
        let years = period.map { Double($0.last.daysSinceEpoch - $0.first.daysSinceEpoch + 1) / Self.daysPerYear } ?? 0
        var figures = RateFigures(
            edition: population.edition, catchment: population.catchment, firstDay: period?.first.description, lastDay: period?.last.description,
            periodFixed: periodFixed, years: years,
            referralsInRates: 0, unknownArea: 0, outsideCatchment: [:], outsidePeriod: 0, unknownAge: 0,
            nationsWithoutAges: Nation.known.filter { nation in
                !population.nationsWithAges.contains(nation) && population.totals.contains { $0.key.nation == nation && $0.value > 0 }
            }.map(\.label),
            populationAreas: Dictionary(uniqueKeysWithValues: population.areas.map { ($0.key.label, $0.value) }),
            populationAreasWithoutDecile: Dictionary(uniqueKeysWithValues: population.areasWithoutDecile.map { ($0.key.label, $0.value) }))
        var exact = LeftOut()
        let tallies = cellTallies(counts, leftOut: &exact)
        figures.referralsInRates = published(exact.referralsInRates)
        figures.unknownArea = published(exact.unknownArea)
        figures.outsidePeriod = published(exact.outsidePeriod)
        figures.unknownAge = published(exact.unknownAge)
        figures.outsideCatchment = exact.outsideCatchment.mapValues { published($0) }
        // Nations no referral's area lies in (in, outside the catchment or the period) are left out.
        var referred = Set(tallies.filter { $0.value.counts.referred > 0 }.keys.map(\.nation))
        for label in exact.outsideCatchment.filter({ $0.value > 0 }).keys { if let n = Nation.known.first(where: { $0.label == label }) { referred.insert(n) } }
        referred.formUnion(exact.outsidePeriodNations)
        let leftOut = Nation.known.filter { nation in !referred.contains(nation) && population.totals.contains { $0.key.nation == nation } }
        figures.nationsLeftOut = leftOut.map(\.label)
        figures.nationsWithoutAges.removeAll { label in leftOut.contains { $0.label == label } }
        figures.concentration = CatchmentConcentration.measure(
            byAuthority: counts.catchmentByAuthority, areasByAuthority: population.areasByAuthority, names: population.authorityNames)
        let context = Context(population: population, tallies: tallies, years: years, leaving: Set(leftOut))

        // Publication order: all, nation, then each cross (nation/decile, nation/quintile,
        // nation/rurality) nation by nation; groups with neither residents nor referrals are left out.
        func append(_ dimension: String, _ label: String, _ tally: GroupTally, parent: GroupTally?) {
            guard tally.population > 0 || tally.referrals > 0 else { return }
            rates.append(rateRow(dimension: dimension, label: label, tally: tally, parent: parent, years: years, scaledPer: scaledPer))
        }
        let everyone = context.tally { _ in true }
        let allRate = published(everyone.referrals).flatMap {
            CrudeRate.estimate(count: Int($0), personYears: Double(everyone.population) * years, multiplier: Self.perResidents)?.value
        }
        let scaledPer = Self.scale(perThousand: allRate)
        figures.scaledPer = scaledPer
        append(TableDimension.all, TableDimension.all, everyone, parent: nil)
        let nations = Nation.known.filter { n in context.cells.contains { $0.nation == n } }
        let byNation = nations.map { nation in context.tally { $0.nation == nation } }
        for (nation, tally) in zip(nations, byNation) { append(Grouping.Name.nation, nation.label, tally, parent: everyone) }
        for crossing in [Grouping.Name.imdDecile, Grouping.Name.imdQuintile, Grouping.Name.rurality] {
            // safe: imd_decile, imd_quintile and rurality are built-in groupings every schema has
            let grouping = groupKey.grouping(named: crossing)!
            let dimension = TableDimension.name([Grouping.Name.nation, crossing])
            for (nation, parent) in zip(nations, byNation) {
                for (level, label) in grouping.levels.enumerated() {
                    let tally = context.tally { $0.nation == nation && Self.level(of: $0, in: grouping) == level }
                    append(dimension, TableDimension.groupLabel([nation.label, label]), tally, parent: parent)
                }
            }
        }
        for row in ageBandRows(counts, population: population, years: years, leaving: Set(leftOut), scaledPer: scaledPer) { rates.append(row) }

        let inputs = nations.flatMap { nation in
            let byDecile = (1...InequalityColumn.deciles).map { decile in context.tally { $0.nation == nation && $0.decile == UInt8(decile) } }
            return inequalityInputs(nation: nation, deciles: byDecile, years: years)
        }
        indices.append(contentsOf: inequalityRows(inputs))
        return (rates, indices, figures)
    }

    // MARK: - Cells

    /// A cell's level in a decile, quintile or rurality grouping: what
    /// ``GroupKeySchema/level(_:of:)`` reads from a referral's key in that cell.
    static func level(of cell: ResidentCell, in grouping: Grouping) -> Int {
        let field = grouping.axis == .rurality ? Int(cell.rurality.rawValue) : Int(GroupKeySchema.decileLevel(cell.decile))
        return grouping.levelOfField.map { Int($0[field]) } ?? field
    }

    /// What one cell's resident referrals add up to, and by standard age group.
    struct CellTally {
        var counts = ResidentCounts()
        /// Referrals by European Standard Population group (unknown age not included).
        var byAge = [Int64](repeating: 0, count: EuropeanStandardPopulation.groupCount)
    }

    /// The exact counts behind ``RateFigures``.
    struct LeftOut {
        var referralsInRates: Int64 = 0
        var unknownArea: Int64 = 0
        var outsideCatchment: [String: Int64] = [:]
        var outsidePeriod: Int64 = 0
        var outsidePeriodNations: Set<Nation> = []
        var unknownAge: Int64 = 0
    }

    /// The resident referrals per cell; the rest counted into `figures`.
    func cellTallies(_ counts: ReferralCounts, leftOut figures: inout LeftOut) -> [ResidentCell: CellTally] {
        var cells: [ResidentCell: CellTally] = [:]
        for (key, value) in counts.residents {
            let nation = Nation(rawValue: UInt8(groupKey.level(.nation, of: key))) ?? .unknown
            if nation == .unknown {
                figures.unknownArea += value.referred
                continue
            }
            switch groupKey.level(.resident, of: key) {
            case GroupKeySchema.residentCounted: break
            case GroupKeySchema.residentOutsidePeriod:
                figures.outsidePeriod += value.referred
                if value.referred > 0 { figures.outsidePeriodNations.insert(nation) }
                continue
            default:
                figures.outsideCatchment[nation.label, default: 0] += value.referred
                continue
            }
            let decileLevel = groupKey.level(.decile, of: key)
            let cell = ResidentCell(
                nation: nation, decile: decileLevel == GroupKeySchema.unknownDecileLevel ? 0 : UInt8(decileLevel + 1),
                rurality: Rurality(rawValue: UInt8(groupKey.level(.rurality, of: key))) ?? .unknown)
            let age = groupKey.level(.standardAge, of: key)
            cells[cell, default: CellTally()].counts.add(value)
            if age < EuropeanStandardPopulation.groupCount {
                cells[cell, default: CellTally()].byAge[age] += value.referred
            } else {
                figures.unknownAge += value.referred
            }
            figures.referralsInRates += value.referred
        }
        return cells
    }

    /// The cells and their referrals and residents, for summing into groups.
    struct Context {
        let population: PopulationDenominators
        let tallies: [ResidentCell: CellTally]
        let years: Double
        /// Every cell with residents or resident referrals, in a fixed order.
        let cells: [ResidentCell]

        init(population: PopulationDenominators, tallies: [ResidentCell: CellTally], years: Double, leaving: Set<Nation> = []) {
            self.population = population
            self.tallies = tallies
            self.years = years
            cells = Set(population.totals.filter { $0.value > 0 }.keys).union(tallies.keys).filter { !leaving.contains($0.nation) }.sorted()
        }

        /// The sums over the cells `include` accepts.
        func tally(_ include: (ResidentCell) -> Bool) -> GroupTally {
            var group = GroupTally()
            for cell in cells where include(cell) {
                let tally = tallies[cell] ?? CellTally()
                group.referrals += tally.counts.referred
                group.nonMedical += tally.counts.nonMedical
                group.contacted += tally.counts.contacted
                group.intervention += tally.counts.intervention
                let residents = population.totals[cell] ?? 0
                group.population += residents
                for i in group.byAge.indices { group.byAge[i] += tally.byAge[i] }
                if let ages = population.byStandardAge[cell] {
                    for i in group.populationByAge.indices { group.populationByAge[i] += ages[i] }
                } else if residents > 0 || tally.counts.referred > 0 {
                    group.lacksAges = true
                }
            }
            return group
        }
    }

    /// One group's referrals and residents.
    struct GroupTally {
        var referrals: Int64 = 0
        var nonMedical: Int64 = 0
        var contacted: Int64 = 0
        var intervention: Int64 = 0
        var population: Int64 = 0
        var byAge = [Int64](repeating: 0, count: EuropeanStandardPopulation.groupCount)
        var populationByAge = [Int64](repeating: 0, count: EuropeanStandardPopulation.groupCount)
        /// Some of the group's residents have no single-year-of-age population.
        var lacksAges = false
    }

    // MARK: - Rows

    private func published(_ count: Int64) -> Int64? {
        DisclosureControl.publish(count, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
    }

    /// One row of `rates_by_group.csv`.
    func rateRow(dimension: String, label: String, tally: GroupTally, parent: GroupTally?, years: Double, scaledPer: Int = perThousand) -> [Cell] {
        var row = [Cell](repeating: .empty, count: RateColumn.allCases.count)
        row[RateColumn.dimension.index] = .text(dimension)
        row[RateColumn.group.index] = .text(label)
        let referrals = published(tally.referrals)
        row[RateColumn.referrals.index] = .count(referrals)
        row[RateColumn.population.index] = .count(tally.population)
        let personYears = Double(tally.population) * years
        row[RateColumn.personYears.index] = .decimal(personYears, places: Self.personYearPlaces)
        var note: String? = nil
        let factor = Double(scaledPer) / Double(Self.perResidents)
        row[RateColumn.scaledPer.index] = .count(Int64(scaledPer))
        if let referrals, referrals > 0, tally.population == 0 {
            // Referrals from catchment areas whose population estimate is 0: counted, no rate.
            note = RateColumn.Note.referralsWithoutPopulation
        } else if let referrals, let crude = CrudeRate.estimate(count: Int(referrals), personYears: personYears, multiplier: Self.perResidents) {
            row[RateColumn.crudeRate.index] = .significant(crude.value, digits: Self.rateDigits)
            row[RateColumn.crudeCILow.index] = .significant(crude.limits.lower, digits: Self.rateDigits)
            row[RateColumn.crudeCIHigh.index] = .significant(crude.limits.upper, digits: Self.rateDigits)
            row[RateColumn.crudeRateScaled.index] = .significant(crude.value * factor, digits: Self.rateDigits)
            if let ageNote {
                note = ageNote
            } else if tally.lacksAges {
                note = RateColumn.Note.noAgePopulation
            } else {
                // Each age group's count controlled on its own (1-7 counted as 0), then
                // scaled back to the group's controlled count of referrals with a known age
                // (controlling alone would bias small groups down): the rate is made of
                // controlled counts only, and is exact when control is off.
                let controlled = tally.byAge.map { Double(published($0) ?? 0) }
                let sum = controlled.reduce(0, +)
                let knownAge = Double(published(tally.byAge.reduce(0, +)) ?? 0)
                let counts = sum > 0 ? controlled.map { $0 * knownAge / sum } : controlled
                let exposure = tally.populationByAge.map { Double($0) * years }
                switch DirectlyStandardisedRate.calculate(counts: counts, personYears: exposure, multiplier: Self.perResidents) {
                case .success(let dsr):
                    row[RateColumn.dsr.index] = .significant(dsr.estimate.value, digits: Self.rateDigits)
                    row[RateColumn.dsrCILow.index] = .significant(dsr.estimate.limits.lower, digits: Self.rateDigits)
                    row[RateColumn.dsrCIHigh.index] = .significant(dsr.estimate.limits.upper, digits: Self.rateDigits)
                    row[RateColumn.dsrScaled.index] = .significant(dsr.estimate.value * factor, digits: Self.rateDigits)
                case .failure(.fewerThanMinimumCount):
                    // 10 or more with a known age, but every age group's count is 1-7 and so withheld.
                    note =
                        knownAge >= Double(DirectlyStandardisedRate.minimumCount) && sum == 0
                        ? RateColumn.Note.ageCountsSuppressed : RateColumn.Note.fewerThanTen
                case .failure(.countWithoutPopulation): note = RateColumn.Note.referralsWithoutPopulation
                case .failure(.noPopulation): note = RateColumn.Note.noAgePopulation
                }
            }
        } else if referrals == nil {
            note = RateColumn.Note.suppressed
        } else if personYears <= 0 {
            note = RateColumn.Note.noPeriod
        }
        if let parent {
            let parentReferrals = published(parent.referrals)
            if let referrals, let parentReferrals, parentReferrals > 0, parent.population > 0, tally.population > 0 {
                let referralShare = 100 * Double(referrals) / Double(parentReferrals)
                let populationShare = 100 * Double(tally.population) / Double(parent.population)
                row[RateColumn.referralShare.index] = .decimal(referralShare, places: Self.sharePlaces)
                row[RateColumn.populationShare.index] = .decimal(populationShare, places: Self.sharePlaces)
                row[RateColumn.representation.index] = .decimal(referralShare / populationShare, places: Self.ratioPlaces)
            } else if parent.population > 0 {
                row[RateColumn.populationShare.index] = .decimal(100 * Double(tally.population) / Double(parent.population), places: Self.sharePlaces)
            }
        }
        row[RateColumn.note.index] = note.map(Cell.text) ?? .empty
        row[RateColumn.suppressed.index] = .flag(referrals == nil)
        row[RateColumn.disclosureControl.index] = .disclosureControl(disclosure.enabled)
        return row
    }

    /// The `age_band` rows: crude rates by the pipeline's bands, for the nations with
    /// single-year-of-age populations.
    func ageBandRows(_ counts: ReferralCounts, population: PopulationDenominators, years: Double, leaving: Set<Nation> = [], scaledPer: Int = perThousand)
        -> [[Cell]]
    {
        let nations = Set(population.nationsWithAges).subtracting(leaving)
        guard !nations.isEmpty else { return [] }
        var referrals = [Int64](repeating: 0, count: ageBands.count + 1)
        for (key, value) in counts.residentBands where groupKey.level(.resident, of: key) == GroupKeySchema.residentCounted {
            guard let nation = Nation(rawValue: UInt8(groupKey.level(.nation, of: key))), nations.contains(nation) else { continue }
            referrals[groupKey.level(.ageBand, of: key)] += value
        }
        var residents = [Int64?](repeating: 0, count: ageBands.count)
        for nation in nations {
            let bands = population.byAgeBand[nation] ?? []
            for band in ageBands.indices {
                let count = band < bands.count ? bands[band] : nil
                residents[band] = residents[band].flatMap { sum in count.map { sum + $0 } }
            }
        }
        // Shares are of the bands whose population single years can form.
        var parent = GroupTally()
        for band in ageBands.indices {
            guard let population = residents[band] else { continue }
            parent.referrals += referrals[band]
            parent.population += population
        }
        var rows: [[Cell]] = []
        for (band, definition) in ageBands.enumerated() {
            var tally = GroupTally(referrals: referrals[band], population: residents[band] ?? 0)
            tally.lacksAges = true
            var row = rateRow(
                dimension: Grouping.Name.ageBand, label: definition.label, tally: tally, parent: residents[band] == nil ? nil : parent,
                years: years, scaledPer: scaledPer)
            if residents[band] == nil {
                for column in [RateColumn.population, .personYears, .crudeRate, .crudeCILow, .crudeCIHigh, .crudeRateScaled] { row[column.index] = .empty }
            }
            if let ageNote {
                // No band's referrals can be counted without ages: its population stays, the rest is withheld.
                for column in [RateColumn.referrals, .crudeRate, .crudeCILow, .crudeCIHigh, .crudeRateScaled, .referralShare, .representation] {
                    row[column.index] = .empty
                }
                row[RateColumn.note.index] = .text(ageNote)
                row[RateColumn.suppressed.index] = .flag(false)
            } else if row[RateColumn.note.index].string != RateColumn.Note.suppressed {
                row[RateColumn.note.index] = .text(residents[band] == nil ? RateColumn.Note.bandPopulationUnavailable : RateColumn.Note.crudeOnly)
            }
            rows.append(row)
        }
        return rows
    }

    /// One nation's indicator across its deciles, ready to fit: the deciles' values with
    /// their limits and residents, or why there is nothing to fit.
    struct InequalityInput: Sendable {
        var nation: Nation
        var indicator: InequalityColumn.Indicator
        var quantiles: [InequalityIndices.Quantile]
        var note: String?
    }

    /// The inputs of every nation's indicators, in publication order. Values and limits
    /// come from the published counts (rates per 1,000 per year with their Poisson
    /// limits; shares as proportions with their Wilson limits), as the tables show them.
    func inequalityInputs(nation: Nation, deciles: [GroupTally], years: Double) -> [InequalityInput] {
        InequalityColumn.Indicator.allCases.map { indicator in
            var input = InequalityInput(nation: nation, indicator: indicator, quantiles: [], note: nil)
            if let note = withheld[indicator] {
                input.note = note
                return input
            }
            decileLoop: for decile in deciles {
                // A decile without residents has no rate, and its referrals (if any) are
                // of areas the population does not hold: no index for any indicator.
                guard decile.population > 0 else {
                    input.note = InequalityColumn.Note.decileWithoutPopulation
                    break decileLoop
                }
                let numerator: Int64
                switch indicator {
                case .referralRate: numerator = decile.referrals
                case .nonMedicalShare: numerator = decile.nonMedical
                case .contactedShare: numerator = decile.contacted
                case .interventionShare: numerator = decile.intervention
                }
                guard let n = published(numerator), let d = published(decile.referrals) else {
                    input.note = InequalityColumn.Note.suppressed
                    break decileLoop
                }
                switch indicator.rankedBy {
                case .residents:
                    let population = Double(decile.population)
                    guard let rate = CrudeRate.estimate(count: Int(n), personYears: population * years, multiplier: Self.perResidents) else {
                        input.note = InequalityColumn.Note.noPeriod
                        break decileLoop
                    }
                    input.quantiles.append(
                        InequalityIndices.Quantile(
                            value: rate.value, population: population, uncertainty: .limits95(lower: rate.limits.lower, upper: rate.limits.upper)))
                case .referrals:
                    // PHE's `phe_sii` weights and ranks by the indicator's denominator:
                    // for a share, the decile's (published) referrals.
                    guard d > 0, let ci = WilsonInterval.bounds(successes: min(n, d), total: d) else {
                        input.note = InequalityColumn.Note.decileWithoutReferrals
                        break decileLoop
                    }
                    input.quantiles.append(
                        InequalityIndices.Quantile(
                            value: Double(min(n, d)) / Double(d), population: Double(d), uncertainty: .limits95(lower: ci.low, upper: ci.high)))
                }
            }
            return input
        }
    }

    /// The `sii` and `rii` rows of the inputs, fitted on up to ``jobs`` threads (each fit
    /// is independent and seeded, so the rows are the same for any number of threads).
    ///
    /// As PHE recommends for rates and proportions, the regression runs on the log
    /// (rates) or logit (shares) scale and is transformed back (`transform = TRUE`);
    /// shares are published in percentage points (multiplier 100).
    func inequalityRows(_ inputs: [InequalityInput]) -> [[Cell]] {
        let results = UnsafeMutableBufferPointer<Result<InequalityIndices, InequalityIndices.Withheld>?>.allocate(capacity: inputs.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let simulation = inequality
        nonisolated(unsafe) let slots = results
        let threads = max(1, min(jobs, inputs.count))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for i in stride(from: thread, to: inputs.count, by: threads) {
                let input = inputs[i]
                guard input.note == nil else { continue }
                slots[i] = InequalityIndices.calculate(
                    input.quantiles, kind: input.indicator == .referralRate ? .rate : .proportion, transform: true,
                    multiplier: input.indicator == .referralRate ? 1 : 100, repetitions: simulation.repetitions, seed: simulation.seed)
            }
        }
        var rows: [[Cell]] = []
        for (i, input) in inputs.enumerated() {
            var note = input.note
            var fitted: InequalityIndices? = nil
            switch results[i] {
            case .success(let indices): fitted = indices
            case .failure(.noPopulation): note = InequalityColumn.Note.decileWithoutPopulation
            case .failure(.valueOutsideScale), .failure(.invalidUncertainty): note = InequalityColumn.Note.decileValueAtLimit
            case .failure: note = InequalityColumn.Note.notEstimable
            case nil: break
            }
            for measure in InequalityColumn.Measure.allCases {
                var row = [Cell](repeating: .empty, count: InequalityColumn.allCases.count)
                row[InequalityColumn.nation.index] = .text(input.nation.label)
                row[InequalityColumn.indicator.index] = .text(input.indicator.rawValue)
                row[InequalityColumn.measure.index] = .text(measure.rawValue)
                row[InequalityColumn.quantiles.index] = .count(Int64(InequalityColumn.deciles))
                if let fitted {
                    let (value, limits) = measure == .sii ? (fitted.sii, fitted.siiLimits) : (fitted.rii, fitted.riiLimits)
                    // A ratio over a fitted value of 0 is not a number to publish: never NaN or Inf.
                    guard value.isFinite, limits.lower.isFinite, limits.upper.isFinite,
                        fitted.fittedMostDeprived.isFinite, fitted.fittedLeastDeprived.isFinite
                    else {
                        row[InequalityColumn.unit.index] = .text(input.indicator == .referralRate ? Self.rateUnit : Self.percentUnit)
                        row[InequalityColumn.rankedBy.index] = .text(input.indicator.rankedBy.rawValue)
                        row[InequalityColumn.note.index] = .text(InequalityColumn.Note.notEstimable)
                        row[InequalityColumn.suppressed.index] = .flag(false)
                        row[InequalityColumn.disclosureControl.index] = .disclosureControl(disclosure.enabled)
                        rows.append(row)
                        continue
                    }
                    row[InequalityColumn.value.index] = .significant(value, digits: Self.indexDigits)
                    row[InequalityColumn.ciLow.index] = .significant(limits.lower, digits: Self.indexDigits)
                    row[InequalityColumn.ciHigh.index] = .significant(limits.upper, digits: Self.indexDigits)
                    row[InequalityColumn.fittedMostDeprived.index] = .significant(fitted.fittedMostDeprived, digits: Self.indexDigits)
                    row[InequalityColumn.fittedLeastDeprived.index] = .significant(fitted.fittedLeastDeprived, digits: Self.indexDigits)
                }
                row[InequalityColumn.unit.index] = .text(input.indicator == .referralRate ? Self.rateUnit : Self.percentUnit)
                row[InequalityColumn.rankedBy.index] = .text(input.indicator.rankedBy.rawValue)
                row[InequalityColumn.note.index] = note.map(Cell.text) ?? .empty
                row[InequalityColumn.suppressed.index] = .flag(note == InequalityColumn.Note.suppressed)
                row[InequalityColumn.disclosureControl.index] = .disclosureControl(disclosure.enabled)
                rows.append(row)
            }
        }
        return rows
    }
}
