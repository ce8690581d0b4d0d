import Foundation

/// One cell of a published table: a typed value, written as CSV text in one place
/// (``csv``) and read by the report as the value it publishes (``count``, ``value``,
/// ``flag``), never parsed back from text.
public enum Cell: Sendable, Equatable {
    /// Text from data or configuration: neutralised and quoted when written (``CSVText/text(_:)``).
    case text(String)
    /// A count; `nil` when disclosure control suppresses it (an empty cell).
    case count(Int64?)
    /// A fixed-point decimal rounded half away from zero to `places` (``DecimalText``);
    /// `nil` when withheld (an empty cell).
    case decimal(Double?, places: Int)
    /// An estimate to `digits` significant digits (`%.<digits>g`), `0` for zero and
    /// `NA`, `Inf` or `-Inf` when not finite.
    case significant(Double, digits: Int)
    /// `TRUE` or `FALSE`.
    case flag(Bool)
    /// An empty cell: a value that does not apply to the row.
    case empty

    /// A `disclosure_control` cell: `on` or `off`.
    public static func disclosureControl(_ enabled: Bool) -> Cell { .text(enabled ? "on" : "off") }

    /// The cell as written in the CSV file.
    public var csv: String {
        if case .text(let text) = self { return CSVText.text(text) }
        return shown
    }

    /// The cell's text as a person reads it: what ``csv`` writes, without the CSV
    /// quoting (text is neutralised as in the file: escaped controls, formula prefix).
    public var shown: String {
        switch self {
        case .text(let text): return CSVText.neutralised(text)
        case .count(let count): return count.map { String($0) } ?? ""
        case .decimal(let value, let places): return value.flatMap { $0.isFinite ? DecimalText.format($0, places: places) : nil } ?? ""
        case .significant(let value, let digits):
            // Never NaN or ±Inf in a published file: a builder that lets one through
            // publishes an empty cell (its row's note says why where the builder knows).
            guard value.isFinite else { return "" }
            return value == 0 ? "0" : Self.general(value, digits: digits)
        case .flag(let flag): return flag ? "TRUE" : "FALSE"
        case .empty: return ""
        }
    }

    /// `value` as C's `%.{digits}g` writes it (what `String(format:)` gave, without
    /// Foundation's formatter, which a table of thousands of organisations calls
    /// hundreds of thousands of times).
    static func general(_ value: Double, digits: Int) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            // safe: a temporary allocation of 64 has a base address
            let start = buffer.baseAddress!
            _ = withVaList([Int32(digits), value]) { vsnprintf(start, 64, "%.*g", $0) }
            return String(cString: start)
        }
    }

    /// The text of a text cell as the table was given it (for matching rows; show it with ``shown``).
    public var string: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// A count as published; `nil` when suppressed or not a count.
    public var count: Int64? {
        if case .count(let count) = self { return count }
        return nil
    }

    /// Whether the cell is empty in the file (a suppressed or withheld value, or no value).
    public var isEmpty: Bool {
        switch self {
        case .text(let text): return text.isEmpty
        case .count(let count): return count == nil
        case .decimal(let value, _): return value.map { !$0.isFinite } ?? true
        case .significant(let value, _): return !value.isFinite
        case .flag: return false
        case .empty: return true
        }
    }

    /// A number as published, that is as rounded in the file (a decimal to its places,
    /// an estimate to its significant digits; so the report's figures agree with the
    /// table's to the last digit); `nil` when empty, `NA` or not a number.
    public var value: Double? {
        switch self {
        case .count(let count): return count.map(Double.init)
        case .decimal(let value, let places): return value.flatMap { $0.isFinite ? Self.rounded($0, places: places) : nil }
        case .significant(let value, let digits): return value.isFinite ? Self.rounded(value, significant: digits) : nil
        default: return nil
        }
    }

    /// A flag's value; `nil` for any other cell.
    public var flag: Bool? {
        if case .flag(let flag) = self { return flag }
        return nil
    }

    /// `value` rounded half away from zero to `places` decimals: the number ``DecimalText``
    /// prints (the same scaled integer, divided by an exact power of ten).
    static func rounded(_ value: Double, places: Int) -> Double {
        guard value.isFinite else { return value }
        let scale = powerOfTen(places)
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero) / scale
        return value < 0 ? -scaled : scaled
    }

    /// `value` rounded to `digits` significant digits: the number `%.<digits>g` prints
    /// (tested against printf on seeded values). Only a product exactly half-way after
    /// its own rounding could round differently from printf's exact decimal rounding.
    static func rounded(_ value: Double, significant digits: Int) -> Double {
        guard value.isFinite, value != 0 else { return value == 0 ? 0 : value }
        let magnitude = abs(value)
        var shift = digits - 1 - Int(log10(magnitude).rounded(.down))
        var mantissa = scaled(magnitude, shift).rounded(.toNearestOrEven)
        // log10 can land on the wrong side of a power of ten: take the shift that
        // leaves exactly `digits` digits.
        if mantissa >= powerOfTen(digits) {
            shift -= 1
            mantissa = scaled(magnitude, shift).rounded(.toNearestOrEven)
        } else if mantissa < powerOfTen(digits - 1) {
            shift += 1
            mantissa = scaled(magnitude, shift).rounded(.toNearestOrEven)
        }
        // Trailing zeros off, so that the one division or multiplication left is by an
        // exact power of ten (and so correctly rounded) for every number from 1e-15 up.
        while shift > 0 && mantissa.truncatingRemainder(dividingBy: 10) == 0 {
            mantissa /= 10
            shift -= 1
        }
        let result = scaled(mantissa, -shift)
        return value < 0 ? -result : result
    }

    /// `value` × 10^`shift`: one correctly rounded step for a shift up to 22 either way;
    /// beyond that (numbers below about 1e-15 or above 1e22) a step per 22, which can
    /// be one unit in the last place off, far below any rounding the report prints.
    private static func scaled(_ value: Double, _ shift: Int) -> Double {
        var result = value
        var remaining = shift
        while remaining != 0 {
            let step = min(abs(remaining), 22)
            result = remaining > 0 ? result * powerOfTen(step) : result / powerOfTen(step)
            remaining += remaining > 0 ? -step : step
        }
        return result
    }

    /// 10^`n` for n from 0 to 22, exact.
    private static func powerOfTen(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= 10 }
        return result
    }
}

/// The columns of one kind of published table, in file order: each column's name
/// declared once, the header derived from it and every cell read by it.
public protocol TableColumn: CaseIterable, Hashable, Sendable where AllCases == [Self] {
    /// The column's name in the header.
    var name: String { get }
    /// What the column holds, which decides how `sprx validate` compares it.
    var role: ColumnRole { get }
    /// What the column holds, its unit and what an empty cell means (``Codebook``).
    var meaning: ColumnMeaning { get }
}

/// What a column holds, which decides how `sprx validate` compares its cells.
public enum ColumnRole: String, Sendable, Codable {
    /// Identifies the row (matched, never compared).
    case key
    /// A count: must match exactly.
    case count
    /// An estimate, percentage or interval: within tolerance.
    case estimate
    /// Any other text (flags, labels): must match exactly.
    case text
}

extension TableColumn {
    /// The header: every column's name, in order.
    public static var header: [String] { allCases.map(\.name) }

    /// The column's place in a row.
    ///
    /// Asked for millions of times when a table has thousands of organisations, so not
    /// by searching `allCases` (built afresh on every call): a column type is an enum
    /// without payloads, which Swift lays out as its case number in declaration order
    /// (docs/ABI/TypeLayout.rst: "no-payload enums"), the order of the synthesised
    /// `allCases` too; one byte for up to 256 cases. Checked for every column type by
    /// `TableColumnIndexTests`, and here in debug builds.
    @inline(__always) public var index: Int {
        guard MemoryLayout<Self>.size == 1 else {
            // safe: self is one of allCases
            return Self.allCases.firstIndex(of: self)!
        }
        let position = withUnsafeBytes(of: self) { Int($0[0]) }
        assert(Self.allCases[position] == self, "a column's layout is its case number")
        return position
    }
}

extension Array where Element == Cell {
    /// The cell of `column`.
    public subscript<Column: TableColumn>(_ column: Column) -> Cell { self[column.index] }
}

/// One column of a ``TableSchema``: its name in the header, its role and its meaning.
public struct SchemaColumn: Sendable, Equatable {
    public let name: String
    public let role: ColumnRole
    public let meaning: ColumnMeaning
}

/// What one published table is, declared once: its file name (`tables/<name>.csv`), its
/// purpose and its columns in file order, taken from a ``TableColumn`` enum. A
/// ``PublishedTable`` is built with its schema, which gives its header and the width
/// every row must have; the codebook, `sprx validate` and the report read the same value.
public struct TableSchema: Sendable, Equatable {
    /// The file's name without `.csv`.
    public let name: String
    /// What the table is, in one sentence (the codebook's).
    public let purpose: String
    /// The columns, in file order.
    public let columns: [SchemaColumn]
    /// The ``TableColumn`` enum the columns come from, so that rows are read by the
    /// columns they were written by (``PublishedTable/isWritten(by:)``).
    let columnType: ObjectIdentifier

    /// The schema of a table whose columns are `type`'s cases, with `renamed` columns
    /// under another name and meaning (a share table's category column).
    init<Column: TableColumn>(
        _ name: String, _ type: Column.Type, purpose: String, renaming renamed: [Column: (name: String, meaning: ColumnMeaning)] = [:],
        only: [Column]? = nil
    ) {
        self.name = name
        self.purpose = purpose
        columns = (only ?? type.allCases).map { column in
            let renaming = renamed[column]
            return SchemaColumn(name: renaming?.name ?? column.name, role: column.role, meaning: renaming?.meaning ?? column.meaning)
        }
        columnType = ObjectIdentifier(type)
    }

    /// The header: every column's name, in order.
    public var header: [String] { columns.map(\.name) }

    /// The file's path in the output folder.
    public var path: String { "tables/\(name).csv" }

    /// Each column's meaning by column name.
    public var meanings: [String: ColumnMeaning] { Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.meaning) }) }

    /// A share table: ``ShareColumn`` with its category column named `category`.
    static func share(_ name: String, category: String, counted: String, purpose: String) -> TableSchema {
        TableSchema(name, ShareColumn.self, purpose: purpose, renaming: [.category: (category, ColumnMeaning(counted, unit: "code"))])
    }

    public static let routeTypeByGroup = share(
        "route_type_by_group", category: ShareColumn.routeType,
        counted: "The route type counted in this row: `medical`, `non_medical` or `unknown`",
        purpose: "Referrals by route type (medical, non-medical, unknown) within each group of each breakdown, with 95% Wilson intervals.")
    public static let routeByGroup = share(
        "route_by_group", category: ShareColumn.route, counted: "The route counted in this row: a route id of the pipeline (`unknown` included)",
        purpose: "Referrals by route (each source the pipeline names) within each group of each breakdown.")
    public static let reasonsByGroup = share(
        "reasons_by_group", category: ShareColumn.reason, counted: "The reason counted in this row: a reason id of the pipeline",
        purpose: "Referral reasons within each group of each breakdown; a referral with several reasons counts once under each.")
    public static let pathwayByGroup = TableSchema(
        "pathway_by_group", PathwayColumn.self, purpose: "The referral → contact with a link worker → intervention pathway, per group and route type.")
    public static let models = TableSchema(
        "models", ModelColumn.self,
        purpose: "The pipeline's regression models: odds or rate ratios, baseline odds or rates, dispersion and average marginal effects.")
    public static let ratesByGroup = TableSchema(
        "rates_by_group", RateColumn.self,
        purpose: "Referrals per resident per year, crude and age-standardised, and each group's share of referrals beside its share of residents.")
    public static let inequality = TableSchema(
        "inequality", InequalityColumn.self, purpose: "Slope and relative indices of inequality across each nation's deprivation deciles (PHE's method).")
    public static let trends = TableSchema(
        "trends", TrendColumn.self, purpose: "Referrals and the non-medical, contacted and intervention shares by calendar month and quarter.")
    public static let spc = TableSchema(
        "spc", SPCColumn.self,
        purpose:
            "Each monthly series of trends.csv (all referrals and by nation) as an XmR chart, NHS Making Data Count's way (NHSRplotthedots): centre, process limits and special causes."
    )
    public static let organisations = TableSchema(
        "organisations", OrganisationColumn.self, purpose: "Each organisation's shares beside the overall share and PHE's 95% and 99.8% funnel limits.")
    public static let pcnProvision = TableSchema(
        "pcn_provision", ProvisionColumn.self, purpose: "England: link worker FTE and referrals per primary care network and workforce census date.")
    public static let provisionByDeprivation = TableSchema(
        "provision_by_deprivation", ProvisionGradientColumn.self,
        purpose: "England, public data only: link worker FTE per 50,000 patients in each fifth of networks by deprivation, and the indices across them.")
    public static let dataQuality = TableSchema(
        "data_quality", DataQualityColumn.self,
        purpose: "Rows read, clean, duplicate and quarantined per input file and for all files, with the reasons; exact counts of records, not people.")
    public static let unmappedLabels = TableSchema(
        "unmapped_labels", UnmappedLabelColumn.self,
        purpose: "Labels no list of the pipeline names, per field, when seen often enough to publish; the rest pooled as `(other labels)`.")
    /// The owner-only `quarantine/unmapped_labels.csv`: every label with its exact count, never published.
    public static let quarantinedUnmappedLabels = TableSchema(
        "unmapped_labels", UnmappedLabelColumn.self, purpose: "Every unmapped label with its exact count (owner-only).",
        only: UnmappedLabelColumn.complete)
}

/// A published table: its schema and typed rows, each as wide as the schema.
///
/// Design note: rows are added only through ``init(_:rows:)`` and ``append(_:)``, which
/// refuse (trap on) a row whose width is not the schema's: a table that cannot be
/// written as its header says is a programming error, caught where the row is made,
/// not in the file.
public struct PublishedTable: Sendable, Equatable {
    /// What the table is: name, header, column roles and meanings.
    public let schema: TableSchema
    /// The rows, in file order.
    public private(set) var rows: [[Cell]]

    /// A table of `schema` with `rows`; every row must have one cell per column.
    public init(_ schema: TableSchema, rows: [[Cell]] = []) {
        if let misfit = Self.misfit(rows, schema) { preconditionFailure(misfit) }
        self.schema = schema
        self.rows = rows
    }

    /// Why `rows` cannot be rows of `schema` (the first row of another width, counted
    /// after `earlier` rows already in the table), or `nil` when every row fits.
    public static func misfit(_ rows: [[Cell]], _ schema: TableSchema, after earlier: Int = 0) -> String? {
        guard let index = rows.firstIndex(where: { $0.count != schema.columns.count }) else { return nil }
        return "\(schema.name): row \(earlier + index + 1) has \(rows[index].count) cells for \(schema.columns.count) columns"
    }

    /// The file's name without `.csv` (the schema's).
    public var name: String { schema.name }
    /// The header (the schema's).
    public var header: [String] { schema.header }

    /// Adds a row; it must have one cell per column.
    public mutating func append(_ row: [Cell]) {
        if row.count != schema.columns.count, let misfit = Self.misfit([row], schema, after: rows.count) { preconditionFailure(misfit) }
        rows.append(row)
    }

    /// Adds rows; each must have one cell per column.
    public mutating func append(contentsOf more: [[Cell]]) {
        for row in more { append(row) }
    }

    /// The cell of row `index` (0 = the first after the header) in `column`, which must
    /// be a column of the table's schema.
    public subscript<Column: TableColumn>(row index: Int, column: Column) -> Cell {
        get { rows[index][column] }
        set {
            precondition(isWritten(by: Column.self), "\(name) has no column \(column.name) of \(Column.self)")
            rows[index][column.index] = newValue
        }
    }

    /// Keeps the rows for which `keep` is true.
    public mutating func filterRows(_ keep: ([Cell]) -> Bool) { rows = rows.filter(keep) }

    /// Whether the table's columns are `Column`'s cases (so `row[column]` reads the right cell).
    public func isWritten<Column: TableColumn>(by column: Column.Type) -> Bool { schema.columnType == ObjectIdentifier(column) }

    /// The table as CSV text (LF line ends, header first): the one place cells become text.
    public var csv: String {
        var text = CSVText.line(header) + "\n"
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i > 0 { text += "," }
                text += cell.csv
            }
            text += "\n"
        }
        return text
    }
}

/// Every table of a run, one typed field each, in publication order: the one list of
/// tables that writing them, the manifest, the codebook, `sprx validate` and the report
/// all read. A field starts as its schema's empty table.
///
/// Design note: ``all`` lists the stored fields by reflection, in declaration order, so
/// the order of the fields below is the publication order and there is no second list
/// to keep in step; each field checks it holds a table of its own schema.
public struct PublishedTables: Sendable, Equatable {
    public var routeTypeByGroup = PublishedTable(.routeTypeByGroup) { didSet { Self.check(routeTypeByGroup, .routeTypeByGroup) } }
    public var routeByGroup = PublishedTable(.routeByGroup) { didSet { Self.check(routeByGroup, .routeByGroup) } }
    public var reasonsByGroup = PublishedTable(.reasonsByGroup) { didSet { Self.check(reasonsByGroup, .reasonsByGroup) } }
    public var pathwayByGroup = PublishedTable(.pathwayByGroup) { didSet { Self.check(pathwayByGroup, .pathwayByGroup) } }
    public var models = PublishedTable(.models) { didSet { Self.check(models, .models) } }
    public var ratesByGroup = PublishedTable(.ratesByGroup) { didSet { Self.check(ratesByGroup, .ratesByGroup) } }
    public var inequality = PublishedTable(.inequality) { didSet { Self.check(inequality, .inequality) } }
    public var trends = PublishedTable(.trends) { didSet { Self.check(trends, .trends) } }
    public var spc = PublishedTable(.spc) { didSet { Self.check(spc, .spc) } }
    public var organisations = PublishedTable(.organisations) { didSet { Self.check(organisations, .organisations) } }
    public var pcnProvision = PublishedTable(.pcnProvision) { didSet { Self.check(pcnProvision, .pcnProvision) } }
    public var provisionByDeprivation = PublishedTable(.provisionByDeprivation) {
        didSet { Self.check(provisionByDeprivation, .provisionByDeprivation) }
    }
    public var dataQuality = PublishedTable(.dataQuality) { didSet { Self.check(dataQuality, .dataQuality) } }
    public var unmappedLabels = PublishedTable(.unmappedLabels) { didSet { Self.check(unmappedLabels, .unmappedLabels) } }

    /// Every table empty.
    public init() {}

    /// Every table, in publication order (the order of the fields).
    public var all: [PublishedTable] { Mirror(reflecting: self).children.compactMap { $0.value as? PublishedTable } }

    /// Every table's schema, in publication order.
    public static let schemas: [TableSchema] = PublishedTables().all.map(\.schema)

    /// Refuses a table put in another table's field.
    private static func check(_ table: PublishedTable, _ schema: TableSchema) {
        precondition(table.schema == schema, "\(table.name) put in the field of \(schema.name)")
    }
}

/// The columns of a share table (`route_type_by_group`, `route_by_group`,
/// `reasons_by_group`): each category's n against its group's total.
public enum ShareColumn: String, TableColumn {
    case dimension, group
    /// The category: a route type, a route id or a reason id (named by the table's ``TableSchema``).
    case category
    case n, total, percent
    case ciLow = "ci_low", ciHigh = "ci_high"
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .dimension, .group, .category: .key
        case .n, .total: .count
        case .percent, .ciLow, .ciHigh: .estimate
        case .suppressed, .disclosureControl: .text
        }
    }

    /// The category column's names in the three share tables.
    public static let routeType = "route_type", route = "route", reason = "reason"
}

/// The columns of `pathway_by_group`: referred, contacted and helped, per route type.
public enum PathwayColumn: String, TableColumn {
    case dimension, group
    case routeType = "route_type"
    case referred, contacted, intervention
    case pctContacted = "pct_contacted", pctIntervention = "pct_intervention"
    /// Why `contacted` or `intervention` (and its percentage) is empty when the export
    /// does not record what it counts (``FieldNote``), or why the percentages are
    /// (``Note``); several joined by ``FieldNote/separator``; empty otherwise.
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    /// The values of `note` besides a ``FieldNote``, declared once for the table and the report.
    public enum Note {
        /// `referred` is 0 (a route type with no referral in the group): no percentage.
        public static let noReferrals = OrganisationColumn.Note.noReferrals
        /// A `reason_group` row: a referral whose reasons fall in several groups is
        /// counted in each, so the groups' totals add up to more than the referrals.
        public static let countedInEachReasonGroup = "counted_in_each_reason_group"
    }

    /// The `route_type` of the rows for every route type together.
    public static let allRouteTypes = "all"

    public var role: ColumnRole {
        switch self {
        case .dimension, .group, .routeType: .key
        case .referred, .contacted, .intervention: .count
        case .pctContacted, .pctIntervention: .estimate
        case .note, .suppressed, .disclosureControl: .text
        }
    }
}

/// The columns of `models.csv`.
public enum ModelColumn: String, TableColumn {
    case model, outcome, family, term, level, reference, estimate
    case standardError = "std_error"
    case ciLow = "ci_low", ciHigh = "ci_high"
    case pValue = "p_value"
    case observations = "n_obs"
    case clusters = "n_clusters"
    case measure, coefficient
    case standardErrorModel = "std_error_model"
    case standardErrorType = "se_type"
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .model, .term, .level, .measure: .key
        case .observations, .clusters: .count
        case .estimate, .standardError, .ciLow, .ciHigh, .pValue, .coefficient, .standardErrorModel: .estimate
        case .outcome, .family, .reference, .standardErrorType, .suppressed, .disclosureControl: .text
        }
    }
}

/// The columns of `data_quality.csv` (long: one row per file and measure).
public enum DataQualityColumn: String, TableColumn {
    case file, measure, value

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .file, .measure: .key
        case .value: .count
        }
    }

    /// The `file` of the rows for every file together.
    public static let allFiles = "all"
}

/// The `note` values that say a cell is empty because the export does not record the
/// field it depends on, declared once for every table with a `note` column, the report
/// and the manifest (`outputs-v2.md`, "Refinements in sprx", "Fields not recorded").
public enum FieldNote {
    /// The field is optional in the pipeline and no input file has a column for it.
    public static func notRecorded(_ field: String) -> String { notRecordedPrefix + field }
    /// Some input files have a column for the field and some do not: a figure from the
    /// files that have it would count the other files' referrals as without it.
    public static func recordedInPart(_ field: String) -> String { recordedInPartPrefix + field }

    /// Every input file has a column for the field, but it is blank for more of the
    /// clean referrals than ``FieldRecording/blankShareLimit`` allows: a share counting
    /// them as "no" would state what the data does not say.
    public static func partlyBlank(_ field: String) -> String { partlyBlankPrefix + field }

    public static let notRecordedPrefix = "not_recorded:"
    public static let recordedInPartPrefix = "recorded_in_part:"
    public static let partlyBlankPrefix = "partly_blank:"
    /// Every prefix of a note that withholds a figure for want of its field.
    public static let withholdingPrefixes = [notRecordedPrefix, recordedInPartPrefix, partlyBlankPrefix]
    /// Joins the notes of one row (a row may depend on two fields not recorded).
    public static let separator = ";"
}

/// The measures of `data_quality.csv`, named once for the table and the report.
public enum DataQualityMeasure {
    public static let rowsRead = "rows_read", clean = "clean", duplicate = "duplicate", quarantined = "quarantined"
    public static let blankLines = "blank_lines", areaUnknown = "area_unknown"

    /// Rows quarantined for one reason (a `QuarantineReason` raw value).
    public static func quarantined(_ reason: String) -> String { quarantinedPrefix + reason }
    /// Referrals whose area code is a nation's but not in its deprivation index.
    public static func areaUnmatchedDeprivation(_ nation: Nation) -> String { "area_unmatched_deprivation:" + nation.label }
    /// Referrals whose area code is a nation's but not in its rurality classification.
    public static func areaUnmatchedRurality(_ nation: Nation) -> String { "area_unmatched_rurality:" + nation.label }
    /// Referrals with a label in `field` that no list of the pipeline names.
    public static func unmapped(_ field: String) -> String { unmappedPrefix + field }

    public static let quarantinedPrefix = "quarantined:"
    public static let unmappedPrefix = "unmapped:"
}

/// The columns of the unmapped-label tables: `tables/unmapped_labels.csv` has all five,
/// the owner-only `quarantine/unmapped_labels.csv` the first three.
public enum UnmappedLabelColumn: String, TableColumn {
    case field, label, n, suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .field, .label: .key
        case .n: .count
        case .suppressed, .disclosureControl: .text
        }
    }

    /// The owner-only table's columns: exact counts, nothing suppressed.
    public static let complete: [UnmappedLabelColumn] = [field, label, n]
}

/// The columns of `rates_by_group.csv`: referrals per 1,000 residents per year, crude
/// and age-standardised, and each group's share of referrals beside its share of the
/// population.
public enum RateColumn: String, TableColumn {
    case dimension, group, referrals, population
    case personYears = "person_years"
    case crudeRate = "crude_rate", crudeCILow = "crude_ci_low", crudeCIHigh = "crude_ci_high"
    case dsr
    case dsrCILow = "dsr_ci_low", dsrCIHigh = "dsr_ci_high"
    /// The group's share of its parent's referrals, in percent (the parent is the
    /// nation for `nation/…` groups, every resident referral otherwise).
    case referralShare = "referral_share"
    /// The group's share of its parent's population, in percent.
    case populationShare = "population_share"
    /// `referral_share` / `population_share`: 1 is "referred in proportion to its population".
    case representation
    /// The scale of the two columns after it: rates per this many residents per year
    /// (1000 or 100000, the same on every row: per 100,000 when the catchment's overall
    /// rate is under 1 per 1,000), so a typical rate reads as a number people say aloud.
    case scaledPer = "scaled_per"
    /// `crude_rate` and `dsr` per `scaled_per` residents per year.
    case crudeRateScaled = "crude_rate_scaled", dsrScaled = "dsr_scaled"
    /// Why a rate is empty, or that the row is crude only (``Note``).
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .dimension, .group: .key
        case .referrals, .population, .scaledPer: .count
        case .personYears, .crudeRate, .crudeCILow, .crudeCIHigh, .dsr, .dsrCILow, .dsrCIHigh, .referralShare, .populationShare,
            .representation, .crudeRateScaled, .dsrScaled:
            .estimate
        case .note, .suppressed, .disclosureControl: .text
        }
    }

    /// The values of `note`, declared once for the table and the report.
    public enum Note {
        /// No single-year-of-age population for (some of) the group's residents.
        public static let noAgePopulation = "no_single_year_population"
        /// Fewer than 10 referrals with a known age (after disclosure control of each age
        /// group's count): too few for a standardised rate (PHE's rule).
        public static let fewerThanTen = "fewer_than_10_with_known_age"
        /// 10 or more referrals with a known age, but each age group's count is 1-7 and
        /// withheld by disclosure control, so no standardised rate can be made of them.
        public static let ageCountsSuppressed = "age_group_counts_suppressed"
        /// An age group with referrals has no population (the rate would be infinite), or
        /// the group's referrals are all from catchment areas whose population estimate is 0.
        public static let referralsWithoutPopulation = "referrals_without_population"
        /// Disclosure control withholds the group's count, so its rates too.
        public static let suppressed = "suppressed"
        /// The dimension is published crude only (`age_band`).
        public static let crudeOnly = "crude_only"
        /// The band's population cannot be formed from single years (it splits the open 90+ group).
        public static let bandPopulationUnavailable = "band_population_unavailable"
        /// No clean referral has a date (and the pipeline fixes no period): no person-years.
        public static let noPeriod = "no_period"
    }
}

/// The columns of `inequality.csv`: per nation and indicator, the slope and relative
/// indices of inequality across that nation's deprivation deciles.
public enum InequalityColumn: String, TableColumn {
    case nation, indicator, measure, value
    case ciLow = "ci_low", ciHigh = "ci_high"
    case quantiles
    /// The fitted value at the most deprived end of the regression line (the indicator's unit).
    case fittedMostDeprived = "fitted_most_deprived"
    /// The fitted value at the least deprived end.
    case fittedLeastDeprived = "fitted_least_deprived"
    /// The indicator's unit: `per 1,000 per year` or `percent`.
    case unit
    /// The population whose shares weight and rank the deciles (``RankedBy``).
    case rankedBy = "ranked_by"
    /// Why `value` is empty, when it is.
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .nation, .indicator, .measure: .key
        case .quantiles: .count
        case .value, .ciLow, .ciHigh, .fittedMostDeprived, .fittedLeastDeprived: .estimate
        case .unit, .rankedBy, .note, .suppressed, .disclosureControl: .text
        }
    }

    /// The `indicator` values, declared once.
    public enum Indicator: String, CaseIterable, Sendable {
        case referralRate = "referral_rate"
        case nonMedicalShare = "non_medical_share"
        case contactedShare = "contacted_share"
        case interventionShare = "intervention_share"

        /// The population that ranks and weights the deciles, as PHE's `phe_sii` takes
        /// it: the indicator's denominator. A rate's is the residents; a share's is the
        /// referrals it is a share of.
        public var rankedBy: RankedBy { self == .referralRate ? .residents : .referrals }
    }

    /// The `ranked_by` values: whose counts give each decile its weight and its relative rank.
    public enum RankedBy: String, CaseIterable, Sendable {
        /// The decile's resident population (the referral rate's denominator).
        case residents
        /// The decile's referrals (a share's denominator).
        case referrals
    }

    /// How many quantiles the indices are across: each nation's deprivation deciles.
    public static let deciles = 10

    /// The `measure` values.
    public enum Measure: String, CaseIterable, Sendable {
        case sii, rii
    }

    /// The values of `note`: why an index is empty.
    public enum Note {
        /// A decile of the nation has no residents in the catchment.
        public static let decileWithoutPopulation = "decile_without_population"
        /// A decile has no referrals, so no share.
        public static let decileWithoutReferrals = "decile_without_referrals"
        /// Disclosure control withholds a decile's count.
        public static let suppressed = "suppressed"
        /// A decile's rate is 0, or its share 0% or 100%: the log or logit scale the
        /// regression runs on cannot hold it.
        public static let decileValueAtLimit = "decile_value_at_limit"
        /// No person-years to compute the referral rates from (``RateColumn/Note/noPeriod``).
        public static let noPeriod = RateColumn.Note.noPeriod
        /// The regression cannot be fitted for another reason.
        public static let notEstimable = "not_estimable"
    }
}

/// The columns of `trends.csv`: indicators by calendar month and quarter, in the layout
/// of OpenSAFELY's measures.
public enum TrendColumn: String, TableColumn {
    case measure, interval
    case intervalStart = "interval_start", intervalEnd = "interval_end"
    case dimension, group, numerator, denominator, value
    case ciLow = "ci_low", ciHigh = "ci_high"
    /// `TRUE` when the interval reaches before the first or after the last day the data
    /// covers (so its count is of part of the interval only).
    case partial
    /// Why a share's numerator and value are empty when the export does not record what
    /// it counts (``FieldNote``), or why its value is (``Note``); empty otherwise.
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    /// The values of `note` besides a ``FieldNote``, declared once for the table and the report.
    public enum Note {
        /// The published denominator is 0 (no referral of the group in the interval): no share.
        public static let noReferrals = OrganisationColumn.Note.noReferrals
    }

    public var role: ColumnRole {
        switch self {
        case .measure, .interval, .intervalStart, .dimension, .group: .key
        case .numerator, .denominator: .count
        case .value, .ciLow, .ciHigh: .estimate
        case .intervalEnd, .partial, .note, .suppressed, .disclosureControl: .text
        }
    }

    /// The `measure` values: a count, and three shares in percent.
    public enum Measure: String, CaseIterable, Sendable {
        case referrals
        case nonMedicalShare = "non_medical_share"
        case contactedShare = "contacted_share"
        case interventionShare = "intervention_share"
    }

    /// The `interval` values: calendar months and calendar quarters.
    public enum Interval: String, CaseIterable, Sendable {
        case month, quarter
    }
}

/// The columns of `spc.csv`: one row per month of each charted series of `trends.csv`,
/// with the series' XmR chart (NHSRplotthedots' `ptd_spc` with its defaults) and the
/// point's special causes.
public enum SPCColumn: String, TableColumn {
    case measure, dimension, group
    case intervalStart = "interval_start"
    case value, centre
    case lowerLimit = "lower_limit", upperLimit = "upper_limit"
    case specialCause = "special_cause"
    case pointType = "point_type"
    case rules
    /// Why the point (or the whole series) is not classified (``Note``); empty otherwise.
    case note
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .measure, .dimension, .group, .intervalStart: .key
        case .value, .centre, .lowerLimit, .upperLimit: .estimate
        case .specialCause, .pointType, .rules, .note, .disclosureControl: .text
        }
    }

    /// The `point_type` values: Making Data Count's variation types of a point.
    public enum PointType: String, CaseIterable, Sendable {
        case commonCause = "common_cause"
        case improvement = "special_cause_improvement"
        case concern = "special_cause_concern"
        case neutral = "special_cause_neutral"
    }

    /// The `rules` values, in the order they are listed (`;`-separated).
    public enum Rule: String, CaseIterable, Sendable {
        /// Above the upper or below the lower process limit.
        case outside
        /// Part of 7 or more consecutive points on one side of the centre.
        case shift
        /// Part of 7 or more consecutive points each higher (or each lower) than the one before.
        case trend
        /// Part of 2 of 3 consecutive points beyond two thirds of the way to a limit (inside it), all 3 on one side.
        case twoOfThree = "two_of_three"
    }

    /// The `note` values.
    public enum Note {
        /// The month's value is empty in trends.csv (suppressed, or no referrals): a gap in the series.
        public static let noValue = "no_value"
        /// The month is partial (the data start or end inside it): shown, not charted.
        public static let partialMonth = "partial_month"
        /// The series has fewer than ``SPCColumn/minimumPoints`` values: not charted.
        public static let shortSeries = "short_series"
        /// The series has enough values but its gaps leave fewer than
        /// ``SPCColumn/minimumMovingRanges`` moving ranges (pairs of consecutive months
        /// both with a value): the limits would rest on too few of them. Not charted.
        public static let tooManyGaps = "too_many_gaps"
        /// Every moving range is 0 (or screened out): no limits, every point common cause.
        public static let noVariation = "no_variation"
        /// A series with a full month withheld by disclosure control (`suppressed` `TRUE`
        /// in trends.csv): not charted.
        ///
        /// A month is withheld because its count is small (1 to the threshold): for a share
        /// its numerator, so mostly a low share; for referrals the count itself. The
        /// withheld months are not missing at random, and a chart of the months left has a
        /// centre and limits biased upward and hides what may be the signals. On the sample
        /// run (`referral-equity`), the non-medical share of all referrals centred on 23.66%
        /// from 39 of 60 months against 19.57% from all 60 exact ones; referrals of an
        /// unknown nation centred on 0 with no variation from 40 months of 0, the 20 withheld
        /// months each holding 1 to 7. A gap by no referrals (`suppressed` `FALSE`) only
        /// breaks the series; with disclosure control off no month is withheld.
        public static let monthsWithheld = "months_withheld"
    }

    /// The fewest values a series needs to be charted.
    public static let minimumPoints = 12
    /// The fewest moving ranges a series needs to be charted: as many as a gapless
    /// series of ``minimumPoints`` values has.
    public static let minimumMovingRanges = minimumPoints - 1
}

/// The columns of `organisations.csv`: per organisation (or parent) and indicator, its
/// share beside the overall share and Public Health England's funnel limits for its
/// denominator.
public enum OrganisationColumn: String, TableColumn {
    case organisationID = "organisation_id"
    case indicator, numerator, denominator, value, overall
    case lower95 = "lower_95", upper95 = "upper_95", lower998 = "lower_998", upper998 = "upper_998"
    case flag
    /// ``Level``: a row for an organisation of the data, or for a parent the lookup names.
    case level
    /// The organisation's name and type from the pipeline's lookup (empty without one).
    case name
    case organisationType = "organisation_type"
    /// The parent's code from the lookup (organisation rows only).
    case parentID = "parent_id"
    /// The crude share's funnel limits widened for overdispersion (FunnelPlotR's
    /// Spiegelhalter method: arcsine-square-root scale, τ² added), and the flag against them.
    case lower95OD = "lower_95_od", upper95OD = "upper_95_od", lower998OD = "lower_998_od", upper998OD = "upper_998_od"
    case flagOD = "flag_od"
    /// Case-mix adjustment (indirect standardisation): the indicator's observed count,
    /// the count the organisation's own mix of strata predicts, and their ratio.
    case observed, expected, isr
    /// The ratio's 95% and 99.8% confidence limits (Byar's method; exact below 10).
    case isrLower95 = "isr_lower_95", isrUpper95 = "isr_upper_95", isrLower998 = "isr_lower_998", isrUpper998 = "isr_upper_998"
    /// PHE's funnel limits for an indirectly standardised ratio at this `expected`, and
    /// where `isr` lies against them.
    case isrFunnelLower95 = "isr_funnel_lower_95", isrFunnelUpper95 = "isr_funnel_upper_95"
    case isrFunnelLower998 = "isr_funnel_lower_998", isrFunnelUpper998 = "isr_funnel_upper_998"
    case isrFlag = "isr_flag"
    /// The ratio's funnel limits widened for overdispersion (log scale, τ² added), and the
    /// flag against them.
    case isrFunnelLower95OD = "isr_funnel_lower_95_od", isrFunnelUpper95OD = "isr_funnel_upper_95_od"
    case isrFunnelLower998OD = "isr_funnel_lower_998_od", isrFunnelUpper998OD = "isr_funnel_upper_998_od"
    case isrFlagOD = "isr_flag_od"
    /// Why `flag` or the limits are empty when the counts are published (``Note``).
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .organisationID, .indicator, .level: .key
        case .numerator, .denominator: .count
        case .value, .overall, .lower95, .upper95, .lower998, .upper998: .estimate
        case .lower95OD, .upper95OD, .lower998OD, .upper998OD, .observed, .expected, .isr: .estimate
        case .isrLower95, .isrUpper95, .isrLower998, .isrUpper998: .estimate
        case .isrFunnelLower95, .isrFunnelUpper95, .isrFunnelLower998, .isrFunnelUpper998: .estimate
        case .isrFunnelLower95OD, .isrFunnelUpper95OD, .isrFunnelLower998OD, .isrFunnelUpper998OD: .estimate
        case .flag, .flagOD, .isrFlag, .isrFlagOD, .name, .organisationType, .parentID, .note, .suppressed, .disclosureControl: .text
        }
    }

    /// The values of `note`, declared once for the table and the report.
    public enum Note {
        /// The published numerator and denominator stand for true counts (rounding to 5)
        /// some of which would flag otherwise, so no flag is given.
        public static let flagWithheldRounding = "flag_withheld_rounding_could_cross_limit"
        /// The overall share is withheld by disclosure control, so there are no limits or flag.
        public static let overallSuppressed = "overall_suppressed"
        /// The published denominator is 0: no share, no limits.
        public static let noReferrals = "no_referrals"
        /// As ``flagWithheldRounding``, for `isr_flag` (and `isr_flag_od`).
        public static let isrFlagWithheldRounding = "isr_flag_withheld_rounding_could_cross_limit"
        /// The organisation's strata expect no events (no organisation has any there): no ratio.
        public static let noExpectedEvents = "no_expected_events"
        /// φ and τ² of the crude shares' funnel could not be estimated (fewer than two
        /// organisations with referrals, three under disclosure control): no overdispersed limits.
        public static let overdispersionNotEstimated = "overdispersion_not_estimated"
        /// The same for the ratios' funnel (also when an organisation with no observed
        /// events stays after truncation: log 0 has no place on the log scale).
        public static let isrOverdispersionNotEstimated = "isr_overdispersion_not_estimated"
        /// The case-mix standard would come from fewer than three organisations with
        /// published counts: `expected` would give back counts disclosure control rounds
        /// (and compare the organisations mostly with themselves), so the case-mix cells are empty.
        public static let caseMixTooFewOrganisations = "case_mix_too_few_organisations"
        /// The pipeline names no case-mix strata (`case_mix: {strata: []}`), or none whose
        /// field the export records: nothing adjusts the ratio, so the case-mix cells are empty.
        public static let caseMixNoStrata = "case_mix_no_strata"
        /// `expected` is below the smallest count the ratio's funnel is drawn at (its
        /// limits would not be numbers): no funnel limits and no flags for the ratio.
        public static let expectedTooSmall = "expected_too_small"
    }

    /// The `indicator` values: shares in percent of the organisation's referrals.
    public enum Indicator: String, CaseIterable, Sendable {
        case nonMedicalShare = "non_medical_share"
        case contactedShare = "contacted_share"
        case interventionShare = "intervention_share"
    }

    /// The `flag` values: where the value lies against the funnel limits.
    public enum Flag: String, CaseIterable, Sendable {
        case above998 = "above_998", above95 = "above_95", within
        case below95 = "below_95", below998 = "below_998"
    }

    /// The `level` values.
    public enum Level: String, CaseIterable, Sendable {
        case organisation, parent
    }
}

/// The columns of `pcn_provision.csv` (England): per primary care network the referrals
/// map to and per workforce census date, link worker provision against registered
/// patients, referrals against both, and the network's deprivation.
public enum ProvisionColumn: String, TableColumn {
    case pcnCode = "pcn_code", pcnName = "pcn_name"
    case censusDate = "census_date"
    /// The days whose referrals are set against the census (inclusive ISO dates).
    case periodStart = "period_start", periodEnd = "period_end"
    case splwFTE = "splw_fte"
    case registeredPatients = "registered_patients"
    /// The registration extract the patients are from (ISO date).
    case patientsExtract = "registered_patients_extract"
    case ftePer50000 = "fte_per_50000"
    case referrals
    case referralsPer1000 = "referrals_per_1000_per_year"
    case referralsPerFTE = "referrals_per_fte_per_year"
    /// The list-size-weighted IMD 2019 score of the network's practices (higher = more deprived).
    case imdScore = "imd_score"
    /// The network's fifth of English networks by that score (1 = most deprived).
    case imdQuintile = "imd_quintile"
    /// Why a value is empty, when it is.
    case note
    case suppressed
    case disclosureControl = "disclosure_control"

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .pcnCode, .censusDate: .key
        case .referrals, .registeredPatients: .count
        case .splwFTE, .ftePer50000, .referralsPer1000, .referralsPerFTE, .imdScore: .estimate
        case .pcnName, .periodStart, .periodEnd, .patientsExtract, .imdQuintile, .note, .suppressed, .disclosureControl: .text
        }
    }
}

/// The columns of `provision_by_deprivation.csv` (England, public data only): link worker
/// FTE per 50,000 registered patients in each fifth of networks by deprivation, and the
/// slope and relative indices of inequality across them, per census date.
public enum ProvisionGradientColumn: String, TableColumn {
    case censusDate = "census_date"
    /// `fte_per_50000` (group: a quintile or `all`), `sii` or `rii` (group `all`).
    case measure, group
    case pcns
    case splwFTE = "splw_fte"
    case registeredPatients = "registered_patients"
    case value
    case ciLow = "ci_low", ciHigh = "ci_high"
    case note

    public var name: String { rawValue }

    public var role: ColumnRole {
        switch self {
        case .censusDate, .measure, .group: .key
        case .pcns, .registeredPatients: .count
        case .splwFTE, .value, .ciLow, .ciHigh: .estimate
        case .note: .text
        }
    }
}
