/// A categorical dimension a pipeline declares (`dimensions:`): a column of the export
/// whose labels map to levels, published and modelled like the built-in dimensions.
///
/// ```yaml
/// dimensions:
///   disability:
///     title: "Disability"
///     column: [disability, "Disability status"]
///     levels:
///       "Yes": ["Y", "Yes", "Disabled"]
///       "No": ["N", "No"]
///     unknown: ["", "Unknown", "Not stated"]
///     tables: true
///     model: false
/// ```
///
/// The schema (``GroupKeySchema``) gives it an axis and a grouping of its own; its levels
/// are published in declaration order, then ``unknownLabel``. A value that is empty or
/// one of ``unknownValues`` is Unknown; any other value no level lists is Unknown too,
/// and counted as unmapped (never guessed, never quarantined).
public struct DeclaredDimension: Sendable, Hashable {
    /// The published name: `dimension` in the tables, `term` in `models.csv`.
    public var name: String
    /// What the report calls it.
    public var title: String
    /// Header names (matched as a mapped field's are: case-insensitive, trimmed).
    public var columns: [String]
    /// The levels in published order, each with the labels that mean it.
    public var levels: [Level]
    /// Values that mean "not known" (matched as labels are).
    public var unknownValues: [String]
    /// Whether the route, reason, pathway and trend tables publish it.
    public var tables: Bool
    /// Whether models may adjust for it (a covariate of the `models` section).
    public var model: Bool

    /// One level: the label tables print and the export's labels that mean it.
    public struct Level: Sendable, Hashable {
        public var label: String
        public var values: [String]
        public init(label: String, values: [String]) {
            self.label = label
            self.values = values
        }
    }

    public init(name: String, title: String, columns: [String], levels: [Level], unknownValues: [String] = [], tables: Bool = true, model: Bool = false) {
        self.name = name
        self.title = title
        self.columns = columns
        self.levels = levels
        self.unknownValues = unknownValues
        self.tables = tables
        self.model = model
    }

    /// The label of every declared dimension's last level: the referrals whose value is
    /// not known, as for the built-in dimensions.
    public static let unknownLabel = "Unknown"
}

/// A named group of referral reasons (`reason_groups:`): the route and pathway tables
/// publish shares per group, a referral counted in every group one of its reasons is in.
public struct ReasonGroup: Sendable, Hashable {
    /// The group's name: a `group` of the tables' `reason_group` dimension.
    public var name: String
    /// Indices into ``PipelineConfiguration/reasons``.
    public var reasons: [Int]
    public init(name: String, reasons: [Int]) {
        self.name = name
        self.reasons = reasons
    }

    /// The bit set of the group's reasons (as ``ReferralRecord``'s `reasons`).
    public var reasonMask: UInt32 { reasons.reduce(0) { $0 | 1 << UInt32($1) } }

    /// The dimension name of the reason-group rows.
    public static let dimension = "reason_group"
}

/// A field whose values are looked up in the pipeline's label lists, so can hold a label
/// no list names (an unmapped label): a canonical field or a declared dimension's column.
///
/// Named as `data_quality.csv` and `unmapped_labels.csv` name it: the canonical field's
/// name, or the dimension's.
public struct LabelledField: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let name: String

    public init(_ field: CanonicalField) { name = field.rawValue }
    public init(_ dimension: DeclaredDimension) { name = dimension.name }
    /// The declared dimension of this name (as a gate or a table names it).
    public init(dimensionNamed name: String) { self.name = name }

    /// The canonical fields whose values are labels, in publication order.
    public static let canonical: [LabelledField] = [.sex, .ethnicity, .referralSource, .referralReasons, .contacted]
    public static let sex = LabelledField(.sex), ethnicity = LabelledField(.ethnicity), referralSource = LabelledField(.referralSource)
    public static let referralReasons = LabelledField(.referralReasons), contacted = LabelledField(.contacted)

    /// Every labelled field of a pipeline, in publication order: the canonical ones, then
    /// its declared dimensions.
    public static func all(of pipeline: PipelineConfiguration) -> [LabelledField] { canonical + pipeline.dimensions.map(LabelledField.init) }

    /// The canonical field of this name, `nil` for a declared dimension.
    public var canonicalField: CanonicalField? { CanonicalField(rawValue: name) }

    /// Where the pipeline lists this field's labels, as a person adding one reads it.
    public var pipelineList: String {
        switch canonicalField {
        case .referralSource: "the labels of a route under routes:"
        case .referralReasons: "a reason's list under reasons:"
        case nil: "a level's list under dimensions: \(name): levels: (or its unknown: list, for a value meaning not known)"
        default: "labels: \(name):"
        }
    }

    public var description: String { name }
    public static func < (a: LabelledField, b: LabelledField) -> Bool { a.name < b.name }
}
