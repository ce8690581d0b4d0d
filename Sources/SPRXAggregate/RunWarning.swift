/// One thing a finished run says a person must know, with a stable code: on stderr at
/// the end of the run, in `manifest.json`'s `warnings` list, and in words in the report.
///
/// A warning never changes the exit status (the pipeline's quality gates do that). Its
/// message holds no patient value: counts are controlled exactly as the table that
/// publishes them controls them, labels are only those `unmapped_labels.csv` publishes,
/// and local authority names are public geography.
public struct RunWarning: Sendable, Equatable, Encodable {
    /// The closed set of warnings, named once for the summary, the manifest and the report.
    public enum Code: String, Sendable, CaseIterable, Encodable {
        /// Rows were quarantined: the most common reasons with their counts.
        case rowsQuarantined = "rows_quarantined"
        /// Over ``RunWarning/unmappedShareLimit`` of a field's labels are in no list of the pipeline.
        case unmappedLabels = "unmapped_labels"
        /// Organisation ids neither in a lookup nor shaped like codes are pooled as `(other)`.
        case organisationsPooled = "organisations_pooled"
        /// The catchment's referrals come from a small part of it (``CatchmentConcentration``).
        case catchmentMismatch = "catchment_mismatch"
        /// Over ``RunWarning/unknownAreaShareLimit`` of clean referrals have no area code a
        /// lookup recognises (empty, a postcode, another geography): no deprivation,
        /// rurality, nation or rate for them.
        case areasUnknown = "areas_unknown"
    }

    /// A share of clean referrals with no recognised area code above this (10%) is
    /// warned about (the sample exports have at most 1.5%).
    public static let unknownAreaShareLimit = 0.10

    /// A field's unmapped share above this (2%) is warned about.
    public static let unmappedShareLimit = 0.02
    /// How many quarantine reasons and unmapped labels a warning names (most common first).
    public static let namedAtMost = 3

    public var code: Code
    /// The field the warning is about (`unmapped_labels`), else `nil`.
    public var field: String?
    /// The warning in one plain sentence or two, with the fix.
    public var message: String
    /// Whether the report's headline figures depend on what it warns about (an unmapped
    /// referral source moves the medical share): the report then says it beside them.
    public var changesHeadline: Bool

    public init(code: Code, field: String? = nil, message: String, changesHeadline: Bool = false) {
        self.code = code
        self.field = field
        self.message = message
        self.changesHeadline = changesHeadline
    }

    enum CodingKeys: String, CodingKey {
        case code, field, message
        case changesHeadline = "changes_headline"
    }
}
