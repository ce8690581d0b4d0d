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
        if let named = headerSynonyms[w.joined(separator: " ")] { return named }
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

    /// Whole header names exports use for each field, as ``words(_:)`` joins them with
    /// single spaces (`No. of sessions` → `no of sessions`, `M/F` → `m f`). Checked before
    /// the word rules of ``field(forHeader:)``, so a name listed here means one field.
    /// Sources: NHS Digital GP extract field names, common case-management export columns
    /// and the headers people give hand-kept referral spreadsheets.
    static let headerSynonymTable: [(CanonicalField, [String])] = [
        (
            .referralID,
            [
                "referral id", "referral ref", "referral reference", "referral number", "referral no", "record id",
                "record no", "ref", "ref no", "ref number", "reference", "reference no", "reference number", "case id",
                "case ref", "case no", "episode id", "id",
            ]
        ),
        (
            .personID,
            [
                "client", "client id", "client ref", "client no", "patient", "patient id", "patient pseudonym",
                "pseudonym", "nhs pseudonym", "pseudo id", "person", "person id", "service user", "service user id",
                "individual id", "customer id",
            ]
        ),
        (
            .referralDate,
            [
                "date", "date referred", "referral date", "date of referral", "referred on", "date received",
                "received", "received date", "referral received", "date referral received", "date referral submitted",
                "referral submitted", "event date", "consultation date",
            ]
        ),
        (.age, ["age", "age at referral", "age years", "age in years", "age on referral"]),
        (.sex, ["sex", "gender", "m f", "f m", "sex gender", "gender identity"]),
        (.ethnicity, ["ethnicity", "ethnic group", "ethnic category", "ethnic origin", "ethnic background"]),
        (
            .areaCode,
            [
                "lsoa", "lsoa code", "lsoa 2011", "lsoa 2021", "lsoa11", "lsoa21", "lsoa11cd", "lsoa21cd",
                "data zone", "datazone", "dz", "dz2011", "soa", "soa code", "small area", "area code",
            ]
        ),
        (
            .referralSource,
            [
                "referred by", "referral source", "referral source code", "source", "source of referral",
                "referrer", "referrer type", "referring organisation", "referring organisation type",
                "referring organization type", "referral route", "route", "referral from", "referred from",
            ]
        ),
        (
            .referralReasons,
            [
                "reason", "reasons", "reason code", "reason codes", "referral reason", "referral reasons",
                "referral reason s", "reason s for referral", "reason for referral", "reasons for referral",
                "needs", "presenting needs", "presenting issues",
            ]
        ),
        (.contacted, ["seen", "contacted", "contact made", "engaged", "first contact", "referral status", "contact status"]),
        (
            .contacts,
            [
                "contacts", "no of contacts", "number of contacts", "contact count", "link worker contacts",
                "sessions", "no of sessions", "number of sessions", "appointments", "no of appointments",
                "number of appointments", "attendances",
            ]
        ),
        (
            .interventions,
            [
                "interventions", "no of interventions", "number of interventions", "sp interventions",
                "interventions received", "onward referrals", "no of onward referrals", "number of onward referrals",
                "groups activities", "activities", "groups", "signposted to",
            ]
        ),
        (
            .organisationID,
            [
                "practice code", "practice", "ods code", "org code", "organisation code", "organization code",
                "organisation", "organisation id", "hub", "hub code", "scheme", "scheme code", "site", "site code",
                "service code", "provider", "provider code", "team",
            ]
        ),
    ]

    /// ``headerSynonymTable`` by name.
    static let headerSynonyms: [String: CanonicalField] = {
        var out: [String: CanonicalField] = [:]
        for (field, names) in headerSynonymTable {
            for name in names { precondition(out.updateValue(field, forKey: name) == nil, "header synonym listed twice") }
        }
        return out
    }()

    /// The field a column's values suggest, or `nil`: area codes (over half shaped like
    /// `E01…`, `W01…`, `S01…`, `95…`), dates (over half parse), or whole numbers
    /// 0-120 (age) when every value is one.
    public static func field(forValues profile: ColumnProfile) -> CanonicalField? {
        guard profile.nonEmpty > 0 else { return nil }
        if profile.share(profile.areaLike) > 0.5 { return .areaCode }
        if profile.share(profile.datesInWindow) > 0.5 { return .referralDate }
        let odsLike = profile.labels.filter { isODSPracticeCode($0.key) }.reduce(0) { $0 + $1.value.count }
        if profile.share(odsLike) > 0.5 { return .organisationID }
        if profile.nonIntegers == 0, let lo = profile.minimum, let hi = profile.maximum, lo >= 0 {
            return hi <= 120 && hi >= 18 ? .age : .contacts
        }
        return nil
    }

    /// Whether `label` is shaped like an NHS ODS GP practice code: one letter, then five
    /// digits (`A81001`; NHS Digital ODS, "GP practice" organisation codes).
    public static func isODSPracticeCode(_ label: String) -> Bool {
        let b = Array(label.utf8)
        guard b.count == 6, (b[0] | 0x20) >= UInt8(ascii: "a"), (b[0] | 0x20) <= UInt8(ascii: "z") else { return false }
        return b[1...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The spellings exports use for "not known", declared once for every field: each
    /// guesser reads such a value as unknown (a label of the field's unknown value, the
    /// unknown route, a dimension's `unknown`, or a `missing_values` entry), never as a
    /// level, a "no" or a count. Compared whole and normalised as labels are (lower case,
    /// runs of spaces one space). Words that are a real answer in some column (a status
    /// "Declined", a choice "Refused", "None" meaning zero) are not listed: a field whose
    /// vocabulary reads them as unknown lists them itself (ethnicity "declined").
    static let notKnownSpellings: Set<String> = [
        "unknown", "unk", "not known", "n/k", "nk", "n.k.", "n.k", "n / k", "don't know", "don\u{2019}t know", "dont know",
        "do not know", "not stated", "not specified", "unspecified", "prefer not to say", "prefer not to state",
        "rather not say", "not recorded", "not given", "not provided", "not disclosed", "not asked", "missing", "no data",
        "blank", "null", "nil", "n/a", "na", "not applicable", "tbc", "tbd", "to be confirmed", "?", "??", "???", "-", "--",
        "---", ".", "*", "#n/a",
    ]

    /// Whether a label (as written or normalised) is one of ``notKnownSpellings``.
    public static func isNotKnown(_ label: String) -> Bool {
        notKnownSpellings.contains(label.trimmingSpaces().lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
    }

    /// The phrases of ``notKnownSpellings`` a longer label may hold ("Ethnicity not
    /// known"): those of four letters or more; shorter ones ("na", "-") only whole.
    static let notKnownPhrases: [String] = notKnownSpellings.filter { $0.filter(\.isLetter).count >= 4 }.sorted()

    /// Route id → words that suggest it, checked in this order (secondary care before
    /// VCSE, so "Community Mental Health Team" is not a community group). A not-known
    /// spelling is the unknown route before any of these (``notKnownSpellings``).
    static let routeWords: [(String, [String])] = [
        ("unknown", notKnownPhrases),
        (
            "self_referral",
            [
                "self", "friend", "family", "relative", "carer", "daughter", "son", "wife", "husband",
                "partner", "neighbour", "parent",
            ]
        ),
        (
            "secondary_care",
            [
                "hosp", "secondary", "a&e", "a & e", "emergency", "mental health", "cmht", "ward", "discharge",
                "consultant", "outpatient", "acute", "community health services",
            ]
        ),
        (
            "primary_care",
            [
                "gp", "general pract", "practice", "surgery", "nurse", "pharmac", "primary", "health visitor",
                "physio", "dr", "doctor", "pcn",
            ]
        ),
        ("education", ["school", "college", "education", "universit"]),
        ("social_care", ["social", "council", "local authority", "housing", "adult care"]),
        ("vcse", ["voluntary", "charity", "vcse", "community", "third sector", "faith", "church", "food bank", "foodbank"]),
        ("other", ["police", "job", "jobcentre", "dwp", "fire", "probation", "other"]),
    ]

    /// Reason id → words that suggest it (`£` counts as a word: "£ worries").
    static let reasonWords: [(String, [String])] = [
        ("mental_health", ["mental", "mood", "anxi", "depress", "wellbeing", "well-being", "stress", "mh"]),
        ("loneliness_isolation", ["lonel", "isolat"]),
        ("physical_health", ["physical", "long term", "long-term", "ltc", "condition", "pain", "mobility", "weight"]),
        ("financial", ["debt", "financ", "money", "benefit", "income", "£"]),
        ("practical_support", ["practical", "independent living", "daily living", "shopping"]),
        ("housing", ["housing", "home", "accommodation", "tenan"]),
        ("employment", ["employ", "work", "job", "volunteer"]),
        ("carer_support", ["carer", "caring"]),
        ("bereavement", ["bereave", "grief", "loss"]),
        ("substance_use", ["substance", "drug", "alcohol", "smok"]),
    ]

    /// Sex → labels (whole). `I` and `9` are NHS Data Dictionary codes for indeterminate,
    /// `X` and `0` for not known.
    static let sexWords: [(String, [String])] = [
        ("male", ["m", "male", "man", "1"]),
        ("female", ["f", "female", "woman", "2"]),
        ("other", ["other", "non-binary", "nonbinary", "indeterminate", "i", "9", "intersex"]),
        ("unknown", ["u", "x", "0", "refused"]),  // and every not-known spelling (``notKnownSpellings``)
    ]

    /// Ethnic group → words. "Other ethnic group" (the NHS heading under which Chinese was
    /// listed before 2011) comes before the Asian words; Asian and Black before White,
    /// so "Asian British" is not White for its "British".
    static let ethnicityWords: [(String, [String])] = [
        ("unknown", ["prefer not", "refused", "declined"] + notKnownPhrases),
        ("mixed", ["mixed", "multiple"]),
        ("other", ["other ethnic group"]),
        ("asian", ["asian", "indian", "pakistani", "bangladeshi", "chinese"]),
        ("black", ["black", "african", "caribbean"]),
        ("white", ["white", "british", "irish", "gypsy", "traveller"]),
        ("other", ["other", "arab"]),
    ]

    /// Contacted → words, the negative before the positive ("not contacted" before
    /// "contacted"); "disengaged" is a yes (a person who disengaged was contacted).
    static let contactedWords: [(String, [String])] = [
        ("unknown", ["awaiting", "pending"] + notKnownPhrases),
        ("no", ["n", "no", "false", "0", "not contacted", "no contact", "unable to contact", "uncontactable", "not seen"]),
        ("yes", ["y", "yes", "true", "1", "contacted", "contact made", "engaged", "disengaged", "seen", "completed"]),
    ]

    /// The value a normalised label suggests for a categorical field, or `nil`.
    ///
    /// A not-known spelling (``notKnownSpellings``) is `unknown` for every field (for
    /// reasons, which have no such value, a draft lists it under `missing_values`). Short
    /// vocabularies (sex) match whole labels only; routes, reasons, contacted and ethnic
    /// groups match a word or phrase inside the label.
    public static func value(forLabel label: String, field: CanonicalField) -> String? {
        // As the clean stage matches labels: case and runs of spaces do not matter.
        let label = label.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        if notKnownSpellings.contains(label) && [.sex, .ethnicity, .contacted, .referralSource, .referralReasons].contains(field) { return "unknown" }
        switch field {
        case .sex: return sexWords.first { $0.1.contains(label) }?.0
        case .contacted: return firstContaining(label, contactedWords)
        case .referralSource: return firstContaining(label, routeWords)
        case .referralReasons: return firstContaining(label, reasonWords)
        case .ethnicity: return firstContaining(label, ethnicityWords)
        default: return nil
        }
    }

    /// Whether a label is, whole, one of sprx's own words for a field (case, spaces and
    /// full stops aside: `Indeterminate`, `not known`, `G.P.`): such a label says nothing a
    /// published table would not (every category is listed there, its count suppressed
    /// when small), so a draft may write it however rarely it is seen. A label that only
    /// contains such a word ("Dr Jane Doe …") is not one.
    public static func isVocabularyWord(_ label: String, field: CanonicalField) -> Bool {
        let normal = label.lowercased().filter { $0 != "." }.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let table: [(String, [String])]
        switch field {
        case .sex: table = sexWords
        case .contacted: table = contactedWords
        case .referralSource: table = routeWords
        case .referralReasons: table = reasonWords
        case .ethnicity: table = ethnicityWords
        default: return false
        }
        return notKnownSpellings.contains(normal) || table.contains { $0.1.contains(normal) }
            || table.contains { $0.0.replacingOccurrences(of: "_", with: " ") == normal }
    }

    private static func firstContaining(_ label: String, _ table: [(String, [String])]) -> String? {
        // Full stops inside a word do not part it ("G.P." is "gp").
        let padded = " " + label.filter { $0 != "." }.map { $0.isLetter || $0.isNumber || $0 == "&" || $0 == "-" ? $0 : " " } + " "
        return table.first { _, words in
            words.contains { word in
                // safe: word.count == 1 is checked first
                if word.count == 1 && word.first!.isCurrencySymbol { return label.contains(word) }
                // Short words must stand alone ("gp", "job"); stems may start a word.
                return word.count <= 3 ? padded.contains(" \(word) ") || label == word : padded.contains(" \(word)") || label.contains(word)
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

    /// Whether `label` is a SNOMED CT concept id (``IdentifierShape/isSNOMEDConceptID(_:)``).
    /// A code's meaning cannot be guessed from it: a draft lists frequent ones for the analyst to map.
    public static func isSNOMEDConceptID(_ label: String) -> Bool { IdentifierShape.isSNOMEDConceptID(label) }

    /// Characters exports put between several reasons in one value.
    static let reasonSeparatorCandidates = ["|", ";", ",", "/", "&", "+"]

    /// The reason separators values suggest, `;` when none is.
    ///
    /// A candidate is a separator when it occurs and, in most values (by count) that
    /// hold it, a piece it cuts off is itself a whole value seen alone: "isolated/physical
    /// health" next to "isolated" makes `/` a separator, while "Drugs & alcohol" never
    /// seen as "Drugs" does not make `&` one. Candidates are written in the order above.
    public static func reasonSeparator(_ profile: ColumnProfile) -> String {
        let candidates = Set(reasonSeparatorCandidates.flatMap(\.unicodeScalars))
        // Whole values that hold no candidate: the single reasons.
        var single = Set<String>()
        for (key, _) in profile.labels where !key.unicodeScalars.contains(where: candidates.contains) { single.insert(key) }
        var chosen = ""
        for separator in reasonSeparatorCandidates {
            // safe: the separator candidates are non-empty string literals
            let scalar = separator.unicodeScalars.first!
            var holding = 0, confirmed = 0
            for (_, label) in profile.labels.sorted(by: { $0.key < $1.key }) where label.spelling.unicodeScalars.contains(scalar) {
                holding += label.count
                let pieces = label.spelling.lowercased().unicodeScalars.split(whereSeparator: candidates.contains)
                    .map { String(String.UnicodeScalarView($0)).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
                if pieces.contains(where: single.contains) { confirmed += label.count }
            }
            if holding > 0 && confirmed * 2 > holding { chosen += separator }
        }
        return chosen.isEmpty ? ";" : chosen
    }
}
