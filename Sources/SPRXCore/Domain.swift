/// The fixed vocabulary of the outputs contract: categories whose labels users see.
///
/// Each category is a `UInt8`-backed enum so records and aggregation keys stay small;
/// `label` is the exact text the tables publish (`outputs-v1.md`, "Group labels").

/// Sex or stated gender.
public enum Sex: UInt8, CaseIterable, Sendable, Codable {
    case female, male, other, unknown
    public var label: String {
        switch self {
        case .female: "Female"
        case .male: "Male"
        case .other: "Other"
        case .unknown: "Unknown"
        }
    }
}

/// Ethnic group, at the five-group level of the NHS ethnic category.
public enum Ethnicity: UInt8, CaseIterable, Sendable, Codable {
    case white, mixed, asian, black, other, unknown
    public var label: String {
        switch self {
        case .white: "White"
        case .mixed: "Mixed"
        case .asian: "Asian"
        case .black: "Black"
        case .other: "Other"
        case .unknown: "Unknown"
        }
    }
}

/// UK nation of residence, from the small-area code.
public enum Nation: UInt8, CaseIterable, Sendable, Codable {
    case england, wales, scotland, northernIreland, unknown
    public var label: String {
        switch self {
        case .england: "England"
        case .wales: "Wales"
        case .scotland: "Scotland"
        case .northernIreland: "Northern Ireland"
        case .unknown: "Unknown"
        }
    }
    /// The four nations, without `unknown`.
    public static let known: [Nation] = [.england, .wales, .scotland, .northernIreland]

    /// The nation a small-area code belongs to: `E01` England, `W01` Wales, `S01`
    /// Scotland (data zones), `95` Northern Ireland (super output areas).
    public static func of(areaCode code: UnsafeRawBufferPointer) -> Nation {
        guard code.count >= 3 else { return .unknown }
        let a = code[0], b = code[1], c = code[2]
        if a == UInt8(ascii: "9") && b == UInt8(ascii: "5") { return .northernIreland }
        guard b == UInt8(ascii: "0") && c == UInt8(ascii: "1") else { return .unknown }
        switch a {
        case UInt8(ascii: "E"): return .england
        case UInt8(ascii: "W"): return .wales
        case UInt8(ascii: "S"): return .scotland
        default: return .unknown
        }
    }
}

/// Medical (primary or secondary care) or non-medical route.
public enum RouteType: UInt8, CaseIterable, Sendable, Codable {
    case medical, nonMedical, unknown
    public var label: String {
        switch self {
        case .medical: "medical"
        case .nonMedical: "non_medical"
        case .unknown: "unknown"
        }
    }
    public init?(label: String) {
        guard let value = Self.allCases.first(where: { $0.label == label }) else { return nil }
        self = value
    }
}

/// Urban / rural class of the area, from the nation's own classification.
public enum Rurality: UInt8, CaseIterable, Sendable, Codable {
    case urban, rural, mixed, unknown
    public var label: String {
        switch self {
        case .urban: "Urban"
        case .rural: "Rural"
        case .mixed: "Mixed"
        case .unknown: "Unknown"
        }
    }
    public init?(label: String) {
        let lowered = label.lowercased()
        if lowered.hasPrefix("mixed") { self = .mixed; return }
        guard let value = Self.allCases.first(where: { $0.label.lowercased() == lowered }) else { return nil }
        self = value
    }
}

/// Whether the person had contact with a link worker.
public enum ContactFlag: UInt8, Sendable, Codable {
    case no, yes, unknown
}
