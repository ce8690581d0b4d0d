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
        guard let limits = FunnelLimits(denominator: Double(d), overall: overall) else { return nil }
        let published = limits.flag(Double(n) / Double(d))
        guard disclosure.enabled else { return published }
        func standsFor(_ count: Int64) -> ClosedRange<Int64> {
            guard count > 0 else { return 0...0 }
            let step = Int64(max(1, disclosure.roundTo))
            let low = max(Int64(disclosure.suppressUpTo) + 1, count - step / 2)
            return low...max(low, count - step / 2 + step - 1)
        }
        for trueDenominator in standsFor(d) where trueDenominator > 0 {
            guard let limits = FunnelLimits(denominator: Double(trueDenominator), overall: overall) else { return nil }
            for trueNumerator in standsFor(n) where trueNumerator <= trueDenominator {
                if limits.flag(Double(trueNumerator) / Double(trueDenominator)) != published { return nil }
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
        var table = PublishedTable(.organisations)
        let codes = counts.registry.codes
        var byNumber = [ResidentCounts](repeating: ResidentCounts(), count: codes.count)
        for entry in counts.months.numbered { byNumber[entry.organisation].add(entry.value) }

        // Number 0 is "no organisation_id": in no row.
        var organisations: [(code: ShortCode, counts: ResidentCounts)] = []
        var pooled = ResidentCounts()
        for number in codes.indices.dropFirst() where byNumber[number] != ResidentCounts() {
            if Self.isPublishable(codes[number], directory: directory) {
                organisations.append((codes[number], byNumber[number]))
            } else {
                pooled.add(byNumber[number])
            }
        }
        organisations.sort { $0.code < $1.code }

        var total = pooled
        for organisation in organisations { total.add(organisation.counts) }
        let overall = OrganisationColumn.Indicator.allCases.map { indicator -> Double? in
            let share = DisclosureControl.share(
                Self.numerator(indicator, of: total), of: total.referred, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo,
                roundTo: disclosure.roundTo)
            guard let n = share.numerator, let d = share.denominator, d > 0 else { return nil }
            return Double(n) / Double(d)
        }

        var parents: [String: (info: OrganisationInfo, counts: ResidentCounts)] = [:]
        for organisation in organisations {
            let info = directory?.info(organisation.code.description)
            appendRows(
                to: &table, id: organisation.code.description, level: .organisation, name: info?.name, type: info?.type,
                parent: info?.parentCode, counts: organisation.counts, overall: overall)
            // Organisations come in code order: a parent's name is the first non-empty listing's.
            if let info, !info.parentCode.isEmpty {
                parents[info.parentCode, default: (info, ResidentCounts())].counts.add(organisation.counts)
                // safe: set with a default on the line above
                if parents[info.parentCode]!.info.parentName.isEmpty && !info.parentName.isEmpty { parents[info.parentCode]!.info = info }
            }
        }
        if pooled != ResidentCounts() {
            appendRows(to: &table, id: Self.pooledID, level: .organisation, name: nil, type: nil, parent: nil, counts: pooled, overall: overall)
        }
        for code in parents.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            // safe: iterating the dictionary's own keys
            let parent = parents[code]!
            appendRows(
                to: &table, id: code, level: .parent, name: parent.info.parentName, type: parent.info.parentType, parent: nil,
                counts: parent.counts, overall: overall)
        }
        return table
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
        to table: inout PublishedTable, id: String, level: OrganisationColumn.Level, name: String?, type: String?, parent: String?,
        counts: ResidentCounts, overall: [Double?]
    ) {
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
            table.append(row)
        }
    }
}
