import SPRXCore

/// A part of a referral that it is counted by: one field of a packed group key.
///
/// The cases are in key order, low bits first. The parts the models look at come first,
/// so a model cell (``GroupKeySchema/modelCellMask``) is the key's low bits and fits the
/// models' 32-bit cell.
public enum GroupAxis: Int, CaseIterable, Sendable, Hashable {
    case ageBand, sex, ethnicity, nation, decile, rurality, routeType, contacted, route, reason, month
    /// The referral's age group of the European Standard Population (19 groups, then
    /// unknown): what age-standardised rates count by, whatever the pipeline's bands.
    case standardAge
    /// Whether the population rates count the referral: its small area is in the
    /// catchment and its date in the rates' period (1); the area is unknown or outside
    /// the catchment (0); a catchment area, but a date outside the period the pipeline
    /// fixes (2).
    case resident

    /// The axes of a referral's demographic pattern (what every table dimension is made of).
    public static let demographic: [GroupAxis] = [.ageBand, .sex, .ethnicity, .nation, .decile, .rurality]
}

/// One published way of grouping referrals: a name, its levels in published order and
/// the key field it reads.
///
/// The name is the one tables (`dimension` column) and models (`term` column) print.
/// A grouping may coarsen its field: `imd_quintile` reads the decile field through
/// ``levelOfField``.
public struct Grouping: Sendable, Hashable {
    public let name: String
    public let levels: [String]
    public let axis: GroupAxis
    /// The grouping's level for each level of the field; `nil` when they are the same.
    public let levelOfField: [UInt8]?

    /// The index of the level meaning "not known": last for every grouping of the
    /// domain's vocabularies, wherever the pipeline lists its `unknown` route, and none
    /// for reasons (a referral without a reason is simply not counted under any).
    public let unknownLevel: Int?

    /// The label of the unknown level, if the grouping has one.
    public var unknownLabel: String? { unknownLevel.map { levels[$0] } }

    init(name: String, levels: [String], axis: GroupAxis, levelOfField: [UInt8]?, unknownLevel: Int?) {
        self.name = name
        self.levels = levels
        self.axis = axis
        self.levelOfField = levelOfField
        self.unknownLevel = unknownLevel
    }

    /// A grouping whose unknown level is its last.
    init(name: String, levels: [String], axis: GroupAxis, levelOfField: [UInt8]?) {
        self.init(name: name, levels: levels, axis: axis, levelOfField: levelOfField, unknownLevel: levels.count - 1)
    }

    /// The published groupings' names, declared once (tables, models, report).
    public enum Name {
        public static let routeType = "route_type", ageBand = "age_band", sex = "sex", ethnicity = "ethnicity"
        public static let imdDecile = "imd_decile", imdQuintile = "imd_quintile", rurality = "rurality", nation = "nation"
        public static let route = "route", reason = "reason"
    }
}

/// A table dimension: one grouping, several crossed (`nation/imd_decile`), or none (`all`).
///
/// Its groups are the product of its groupings' levels, the last grouping varying
/// fastest, labelled with the groupings' labels joined by `/`.
public struct TableDimension: Sendable, Hashable {
    public let name: String
    public let groupings: [Grouping]
    public let groupLabels: [String]

    init(_ groupings: [Grouping]) {
        self.groupings = groupings
        name = Self.name(groupings.map(\.name))
        var labels: [[String]] = [[]]
        for grouping in groupings { labels = labels.flatMap { prefix in grouping.levels.map { prefix + [$0] } } }
        groupLabels = labels.map(Self.groupLabel)
    }

    /// The name and the only group of the dimension without groupings: every referral.
    public static let all = "all"

    /// A dimension's name from its groupings' names (`nation/imd_decile`).
    public static func name(_ groupings: [String]) -> String { groupings.isEmpty ? all : groupings.joined(separator: "/") }

    /// A group's label from its groupings' levels (`Wales/3`).
    public static func groupLabel(_ levels: [String]) -> String { levels.isEmpty ? all : levels.joined(separator: "/") }
}

/// The one declaration of how a referral's groups are packed into a 64-bit key.
///
/// Design note: every count sprx keeps is keyed by a projection of one key built per
/// referral (``key(ageBand:sex:ethnicity:nation:decile:rurality:routeType:contacted:route:month:standardAge:resident:outsidePeriod:)``).
/// Each ``GroupAxis`` has a level count, declared once here (from the domain's
/// vocabularies and the pipeline's age bands, routes and reasons); its width is the
/// fewest bits that hold it and its offset follows the axes before it. Masks, table
/// dimensions, model covariates and their levels are all derived from that, so a new
/// dimension is one more axis and one more grouping, and a pipeline cannot declare more
/// levels than its field holds (the loader refuses a schema that does not fit).
public struct GroupKeySchema: Sendable, Hashable {
    /// Where one axis sits in the key.
    public struct Field: Sendable, Hashable {
        public let shift: UInt64
        public let width: UInt64
        public var mask: UInt64 { (width == 64 ? UInt64.max : (1 << width) - 1) << shift }
    }

    /// Most bits a model cell may take: the models' state packs a cell into 32 bits and
    /// its histogram key puts two flags above the cell (``modelCellMask``).
    public static let modelCellBitLimit: UInt64 = 30

    /// Month levels: months since January of year 0, so years 1-9999 fit.
    public static let monthLevels = 12 * 10_000

    /// Field per axis, by ``GroupAxis`` raw value.
    public let fields: [Field]
    /// Level count per axis, by ``GroupAxis`` raw value.
    public let levelCounts: [Int]
    /// Every grouping a table or a model can use, by name.
    public let groupings: [Grouping]
    /// The dimensions the equity tables publish, in publication order.
    public let tableDimensions: [TableDimension]
    /// Total bits of a full key.
    public let bits: UInt64

    /// Why a pipeline's groups do not fit the key.
    public struct Overflow: Error, Sendable {
        public let message: String
    }

    /// The schema for a pipeline's age bands, routes and reasons.
    ///
    /// - Throws: ``Overflow`` when the key would need more than 64 bits or a model cell
    ///   more than ``modelCellBitLimit``.
    public init(ageBands: [AgeBand], routes: [String], reasons: [String]) throws(Overflow) {
        func count(_ axis: GroupAxis) -> Int {
            switch axis {
            case .ageBand: ageBands.count + 1
            case .sex: Sex.allCases.count
            case .ethnicity: Ethnicity.allCases.count
            case .nation: Nation.allCases.count
            case .decile: Self.unknownDecileLevel + 1
            case .rurality: Rurality.allCases.count
            case .routeType: RouteType.allCases.count
            case .contacted: 2
            case .route: max(1, routes.count)
            case .reason: max(1, reasons.count)
            case .month: Self.monthLevels
            case .standardAge: Self.unknownStandardAgeLevel + 1
            case .resident: 3
            }
        }
        var fields: [Field] = []
        var shift: UInt64 = 0
        for axis in GroupAxis.allCases {
            let levels = count(axis)
            let width = UInt64(max(1, Int.bitWidth - (levels - 1).leadingZeroBitCount))
            fields.append(Field(shift: shift, width: width))
            shift += width
        }
        guard shift <= 64 else {
            throw Overflow(message: "the groups need a \(shift)-bit key and sprx packs them into 64 bits")
        }
        self.fields = fields
        self.levelCounts = GroupAxis.allCases.map(count)
        bits = shift
        let deciles = (1...10).map(String.init) + ["Unknown"]
        typealias Name = Grouping.Name
        let groupings = [
            Grouping(name: Name.routeType, levels: RouteType.allCases.map(\.label), axis: .routeType, levelOfField: nil),
            Grouping(name: Name.ageBand, levels: ageBands.map(\.label) + ["Unknown"], axis: .ageBand, levelOfField: nil),
            Grouping(name: Name.sex, levels: Sex.allCases.map(\.label), axis: .sex, levelOfField: nil),
            Grouping(name: Name.ethnicity, levels: Ethnicity.allCases.map(\.label), axis: .ethnicity, levelOfField: nil),
            Grouping(name: Name.imdDecile, levels: deciles, axis: .decile, levelOfField: nil),
            // Deciles 1-2 are quintile 1, …, 9-10 quintile 5; Unknown stays Unknown.
            Grouping(name: Name.imdQuintile, levels: (1...5).map(String.init) + ["Unknown"], axis: .decile, levelOfField: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]),
            Grouping(name: Name.rurality, levels: Rurality.allCases.map(\.label), axis: .rurality, levelOfField: nil),
            Grouping(name: Name.nation, levels: Nation.allCases.map(\.label), axis: .nation, levelOfField: nil),
            Grouping(name: Name.route, levels: routes, axis: .route, levelOfField: nil, unknownLevel: routes.firstIndex(of: RouteType.unknown.label)),
            Grouping(name: Name.reason, levels: reasons, axis: .reason, levelOfField: nil, unknownLevel: nil),
        ]
        self.groupings = groupings
        func named(_ name: String) -> Grouping { groupings.first { $0.name == name }! }
        tableDimensions = Self.tableDimensionGroupings.map { TableDimension($0.map(named)) }
        guard modelCellMask >> Self.modelCellBitLimit == 0 else {
            throw Overflow(message: "a model cell needs more than \(Self.modelCellBitLimit) bits")
        }
    }

    /// The equity tables' dimensions, in publication order, by their groupings' names.
    /// The equity gradient is each nation's own deciles, never pooled.
    public static let tableDimensionGroupings: [[String]] = [
        [], [Grouping.Name.ageBand], [Grouping.Name.sex], [Grouping.Name.ethnicity], [Grouping.Name.imdDecile], [Grouping.Name.imdQuintile],
        [Grouping.Name.rurality], [Grouping.Name.nation], [Grouping.Name.nation, Grouping.Name.imdQuintile],
        [Grouping.Name.nation, Grouping.Name.imdDecile],
    ]

    /// The schema of a validated pipeline.
    public init(pipeline: PipelineConfiguration) throws(Overflow) {
        try self.init(ageBands: pipeline.enrich.ageBands, routes: pipeline.routes.map(\.id), reasons: pipeline.reasons.map(\.id))
    }

    /// Where an axis sits.
    @inlinable public func field(_ axis: GroupAxis) -> Field { fields[axis.rawValue] }

    /// The bits of the given axes.
    public func mask(_ axes: [GroupAxis]) -> UInt64 { axes.reduce(0) { $0 | field($1).mask } }

    /// The bits of a referral's demographic pattern.
    public var demographicMask: UInt64 { mask(GroupAxis.demographic) }
    /// The bits of a model cell: the pattern, the route type and the contact flag.
    public var modelCellMask: UInt64 { mask(GroupAxis.demographic + [.routeType, .contacted]) }

    /// An axis's level in a key.
    @inlinable public func level(_ axis: GroupAxis, of key: UInt64) -> Int {
        let f = fields[axis.rawValue]
        return Int((key >> f.shift) & ((1 << f.width) - 1))
    }

    /// A key with one axis set to a level (other axes as in `key`).
    @inlinable public func setting(_ axis: GroupAxis, to level: Int, in key: UInt64) -> UInt64 {
        let f = fields[axis.rawValue]
        return key & ~f.mask | UInt64(level) << f.shift
    }

    /// A grouping's level in a key.
    @inlinable public func level(_ grouping: Grouping, of key: UInt64) -> Int {
        let level = self.level(grouping.axis, of: key)
        return grouping.levelOfField.map { Int($0[level]) } ?? level
    }

    /// A table dimension's group (index into its ``TableDimension/groupLabels``) for a key.
    public func group(_ dimension: TableDimension, of key: UInt64) -> Int {
        var group = 0
        for grouping in dimension.groupings { group = group * grouping.levels.count + level(grouping, of: key) }
        return group
    }

    /// The grouping with this name (a ``ModelCovariate`` raw value, a table dimension part).
    public func grouping(named name: String) -> Grouping? { groupings.first { $0.name == name } }

    /// The decile field's level for a within-nation decile 1-10, or 0 for unknown.
    @inlinable public static func decileLevel(_ decile: UInt8) -> UInt64 { decile == 0 ? UInt64(unknownDecileLevel) : UInt64(decile) - 1 }

    /// The decile field's level for unknown: after deciles 1-10.
    public static let unknownDecileLevel = 10

    /// The resident field's levels (``GroupAxis/resident``).
    public static let residentCounted = 1, residentOutsidePeriod = 2

    /// The standard-age field's level for unknown: after the standard's age groups.
    public static var unknownStandardAgeLevel: Int { EuropeanStandardPopulation.groupCount }

    /// The month field's level for a date.
    @inlinable public static func monthLevel(_ day: Day) -> UInt64 {
        let (year, month, _) = day.components
        return UInt64(year * 12 + month - 1)
    }

    /// `YYYY-MM` for a month level.
    public static func monthLabel(_ level: Int) -> String {
        let year = String(level / 12), month = String(level % 12 + 1)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + (month.count == 1 ? "0" : "") + month
    }

    /// The full key of one referral.
    ///
    /// `ageBand` is the band index (the band count for unknown), `decile` 1-10 or 0 for
    /// unknown, `route` the route index, `standardAge` the European Standard Population
    /// group (``unknownStandardAgeLevel`` for unknown). Runs per referral: no allocation.
    @inlinable public func key(
        ageBand: UInt8, sex: Sex, ethnicity: Ethnicity, nation: Nation, decile: UInt8, rurality: Rurality, routeType: RouteType,
        contacted: Bool, route: UInt8, month: UInt64, standardAge: UInt8 = UInt8(GroupKeySchema.unknownStandardAgeLevel),
        resident: Bool = false, outsidePeriod: Bool = false
    ) -> UInt64 {
        assert(Int(ageBand) < levelCounts[GroupAxis.ageBand.rawValue] && Int(route) < levelCounts[GroupAxis.route.rawValue])
        assert(decile <= 10 && month < UInt64(Self.monthLevels) && Int(standardAge) <= Self.unknownStandardAgeLevel)
        return fields.withUnsafeBufferPointer { f in
            UInt64(ageBand) << f[GroupAxis.ageBand.rawValue].shift
                | UInt64(sex.rawValue) << f[GroupAxis.sex.rawValue].shift
                | UInt64(ethnicity.rawValue) << f[GroupAxis.ethnicity.rawValue].shift
                | UInt64(nation.rawValue) << f[GroupAxis.nation.rawValue].shift
                | Self.decileLevel(decile) << f[GroupAxis.decile.rawValue].shift
                | UInt64(rurality.rawValue) << f[GroupAxis.rurality.rawValue].shift
                | UInt64(routeType.rawValue) << f[GroupAxis.routeType.rawValue].shift
                | (contacted ? 1 : 0) << f[GroupAxis.contacted.rawValue].shift
                | UInt64(route) << f[GroupAxis.route.rawValue].shift
                | month << f[GroupAxis.month.rawValue].shift
                | UInt64(standardAge) << f[GroupAxis.standardAge.rawValue].shift
                | (resident ? (outsidePeriod ? 2 : 1) : 0) << f[GroupAxis.resident.rawValue].shift
        }
    }

    /// A one-line description of the layout and the levels it packs (`ageBand:2@0/3
    /// sex:2@2/4 … levels:9f3a…`: width@offset/level count per axis, then the first 16 hex
    /// digits of the SHA-256 of every grouping's labels), stored with serialised counts: two states merge only when it
    /// is equal, so shards of pipelines that list routes or bands differently never do.
    public var layoutDescription: String {
        let fields = GroupAxis.allCases.map { "\($0):\(field($0).width)@\(field($0).shift)/\(levelCounts[$0.rawValue])" }
        // Every grouping's name and labels, each ended by a unit separator (0x1F).
        let labels = groupings.flatMap { [$0.name] + $0.levels }.map { $0 + "\u{1F}" }.joined()
        return (fields + ["levels:" + SHA256.hex(of: Array(labels.utf8)).prefix(16)]).joined(separator: " ")
    }
}

