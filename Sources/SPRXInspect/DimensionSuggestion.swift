import Foundation
import SPRXCore
import SPRXPipeline

/// A further dimension a draft suggests (`dimensions:`) for a column no canonical field
/// maps whose values look categorical.
///
/// A column is suggested when its non-empty values are few kinds, each seen often: at
/// most ``maxLevels`` levels, and the values a draft may write (``DisclosureSettings/mayPublishLabel(_:count:)``:
/// seen at least `suppress_up_to + 1` times, short, not shaped like an identifier) are
/// at least ``minCoverage`` of its non-empty values (a frequent value that cannot be a
/// level label, such as one with a '/', counts: it is named in a comment). Never a column whose header names
/// free text or an identifier (``excludedHeaderWords``), whose values are mostly dates,
/// area codes, practice codes or codes of letters and digits (case numbers), whole
/// numbers of more than ``maxNumberLevels`` kinds (a count or a measure), or all
/// different. Spellings the label matcher treats alike (case, runs of spaces) are one
/// level, named by the spelling seen most often; values that look like "not known"
/// (``MissingValueCandidates/missingWords``) go under `unknown`. Values not written are
/// only counted: a run counts them as unmapped labels, as it does any value no level lists.
struct DimensionSuggestion: Sendable {
    /// One level: the label the tables print, the value it is read from, how often seen.
    struct Level: Sendable, Equatable {
        var label: String
        /// The values as written that mean the level (several for yes/no synonyms).
        var values: [String]
        var count: Int
        var value: String { values[0] }
        init(label: String, value: String, count: Int) {
            self.label = label
            values = [value]
            self.count = count
        }
    }

    /// Spellings of yes and no that one export mixes ("Y", "Yes", "TRUE"): drafted as one
    /// level each, so the draft does not publish `Y` and `Yes` as two groups.
    static let synonyms: [(label: String, keys: Set<String>)] = [
        ("Yes", ["y", "yes", "true", "t"]), ("No", ["n", "no", "false", "f"]),
    ]

    /// Whether a frequent value still reads like a note about a person rather than a
    /// category: a title before a name (Mr, Mrs, Ms, Miss, Dr, Mx), a digit, or more than
    /// four words. Such a value is withheld from the draft, not made a level.
    static func readsLikeANote(_ text: String) -> Bool {
        let words = text.split { !$0.isLetter && !$0.isNumber }.map { $0.lowercased() }
        return words.count > 4 || text.contains(where: \.isNumber) || words.contains { ["mr", "mrs", "ms", "miss", "dr", "mx"].contains($0) }
    }

    /// The column's index in the inspection.
    var column: Int
    /// The column's header as written (the `column:` alias).
    var header: String
    /// The dimension's code name (``codeName(_:taken:)``).
    var name: String = ""
    /// The display name: the header when it may be one, else ``name``.
    var title: String = ""
    var levels: [Level] = []
    /// The values that look like "not known", most frequent first.
    var unknown: [String] = []
    /// Frequent values the loader would refuse as a level label (a '/', too long).
    var notLevels: [String] = []
    /// Distinct values not written because they are seen fewer than the threshold times.
    var rare = 0
    /// Distinct values seen often enough but not written: too long, shaped like an
    /// identifier, or holding control characters.
    var withheld = 0

    /// Most levels a suggested dimension has (more is rarely a category a table can show).
    static let maxLevels = 20
    /// Most kinds of whole number a suggested dimension has (more is a count or a measure).
    static let maxNumberLevels = 10
    /// The share of a column's non-empty values its written values must cover.
    static let minCoverage = 0.9

    /// Header words of columns never suggested: free text, names, contact details and
    /// identifiers (whatever their values look like).
    static let excludedHeaderWords: Set<String> = [
        "note", "notes", "comment", "comments", "description", "details", "detail", "text", "narrative", "summary",
        "name", "names", "forename", "surname", "address", "postcode", "email", "phone", "telephone", "mobile", "dob", "birth",
        "id", "ref", "reference", "identifier", "pseudonym", "number", "key", "uprn",
    ]

    /// The dimensions a draft suggests, in column order, each with a code name no
    /// built-in or earlier one has. Under a pipeline, a column one of its dimensions reads
    /// keeps that dimension's name (its levels are drafted from the values afresh, as
    /// every label of a draft is).
    static func suggestions(_ inspection: Inspection, disclosure: DisclosureSettings) -> [DimensionSuggestion] {
        let mapped = Set(inspection.fieldColumns.values)
        var declaredName: [String: String] = [:]
        for dimension in inspection.pipeline?.dimensions ?? [] {
            for alias in dimension.columns where declaredName[alias.headerKey] == nil {
                declaredName[alias.headerKey] = dimension.name
            }
        }
        var taken = PipelineLoader.reservedDimensionNames.union(declaredName.values)
        var used: Set<String> = []
        var out: [DimensionSuggestion] = []
        for (index, column) in inspection.columns.enumerated() where !mapped.contains(index) && !column.positional {
            // A blank header is no alias a pipeline can name.
            guard !column.header.trimmingSpaces().isEmpty, var suggestion = suggestion(index, column, disclosure: disclosure) else { continue }
            if let name = declaredName[column.header.headerKey], !used.contains(name) {
                suggestion.name = name
            } else {
                suggestion.name = codeName(column.header, taken: taken)
            }
            taken.insert(suggestion.name)
            used.insert(suggestion.name)
            let header = column.header
            suggestion.title = header.count <= PipelineLoader.maxDimensionText && DisplayText.escaped(header) == header ? header : suggestion.name
            out.append(suggestion)
        }
        return out
    }

    /// The suggestion for one column, or `nil` when it does not look categorical.
    static func suggestion(_ index: Int, _ column: InspectedColumn, disclosure: DisclosureSettings) -> DimensionSuggestion? {
        let profile = column.profile
        let threshold = disclosure.suppressUpTo + 1
        guard profile.nonEmpty >= threshold, profile.overflowCount == 0, !profile.allDistinct else { return nil }
        guard Set(Guessing.words(column.header)).isDisjoint(with: excludedHeaderWords) else { return nil }
        if profile.share(profile.datesInWindow) > 0.5 || profile.share(profile.areaLike) > 0.5 { return nil }
        if let byValues = Guessing.field(forValues: profile), [.areaCode, .referralDate, .organisationID].contains(byValues) { return nil }
        if profile.nonIntegers == 0 && profile.distinct > maxNumberLevels { return nil }
        // Codes of letters and digits ("PT0001", "CV30012"): case or person numbers, not categories.
        let codes = profile.labels.reduce(0) { sum, entry in
            let key = entry.key
            let shaped = Array(key.utf8).withUnsafeBytes { ColumnProfile.isIDShaped($0) } && key.contains(where: \.isLetter)
            return sum + (shaped ? entry.value.count : 0)
        }
        if codes * 2 > profile.nonEmpty { return nil }

        var suggestion = DimensionSuggestion(column: index, header: column.header)
        var covered = 0
        var unknownCount = 0
        let ordered = profile.labels.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
        for (key, entry) in ordered {
            let spelling = entry.commonSpelling.trimmingSpaces()
            // A spelling cut at the label table's length is not the value as written.
            guard disclosure.mayPublishLabel(spelling, count: entry.count), disclosure.mayPublishLabel(key, count: entry.count),
                spelling.utf8.count < LabelTable.maxLabelLength, DisplayText.escaped(spelling) == spelling, !Self.readsLikeANote(spelling)
            else {
                if entry.count < threshold { suggestion.rare += 1 } else { suggestion.withheld += 1 }
                continue
            }
            if MissingValueCandidates.missingWords.contains(key) {
                suggestion.unknown.append(spelling)
                unknownCount += entry.count
            } else if let synonym = Self.synonyms.first(where: { $0.keys.contains(key) }) {
                if let i = suggestion.levels.firstIndex(where: { $0.label == synonym.label }) {
                    suggestion.levels[i].values.append(spelling)
                    suggestion.levels[i].count += entry.count
                } else {
                    suggestion.levels.append(Level(label: synonym.label, value: spelling, count: entry.count))
                }
            } else if PipelineLoader.isLevelLabel(spelling) && key != DeclaredDimension.unknownLabel.lowercased() {
                suggestion.levels.append(Level(label: spelling, value: spelling, count: entry.count))
            } else {
                suggestion.notLevels.append(spelling)
            }
            covered += entry.count
        }
        let levels = suggestion.levels.count
        // One level is a comparison only against referrals whose value is not known.
        guard levels <= maxLevels, levels >= 2 || (levels == 1 && unknownCount + profile.empty >= threshold) else { return nil }
        guard Double(covered) >= minCoverage * Double(profile.nonEmpty) else { return nil }
        return suggestion
    }

    /// A header as a dimension name: ASCII letters (accents dropped) and digits, lower
    /// case, every other run of characters one `_`; prefixed `d_` when it does not start
    /// with a letter, cut to ``PipelineLoader/maxDimensionName``; `_2`, `_3`, … appended
    /// while the name is taken.
    static func codeName(_ header: String, taken: Set<String>) -> String {
        var base = ""
        for scalar in header.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                base.unicodeScalars.append(scalar)
            } else if !base.isEmpty && !base.hasSuffix("_") {
                base += "_"
            }
        }
        while base.hasSuffix("_") { base.removeLast() }
        if base.isEmpty { base = "dimension" }
        if let first = base.unicodeScalars.first, !("a"..."z").contains(first) { base = "d_" + base }
        func cut(_ text: String, _ length: Int) -> String {
            var out = String(text.prefix(length))
            while out.hasSuffix("_") { out.removeLast() }
            return out
        }
        var name = cut(base, PipelineLoader.maxDimensionName)
        var n = 2
        while taken.contains(name) || !PipelineLoader.isCodeName(name) {
            let suffix = "_\(n)"
            name = cut(base, PipelineLoader.maxDimensionName - suffix.count) + suffix
            n += 1
        }
        return name
    }

    /// The dimension as the loader reads it (to check it fits the key).
    var declaration: DeclaredDimension {
        DeclaredDimension(
            name: name, title: title, columns: [header], levels: levels.map { DeclaredDimension.Level(label: $0.label, values: [$0.value]) },
            unknownValues: unknown, tables: true, model: false)
    }
}
