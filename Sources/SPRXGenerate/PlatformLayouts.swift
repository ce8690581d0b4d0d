import Foundation
import SPRXCore
import SPRXPipeline

/// How a generated file's text is encoded.
public enum GeneratedEncoding: Sendable {
    /// UTF-8 (with a byte-order mark in the first file of a messy extract).
    case utf8
    /// Windows-1252, as Excel's "CSV (Comma delimited)" saves on a UK Windows machine.
    case windows1252
}

/// One referral as the generator drew it, before a layout writes it.
struct GeneratedReferral {
    var personID: String
    var date: (year: Int, month: Int, day: Int)
    var age: Int?
    /// 0 female, 1 male, 2 other, 3 unknown.
    var sex: Int
    /// 0 White, 1 Mixed, 2 Asian, 3 Black, 4 Other, 5 unknown.
    var ethnicity: Int
    var area: String
    var route: String
    var reasons: [String]
    var contacted: Bool?
    var contacts: Int
    var interventions: Int
    var organisation: String
    var nation: Nation
}

/// What a platform layout's files look like beyond the values of its fields.
///
/// A layout's fields are made in the canonical order of `referral-extract-v1.md`
/// (referral_id, person_id, referral_date, age, sex, ethnicity, area_code,
/// referral_source, referral_reasons, contacted, contacts, interventions,
/// organisation_id), then its own extra columns, so the invalid rows the generator
/// writes touch the same fields in every layout; `columnOrder` then puts them in the
/// file's own order (and may leave a field out).
struct PlatformLayout: Sendable {
    /// The header as the file writes it.
    var header: [String] = []
    /// How many fields a layout's row has before `columnOrder` is applied.
    var fieldCount = 0
    /// File column -> field index; `nil` writes the fields as made.
    var columnOrder: [Int]? = nil
    var encoding = GeneratedEncoding.utf8
    /// Every line ends in CRLF (Excel on Windows), not only in a messy extract's second file.
    var alwaysCRLF = false
    /// Two referral dates outside the pipelines' window (2015-2026), in the layout's form.
    var outOfWindowDates: [String] = []
    /// The nations whose organisations appear; `nil` is all four.
    var nations: Set<Nation>? = nil

    func serves(_ nation: Nation) -> Bool { nations?.contains(nation) ?? true }

    init() {}

    init(fields: [String], columnOrder: [Int]) {
        fieldCount = fields.count
        self.columnOrder = columnOrder
        header = columnOrder.map { fields[$0] }
    }

    /// The description of `layout` (an empty one for the canonical and casebook layouts,
    /// which `ReferralGenerator` writes itself).
    static func of(_ layout: GeneratedLayout) -> PlatformLayout {
        switch layout {
        case .canonical, .casebook:
            return PlatformLayout()
        case .casemanagement:
            var result = PlatformLayout(
                fields: [
                    "Referral Id", "Client Id", "Date Referral Submitted", "Age at Referral", "Gender", "Ethnicity", "LSOA Code",
                    "Referring Organisation Type", "Referral Reason(s)", "Referral Status", "No. of Contacts",
                    "No. of Onward Referrals", "Hub Code", "Date Closed",
                ],
                columnOrder: [0, 2, 1, 3, 4, 5, 6, 12, 7, 8, 9, 13, 10, 11])
            result.outOfWindowDates = ["02/03/2009 10:15", "01/05/2031 09:00"]
            return result
        case .gpsearch:
            // Field 9 (contacted) is not in a GP record: the pipeline declares it optional.
            var result = PlatformLayout(
                fields: [
                    "Record ID", "Patient Pseudonym", "Date", "Age", "Sex", "Ethnic Category", "LSOA 2011", "Referral Source Code",
                    "Reason Codes", "", "Link Worker Contacts", "SP Interventions", "Practice Code", "Code", "Term",
                ],
                columnOrder: [12, 1, 0, 2, 13, 14, 3, 4, 5, 6, 7, 8, 10, 11])
            result.outOfWindowDates = ["20090302", "20310501"]
            result.nations = [.england, .wales]
            return result
        case .spreadsheet:
            var result = PlatformLayout(
                fields: [
                    "Ref No", "Client", "Date referred", "Age", "M/F", "Ethnicity", "LSOA", "Referred by", "Reason", "Seen?",
                    "No. of sessions", "Groups/activities", "Hub", "Notes",
                ],
                columnOrder: [0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
            result.encoding = .windows1252
            result.alwaysCRLF = true
            result.outOfWindowDates = ["02/03/2009", String(excelSerial(year: 2031, month: 5, day: 1))]
            return result
        }
    }

    /// The Excel (1900 date system) serial number of a date: days since 1899-12-30.
    static func excelSerial(year: Int, month: Int, day: Int) -> Int {
        // safe: called with dates the generator drew from its calendar (always real days)
        Int(Day(year: year, month: month, day: day)!.daysSinceEpoch) + 25_569
    }
}

/// Labels and codes of the three platform layouts, each from a public description of
/// such a system (see `Pipelines/<layout>.yaml` for the sources).
enum PlatformVocabulary {
    // MARK: case-management export

    static let caseRoutes: [String: [String]] = [
        "primary_care": ["GP Practice", "Primary Care Network", "Community Pharmacy"],
        "secondary_care": ["Acute Hospital Trust", "Mental Health Trust", "Community Health Services"],
        "social_care": ["Local Authority - Adult Social Care", "Housing Provider"],
        "education": ["School or College"],
        "vcse": ["Voluntary or Community Organisation"],
        "self_referral": ["Self-Referral", "Family Member or Carer"],
        "other": ["Police", "Jobcentre Plus", "Fire and Rescue Service"],
        "unknown": ["Not Recorded"],
    ]
    static let caseReasons: [String: [String]] = [
        "mental_health": ["Mental health and wellbeing", "Stress or anxiety"],
        "loneliness_isolation": ["Loneliness or social isolation"],
        "physical_health": ["Long-term health condition", "Physical health"],
        "financial": ["Money worries or debt", "Welfare benefits"],
        "housing": ["Housing"],
        "employment": ["Employment or training"],
        "practical_support": ["Practical help at home"],
        "carer_support": ["Support as a carer"],
        "bereavement": ["Bereavement"],
        "substance_use": ["Alcohol or substance use"],
    ]
    /// NHS Data Dictionary ETHNIC CATEGORY descriptions (2001 census groups), by group.
    static let caseEthnicity: [[String]] = [
        ["White - British", "White - Irish", "White - Any other White background"],
        [
            "Mixed - White and Black Caribbean", "Mixed - White and Black African", "Mixed - White and Asian",
            "Mixed - Any other mixed background",
        ],
        [
            "Asian or Asian British - Indian", "Asian or Asian British - Pakistani", "Asian or Asian British - Bangladeshi",
            "Asian or Asian British - Any other Asian background",
        ],
        ["Black or Black British - Caribbean", "Black or Black British - African", "Black or Black British - Any other Black background"],
        ["Other Ethnic Groups - Chinese", "Other Ethnic Groups - Any other ethnic group"],
        ["Not stated"],
    ]
    static let caseSex = ["Female", "Male", "Non-binary", "Prefer not to say"]
    static let caseContacted = ["Engaged", "Closed - Support Completed", "Closed - Disengaged"]
    static let caseNotContacted = ["Unable to Contact", "Closed - No Contact Made"]
    static let caseAwaiting = "Awaiting Triage"

    // MARK: GP system search (SNOMED CT UK edition)

    /// 871731000000106 |Referral to social prescribing service|, the concept the search selects.
    static let gpReferralCode = "871731000000106"
    static let gpReferralTerm = "Referral to social prescribing service"
    /// Descendants of 309013001 |Referred by person| and 306098008 |Self-referral| (HL7 UK
    /// Core ValueSet UKCore-SourceOfServiceRequest). Routes with no such concept (VCSE,
    /// police, job centre) are left uncoded, as a GP record leaves them.
    static let gpSourceCodes: [String: [String]] = [
        "primary_care": ["108161000000109", "185362004", "185369008", "276491000"],
        "secondary_care": ["185360007", "312357002", "1077201000000101"],
        "social_care": ["185365002"],
        "education": ["1065401000000101"],
        "self_referral": ["310434002", "185373006", "1065391000000104"],
    ]
    /// Findings a GP codes as the problem behind the referral: 48694002 |Anxiety|,
    /// 422650009 |Social isolation|, 160932005 |Financial problem|. Reasons with no
    /// such code here are not in the search's output.
    static let gpReasonCodes: [String: [String]] = [
        "mental_health": ["48694002"],
        "loneliness_isolation": ["422650009"],
        "financial": ["160932005"],
    ]
    /// NHS Data Dictionary ETHNIC CATEGORY codes by group.
    static let gpEthnicity: [[String]] = [["A", "B", "C"], ["D", "E", "F", "G"], ["H", "J", "K", "L"], ["M", "N", "P"], ["R", "S"], ["Z", ""]]
    static let gpSex = ["F", "M", "I", "U"]
    /// First letters of synthetic English practice codes (an ODS GP practice code is a
    /// letter and five digits; Welsh ones start with W).
    static let gpPracticeLetters = Array("ABCDEFGHJKLMNPY").map(String.init)

    // MARK: spreadsheet kept by hand

    static let sheetRoutes: [String: [String]] = [
        "primary_care": ["GP", "G.P.", "gp surgery", "GP Surgery", "Dr", "practice nurse", "Pharmacy"],
        "secondary_care": ["Hospital", "hosp", "A&E", "CMHT"],
        "social_care": ["Social worker", "social services", "Council"],
        "education": ["School", "college"],
        "vcse": ["Charity", "church", "community group", "Foodbank"],
        "self_referral": ["Self referral", "self-referral", "Self", "SELF", "family", "daughter"],
        "other": ["Police", "Job centre", "DWP"],
        "unknown": ["", "?"],
    ]
    /// Labels typed for each reason ("£ worries" is written as the Windows-1252 byte 0xA3).
    static let sheetReasons: [String: [String]] = [
        "mental_health": ["low mood", "anxiety", "Mental health", "MH", "stress"],
        "loneliness_isolation": ["lonely", "Loneliness", "isolated", "isolation"],
        "physical_health": ["physical health", "LTC", "weight"],
        "financial": ["money", "debt", "£ worries", "benefits"],
        "housing": ["housing"],
        "employment": ["work", "job"],
        "practical_support": ["practical", "shopping"],
        "carer_support": ["carer", "caring"],
        "bereavement": ["bereavement", "bereaved"],
        "substance_use": ["alcohol", "drugs"],
    ]
    static let sheetReasonJoiners = [" / ", ", ", " & ", "/"]
    static let sheetSex: [[String]] = [["F", "f", "Female", "female"], ["M", "m", "Male"], ["Other"], ["", "?"]]
    static let sheetEthnicity: [[String]] = [
        ["White British", "white british", "White", "W British", "White Irish", "White other"],
        ["Mixed", "mixed race", "Mixed White and Black Caribbean"],
        ["Asian", "Pakistani", "Indian", "Bangladeshi", "asian british"],
        ["Black", "Black British", "Black Caribbean", "black african"],
        ["Other", "Arab"],
        ["", "not stated", "N/K", "declined"],
    ]
    static let sheetYes = ["Y", "y", "Yes", "yes", "YES"]
    static let sheetNo = ["N", "n", "No", "no"]
    static let sheetNotes = [
        "", "", "", "", "owes £250 on gas", "rent arrears approx £1,200", "met at the café drop-in", "said \"call after 5\"",
        "moved house,\nnew address pending", "Café group Tuesdays",
    ]
}

extension ReferralGenerator {
    /// The fields of one valid referral in a platform layout: canonical order, then the
    /// layout's extra columns (see ``PlatformLayout``).
    mutating func platformFields(_ referral: GeneratedReferral) -> [String] {
        switch options.layout {
        case .canonical, .casebook: preconditionFailure("written by ReferralGenerator itself")
        case .casemanagement: return caseManagementFields(referral)
        case .gpsearch: return gpSearchFields(referral)
        case .spreadsheet: return spreadsheetFields(referral)
        }
    }

    private mutating func one(_ items: [String]) -> String { items[rng.below(items.count)] }

    private static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func ukDate(_ date: (year: Int, month: Int, day: Int)) -> String {
        "\(pad2(date.day))/\(pad2(date.month))/\(date.year)"
    }

    private mutating func caseManagementFields(_ r: GeneratedReferral) -> [String] {
        typealias V = PlatformVocabulary
        let time = "\(Self.pad2(8 + rng.below(10))):\(Self.pad2(rng.below(60)))"
        let status: String
        var closed = ""
        switch r.contacted {
        case .some(true): status = one(V.caseContacted)
        case .some(false): status = one(V.caseNotContacted)
        case .none: status = V.caseAwaiting
        }
        if status.hasPrefix("Closed") {
            // safe: the generated date is a real day (drawn from ReferralCalendar)
            let start = Day(year: r.date.year, month: r.date.month, day: r.date.day)!
            let end = Day(daysSinceEpoch: start.daysSinceEpoch + Int32(14 + rng.below(120)))
            closed = Self.ukDate(end.components)
        }
        var reasonLabels: [String] = []
        // safe: PlatformVocabulary has a label for every generated reason id
        for id in r.reasons { reasonLabels.append(one(V.caseReasons[id]!)) }
        return [
            String(format: "SPR-%07d", sequence), r.personID, Self.ukDate(r.date) + " " + time,
            r.age.map(String.init) ?? "", V.caseSex[r.sex], one(V.caseEthnicity[r.ethnicity]), r.area, one(V.caseRoutes[r.route]!),
            reasonLabels.joined(separator: ", "), status, String(r.contacts), String(r.interventions), r.organisation, closed,
        ]
    }

    private mutating func gpSearchFields(_ r: GeneratedReferral) -> [String] {
        typealias V = PlatformVocabulary
        let record = Self.guid(rng.next(), rng.next())
        // safe: generated organisation codes are a letter and digits (U + a number)
        let number = Int(r.organisation.dropFirst())!
        let practice =
            r.nation == .wales ? "W" + String(format: "%05d", number) : V.gpPracticeLetters[number % V.gpPracticeLetters.count] + String(format: "%05d", number)
        let source = V.gpSourceCodes[r.route].map { one($0) } ?? ""
        var reasonCodes: [String] = []
        for id in r.reasons { if let codes = V.gpReasonCodes[id] { reasonCodes.append(one(codes)) } }
        let date = "\(r.date.year)\(Self.pad2(r.date.month))\(Self.pad2(r.date.day))"
        return [
            record, r.personID, date, r.age.map(String.init) ?? "", V.gpSex[r.sex], one(V.gpEthnicity[r.ethnicity]), r.area, source,
            reasonCodes.joined(separator: "; "), "", String(r.contacts), String(r.interventions), practice, V.gpReferralCode,
            V.gpReferralTerm,
        ]
    }

    /// An EMIS-style record GUID (`{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`) from two draws.
    private static func guid(_ high: UInt64, _ low: UInt64) -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return "{\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))}"
    }

    private mutating func spreadsheetFields(_ r: GeneratedReferral) -> [String] {
        typealias V = PlatformVocabulary
        let dateText: String
        switch rng.below(20) {
        case 0...11: dateText = Self.ukDate(r.date)
        case 12...14: dateText = "\(r.date.day)/\(r.date.month)/\(r.date.year)"
        default: dateText = String(PlatformLayout.excelSerial(year: r.date.year, month: r.date.month, day: r.date.day))
        }
        // safe: PlatformVocabulary has a label for every generated route
        var source = one(V.sheetRoutes[r.route]!)
        if rng.bernoulli(0.005) { source = "Walk in" }  // a label the pipeline does not name
        var reasonText = ""
        for (i, id) in r.reasons.enumerated() {
            if i > 0 { reasonText += one(V.sheetReasonJoiners) }
            // safe: PlatformVocabulary has a label for every generated reason id
            reasonText += one(V.sheetReasons[id]!)
        }
        let seen = r.contacted.map { $0 ? one(V.sheetYes) : one(V.sheetNo) } ?? one(["", "?"])
        func count(_ n: Int) -> String { n == 0 && rng.bernoulli(0.5) ? "" : String(n) }
        let sessions = count(r.contacts)
        let activities = count(r.interventions)
        return [
            String(sequence), r.personID, dateText, r.age.map(String.init) ?? "", one(V.sheetSex[r.sex]),
            one(V.sheetEthnicity[r.ethnicity]), r.area, source, reasonText, seen, sessions, activities, r.organisation,
            one(V.sheetNotes),
        ]
    }
}
