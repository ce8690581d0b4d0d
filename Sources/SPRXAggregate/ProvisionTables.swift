import Dispatch
import SPRXCore
import SPRXPipeline

extension ProvisionColumn {
    /// The values of `note` (several, when several apply, joined by `;` in this order).
    public enum Note {
        /// The data's period (first to last clean referral date) does not cover the
        /// census date's three months: no referral count.
        public static let outsideDataPeriod = "outside_data_period"
        /// Disclosure control withholds the referral count, so its rates too.
        public static let suppressed = "suppressed"
        /// The network has no row in the month's workforce return: FTE unknown (not 0).
        public static let noWorkforceReturn = "no_workforce_return"
        /// No registration extract within 31 days lists the network.
        public static let noRegisteredPatients = "no_registered_patients"
        /// The network's FTE is 0 (or below, as published): no referrals per FTE.
        public static let noLinkWorkerFTE = "no_link_worker_fte"
        /// None of the network's practices (latest extract) has an IMD 2019 score.
        public static let noDeprivationScore = "no_deprivation_score"
    }
}

extension ProvisionGradientColumn {
    /// The `measure` values.
    public enum Measure: String, CaseIterable, Sendable {
        case ftePer50000 = "fte_per_50000", sii, rii
    }

    /// The `group` of the rows for every scored network together (and of `sii`, `rii`).
    public static let allGroups = "all"

    /// The values of `note`.
    public enum Note {
        /// Prefix of the count of the group's networks left out for having no workforce
        /// return that month (`no_workforce_return=12`).
        public static let noWorkforceReturn = "no_workforce_return="
        /// Prefix of the count left out for having no registered patients at the extract.
        public static let noRegisteredPatients = "no_registered_patients="
        /// Fewer than two networks: no between-network interval.
        public static let fewerThanTwo = "fewer_than_2_pcns"
        /// A quintile has no value: no indices.
        public static let quintileWithoutValue = "quintile_without_value"
        /// The regression cannot be fitted for another reason.
        public static let notEstimable = InequalityColumn.Note.notEstimable
    }
}

/// Which census dates of the workforce file the run's referrals cover, and where the
/// run's period falls among them, for the manifest (`census_coverage`) and the report.
///
/// A census date's referrals are those of its three calendar months
/// (``ProvisionTableBuilder/window(of:)``), counted only when the run's period covers
/// them all. The bundled workforce file has no census between 2022-09-30 and 2025-03-31,
/// so a run of 2023-2024 referrals covers none: every network's row is
/// `outside_data_period`, and this says why in words.
public struct CensusCoverage: Sendable, Equatable, Codable {
    /// Every census date of the workforce file, ascending (ISO dates).
    public var censusDates: [String]
    /// Gaps of more than ``maximumGapDays`` days between consecutive census dates, as
    /// `[from, to]` (the bundled file: `["2022-09-30", "2025-03-31"]`).
    public var gaps: [[String]]
    /// The run's period (first and last clean referral date); `nil` without dated referrals.
    public var periodFirst: String?, periodLast: String?
    /// Census dates whose three months the period covers: their referrals are counted.
    public var covered: [String]
    /// When none is covered: the last census date before the period and the first after
    /// it (either `nil` at the file's ends), and census dates within the period whose
    /// three months it does not cover whole.
    public var before: String?, after: String?
    public var within: [String]
    /// The census date the report's national figures use: the latest covered one with a
    /// registration extract, else the one with an extract nearest the period (the later
    /// of two equally near), else the latest with an extract; `nil` without extracts.
    public var reported: String?
    /// Whether ``reported`` is one of ``covered``.
    public var reportedIsCovered: Bool
    /// The above in one or two sentences of plain words (the report prints it).
    public var explanation: String

    /// Census dates further apart than this are a gap (quarterly returns are ~92 days apart).
    public static let maximumGapDays: Int32 = 100

    enum CodingKeys: String, CodingKey {
        case censusDates = "census_dates", gaps, periodFirst = "period_first", periodLast = "period_last", covered
        case before = "last_census_before_period", after = "first_census_after_period", within = "census_dates_in_period_not_covered"
        case reported = "national_figures_census_date", reportedIsCovered = "national_figures_census_date_covered", explanation
    }

    /// The coverage of `censusDates` by `period`; `withPatients` are the dates with a
    /// registration extract (those the national figures can use).
    public init(censusDates: [Day], withPatients: [Day], period: (first: Day, last: Day)?) {
        let dates = censusDates.sorted()
        self.censusDates = dates.map(\.description)
        var gaps: [[String]] = []
        for (a, b) in zip(dates, dates.dropFirst()) where b.daysSinceEpoch - a.daysSinceEpoch > Self.maximumGapDays {
            gaps.append([a.description, b.description])
        }
        self.gaps = gaps
        periodFirst = period?.first.description
        periodLast = period?.last.description
        func isCovered(_ census: Day) -> Bool {
            guard let period else { return false }
            let window = ProvisionTableBuilder.window(of: census)
            return period.first <= window.start && period.last >= window.end
        }
        let covered = dates.filter(isCovered)
        self.covered = covered.map(\.description)
        if let period, covered.isEmpty {
            before = dates.last { $0 < period.first }?.description
            after = dates.first { $0 > period.last }?.description
            within = dates.filter { $0 >= period.first && $0 <= period.last }.map(\.description)
        } else {
            before = nil
            after = nil
            within = []
        }
        let usable = withPatients.sorted()
        var reported: Day? = usable.last(where: isCovered)
        if reported == nil, let period {
            func distance(_ day: Day) -> Int32 {
                day < period.first ? period.first.daysSinceEpoch - day.daysSinceEpoch : day > period.last ? day.daysSinceEpoch - period.last.daysSinceEpoch : 0
            }
            reported = usable.min { distance($0) != distance($1) ? distance($0) < distance($1) : $0 > $1 }
        }
        if reported == nil { reported = usable.last }
        self.reported = reported?.description
        reportedIsCovered = reported.map(isCovered) ?? false
        explanation = ""
        explanation = words()
    }

    /// ``explanation``.
    func words() -> String {
        guard let first = censusDates.first, let last = censusDates.last else { return "The workforce file has no census date." }
        var text = "NHS England's workforce census has \(censusDates.count) date\(censusDates.count == 1 ? "" : "s") from \(first) to \(last)"
        text += gaps.isEmpty ? "" : " (none between " + gaps.map { "\($0[0]) and \($0[1])" }.joined(separator: ", nor between ") + ")"
        text += "; each counts the referrals of its own three calendar months."
        guard let periodFirst, let periodLast else { return text + " The referrals have no dates, so none is set against a census." }
        if !covered.isEmpty {
            let listed = covered.count <= 3 ? covered.joined(separator: ", ") : "\(covered.count) of them, \(covered.first!) to \(covered.last!)"
            text +=
                " This export's referrals (\(periodFirst) to \(periodLast)) cover the three months of \(covered.count == 1 ? "the census of " : "the censuses of ")\(listed)."
        } else {
            text += " This export's referrals (\(periodFirst) to \(periodLast)) cover the three months of no census date"
            switch (before, after) {
            case let (before?, after?): text += ": the period falls between the census dates \(before) and \(after)"
            case let (before?, nil): text += ": the period is after the last census date, \(before)"
            case let (nil, after?): text += ": the period is before the first census date, \(after)"
            case (nil, nil): break
            }
            if !within.isEmpty {
                text +=
                    " (\(within.joined(separator: ", ")) \(within.count == 1 ? "is" : "are") in the period, but not all of \(within.count == 1 ? "its" : "their") three months)"
            }
            text += ", so no network's referrals are set against its link worker time."
        }
        if let reported {
            text +=
                reportedIsCovered
                ? " The national figures are for \(reported), the latest census the referrals cover that has registered patients."
                : " The national figures (public data only) are for \(reported), the census with registered patients nearest this period."
        }
        return text
    }
}

/// What the provision tables found, for the manifest: how the referrals' organisations
/// mapped to networks and how much of the practice list the deprivation scores cover.
public struct ProvisionFigures: Sendable, Equatable, Codable {
    /// Distinct `organisation_id` codes among the clean referrals.
    public var organisations = 0
    /// Of them, mapped as a PCN code, as a practice code (its PCN in the latest practice
    /// extract), through the lookup's parent, and not mapped.
    public var mappedAsNetwork = 0, mappedAsPractice = 0, mappedByLookupParent = 0, unmapped = 0
    /// Referrals of mapped organisations, of unmapped ones, and without an organisation;
    /// controlled like every published count when disclosure control is on (`nil`, left
    /// out of the manifest, when suppressed): beside the tables' rounded counts, exact ones
    /// would undo the rounding.
    public var referralsMapped: Int64? = 0, referralsUnmapped: Int64? = 0, referralsWithoutOrganisation: Int64? = 0
    /// Networks with at least one mapped organisation (rows of `pcn_provision.csv` ÷ census dates).
    public var networksMapped = 0
    /// Census dates in the workforce file, and those with a registration extract.
    public var censusDates = 0, censusDatesWithPatients = 0
    /// Networks with a deprivation score (ranked into quintiles).
    public var networksWithScore = 0
    /// Of the patients of practices in a network (latest extract), the share in
    /// practices with a score (0-1).
    public var scoredPatientShare = 0.0
    /// The practice extract membership and scores are from (ISO date).
    public var practiceExtract = ""
    /// Which census dates the run's referrals cover, and why none when none is.
    public var coverage: CensusCoverage?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case organisations, mappedAsNetwork = "mapped_as_pcn", mappedAsPractice = "mapped_as_practice"
        case mappedByLookupParent = "mapped_by_lookup_parent", unmapped
        case referralsMapped = "referrals_mapped", referralsUnmapped = "referrals_unmapped"
        case referralsWithoutOrganisation = "referrals_without_organisation"
        case networksMapped = "pcns_mapped", censusDates = "census_dates", censusDatesWithPatients = "census_dates_with_registered_patients"
        case networksWithScore = "pcns_with_imd_score", scoredPatientShare = "imd_scored_patient_share", practiceExtract = "practice_extract"
        case coverage = "census_coverage"
    }
}

/// Builds `pcn_provision.csv` and `provision_by_deprivation.csv` (England): social
/// prescribing link worker FTE per primary care network against its registered patients,
/// its deprivation and the referrals of its organisations.
///
/// Decisions (issue 18):
/// - **Mapping.** An organisation maps to a PCN when its code is a PCN code of the
///   workforce or registration file, or a practice code of the latest practice extract
///   (its PCN there), or its lookup parent is such a PCN code, tried in that order.
///   Anything else is counted unmapped in ``ProvisionFigures``, never guessed.
/// - **Rows.** `pcn_provision.csv` has a row per mapped PCN × census date of the
///   workforce file, by code then date.
/// - **Window.** A census date's referrals are those of the three calendar months ending
///   with the census month (`period_start` to `period_end`), counted only when the data's
///   period (first to last clean referral date) covers the whole window, else empty with
///   `outside_data_period`. The count is disclosure-controlled and every rate is from the
///   controlled count.
/// - **Patients.** From the registration extract nearest the census date within 31 days
///   (the later of two equally near; ``ProvisionData/extract(for:)``); none, empty with
///   `no_registered_patients`. FTE is empty with `no_workforce_return` when the network
///   has no row that month, never 0.
/// - **Rates.** `fte_per_50000` = 50,000 × FTE / patients; `referrals_per_1000_per_year` =
///   1,000 × referrals / patients × 365.25 / days in the window;
///   `referrals_per_fte_per_year` = referrals / FTE × 365.25 / days (empty with
///   `no_link_worker_fte` when the FTE is 0 or below).
/// - **Deprivation.** ``ProvisionData/networkDeprivation``: list-size-weighted mean IMD
///   2019 score of the latest extract's member practices, quintiles of equal count over
///   every scored English network (1 = most deprived).
/// - **Gradient.** `provision_by_deprivation.csv` uses public data only (every scored
///   network, whatever the referrals): per census date with a registration extract, per
///   quintile and `all`, value = 50,000 × ΣFTE / Σpatients over the networks with both
///   (those without a return, or without patients, are left out of both sums and
///   counted in `note`). Its 95% interval treats networks as the units of a ratio
///   estimator: SE = √(n/(n−1) × Σ(FTEᵢ − R·patientsᵢ)²) / Σpatients, R = ΣFTE/Σpatients
///   (the linearised, with-replacement variance; the same as the HC1 robust standard
///   error of a patient-weighted mean of FTE per patient), limits 50,000 × (R ± 1.959964
///   × SE). `sii` and `rii` come from ``InequalityIndices`` across the five quintiles on
///   the untransformed scale (PHE's value type 0), each quintile weighted by its patients
///   with that standard error; PHE's signs: a negative SII means more FTE per patient in
///   the more deprived networks.
public struct ProvisionTableBuilder: Sendable {
    public let disclosure: DisclosureSettings
    /// Simulations and seed for the inequality indices' intervals.
    public let inequality: InequalitySimulation
    /// Most threads the inequality fits use (the run's `--jobs`).
    public var jobs = 1

    /// FTE are per this many registered patients, referrals per 1,000 per year.
    public static let perPatients = 50_000.0, referralsPerPatients = 1_000.0
    /// The months (census month included) whose referrals are set against a census.
    public static let windowMonths = 3
    /// Significant digits of FTE, rates and scores.
    public static let digits = 6
    /// Quintiles the networks are ranked into.
    public static let quintiles = 5

    public init(disclosure: DisclosureSettings, inequality: InequalitySimulation = InequalitySimulation()) {
        self.disclosure = disclosure
        self.inequality = inequality
    }

    /// How an organisation reached its network.
    enum Mapping { case network, practice, lookupParent }

    /// The two tables and the figures; with no `data`, tables with a header and no rows.
    ///
    /// - Parameter period: the first and last clean referral date (`nil` without dated referrals).
    public func build(
        _ counts: OrganisationCounts, data: ProvisionData?, directory: OrganisationDirectory?, period: (first: Day, last: Day)?
    ) -> (provision: PublishedTable, gradient: PublishedTable, figures: ProvisionFigures) {
        var figures = ProvisionFigures()
        guard let data else {
            return (
                PublishedTable(.pcnProvision), PublishedTable(.provisionByDeprivation), figures
            )
        }

        // Referrals per network and month level, mapping each organisation once.
        var mapped: [String: (network: String, how: Mapping)?] = [:]
        var referrals: [String: [Int: Int64]] = [:]
        var (referralsMapped, referralsUnmapped, referralsWithoutOrganisation): (Int64, Int64, Int64) = (0, 0, 0)
        // Read where the entries are held, one at a time (there may be millions).
        counts.months.forEachEntry { entry in
            let count = entry.value.referred
            guard entry.organisation.count != 0 else {
                referralsWithoutOrganisation += count
                return
            }
            let code = entry.organisation.description
            let target: (network: String, how: Mapping)?
            if let known = mapped[code] {
                target = known
            } else {
                target = Self.network(of: code, data: data, directory: directory)
                mapped[code] = target
            }
            guard let target else {
                referralsUnmapped += count
                return
            }
            referralsMapped += count
            referrals[target.network, default: [:]][Int(entry.low), default: 0] += count
        }
        figures.organisations = mapped.count
        (figures.referralsMapped, figures.referralsUnmapped, figures.referralsWithoutOrganisation) = (
            published(referralsMapped), published(referralsUnmapped), published(referralsWithoutOrganisation)
        )
        for (_, target) in mapped {
            switch target?.how {
            case .network: figures.mappedAsNetwork += 1
            case .practice: figures.mappedAsPractice += 1
            case .lookupParent: figures.mappedByLookupParent += 1
            case nil: figures.unmapped += 1
            }
        }
        let networks = Set(mapped.values.compactMap { $0?.network }).sorted()
        figures.networksMapped = networks.count
        figures.censusDates = data.censusDates.count
        let withPatients = data.censusDates.filter { data.extract(for: $0) != nil }
        figures.censusDatesWithPatients = withPatients.count
        figures.coverage = CensusCoverage(censusDates: data.censusDates, withPatients: withPatients, period: period)
        figures.practiceExtract = data.practiceExtract.description
        let deprivation = data.networkDeprivation
        figures.networksWithScore = deprivation.count
        var allPatients: Int64 = 0, scoredPatients: Int64 = 0
        for (_, practice) in data.practices where practice.network != nil {
            allPatients += practice.registeredPatients
            if practice.imdScore != nil { scoredPatients += practice.registeredPatients }
        }
        figures.scoredPatientShare = allPatients > 0 ? Double(scoredPatients) / Double(allPatients) : 0

        var rows: [[Cell]] = []
        for network in networks {
            let info = data.networks[network]
            for census in data.censusDates {
                rows.append(
                    provisionRow(network, info, census, data: data, referrals: referrals[network] ?? [:], deprivation: deprivation[network], period: period))
            }
        }
        return (
            PublishedTable(.pcnProvision, rows: rows), PublishedTable(.provisionByDeprivation, rows: gradientRows(data, deprivation: deprivation)),
            figures
        )
    }

    /// The network an organisation code maps to, and how (see the type's decisions).
    /// A count as published under the pipeline's disclosure settings.
    private func published(_ count: Int64) -> Int64? {
        DisclosureControl.publish(count, enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
    }

    static func network(of code: String, data: ProvisionData, directory: OrganisationDirectory?) -> (network: String, how: Mapping)? {
        if data.networks[code] != nil { return (code, .network) }
        if let practice = data.practices[code], let network = practice.network { return (network, .practice) }
        if let parent = directory?.info(code)?.parentCode, data.networks[parent] != nil { return (parent, .lookupParent) }
        return nil
    }

    /// The first and last day of the three calendar months ending with `census`'s month.
    public static func window(of census: Day) -> (start: Day, end: Day) {
        let (year, month, _) = census.components
        let level = year * 12 + month - 1 - (windowMonths - 1)
        // safe: the first of a month (level from a valid census day) is always a day
        let start = Day(year: level / 12, month: level % 12 + 1, day: 1)!
        // safe: the census's own year and month, on its month's last day
        let end = Day(year: year, month: month, day: Day.daysIn(month: month, year: year))!
        return (start, end)
    }

    private func provisionRow(
        _ code: String, _ info: ProvisionData.Network?, _ census: Day, data: ProvisionData, referrals: [Int: Int64],
        deprivation: ProvisionData.NetworkDeprivation?, period: (first: Day, last: Day)?
    ) -> [Cell] {
        var row = [Cell](repeating: .empty, count: ProvisionColumn.allCases.count)
        var notes: [String] = []
        let (start, end) = Self.window(of: census)
        let days = Double(end.daysSinceEpoch - start.daysSinceEpoch + 1)
        row[ProvisionColumn.pcnCode.index] = .text(code)
        row[ProvisionColumn.pcnName.index] = .text(info?.name ?? "")
        row[ProvisionColumn.censusDate.index] = .text(census.description)
        row[ProvisionColumn.periodStart.index] = .text(start.description)
        row[ProvisionColumn.periodEnd.index] = .text(end.description)

        var published: Int64? = nil
        var suppressed = false
        if let period, period.first <= start, period.last >= end {
            let last = Int(GroupKeySchema.monthLevel(census))
            let total = (last - Self.windowMonths + 1...last).reduce(Int64(0)) { $0 + (referrals[$1] ?? 0) }
            published = self.published(total)
            suppressed = published == nil
            row[ProvisionColumn.referrals.index] = .count(published)
            if suppressed { notes.append(ProvisionColumn.Note.suppressed) }
        } else {
            notes.insert(ProvisionColumn.Note.outsideDataPeriod, at: 0)
        }

        let fte = info?.fte[census]
        if let fte { row[ProvisionColumn.splwFTE.index] = .significant(fte, digits: Self.digits) } else { notes.append(ProvisionColumn.Note.noWorkforceReturn) }
        var patients: Int64? = nil
        if let extract = data.extract(for: census), let count = info?.registeredPatients[extract] {
            patients = count
            row[ProvisionColumn.registeredPatients.index] = .count(count)
            row[ProvisionColumn.patientsExtract.index] = .text(extract.description)
        } else {
            notes.append(ProvisionColumn.Note.noRegisteredPatients)
        }
        if let fte, let patients, patients > 0 {
            row[ProvisionColumn.ftePer50000.index] = .significant(Self.perPatients * fte / Double(patients), digits: Self.digits)
        }
        if let published, let patients, patients > 0 {
            let rate = Self.referralsPerPatients * Double(published) / Double(patients) * RateTableBuilder.daysPerYear / days
            row[ProvisionColumn.referralsPer1000.index] = .significant(rate, digits: Self.digits)
        }
        if let fte, fte <= 0 { notes.append(ProvisionColumn.Note.noLinkWorkerFTE) }
        if let published, let fte, fte > 0 {
            row[ProvisionColumn.referralsPerFTE.index] = .significant(Double(published) / fte * RateTableBuilder.daysPerYear / days, digits: Self.digits)
        }
        if let deprivation {
            row[ProvisionColumn.imdScore.index] = .significant(deprivation.score, digits: Self.digits)
            row[ProvisionColumn.imdQuintile.index] = .text(String(deprivation.quintile))
        } else {
            notes.append(ProvisionColumn.Note.noDeprivationScore)
        }
        row[ProvisionColumn.note.index] = .text(notes.joined(separator: ";"))
        row[ProvisionColumn.suppressed.index] = .flag(suppressed)
        row[ProvisionColumn.disclosureControl.index] = .disclosureControl(disclosure.enabled)
        return row
    }

    /// One group's FTE per 50,000 with its between-network interval.
    struct GroupRatio: Sendable {
        var networks = 0
        var fte = 0.0
        var patients: Int64 = 0
        var withoutReturn = 0, withoutPatients = 0
        /// Per network (FTE, patients), in code order.
        var members: [(fte: Double, patients: Double)] = []

        /// 50,000 × ΣFTE / Σpatients; `nil` without patients.
        var value: Double? { patients > 0 ? ProvisionTableBuilder.perPatients * fte / Double(patients) : nil }

        /// The standard error of ``value`` (see the type's decisions); `nil` for fewer than two networks.
        var standardError: Double? {
            guard members.count >= 2, patients > 0 else { return nil }
            let total = Double(patients)
            let ratio = fte / total
            let n = Double(members.count)
            let squares = members.reduce(0.0) { sum, member in
                let residual = member.fte - ratio * member.patients
                return sum + residual * residual
            }
            return ProvisionTableBuilder.perPatients * (n / (n - 1) * squares).squareRoot() / total
        }
    }

    /// The gradient rows: per census date with an extract, the quintiles, `all`, `sii`, `rii`.
    func gradientRows(_ data: ProvisionData, deprivation: [String: ProvisionData.NetworkDeprivation]) -> [[Cell]] {
        let scored = deprivation.keys.sorted()
        var dates: [(census: Day, groups: [GroupRatio])] = []
        for census in data.censusDates {
            guard let extract = data.extract(for: census) else { continue }
            var groups = [GroupRatio](repeating: GroupRatio(), count: Self.quintiles + 1)
            for code in scored {
                // safe: scored holds only codes that have a deprivation entry
                let quintile = deprivation[code]!.quintile - 1
                let network = data.networks[code]
                for g in [quintile, Self.quintiles] {
                    guard let patients = network?.registeredPatients[extract] else {
                        groups[g].withoutPatients += 1
                        continue
                    }
                    guard let fte = network?.fte[census] else {
                        groups[g].withoutReturn += 1
                        continue
                    }
                    groups[g].networks += 1
                    groups[g].fte += fte
                    groups[g].patients += patients
                    groups[g].members.append((fte, Double(patients)))
                }
            }
            dates.append((census, groups))
        }

        // The indices, fitted on up to `jobs` threads (each seeded: the same for any count).
        let results = UnsafeMutableBufferPointer<Result<InequalityIndices, InequalityIndices.Withheld>?>.allocate(capacity: dates.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let simulation = inequality
        nonisolated(unsafe) let slots = results
        let inputs: [[InequalityIndices.Quantile]?] = dates.map { date in
            var quantiles: [InequalityIndices.Quantile] = []
            for group in date.groups.prefix(Self.quintiles) {
                guard let value = group.value, let error = group.standardError else { return nil }
                quantiles.append(InequalityIndices.Quantile(value: value, population: Double(group.patients), uncertainty: .standardError(error)))
            }
            return quantiles
        }
        let threads = max(1, min(jobs, dates.count))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for i in stride(from: thread, to: inputs.count, by: threads) {
                guard let quantiles = inputs[i] else { continue }
                slots[i] = InequalityIndices.calculate(
                    quantiles, kind: .other, transform: false, multiplier: 1, repetitions: simulation.repetitions, seed: simulation.seed)
            }
        }

        var rows: [[Cell]] = []
        let z = StandardNormal.twoSidedZ(confidence: 0.95)
        for (i, date) in dates.enumerated() {
            for (g, group) in date.groups.enumerated() {
                var row = [Cell](repeating: .empty, count: ProvisionGradientColumn.allCases.count)
                row[ProvisionGradientColumn.censusDate.index] = .text(date.census.description)
                row[ProvisionGradientColumn.measure.index] = .text(ProvisionGradientColumn.Measure.ftePer50000.rawValue)
                row[ProvisionGradientColumn.group.index] = .text(g < Self.quintiles ? String(g + 1) : ProvisionGradientColumn.allGroups)
                row[ProvisionGradientColumn.pcns.index] = .count(Int64(group.networks))
                row[ProvisionGradientColumn.splwFTE.index] = .significant(group.fte, digits: Self.digits)
                row[ProvisionGradientColumn.registeredPatients.index] = .count(group.patients)
                var notes: [String] = []
                if let value = group.value { row[ProvisionGradientColumn.value.index] = .significant(value, digits: Self.digits) }
                if let value = group.value, let error = group.standardError {
                    row[ProvisionGradientColumn.ciLow.index] = .significant(value - z * error, digits: Self.digits)
                    row[ProvisionGradientColumn.ciHigh.index] = .significant(value + z * error, digits: Self.digits)
                } else {
                    notes.append(ProvisionGradientColumn.Note.fewerThanTwo)
                }
                if group.withoutReturn > 0 { notes.append(ProvisionGradientColumn.Note.noWorkforceReturn + String(group.withoutReturn)) }
                if group.withoutPatients > 0 { notes.append(ProvisionGradientColumn.Note.noRegisteredPatients + String(group.withoutPatients)) }
                row[ProvisionGradientColumn.note.index] = .text(notes.joined(separator: ";"))
                rows.append(row)
            }
            var fitted: InequalityIndices? = nil
            var note = ""
            switch results[i] {
            case .success(let indices): fitted = indices
            case .failure: note = ProvisionGradientColumn.Note.notEstimable
            case nil: note = ProvisionGradientColumn.Note.quintileWithoutValue
            }
            for measure in [ProvisionGradientColumn.Measure.sii, .rii] {
                var row = [Cell](repeating: .empty, count: ProvisionGradientColumn.allCases.count)
                row[ProvisionGradientColumn.censusDate.index] = .text(date.census.description)
                row[ProvisionGradientColumn.measure.index] = .text(measure.rawValue)
                row[ProvisionGradientColumn.group.index] = .text(ProvisionGradientColumn.allGroups)
                var measureNote = note
                if let fitted {
                    let (value, limits) = measure == .sii ? (fitted.sii, fitted.siiLimits) : (fitted.rii, fitted.riiLimits)
                    // A ratio over a fitted value of 0 is not a number to publish: never NaN or Inf.
                    if value.isFinite && limits.lower.isFinite && limits.upper.isFinite {
                        row[ProvisionGradientColumn.value.index] = .significant(value, digits: Self.digits)
                        row[ProvisionGradientColumn.ciLow.index] = .significant(limits.lower, digits: Self.digits)
                        row[ProvisionGradientColumn.ciHigh.index] = .significant(limits.upper, digits: Self.digits)
                    } else {
                        measureNote = ProvisionGradientColumn.Note.notEstimable
                    }
                }
                row[ProvisionGradientColumn.note.index] = .text(measureNote)
                rows.append(row)
            }
        }
        return rows
    }
}
