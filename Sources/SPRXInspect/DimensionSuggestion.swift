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
/// free text or an identifier (``excludedHeaderWords``), that may hold people's names (its
/// header names a role, or its values look like names: ``peopleEvidence(_:)``), whose values are mostly dates,
/// area codes, practice codes or codes of letters and digits (case numbers), whole
/// numbers of more than ``maxNumberLevels`` kinds (a count or a measure), or all
/// different. Spellings the label matcher treats alike (case, runs of spaces) are one
/// level, named by the spelling seen most often; values that look like "not known"
/// (``Guessing/notKnownSpellings``, and only those, however rarely seen: they are sprx's
/// own words) go under `unknown`. Values not written are
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
        return words.count > 4 || text.contains(where: \.isNumber) || words.contains { titles.contains($0) }
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

    /// Header words of a person's role: a column so named holds who did something
    /// (a link worker, a caseworker), so it is never suggested, whatever its values look
    /// like: people's names must never reach a draft (``personRoleHeader(_:)``).
    static let personRoleHeaderWords: Set<String> = [
        "worker", "workers", "staff", "caseworker", "keyworker", "practitioner", "clinician", "officer", "coordinator",
        "ordinator", "navigator", "advisor", "adviser", "counsellor", "therapist", "mentor", "nurse", "doctor", "consultant",
        "allocated", "assigned", "allocation", "owner", "caseload", "champion", "connector",
    ]

    /// Words before `by` that name who did something ("seen by", "referred by"): with
    /// any word ending in "ed" ("allocated by", "entered by").
    static let doneByWords: Set<String> = ["seen", "done", "made", "taken", "written", "run", "led"]

    /// Whether a header names a person's role (``personRoleHeaderWords``, or a phrase
    /// such as "Referred by" or "Seen by").
    static func personRoleHeader(_ header: String) -> Bool {
        let words = Guessing.words(header)
        if !Set(words).isDisjoint(with: personRoleHeaderWords) { return true }
        for (i, word) in words.enumerated() where word == "by" && i > 0 {
            if words[i - 1].hasSuffix("ed") || doneByWords.contains(words[i - 1]) { return true }
        }
        return false
    }

    /// Words that make a value of two or three capitalised words a place, a team, a
    /// status or a category rather than a person's name ("Cardiff North", "Duty Team",
    /// "Closed Completed").
    static let categoryWords: Set<String> = [
        "team", "teams", "service", "services", "centre", "center", "clinic", "hub", "group", "project", "network", "practice",
        "surgery", "hospital", "health", "care", "council", "authority", "trust", "board", "association", "partnership",
        "north", "south", "east", "west", "central", "city", "town", "county", "road", "street", "ward", "area", "locality",
        "district", "village", "valley", "vale", "bay", "park", "house", "court", "community", "support", "referral",
        "closed", "open", "completed", "complete", "pending", "active", "inactive", "waiting", "list", "other", "none", "not",
        "yes", "no", "male", "female", "english", "welsh", "scottish", "irish", "british", "adult", "adults", "child",
        "children", "young", "older", "people", "family", "self", "school", "college", "university", "job", "plus", "office",
        "bank", "church", "library", "duty", "unallocated", "vacant", "agency", "locum", "visit", "phone", "online",
        "face", "week", "band", "level", "grade", "tier", "stage", "type", "class", "category", "option", "phase", "month", "year", "day", "morning",
        "afternoon", "evening", "and", "or", "of", "the",
    ]

    /// Whether a value reads like a person's name: two or three words, each a capital
    /// letter then letters, apostrophes or hyphens (or an initial before the last word,
    /// "R. Evans"; "Band A" is no name; a word in capitals has four letters or more: "Age
    /// UK" is no name), no digit, and
    /// no word of sprx's vocabularies: not a not-known spelling, not a label any guesser
    /// reads (``Guessing/value(forLabel:field:)``: "White British", "Self Referral"),
    /// and no ``categoryWords`` word.
    static func looksLikePersonalName(_ text: String) -> Bool {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard (2...3).contains(words.count) else { return false }
        for (i, word) in words.enumerated() {
            guard let first = word.first, first.isLetter, first.isUppercase else { return false }
            let rest = word.dropFirst()
            // An initial before the surname only ("R. Evans", not "Band A").
            let initial = (rest.isEmpty || rest == ".") && i < words.count - 1
            guard initial || (!rest.isEmpty && rest.allSatisfy({ $0.isLetter || $0 == "'" || $0 == "\u{2019}" || $0 == "-" })) else { return false }
            // A short word in capitals is an abbreviation ("Age UK"), not a name.
            if !initial && word.count < 4 && !rest.contains(where: \.isLowercase) { return false }
            if categoryWords.contains(word.lowercased()) { return false }
        }
        if Guessing.isNotKnown(text) { return false }
        let fields: [CanonicalField] = [.sex, .ethnicity, .referralSource, .referralReasons, .contacted]
        return !fields.contains { Guessing.value(forLabel: text, field: $0) != nil }
    }

    /// Whether a label holds a title (Mr, Mrs, Ms, Miss, Dr, Mx) followed by a capitalised
    /// word ("Dr Jones", "GP - Dr Patel"): a person named, in any column. (The broader
    /// ``looksLikePersonalName(_:)`` judges a whole column, where one organisation's
    /// two-word name among categories does not decide.)
    static func namesAPerson(_ text: String) -> Bool {
        let words = text.split { !$0.isLetter && $0 != "'" && $0 != "-" }
        for (i, word) in words.enumerated().dropLast() where titles.contains(word.lowercased()) {
            let next = words[i + 1]
            if let first = next.first, first.isUppercase, next.count > 1, !categoryWords.contains(next.lowercased()) { return true }
        }
        return false
    }

    /// Titles before a person's name (``readsLikeANote(_:)``, ``namesAPerson(_:)``).
    static let titles: Set<String> = ["mr", "mrs", "ms", "miss", "dr", "mx"]

    /// Why a column may hold people's names, or `nil`: its header names a person's role
    /// (``personRoleHeader(_:)``), or at least half its distinct values other than
    /// not-known spellings look like personal names (``looksLikePersonalName(_:)``,
    /// judged on the spelling seen most often; rare values count too).
    static func peopleEvidence(_ column: InspectedColumn) -> String? {
        if personRoleHeader(column.header) { return "its header names a person's role" }
        var names = 0, others = 0
        for (key, label) in column.profile.labels where !Guessing.notKnownSpellings.contains(key) {
            if looksLikePersonalName(label.commonSpelling.trimmingSpaces()) { names += 1 } else { others += 1 }
        }
        return names > 0 && names >= others ? "most of its values look like people's names" : nil
    }

    /// The columns no field maps that would be suggested but may hold people's names
    /// (``peopleEvidence(_:)``), in column order, with the reason: never suggested; a
    /// draft and `inspect` name the header and the reason, never a value.
    static func leftOutAsPeople(_ inspection: Inspection, disclosure: DisclosureSettings) -> [(header: String, reason: String)] {
        let mapped = Set(inspection.fieldColumns.values)
        return inspection.columns.enumerated().compactMap { index, column in
            guard !mapped.contains(index), !column.positional, !column.header.trimmingSpaces().isEmpty,
                suggestion(index, column, disclosure: disclosure, ignoringPeople: true) != nil, let reason = peopleEvidence(column)
            else { return nil }
            return (column.header, reason)
        }
    }

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

    /// The suggestion for one column, or `nil` when it does not look categorical or may
    /// hold people's names (``peopleEvidence(_:)``; not checked when `ignoringPeople`).
    static func suggestion(_ index: Int, _ column: InspectedColumn, disclosure: DisclosureSettings, ignoringPeople: Bool = false) -> DimensionSuggestion? {
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
            // A not-known spelling is sprx's own word: written however rarely seen.
            if Guessing.notKnownSpellings.contains(key) {
                suggestion.unknown.append(spelling)
                unknownCount += entry.count
                covered += entry.count
                continue
            }
            // A spelling cut at the label table's length is not the value as written.
            guard disclosure.mayPublishLabel(spelling, count: entry.count), disclosure.mayPublishLabel(key, count: entry.count),
                spelling.utf8.count < LabelTable.maxLabelLength, DisplayText.escaped(spelling) == spelling, !Self.readsLikeANote(spelling)
            else {
                if entry.count < threshold { suggestion.rare += 1 } else { suggestion.withheld += 1 }
                continue
            }
            if let synonym = Self.synonyms.first(where: { $0.keys.contains(key) }) {
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
        if !ignoringPeople && peopleEvidence(column) != nil { return nil }
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
