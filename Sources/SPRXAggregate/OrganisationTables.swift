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
/// - Order: organisation rows by code (the pooled row last), then parent rows by code;
///   indicators in their declared order. Values and limits have ``places`` decimals.
public struct OrganisationTableBuilder: Sendable {
    public let disclosure: DisclosureSettings
    /// Indicators whose field the export does not record (``FieldRecording``): they have
    /// no rows (no funnel can be drawn for a share that is not known).
    public var withheld: Set<OrganisationColumn.Indicator> = []
    /// The groupings the counts' case-mix strata were packed from (named in the figures).
    public var caseMixStrata: [String] = GroupKeySchema.defaultCaseMixStrata

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

    /// The builder for a pipeline's disclosure settings.
    public init(pipeline: PipelineConfiguration) {
        self.init(disclosure: pipeline.disclosure)
        caseMixStrata = pipeline.groupKey.caseMixStrata.map(\.name)
    }

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
        let codes = counts.registry.codes
        var byNumber = [Int64](repeating: 0, count: codes.count)
        for entry in counts.months.numbered { byNumber[entry.organisation] += entry.value.referred }
        var pooled = Pooled()
        for number in codes.indices.dropFirst() where byNumber[number] != 0 {
            pooled.referralsWithID += byNumber[number]
            if isPublishable(codes[number], directory: directory) {
                pooled.publishedIDs += 1
            } else {
                pooled.referrals += byNumber[number]
                pooled.ids += 1
            }
        }
        return pooled
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

    /// One organisation or parent: its referrals summed over the months, and by stratum.
    struct Unit {
        var counts = ResidentCounts()
        var strata: [UInt32: ResidentCounts] = [:]

        mutating func add(_ other: Unit) {
            counts.add(other.counts)
            for (stratum, value) in other.strata { strata[stratum, default: ResidentCounts()].add(value) }
        }
    }

    /// The table (organisation rows, then parent rows when `directory` is given) and its
    /// funnels' figures.
    public func buildWithFigures(_ counts: OrganisationCounts, directory: OrganisationDirectory?) -> Built {
        let codes = counts.registry.codes
        var byNumber = [Unit](repeating: Unit(), count: codes.count)
        for entry in counts.months.numbered { byNumber[entry.organisation].counts.add(entry.value) }
        // The strata table numbers the codes its own way: matched by code.
        var numberOf: [ShortCode: Int] = [:]
        for (number, code) in codes.enumerated() { numberOf[code] = number }
        let strataCodes = counts.strata.codes
        for entry in counts.strata.numbered {
            guard let number = numberOf[strataCodes[entry.organisation]] else { continue }
            byNumber[number].strata[entry.low, default: ResidentCounts()].add(entry.value)
        }

        // Number 0 is "no organisation_id": in no row.
        var organisations: [(code: ShortCode, unit: Unit)] = []
        var pooled = Unit()
        for number in codes.indices.dropFirst() where byNumber[number].counts != ResidentCounts() {
            if Self.isPublishable(codes[number], directory: directory) {
                organisations.append((codes[number], byNumber[number]))
            } else {
                pooled.add(byNumber[number])
            }
        }
        organisations.sort { $0.code < $1.code }

        var total = pooled
        for organisation in organisations { total.add(organisation.unit) }
        let overall = OrganisationColumn.Indicator.allCases.map { indicator -> Double? in
            let share = DisclosureControl.share(
                Self.numerator(indicator, of: total.counts), of: total.counts.referred, enabled: disclosure.enabled,
                suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
            guard let n = share.numerator, let d = share.denominator, d > 0 else { return nil }
            return Double(n) / Double(d)
        }
        let standard = CaseMixStandard(strata: total.strata)

        var rows: [[Cell]] = []
        var figures: [RowFigures] = []
        func append(id: String, level: OrganisationColumn.Level, name: String?, type: String?, parent: String?, unit: Unit) {
            appendRows(
                to: &rows, figures: &figures, id: id, level: level, name: name, type: type, parent: parent, unit: unit, overall: overall,
                standard: standard)
        }
        var parents: [String: (info: OrganisationInfo, unit: Unit)] = [:]
        for organisation in organisations {
            let info = directory?.info(organisation.code.description)
            append(
                id: organisation.code.description, level: .organisation, name: info?.name, type: info?.type, parent: info?.parentCode, unit: organisation.unit)
            // Organisations come in code order: a parent's name is the first non-empty listing's.
            if let info, !info.parentCode.isEmpty {
                parents[info.parentCode, default: (info, Unit())].unit.add(organisation.unit)
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
        /// The organisation's mix-weighted expected share m = Σ_s (n_s / n)·p_s, and its
        /// published expected count (`nil` when the ratio's cells are empty).
        var mixShare: Double?
        var expected: Double?
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

    /// Fills every row's overdispersed limits and flags, per indicator, from φ and τ²
    /// estimated over the organisation rows (``RowFigures/isUnit``): the crude shares on
    /// the proportion scale around `overall`, the ratios on the ratio scale around 1.
    /// Returns the estimates, per indicator and kind.
    func addOverdispersedLimits(to rows: inout [[Cell]], figures: [RowFigures], overall: [Double?]) -> [OrganisationFunnelFigures.Dispersion] {
        var dispersion: [OrganisationFunnelFigures.Dispersion] = []
        for (indicator, overall) in zip(OrganisationColumn.Indicator.allCases, overall) where !withheld.contains(indicator) {
            let mine = figures.filter { $0.indicator == indicator }
            var proportion: Overdispersion? = nil
            if let overall {
                let units = mine.filter(\.isUnit).compactMap { row -> (numerator: Double, denominator: Double)? in
                    guard let n = row.numerator, let d = row.denominator, d > 0 else { return nil }
                    return (Double(n), Double(d))
                }
                // Fewer than two units estimate nothing (and Overdispersion needs some to trim).
                proportion = units.count < 2 ? nil : Overdispersion(units: units, target: overall, scale: .proportion)
            }
            let ratioUnits = mine.filter(\.isUnit).compactMap { row -> (numerator: Double, denominator: Double)? in
                guard let n = row.numerator, let e = row.expected, e > 0 else { return nil }
                return (Double(n), e)
            }
            let ratio = ratioUnits.count < 2 ? nil : Overdispersion(units: ratioUnits, target: 1, scale: .ratio)
            dispersion.append(.init(indicator: indicator, kind: .proportion, estimate: proportion))
            dispersion.append(.init(indicator: indicator, kind: .ratio, estimate: ratio))
            for figure in mine {
                var row = rows[figure.row]
                // Where the plain limits are drawn but the overdispersed ones cannot be, the note says why.
                if proportion == nil, !row[OrganisationColumn.lower95.index].isEmpty {
                    Self.addNote(OrganisationColumn.Note.overdispersionNotEstimated, to: &row)
                }
                if ratio == nil, figure.expected != nil { Self.addNote(OrganisationColumn.Note.isrOverdispersionNotEstimated, to: &row) }
                if let proportion, let overall, let d = figure.denominator, let limits = proportion.limits(denominator: Double(d), target: overall) {
                    row[OrganisationColumn.lower95OD.index] = .decimal(100 * limits.lower95, places: Self.places)
                    row[OrganisationColumn.upper95OD.index] = .decimal(100 * limits.upper95, places: Self.places)
                    row[OrganisationColumn.lower998OD.index] = .decimal(100 * limits.lower998, places: Self.places)
                    row[OrganisationColumn.upper998OD.index] = .decimal(100 * limits.upper998, places: Self.places)
                    if let n = figure.numerator {
                        let flag = robustFlag(numerator: n, denominator: d) { n, d in
                            proportion.limits(denominator: Double(d), target: overall)?.flag(Double(n) / Double(d))
                        }
                        if let flag {
                            row[OrganisationColumn.flagOD.index] = .text(flag.rawValue)
                        } else {
                            Self.addNote(OrganisationColumn.Note.flagWithheldRounding, to: &row)
                        }
                    }
                }
                if let ratio, let m = figure.mixShare, let e = figure.expected, let n = figure.numerator, let d = figure.denominator,
                    let limits = ratio.limits(denominator: e, target: 1)
                {
                    row[OrganisationColumn.isrFunnelLower95OD.index] = .significant(limits.lower95, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelUpper95OD.index] = .significant(limits.upper95, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelLower998OD.index] = .significant(limits.lower998, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelUpper998OD.index] = .significant(limits.upper998, digits: Self.significantDigits)
                    let flag = robustFlag(numerator: n, denominator: d) { trueN, trueD in
                        let trueE = trueD == d ? e : Double(trueD) * m
                        return ratio.limits(denominator: trueE, target: 1)?.flag(Double(trueN) / trueE)
                    }
                    if let flag {
                        row[OrganisationColumn.isrFlagOD.index] = .text(flag.rawValue)
                    } else {
                        Self.addNote(OrganisationColumn.Note.isrFlagWithheldRounding, to: &row)
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
        parent: String?, unit: Unit, overall: [Double?], standard: CaseMixStandard
    ) {
        let counts = unit.counts
        for (indicator, overall) in zip(OrganisationColumn.Indicator.allCases, overall) where !withheld.contains(indicator) {
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
                denominator: share.denominator)
            // The ratio: only beside a published pair and a published overall share (the
            // strata's shares come from the same counts).
            if overall != nil, let n = share.numerator, let d = share.denominator, d > 0, counts.referred > 0 {
                let exactExpected = standard.expected(indicator, strata: unit.strata)
                let mixShare = exactExpected / Double(counts.referred)
                // With disclosure control on, the published denominator times the mix's
                // expected share: it reveals a rate and the published count, never the exact count.
                let expected = disclosure.enabled ? Double(d) * mixShare : exactExpected
                row[OrganisationColumn.observed.index] = .count(n)
                row[OrganisationColumn.expected.index] = .significant(expected, digits: Self.significantDigits)
                if let ratio = StandardisedRatio(observed: n, expected: expected), let funnel = RatioFunnel.limits(expected: expected) {
                    figure.mixShare = mixShare
                    figure.expected = expected
                    row[OrganisationColumn.isr.index] = .significant(ratio.ratio, digits: Self.significantDigits)
                    row[OrganisationColumn.isrLower95.index] = .significant(ratio.limits95.lower, digits: Self.significantDigits)
                    row[OrganisationColumn.isrUpper95.index] = .significant(ratio.limits95.upper, digits: Self.significantDigits)
                    row[OrganisationColumn.isrLower998.index] = .significant(ratio.limits998.lower, digits: Self.significantDigits)
                    row[OrganisationColumn.isrUpper998.index] = .significant(ratio.limits998.upper, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelLower95.index] = .significant(funnel.lower95, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelUpper95.index] = .significant(funnel.upper95, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelLower998.index] = .significant(funnel.lower998, digits: Self.significantDigits)
                    row[OrganisationColumn.isrFunnelUpper998.index] = .significant(funnel.upper998, digits: Self.significantDigits)
                    // The published pair's own expected count; a true denominator's, from the mix.
                    let flag = robustFlag(numerator: n, denominator: d) { trueN, trueD in
                        StandardisedRatio(observed: trueN, expected: trueD == d ? expected : Double(trueD) * mixShare)?.flag
                    }
                    if let flag {
                        row[OrganisationColumn.isrFlag.index] = .text(flag.rawValue)
                    } else {
                        Self.addNote(OrganisationColumn.Note.isrFlagWithheldRounding, to: &row)
                    }
                } else {
                    Self.addNote(OrganisationColumn.Note.noExpectedEvents, to: &row)
                }
            }
            figures.append(figure)
            rows.append(row)
        }
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
    public var units = "organisation rows of organisations.csv with published counts; the pooled (other) row and parent rows excluded"

    private enum CodingKeys: String, CodingKey {
        case caseMixStrata = "case_mix_strata", dispersion = "overdispersion", units = "overdispersion_units"
    }
}

extension Overdispersion.Scale: Encodable {}
