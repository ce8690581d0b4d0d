import SPRXCore

/// The population rates are computed against: the pipeline's `population` section.
///
/// A pipeline without the section gets ``standard`` (the mid-2019 small-area totals of
/// every UK small area, no single-year-of-age file); `population: none` switches rates
/// off (``EnrichSettings/population`` is then `nil`).
public struct PopulationSettings: Sendable, Hashable {
    /// The label the manifest and the report show, such as `mid-2019`.
    public var edition: String
    /// The file of total population per small area (every nation).
    public var totals: PopulationTotalsSource
    /// Per nation, the file of population by single year of age, for age-standardised
    /// rates and age-band rates; nations without one have crude rates only.
    public var singleYearOfAge: [SingleYearOfAgeSource] = []
    /// Which small areas the population is that of.
    public var catchment: PopulationCatchment = .everyArea
    /// The days the rates cover, first and last inclusive; `nil`: the run's first to
    /// last clean referral date.
    public var period: ClosedRange<Day>? = nil
    /// Whether these are the defaults of a pipeline that has no `population` section
    /// (then a missing totals file says how to switch rates off).
    public var isDefault = false

    public init(
        edition: String, totals: PopulationTotalsSource, singleYearOfAge: [SingleYearOfAgeSource] = [],
        catchment: PopulationCatchment = .everyArea, period: ClosedRange<Day>? = nil
    ) {
        self.edition = edition
        self.totals = totals
        self.singleYearOfAge = singleYearOfAge
        self.catchment = catchment
        self.period = period
    }

    /// The population of a pipeline without a `population` section: the mid-2019 totals
    /// of every UK small area (ONS, NRS, NISRA, compiled by mySociety) from the reference
    /// folder, every area, crude rates only.
    public static var standard: PopulationSettings {
        var settings = PopulationSettings(
            edition: "mid-2019",
            totals: PopulationTotalsSource(file: "pop_mid2019_uk_small_areas_total.csv.gz", edition: "ONS/NRS/NISRA mid-2019 small-area totals"))
        settings.isDefault = true
        return settings
    }

    /// Every file the population is read from (totals first), each once.
    public var files: [String] {
        var names = [totals.file]
        for source in singleYearOfAge where !names.contains(source.file) { names.append(source.file) }
        return names
    }

    /// The single-year-of-age source of `nation`, if it has one.
    public func singleYearOfAge(for nation: Nation) -> SingleYearOfAgeSource? {
        singleYearOfAge.first { $0.nation == nation }
    }
}

/// The file of total population per small area, one row per area.
public struct PopulationTotalsSource: Sendable, Hashable {
    public var file: String
    /// The publication, as the manifest names it.
    public var edition: String
    public var codeColumn = "area_code"
    public var populationColumn = "population"

    public init(file: String, edition: String, codeColumn: String = "area_code", populationColumn: String = "population") {
        self.file = file
        self.edition = edition
        self.codeColumn = codeColumn
        self.populationColumn = populationColumn
    }
}

/// One nation's file of population by single year of age (``SingleYearOfAgeColumns``).
public struct SingleYearOfAgeSource: Sendable, Hashable {
    public var nation: Nation
    public var file: String
    /// The publication, as the manifest names it.
    public var edition: String
    public var codeColumn = "area_code"
    /// The column every row's single years must add up to.
    public var totalColumn = "total_population"
    /// For a file with rows per sex: the column naming the sex, and the value of the
    /// rows to read (`persons`). Both `nil` when the file has one row per area.
    public var sexColumn: String? = nil
    public var sex: String? = nil

    public init(
        nation: Nation, file: String, edition: String, codeColumn: String = "area_code", totalColumn: String = "total_population",
        sexColumn: String? = nil, sex: String? = nil
    ) {
        self.nation = nation
        self.file = file
        self.edition = edition
        self.codeColumn = codeColumn
        self.totalColumn = totalColumn
        self.sexColumn = sexColumn
        self.sex = sex
    }

    /// Whether `other` reads its file the same way (one file may serve two nations).
    public func readsLike(_ other: SingleYearOfAgeSource) -> Bool {
        file == other.file && edition == other.edition && codeColumn == other.codeColumn && totalColumn == other.totalColumn
            && sexColumn == other.sexColumn && sex == other.sex
    }
}

/// The columns of a single-year-of-age file: `age_0` … `age_89` and `age_90plus`, the
/// open group starting where the European Standard Population's does.
public enum SingleYearOfAgeColumns {
    /// The column names, youngest first; column `i` holds age `i` (the last, ages from
    /// ``EuropeanStandardPopulation/openAge`` on).
    public static let names: [String] =
        (0..<EuropeanStandardPopulation.openAge).map { "age_\($0)" } + ["age_\(EuropeanStandardPopulation.openAge)plus"]

    /// The number of age columns (91).
    public static var count: Int { names.count }
}

/// Which small areas the population is that of.
public enum PopulationCatchment: Sendable, Hashable, CustomStringConvertible {
    /// Every small area of every nation the totals file lists.
    case everyArea
    /// The small areas of these local authorities (codes or names, as the deprivation
    /// lookups' ``DeprivationSource/localAuthorityColumns`` hold them).
    case localAuthorities([String])

    /// In plain words, for the manifest and the report.
    public var description: String {
        switch self {
        case .everyArea: "every small area"
        case .localAuthorities(let names) where names.count == 1: "the small areas of the local authority \(names[0])"
        case .localAuthorities(let names): "the small areas of the local authorities \(names.dropLast().joined(separator: ", ")) and \(names.last ?? "")"
        }
    }
}

/// A group of catchment areas, formed exactly as referrals are grouped: the nation, the
/// area's decile in its own nation's deprivation index, its rurality.
public struct ResidentCell: Hashable, Sendable, Codable, Comparable {
    public var nation: Nation
    /// Within-nation deprivation decile 1-10, 0 = Unknown (the area is not in the index).
    public var decile: UInt8
    public var rurality: Rurality

    public init(nation: Nation, decile: UInt8, rurality: Rurality) {
        self.nation = nation
        self.decile = decile
        self.rurality = rurality
    }

    public static func < (a: ResidentCell, b: ResidentCell) -> Bool {
        (a.nation.rawValue, a.decile, a.rurality.rawValue) < (b.nation.rawValue, b.decile, b.rurality.rawValue)
    }
}

/// A reference file the run used, for the manifest.
public struct ReferenceFileInfo: Sendable, Hashable, Codable {
    public var name: String
    public var path: String
    public var edition: String
    public var use: String
    public var sha256: String
    public var rows: Int

    public init(name: String, path: String, edition: String, use: String, sha256: String, rows: Int) {
        self.name = name
        self.path = path
        self.edition = edition
        self.use = use
        self.sha256 = sha256
        self.rows = rows
    }
}

/// The resident population of the catchment, summed per group exactly as referrals are
/// grouped, for the rates the aggregate stage computes.
public struct PopulationDenominators: Sendable, Equatable {
    /// ``PopulationSettings/edition``.
    public var edition: String
    /// ``PopulationSettings/catchment``, in plain words.
    public var catchment: String
    /// Population per group, from the totals file.
    public var totals: [ResidentCell: Int64] = [:]
    /// Population per group in the European Standard Population's age groups
    /// (``EuropeanStandardPopulation/groupCount`` values, youngest first), from the
    /// single-year-of-age files; only groups of ``nationsWithAges``.
    public var byStandardAge: [ResidentCell: [Int64]] = [:]
    /// Population per nation in each of the pipeline's age bands (Unknown not included),
    /// from the single-year-of-age files; `nil` for a band that single years cannot form
    /// (one that splits the open group, 90 and over). Only ``nationsWithAges``.
    public var byAgeBand: [Nation: [Int64?]] = [:]
    /// Nations with a single-year-of-age file, in ``Nation`` order.
    public var nationsWithAges: [Nation] = []
    /// Catchment areas with a population, per nation.
    public var areas: [Nation: Int] = [:]
    /// Catchment areas with a population that their nation's deprivation index does not
    /// list (their group's decile is Unknown), per nation.
    public var areasWithoutDecile: [Nation: Int] = [:]
    /// Catchment areas per local authority, by the reference data's authority index
    /// (0: areas whose lookup names no local authority), and the authorities' names.
    public var areasByAuthority: [Int] = []
    public var authorityNames: [String] = []
    /// The single-year-of-age files read (the totals file is in the reference data's files).
    public var files: [ReferenceFileInfo] = []

    public init(edition: String = "", catchment: String = "") {
        self.edition = edition
        self.catchment = catchment
    }

    /// The catchment's total population of `nation` (all its groups).
    public func total(of nation: Nation) -> Int64 {
        totals.reduce(0) { $0 + ($1.key.nation == nation ? $1.value : 0) }
    }
}
