import SPRXCore
import SPRXPipeline

/// What is counted for each group: referrals, contacted, with an intervention.
public struct OutcomeCounts: Hashable, Sendable, Codable, FlatTableValue {
    public var referred: Int64 = 0
    public var contacted: Int64 = 0
    public var intervention: Int64 = 0
    public init() {}
    public static var zero: OutcomeCounts { OutcomeCounts() }
    var isZero: Bool { referred == 0 && contacted == 0 && intervention == 0 }

    /// Adds (or with `sign: -1` removes) one referral.
    @inline(__always) mutating func add(contacted isContacted: Bool, intervention hasIntervention: Bool, sign: Int64) {
        referred += sign
        if isContacted { contacted += sign }
        if hasIntervention { intervention += sign }
    }

    /// Adds another group's counts.
    public mutating func add(_ other: OutcomeCounts) {
        referred += other.referred
        contacted += other.contacted
        intervention += other.intervention
    }
}

/// What the population rates count in one resident cell: referrals, and of them the
/// non-medical ones, those that reached a link worker and those with an intervention.
public struct ResidentCounts: Hashable, Sendable, Codable, FlatTableValue {
    public var referred: Int64 = 0
    public var nonMedical: Int64 = 0
    public var contacted: Int64 = 0
    public var intervention: Int64 = 0
    public init() {}
    public static var zero: ResidentCounts { ResidentCounts() }
    var isZero: Bool { self == ResidentCounts() }

    /// Adds (or with `sign: -1` removes) one referral.
    @inline(__always) mutating func add(nonMedical isNonMedical: Bool, contacted isContacted: Bool, intervention hasIntervention: Bool, sign: Int64) {
        referred += sign
        if isNonMedical { nonMedical += sign }
        if isContacted { contacted += sign }
        if hasIntervention { intervention += sign }
    }

    /// Adds another cell's counts.
    public mutating func add(_ other: ResidentCounts) {
        referred += other.referred
        nonMedical += other.nonMedical
        contacted += other.contacted
        intervention += other.intervention
    }
}

/// The aggregation state: counts keyed by projections of the referral's group key.
///
/// Design note: its size depends on how many distinct groups occur (thousands), never
/// on the number of rows, and ``merge(_:)`` is plain addition, so workers build one each,
/// the runner merges them in input order, and shards of a national extract can be
/// counted on different machines, serialised (`Codable`) and merged. Removing a
/// referral again (a duplicate found later) is addition with `sign: -1`. Every key is a
/// referral's ``GroupKeySchema`` key masked to what the table needs (``Projection``),
/// and the state carries the layout it was keyed with, so states keyed differently are
/// never added together.
public struct ReferralCounts: Sendable, Codable, Equatable {
    /// Which parts of a referral's key each table of the state keeps.
    public struct Projection: Sendable, Codable, Equatable {
        /// The key layout (``GroupKeySchema/layoutDescription``).
        public let layout: String
        /// ``outcomes``: the demographic pattern (declared dimensions included) and the route.
        public let outcome: UInt64
        /// The demographic pattern (``reasons`` adds the reason).
        public let pattern: UInt64
        /// Where ``reasons`` puts the reason.
        public let reasonShift: UInt64
        /// ``months``: the month, the route (and its type) and the trends' dimensions.
        public let month: UInt64
        /// Where the month field starts (``organisations`` keeps the month alone).
        public let monthShift: UInt64
        /// The month field alone.
        public let monthField: UInt64
        /// ``residents``: the nation, decile, rurality, standard age group and whether
        /// the area is in the population catchment.
        public let resident: UInt64
        /// ``residentBands``: the nation, the pipeline's age band and the catchment flag.
        public let residentBand: UInt64
        /// The route type field, and the bits a non-medical referral sets in it.
        public let routeTypeMask: UInt64, nonMedical: UInt64
        /// ``reasonGroups``: each reason group's reasons (a bit set per group, in order),
        /// and the route field the group's count keeps.
        public let reasonGroupMasks: [UInt32]
        public let route: UInt64
        /// The organisations' case-mix strata (``CountTable/caseMix``): where each
        /// stratum grouping's field sits, and how its level is packed.
        public let strata: [StratumField]

        /// One grouping of a case-mix stratum: its field in the key, the grouping's level
        /// for each field level when they differ (a quintile folds the decile field) as a
        /// table of 4-bit entries (field level i in bits 4i to 4i + 3; the schema admits no
        /// other, ``GroupKeySchema/caseMixProblem(_:)``), and where the level goes in the
        /// packed stratum. Plain integers: packing a referral's stratum allocates and
        /// retains nothing.
        public struct StratumField: Sendable, Codable, Equatable {
            public let shift: UInt64
            public let fieldMask: UInt64
            public let folds: Bool
            public let levelTable: UInt64
            public let packedShift: UInt64
        }

        /// The packed case-mix stratum of a full key: the strata groupings' levels side by
        /// side, the first lowest (``GroupKeySchema/caseMixBitLimit`` bits at most).
        @inline(__always) public func stratum(of key: UInt64) -> UInt32 {
            var packed: UInt64 = 0
            strata.withUnsafeBufferPointer { fields in
                for field in fields {
                    var level = (key >> field.shift) & field.fieldMask
                    if field.folds { level = (field.levelTable >> (4 * level)) & 0xF }
                    packed |= level << field.packedShift
                }
            }
            return UInt32(truncatingIfNeeded: packed)
        }

        public init(_ schema: GroupKeySchema) {
            layout = schema.layoutDescription
            pattern = schema.demographicMask
            outcome = schema.mask(schema.axes(of: .outcomes))
            assert(schema.mask(schema.axes(of: .reasons)) == pattern | schema.field(.reason).mask)
            reasonShift = schema.field(.reason).shift
            month = schema.mask(schema.axes(of: .months))
            monthShift = schema.field(.month).shift
            monthField = schema.mask([.month])
            resident = schema.mask(schema.axes(of: .residents))
            residentBand = schema.mask(schema.axes(of: .residentBands))
            reasonGroupMasks = schema.reasonGroups.map(\.reasonMask)
            route = schema.mask(schema.axes(of: .reasonGroups))
            let routeType = schema.field(.routeType)
            routeTypeMask = routeType.mask
            nonMedical = UInt64(RouteType.nonMedical.rawValue) << routeType.shift
            var packedShift: UInt64 = 0
            var strata: [StratumField] = []
            for grouping in schema.caseMixStrata {
                let field = schema.field(grouping.axis)
                var table: UInt64 = 0
                for (fieldLevel, level) in (grouping.levelOfField ?? []).enumerated() { table |= UInt64(level) << (4 * UInt64(fieldLevel)) }
                strata.append(
                    StratumField(
                        shift: field.shift, fieldMask: (1 << field.width) - 1, folds: grouping.levelOfField != nil, levelTable: table,
                        packedShift: packedShift))
                packedShift += UInt64(GroupKeySchema.caseMixBits([grouping]))
            }
            self.strata = strata
        }
    }

    /// The key projections this state was counted with.
    public let projection: Projection
    /// Key: pattern and route (``Projection/outcome``).
    public private(set) var outcomes = FlatTable<UInt64, OutcomeCounts>(initial: OutcomeCounts())
    /// Key: pattern and reason; one count per reason a referral gives.
    public private(set) var reasons = FlatTable<UInt64, Int64>(initial: 0)
    /// Key: the reason group's index above the route bits (``Projection/route``): the
    /// outcomes of the referrals in each reason group, one referral in every group one of
    /// its reasons is in.
    public private(set) var reasonGroups = FlatTable<UInt64, OutcomeCounts>(initial: OutcomeCounts())
    /// Key: see ``dayKey(_:)``; clean referrals per day, so the reporting period
    /// survives merging and removals.
    public private(set) var days = FlatTable<UInt32, Int64>(initial: 0)
    /// Key: month, route, nation and decile (``Projection/month``): the outcomes over time.
    public private(set) var months = FlatTable<UInt64, OutcomeCounts>(initial: OutcomeCounts())
    /// Key: nation, decile, rurality, standard age group and catchment flag
    /// (``Projection/resident``): the numerators of the population rates and of the
    /// inequality indices' shares.
    public private(set) var residents = FlatTable<UInt64, ResidentCounts>(initial: ResidentCounts())
    /// Key: nation, age band and catchment flag (``Projection/residentBand``): the
    /// numerators of the rates by the pipeline's age bands.
    public private(set) var residentBands = FlatTable<UInt64, Int64>(initial: 0)
    /// Key: organisation and month, and organisation and case-mix stratum: the outcomes
    /// per organisation over time (funnel plots, provision per PCN) and by case mix
    /// (indirectly standardised ratios).
    public private(set) var organisations = OrganisationCounts()
    /// Referrals from catchment areas per local authority (the reference data's authority
    /// index), as rows are counted: a row later found to repeat a referral stays in, so
    /// these say where referrals come from (the run's catchment warning), never a
    /// published count.
    public private(set) var catchmentByAuthority: [Int64] = []
    /// Clean referrals whose interventions are blank (or whose file has no such column):
    /// unknown, never "none" (``FieldRecording/partlyBlank``).
    public private(set) var interventionsBlank: Int64 = 0
    /// Clean referrals with neither a contacted flag nor a contact count: not known to
    /// have reached a link worker or not (``FieldRecording``).
    public private(set) var contactBlank: Int64 = 0
    /// Clean referrals with no known reason (none given, only missing values, or only
    /// labels no list names): their reasons are unknown (the quality gate's share).
    public private(set) var reasonsBlank: Int64 = 0
    /// What the statistical models need: per organisation, model cell and outcomes.
    public var models = ModelCounts()

    /// An empty state for keys of `schema`.
    public init(schema: GroupKeySchema) { projection = Projection(schema) }

    /// Adds (or with `sign: -1` removes) one referral with its full group key.
    /// `organisation` is the referral's organisation_id (the empty code when it has none).
    public mutating func add(
        key: UInt64, reasons reasonMask: UInt32, contacted: Bool, intervention: Bool, contactUnknown: Bool = false,
        interventionUnknown: Bool = false, day: Day? = nil, organisation: ShortCode = ShortCode(), sign: Int64 = 1
    ) {
        var one = ReferralBatch()
        one.append(
            key: key, reasons: reasonMask, contacted: contacted, intervention: intervention, contactUnknown: contactUnknown,
            interventionUnknown: interventionUnknown, day: day, organisation: organisation, model: nil)
        add(one, models: false, sign: sign)
    }

    /// Adds a batch of referrals (a block's clean rows), one table after another.
    ///
    /// The same sums as ``add(key:reasons:contacted:intervention:day:organisation:sign:)``
    /// row by row (whole numbers: the order of additions does not matter), but each table
    /// is updated for every referral of the batch before the next: a per-row pass visits
    /// a dozen tables of tens of thousands of slots for every referral, and most of its
    /// time was spent waiting for their slots to come from memory; one table at a time
    /// keeps that table's slots in cache.
    /// With `sign: -1`, removes them.
    public mutating func add(_ batch: ReferralBatch, models countModels: Bool, sign: Int64 = 1) {
        let n = batch.keys.count
        guard n > 0 else { return }
        let projection = projection
        batch.keys.withUnsafeBufferPointer { keys in
            batch.flags.withUnsafeBufferPointer { flags in
                for day in batch.days { days.update(Self.dayKey(day)) { $0 += sign } }
                // The empty-cell counters ride on the outcomes' pass over the flags.
                var blank: Int64 = 0, noContact: Int64 = 0
                for i in 0..<n {
                    let f = flags[i]
                    outcomes.update(keys[i] & projection.outcome) { $0.add(contacted: f & 1 != 0, intervention: f & 2 != 0, sign: sign) }
                    blank &+= Int64(f >> 2 & 1)
                    noContact &+= Int64(f >> 3 & 1)
                }
                interventionsBlank += sign * blank
                contactBlank += sign * noContact
                for i in 0..<n {
                    let f = flags[i]
                    months.update(keys[i] & projection.month) { $0.add(contacted: f & 1 != 0, intervention: f & 2 != 0, sign: sign) }
                }
                for i in 0..<n {
                    let (key, f) = (keys[i], flags[i])
                    residents.update(key & projection.resident) {
                        $0.add(nonMedical: key & projection.routeTypeMask == projection.nonMedical, contacted: f & 1 != 0, intervention: f & 2 != 0, sign: sign)
                    }
                }
                for i in 0..<n { residentBands.update(keys[i] & projection.residentBand) { $0 += sign } }
                batch.organisations.withUnsafeBufferPointer { organisations in
                    for i in 0..<n {
                        let (key, f) = (keys[i], flags[i])
                        self.organisations.addMonth(
                            organisation: organisations[i], month: (key & projection.monthField) >> projection.monthShift,
                            nonMedical: key & projection.routeTypeMask == projection.nonMedical, contacted: f & 1 != 0, intervention: f & 2 != 0,
                            sign: sign)
                    }
                    for i in 0..<n {
                        let (key, f) = (keys[i], flags[i])
                        self.organisations.addStratum(
                            organisation: organisations[i], stratum: projection.stratum(of: key),
                            nonMedical: key & projection.routeTypeMask == projection.nonMedical, contacted: f & 1 != 0, intervention: f & 2 != 0,
                            sign: sign)
                    }
                }
                batch.reasons.withUnsafeBufferPointer { reasonMasks in
                    if !projection.reasonGroupMasks.isEmpty {
                        for i in 0..<n {
                            let route = keys[i] & projection.route
                            let f = flags[i]
                            for (group, groupMask) in projection.reasonGroupMasks.enumerated() where reasonMasks[i] & groupMask != 0 {
                                reasonGroups.update(UInt64(group) << 56 | route) { $0.add(contacted: f & 1 != 0, intervention: f & 2 != 0, sign: sign) }
                            }
                        }
                    }
                    var noReason: Int64 = 0
                    for i in 0..<n {
                        let pattern = keys[i] & projection.pattern
                        var mask = reasonMasks[i]
                        if mask == 0 { noReason &+= 1 }
                        while mask != 0 {
                            let reason = UInt64(mask.trailingZeroBitCount)
                            reasons.update(pattern | reason << projection.reasonShift) { $0 += sign }
                            mask &= mask - 1
                        }
                    }
                    reasonsBlank += sign * noReason
                }
            }
        }
        if countModels { models.add(batch.models, sign: sign) }
    }

    /// Counts one catchment referral under its local authority (index 0: none named).
    @inline(__always) public mutating func addCatchment(authority: UInt16) {
        let index = Int(authority)
        if index >= catchmentByAuthority.count {
            catchmentByAuthority += [Int64](repeating: 0, count: index + 1 - catchmentByAuthority.count)
        }
        catchmentByAuthority[index] += 1
    }

    /// Adds a state counted elsewhere (another shard, a serialised file), after checking
    /// it was keyed by the same layout and levels.
    ///
    /// - Throws: ``SPRXError/Code/inputFormat`` when the layouts differ (other age bands,
    ///   routes, reasons or case-mix strata, or the same ones listed in another order): adding such
    ///   counts would put referrals under the wrong groups.
    public mutating func merge(counted other: ReferralCounts) throws(SPRXError) {
        guard projection == other.projection else {
            throw SPRXError(
                .inputFormat,
                "these counts were keyed by another layout (\(other.projection.layout)) than this run's (\(projection.layout)): the pipelines' age bands, routes, reasons or case-mix strata differ; count every shard with the same pipeline"
            )
        }
        merge(other)
    }

    /// Adds another state's counts to this one; both come from this run, so they were
    /// keyed by the same layout (``merge(counted:)`` checks that for states from elsewhere).
    public mutating func merge(_ other: ReferralCounts) {
        precondition(projection == other.projection, "counts keyed by different layouts cannot be merged")
        for (key, value) in other.outcomes { outcomes.update(key) { $0.add(value) } }
        for (key, value) in other.months { months.update(key) { $0.add(value) } }
        for (key, value) in other.residents { residents.update(key) { $0.add(value) } }
        for (key, value) in other.residentBands { residentBands.update(key) { $0 += value } }
        for (key, value) in other.reasons { reasons.update(key) { $0 += value } }
        for (key, value) in other.reasonGroups { reasonGroups.update(key) { $0.add(value) } }
        for (key, value) in other.days { days.update(key) { $0 += value } }
        organisations.merge(other.organisations)
        models.merge(other.models)
        interventionsBlank += other.interventionsBlank
        contactBlank += other.contactBlank
        reasonsBlank += other.reasonsBlank
        for (index, count) in other.catchmentByAuthority.enumerated() where count != 0 {
            if index >= catchmentByAuthority.count {
                catchmentByAuthority += [Int64](repeating: 0, count: index + 1 - catchmentByAuthority.count)
            }
            catchmentByAuthority[index] += count
        }
        compact()
    }

    /// The reason group (index into ``GroupKeySchema/reasonGroups``) of a ``reasonGroups`` key.
    public static func reasonGroup(ofKey key: UInt64) -> Int { Int(key >> 56) }

    /// Number of clean referrals counted.
    public var referrals: Int64 { outcomes.reduce(0) { $0 + $1.value.referred } }

    /// Days since 1970-01-01 offset by 2^30 (years 1-9999 stay far from `UInt32.max`).
    static func dayKey(_ day: Day) -> UInt32 { UInt32(Int64(day.daysSinceEpoch) + (1 << 30)) }

    /// The earliest and latest referral date counted, or `nil` when nothing is.
    public var period: (first: Day, last: Day)? {
        var first: Int32? = nil
        var last: Int32? = nil
        for (key, count) in days where count != 0 {
            let day = Int32(Int64(key) - (1 << 30))
            if first.map({ day < $0 }) ?? true { first = day }
            if last.map({ day > $0 }) ?? true { last = day }
        }
        guard let first, let last else { return nil }
        return (Day(daysSinceEpoch: first), Day(daysSinceEpoch: last))
    }

    /// Drops zero entries (left by removals) so equal counts compare equal.
    public mutating func compact() {
        outcomes = outcomes.filter { !$1.isZero }
        months = months.filter { !$1.isZero }
        residents = residents.filter { !$1.isZero }
        residentBands = residentBands.filter { $1 != 0 }
        reasons = reasons.filter { $1 != 0 }
        reasonGroups = reasonGroups.filter { !$1.isZero }
        days = days.filter { $1 != 0 }
        organisations.compact()
        models.compact()
        while catchmentByAuthority.last == 0 { catchmentByAuthority.removeLast() }
    }
}

/// One referral as the models see it: organisation, model cell (pattern, route type,
/// whether it reached a link worker), and its contact and intervention counts.
public struct ModelCell: Hashable, Sendable, Codable {
    /// The organisation (cluster); an empty code when the referral has none.
    public var organisation: ShortCode
    /// The referral's group key projected by ``ModelCellProjection``: its low
    /// ``GroupKeySchema/modelCellMask`` bits.
    public var cell: UInt32
    /// Contacts, -1 when unknown.
    public var contacts: Int32
    /// Interventions, -1 when unknown.
    public var interventions: Int32

    public init(organisation: ShortCode?, cell: UInt32, contacts: Int32, interventions: Int32) {
        self.organisation = organisation ?? ShortCode()
        self.cell = cell
        self.contacts = contacts
        self.interventions = interventions
    }
}

/// Which parts of a referral the declared models look at; the rest is dropped from the
/// key before counting, so the models' state holds no more cells than the models can
/// tell apart (deciles fold into quintiles unless a model adjusts for the decile; the
/// contact flag is kept only when a model explains it).
public struct ModelCellProjection: Sendable, Hashable {
    /// Bits of the group key to keep (within ``GroupKeySchema/modelCellMask``).
    public let mask: UInt64
    /// The lowest bit of the decile field when deciles fold into quintiles (decile
    /// levels 2q and 2q + 1 are quintile q; clearing that bit keeps the first), else 0.
    public let foldBit: UInt64

    /// What the given models need.
    ///
    /// - Throws: ``SPRXError/Code/invalidPipeline`` when a covariate is no grouping of
    ///   the key or one the model cell does not keep (``GroupKeySchema/modelCellKeeps(_:)``):
    ///   its every referral would read level 0. The loader refuses such a pipeline first.
    public init(models: [ModelDefinition], schema: GroupKeySchema) throws(SPRXError) {
        let covariates = Set(models.flatMap(\.covariates))
        let outcomes = Set(models.map(\.outcome))
        var axes: [GroupAxis] = []
        // In declaration order, so the first problem named is the same every run.
        for covariate in models.flatMap(\.covariates) {
            if let problem = schema.covariateProblem(covariate) { throw SPRXError(.invalidPipeline, "key 'models': expected \(problem)") }
            if let grouping = schema.grouping(covariate) { axes.append(grouping.axis) }
        }
        if outcomes.contains(.routeNonMedical) { axes.append(.routeType) }
        if outcomes.contains(.contacted) { axes.append(.contacted) }
        mask = schema.mask(axes) & schema.modelCellMask
        foldBit = covariates.contains(.imdDecile) ? 0 : 1 << schema.field(.decile).shift
    }

    /// The model cell of a referral's full group key.
    @inlinable public func apply(_ key: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: key & mask & ~foldBit)
    }
}

/// One organisation × model cell in the models' state.
public struct ModelCellKey: Hashable, Sendable, Codable, Comparable, FlatKey {
    public var organisation: ShortCode
    /// As ``ModelCell/cell``.
    public var cell: UInt32

    public var hasOrganisation: Bool { organisation.count > 0 }

    public init(organisation: ShortCode, cell: UInt32) {
        self.organisation = organisation
        self.cell = cell
    }

    @inlinable public var flatHash: UInt64 { mix64(organisation.flatHash ^ UInt64(cell)) }
    public static var vacant: ModelCellKey { ModelCellKey(organisation: ShortCode(), cell: 0) }
    public static func < (a: ModelCellKey, b: ModelCellKey) -> Bool {
        a.organisation != b.organisation ? a.organisation < b.organisation : a.cell < b.cell
    }
}

/// What the models need of the referrals in one ``ModelCellKey``: how many, and the
/// number and sum of known contact and intervention counts.
///
/// Every field is 64-bit. A contact or intervention count may be as large as the
/// Cleaner accepts (`Int32.max`), so two such referrals in one cell already pass 2^31;
/// 64-bit sums hold 2^32 referrals of the largest count. (They were 32-bit to keep the
/// models' table small, and crashed on such input: measured, the 64-bit table adds
/// about 3% (92 to 95 MB) to the peak memory of a 160,128-row run.)
public struct ModelCellSums: Sendable, Codable, Equatable, FlatTableValue {
    public static var zero: ModelCellSums { ModelCellSums() }
    public var referrals: Int64 = 0
    public var contactsKnown: Int64 = 0
    public var interventionsKnown: Int64 = 0
    /// Referrals with interventions > 0.
    public var withIntervention: Int64 = 0
    /// Sum of known contact counts.
    public var contacts: Int64 = 0
    /// Sum of known intervention counts.
    public var interventions: Int64 = 0

    public init() {}

    public mutating func add(_ other: ModelCellSums) {
        referrals &+= other.referrals
        contactsKnown &+= other.contactsKnown
        contacts &+= other.contacts
        interventionsKnown &+= other.interventionsKnown
        interventions &+= other.interventions
        withIntervention &+= other.withIntervention
    }

    var isZero: Bool { self == ModelCellSums() }
}

extension ModelCellSums: RunValue {
    public static var fieldCount: Int { 6 }
    public func field(_ index: Int) -> Int64 {
        switch index {
        case 0: referrals
        case 1: contactsKnown
        case 2: interventionsKnown
        case 3: withIntervention
        case 4: contacts
        default: interventions
        }
    }
    public init(fields: (Int) -> Int64) {
        self.init()
        referrals = fields(0)
        contactsKnown = fields(1)
        interventionsKnown = fields(2)
        withIntervention = fields(3)
        contacts = fields(4)
        interventions = fields(5)
    }
}

/// The models' aggregation state.
///
/// Design note: a logistic model needs events and trials per organisation × covariate
/// pattern, a negative binomial model the count and sum of its outcome there (for β and
/// the cluster scores) and the histogram of the outcome per pattern, across
/// organisations (for θ). So the state is exactly that: ``cells`` keyed by organisation
/// × pattern × route type × contact flag with six sums, and ``histogram`` of known
/// contact and intervention counts per pattern (and whether the referral has an
/// organisation). It grows with distinct organisation × pattern combinations, never
/// with rows, and merges by addition like ``ReferralCounts``.
public struct ModelCounts: Sendable, Codable, Equatable {
    /// The cells' sums keyed by organisation and cell (see ``ModelCell/cell``): this is
    /// the largest table of a run, held compactly (``OrganisationKeyedTable``).
    private var cellTable = OrganisationKeyedTable<ModelCellSums>()
    /// Key: see ``histogramKey(cell:hasOrganisation:kind:value:)``.
    public private(set) var histogram = FlatTable<UInt64, Int64>(initial: 0)

    /// Every non-empty cell with its organisation's code (the empty code: none), in
    /// (code, cell) order, so a cell's organisation's cells come together.
    public func forEachCell(_ body: (ModelCellKey, ModelCellSums) throws -> Void) rethrows {
        try cellTable.forEachEntry { entry in try body(ModelCellKey(organisation: entry.organisation, cell: entry.low), entry.value) }
    }

    /// The cells with their organisation codes, in (code, cell) order.
    public var cells: [(key: ModelCellKey, value: ModelCellSums)] {
        var result: [(key: ModelCellKey, value: ModelCellSums)] = []
        forEachCell { result.append(($0, $1)) }
        return result
    }

    public static func == (a: ModelCounts, b: ModelCounts) -> Bool {
        a.histogram == b.histogram && a.cellTable == b.cellTable
    }

    private enum CodingKeys: String, CodingKey { case organisations, cells, histogram }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // In the order encode(to:) writes them (``CompactCoder`` reads fields in order).
        cellTable = try OrganisationKeyedTable(from: container, codes: .organisations, entries: .cells) { $0.add($1) }
        histogram = try container.decode(FlatTable<UInt64, Int64>.self, forKey: .histogram)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Organisations in code order, so equal states encode to equal bytes.
        try cellTable.encode(to: &container, codes: .organisations, entries: .cells)
        try container.encode(histogram, forKey: .histogram)
    }

    /// Which count a histogram entry holds.
    public enum Kind: UInt64, Sendable {
        case contacts = 0, interventions = 1
    }

    public init() {}

    /// Bits of a histogram key below its flags: a model cell never takes more.
    static let cellBits = GroupKeySchema.modelCellBitLimit

    /// cell | has organisation << ``cellBits`` | kind << (``cellBits`` + 1) | value << 32.
    public static func histogramKey(cell: UInt32, hasOrganisation: Bool, kind: Kind, value: Int32) -> UInt64 {
        UInt64(cell) & ((1 << cellBits) - 1) | (hasOrganisation ? 1 << cellBits : 0) | kind.rawValue << (cellBits + 1)
            | UInt64(UInt32(bitPattern: value)) << 32
    }

    /// The parts of a histogram key.
    public static func histogramParts(_ key: UInt64) -> (cell: UInt32, hasOrganisation: Bool, kind: Kind, value: Int32) {
        (
            // safe: one bit masked, and Kind has a case for 0 and for 1
            UInt32(key & ((1 << cellBits) - 1)), key & (1 << cellBits) != 0, Kind(rawValue: (key >> (cellBits + 1)) & 1)!,
            Int32(bitPattern: UInt32(key >> 32))
        )
    }

    /// Adds (or with `sign: -1` removes) one referral.
    public mutating func add(_ referral: ModelCell, sign: Int64 = 1) { add([referral], sign: sign) }

    /// Adds (or removes) referrals, one table after another (see ``ReferralCounts/add(_:models:sign:)``).
    public mutating func add(_ referrals: [ModelCell], sign: Int64 = 1) {
        for referral in referrals {
            var sums = ModelCellSums()
            sums.referrals = sign
            if referral.contacts >= 0 {
                sums.contactsKnown = sign
                sums.contacts = sign * Int64(referral.contacts)
            }
            if referral.interventions >= 0 {
                sums.interventionsKnown = sign
                sums.interventions = sign * Int64(referral.interventions)
                sums.withIntervention = referral.interventions > 0 ? sign : 0
            }
            cellTable.update(organisation: referral.organisation, low: referral.cell) { $0.add(sums) }
        }
        for referral in referrals where referral.contacts >= 0 {
            histogram.update(
                Self.histogramKey(cell: referral.cell, hasOrganisation: referral.organisation.count > 0, kind: .contacts, value: referral.contacts)
            ) { $0 += sign }
        }
        for referral in referrals where referral.interventions >= 0 {
            histogram.update(
                Self.histogramKey(
                    cell: referral.cell, hasOrganisation: referral.organisation.count > 0, kind: .interventions, value: referral.interventions)
            ) { $0 += sign }
        }
    }

    public mutating func merge(_ other: ModelCounts) {
        cellTable.merge(other.cellTable)
        for (key, count) in other.histogram { histogram.update(key) { $0 += count } }
        compact()
    }

    mutating func compact() {
        cellTable.compact()
        histogram = histogram.filter { $1 != 0 }
    }
}

/// A block's clean referrals, side by side, for ``ReferralCounts/add(_:models:sign:)``.
public struct ReferralBatch: Sendable {
    /// Each referral's full group key.
    public private(set) var keys: [UInt64] = []
    /// Bit 0: reached a link worker; bit 1: had an intervention; bit 2: interventions
    /// blank; bit 3: contact not recorded (``ReferralCounts/contactBlank``).
    public private(set) var flags: [UInt8] = []
    public private(set) var reasons: [UInt32] = []
    /// Referral dates (a referral added without one counts in no day).
    public private(set) var days: [Day] = []
    /// The referral's organisation_id (the empty code when it has none).
    public private(set) var organisations: [ShortCode] = []
    /// The referral as the models count it.
    public private(set) var models: [ModelCell] = []

    public init() {}

    /// Adds one referral (`model` only when the models are counted).
    @inline(__always) public mutating func append(
        key: UInt64, reasons reasonMask: UInt32, contacted: Bool, intervention: Bool, contactUnknown: Bool = false,
        interventionUnknown: Bool = false, day: Day?, organisation: ShortCode, model: ModelCell?
    ) {
        keys.append(key)
        flags.append((contacted ? 1 : 0) | (intervention ? 2 : 0) | (interventionUnknown ? 4 : 0) | (contactUnknown ? 8 : 0))
        reasons.append(reasonMask)
        if let day { days.append(day) }
        organisations.append(organisation)
        if let model { models.append(model) }
    }

    /// Makes room for `count` referrals.
    public mutating func reserveCapacity(_ count: Int) {
        keys.reserveCapacity(count)
        flags.reserveCapacity(count)
        reasons.reserveCapacity(count)
        days.reserveCapacity(count)
        organisations.reserveCapacity(count)
        models.reserveCapacity(count)
    }
}

extension ReferralCounts {
    /// What is wrong with a state read from outside (a partial file), or `nil` when
    /// every key is one this schema's counting could have made: only the table's own
    /// fields set, each level within its axis, days within years 1-9999, organisation
    /// codes well formed. Publishing a state that fails would trap or mislabel a group.
    public func problem(schema: GroupKeySchema) -> String? {
        let projection = projection
        func fits(_ key: UInt64, _ mask: UInt64) -> Bool { key & ~mask == 0 && schema.levelsAreValid(key) }
        let reasonMask = projection.pattern | schema.field(.reason).mask
        if !outcomes.allSatisfy({ fits($0.key, projection.outcome) }) { return "an outcome count's group" }
        if !months.allSatisfy({ fits($0.key, projection.month) }) { return "a monthly count's group" }
        if !residents.allSatisfy({ fits($0.key, projection.resident) }) { return "a resident count's group" }
        if !residentBands.allSatisfy({ fits($0.key, projection.residentBand) }) { return "an age band count's group" }
        if !reasons.allSatisfy({ fits($0.key, reasonMask) }) { return "a reason count's group" }
        let groups = UInt64(projection.reasonGroupMasks.count)
        if !reasonGroups.allSatisfy({ $0.key >> 56 < groups && fits($0.key & ((1 << 56) - 1), projection.route) }) { return "a reason group count" }
        if !days.allSatisfy({ Self.dayRange.contains(Int64($0.key) - (1 << 30)) }) { return "a day outside the years 1-9999" }
        if interventionsBlank < 0 || interventionsBlank > referrals { return "the count of blank interventions" }
        if contactBlank < 0 || contactBlank > referrals { return "the count of referrals with no contact recorded" }
        if reasonsBlank < 0 || reasonsBlank > referrals { return "the count of referrals with no known reason" }
        if !models.cells.allSatisfy({ schema.levelsAreValid(UInt64($0.key.cell)) && $0.key.organisation.isWellFormed }) { return "a model cell" }
        var codes = true
        organisations.months.forEachEntry { codes = codes && $0.organisation.isWellFormed && $0.low < UInt64(GroupKeySchema.monthLevels) }
        organisations.strata.forEachEntry { codes = codes && $0.organisation.isWellFormed }
        return codes ? nil : "an organisation code or month"
    }

    /// Days since 1970-01-01 of 0001-01-01 and 9999-12-31 (by Python's `datetime.date`).
    public static let dayRange: ClosedRange<Int64> = -719_162...2_932_896
}
