import SPRXCore
import SPRXPipeline

/// Guesses from header names and values: which canonical field a column is, and what a
/// categorical label means. Every guess is only a suggestion: the draft pipeline marks
/// each for review, and `sprx run` never guesses.
public enum Guessing {
    /// Words of a header, lower-cased, split at anything that is not a letter or digit.
    static func words(_ header: String) -> [String] {
        header.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The canonical field a header's name suggests, or `nil`.
    ///
    /// The canonical name itself (any case, `_` or spaces) wins; then the words exports
    /// use for each field (NHS and platform wording: `LSOA`, `Client ID`, `Gender`, …).
    public static func field(forHeader header: String) -> CanonicalField? {
        let w = words(header)
        let joined = w.joined(separator: "_")
        if let exact = CanonicalField(rawValue: joined) { return exact }
        let text = " " + w.joined(separator: " ") + " "
        func has(_ phrases: String...) -> Bool { phrases.contains { text.contains(" \($0) ") } }
        func hasPrefix(_ stems: String...) -> Bool { stems.contains { stem in w.contains { $0.hasPrefix(stem) } } }
        let idWord = has("id", "ref", "reference", "number", "no", "key", "identifier", "pseudonym", "nhs")
        if hasPrefix("ethnic") { return .ethnicity }
        if has("sex", "gender") { return .sex }
        if has("lsoa", "lsoa11", "lsoa21", "datazone", "data zone", "soa", "small area", "area code", "dz") { return .areaCode }
        if hasPrefix("reason", "need") { return .referralReasons }
        if has("source", "referrer", "route", "referred by", "referral from", "referral route") { return .referralSource }
        if hasPrefix("intervention") { return .interventions }
        if has("contact made", "contacted", "engaged", "first contact") { return .contacted }
        if hasPrefix("contacts", "sessions", "appointments") || has("number of contacts", "contact count") { return .contacts }
        if has("age") { return .age }
        if hasPrefix("date") || has("referred on", "received") {
            return text.contains("referr") || text.contains("received") || w.count == 1 ? .referralDate : nil
        }
        if has("scheme", "organisation", "organization", "provider", "ods", "practice code", "service code", "site code") {
            return .organisationID
        }
        if (hasPrefix("client", "person", "patient", "service user", "individual", "pseudonym", "nhs") || has("service user")) && (idWord || w.count == 1) {
            return .personID
        }
        if text.contains("referral") && idWord { return .referralID }
        return nil
    }

    /// The field a column's values suggest, or `nil`: area codes (over half shaped like
    /// `E01…`, `W01…`, `S01…`, `95…`), dates (over half parse), or whole numbers
    /// 0-120 (age) when every value is one.
    public static func field(forValues profile: ColumnProfile) -> CanonicalField? {
        guard profile.nonEmpty > 0 else { return nil }
        if profile.share(profile.areaLike) > 0.5 { return .areaCode }
        if profile.share(profile.datesInWindow) > 0.5 { return .referralDate }
        if profile.nonIntegers == 0, let lo = profile.minimum, let hi = profile.maximum, lo >= 0 {
            return hi <= 120 && hi >= 18 ? .age : .contacts
        }
        return nil
    }

    /// Route id → words that suggest it, checked in this order (secondary care before
    /// VCSE, so "Community Mental Health Team" is not a community group).
    static let routeWords: [(String, [String])] = [
        ("unknown", ["unknown", "not known", "not recorded", "not stated", "missing", "n/a"]),
        ("self_referral", ["self", "friend", "family", "relative", "carer"]),
        ("secondary_care", ["hospital", "secondary", "a&e", "a & e", "emergency", "mental health", "cmht", "ward", "discharge", "consultant", "outpatient", "acute"]),
        ("primary_care", ["gp", "general pract", "practice", "surgery", "nurse", "pharmac", "primary", "health visitor", "physio"]),
        ("education", ["school", "college", "education", "universit"]),
        ("social_care", ["social", "council", "local authority", "housing", "adult care"]),
        ("vcse", ["voluntary", "charity", "vcse", "community", "third sector", "faith", "church"]),
        ("other", ["police", "job", "dwp", "fire", "probation", "other"]),
    ]

    /// Reason id → words that suggest it.
    static let reasonWords: [(String, [String])] = [
        ("mental_health", ["mental", "mood", "anxi", "depress", "wellbeing", "well-being", "stress"]),
        ("loneliness_isolation", ["lonel", "isolat"]),
        ("physical_health", ["physical", "long term", "long-term", "condition", "pain", "mobility", "weight"]),
        ("financial", ["debt", "financ", "money", "benefit", "income"]),
        ("housing", ["housing", "home", "accommodation", "tenan"]),
        ("employment", ["employ", "work", "job", "volunteer"]),
        ("practical_support", ["practical", "independent living", "daily living"]),
        ("carer_support", ["carer", "caring"]),
        ("bereavement", ["bereave", "grief", "loss"]),
        ("substance_use", ["substance", "drug", "alcohol", "smok"]),
    ]

    static let sexWords: [(String, [String])] = [
        ("male", ["m", "male", "man", "1"]),
        ("female", ["f", "female", "woman", "2"]),
        ("other", ["other", "non-binary", "nonbinary", "indeterminate", "9", "intersex"]),
        ("unknown", ["u", "x", "0", "unknown", "not known", "not stated", "not recorded", "prefer not to say", "refused"]),
    ]

    static let ethnicityWords: [(String, [String])] = [
        ("unknown", ["unknown", "not known", "not stated", "prefer not", "refused", "not recorded", "declined"]),
        ("mixed", ["mixed", "multiple"]),
        ("white", ["white", "british", "irish", "gypsy", "traveller"]),
        ("asian", ["asian", "indian", "pakistani", "bangladeshi", "chinese"]),
        ("black", ["black", "african", "caribbean"]),
        ("other", ["other", "arab"]),
    ]

    static let contactedWords: [(String, [String])] = [
        ("yes", ["y", "yes", "true", "1", "contacted", "contact made"]),
        ("no", ["n", "no", "false", "0", "not contacted", "no contact"]),
        ("unknown", ["unknown", "not known", "not recorded"]),
    ]

    /// The value a normalised label suggests for a categorical field, or `nil`.
    ///
    /// Short vocabularies (sex, contacted) match whole labels only; routes, reasons and
    /// ethnic groups match a word or phrase inside the label.
    public static func value(forLabel label: String, field: CanonicalField) -> String? {
        // As the clean stage matches labels: case and runs of spaces do not matter.
        let label = label.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        switch field {
        case .sex: return sexWords.first { $0.1.contains(label) }?.0
        case .contacted: return contactedWords.first { $0.1.contains(label) }?.0
        case .referralSource: return firstContaining(label, routeWords)
        case .referralReasons: return firstContaining(label, reasonWords)
        case .ethnicity: return firstContaining(label, ethnicityWords)
        default: return nil
        }
    }

    private static func firstContaining(_ label: String, _ table: [(String, [String])]) -> String? {
        let padded = " " + label.map { $0.isLetter || $0.isNumber || $0 == "&" || $0 == "-" ? $0 : " " } + " "
        return table.first { _, words in
            words.contains { word in
                // Short words must stand alone ("gp", "job"); stems may start a word.
                word.count <= 3 ? padded.contains(" \(word) ") || label == word : padded.contains(" \(word)") || label.contains(word)
            }
        }?.0
    }

    /// Whether most of an ethnicity column's values that no word names are NHS ethnic
    /// category codes (one letter, optionally a second character, or `99`), so
    /// `ethnicity_nhs_codes` should be on (an export may mix codes and group names).
    public static func looksLikeNHSEthnicCodes(_ profile: ColumnProfile) -> Bool {
        var codes = 0, rest = 0
        for (key, label) in profile.labels where value(forLabel: key, field: .ethnicity) == nil {
            var bytes = Array(key.utf8)
            if PipelineLabels.nhsEthnicGroup(&bytes) != nil { codes += label.count } else { rest += label.count }
        }
        return codes > 0 && codes > rest
    }

    /// The reason separator values suggest: the candidate found in most values, `;` when none is.
    public static func reasonSeparator(_ profile: ColumnProfile) -> String {
        var best = (";", 0)
        for separator in ["|", ";", ","] {
            let n = profile.labels.values.filter { $0.spelling.contains(separator) }.reduce(0) { $0 + $1.count }
            if n > best.1 { best = (separator, n) }
        }
        return best.0
    }
}
