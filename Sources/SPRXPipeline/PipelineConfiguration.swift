import SPRXCore

/// A field of the canonical referral record (`referral-extract-v1.md`, "Columns").
public enum CanonicalField: String, CaseIterable, Sendable, Codable {
    case referralID = "referral_id"
    case personID = "person_id"
    case referralDate = "referral_date"
    case age
    case sex
    case ethnicity
    case areaCode = "area_code"
    case referralSource = "referral_source"
    case referralReasons = "referral_reasons"
    case contacted
    case contacts
    case interventions
    case organisationID = "organisation_id"

    /// Whether a row without this value is quarantined.
    public var isRequired: Bool { self == .referralID || self == .personID || self == .referralDate }
}

/// A calendar date as days since 1970-01-01 (proleptic Gregorian).
public struct Day: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var daysSinceEpoch: Int32
    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day for a valid year/month/day, or `nil`.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= Day.daysIn(month: month, year: year)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        daysSinceEpoch = Int32(era * 146_097 + doe - 719_468)
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// (year, month, day) of this date.
    public var components: (year: Int, month: Int, day: Int) {
        let z = Int(daysSinceEpoch) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// ISO `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    public static func < (a: Day, b: Day) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}

/// An age band such as `18-24` or `85+`.
public struct AgeBand: Hashable, Sendable, Codable {
    public var label: String
    public var lower: Int
    public var upper: Int  // inclusive
    public init(label: String, lower: Int, upper: Int) {
        self.label = label
        self.lower = lower
        self.upper = upper
    }
}

/// One referral route: its contract id, route type and the labels that mean it.
public struct RouteDefinition: Sendable, Hashable {
    public var id: String
    public var type: RouteType
    public var labels: [String]
    public init(id: String, type: RouteType, labels: [String]) {
        self.id = id
        self.type = type
        self.labels = labels
    }
}

/// One referral reason: its contract id and the labels that mean it.
public struct ReasonDefinition: Sendable, Hashable {
    public var id: String
    public var labels: [String]
    public init(id: String, labels: [String]) {
        self.id = id
        self.labels = labels
    }
}

/// One nation's deprivation index file.
public struct DeprivationSource: Sendable, Hashable {
    public var nation: Nation
    public var file: String
    public var edition: String
    public var codeColumn: String
    public var decileColumn: String
    /// Columns naming each area's local authority (a code, a name, or both), for a
    /// catchment of local authorities (``PopulationCatchment/localAuthorities(_:)``);
    /// empty when the lookup has none (its nation's areas cannot be in such a catchment).
    public var localAuthorityColumns: [String] = []
}

/// One nation's rurality classification file.
public struct RuralitySource: Sendable, Hashable {
    public var nation: Nation
    public var file: String
    public var edition: String
    public var codeColumn: String
    public var classColumn: String
    public var urbanRuralColumn: String
}

/// Where the enrich stage finds its lookups.
public struct EnrichSettings: Sendable {
    /// Folder holding the reference files: as the pipeline file says (resolved against
    /// its folder), or as ``ReferenceLookup`` chose when the pipeline was loaded with it.
    public var referenceDirectory: String
    /// Which step of the lookup order gave ``referenceDirectory``.
    public var referenceOrigin: ReferenceLookup.Origin = .pipeline
    public var deprivation: [DeprivationSource]
    public var rurality: [RuralitySource]
    public var ageBands: [AgeBand]
    /// The population rates are computed against (the `population` section): for a
    /// pipeline without the section the loader gives ``PopulationSettings/standard``;
    /// `nil` when rates are off (`population: none`, and settings built in code).
    public var population: PopulationSettings? = nil
}

/// Disclosure control applied to published tables (`outputs-v1.md`).
public struct DisclosureSettings: Sendable, Hashable, Codable {
    /// Whether counts are suppressed and rounded.
    public var enabled: Bool
    /// Counts from 1 up to this value are suppressed (7 in the contract).
    public var suppressUpTo: Int
    /// Other counts are rounded to the nearest multiple of this (5 in the contract).
    public var roundTo: Int

    public init(enabled: Bool = true, suppressUpTo: Int = 7, roundTo: Int = 5) {
        self.enabled = enabled
        self.suppressUpTo = suppressUpTo
        self.roundTo = roundTo
    }

    /// What was done, in plain words (manifest and report).
    public var statement: String {
        enabled
            ? "Disclosure control applied: counts of 1 to \(suppressUpTo) are suppressed and every other count, group totals included, is rounded to the nearest \(roundTo) on its own (NHS Digital's HES/ECDS rule); percentages are computed from the rounded count and the rounded total, and are suppressed when either is."
            : "DISCLOSURE CONTROL IS OFF: tables hold exact counts, including small numbers. For use inside the secure environment only; do not publish."
    }
}

/// The `report` section: what page 1 of the report is called and whom it is about.
public struct ReportSettings: Sendable, Hashable {
    /// `report.title`: the report's title (`nil`: the default title).
    public var title: String?
    /// `report.organisation`: the service or area the referrals are from (`nil`: unsaid).
    public var organisation: String?

    public init(title: String? = nil, organisation: String? = nil) {
        self.title = title
        self.organisation = organisation
    }
}

extension Day {
    /// The day written `YYYY-MM-DD` (four, two and two digits), or `nil`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The next calendar day.
    public var next: Day { Day(daysSinceEpoch: daysSinceEpoch + 1) }
}

/// The `validate` section: how far estimates may move before `sprx validate` reports them.
public struct ValidationSettings: Sendable, Hashable {
    public var absoluteTolerance: Double
    public var relativeTolerance: Double

    public init(absoluteTolerance: Double = 1e-9, relativeTolerance: Double = 1e-6) {
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
    }
}

/// Everything a pipeline file says, validated.
///
/// A pipeline file maps one platform's export onto the canonical referral record, so a
/// new platform is a new YAML file, not new code. See `Pipelines/referral-equity.yaml`.
public struct PipelineConfiguration: Sendable {
    public var name: String
    public var schemaVersion: Int
    /// The `input` section: the export's field delimiter and text encoding.
    public var input = InputDialect.standard
    /// Header names (matched case-insensitively after trimming) for each canonical field.
    ///
    /// Every field is mapped (a field the file does not list means a header of its own
    /// name), and every mapped field must match a header unless it is in
    /// ``optionalColumns``.
    public var columns: [CanonicalField: [String]]
    /// Fields an export may leave out (`columns.optional`); never a required field.
    public var optionalColumns: Set<CanonicalField> = []
    /// Count fields whose empty cell the export uses for none (`columns.empty_means_none`;
    /// a spreadsheet kept by hand often leaves 0 blank). Without it an empty cell is
    /// unknown, and a field blank for more than ``FieldRecording/blankShareLimit`` of the
    /// clean referrals has its share withheld (``FieldRecording``); with it the share
    /// counts empty cells as none. The models leave empty counts out either way.
    public var emptyMeansNone: Set<CanonicalField> = []
    /// The fields `columns.empty_means_none` may name: those whose share an empty cell
    /// changes (the contact share reads an empty flag from `contacts` already).
    public static let emptyMeansNoneFields: [CanonicalField] = [.interventions]
    /// The `missing_values` section: per field, the values that mean "not known"
    /// (`unknown`, `N/K`, `-`, …), matched as labels are (case, surrounding and repeated
    /// inner spaces ignored). Such a value makes the field Unknown and never quarantines
    /// the referral, and is not counted as unmapped. Never a required field; never a
    /// value that is also one of the field's labels. Empty when the file has none.
    public var missingValues: [CanonicalField: [String]] = [:]
    public var routes: [RouteDefinition]
    /// Labels meaning "route not known" (the `unknown` route); empty is always unknown.
    public var unknownRouteLabels: [String]
    public var reasons: [ReasonDefinition]
    /// The `reason_groups` section: named groups of reasons the route and pathway tables
    /// publish shares for (empty when the file has none).
    public var reasonGroups: [ReasonGroup] = []
    /// The `dimensions` section: the categorical dimensions the pipeline declares beyond
    /// the built-in ones, in its order (empty when the file has none).
    public var dimensions: [DeclaredDimension] = []
    /// Bytes that separate several reasons in one field.
    public var reasonSeparators: [UInt8]
    public var sexLabels: [Sex: [String]]
    public var ethnicityLabels: [Ethnicity: [String]]
    /// Whether NHS ethnic category codes (A-S, Z, 99) are read by their first character.
    public var ethnicityNHSCodes: Bool
    public var contactedLabels: [ContactFlag: [String]]
    /// Accepted date forms, in the order they are tried.
    public var dateForms: [DateForm]
    public var dateFrom: Day?
    public var dateTo: Day?
    public var enrich: EnrichSettings
    public var disclosure: DisclosureSettings
    /// Statistical models to fit (none when the file has no `models` section).
    public var models: ModelSettings
    /// How referrals' groups are packed into the aggregation key: derived from the age
    /// bands, routes, reasons and declared dimensions when the file is loaded (change
    /// those, derive it again).
    public var groupKey: GroupKeySchema
    /// Tolerances `sprx validate` uses for estimates.
    public var validation: ValidationSettings
    /// The file the configuration was read from, and its SHA-256.
    public var sourcePath: String
    public var sourceSHA256: String
    /// The `quality` section: when a run cannot mean anything and is not published.
    public var quality = QualityGates()
    /// The `display_names` section: dimension (``DisplayNameDimension``) → id → the
    /// label the report prints. Empty when the file has none (the report has defaults).
    public var displayNames: [String: [String: String]] = [:]
    /// The `organisations` section: the organisation lookup and the provision files
    /// (`nil` without the section: organisations are published by code, no provision).
    public var organisations: OrganisationSettings? = nil
    /// The `case_mix` section's `strata`: the groupings organisations' case mix is
    /// stratified by for the indirectly standardised ratios of `organisations.csv`
    /// (``GroupKeySchema/defaultCaseMixStrata`` without the section; the key's
    /// ``GroupKeySchema/caseMixStrata`` is derived from it).
    public var caseMixStrata: [String] = GroupKeySchema.defaultCaseMixStrata
    /// The `report` section: the report's title and the service or area it is about
    /// (both optional; the report has a default title and names no organisation).
    public var report = ReportSettings()
    /// The `spc` section: which direction is an improvement on each measure's SPC chart
    /// (every measure `neutral` without it).
    public var spc = SPCSettings()

    /// The index of the `unknown` route, always present.
    public var unknownRouteIndex: Int { routes.firstIndex { $0.id == "unknown" }! }
}
