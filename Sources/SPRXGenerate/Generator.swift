import Foundation
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

/// The draws the generator makes from ``SplitMix64`` (same seed, same bytes, any machine).
extension SplitMix64 {
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    public mutating func bernoulli(_ p: Double) -> Bool { unit() < p }
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
    }
    /// Geometric count ≥ 0 with the given mean.
    public mutating func geometric(mean: Double) -> Int {
        let p = 1 / (1 + mean)
        return Int(Foundation.log(max(unit(), 1e-300)) / Foundation.log(1 - p))
    }
    public mutating func pick<T>(_ items: [T], weights: [Double]) -> T {
        let total = weights.reduce(0, +)
        var r = unit() * total
        for (item, w) in zip(items, weights) {
            r -= w
            if r < 0 { return item }
        }
        return items[items.count - 1]
    }
}

/// Which export layout to write.
public enum GeneratedLayout: String, Sendable, CaseIterable {
    /// The canonical layout of `referral-extract-v1.md`.
    case canonical
    /// A second platform's export (see `Pipelines/casebook-export.yaml`).
    case casebook
    /// A case-management platform's referral report (see `Pipelines/case-management-export.yaml`).
    case casemanagement
    /// A GP system search report coded with SNOMED CT (see `Pipelines/gp-system-search.yaml`).
    case gpsearch
    /// A spreadsheet kept by hand, saved from Excel (see `Pipelines/hand-kept-spreadsheet.yaml`).
    case spreadsheet
}

/// Settings for ``ReferralGenerator``.
public struct GeneratorOptions: Sendable {
    public var rows: Int
    public var seed: UInt64
    public var files: Int
    public var messy: Bool
    public var layout: GeneratedLayout
    public var referenceDirectory: String
    public var outputDirectory: String
    /// Where to write the organisation lookup (outside ``outputDirectory``); `nil` for none.
    public var organisationLookup: String?
    /// How writing shows on stderr (`sprx generate --progress`); nothing by default.
    public var progress: ProgressMode = .none
    /// Seconds between lines when ``progress`` is `lines`.
    public var progressInterval: Double = ProgressLine.lineInterval
    /// Categorical columns added after the layout's own (`--extra-column`); none by default.
    public var extraColumns: [ExtraColumn] = []
    /// Organisations that differ only by case mix (`--case-mix-only`); `nil` for the usual
    /// calibrated organisations, each with its own effect.
    public var caseMix: CaseMixScenario? = nil
    /// How many organisations referrals come from (`--organisations`); `nil` for the
    /// default set of ``GeneratedOrganisations/defaultCount``.
    public var organisations: Int? = nil
    /// The share of rows that repeat an earlier row byte for byte (`--duplicates`), from 0
    /// to ``ReferralGenerator/maximumDuplicateShare``: exact duplicates, on top of
    /// `--messy`'s own.
    public var duplicates: Double = 0
    /// How many calendar months referral dates fall in (`--months`): the last ones of
    /// 2021-2025 (``ReferralCalendar``).
    public var months: Int = ReferralCalendar.spanMonths
    /// The organisations of the default set.
    public static let defaultOrganisations = GeneratedOrganisations.defaultCount
    /// The sizes `--organisations` accepts.
    public static let organisationRange = GeneratedOrganisations.minimumCount...GeneratedOrganisations.maximumCount
    /// The calendar months of 2021-2025, the most `--months` accepts.
    public static let spanMonths = ReferralCalendar.spanMonths
    public init(
        rows: Int, seed: UInt64, files: Int = 4, messy: Bool = false, layout: GeneratedLayout = .canonical,
        referenceDirectory: String, outputDirectory: String, organisationLookup: String? = nil
    ) {
        self.rows = rows
        self.seed = seed
        self.files = max(1, files)
        self.messy = messy
        self.layout = layout
        self.referenceDirectory = referenceDirectory
        self.outputDirectory = outputDirectory
        self.organisationLookup = organisationLookup
    }
}

/// Generated organisations that differ only by case mix (`sprx generate --case-mix-only`),
/// so that a crude comparison of organisations flags their mix and a case-mix adjusted
/// one should not.
///
/// Every organisation has the same chance of a non-medical route in each stratum of
/// `organisations.csv`'s default case mix (age band × sex × deprivation quintile ×
/// nation): no organisation effect, the deprivation effect steps by quintile (not by
/// decile) and the age effect by the shipped pipelines' age bands (it already does), and
/// no person is referred by two organisations. What differs is the mix: each
/// organisation has its own share of people under 25 (``youngShares``, 5% to 65%), and
/// the deprivation mix of its areas. With ``plantedEffect`` not 0, one organisation
/// (``plantedIndex(_:weights:youngShares:)``, named in `generate.json` as
/// `planted_organisation`) adds it to the logit of a non-medical route.
public struct CaseMixScenario: Sendable, Equatable {
    /// The planted organisation's effect on the logit of a non-medical route (0: none).
    public var plantedEffect: Double

    public init(plantedEffect: Double = 0) { self.plantedEffect = plantedEffect }

    /// The fewest and most people under 25 an organisation serves.
    static let youngShareRange = (low: 0.05, high: 0.65)
    /// The rise in the logit of a non-medical route per quintile more deprived.
    static let perQuintile = 0.3

    /// The organisation given the planted effect: among those the layout serves with at
    /// least the median weight (enough referrals to show it), the one whose mix predicts
    /// the fewest non-medical routes (its share of the young, plus its areas' mean
    /// deprivation effect), so a positive effect brings its crude share towards the
    /// overall one while its case-mix adjusted ratio stands out.
    static func plantedIndex(_ organisations: [GeneratedOrganisation], weights: [Double], youngShares: [Double]) -> Int? {
        let served = organisations.indices.filter { weights[$0] > 0 }
        guard !served.isEmpty else { return nil }
        let median = served.map { weights[$0] }.sorted()[served.count / 2]
        func mixScore(_ i: Int) -> Double {
            let areas = organisations[i].areas
            let deprivation = areas.reduce(0.0) { $0 + perQuintile * (3 - Double(($1.decile + 1) / 2)) } / Double(max(1, areas.count))
            return youngShares[i] + deprivation
        }
        return served.filter { weights[$0] >= median }.min { mixScore($0) < mixScore($1) }
    }

    /// Each organisation's share of people under 25, by its position in the generated
    /// list: spread over ``youngShareRange`` by the golden ratio, so neighbours (which
    /// share a nation and similar areas) differ.
    static func youngShares(count: Int) -> [Double] {
        (0..<count).map { i in
            let spread = (Double(i) * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
            return youngShareRange.low + (youngShareRange.high - youngShareRange.low) * spread
        }
    }
}

/// What the generator wrote, so tests can check the clean stage accounts for every row.
public struct GeneratorSummary: Codable, Sendable, Equatable {
    public var rowsWritten = 0
    public var expectedClean = 0
    public var duplicates = 0
    public var quarantined: [String: Int] = [:]
    public var files: [String] = []
    /// The organisation given a real effect (``CaseMixScenario/plantedEffect``); absent otherwise.
    public var plantedOrganisation: String? = nil

    private enum CodingKeys: String, CodingKey {
        case rowsWritten, expectedClean, duplicates, quarantined, files, plantedOrganisation = "planted_organisation"
    }
}

/// Writes synthetic referral extracts calibrated to Bu et al. (2024).
///
/// Marginals: about 80% of referrals by medical routes (primary care most of all),
/// about 90% contacted, about 38% with an intervention, mental health the most common
/// reason. Non-medical routes are more likely for younger people, men, minority ethnic
/// groups and more deprived areas (logistic model below), and every organisation has
/// its own random effect and serves a contiguous run of real small areas of one nation,
/// so referrals cluster by organisation as in platform data (``GeneratedOrganisations``:
/// real PCN codes in England). Areas and their deciles come from the real reference
/// lookups. Dates follow ``ReferralCalendar`` (2021-2025, growing, with seasonal dips);
/// the logit of a non-medical route rises by 0.15 a year and the chance of an
/// intervention by 1.2 points a year, both centred on mid-2023.
public struct ReferralGenerator {
    /// The largest `--duplicates` share.
    public static let maximumDuplicateShare = 0.5
    /// Salt of ``duplicateRNG``'s seed.
    static let duplicateStreamSalt: UInt64 = 0xD0B1_E5D0_B1E5_0001
    /// The rise per year in the logit of a non-medical route.
    static let nonMedicalLogitPerYear = 0.15
    /// The rise per year in the chance that a contacted person gets an intervention.
    static let interventionPerYear = 0.012

    static let routeLabels: [String: [String]] = [
        "primary_care": ["GP", "General Practice", "GP practice", "Practice nurse", "Primary care", "Community pharmacy"],
        "secondary_care": ["Hospital", "Secondary care", "Mental health services", "Emergency department", "Hospital discharge team"],
        "social_care": ["Social care", "Adult social care", "Local authority", "Council", "Housing association"],
        "education": ["School", "College", "Education"],
        "vcse": ["Charity", "Voluntary sector", "VCSE", "Community group"],
        "self_referral": ["Self-referral", "Self", "Self referral", "Family/friend"],
        "other": ["Police", "Job centre", "Fire service", "Other"],
        "unknown": ["Unknown", "Not known", ""],
    ]
    static let casebookRoutes: [String: [String]] = [
        "primary_care": ["GP Surgery", "Practice Nurse", "Pharmacy"],
        "secondary_care": ["Hospital Ward", "Community Mental Health Team", "A&E"],
        "social_care": ["Social Services", "Council"],
        "education": ["School / College"],
        "vcse": ["Voluntary Organisation", "Community Group"],
        "self_referral": ["Self", "Friend or Family"],
        "other": ["Police", "DWP / Jobcentre"],
        "unknown": ["Not Recorded", ""],
    ]
    static let reasons: [(String, [String], Double)] = [
        ("mental_health", ["Mental health", "Low mood", "Anxiety"], 0.46),
        ("loneliness_isolation", ["Loneliness", "Social isolation"], 0.30),
        ("physical_health", ["Physical health", "Long-term condition"], 0.20),
        ("financial", ["Debt", "Finance", "Benefits"], 0.16),
        ("housing", ["Housing"], 0.10),
        ("employment", ["Employment"], 0.06),
        ("practical_support", ["Practical support", "Independent living"], 0.12),
        ("carer_support", ["Carer support"], 0.05),
        ("bereavement", ["Bereavement"], 0.06),
        ("substance_use", ["Substance misuse"], 0.03),
    ]
    static let casebookReasons: [String: [String]] = [
        "mental_health": ["Mental Wellbeing", "Anxiety / Depression"], "loneliness_isolation": ["Isolation"],
        "physical_health": ["Long Term Condition"], "financial": ["Money / Debt"], "housing": ["Housing Issue"],
        "employment": ["Work / Employment"], "practical_support": ["Practical Help"], "carer_support": ["Caring Responsibilities"],
        "bereavement": ["Bereavement"], "substance_use": ["Drugs / Alcohol"],
    ]

    let options: GeneratorOptions
    let platformLayout: PlatformLayout
    var rng: SplitMix64
    var organisations: [GeneratedOrganisation] = []
    /// Each organisation's weight, zero where the layout does not serve its nation.
    var organisationWeights: [Double] = []
    let calendar: ReferralCalendar
    /// The organisations' cumulative weights, for a binary-search draw in sets larger than
    /// the default (``drawOrganisation()``); empty for the default set.
    var cumulativeWeights: [Double] = []
    /// The stream that picks which earlier row a `--duplicates` row repeats, so the
    /// other rows are those of the same seed without duplicates.
    var duplicateRNG: SplitMix64
    var summary = GeneratorSummary()
    var recentValid: [(id: String, fields: [String], line: String)] = []
    var recentPeople: [(id: String, age: Int, sex: Int, ethnicity: Int)] = []
    /// Rows written so far, shown on stderr as ``GeneratorOptions/progress`` says.
    var progressLine: ProgressLine?
    /// The extra columns' own stream, so the other columns do not change with them.
    var extraRNG: SplitMix64
    /// With ``GeneratorOptions/caseMix``: each organisation's share of people under 25,
    /// and the index of the organisation with a planted effect (if any).
    var youngShares: [Double] = []
    var planted: Int? = nil

    public init(options: GeneratorOptions) throws {
        self.options = options
        platformLayout = PlatformLayout.of(options.layout)
        rng = SplitMix64(seed: options.seed)
        extraRNG = SplitMix64(seed: options.seed ^ ExtraColumn.streamSalt)
        duplicateRNG = SplitMix64(seed: options.seed ^ Self.duplicateStreamSalt)
        calendar = ReferralCalendar(months: options.months)
        organisations = try GeneratedOrganisations.build(
            referenceDirectory: options.referenceDirectory, count: options.organisations ?? GeneratedOrganisations.defaultCount, rng: &rng)
        organisationWeights = organisations.map { [platformLayout] in platformLayout.serves($0.nation) ? $0.weight : 0 }
        if organisations.count > GeneratedOrganisations.defaultCount {
            var running = 0.0
            for weight in organisationWeights {
                running += weight
                cumulativeWeights.append(running)
            }
        }
        if let scenario = options.caseMix {
            youngShares = CaseMixScenario.youngShares(count: organisations.count)
            if scenario.plantedEffect != 0 {
                planted = CaseMixScenario.plantedIndex(organisations, weights: organisationWeights, youngShares: youngShares)
                summary.plantedOrganisation = planted.map { organisations[$0].code }
            }
        }
        var names = Set(layoutHeader.map { $0.lowercased() })
        for extra in options.extraColumns where !names.insert(extra.header.lowercased()).inserted {
            throw SPRXError(.usage, "--extra-column \(extra.header) names a column the \(options.layout.rawValue) layout already has, or names it twice")
        }
    }

    /// The organisation lookup of the generated organisations (`code,name,type,parent_code,
    /// parent_name,parent_type`), as `--organisation-lookup` writes it.
    public var organisationLookupCSV: String { GeneratedOrganisations.lookupCSV(organisations) }

    /// Writes the files and a `generate.json` summary; returns the summary.
    public mutating func run() throws -> GeneratorSummary {
        try Self.checkTarget(options.outputDirectory)
        if let lookup = options.organisationLookup { try Self.checkLookup(lookup, outputDirectory: options.outputDirectory) }
        try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        let perFile = (options.rows + options.files - 1) / options.files
        var written = 0
        progressLine = ProgressLine(
            mode: options.progress, verb: "written", total: Int64(options.rows), totalIsRows: true, files: options.files, interval: options.progressInterval)
        defer { progressLine?.finish() }
        for fileIndex in 0..<options.files {
            let count = min(perFile, options.rows - written)
            let name = String(format: "referrals-%03d.csv.gz", fileIndex + 1)
            try writeFile(name: name, rows: count, fileIndex: fileIndex, isLast: fileIndex == options.files - 1)
            written += count
            progressLine?.fileFinished()
            summary.files.append(name)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: URL(fileURLWithPath: options.outputDirectory + "/generate.json"))
        if let lookup = options.organisationLookup { try writeLookup(lookup) }
        return summary
    }

    /// Writes the organisation lookup beside a temporary name and renames it into place.
    private func writeLookup(_ path: String) throws {
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(organisationLookupCSV.utf8).write(to: temporary)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.moveItem(at: temporary, to: target)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw SPRXError(.outputFailed, "cannot write the organisation lookup", location: DataLocation(file: path), cause: error)
        }
    }

    /// Refuses an organisation lookup path inside the output folder (every CSV there is
    /// read as referrals) or at an existing file that is not a lookup `generate` wrote
    /// (its first line is not ``GeneratedOrganisations/lookupHeader``).
    public static func checkLookup(_ path: String, outputDirectory: String) throws {
        func refuse(_ why: String) -> SPRXError {
            SPRXError(.usage, "refusing --organisation-lookup: \(why); nothing was changed", location: DataLocation(file: path))
        }
        func components(_ path: String) -> [String] {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        }
        let lookup = components(path), output = components(outputDirectory)
        if lookup.count > output.count && Array(lookup.prefix(output.count)) == output || lookup == output {
            throw refuse("it is inside the output folder, whose every CSV file is read as referrals")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard !isDirectory.boolValue else { throw refuse("it is a folder") }
        let header = CSVText.line(GeneratedOrganisations.lookupHeader)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw refuse("it exists and cannot be read") }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: header.utf8.count + 1)) ?? Data()
        guard start == Data((header + "\n").utf8) else {
            throw refuse("it is a file that `sprx generate` did not write (not an organisation lookup)")
        }
    }

    /// Generates into `.NAME.partial-PID` beside the target and moves the folder into place
    /// only when every file is written, so an interrupted run never leaves a half-written
    /// folder that the next run (rightly) refuses as not its own.
    public static func generateAtomically(_ options: GeneratorOptions) throws -> GeneratorSummary {
        try checkTarget(options.outputDirectory)
        if let lookup = options.organisationLookup { try checkLookup(lookup, outputDirectory: options.outputDirectory) }
        let fm = FileManager.default
        let target = URL(fileURLWithPath: options.outputDirectory).standardizedFileURL
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        var staged = options
        staged.outputDirectory = staging.path
        staged.organisationLookup = nil
        do {
            if fm.fileExists(atPath: staging.path) { try fm.removeItem(at: staging) }
            var generator = try ReferralGenerator(options: staged)
            let summary = try generator.run()
            if let lookup = options.organisationLookup { try generator.writeLookup(lookup) }
            if fm.fileExists(atPath: target.path) {
                // A previous generate's folder (checked above): remove its own files only.
                for name in try fm.contentsOfDirectory(atPath: target.path)
                where name == "generate.json" || (name.hasPrefix("referrals-") && name.hasSuffix(".csv.gz")) {
                    try fm.removeItem(at: target.appendingPathComponent(name))
                }
                try fm.removeItem(at: target)  // empty now, or this fails and nothing is lost
            }
            try fm.moveItem(at: staging, to: target)
            return summary
        } catch {
            try? fm.removeItem(at: staging)
            if let error = error as? SPRXError { throw error }
            throw SPRXError(.outputFailed, "cannot write the generated extracts", location: DataLocation(file: options.outputDirectory), cause: error)
        }
    }

    /// Refuses a target that is not a new folder, an empty one or a previous `generate`'s
    /// (only `generate.json` and `referrals-NNN.csv.gz`): generate never overwrites files
    /// it did not make, such as real extracts that happen to share its file names.
    public static func checkTarget(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        func refuse(_ why: String) -> SPRXError {
            SPRXError(.usage, "refusing --out: \(why); nothing was changed", location: DataLocation(file: path))
        }
        guard isDirectory.boolValue else { throw refuse("it exists and is not a folder") }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard !entries.isEmpty else { return }
        let own = entries.allSatisfy { name in
            name == "generate.json" || (name.hasPrefix("referrals-") && name.hasSuffix(".csv.gz"))
        }
        guard own && entries.contains("generate.json") else {
            throw refuse("it is a folder that `sprx generate` did not make (no generate.json, or other files)")
        }
    }

    /// The header line's names: the layout's, then the extra columns'.
    private var header: [String] { layoutHeader + options.extraColumns.map(\.header) }

    /// The layout's own header names.
    private var layoutHeader: [String] {
        switch options.layout {
        case .canonical:
            let base = [
                "referral_id", "person_id", "referral_date", "age", "sex", "ethnicity", "area_code", "referral_source",
                "referral_reasons", "contacted", "contacts", "interventions", "organisation_id",
            ]
            return options.messy ? base + ["notes"] : base
        case .casebook:
            return [
                "Referral Ref", "Client ID", "Date of Referral", "Age at Referral", "Gender", "Ethnic Category", "LSOA",
                "Referral Source", "Reason(s) for Referral", "Contact Made", "Number of Contacts", "Interventions Received",
                "Scheme Code", "Exported At",
            ]
        case .casemanagement, .gpsearch, .spreadsheet:
            return platformLayout.header
        }
    }

    private mutating func writeFile(name: String, rows: Int, fileIndex: Int, isLast: Bool) throws {
        let path = options.outputDirectory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw SPRXError(.outputFailed, "cannot write generated file", location: DataLocation(file: path))
        }
        defer { try? handle.close() }
        let deflater = try GzipDeflater(level: 6) { bytes in handle.write(Data(bytes)) }
        let layout = platformLayout
        let lineEnd = layout.alwaysCRLF || (options.messy && fileIndex % 2 == 1) ? "\r\n" : "\n"
        if options.messy && fileIndex == 0 && layout.encoding == .utf8 { try deflater.write("\u{FEFF}") }
        try deflater.write(header.map(CSVText.quoted).joined(separator: ",") + lineEnd)
        var buffer = ""
        var rowsShown = 0
        for i in 0..<rows {
            let isFinal = isLast && i == rows - 1
            buffer += nextRow(unterminated: isFinal && options.messy) + (isFinal && options.messy ? "" : lineEnd)
            if buffer.utf8.count > 1 << 16 {
                try Self.writeBytes(buffer, deflater, encoding: layout.encoding)
                buffer = ""
                progressLine?.add(rows: i + 1 - rowsShown)
                rowsShown = i + 1
            }
        }
        progressLine?.add(rows: rows - rowsShown)
        try Self.writeBytes(buffer, deflater, encoding: layout.encoding)
        try deflater.finish()
    }

    var sequence = 0
    /// Invalid rows written so far, offset by a random start (``invalidRow()``).
    var invalidRows = 0

    /// Writes text, turning the invalid-encoding marker U+0001 into the byte 0xE9.
    ///
    /// In Windows-1252 every character the generator writes is ASCII or in U+00A0-U+00FF,
    /// whose code page bytes equal the code points; U+0001 is never written there (0xE9 is
    /// a valid "é" in that code page, so no row can be invalid by encoding).
    static func writeBytes(_ text: String, _ deflater: GzipDeflater, encoding: GeneratedEncoding = .utf8) throws {
        var bytes: [UInt8]
        switch encoding {
        case .utf8:
            bytes = Array(text.utf8)
            for i in bytes.indices where bytes[i] == 0x01 { bytes[i] = 0xE9 }
        case .windows1252:
            bytes = text.unicodeScalars.map { scalar in
                precondition(scalar.value < 0x80 || (0xA0...0xFF).contains(scalar.value), "not in the Windows-1252 subset the generator writes")
                return UInt8(scalar.value)
            }
        }
        try bytes.withUnsafeBytes { try deflater.write($0) }
    }

    /// One row of text (without line end), updating the expected-outcome summary.
    private mutating func nextRow(unterminated: Bool) -> String {
        if !unterminated, let line = duplicateDue() {
            summary.rowsWritten += 1
            summary.duplicates += 1
            return line
        }
        sequence += 1
        summary.rowsWritten += 1
        if unterminated {
            summary.quarantined["unterminated_quote", default: 0] += 1
            var fields = makeFields()
            fields[fields.count - 1] = "\"never closed"
            return fields.joined(separator: ",")
        }
        if options.messy {
            let roll = rng.unit()
            if roll < 0.005, let earlier = recentValid.randomElement(using: &rng) {
                summary.duplicates += 1
                return render(earlier.fields)
            }
            if roll < 0.007, let earlier = recentValid.randomElement(using: &rng) {
                var fields = makeFields()
                fields[0] = earlier.id
                summary.quarantined["conflicting_referral_id", default: 0] += 1
                return render(fields)
            }
            if roll < 0.017 { return invalidRow() }
        }
        let fields = makeFields()
        summary.expectedClean += 1
        let line = render(fields)
        recentValid.append((fields[0], fields, line))
        if recentValid.count > 200 { recentValid.removeFirst(100) }
        return line
    }

    /// An earlier valid row's line, when this row is one of the `--duplicates` copies;
    /// `nil` otherwise.
    ///
    /// Row k (from 1) is a copy when ⌊k·share⌋ passes a whole number, so ⌊rows·share⌋
    /// rows are copies, spread evenly (fewer only if no valid row came before one). The
    /// copy repeats one of the last 100 to 200 valid rows, picked by ``duplicateRNG``.
    private mutating func duplicateDue() -> String? {
        guard options.duplicates > 0 else { return nil }
        let k = Double(summary.rowsWritten + 1)
        guard (k * options.duplicates).rounded(.down) > ((k - 1) * options.duplicates).rounded(.down), !recentValid.isEmpty else { return nil }
        return recentValid[duplicateRNG.below(recentValid.count)].line
    }

    private mutating func invalidRow() -> String {
        var fields = makeFields()
        var reasons = [
            "field_count", "missing_required", "invalid_date", "date_out_of_window", "invalid_age", "invalid_contacts",
            "invalid_interventions", "invalid_encoding",
        ]
        if platformLayout.encoding == .windows1252 { reasons.removeLast() }
        // The reasons take turns from a random start, so a fixture of a thousand rows
        // holds every one (about ten invalid rows) whatever the other draws.
        if invalidRows == 0 { invalidRows = rng.below(reasons.count) }
        let reason = reasons[invalidRows % reasons.count]
        invalidRows += 1
        summary.quarantined[reason, default: 0] += 1
        switch reason {
        case "field_count": return render(Array(fields.dropLast(2)))
        case "missing_required": fields[[0, 1, 2][rng.below(3)]] = ""
        case "invalid_date": fields[2] = ["2021-02-30", "31/13/2020", "yesterday", "2020/01/05"][rng.below(4)]
        case "date_out_of_window":
            switch options.layout {
            case .canonical: fields[2] = ["2009-03-02", "2031-05-01"][rng.below(2)]
            case .casebook: fields[2] = ["02/03/2009", "01/05/2031"][rng.below(2)]
            case .casemanagement, .gpsearch, .spreadsheet:
                fields[2] = platformLayout.outOfWindowDates[rng.below(2)]
            }
        case "invalid_age": fields[3] = ["-4", "130", "forty", "42.5"][rng.below(4)]
        case "invalid_contacts": fields[10] = ["-1", "two", "1.5"][rng.below(3)]
        case "invalid_interventions": fields[11] = ["-2", "many", "0.5"][rng.below(3)]
        default:
            // Latin-1 bytes in a mapped field: not UTF-8.
            fields[1] = "P\u{FFFD}BADUTF8"
        }
        return render(fields)
    }

    private mutating func render(_ fields: [String]) -> String {
        var cells: [String] = []
        for field in fields {
            if options.messy && rng.bernoulli(0.05) {
                cells.append("\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
            } else {
                cells.append(CSVText.quoted(field))
            }
        }
        let extras = options.extraColumns.count
        if let order = platformLayout.columnOrder, cells.count == platformLayout.fieldCount + extras {
            cells = order.map { cells[$0] } + cells.suffix(extras)
        }
        var line = cells.joined(separator: ",")
        if line.contains("\u{FFFD}BADUTF8") {
            // Marked with U+0001; ``writeBytes`` turns it into a lone 0xE9 (Latin-1 'é').
            line = line.replacingOccurrences(of: "\u{FFFD}BADUTF8", with: "\u{1}")
        }
        return line
    }

    /// The fields of one valid referral, in header order.
    private mutating func makeFields() -> [String] {
        // An index drawn as the organisation itself was (one draw): the bytes stay the same.
        let orgIndex = drawOrganisation()
        let org = organisations[orgIndex]
        let (date, years) = calendar.draw(&rng)
        let area = org.areas[org.areas.startIndex + rng.below(org.areas.count)]
        // Person: some people are referred more than once.
        var age: Int
        var sex: Int
        var ethnicity: Int
        let personID: String
        if options.caseMix != nil {
            // Case mix only: each organisation's own people, aged by its share of the young.
            personID = "P\(String(format: "%08d", sequence &* 7919 % 99_999_989))"
            age = rng.bernoulli(youngShares[orgIndex]) ? 5 + rng.below(20) : min(100, max(25, Int(57 + 15 * rng.normal())))
            sex = rng.pick([0, 1, 2, 3], weights: [0.58, 0.40, 0.005, 0.015])
            ethnicity = rng.pick([0, 1, 2, 3, 4, 5], weights: [0.82, 0.02, 0.07, 0.04, 0.015, 0.035])
        } else if !recentPeople.isEmpty && rng.bernoulli(0.12) {
            let person = recentPeople[rng.below(recentPeople.count)]
            personID = person.id
            (age, sex, ethnicity) = (person.age, person.sex, person.ethnicity)
        } else {
            personID = "P\(String(format: "%08d", sequence &* 7919 % 99_999_989))"
            age = rng.bernoulli(0.06) ? 5 + rng.below(13) : min(100, max(18, Int(50 + 19 * rng.normal())))
            sex = rng.pick([0, 1, 2, 3], weights: [0.58, 0.40, 0.005, 0.015])  // F, M, Other, Unknown
            ethnicity = rng.pick([0, 1, 2, 3, 4, 5], weights: [0.82, 0.02, 0.07, 0.04, 0.015, 0.035])
            recentPeople.append((personID, age, sex, ethnicity))
            if recentPeople.count > 500 { recentPeople.removeFirst(250) }
        }
        // Route: logistic model for non-medical.
        let effect = options.caseMix.map { orgIndex == planted ? $0.plantedEffect : 0 } ?? org.effect
        var logit = -1.75 + effect + Self.nonMedicalLogitPerYear * (years - ReferralCalendar.centreYears)
        if age < 18 { logit += 1.3 } else if age < 25 { logit += 0.5 } else if age < 35 { logit += 0.25 } else if age >= 65 { logit -= 0.3 }
        if sex == 1 { logit += 0.25 }
        if ethnicity >= 1 && ethnicity <= 4 { logit += 0.35 }
        if options.caseMix != nil {
            logit += CaseMixScenario.perQuintile * (3 - Double((area.decile + 1) / 2))
        } else {
            logit += 0.07 * (5.5 - Double(area.decile))
        }
        let route: String
        if rng.bernoulli(0.02) {
            route = "unknown"
        } else if rng.bernoulli(1 / (1 + Foundation.exp(-logit))) {
            let educationWeight = age < 18 ? 0.55 : 0.04
            route = rng.pick(
                ["social_care", "education", "vcse", "self_referral", "other"], weights: [0.2, educationWeight, 0.3, 0.32, 0.08])
        } else {
            route = rng.pick(["primary_care", "secondary_care"], weights: [0.86, 0.14])
        }
        let nonMedical = route != "primary_care" && route != "secondary_care" && route != "unknown"
        let contactedKnown = !rng.bernoulli(0.01)
        let contacted = rng.bernoulli(nonMedical ? 0.92 : 0.895)
        let contacts = contacted ? 1 + rng.geometric(mean: 2.2) : 0
        let intervention = contacted && rng.bernoulli(0.425 + Self.interventionPerYear * (years - ReferralCalendar.centreYears))
        let interventions = intervention ? 1 + rng.geometric(mean: 0.9) : 0
        var reasonIDs: [String] = []
        for (id, _, p) in Self.reasons where rng.bernoulli(p) { reasonIDs.append(id) }
        if reasonIDs.isEmpty { reasonIDs = ["mental_health"] }
        let (year, month, day) = date
        let ageMissing = rng.bernoulli(0.02)
        let areaMissing = rng.bernoulli(0.01)
        let extras = options.extraColumns.map { $0.draw(&extraRNG, nonMedical: nonMedical, age: age) }

        let fields: [String]
        switch options.layout {
        case .canonical:
            fields = canonicalFields(
                personID: personID, date: (year, month, day), age: ageMissing ? nil : age, sex: sex, ethnicity: ethnicity,
                area: areaMissing ? "" : area.code, route: route, reasons: reasonIDs, contacted: contactedKnown ? contacted : nil,
                contacts: contacts, interventions: interventions, org: org.code)
        case .casebook:
            fields = casebookFields(
                personID: personID, date: (year, month, day), age: ageMissing ? nil : age, sex: sex, ethnicity: ethnicity,
                area: areaMissing ? "" : area.code, route: route, reasons: reasonIDs, contacted: contactedKnown ? contacted : nil,
                contacts: contacts, interventions: interventions, org: org.code)
        case .casemanagement, .gpsearch, .spreadsheet:
            fields = platformFields(
                GeneratedReferral(
                    personID: personID, date: (year, month, day), age: ageMissing ? nil : age, sex: sex, ethnicity: ethnicity,
                    area: areaMissing ? "" : area.code, route: route, reasons: reasonIDs, contacted: contactedKnown ? contacted : nil,
                    contacts: contacts, interventions: interventions, organisation: org.code, nation: org.nation))
        }
        return fields + extras
    }

    /// The index of the organisation a referral comes from, by weight (one draw).
    ///
    /// The default set walks the weights (the bytes of every existing seed); a larger set
    /// searches the cumulative weights (the same distribution, log N steps a row).
    private mutating func drawOrganisation() -> Int {
        guard !cumulativeWeights.isEmpty else { return rng.pick(Array(organisations.indices), weights: organisationWeights) }
        // safe: a set has at least GeneratedOrganisations.minimumCount organisations
        let target = rng.unit() * cumulativeWeights.last!
        var low = 0, high = cumulativeWeights.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] <= target { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func vary(_ label: String) -> String {
        guard options.messy else { return label }
        switch rng.below(6) {
        case 0: return label.lowercased()
        case 1: return label.uppercased()
        case 2: return " " + label + " "
        case 3: return label.replacingOccurrences(of: " ", with: "  ")
        default: return label
        }
    }

    private mutating func canonicalFields(
        personID: String, date: (Int, Int, Int), age: Int?, sex: Int, ethnicity: Int, area: String, route: String,
        reasons reasonIDs: [String], contacted: Bool?, contacts: Int, interventions: Int, org: String
    ) -> [String] {
        let (y, m, d) = date
        var dateText = String(format: "%04d-%02d-%02d", y, m, d)
        var sexText = ["Female", "Male", "Other", ""][sex]
        var ethnicityText = ["White", "Mixed", "Asian", "Black", "Other", ""][ethnicity]
        // safe: routeLabels has a non-empty list for every generated route
        var routeText = options.messy ? Self.routeLabels[route]!.randomElement(using: &rng)! : Self.routeLabels[route]![0]
        if route == "unknown" { routeText = options.messy ? routeText : "" }
        var contactedText = contacted.map { $0 ? "Y" : "N" } ?? ""
        var reasonLabels = reasonIDs.map { id in Self.reasons.first { $0.0 == id }!.1[0] }
        var notes: String? = nil
        if options.messy {
            switch rng.below(10) {
            case 0...4: break
            case 5...7: dateText = String(format: "%02d/%02d/%04d", d, m, y)
            case 8: dateText = String(format: "%d/%d/%04d", d, m, y)
            default: dateText += "T\(String(format: "%02d", rng.below(24))):\(String(format: "%02d", rng.below(60))):00Z"
            }
            // safe: non-empty literal lists
            sexText = [["F", "Female", "2", "female"], ["M", "Male", "1", "MALE"], ["Other", "Non-binary", "9"], ["", "U", "Not known", "0"]][
                sex
            ].randomElement(using: &rng)!
            if rng.bernoulli(0.4) {
                // safe: non-empty literal lists
                ethnicityText = [["A", "B", "C"], ["D", "E", "F", "G"], ["H", "J", "K", "L"], ["M", "N", "P"], ["R", "S"], ["Z", "99", ""]][
                    ethnicity
                ].randomElement(using: &rng)!
            }
            // safe: non-empty literal lists
            contactedText =
                contacted.map { $0 ? ["Y", "Yes", "true", "1"].randomElement(using: &rng)! : ["N", "No", "false", "0"].randomElement(using: &rng)! } ?? ""
            // safe: every generated reason id is one of reasons, each with labels
            reasonLabels = reasonIDs.map { id in Self.reasons.first { $0.0 == id }!.1.randomElement(using: &rng)! }
            // safe: a non-empty literal list
            if rng.bernoulli(0.004) { routeText = ["Walk-in centre", "Podiatry"].randomElement(using: &rng)! }
            if rng.bernoulli(0.003) { reasonLabels.append("Transport") }
            routeText = vary(routeText)
            reasonLabels = reasonLabels.map { vary($0) }
            notes = ["", "", "called twice, no answer", "said \"call after 5\"", "moved house,\nnew address pending"].randomElement(using: &rng)!
        }
        var fields = [
            String(format: "R%09d", sequence), personID, dateText, age.map(String.init) ?? "", sexText, ethnicityText, area, routeText,
            reasonLabels.joined(separator: options.messy ? "; " : ";"), contactedText, String(contacts), String(interventions), org,
        ]
        if let notes { fields.append(notes) }
        return fields
    }

    private mutating func casebookFields(
        personID: String, date: (Int, Int, Int), age: Int?, sex: Int, ethnicity: Int, area: String, route: String,
        reasons reasonIDs: [String], contacted: Bool?, contacts: Int, interventions: Int, org: String
    ) -> [String] {
        let (y, m, d) = date
        // safe: non-empty literal lists, and casebookRoutes/casebookReasons cover every generated route and reason
        let ethnicCodes = [["A", "B", "C"], ["D", "E", "F", "G"], ["H", "J", "K", "L"], ["M", "N", "P"], ["R", "S"], ["Z", "99"]]
        return [
            String(format: "CB-%07d", sequence), personID, String(format: "%02d/%02d/%04d", d, m, y), age.map(String.init) ?? "",
            ["Female", "Male", "Non-binary", "Not stated"][sex], ethnicCodes[ethnicity].randomElement(using: &rng)!, area,
            Self.casebookRoutes[route]!.randomElement(using: &rng)!,
            reasonIDs.map { Self.casebookReasons[$0]!.randomElement(using: &rng)! }.joined(separator: " | "),
            contacted.map { $0 ? "Yes" : "No" } ?? "", String(contacts), String(interventions), org, "2026-01-05 02:00",
        ]
    }
}
