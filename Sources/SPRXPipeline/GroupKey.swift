import SPRXCore

/// A part of a referral that it is counted by: one field of a packed group key.
///
/// The built-in axes are the static members, in ``builtIn`` order; each dimension a
/// pipeline declares (``DeclaredDimension``) gets one more, ``declared(_:)``. Where an
/// axis sits in the key is the schema's business (``GroupKeySchema/field(_:)``), never
/// the axis's: the index only names it.
public struct GroupAxis: Hashable, Sendable, CustomStringConvertible {
    /// Built-in axes first (``builtIn`` order), then declared dimensions in pipeline order.
    public let index: Int

    init(_ index: Int) { self.index = index }

    public static let ageBand = GroupAxis(0), sex = GroupAxis(1), ethnicity = GroupAxis(2), nation = GroupAxis(3), decile = GroupAxis(4)
    public static let rurality = GroupAxis(5), routeType = GroupAxis(6), contacted = GroupAxis(7), route = GroupAxis(8), reason = GroupAxis(9)
    public static let month = GroupAxis(10)
    /// The referral's age group of the European Standard Population (19 groups, then
    /// unknown): what age-standardised rates count by, whatever the pipeline's bands.
    public static let standardAge = GroupAxis(11)
    /// Whether the population rates count the referral: its small area is in the
    /// catchment and its date in the rates' period (1); the area is unknown or outside
    /// the catchment (0); a catchment area, but a date outside the period the pipeline
    /// fixes (2).
    public static let resident = GroupAxis(12)

    /// The built-in axes' names, by index (the key layout's description prints them).
    static let builtInNames = [
        "ageBand", "sex", "ethnicity", "nation", "decile", "rurality", "routeType", "contacted", "route", "reason", "month", "standardAge", "resident",
    ]

    /// Every built-in axis, by index.
    public static let builtIn: [GroupAxis] = builtInNames.indices.map(GroupAxis.init)

    /// The axis of the pipeline's `n`th declared dimension.
    public static func declared(_ n: Int) -> GroupAxis { GroupAxis(builtIn.count + n) }

    /// Which declared dimension this axis is (its position in the pipeline), or `nil` for a built-in axis.
    public var declaredIndex: Int? { index >= Self.builtIn.count ? index - Self.builtIn.count : nil }

    public var description: String { declaredIndex.map { "declared\($0)" } ?? Self.builtInNames[index] }

    /// The built-in axes of a referral's demographic pattern; a schema adds its declared
    /// dimensions (``GroupKeySchema/demographicAxes``).
    public static let demographic: [GroupAxis] = [.ageBand, .sex, .ethnicity, .nation, .decile, .rurality]
}

/// One published way of grouping referrals: a name, its levels in published order and
/// the key field it reads.
///
/// The name is the one tables (`dimension` column) and models (`term` column) print.
/// A grouping may coarsen its field: `imd_quintile` reads the decile field through
/// ``levelOfField``. The built-in groupings are declared once, in
/// ``GroupKeySchema/builtInGroupings(ageBands:routes:reasons:)``; a pipeline's
/// ``DeclaredDimension`` becomes a grouping of the same kind.
public struct Grouping: Sendable, Hashable {
    public let name: String
    /// What the report calls it ("Age band", or a declared dimension's `title`).
    public let title: String
    public let levels: [String]
    public let axis: GroupAxis
    /// The grouping's level for each level of the field; `nil` when they are the same.
    public let levelOfField: [UInt8]?

    /// The index of the level meaning "not known": last for every grouping of the
    /// domain's vocabularies, wherever the pipeline lists its `unknown` route, and none
    /// for reasons (a referral without a reason is simply not counted under any).
    public let unknownLevel: Int?

    /// Where the grouping is published and used.
    public let uses: Uses

    /// Where a grouping is published and used.
    public struct Uses: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// A dimension of its own in the route, reason and pathway tables.
        public static let tables = Uses(rawValue: 1)
        /// A dimension of `trends.csv` (a declared dimension; the built-in ones are
        /// ``GroupKeySchema/BuiltInGroupings/trendDimensions``, in their order).
        public static let trends = Uses(rawValue: 2)
        /// Kept in the models' cells, so a model can adjust for it.
        public static let model = Uses(rawValue: 4)
    }

    /// The label of the unknown level, if the grouping has one.
    public var unknownLabel: String? { unknownLevel.map { levels[$0] } }

    init(name: String, title: String, levels: [String], axis: GroupAxis, levelOfField: [UInt8]? = nil, unknownLevel: Int?, uses: Uses) {
        self.name = name
        self.title = title
        self.levels = levels
        self.axis = axis
        self.levelOfField = levelOfField
        self.unknownLevel = unknownLevel
        self.uses = uses
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

/// A table of counts the aggregation keeps, named by what it is for; each keeps the
/// parts of the key ``GroupKeySchema/axes(of:)`` says, and nothing may read another.
public enum CountTable: String, Sendable, CaseIterable {
    /// Outcomes by demographic pattern and route: the equity tables.
    case outcomes
    /// Reasons by demographic pattern: the reasons table.
    case reasons
    /// Outcomes by month, route and the trends' dimensions.
    case months
    /// The population rates' numerators by nation, decile, rurality and standard age group.
    case residents
    /// The population rates' numerators by nation and the pipeline's age bands.
    case residentBands
    /// The models' cells: the covariates they may adjust for, route type and contact.
    case modelCells
    /// Outcomes by reason group and route: a referral counted in each group it is in.
    case reasonGroups
    /// Outcomes by organisation and case-mix stratum: the expected counts of the
    /// organisations' indirectly standardised ratios.
    case caseMix
}

/// The one declaration of how a referral's groups are packed into a 64-bit key.
///
/// Design note: every count sprx keeps is keyed by a projection of one key built per
/// referral (``key(ageBand:sex:ethnicity:nation:decile:rurality:routeType:contacted:route:month:standardAge:resident:outsidePeriod:)``,
/// or'd with the declared dimensions' bits). Each ``GroupAxis`` has a level count,
/// declared once here (from the domain's vocabularies, the pipeline's age bands, routes
/// and reasons, and its declared dimensions); its width is the fewest bits that hold it
/// and its offset follows the axes before it in ``layoutOrder``. Masks, table and trend
/// dimensions, model covariates and their levels are all derived from the groupings
/// (``builtInGroupings(ageBands:routes:reasons:)`` and the declared ones), and which
/// parts each count keeps (``axes(of:)``) from what reads it, checked when the schema is
/// made (``check(reads:from:)``): a declared dimension is one declaration in the pipeline,
/// and a pipeline cannot declare more levels than the key holds (the loader refuses a
/// schema that does not fit, naming the dimensions that do not).
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

    /// Field per axis, by ``GroupAxis/index``.
    public let fields: [Field]
    /// Level count per axis, by ``GroupAxis/index``.
    public let levelCounts: [Int]
    /// Every grouping a table or a model can use: the built-in ones, then the declared.
    public let groupings: [Grouping]
    /// The dimensions the pipeline declares, in its order (axis ``GroupAxis/declared(_:)``).
    public let declared: [DeclaredDimension]
    /// The dimensions the equity tables publish, in publication order.
    public let tableDimensions: [TableDimension]
    /// The pipeline's reason groups: a dimension of the route and pathway tables that is
    /// not a field of the key (a referral may be in several), counted on its own
    /// (``CountTable/reasonGroups``).
    public let reasonGroups: [ReasonGroup]
    /// The groupings of `trends.csv`'s dimensions after `all`, in publication order.
    public let trendGroupings: [Grouping]
    /// Total bits of a full key.
    public let bits: UInt64
    /// The groupings an organisation's case mix is stratified by (`case_mix.strata`),
    /// in the pipeline's order: ``defaultCaseMixStrata`` unless the pipeline names others
    /// (``settingCaseMix(_:)``).
    public private(set) var caseMixStrata: [Grouping] = []

    /// Why a pipeline's groups do not fit the key, or a count is read by a part it does not keep.
    public struct Overflow: Error, Sendable {
        public let message: String
    }

    /// Every axis of the schema in key order, low bits first: the demographic pattern,
    /// the declared dimensions models may adjust for, route type and contact (so a model
    /// cell is the key's low bits), the other declared dimensions, then the rest.
    public let layoutOrder: [GroupAxis]

    /// The schema for a pipeline's age bands, routes, reasons and declared dimensions.
    ///
    /// - Throws: ``Overflow`` when the key would need more than 64 bits or a model cell
    ///   more than ``modelCellBitLimit`` (naming the declared dimensions that do not fit).
    public init(
        ageBands: [AgeBand], routes: [String], reasons: [String], declared: [DeclaredDimension] = [], reasonGroups: [ReasonGroup] = []
    ) throws(Overflow) {
        self.declared = declared
        self.reasonGroups = reasonGroups
        let declaredAxes = declared.indices.map(GroupAxis.declared)
        let modelDeclared = declared.indices.filter { declared[$0].model }.map(GroupAxis.declared)
        let otherDeclared = declared.indices.filter { !declared[$0].model }.map(GroupAxis.declared)
        layoutOrder =
            GroupAxis.demographic + modelDeclared + [.routeType, .contacted] + otherDeclared
            + [.route, .reason, .month, .standardAge, .resident]
        assert(layoutOrder.count == GroupAxis.builtIn.count + declaredAxes.count)
        func count(_ axis: GroupAxis) -> Int {
            if let n = axis.declaredIndex { return declared[n].levels.count + 1 }
            switch axis {
            case .ageBand: return ageBands.count + 1
            case .sex: return Sex.allCases.count
            case .ethnicity: return Ethnicity.allCases.count
            case .nation: return Nation.allCases.count
            case .decile: return Self.unknownDecileLevel + 1
            case .rurality: return Rurality.allCases.count
            case .routeType: return RouteType.allCases.count
            case .contacted: return 2
            case .route: return max(1, routes.count)
            case .reason: return max(1, reasons.count)
            case .month: return Self.monthLevels
            case .standardAge: return Self.unknownStandardAgeLevel + 1
            default: return Self.residentLevels  // .resident, the last built-in axis
            }
        }
        let axisCount = layoutOrder.count
        var fields = [Field](repeating: Field(shift: 0, width: 0), count: axisCount)
        var levelCounts = [Int](repeating: 0, count: axisCount)
        var shift: UInt64 = 0
        for axis in layoutOrder {
            let levels = count(axis)
            let width = UInt64(max(1, Int.bitWidth - (levels - 1).leadingZeroBitCount))
            fields[axis.index] = Field(shift: shift, width: width)
            levelCounts[axis.index] = levels
            shift += width
        }
        self.fields = fields
        self.levelCounts = levelCounts
        bits = shift
        if shift > 64 {
            let builtInBits = GroupAxis.builtIn.reduce(UInt64(0)) { $0 + fields[$1.index].width }
            var left = 64 - Int(builtInBits)
            var misfits: [String] = []
            for (n, dimension) in declared.enumerated() {
                let width = Int(fields[GroupAxis.declared(n).index].width)
                if width <= left { left -= width } else { misfits.append("\(dimension.name) (\(width) bits for \(dimension.levels.count + 1) levels)") }
            }
            // At most ten named: a pipeline with thousands would make a line nobody reads.
            let named = misfits.prefix(10).joined(separator: ", ") + (misfits.count > 10 ? " and \(misfits.count - 10) more" : "")
            throw Overflow(
                message:
                    "the groups need a \(shift)-bit key and sprx packs them into 64 bits: the built-in groups take \(builtInBits), which leaves \(64 - Int(builtInBits)) for declared dimensions, and these do not fit: \(named); declare fewer dimensions or fewer levels"
            )
        }
        let builtIn = Self.builtIns(ageBands: ageBands, routes: routes, reasons: reasons)
        let groupings =
            builtIn.all
            + declared.enumerated().map { n, dimension in
                Grouping(
                    name: dimension.name, title: dimension.title, levels: dimension.levels.map(\.label) + [DeclaredDimension.unknownLabel],
                    axis: .declared(n), unknownLevel: dimension.levels.count,
                    uses: (dimension.tables ? [.tables, .trends] : Grouping.Uses()).union(dimension.model ? .model : []))
            }
        self.groupings = groupings
        tableDimensions =
            [TableDimension([])] + groupings.filter { $0.uses.contains(.tables) && $0.axis.declaredIndex == nil }.map { TableDimension([$0]) }
            + builtIn.crossedTableDimensions.map(TableDimension.init)
            + groupings.filter { $0.uses.contains(.tables) && $0.axis.declaredIndex != nil }.map { TableDimension([$0]) }
        trendGroupings = builtIn.trendDimensions + groupings.filter { $0.uses.contains(.trends) && $0.axis.declaredIndex != nil }
        guard mask(modelCellAxes) >> Self.modelCellBitLimit == 0 else {
            throw Overflow(
                message:
                    "a model cell needs more than \(Self.modelCellBitLimit) bits; declare fewer levels for the dimensions with `model: true` (\(declared.filter(\.model).map(\.name).joined(separator: ", ")))"
            )
        }
        caseMixStrata = builtIn.defaultCaseMixStrata
        for table in CountTable.allCases { try check(reads: readers(of: table), from: table) }
    }

    /// The case-mix strata when a pipeline names none: age band × sex × deprivation
    /// quintile × nation.
    public static let defaultCaseMixStrata = builtIns(ageBands: [], routes: [], reasons: []).defaultCaseMixStrata.map(\.name)

    /// Most bits a case-mix stratum may take: the organisation tables key a stratum in
    /// the low 32 bits of an organisation key.
    public static let caseMixBitLimit = 32

    /// The groupings that may stratify case mix: what describes the person referred and
    /// their area (the demographic groupings and declared dimensions), never the route,
    /// reason or date.
    public var caseMixGroupings: [Grouping] {
        let demographic = Set(demographicAxes.map(\.index))
        return groupings.filter { demographic.contains($0.axis.index) }
    }

    /// The bits a stratum of `strata` takes: each grouping's levels (unknown among them)
    /// in the fewest bits that hold them.
    public static func caseMixBits(_ strata: [Grouping]) -> Int {
        strata.reduce(0) { $0 + max(1, Int.bitWidth - ($1.levels.count - 1).leadingZeroBitCount) }
    }

    /// Why `names` cannot stratify case mix, or `nil` when they can: each must be a
    /// grouping of ``caseMixGroupings``, each field read once (not `imd_decile` and
    /// `imd_quintile` together), and a stratum must fit ``caseMixBitLimit`` bits.
    public func caseMixProblem(_ names: [String]) -> String? {
        let valid = "groupings from \(caseMixGroupings.map(\.name).joined(separator: ", "))"
        var chosen: [Grouping] = []
        for name in names {
            guard let grouping = caseMixGroupings.first(where: { $0.name == name }) else { return "\(valid) (unknown or not a case-mix grouping: '\(name)')" }
            // A coarsened grouping's level map is packed 4 bits a field level (ReferralCounts.Projection.StratumField).
            if let map = grouping.levelOfField, map.count > 16 || map.contains(where: { $0 > 15 }) {
                return "\(valid) ('\(name)' coarsens a field of more than 16 levels)"
            }
            guard !chosen.contains(where: { $0.axis == grouping.axis }) else {
                return "\(valid), each field once ('\(name)' repeats \(chosen.first { $0.axis == grouping.axis }?.name ?? name))"
            }
            chosen.append(grouping)
        }
        let bits = Self.caseMixBits(chosen)
        guard bits <= Self.caseMixBitLimit else {
            return "\(valid) whose levels fit \(Self.caseMixBitLimit) bits (these need \(bits)); name fewer or coarser groupings"
        }
        return nil
    }

    /// This schema with case mix stratified by the groupings `names` (checked by
    /// ``caseMixProblem(_:)``; an empty list means one stratum, the crude comparison).
    public func settingCaseMix(_ names: [String]) throws(Overflow) -> GroupKeySchema {
        if let problem = caseMixProblem(names) { throw Overflow(message: problem) }
        var schema = self
        // safe: caseMixProblem found each name among the groupings
        schema.caseMixStrata = names.map { name in caseMixGroupings.first { $0.name == name }! }
        try schema.check(reads: schema.readers(of: .caseMix), from: .caseMix)
        return schema
    }

    /// The levels of the resident axis (``GroupAxis/resident``).
    static let residentLevels = 3

    /// The built-in groupings, each held as a value (never looked up by name), and the
    /// tables and trends they make.
    struct BuiltInGroupings {
        let routeType: Grouping
        let ageBand: Grouping
        let sex: Grouping
        let ethnicity: Grouping
        let imdDecile: Grouping
        let imdQuintile: Grouping
        let rurality: Grouping
        let nation: Grouping
        let route: Grouping
        let reason: Grouping

        /// Every built-in grouping, in table order.
        var all: [Grouping] { [routeType, ageBand, sex, ethnicity, imdDecile, imdQuintile, rurality, nation, route, reason] }

        /// The built-in dimensions of `trends.csv` after `all`, in publication order (each
        /// marked ``Grouping/Uses/trends``); declared dimensions follow.
        var trendDimensions: [Grouping] { [routeType, nation, imdQuintile] }

        /// The crossed dimensions of the equity tables, after the single built-in ones: the
        /// equity gradient within each nation, by its own quintiles and deciles.
        var crossedTableDimensions: [[Grouping]] { [[nation, imdQuintile], [nation, imdDecile]] }

        /// The case-mix strata when a pipeline names none (``GroupKeySchema/defaultCaseMixStrata``).
        var defaultCaseMixStrata: [Grouping] { [ageBand, sex, imdQuintile, nation] }
    }

    /// The built-in groupings in table order (``BuiltInGroupings/all``).
    static func builtInGroupings(ageBands: [AgeBand], routes: [String], reasons: [String]) -> [Grouping] {
        builtIns(ageBands: ageBands, routes: routes, reasons: reasons).all
    }

    /// The built-in groupings, declared once: name, title, levels, field and where each
    /// is published. Route and reason are the tables' categories, not dimensions; the
    /// equity gradient is each nation's own deciles, never pooled.
    static func builtIns(ageBands: [AgeBand], routes: [String], reasons: [String]) -> BuiltInGroupings {
        typealias Name = Grouping.Name
        let deciles = (1...10).map(String.init) + ["Unknown"]
        let ages = ageBands.map(\.label) + ["Unknown"]
        let quintiles = (1...5).map(String.init) + ["Unknown"]
        /// A vocabulary's labels, its unknown level last.
        func lastUnknown(_ labels: [String]) -> Int { labels.count - 1 }
        return BuiltInGroupings(
            routeType: Grouping(
                name: Name.routeType, title: "Route type", levels: RouteType.allCases.map(\.label), axis: .routeType,
                unknownLevel: RouteType.allCases.count - 1, uses: [.model]),
            ageBand: Grouping(name: Name.ageBand, title: "Age band", levels: ages, axis: .ageBand, unknownLevel: lastUnknown(ages), uses: [.tables, .model]),
            sex: Grouping(
                name: Name.sex, title: "Sex", levels: Sex.allCases.map(\.label), axis: .sex, unknownLevel: Sex.allCases.count - 1, uses: [.tables, .model]),
            ethnicity: Grouping(
                name: Name.ethnicity, title: "Ethnicity", levels: Ethnicity.allCases.map(\.label), axis: .ethnicity,
                unknownLevel: Ethnicity.allCases.count - 1, uses: [.tables, .model]),
            imdDecile: Grouping(
                name: Name.imdDecile, title: "Deprivation decile (each nation's own index)", levels: deciles, axis: .decile,
                unknownLevel: lastUnknown(deciles), uses: [.tables, .model]),
            // Deciles 1-2 are quintile 1, …, 9-10 quintile 5; Unknown stays Unknown.
            imdQuintile: Grouping(
                name: Name.imdQuintile, title: "Deprivation quintile (each nation's own index)", levels: quintiles, axis: .decile,
                levelOfField: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5], unknownLevel: lastUnknown(quintiles), uses: [.tables, .model]),
            rurality: Grouping(
                name: Name.rurality, title: "Rurality", levels: Rurality.allCases.map(\.label), axis: .rurality,
                unknownLevel: Rurality.allCases.count - 1, uses: [.tables, .model]),
            nation: Grouping(
                name: Name.nation, title: "Nation", levels: Nation.allCases.map(\.label), axis: .nation, unknownLevel: Nation.allCases.count - 1,
                uses: [.tables, .model]),
            route: Grouping(
                name: Name.route, title: "Route", levels: routes, axis: .route, unknownLevel: routes.firstIndex(of: RouteType.unknown.label), uses: []),
            reason: Grouping(name: Name.reason, title: "Reason", levels: reasons, axis: .reason, unknownLevel: nil, uses: []))
    }

    /// The axes a referral's demographic pattern is made of: the built-in ones and every
    /// declared dimension (one the tables do not publish is kept too, so its unknowns are
    /// counted exactly for the quality gates and the run's summary).
    public var demographicAxes: [GroupAxis] { GroupAxis.demographic + declared.indices.map(GroupAxis.declared) }

    /// The axes of a model cell: every axis a model covariate may read (the built-in
    /// demographic pattern, declared dimensions with `model: true`), route type and contact.
    public var modelCellAxes: [GroupAxis] {
        GroupAxis.demographic + groupings.filter { $0.axis.declaredIndex != nil && $0.uses.contains(.model) }.map(\.axis) + [.routeType, .contacted]
    }

    /// The parts of the key a count keeps: what its readers need, and no more.
    public func axes(of table: CountTable) -> [GroupAxis] {
        switch table {
        case .outcomes: demographicAxes + [.route]
        case .reasons: demographicAxes + [.reason]
        // The route type is the route's: keeping it adds no cells.
        case .months: [.month, .route, .routeType] + trendGroupings.map(\.axis).filter { $0 != .routeType }
        case .residents: [.nation, .decile, .rurality, .standardAge, .resident]
        case .residentBands: [.nation, .ageBand, .resident]
        case .modelCells: modelCellAxes
        case .reasonGroups: [.route]
        case .caseMix: caseMixStrata.map(\.axis)
        }
    }

    /// The groupings each count is read by: the equity tables' dimensions (outcomes and
    /// reasons), the trends' (months), the rates' (residents by nation, deprivation and
    /// rurality; resident bands by nation and age band) and every grouping a model may
    /// adjust for (model cells).
    func readers(of table: CountTable) -> [Grouping] {
        switch table {
        case .outcomes, .reasons: tableDimensions.flatMap(\.groupings)
        case .months: trendGroupings
        case .residents: [Grouping.Name.nation, Grouping.Name.imdDecile, Grouping.Name.imdQuintile, Grouping.Name.rurality].compactMap(grouping(named:))
        case .residentBands: [Grouping.Name.nation, Grouping.Name.ageBand].compactMap(grouping(named:))
        case .modelCells: groupings.filter { $0.uses.contains(.model) }
        case .reasonGroups: []
        case .caseMix: caseMixStrata
        }
    }

    /// Checks that a count keeps every part its readers read.
    ///
    /// - Throws: ``Overflow`` naming the groupings whose field the count drops: reading
    ///   them would put every referral under level 0.
    public func check(reads groupings: [Grouping], from table: CountTable) throws(Overflow) {
        let kept = Set(axes(of: table).map(\.index))
        let unkept = groupings.filter { !kept.contains($0.axis.index) }
        guard unkept.isEmpty else {
            throw Overflow(message: "the \(table.rawValue) counts do not keep \(unkept.map(\.name).joined(separator: ", ")), so nothing may read them by it")
        }
    }

    /// The schema of a validated pipeline.
    public init(pipeline: PipelineConfiguration) throws(Overflow) {
        try self.init(
            ageBands: pipeline.enrich.ageBands, routes: pipeline.routes.map(\.id), reasons: pipeline.reasons.map(\.id), declared: pipeline.dimensions,
            reasonGroups: pipeline.reasonGroups)
        self = try settingCaseMix(pipeline.caseMixStrata)
    }

    /// Where an axis sits.
    @inlinable public func field(_ axis: GroupAxis) -> Field { fields[axis.index] }

    /// Whether every axis's level in `key` is one of its levels (a key read from outside).
    public func levelsAreValid(_ key: UInt64) -> Bool {
        for (index, field) in fields.enumerated() where field.width > 0 {
            let level = (key >> field.shift) & (field.width >= 64 ? UInt64.max : (1 << field.width) - 1)
            if level >= UInt64(levelCounts[index]) { return false }
        }
        return true
    }

    /// The bits of the given axes.
    public func mask(_ axes: [GroupAxis]) -> UInt64 { axes.reduce(0) { $0 | field($1).mask } }

    /// The bits of a referral's demographic pattern.
    public var demographicMask: UInt64 { mask(demographicAxes) }
    /// The bits of a model cell: the covariates' fields, the route type and the contact flag.
    public var modelCellMask: UInt64 { mask(modelCellAxes) }

    /// An axis's level in a key.
    @inlinable public func level(_ axis: GroupAxis, of key: UInt64) -> Int {
        let f = fields[axis.index]
        return Int((key >> f.shift) & ((1 << f.width) - 1))
    }

    /// A key with one axis set to a level (other axes as in `key`).
    @inlinable public func setting(_ axis: GroupAxis, to level: Int, in key: UInt64) -> UInt64 {
        let f = fields[axis.index]
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
        assert(Int(ageBand) < levelCounts[GroupAxis.ageBand.index] && Int(route) < levelCounts[GroupAxis.route.index])
        assert(decile <= 10 && month < UInt64(Self.monthLevels) && Int(standardAge) <= Self.unknownStandardAgeLevel)
        return fields.withUnsafeBufferPointer { f in
            UInt64(ageBand) << f[GroupAxis.ageBand.index].shift
                | UInt64(sex.rawValue) << f[GroupAxis.sex.index].shift
                | UInt64(ethnicity.rawValue) << f[GroupAxis.ethnicity.index].shift
                | UInt64(nation.rawValue) << f[GroupAxis.nation.index].shift
                | Self.decileLevel(decile) << f[GroupAxis.decile.index].shift
                | UInt64(rurality.rawValue) << f[GroupAxis.rurality.index].shift
                | UInt64(routeType.rawValue) << f[GroupAxis.routeType.index].shift
                | (contacted ? 1 : 0) << f[GroupAxis.contacted.index].shift
                | UInt64(route) << f[GroupAxis.route.index].shift
                | month << f[GroupAxis.month.index].shift
                | UInt64(standardAge) << f[GroupAxis.standardAge.index].shift
                | (resident ? (outsidePeriod ? 2 : 1) : 0) << f[GroupAxis.resident.index].shift
        }
    }

    /// A one-line description of the layout and the levels it packs (`ageBand:2@0/3
    /// sex:2@2/4 … levels:9f3a…`: width@offset/level count per axis, then the first 16 hex
    /// digits of the SHA-256 of every grouping's labels), stored with serialised counts: two states merge only when it
    /// is equal, so shards of pipelines that list routes or bands differently never do.
    public var layoutDescription: String {
        let fields = layoutOrder.map { axis in
            "\(axis.declaredIndex.map { declared[$0].name } ?? axis.description):\(field(axis).width)@\(field(axis).shift)/\(levelCounts[axis.index])"
        }
        // Every grouping's name and labels, each ended by a unit separator (0x1F).
        let strata: [String] = ["case_mix:" + caseMixStrata.map(\.name).joined(separator: ",")]
        let named: [String] = groupings.flatMap { [$0.name] + $0.levels } + reasonGroups.map { "\($0.name):\($0.reasonMask)" } + strata
        let labels = named.map { $0 + "\u{1F}" }.joined()
        return (fields + ["levels:" + SHA256.hex(of: Array(labels.utf8)).prefix(16)]).joined(separator: " ")
    }
}
