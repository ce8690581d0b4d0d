import SPRXClean
import SPRXCore
import SPRXPipeline

/// Values of a numeric field that do not conform (not a whole number the clean stage
/// accepts) and look like "not known", for a draft's `missing_values:` section.
///
/// A run quarantines a referral whose age, contacts or interventions is present but not
/// a whole number in range; a pipeline's `missing_values` names the values that mean
/// "not known" instead (the field becomes Unknown). Only values seen at least
/// `suppress_up_to + 1` times are proposed or shown (the privacy rule of
/// ``InspectionPrivacy``); rarer ones are counted.
public struct MissingValueCandidates: Sendable, Codable {
    /// A non-conforming value, shown because it is frequent.
    public struct Value: Sendable, Codable {
        public var label: String
        public var count: Int
    }
    /// Values proposed as "not known": missing words, punctuation, or a sentinel number.
    public var proposed: [Value] = []
    /// Frequent non-conforming values not proposed (they are quarantined unless listed).
    public var notProposed: [Value] = []
    /// Non-conforming values (all, counted by value).
    public var nonConforming = 0
    /// Of those, values seen fewer than the threshold times (not shown).
    public var rare = 0
    /// Of the non-conforming values, those the pipeline lists under `missing_values`
    /// (they make the field Unknown; a run does not quarantine them). 0 without a pipeline.
    public var listed = 0
    /// Of the non-conforming values not listed, whole numbers past the field's bound
    /// that have their own reason (``QuarantineReason/count(_:implausible:)``:
    /// `implausible_contacts`, `implausible_interventions`; an age past 120 is `invalid_age`).
    public var implausible = 0

    /// Words that, in a column of numbers, can only mean no number was given: the
    /// not-known spellings (``Guessing/notKnownSpellings``, declared once for every
    /// field) and answers that are real values in a categorical column but not a count
    /// ("Declined", "Refused", "X").
    static func meansNoNumber(_ key: String) -> Bool {
        Guessing.notKnownSpellings.contains(key) || ["refused", "declined", "x"].contains(key)
    }

    /// The largest value the clean stage accepts for each count field (``PlausibleCount``).
    static func maximum(_ field: CanonicalField) -> Int { PlausibleCount.maximum(field) ?? 0 }

    /// Whether a normalised label is a count the clean stage accepts: digits only, at most
    /// 10 of them, no more than the field's maximum.
    static func conforms(_ label: String, field: CanonicalField) -> Bool {
        guard !label.isEmpty, label.utf8.count <= 10, label.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(label) else { return false }
        return n <= maximum(field)
    }

    /// The candidates of one count column (`age`, `contacts` or `interventions`);
    /// `isListed` says whether the pipeline lists a value (normalised) under `missing_values`.
    public init(_ profile: ColumnProfile, field: CanonicalField, threshold: Int, isListed: (String) -> Bool = { _ in false }) {
        let counts = profile.labels.map { ($0.key, $0.value) }.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0 < $1.0 }
        var numbers: [Int: Int] = [:]
        for (key, label) in counts { if let n = Int(key) { numbers[n] = label.count } }
        for (key, label) in counts where !Self.conforms(key, field: field) {
            nonConforming += label.count
            if isListed(key) {
                // Listed already: Unknown under the pipeline, neither proposed nor shown.
                listed += label.count
                continue
            } else if key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), QuarantineReason.count(field, implausible: true) != .count(field, implausible: false) {
                implausible += label.count
            }
            guard InspectionPrivacy.mayShow(label.spelling, count: label.count, threshold: threshold) else {
                rare += label.count
                continue
            }
            let value = Value(label: InspectionPrivacy.shown(label.spelling), count: label.count)
            if Self.meansNoNumber(key) || Self.isSentinel(key, field: field) { proposed.append(value) } else { notProposed.append(value) }
        }
        // An in-range number that stands out from its neighbours (age 99 where ages 94-104
        // are rare) is proposed too: a demanding analyst checks it.
        for (key, label) in counts where Self.conforms(key, field: field) && InspectionPrivacy.mayShow(label.spelling, count: label.count, threshold: threshold)
        {
            guard Self.isSentinel(key, field: field), let n = Int(key) else { continue }
            let neighbours = (n - 5...n + 5).filter { $0 != n }.reduce(0) { $0 + (numbers[$1] ?? 0) }
            if label.count >= 5 * max(1, neighbours) { proposed.append(Value(label: InspectionPrivacy.shown(label.spelling), count: label.count)) }
        }
    }

    /// Whether a number is shaped like a "not known" code: -1, or all nines (99, 999, …).
    static func isSentinel(_ key: String, field: CanonicalField) -> Bool {
        key == "-1" || (key.count >= 2 && key.allSatisfy { $0 == "9" })
    }
}

extension MissingValueCandidates {
    /// The values of a date column that no date format reads, frequent ones shown
    /// (referral_date is required: such a referral is quarantined, `invalid_date`, and
    /// cannot be listed under `missing_values`).
    public init(dates profile: ColumnProfile, threshold: Int) {
        let counts = profile.labels.map { ($0.key, $0.value) }.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0 < $1.0 }
        for (_, label) in counts {
            let parses = Array(label.spelling.utf8).withUnsafeBytes { bytes in DateCandidate.allCases.contains { $0.parse(bytes) != nil } }
            guard !parses else { continue }
            nonConforming += label.count
            if InspectionPrivacy.mayShow(label.spelling, count: label.count, threshold: threshold) {
                notProposed.append(Value(label: InspectionPrivacy.shown(label.spelling), count: label.count))
            } else {
                rare += label.count
            }
        }
    }
}
