/// The plausibility bound of each whole-number field of a referral: a value from 0 to
/// the field's maximum is accepted, a larger one quarantines the referral (age:
/// `invalid_age`; contacts and interventions: their own `implausible_` reasons, so a
/// typed-in number is told from a malformed one). Age bands reach ``maxAge``.
public enum PlausibleCount {
    /// Age in whole years: 120 (no one recorded has lived longer than 122 years).
    public static let maxAge = 120
    /// Link worker contacts of one referral: 1,000. A link worker sees a person a handful
    /// of times; even a contact every day for the two years a referral may stay open is
    /// under 750, so no real service reaches 1,000, while a phone, NHS or case number
    /// typed into the column (nine digits or more) is far beyond it.
    public static let maxContacts = 1_000
    /// Interventions (activities, services) one referral received: 1,000, for the
    /// reasons given for ``maxContacts``.
    public static let maxInterventions = 1_000

    /// The field's maximum; `nil` for a field that is not a count.
    public static func maximum(_ field: CanonicalField) -> Int? {
        switch field {
        case .age: maxAge
        case .contacts: maxContacts
        case .interventions: maxInterventions
        default: nil
        }
    }
}
