import SPRXCore
import SPRXPipeline

/// Builds `organisations.csv` (`outputs-v2.md`): per organisation and indicator, its
/// share of referrals beside the overall share and Public Health England's funnel limits
/// for its denominator (``FunnelLimits``), with a flag for where it lies.
///
/// The rules:
/// - Rows: one per organisation × indicator (``OrganisationColumn/Indicator``, in that
///   order). The numerator counts the organisation's referrals with the outcome
///   (non-medical route, contacted, an intervention), the denominator all its referrals,
///   both summed over every month. Referrals without an `organisation_id` belong to no
///   organisation: they are in no row and not in `overall`.
/// - Which ids are published (``isPublishable(_:directory:)``): `organisation_id` comes
///   from patient records and may hold free text, so an id is published only when the
///   pipeline's organisation lookup lists it or, without a lookup, when it has the shape
///   of an organisation code (``looksLikeOrganisationCode(_:)``); an id held as a digest
///   (text longer than ``ShortCode/capacity``) never is. Every other id's referrals are
///   pooled into one row, ``pooledID``, which counts in `overall` like any organisation.
/// - `overall`: 100 × Σ numerators / Σ denominators over all organisation rows (the
///   pooled row included); with disclosure control on, each of the two totals is
///   controlled on its own and the share is taken from the controlled totals. One value
///   per indicator for the whole table, parent rows included.
/// - Limits: the funnel limits around the overall proportion for the row's published
///   (controlled) denominator, in percent; empty when that denominator is suppressed or
///   0, or the overall share is. They reveal nothing beyond the published denominator,
///   so they are shown when only the numerator is suppressed.
/// - Disclosure: numerator and denominator are controlled on their own
///   (``DisclosureControl/share(_:of:enabled:suppressUpTo:roundTo:)``); `value` is
///   computed from the published pair, and `value` and `flag` are empty, `suppressed`
///   TRUE, when either is suppressed.
/// - `flag`: the value (published numerator / published denominator, unrounded) against
///   the unrounded limits in PHE's order (``FunnelLimits/flag(_:)``); with disclosure
///   control on, empty when the true counts the published pair stands for could flag
///   otherwise (``robustFlag(numerator:denominator:overall:)``), and `note` says so
///   (``OrganisationColumn/Note``); `note` also says why the limits are empty when the
///   row's counts are published.
/// - With a lookup: organisation rows take `name`, `organisation_type` and `parent_id`
///   from it, and every parent code the lookup names for an organisation with referrals
///   gets rows with `level` = `parent` summing its organisations, with the parent's name
///   and type. Without one: organisation rows only, those columns empty.
/// - Case mix (``CaseMixStandard``, ``StandardisedRatio``, ``RatioFunnel``): beside a
///   published pair, `observed`, `expected`, `isr`, its limits, PHE's ratio funnel and
///   `isr_flag`; empty, with a note, when no stratum is configured or recorded
///   (``caseMixStrata``), when fewer than ``minimumOrganisationsForCaseMix``
///   organisations have published counts, and (funnel and flags only) when `expected` is
///   below ``RatioFunnel/minimumExpected``.
/// - Overdispersion (``Overdispersion``): φ and τ² from the organisations' exact counts
///   around FunnelPlotR's target (``addOverdispersedLimits(to:figures:overall:)``); the
///   `*_od` limits are the wider of the plain and Spiegelhalter's at each end
///   (``widened(_:_:)``), and `flag_od`/`isr_flag_od` are never further from `within`
///   than the plain flag (``notBeyond(_:plain:)``).
/// - Order: organisation rows by code (the pooled row last), then parent rows by code;
///   indicators in their declared order. Values and limits have ``places`` decimals.
public struct OrganisationTableBuilder: Sendable {
    public let disclosure: DisclosureSettings
    /// Indicators whose field the export does not record (``FieldRecording``): they have
    /// no rows (no funnel can be drawn for a share that is not known).
    public var withheld: Set<OrganisationColumn.Indicator> = []
    /// The groupings the table's case mix is stratified by (named in the figures, the
    /// manifest and the report): the pipeline's `case_mix.strata` less those whose field
    /// the export does not record (``caseMixStrata(_:recording:)``). Empty: no
    /// adjustment, and the case-mix cells are empty (note ``OrganisationColumn/Note/caseMixNoStrata``).
    public var caseMixStrata: [String] = GroupKeySchema.defaultCaseMixStrata
    /// The bits of a packed stratum (``ReferralCounts/Projection/stratum(of:)``) the
    /// groupings of ``caseMixStrata`` take: the other groupings' bits are cleared, so the
    /// referrals of strata that differ only in a field not recorded are one stratum.
    public var stratumMask: UInt32 = .max

    /// The `organisation_id` of the row that pools the ids not published.
    public static let pooledID = "(other)"
    /// Decimal places of values, the overall share and the limits (percent).
    public static let places = 2
    /// How many digits follow the letter of a publishable code without a lookup (the ODS
    /// shape of a PCN, `U` + 5 digits, and of a GP practice, `B82005`).
    public static let codeDigits = 5

    /// The builder for explicit disclosure settings (tests).
    public init(disclosure: DisclosureSettings) {
        self.disclosure = disclosure
    }

    /// The builder for a pipeline's disclosure settings and case-mix strata, for an
    /// export that records `recording`'s fields.
    public init(pipeline: PipelineConfiguration, recording: FieldRecording = .complete) {
        self.init(disclosure: pipeline.disclosure)
        let configured = pipeline.groupKey.caseMixStrata
        let used = Self.caseMixStrata(pipeline.groupKey, recording: recording)
        caseMixStrata = used.map(\.name)
        // The groupings are packed in their configured order (ReferralCounts.Projection), each in its own bits.
        var mask: UInt32 = 0
        var shift = 0
        for grouping in configured {
            let bits = GroupKeySchema.caseMixBits([grouping])
            if used.contains(grouping) { mask |= UInt32(truncatingIfNeeded: ((UInt64(1) << UInt64(bits)) - 1) << UInt64(shift)) }
            shift += bits
        }
        stratumMask = mask
    }

    /// The case-mix strata a run adjusts by: the pipeline's `case_mix.strata`, less each
    /// grouping whose input field no input file records (``FieldRecording/notRecorded``:
    /// every referral would be in its unknown level, so it stratifies nothing). A field
    /// recorded in part stays: the files without it put their referrals in its unknown
    /// level, a stratum of its own.
    public static func caseMixStrata(_ groupKey: GroupKeySchema, recording: FieldRecording) -> [Grouping] {
        groupKey.caseMixStrata.filter { grouping in
            guard let field = inputField(of: grouping.axis) else { return true }
            return !recording.notRecorded.contains(field)
        }
    }

    /// The input field a case-mix grouping's axis is read from; `nil` for a declared dimension.
    static func inputField(of axis: GroupAxis) -> CanonicalField? {
        switch axis {
        case .ageBand: .age
        case .sex: .sex
        case .ethnicity: .ethnicity
        case .nation, .decile, .rurality: .areaCode
        default: nil
        }
    }

    /// The fewest organisations whose published counts the case-mix standard (each
    /// stratum's all-organisation share) must come from before `observed`, `expected`,
    /// `isr` and the ratio's limits and flags are published.
    ///
    /// `expected` is the published denominator times a share computed from exact counts:
    /// with one organisation that share is its own exact numerator over its exact
    /// denominator (and with `strata: []`, the exact overall share), so `expected` would
    /// give back the exact numerator that disclosure control rounds; with two, each
    /// organisation's exact counts follow from the other's. From three organisations on,
    /// each stratum's share mixes the exact counts of several. (With disclosure control
    /// off nothing is hidden, but a standard of one or two organisations compares them
    /// mostly with themselves: the rule holds either way.)
    public static let minimumOrganisationsForCaseMix = 3
    /// The fewest organisations a stratum of the standard needs to keep its own share
    /// (``CaseMixStandard``); fewer take the published overall share. ``minimumOrganisationsForCaseMix``
    /// unless a test sets it lower to check the expected counts' arithmetic by hand.
    public var minimumOrganisationsPerStratum = minimumOrganisationsForCaseMix

    /// Whether an `organisation_id` may appear in the table as it stands: listed in the
    /// lookup when there is one, else shaped like an organisation code; never a digest
    /// or the empty code.
    public static func isPublishable(_ code: ShortCode, directory: OrganisationDirectory?) -> Bool {
        guard code.count > 0, !code.isDigest else { return false }
        if let directory { return directory.info(code.description) != nil }
        return looksLikeOrganisationCode(code)
    }

    /// The shape of an organisation code the input contract names: an ODS code of one
    /// letter and ``codeDigits`` digits (`U10001` for a PCN, `B82005` for a GP practice).
    /// Names, notes, postcodes, NHS and CHI numbers and other free text fail it; any other
    /// code is published only when the pipeline's lookup lists it.
    public static func looksLikeOrganisationCode(_ code: ShortCode) -> Bool {
        guard !code.isDigest else { return false }
        let bytes = code.bytes
        guard bytes.count == 1 + codeDigits, let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else { return false }
        return bytes.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The flag of a published share, or `nil` when the counts it stands for could flag
    /// otherwise.
    ///
    /// With disclosure control on, a published count `c` stands for any true count that
    /// rounds to it (for rounding to 5, `c` − 2 to `c` + 2; never 1 to `suppressUpTo`), so
    /// at small denominators the rounding alone can carry a share across a limit (8 of 10,
    /// within, publishes as 10 of 10, above 99.8%). The flag is given only when every true
    /// numerator and denominator the published pair can stand for flags alike; the check
    /// uses the published figures and the rule only, so it reveals nothing more.
    func robustFlag(numerator n: Int64, denominator d: Int64, overall: Double) -> OrganisationColumn.Flag? {
        robustFlag(numerator: n, denominator: d) { n, d in FunnelLimits(denominator: Double(d), overall: overall)?.flag(Double(n) / Double(d)) }
    }

    /// The flag `flagOf` gives the published pair, or `nil` when it gives none or, with
    /// disclosure control on, another flag for some true numerator and denominator the
    /// published pair can stand for (the rule of ``robustFlag(numerator:denominator:overall:)``
    /// for any flag computed from the two counts: the ratio's, the overdispersed ones).
    func robustFlag(numerator n: Int64, denominator d: Int64, _ flagOf: (Int64, Int64) -> OrganisationColumn.Flag?) -> OrganisationColumn.Flag? {
        guard d > 0, let published = flagOf(n, d) else { return nil }
        guard disclosure.enabled else { return published }
        func standsFor(_ count: Int64) -> ClosedRange<Int64> {
            guard count > 0 else { return 0...0 }
            let step = Int64(max(1, disclosure.roundTo))
            let low = max(Int64(disclosure.suppressUpTo) + 1, count - step / 2)
            return low...max(low, count - step / 2 + step - 1)
        }
        for trueDenominator in standsFor(d) where trueDenominator > 0 {
            for trueNumerator in standsFor(n) where trueNumerator <= trueDenominator {
                if flagOf(trueNumerator, trueDenominator) != published { return nil }
            }
        }
        return published
    }

    /// What the table pools as ``pooledID``: its referrals and ids, beside every
    /// referral with an id, counted as ``build(_:directory:)`` pools them.
    public struct Pooled: Sendable, Equatable {
        /// Referrals whose id is pooled, and all referrals with an id (exact: control them to publish).
        public var referrals: Int64 = 0
        public var referralsWithID: Int64 = 0
        /// Distinct ids pooled, and distinct ids published by code.
        public var ids = 0
        public var publishedIDs = 0
    }

    /// What ``build(_:directory:)`` would pool for these counts and lookup.
    public static func pooled(_ counts: OrganisationCounts, directory: OrganisationDirectory?) -> Pooled {
        var pooled = Pooled()
        for (code, total) in totals(counts) {
            pooled.referralsWithID += total.referred
            if isPublishable(code, directory: directory) {
                pooled.publishedIDs += 1
            } else {
                pooled.referrals += total.referred
                pooled.ids += 1
            }
        }
        return pooled
    }

    /// Each organisation with an id and referrals, in code order, with its referrals
    /// summed over the months.
    static func totals(_ counts: OrganisationCounts) -> [(code: ShortCode, counts: ResidentCounts)] {
        var result: [(code: ShortCode, counts: ResidentCounts)] = []
        counts.months.forEachEntry { entry in
            // The empty code is "no organisation_id".
            guard entry.organisation.count > 0 else { return }
            if result.last?.code != entry.organisation { result.append((entry.organisation, ResidentCounts())) }
            result[result.count - 1].counts.add(entry.value)
        }
        return result.filter { $0.counts != ResidentCounts() }
    }

    /// Calls `body` once per organisation with an id, in code order, with its referrals
    /// per stratum (the strata groupings' bits only, ``stratumMask``): one organisation's
    /// strata in memory at a time.
    func forEachOrganisationStrata(_ counts: OrganisationCounts, _ body: (ShortCode, [UInt32: ResidentCounts]) -> Void) {
        var code = ShortCode()
        var strata: [UInt32: ResidentCounts] = [:]
        counts.strata.forEachEntry { entry in
            guard entry.organisation.count > 0 else { return }
            if entry.organisation != code {
                if !strata.isEmpty { body(code, strata) }
                code = entry.organisation
                strata.removeAll(keepingCapacity: true)
            }
            strata[entry.low & stratumMask, default: ResidentCounts()].add(entry.value)
        }
        if !strata.isEmpty { body(code, strata) }
    }

    /// The table: organisation rows, then parent rows when `directory` is given.
    public func build(_ counts: OrganisationCounts, directory: OrganisationDirectory?) -> PublishedTable {
        buildWithFigures(counts, directory: directory).table
    }

    /// The table and what its funnels were drawn with (``OrganisationFunnelFigures``).
    public struct Built: Sendable {
        public var table: PublishedTable
        public var figures: OrganisationFunnelFigures
    }

    /// One organisation or parent: its referrals summed over the months, and by stratum
    /// (a parent and the pooled row), or its expected count per indicator (an
    /// organisation: its strata are read one organisation at a time and not kept).
    struct Unit {
        var counts = ResidentCounts()
        var strata: [UInt32: ResidentCounts] = [:]
        /// Per indicator (``OrganisationColumn/Indicator`` order), the count the case-mix
        /// standard expects; `nil`: from ``strata``.
        var expected: [Double]? = nil

        mutating func add(_ other: Unit) {
            counts.add(other.counts)
            add(strata: other.strata)
        }

        mutating func add(strata other: [UInt32: ResidentCounts]) {
            for (stratum, value) in other { strata[stratum, default: ResidentCounts()].add(value) }
        }
    }

    /// The table (organisation rows, then parent rows when `directory` is given) and its
    /// funnels' figures.
    public func buildWithFigures(_ counts: OrganisationCounts, directory: OrganisationDirectory?) -> Built {
        let totals = Self.totals(counts)
        var organisations: [(code: ShortCode, unit: Unit)] = []
        var pooled = Unit()
        var isPooled = Set<ShortCode>()
        for (code, sums) in totals {
            if Self.isPublishable(code, directory: directory) {
                organisations.append((code, Unit(counts: sums)))
            } else {
                pooled.counts.add(sums)
                isPooled.insert(code)
            }
        }
        // Every organisation with an id (the pooled ones included): the case-mix standard,
        // and how many organisations have referrals in each stratum.
        var total = pooled
        for organisation in organisations { total.counts.add(organisation.unit.counts) }
        var organisationsPerStratum: [UInt32: Int] = [:]
        forEachOrganisationStrata(counts) { _, strata in
            total.add(strata: strata)
            for (stratum, value) in strata where value.referred > 0 { organisationsPerStratum[stratum, default: 0] += 1 }
        }
        let overall = OrganisationColumn.Indicator.allCases.map { indicator -> Double? in
            let share = DisclosureControl.share(
                Self.numerator(indicator, of: total.counts), of: total.counts.referred, enabled: disclosure.enabled,
                suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            guard let n = share.numerator, let d = share.denominator, d > 0 else { return nil }
            return Double(n) / Double(d)
        }
        // A stratum of too few organisations is collapsed to the published overall share.
        let standard = CaseMixStandard(
            strata: total.strata, organisations: organisationsPerStratum, overall: overall, minimumOrganisations: minimumOrganisationsPerStratum)
        // Per indicator, whether the standard comes from enough organisations with published counts.
        let caseMix = OrganisationColumn.Indicator.allCases.map { indicator -> CaseMixUse in
            guard !caseMixStrata.isEmpty else { return .noStrata }
            let published = organisations.count { organisation in
                let counts = organisation.unit.counts
                let share = DisclosureControl.share(
                    Self.numerator(indicator, of: counts), of: counts.referred, enabled: disclosure.enabled,
                    suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
                return share.numerator != nil && (share.denominator ?? 0) > 0
            }
            return published >= Self.minimumOrganisationsForCaseMix ? .adjusted : .tooFewOrganisations
        }
        // Each organisation's expected counts, from its strata; the pooled row's and each
        // parent's strata are summed (a few units, each at most every stratum).
        var parentStrata: [String: Unit] = [:]
        var position = 0
        forEachOrganisationStrata(counts) { code, strata in
            if isPooled.contains(code) {
                pooled.add(strata: strata)
                return
            }
            while position < organisations.count && organisations[position].code < code { position += 1 }
            guard position < organisations.count, organisations[position].code == code else { return }
            organisations[position].unit.expected = OrganisationColumn.Indicator.allCases.map { standard.expected($0, strata: strata) }
            if let parent = directory?.info(code.description)?.parentCode, !parent.isEmpty {
                parentStrata[parent, default: Unit()].add(strata: strata)
            }
        }

        var rows: [[Cell]] = []
        var figures: [RowFigures] = []
        func append(id: String, level: OrganisationColumn.Level, name: String?, type: String?, parent: String?, unit: Unit) {
            appendRows(
                to: &rows, figures: &figures, id: id, level: level, name: name, type: type, parent: parent, unit: unit, overall: overall,
                standard: standard, caseMix: caseMix)
        }
        var parents: [String: (info: OrganisationInfo, unit: Unit)] = [:]
        for organisation in organisations {
            let info = directory?.info(organisation.code.description)
            append(
                id: organisation.code.description, level: .organisation, name: info?.name, type: info?.type, parent: info?.parentCode, unit: organisation.unit)
            // Organisations come in code order: a parent's name is the first non-empty listing's.
            if let info, !info.parentCode.isEmpty {
                parents[info.parentCode, default: (info, Unit(strata: parentStrata[info.parentCode]?.strata ?? [:]))].unit.counts.add(
                    organisation.unit.counts)
                // safe: set with a default on the line above
                if parents[info.parentCode]!.info.parentName.isEmpty && !info.parentName.isEmpty { parents[info.parentCode]!.info = info }
            }
        }
        if pooled.counts != ResidentCounts() {
            append(id: Self.pooledID, level: .organisation, name: nil, type: nil, parent: nil, unit: pooled)
        }
        for code in parents.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            // safe: iterating the dictionary's own keys
            let parent = parents[code]!
            append(id: code, level: .parent, name: parent.info.parentName, type: parent.info.parentType, parent: nil, unit: parent.unit)
        }
        let dispersion = addOverdispersedLimits(to: &rows, figures: figures, overall: overall)
        var table = PublishedTable(.organisations)
        table.append(contentsOf: rows)
        return Built(table: table, figures: OrganisationFunnelFigures(caseMixStrata: caseMixStrata, dispersion: dispersion))
    }

    /// What a row's ratio and overdispersed cells are computed from: its published counts
    /// and the case-mix figures.
    struct RowFigures {
        /// The row's index in the table, and its indicator.
        var row: Int
        var indicator: OrganisationColumn.Indicator
        /// Whether the row is an organisation of the data (not the pooled row, not a parent):
        /// the units φ and τ² are estimated from.
        var isUnit: Bool
        /// The published numerator and denominator (`nil` when either is suppressed).
        var numerator: Int64?
        var denominator: Int64?
        /// The exact numerator and denominator, and the exact expected count (`nil` when
        /// the indicator is not adjusted, or the row has no referrals): what φ and τ² are
        /// estimated from (``addOverdispersedLimits(to:figures:overall:)``), never published.
        var exactNumerator: Int64 = 0
        var exactDenominator: Int64 = 0
        var exactExpected: Double? = nil
        /// The organisation's mix-weighted expected share m = Σ_s (n_s / n)·p_s, and its
        /// published expected count (`nil` when the ratio's cells are empty).
        var mixShare: Double?
        var expected: Double?
        /// Whether PHE's ratio funnel is drawn at `expected` (``RatioFunnel/limits(expected:)``).
        var ratioFunnelDrawn = false
    }

    /// Whether a share indicator's case-mix cells are published: adjusted, or why not.
    enum CaseMixUse {
        case adjusted
        /// No stratum field is configured or recorded (``OrganisationColumn/Note/caseMixNoStrata``).
        case noStrata
        /// Fewer than ``minimumOrganisationsForCaseMix`` organisations have published counts.
        case tooFewOrganisations
    }

    /// Digits of the case-mix and overdispersion figures (`Cell.significant`).
    public static let significantDigits = 6

    /// Appends a note code to a row's note (codes `;`-separated, each once).
    static func addNote(_ note: String, to row: inout [Cell]) {
        let current = row[OrganisationColumn.note.index].string ?? ""
        let codes = current.isEmpty ? [] : current.split(separator: ";").map(String.init)
        guard !codes.contains(note) else { return }
        row[OrganisationColumn.note.index] = .text((codes + [note]).joined(separator: ";"))
    }

    /// The fewest organisations φ and τ² are estimated from (``addOverdispersedLimits(to:figures:overall:)``):
    /// two without disclosure control (FunnelPlotR's own least); with it, as many as the
    /// case-mix standard needs (``minimumOrganisationsForCaseMix``), since both are
    /// estimated from exact counts and published to 6 significant digits: from one or two
    /// organisations they could give back the exact counts disclosure control rounds.
    var minimumOrganisationsForDispersion: Int { disclosure.enabled ? Self.minimumOrganisationsForCaseMix : 2 }

    /// Fills every row's overdispersed limits and flags, per indicator, from φ and τ²
    /// estimated over the organisation rows (``RowFigures/isUnit``). Returns the
    /// estimates, per indicator and kind.
    ///
    /// φ and τ² are summary statistics over all the organisations, like the models'
    /// coefficients: they are estimated from the exact counts (``RowFigures/exactNumerator``),
    /// suppressed rows included, whether disclosure control is on or off, so rounding to
    /// 5 and suppression do not inflate them (on the sample, crude non-medical φ was 3.57
    /// from the published counts against 1.37 from the exact ones). The crude shares'
    /// z-scores are taken around FunnelPlotR's target, Σ numerators / Σ denominators of
    /// the units; the ratios' around 1 with the exact expected counts. The widened limits
    /// are then drawn as the plain ones are, around the published `overall` and at the
    /// row's published denominator (or expected count).
    func addOverdispersedLimits(to rows: inout [[Cell]], figures: [RowFigures], overall: [Double?]) -> [OrganisationFunnelFigures.Dispersion] {
        var dispersion: [OrganisationFunnelFigures.Dispersion] = []
        for (indicator, overall) in zip(OrganisationColumn.Indicator.allCases, overall) where !withheld.contains(indicator) {
            let mine = figures.filter { $0.indicator == indicator }
            var proportion: Overdispersion? = nil
            if overall != nil {
                let units = mine.filter { $0.isUnit && $0.exactDenominator > 0 }.map {
                    (numerator: Double($0.exactNumerator), denominator: Double($0.exactDenominator))
                }
                let target = units.map(\.numerator).reduce(0, +) / units.map(\.denominator).reduce(0, +)
                // Too few units estimate nothing (and Overdispersion needs some to trim).
                proportion = units.count < minimumOrganisationsForDispersion ? nil : Overdispersion(units: units, target: target, scale: .proportion)
            }
            let ratioUnits = mine.filter(\.isUnit).compactMap { row -> (numerator: Double, denominator: Double)? in
                guard let e = row.exactExpected, e > 0 else { return nil }
                return (Double(row.exactNumerator), e)
            }
            let ratio = ratioUnits.count < minimumOrganisationsForDispersion ? nil : Overdispersion(units: ratioUnits, target: 1, scale: .ratio)
            dispersion.append(.init(indicator: indicator, kind: .proportion, estimate: proportion))
            dispersion.append(.init(indicator: indicator, kind: .ratio, estimate: ratio))
            for figure in mine {
                var row = rows[figure.row]
                // Where the plain limits are drawn but the overdispersed ones cannot be, the note says why.
                if proportion == nil, !row[OrganisationColumn.lower95.index].isEmpty {
                    Self.addNote(OrganisationColumn.Note.overdispersionNotEstimated, to: &row)
                }
                if ratio == nil, figure.ratioFunnelDrawn { Self.addNote(OrganisationColumn.Note.isrOverdispersionNotEstimated, to: &row) }
                if let proportion, let overall, let d = figure.denominator, let plain = FunnelLimits(denominator: Double(d), overall: overall),
                    let odLimits = proportion.limits(denominator: Double(d), target: overall), let limits = Self.widened(plain, odLimits)
                {
                    row[OrganisationColumn.lower95OD.index] = .decimal(100 * limits.lower95, places: Self.places)
                    row[OrganisationColumn.upper95OD.index] = .decimal(100 * limits.upper95, places: Self.places)
                    row[OrganisationColumn.lower998OD.index] = .decimal(100 * limits.lower998, places: Self.places)
                    row[OrganisationColumn.upper998OD.index] = .decimal(100 * limits.upper998, places: Self.places)
                    if let n = figure.numerator {
                        // Each true pair's widened flag, held to its plain flag.
                        let flag = robustFlag(numerator: n, denominator: d) { n, d -> OrganisationColumn.Flag? in
                            guard let plain = FunnelLimits(denominator: Double(d), overall: overall),
                                let od = proportion.limits(denominator: Double(d), target: overall), let limits = Self.widened(plain, od)
                            else { return nil }
                            let share = Double(n) / Double(d)
                            return Self.notBeyond(limits.flag(share), plain: plain.flag(share))
                        }
                        if let flag {
                            row[OrganisationColumn.flagOD.index] = .text(flag.rawValue)
                        } else {
                            Self.addNote(OrganisationColumn.Note.flagWithheldRounding, to: &row)
                        }
                    }
                }
                if let ratio, figure.ratioFunnelDrawn, let m = figure.mixShare, let e = figure.expected, let n = figure.numerator,
                    let d = figure.denominator
                {
                    func widenedLimits(_ e: Double) -> FunnelLimits? {
                        guard let plain = RatioFunnel.limits(expected: e), let od = ratio.limits(denominator: e, target: 1) else { return nil }
                        return Self.widened(plain, od)
                    }
                    if let limits = widenedLimits(e) {
                        row[OrganisationColumn.isrFunnelLower95OD.index] = .significant(limits.lower95, digits: Self.significantDigits)
                        row[OrganisationColumn.isrFunnelUpper95OD.index] = .significant(limits.upper95, digits: Self.significantDigits)
                        row[OrganisationColumn.isrFunnelLower998OD.index] = .significant(limits.lower998, digits: Self.significantDigits)
                        row[OrganisationColumn.isrFunnelUpper998OD.index] = .significant(limits.upper998, digits: Self.significantDigits)
                        // Each true pair's widened flag, held to its plain isr_flag.
                        // The limits depend on the true denominator only: once per denominator
                        // (each is four gamma quantiles), not once per pair.
                        var limitsOf: [Int64: FunnelLimits?] = [:]
                        let flag = robustFlag(numerator: n, denominator: d) { trueN, trueD -> OrganisationColumn.Flag? in
                            let trueE = trueD == d ? e : Double(trueD) * m
                            if limitsOf[trueD] == nil { limitsOf[trueD] = .some(widenedLimits(trueE)) }
                            // safe: set on the line above
                            guard let limits = limitsOf[trueD]!, let plain = Self.plainRatioFlag(observed: trueN, expected: trueE) else { return nil }
                            return Self.notBeyond(limits.flag(Double(trueN) / trueE), plain: plain)
                        }
                        if let flag {
                            row[OrganisationColumn.isrFlagOD.index] = .text(flag.rawValue)
                        } else {
                            Self.addNote(OrganisationColumn.Note.isrFlagWithheldRounding, to: &row)
                        }
                    } else {
                        Self.addNote(OrganisationColumn.Note.expectedTooSmall, to: &row)
                    }
                }
                rows[figure.row] = row
            }
        }
        return dispersion
    }

    /// The referrals counted in `indicator`'s numerator.
    static func numerator(_ indicator: OrganisationColumn.Indicator, of counts: ResidentCounts) -> Int64 {
        switch indicator {
        case .nonMedicalShare: counts.nonMedical
        case .contactedShare: counts.contacted
        case .interventionShare: counts.intervention
        }
    }

    /// One row per indicator for one organisation or parent.
    private func appendRows(
        to rows: inout [[Cell]], figures: inout [RowFigures], id: String, level: OrganisationColumn.Level, name: String?, type: String?,
        parent: String?, unit: Unit, overall: [Double?], standard: CaseMixStandard, caseMix: [CaseMixUse]
    ) {
        let counts = unit.counts
        for ((indicator, overall), caseMix) in zip(zip(OrganisationColumn.Indicator.allCases, overall), caseMix) where !withheld.contains(indicator) {
            var row = [Cell](repeating: .empty, count: OrganisationColumn.allCases.count)
            row[OrganisationColumn.organisationID.index] = .text(id)
            row[OrganisationColumn.indicator.index] = .text(indicator.rawValue)
            let share = DisclosureControl.share(
                Self.numerator(indicator, of: counts), of: counts.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo,
                roundTo: disclosure.roundTo)
            row[OrganisationColumn.numerator.index] = .count(share.numerator)
            row[OrganisationColumn.denominator.index] = .count(share.denominator)
            row[OrganisationColumn.value.index] = .decimal(share.percent?.value, places: Self.places)
            row[OrganisationColumn.overall.index] = .decimal(overall.map { 100 * $0 }, places: Self.places)
            var note: String? = nil
            if let overall, let d = share.denominator, let limits = FunnelLimits(denominator: Double(d), overall: overall) {
                row[OrganisationColumn.lower95.index] = .decimal(100 * limits.lower95, places: Self.places)
                row[OrganisationColumn.upper95.index] = .decimal(100 * limits.upper95, places: Self.places)
                row[OrganisationColumn.lower998.index] = .decimal(100 * limits.lower998, places: Self.places)
                row[OrganisationColumn.upper998.index] = .decimal(100 * limits.upper998, places: Self.places)
                if let n = share.numerator {
                    if let flag = robustFlag(numerator: n, denominator: d, overall: overall) {
                        row[OrganisationColumn.flag.index] = .text(flag.rawValue)
                    } else {
                        note = OrganisationColumn.Note.flagWithheldRounding
                    }
                }
            } else if !share.isSuppressed {
                note = overall == nil ? OrganisationColumn.Note.overallSuppressed : OrganisationColumn.Note.noReferrals
            }
            row[OrganisationColumn.note.index] = note.map(Cell.text) ?? .empty
            row[OrganisationColumn.level.index] = .text(level.rawValue)
            row[OrganisationColumn.name.index] = .text(name ?? "")
            row[OrganisationColumn.organisationType.index] = .text(type ?? "")
            row[OrganisationColumn.parentID.index] = .text(parent ?? "")
            row[OrganisationColumn.suppressed.index] = .flag(share.isSuppressed)
            row[OrganisationColumn.disclosureControl.index] = .disclosureControl(disclosure.enabled)

            var figure = RowFigures(
                row: rows.count, indicator: indicator, isUnit: level == .organisation && id != Self.pooledID, numerator: share.numerator,
                denominator: share.denominator, exactNumerator: Self.numerator(indicator, of: counts), exactDenominator: counts.referred)
            // safe: every indicator is one of allCases
            let index = OrganisationColumn.Indicator.allCases.firstIndex(of: indicator)!
            // A unit's exact expected count, for φ and τ² whether or not its counts are published.
            if figure.isUnit, case .adjusted = caseMix, counts.referred > 0 {
                figure.exactExpected = unit.expected?[index] ?? standard.expected(indicator, strata: unit.strata)
            }
            // The ratio: only beside a published pair and a published overall share (the
            // strata's shares come from the same counts), with strata to adjust by and a
            // standard of enough organisations (``minimumOrganisationsForCaseMix``).
            if overall != nil, let n = share.numerator, let d = share.denominator, d > 0, counts.referred > 0 {
                switch caseMix {
                case .noStrata: Self.addNote(OrganisationColumn.Note.caseMixNoStrata, to: &row)
                case .tooFewOrganisations: Self.addNote(OrganisationColumn.Note.caseMixTooFewOrganisations, to: &row)
                case .adjusted:
                    let exactExpected = figure.exactExpected ?? unit.expected?[index] ?? standard.expected(indicator, strata: unit.strata)
                    let mixShare = exactExpected / Double(counts.referred)
                    // With disclosure control on, the published denominator times the mix's
                    // expected share (a share of exact counts over at least
                    // minimumOrganisationsForCaseMix organisations), never the exact count.
                    let expected = disclosure.enabled ? Double(d) * mixShare : exactExpected
                    appendRatio(to: &row, figure: &figure, observed: n, denominator: d, expected: expected, mixShare: mixShare)
                }
            }
            figures.append(figure)
            rows.append(row)
        }
    }

    /// Fills a row's ratio cells: `observed`, `expected`, `isr` and its confidence limits,
    /// and PHE's funnel limits and `isr_flag` when they are numbers
    /// (``RatioFunnel/limits(expected:)``; else note ``OrganisationColumn/Note/expectedTooSmall``).
    private func appendRatio(to row: inout [Cell], figure: inout RowFigures, observed n: Int64, denominator d: Int64, expected: Double, mixShare: Double) {
        row[OrganisationColumn.observed.index] = .count(n)
        row[OrganisationColumn.expected.index] = .significant(expected, digits: Self.significantDigits)
        guard let ratio = StandardisedRatio(observed: n, expected: expected) else {
            Self.addNote(OrganisationColumn.Note.noExpectedEvents, to: &row)
            return
        }
        figure.mixShare = mixShare
        figure.expected = expected
        row[OrganisationColumn.isr.index] = .significant(ratio.ratio, digits: Self.significantDigits)
        row[OrganisationColumn.isrLower95.index] = .significant(ratio.limits95.lower, digits: Self.significantDigits)
        row[OrganisationColumn.isrUpper95.index] = .significant(ratio.limits95.upper, digits: Self.significantDigits)
        row[OrganisationColumn.isrLower998.index] = .significant(ratio.limits998.lower, digits: Self.significantDigits)
        row[OrganisationColumn.isrUpper998.index] = .significant(ratio.limits998.upper, digits: Self.significantDigits)
        guard let funnel = RatioFunnel.limits(expected: expected) else {
            Self.addNote(OrganisationColumn.Note.expectedTooSmall, to: &row)
            return
        }
        figure.ratioFunnelDrawn = true
        row[OrganisationColumn.isrFunnelLower95.index] = .significant(funnel.lower95, digits: Self.significantDigits)
        row[OrganisationColumn.isrFunnelUpper95.index] = .significant(funnel.upper95, digits: Self.significantDigits)
        row[OrganisationColumn.isrFunnelLower998.index] = .significant(funnel.lower998, digits: Self.significantDigits)
        row[OrganisationColumn.isrFunnelUpper998.index] = .significant(funnel.upper998, digits: Self.significantDigits)
        // The published pair's own expected count; a true denominator's, from the mix.
        let flag = robustFlag(numerator: n, denominator: d) { trueN, trueD in
            Self.plainRatioFlag(observed: trueN, expected: trueD == d ? expected : Double(trueD) * mixShare)
        }
        if let flag {
            row[OrganisationColumn.isrFlag.index] = .text(flag.rawValue)
        } else {
            Self.addNote(OrganisationColumn.Note.isrFlagWithheldRounding, to: &row)
        }
    }

    /// `isr_flag` for an observed and expected count: the ratio's own intervals against 1
    /// (``StandardisedRatio/flag``); `nil` where PHE's funnel is not a number there
    /// (a true count the published pair stands for may fall below ``RatioFunnel/minimumExpected``).
    static func plainRatioFlag(observed: Int64, expected: Double) -> OrganisationColumn.Flag? {
        guard RatioFunnel.isDrawn(expected: expected) else { return nil }
        return StandardisedRatio(observed: observed, expected: expected)?.flag
    }

    /// The overdispersed flag as the table publishes it: never further from `within`
    /// than the plain flag of the same counts (overdispersion only widens). A flag on the
    /// other side, or further out on the same side, gives way to the plain one.
    static func notBeyond(_ overdispersed: OrganisationColumn.Flag, plain: OrganisationColumn.Flag) -> OrganisationColumn.Flag {
        func side(_ flag: OrganisationColumn.Flag) -> Int {
            switch flag {
            case .above998, .above95: 1
            case .within: 0
            case .below95, .below998: -1
            }
        }
        func distance(_ flag: OrganisationColumn.Flag) -> Int {
            switch flag {
            case .above998, .below998: 2
            case .above95, .below95: 1
            case .within: 0
            }
        }
        if overdispersed == .within { return overdispersed }
        return side(overdispersed) == side(plain) && distance(overdispersed) <= distance(plain) ? overdispersed : plain
    }

    /// The overdispersed limits the table publishes: at each end the wider of the plain
    /// limit and Spiegelhalter's (lower the smaller, upper the larger), so overdispersion
    /// only ever widens the funnel; `nil` when either is not a number.
    static func widened(_ plain: FunnelLimits, _ overdispersed: FunnelLimits) -> FunnelLimits? {
        let limits = FunnelLimits(
            lower95: min(plain.lower95, overdispersed.lower95), upper95: max(plain.upper95, overdispersed.upper95),
            lower998: min(plain.lower998, overdispersed.lower998), upper998: max(plain.upper998, overdispersed.upper998))
        let all = [limits.lower95, limits.upper95, limits.lower998, limits.upper998]
        return all.allSatisfy(\.isFinite) ? limits : nil
    }
}

/// What the organisation funnels were drawn with, for the manifest and the report: the
/// groupings the case mix is stratified by, and per indicator and kind of funnel the
/// overdispersion estimates (``Overdispersion``).
public struct OrganisationFunnelFigures: Sendable, Equatable, Encodable {
    /// The kind of funnel: the crude share (``Overdispersion/Scale/proportion``), or the
    /// indirectly standardised ratio (``Overdispersion/Scale/ratio``).
    public typealias Kind = Overdispersion.Scale

    /// φ and τ² of one indicator's funnel of one kind; `nil` figures when they could not
    /// be estimated (fewer than two organisations, an overall share withheld).
    public struct Dispersion: Sendable, Equatable, Encodable {
        public var indicator: String
        public var kind: Kind
        public var phi: Double?
        public var tau2: Double?
        /// Organisations φ and τ² were estimated from (after truncation, for ratios).
        public var units: Int?

        init(indicator: OrganisationColumn.Indicator, kind: Kind, estimate: Overdispersion?) {
            self.indicator = indicator.rawValue
            self.kind = kind
            func rounded(_ value: Double) -> Double? { Cell.significant(value, digits: OrganisationTableBuilder.significantDigits).value }
            phi = estimate.flatMap { rounded($0.phi) }
            tau2 = estimate.flatMap { rounded($0.tau2) }
            units = estimate?.units
        }

        private enum CodingKeys: String, CodingKey { case indicator, kind, phi, tau2, units }
    }

    /// The case-mix strata, as the pipeline names the groupings.
    public var caseMixStrata: [String]
    /// Per indicator (published order), the proportion's then the ratio's estimates.
    public var dispersion: [Dispersion]
    /// Which rows φ and τ² are estimated from.
    public var units =
        "organisation rows of organisations.csv with referrals, from their exact counts (suppressed rows included); the pooled (other) row and parent rows excluded"

    private enum CodingKeys: String, CodingKey {
        case caseMixStrata = "case_mix_strata", dispersion = "overdispersion", units = "overdispersion_units"
    }
}

extension Overdispersion.Scale: Encodable {}
