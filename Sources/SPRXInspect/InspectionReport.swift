import Foundation
import SPRXClean
import SPRXCore
import SPRXPipeline

/// The privacy rules of `sprx inspect`, declared once: what of an export may be shown.
///
/// Values are shown only as labels of categorical fields (sex, ethnicity, referral
/// source, reasons, contacted, and the columns a pipeline's declared dimensions read;
/// a draft's suggested dimensions write theirs under
/// ``DisclosureSettings/mayPublishLabel(_:count:)``), never identifiers, dates, area codes, numbers of an id
/// column or free text. A label is shown only when it occurs at least
/// `suppress_up_to + 1` times (8 by default, as `unmapped_labels.csv` publishes labels);
/// rarer ones are counted, not shown. At most ``maxLabelsShown`` per field, each cut to
/// ``maxLabelLength`` characters and escaped.
public enum InspectionPrivacy {
    public static let maxLabelsShown = 50
    public static let maxLabelLength = 60
    /// Fields whose labels may be shown.
    public static let categoricalFields: Set<CanonicalField> = [.sex, .ethnicity, .referralSource, .referralReasons, .contacted]
    /// Fields whose range may be shown.
    public static let countFields: Set<CanonicalField> = [.age, .contacts, .interventions]

    /// A label as shown: cut to ``maxLabelLength`` characters, control characters escaped.
    public static func shown(_ label: String) -> String {
        let cut = label.count > maxLabelLength ? String(label.prefix(maxLabelLength)) + "…" : label
        return DisplayText.escaped(cut)
    }

    /// Whether a label may be shown or drafted: seen at least `threshold` times and not
    /// shaped like an identifier (however often it is seen: one person's NHS number
    /// typed into eight referrals is still an identifier).
    public static func mayShow(_ label: String, count: Int, threshold: Int) -> Bool {
        count >= threshold && !looksLikeIdentifier(label)
    }

    /// Whether text holds something shaped like a personal identifier (the rule is
    /// ``IdentifierShape/matches(_:)``, shared with `sprx run`'s published labels).
    public static func looksLikeIdentifier(_ text: String) -> Bool { IdentifierShape.matches(text) }

    /// Whether a file's first row looks like data rather than a header: some cell is a
    /// number, a date, a small-area code, or holds an identifier (see
    /// ``looksLikeIdentifier(_:)``). Such a row is never shown: it may be a referral.
    public static func rowLooksLikeData(_ cells: [String]) -> Bool {
        cells.contains { cell in
            let value = cell.trimmingSpaces()
            guard !value.isEmpty else { return false }
            if looksLikeIdentifier(value) { return true }
            return Array(value.utf8).withUnsafeBytes { bytes in
                if value.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) && value.contains(where: \.isNumber) { return true }
                if DateCandidate.allCases.contains(where: { $0.parse(bytes) != nil }) { return true }
                return Nation.of(areaCode: bytes) != .unknown && (8...10).contains(bytes.count)
            }
        }
    }

    /// The largest value of each count field that may be shown as a range end: the value
    /// the clean stage accepts (``PlausibleCount``: age 0 to 120, contacts and interventions
    /// 0 to 1,000); a larger one is a number typed into the wrong column.
    public static func plausibleMaximum(_ field: CanonicalField) -> Int? { PlausibleCount.maximum(field) }

    /// Whether a range end may be shown as it is: plausible for `field` (0 to
    /// ``plausibleMaximum(_:)``) and not shaped like an identifier (``IdentifierShape``),
    /// however many values equal it (ten referrals with the same NHS number in `age`).
    static func mayShowEnd(_ value: Int, field: CanonicalField?) -> Bool {
        if IdentifierShape.matches(String(value)) { return false }
        guard let field, let maximum = plausibleMaximum(field) else { return true }
        return (0...maximum).contains(value)
    }

    /// The range of a count column as it may be shown: an end is shown as it is only when
    /// at least `threshold` values equal it and it may be shown (``mayShowEnd(_:field:)``);
    /// otherwise as "over N" (or "under N") for the tail, with N the value that at least
    /// `threshold` values reach (counted from the end) and that may itself be shown,
    /// rounded towards the middle to two significant figures (``roundDown(_:)``), so the
    /// words stay true and a lone extreme value, or an NHS number typed into `contacts` of
    /// many referrals, is never printed: ages 18 to 90 with one 150 read "18 to over 90".
    /// `nil` when there are no whole numbers, or too many distinct values to tell.
    public static func range(_ profile: ColumnProfile, threshold: Int, field: CanonicalField? = nil) -> String? {
        guard profile.integers > 0, profile.overflowCount == 0 else { return profile.integers > 0 ? "not shown (too many distinct values)" : nil }
        var counts: [(Int, Int)] = []
        for (key, label) in profile.labels {
            if let n = Int(key), key.utf8.count <= 12 { counts.append((n, label.count)) }
        }
        counts.sort { $0.0 < $1.0 }
        guard !counts.isEmpty else { return nil }
        func end(_ ordered: [(Int, Int)], over: Bool) -> String {
            if ordered[0].1 >= threshold && mayShowEnd(ordered[0].0, field: field) { return shown(ordered[0].0) }
            // The first value that may be shown once `threshold` values reach it (or
            // every value, if fewer): values past it count towards the threshold.
            var seen = 0
            var reached: Int?
            for (value, count) in ordered {
                seen += count
                if seen >= threshold && mayShowEnd(value, field: field) { reached = value; break }
            }
            guard let reached else { return seen >= threshold ? "not shown (no value that may be shown)" : "fewer than \(threshold) values" }
            return over ? "over \(shown(roundDown(reached)))" : "under \(shown(roundUp(reached)))"
        }
        let low = end(counts, over: false)
        let high = end(counts.reversed(), over: true)
        return low == high ? low : "\(low) to \(high)"
    }

    /// `n` rounded down to two significant figures (1234 → 1200, 93 → 93, -1234 → -1300):
    /// "over N" stays true, because the extreme value is above the value `threshold` values reach.
    static func roundDown(_ n: Int) -> Int {
        guard n <= -100 || n >= 100 else { return n }
        var unit = 1
        while n.magnitude / UInt(unit) >= 100 { unit *= 10 }
        return n >= 0 ? n / unit * unit : -((-n + unit - 1) / unit * unit)
    }

    /// `n` rounded up to two significant figures (1234 → 1300, -1234 → -1200).
    static func roundUp(_ n: Int) -> Int { -roundDown(-n) }

    /// A range end as printed: thousands separated.
    static func shown(_ n: Int) -> String { n < 0 ? "-" + CountWords.number(-n) : CountWords.number(n) }
}

/// `sprx inspect`'s findings after the privacy rules: what the text and JSON reports print.
public struct InspectionReport: Sendable, Codable {
    public struct Label: Sendable, Codable {
        public var label: String
        public var count: Int
        /// What the pipeline maps it to (`nil`: unmapped, or no pipeline).
        public var mapsTo: String?
        /// What sprx would guess (shown only without a mapping).
        public var guess: String?
    }
    public struct DateShare: Sendable, Codable {
        public var format: String
        public var count: Int
        public var share: Double
    }
    public struct AreaShare: Sendable, Codable {
        public var nation: String
        public var count: Int
        public var share: Double
        /// Of those, how many the nation's deprivation index lists (`nil`: no reference loaded).
        public var inIndex: Int?
    }
    public struct Numbers: Sendable, Codable {
        public var wholeNumbers: Int
        public var notWholeNumbers: Int
        /// The range as it may be shown (``InspectionPrivacy/range(_:threshold:field:)``): an end
        /// seen fewer than the threshold times is "over N" or "under N".
        public var range: String?
        /// Values the clean stage does not accept, and which of them look like "not known".
        public var missing: MissingValueCandidates?
    }
    public struct Column: Sendable, Codable {
        public var header: String
        /// The canonical field the column is (under the pipeline) or could be.
        public var field: String?
        /// `pipeline`, `header name` or `values`.
        public var evidence: String?
        /// For a column the pipeline does not map: the field its header or values suggest.
        public var couldBe: String?
        /// The declared dimension of the pipeline that reads the column, if any.
        public var dimension: String?
        /// The field the values alone suggest, when it differs.
        public var valuesSuggest: String?
        public var values: Int
        public var empty: Int
        public var distinct: Int
        /// True when more distinct values were seen than inspect keeps (`distinct` is a lower bound).
        public var distinctAtLeast: Bool
        public var labels: [Label]?
        /// Labels seen fewer than the threshold: how many labels, and how many values they hold.
        public var rareLabels: Int?
        public var rareValues: Int?
        /// Frequent labels beyond the ``InspectionPrivacy/maxLabelsShown`` shown.
        public var moreLabels: Int?
        public var unmappedValues: Int?
        public var dates: [DateShare]?
        public var datesInWindow: Int?
        /// Values no date format reads (a run quarantines them, `invalid_date`).
        public var notDates: MissingValueCandidates?
        public var areas: [AreaShare]?
        public var numbers: Numbers?
    }

    public var pipeline: String?
    public var referenceDirectory: String?
    public var files: [InspectedFile]
    public var columns: [Column]
    /// Fields the pipeline maps that no column matches (a run would fail with 65).
    public var missingFields: [String]
    /// Fields without a column or a suggestion.
    public var unassignedFields: [String]
    public var labelThreshold: Int
    public var dateWindow: String
    /// Under the pipeline: rows its clean stage would quarantine, per reason and field.
    public var quarantine: QuarantineCheck?
    /// Where the area codes are, by local authority and nation (public geography).
    public var localAuthorities: [LocalAuthority]?
    /// Area codes placed in a local authority, of the area column's values.
    public var areasPlaced: Int?
    public struct LocalAuthority: Sendable, Codable {
        public var name: String
        public var code: String?
        public var nation: String
        /// Referrals, or `nil` when fewer than the threshold (withheld, as every count 1-7 is).
        public var referrals: Int?
        public var share: Double
    }

    /// Applies the privacy rules to an inspection.
    public init(_ inspection: Inspection) {
        let settings = inspection.settings
        let threshold = settings.disclosure.suppressUpTo + 1
        labelThreshold = threshold
        pipeline = inspection.pipeline.map { DisplayText.escaped($0.name) }
        referenceDirectory = inspection.referenceDirectory.map(DisplayText.escaped)
        files = inspection.files
        dateWindow = "\(settings.dateFrom.map(\.description) ?? "any") to \(settings.dateTo.map(\.description) ?? "any")"
        let mapper = inspection.pipeline.map(PipelineLabels.init)
        var fieldOf: [Int: CanonicalField] = [:]
        for (field, index) in inspection.fieldColumns { fieldOf[index] = field }
        // Columns the pipeline's declared dimensions read (matched as the clean stage
        // matches headers: case-insensitive, trimmed), the first dimension naming one.
        var dimensionOf: [Int: String] = [:]
        for dimension in inspection.pipeline?.dimensions ?? [] {
            let aliases = Set(dimension.columns.map { $0.headerKey })
            for (index, column) in inspection.columns.enumerated()
            where fieldOf[index] == nil && dimensionOf[index] == nil && !column.positional && aliases.contains(column.header.headerKey) {
                dimensionOf[index] = dimension.name
            }
        }
        columns = inspection.columns.enumerated().map { index, column in
            let profile = column.profile
            let field = fieldOf[index]
            let byValues = Guessing.field(forValues: profile)
            var out = Column(
                header: InspectionPrivacy.shown(column.header), field: field?.rawValue, evidence: field.flatMap { inspection.fieldEvidence[$0] },
                valuesSuggest: byValues != field && (byValues == .areaCode || byValues == .referralDate) ? byValues?.rawValue : nil,
                values: profile.values, empty: profile.empty, distinct: profile.distinct, distinctAtLeast: profile.overflowCount > 0)
            out.couldBe = inspection.suggestions[index]?.rawValue
            out.dimension = dimensionOf[index]
            /// Shows the labels of a categorical column under the privacy rules, each with
            /// what the pipeline maps it to (`mapsTo`) or what sprx guesses (`guess`).
            /// `mappedOnly`: show only labels the pipeline maps (a declared dimension's column
            /// may hold free text; its other labels are counted, never shown).
            func showLabels(_ counted: [(String, Int)], mapsTo: (String) -> String?, guess: (String) -> String?, mappedOnly: Bool = false) {
                var shown: [Label] = []
                var rare = 0, rareValues = 0, more = 0, unmapped = 0
                for (label, count) in counted {
                    let mapped = mapsTo(label)
                    if mapper != nil && mapped == nil { unmapped += count }
                    if !InspectionPrivacy.mayShow(label, count: count, threshold: threshold) || (mappedOnly && mapped == nil) {
                        rare += 1
                        rareValues += count
                    } else if shown.count >= InspectionPrivacy.maxLabelsShown {
                        more += 1
                    } else {
                        shown.append(Label(label: InspectionPrivacy.shown(label), count: count, mapsTo: mapped, guess: mapped == nil ? guess(label) : nil))
                    }
                }
                out.labels = shown
                out.rareLabels = rare
                out.rareValues = rareValues
                out.moreLabels = more
                if mapper != nil { out.unmappedValues = unmapped }
            }
            // Labels of a column the pipeline misses are shown too when its header suggests
            // a categorical field: that is what fixing the pipeline needs.
            if field == nil, let dimension = out.dimension, let mapper {
                // A declared dimension's column is categorical by the pipeline's word.
                showLabels(
                    Self.labelCounts(profile, splitBy: nil), mapsTo: { mapper.value(of: $0, dimension: dimension) }, guess: { _ in nil }, mappedOnly: true)
            } else if let field = field ?? inspection.suggestions[index], InspectionPrivacy.categoricalFields.contains(field) {
                let separator = mapper.map { String(decoding: $0.separators, as: UTF8.self) } ?? Guessing.reasonSeparator(profile)
                let nhsCodes = field == .ethnicity && Guessing.looksLikeNHSEthnicCodes(profile)
                showLabels(
                    Self.labelCounts(profile, splitBy: field == .referralReasons ? separator : nil),
                    mapsTo: { mapper?.value(of: $0, field: field) }, guess: { Self.guess($0, field: field, nhsCodes: nhsCodes) })
            }
            if field == .referralDate || profile.share(profile.datesInWindow) > 0.5 {
                out.datesInWindow = profile.datesInWindow
                if field == .referralDate { out.notDates = MissingValueCandidates(dates: profile, threshold: threshold) }
                out.dates = DateCandidate.allCases.compactMap { candidate in
                    guard let n = profile.dateParsed[candidate], n > 0 else { return nil }
                    return DateShare(format: candidate.rawValue, count: n, share: profile.share(n))
                }
            }
            if field == .areaCode || profile.share(profile.areaLike) > 0.5 {
                out.areas = Nation.known.map { nation in
                    let n = profile.areaNation[Int(nation.rawValue)]
                    return AreaShare(
                        nation: nation.label, count: n, share: profile.share(n),
                        inIndex: inspection.referenceDirectory == nil ? nil : profile.areaInIndex[Int(nation.rawValue)])
                }
            }
            if let field, InspectionPrivacy.countFields.contains(field) {
                out.numbers = Numbers(
                    wholeNumbers: profile.integers, notWholeNumbers: profile.nonIntegers,
                    range: InspectionPrivacy.range(profile, threshold: threshold, field: field),
                    missing: MissingValueCandidates(profile, field: field, threshold: threshold, isListed: { mapper?.isMissing($0, field: field) ?? false }))
            }
            return out
        }
        if let pipeline = inspection.pipeline {
            missingFields = CanonicalField.allCases.filter { inspection.fieldColumns[$0] == nil && !pipeline.optionalColumns.contains($0) }.map(\.rawValue)
        } else {
            missingFields = []
        }
        unassignedFields = CanonicalField.allCases.filter { inspection.fieldColumns[$0] == nil }.map(\.rawValue)
        quarantine = inspection.check
        let catchment = CatchmentProposal(inspection)
        if catchment.placed > 0 {
            areasPlaced = catchment.placed
            localAuthorities = catchment.shares.map {
                LocalAuthority(
                    name: DisplayText.escaped($0.authority.name), code: $0.authority.code.map(DisplayText.escaped), nation: $0.authority.nation,
                    referrals: $0.count >= threshold ? $0.count : nil, share: $0.share)
            }
        }
    }

    /// A column's labels with counts, largest first (ties by label), reasons split at
    /// `separator` and trimmed; keyed by the first spelling seen.
    static func labelCounts(_ profile: ColumnProfile, splitBy separator: String?) -> [(String, Int)] {
        var counts: [String: (String, Int)] = [:]
        // In key order, so the spelling kept for a piece is the same on every run.
        for (key, entry) in profile.labels.sorted(by: { $0.key < $1.key }) {
            if let separator, !separator.isEmpty {
                let separators = Set(separator.unicodeScalars)
                let pieces = entry.spelling.unicodeScalars.split(omittingEmptySubsequences: true) { separators.contains($0) }
                for piece in pieces {
                    let label = String(String.UnicodeScalarView(piece)).trimmingSpaces()
                    guard !label.isEmpty else { continue }
                    let k = label.lowercased().split(separator: " ").joined(separator: " ")
                    counts[k] = (counts[k]?.0 ?? label, (counts[k]?.1 ?? 0) + entry.count)
                }
            } else {
                counts[key] = (entry.spelling, entry.count)
            }
        }
        return counts.values.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// What sprx guesses a label means: from its words, or as an NHS ethnic category code
    /// when the column is mostly such codes.
    static func guess(_ label: String, field: CanonicalField, nhsCodes: Bool) -> String? {
        if let value = Guessing.value(forLabel: label, field: field) { return value }
        guard nhsCodes else { return nil }
        var bytes = Array(label.utf8)
        return PipelineLabels.nhsEthnicGroup(&bytes).map { "\($0) (NHS ethnic category code)" }
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// What a run makes of a count column's values that are no whole number it accepts:
    /// how many the pipeline lists under `missing_values` (Unknown), and how many
    /// quarantine their referrals, per reason (the clean stage's own, ``QuarantineReason``).
    static func nonConformingSentence(_ missing: MissingValueCandidates, field: CanonicalField, underPipeline: Bool) -> String {
        let maximum = MissingValueCandidates.maximum(field)
        var parts: [String] = []
        if missing.listed > 0 { parts.append("\(CountWords.number(missing.listed)) listed under the pipeline's missing_values become Unknown") }
        let invalid = missing.nonConforming - missing.listed - missing.implausible
        var quarantined: [String] = []
        if invalid > 0 { quarantined.append("\(CountWords.of(invalid, "referral")) (\(QuarantineReason.count(field, implausible: false).rawValue))") }
        if missing.implausible > 0 {
            quarantined.append(
                "\(CountWords.of(missing.implausible, "referral")) over \(CountWords.number(maximum)) (\(QuarantineReason.count(field, implausible: true).rawValue))"
            )
        }
        if !quarantined.isEmpty {
            parts.append(
                "a run quarantines \(quarantined.joined(separator: " and "))" + (underPipeline ? "" : " unless the value is listed under missing_values"))
        }
        return
            "\(CountWords.of(missing.nonConforming, "value")) \(missing.nonConforming == 1 ? "is" : "are") not a whole number from 0 to \(CountWords.number(maximum)): "
            + parts.joined(separator: "; ")
    }

    /// The report for people.
    public func text() -> String {
        var lines: [String] = []
        func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
        lines.append(pipeline.map { "sprx inspect: judged against pipeline '\($0)'" } ?? "sprx inspect: no pipeline given; fields and labels are suggestions")
        lines.append("reference folder: \(referenceDirectory ?? "none found (area codes checked by shape only)")")
        lines.append("")
        lines.append("Files")
        for file in files {
            var line =
                "  \(file.name): \(file.compression == "gzip" ? "gzip, " : "")\(file.encoding.rawValue), delimiter \(file.delimiter == .tab ? "tab" : "'\(file.delimiter.rawValue)'"), line ends \(file.lineEnds.rawValue), \(CountWords.of(file.headerColumns, "column"))"
            if let rows = file.rows { line += ", \(CountWords.of(rows, "row"))" }
            if let ragged = file.raggedRows, ragged > 0 { line += " (\(CountWords.number(ragged)) with a different number of fields: quarantined by a run)" }
            lines.append(line)
            if file.headerless {
                lines.append(
                    "    no header row: the first row looks like data (a number, date, area code or identifier), so it is read as a referral and never shown; its columns are named by position. sprx maps columns by header name: add a header row to the export (or ask its system for one) before writing its pipeline"
                )
            }
            if let note = file.note { lines.append("    note: \(note)") }
        }
        lines.append("")
        lines.append("Columns (labels shown only for categorical fields, when seen at least \(labelThreshold) times)")
        for column in columns {
            var head = "  '\(column.header)'"
            if let field = column.field {
                head += " -> \(field)" + (column.evidence == "pipeline" ? "" : " (suggested by \(column.evidence ?? "?"))")
            } else if let dimension = column.dimension {
                head += " -> dimension \(dimension)"
            } else {
                head += " -> not mapped" + (column.couldBe.map { " (could be \($0))" } ?? "")
            }
            if let v = column.valuesSuggest { head += "; values look like \(v)" }
            lines.append(head)
            lines.append(
                "      \(column.values - column.empty) values, \(column.empty) empty, \(column.distinctAtLeast ? "at least " : "")\(column.distinct) distinct")
            if let labels = column.labels {
                for label in labels {
                    let mapping = label.mapsTo.map { "-> \($0)" } ?? (pipeline == nil ? "" : "UNMAPPED") + (label.guess.map { " (guess: \($0))" } ?? "")
                    lines.append("      \(String(label.count).leftPadded(8))  \(label.label)\(mapping.isEmpty ? "" : "  " + mapping)")
                }
                if let rare = column.rareLabels, rare > 0 {
                    lines.append(
                        "      \(CountWords.of(rare, "more label")) (\(CountWords.of(column.rareValues ?? 0, "value"))) not shown: seen fewer than \(labelThreshold) times, too long or shaped like an identifier"
                            + (column.dimension != nil ? ", or on none of the dimension's lists" : ""))
                }
                if let more = column.moreLabels, more > 0 {
                    lines.append("      \(CountWords.of(more, "more frequent label")) not shown (at most \(InspectionPrivacy.maxLabelsShown))")
                }
                if let unmapped = column.unmappedValues, unmapped > 0 {
                    lines.append("      \(CountWords.of(unmapped, "value")) unmapped under the pipeline (they become unknown)")
                }
            }
            if let dates = column.dates {
                let total = column.values - column.empty
                lines.append("      dates within \(dateWindow): \(column.datesInWindow ?? 0) of \(total) parse with some format")
                for date in dates { lines.append("        \(date.format): \(date.count) (\(percent(date.share)))") }
                if let notDates = column.notDates, notDates.nonConforming > 0 {
                    lines.append(
                        "      \(CountWords.of(notDates.nonConforming, "value")) \(notDates.nonConforming == 1 ? "is" : "are") no date in any format: a run quarantines each such referral (invalid_date); a referral date is required, so it cannot be listed under missing_values"
                    )
                    for value in notDates.notProposed { lines.append("      \(String(value.count).leftPadded(8))  \(value.label)") }
                    if notDates.rare > 0 {
                        lines.append("      \(CountWords.of(notDates.rare, "more such value")) seen fewer than \(labelThreshold) times each: not shown")
                    }
                }
            }
            if let areas = column.areas {
                for area in areas where area.count > 0 {
                    lines.append(
                        "      \(area.nation) codes: \(area.count) (\(percent(area.share)))" + (area.inIndex.map { ", \($0) in its deprivation index" } ?? ""))
                }
            }
            if let numbers = column.numbers {
                lines.append("      whole numbers: \(numbers.wholeNumbers), range \(numbers.range ?? "none"); not whole numbers: \(numbers.notWholeNumbers)")
                if let missing = numbers.missing, missing.nonConforming > 0, let field = column.field.flatMap(CanonicalField.init(rawValue:)) {
                    lines.append("      " + Self.nonConformingSentence(missing, field: field, underPipeline: pipeline != nil))
                    for value in missing.proposed {
                        lines.append(
                            "      \(String(value.count).leftPadded(8))  \(value.label)  looks like \"not known\": a draft lists it under missing_values")
                    }
                    for value in missing.notProposed {
                        // A frequent value shown is a whole number past the bound or no count at all.
                        let why =
                            value.label.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                            ? "over \(CountWords.number(MissingValueCandidates.maximum(field))): quarantined" : "not a count: quarantined"
                        lines.append("      \(String(value.count).leftPadded(8))  \(value.label)  \(why)")
                    }
                    if missing.rare > 0 {
                        lines.append("      \(CountWords.of(missing.rare, "more such value")) seen fewer than \(labelThreshold) times each: not shown")
                    }
                }
            }
        }
        if let authorities = localAuthorities, let placed = areasPlaced {
            lines.append("")
            lines.append(
                "Local authorities of the area codes (\(placed) placed in one; public geography, so every name is shown; counts under \(labelThreshold) are not)"
            )
            var byNation: [(String, Double)] = []
            for authority in authorities {
                if let i = byNation.firstIndex(where: { $0.0 == authority.nation }) {
                    byNation[i].1 += authority.share
                } else {
                    byNation.append((authority.nation, authority.share))
                }
            }
            lines.append("  nations: " + byNation.map { "\($0.0) \(percent($0.1))" }.joined(separator: ", "))
            for authority in authorities.prefix(20) {
                let count = authority.referrals.map(String.init) ?? "fewer than \(labelThreshold)"
                lines.append(
                    "  \(count.leftPadded(8))  \(percent(authority.share).leftPadded(6))  \(authority.name)\(authority.code.map { " (\($0))" } ?? ""), \(authority.nation)"
                )
            }
            if authorities.count > 20 { lines.append("  and \(authorities.count - 20) more local authorities (--json lists them all)") }
        }
        if let quarantine {
            lines.append("")
            lines.append("Under the pipeline's clean stage (its own rules, every row)")
            lines += quarantine.lines("the pipeline")
        }
        if !missingFields.isEmpty {
            lines.append("")
            lines.append(
                "The pipeline maps \(missingFields.joined(separator: ", ")) to no header of these files: a run fails (65) until its columns aliases name them or it lists them under columns.optional"
            )
        } else if pipeline == nil && !unassignedFields.isEmpty {
            lines.append("")
            lines.append("No column suggested for: \(unassignedFields.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
