import Foundation
import SPRXCore
import SPRXPipeline

/// The privacy rules of `sprx inspect`, declared once: what of an export may be shown.
///
/// Values are shown only as labels of categorical fields (sex, ethnicity, referral
/// source, reasons, contacted), never identifiers, dates, area codes, numbers of an id
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
        public var minimum: Int?
        public var maximum: Int?
    }
    public struct Column: Sendable, Codable {
        public var header: String
        /// The canonical field the column is (under the pipeline) or could be.
        public var field: String?
        /// `pipeline`, `header name` or `values`.
        public var evidence: String?
        /// For a column the pipeline does not map: the field its header or values suggest.
        public var couldBe: String?
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
        columns = inspection.columns.enumerated().map { index, column in
            let profile = column.profile
            let field = fieldOf[index]
            let byValues = Guessing.field(forValues: profile)
            var out = Column(
                header: InspectionPrivacy.shown(column.header), field: field?.rawValue, evidence: field.flatMap { inspection.fieldEvidence[$0] },
                valuesSuggest: byValues != field && (byValues == .areaCode || byValues == .referralDate) ? byValues?.rawValue : nil,
                values: profile.values, empty: profile.empty, distinct: profile.distinct, distinctAtLeast: profile.overflowCount > 0)
            out.couldBe = inspection.suggestions[index]?.rawValue
            // Labels of a column the pipeline misses are shown too when its header suggests
            // a categorical field: that is what fixing the pipeline needs.
            if let field = field ?? inspection.suggestions[index], InspectionPrivacy.categoricalFields.contains(field) {
                let separator = mapper.map { String(decoding: $0.separators, as: UTF8.self) } ?? Guessing.reasonSeparator(profile)
                let counted = Self.labelCounts(profile, splitBy: field == .referralReasons ? separator : nil)
                let nhsCodes = field == .ethnicity && Guessing.looksLikeNHSEthnicCodes(profile)
                var shown: [Label] = []
                var rare = 0, rareValues = 0, more = 0, unmapped = 0
                for (label, count) in counted {
                    let mapsTo = mapper?.value(of: label, field: field)
                    if mapper != nil && mapsTo == nil { unmapped += count }
                    if count < threshold {
                        rare += 1
                        rareValues += count
                    } else if shown.count >= InspectionPrivacy.maxLabelsShown {
                        more += 1
                    } else {
                        shown.append(
                            Label(label: InspectionPrivacy.shown(label), count: count, mapsTo: mapsTo,
                                guess: mapsTo == nil ? Self.guess(label, field: field, nhsCodes: nhsCodes) : nil))
                    }
                }
                out.labels = shown
                out.rareLabels = rare
                out.rareValues = rareValues
                out.moreLabels = more
                if mapper != nil { out.unmappedValues = unmapped }
            }
            if field == .referralDate || profile.share(profile.datesInWindow) > 0.5 {
                out.datesInWindow = profile.datesInWindow
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
                out.numbers = Numbers(wholeNumbers: profile.integers, notWholeNumbers: profile.nonIntegers, minimum: profile.minimum, maximum: profile.maximum)
            }
            return out
        }
        if let pipeline = inspection.pipeline {
            missingFields = CanonicalField.allCases.filter { inspection.fieldColumns[$0] == nil && !pipeline.optionalColumns.contains($0) }.map(\.rawValue)
        } else {
            missingFields = []
        }
        unassignedFields = CanonicalField.allCases.filter { inspection.fieldColumns[$0] == nil }.map(\.rawValue)
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

    /// The report for people.
    public func text() -> String {
        var lines: [String] = []
        func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
        lines.append(pipeline.map { "sprx inspect: judged against pipeline '\($0)'" } ?? "sprx inspect: no pipeline given; fields and labels are suggestions")
        lines.append("reference folder: \(referenceDirectory ?? "none found (area codes checked by shape only)")")
        lines.append("")
        lines.append("Files")
        for file in files {
            var line = "  \(file.name): \(file.compression == "gzip" ? "gzip, " : "")\(file.encoding.rawValue), delimiter \(file.delimiter == .tab ? "tab" : "'\(file.delimiter.rawValue)'"), line ends \(file.lineEnds.rawValue), \(file.headerColumns) columns"
            if let rows = file.rows { line += ", \(rows) rows" }
            if let ragged = file.raggedRows, ragged > 0 { line += " (\(ragged) with a different number of fields: quarantined by a run)" }
            lines.append(line)
            if let note = file.note { lines.append("    note: \(note)") }
        }
        lines.append("")
        lines.append("Columns (labels shown only for categorical fields, when seen at least \(labelThreshold) times)")
        for column in columns {
            var head = "  '\(column.header)'"
            if let field = column.field {
                head += " -> \(field)" + (column.evidence == "pipeline" ? "" : " (suggested by \(column.evidence ?? "?"))")
            } else {
                head += " -> not mapped" + (column.couldBe.map { " (could be \($0))" } ?? "")
            }
            if let v = column.valuesSuggest { head += "; values look like \(v)" }
            lines.append(head)
            lines.append("      \(column.values - column.empty) values, \(column.empty) empty, \(column.distinctAtLeast ? "at least " : "")\(column.distinct) distinct")
            if let labels = column.labels {
                for label in labels {
                    let mapping = label.mapsTo.map { "-> \($0)" } ?? (pipeline == nil ? "" : "UNMAPPED") + (label.guess.map { " (guess: \($0))" } ?? "")
                    lines.append("      \(String(label.count).leftPadded(8))  \(label.label)\(mapping.isEmpty ? "" : "  " + mapping)")
                }
                if let rare = column.rareLabels, rare > 0 {
                    lines.append("      \(rare) more label\(rare == 1 ? "" : "s") (\(column.rareValues ?? 0) values) seen fewer than \(labelThreshold) times each: not shown")
                }
                if let more = column.moreLabels, more > 0 { lines.append("      \(more) more frequent labels not shown (at most \(InspectionPrivacy.maxLabelsShown))") }
                if let unmapped = column.unmappedValues, unmapped > 0 { lines.append("      \(unmapped) values unmapped under the pipeline (they become unknown)") }
            }
            if let dates = column.dates {
                let total = column.values - column.empty
                lines.append("      dates within \(dateWindow): \(column.datesInWindow ?? 0) of \(total) parse with some format")
                for date in dates { lines.append("        \(date.format): \(date.count) (\(percent(date.share)))") }
            }
            if let areas = column.areas {
                for area in areas where area.count > 0 {
                    lines.append("      \(area.nation) codes: \(area.count) (\(percent(area.share)))" + (area.inIndex.map { ", \($0) in its deprivation index" } ?? ""))
                }
            }
            if let numbers = column.numbers {
                let range = numbers.minimum.map { "\($0) to \(numbers.maximum!)" } ?? "none"
                lines.append("      whole numbers: \(numbers.wholeNumbers), range \(range); not whole numbers: \(numbers.notWholeNumbers)")
            }
        }
        if !missingFields.isEmpty {
            lines.append("")
            lines.append("The pipeline maps \(missingFields.joined(separator: ", ")) to no header of these files: a run fails (65) until its columns aliases name them or it lists them under columns.optional")
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
