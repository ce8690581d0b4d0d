import SPRXCore
import SPRXPipeline

/// One clean referral: every contract field normalised to a small code.
///
/// Routes and reasons are indices into the pipeline's route and reason lists; the
/// reasons are a bit set so a referral counts once under each of its reasons.
public struct ReferralRecord: Sendable, Hashable {
    public var referralDate: Day
    /// Whole years, or -1 when unknown.
    public var age: Int16
    public var sex: Sex
    public var ethnicity: Ethnicity
    /// The area code as written (normalised), `nil` when empty or not a code.
    public var area: ShortCode?
    /// Index into ``PipelineConfiguration/routes``.
    public var route: UInt8
    /// Bit `i` set when the referral gives reason `i` of ``PipelineConfiguration/reasons``.
    public var reasons: UInt32
    public var contacted: ContactFlag
    /// -1 when unknown.
    public var contacts: Int32
    /// -1 when unknown.
    public var interventions: Int32
    public var organisation: ShortCode?
    /// The declared dimensions' levels, each already in its field of the group key
    /// (``GroupKeySchema/field(_:)`` of ``GroupAxis/declared(_:)``); 0 without any.
    public var dimensionBits: UInt64 = 0

    public init(
        referralDate: Day, age: Int16 = -1, sex: Sex = .unknown, ethnicity: Ethnicity = .unknown, area: ShortCode? = nil,
        route: UInt8, reasons: UInt32 = 0, contacted: ContactFlag = .unknown, contacts: Int32 = -1,
        interventions: Int32 = -1, organisation: ShortCode? = nil
    ) {
        self.referralDate = referralDate
        self.age = age
        self.sex = sex
        self.ethnicity = ethnicity
        self.area = area
        self.route = route
        self.reasons = reasons
        self.contacted = contacted
        self.contacts = contacts
        self.interventions = interventions
        self.organisation = organisation
    }

    /// Reached a link worker: contacted says yes, or (when contacted is not given) at
    /// least one contact was recorded.
    public var reachedLinkWorker: Bool {
        switch contacted {
        case .yes: return true
        case .no: return false
        case .unknown: return contacts > 0
        }
    }

    /// Whether it is not known if the referral reached a link worker: the contacted flag
    /// is empty or not known and the contact count is empty too.
    public var contactUnknown: Bool { contacted == .unknown && contacts < 0 }

    /// Received at least one intervention.
    public var hadIntervention: Bool { interventions > 0 }
}

/// Why a row was quarantined. Raw values are never part of a reason.
///
/// The cases are in the order a row is checked: a row gets the first reason that
/// applies. Length limits come first, so a row is judged by its length before its content.
public enum QuarantineReason: String, CaseIterable, Sendable, Codable {
    case rowTooLong = "row_too_long"
    case unterminatedQuote = "unterminated_quote"
    case fieldCount = "field_count"
    case fieldTooLong = "field_too_long"
    case invalidEncoding = "invalid_encoding"
    case missingRequired = "missing_required"
    case invalidDate = "invalid_date"
    case dateOutOfWindow = "date_out_of_window"
    case invalidAge = "invalid_age"
    case invalidContacts = "invalid_contacts"
    case implausibleContacts = "implausible_contacts"
    case invalidInterventions = "invalid_interventions"
    case implausibleInterventions = "implausible_interventions"
    case conflictingReferralID = "conflicting_referral_id"

    /// The reason a count field's value quarantines its referral: not a whole number, or
    /// (`implausible`) one past its bound (``PlausibleCount``); age has one reason for both.
    public static func count(_ field: CanonicalField, implausible: Bool) -> QuarantineReason {
        switch field {
        case .contacts: implausible ? .implausibleContacts : .invalidContacts
        case .interventions: implausible ? .implausibleInterventions : .invalidInterventions
        default: .invalidAge
        }
    }

    /// What the reason means, for the README and report.
    public var explanation: String {
        switch self {
        case .rowTooLong:
            "the row is longer than \(InputLimits.maxRowBytes) bytes (a file without line ends, or an unclosed quote); skipped to its end, the quarantine file keeps its first \(InputLimits.quarantinedRowPrefixBytes) bytes"
        case .unterminatedQuote: "the file ended inside a quoted field"
        case .fieldCount: "the row has more or fewer fields than the header"
        case .fieldTooLong:
            "a mapped field is longer than \(InputLimits.maxMappedFieldBytes) bytes (free text in a column that should hold a code or a label)"
        case .invalidEncoding: "a mapped field is not valid UTF-8 text (or holds a NUL byte)"
        case .missingRequired: "referral_id, person_id or referral_date is empty"
        case .invalidDate: "referral_date is not a date in an accepted form"
        case .dateOutOfWindow: "referral_date is outside the pipeline's date window"
        case .invalidAge: "age is present but not a whole number from 0 to \(PlausibleCount.maxAge)"
        case .invalidContacts: "contacts is present but not a whole number ≥ 0"
        case .implausibleContacts:
            "contacts is a whole number over \(CountWords.number(PlausibleCount.maxContacts)), more than any service records for one referral (a number typed into the wrong column)"
        case .invalidInterventions: "interventions is present but not a whole number ≥ 0"
        case .implausibleInterventions:
            "interventions is a whole number over \(CountWords.number(PlausibleCount.maxInterventions)), more than any service records for one referral (a number typed into the wrong column)"
        case .conflictingReferralID: "referral_id repeats an earlier clean row with different content"
        }
    }
}
