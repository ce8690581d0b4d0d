/// Whether a text is shaped like a personal identifier, declared once for every stage
/// that may show or publish a value of an export (`sprx inspect`, the draft pipeline,
/// `sprx run`'s unmapped-label table and warnings).
///
/// Such a text is never shown or published by name, however often it is seen: one
/// person's NHS number typed into ten referrals is still an identifier. It is counted
/// with the labels too rare to name.
public enum IdentifierShape {
    /// Whether `text` holds something shaped like a personal identifier: an NHS number
    /// (10 digits), a run of 7 or more digits (a phone number), a UK postcode, or an
    /// email address. A SNOMED CT concept id is a code, not an identifier.
    ///
    /// A digit is any Unicode decimal digit (fullwidth `９４３`, Arabic-Indic `٩٤٣`), and a
    /// run of them is broken by anything but a space of any kind (no-break, thin), a
    /// zero-width character or `.` `_` `-` `+` (``closesUp(_:)``), so `943.476.5919`, `943_476_5919` and `0161 496 0000`
    /// are caught as well as `943 476 5919`. A postcode is also caught with its letters
    /// spaced out (`s w 1 a 1 a a`).
    public static func matches(_ text: String) -> Bool {
        if isSNOMEDConceptID(text.trimmingSpaces()) { return false }
        if text.contains("@") && (text.contains(".") || text.contains("\u{FF0E}")) { return true }
        if text.contains("\u{FF20}") { return true }  // a fullwidth at sign
        var run = 0, longest = 0
        for c in text.unicodeScalars {
            if c.properties.numericType == .decimal {
                run += 1
                longest = max(longest, run)
            } else if !closesUp(c) {
                run = 0
            }
        }
        if longest >= 7 { return true }
        return containsPostcode(text) || containsPostcode(String(String.UnicodeScalarView(text.unicodeScalars.filter { !closesUp($0) })))
    }

    /// Whether a character between digits leaves them one run: a space of any kind, a
    /// format character (zero-width), a dash, `_`, `.` or `+`. Commas, semicolons,
    /// colons, slashes and brackets separate (`1, 2, 3` is a list, `FY 2023/2024` and
    /// `01/02/2024` are dates, `18-24 (2019)` a band and a year, none a number).
    static func closesUp(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .spaceSeparator, .format, .connectorPunctuation, .dashPunctuation: return true
        case .otherPunctuation: return c == "." || c == "\u{FF0E}"
        case .mathSymbol: return c == "+"
        default: return false
        }
    }

    /// Whether text holds a UK postcode: outward code (A9, A99, A9A, AA9, AA99, AA9A), an
    /// optional space, inward code (9AA) (Royal Mail's formats), as a word of its own.
    public static func containsPostcode(_ text: String) -> Bool {
        let words = text.uppercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        func shape(_ s: String) -> String { String(s.map { $0.isLetter ? "A" : $0.isNumber ? "9" : "?" }) }
        let outward: Set<String> = ["A9", "A99", "A9A", "AA9", "AA99", "AA9A"]
        for (i, word) in words.enumerated() {
            let s = shape(word)
            if s.count >= 5, s.hasSuffix("9AA"), outward.contains(String(s.dropLast(3))) { return true }
            if i + 1 < words.count, outward.contains(s), shape(words[i + 1]) == "9AA" { return true }
        }
        return false
    }

    /// Whether `label` is a SNOMED CT concept id: 6-18 digits, no leading zero, partition
    /// `00` or `10` (concept; the second and third digits from the end), and a valid
    /// Verhoeff check digit (SNOMED CT Technical Implementation Guide, "SCTID").
    public static func isSNOMEDConceptID(_ label: String) -> Bool {
        let digits = label.utf8.map { Int($0) - 0x30 }
        guard (6...18).contains(digits.count), digits.allSatisfy({ (0...9).contains($0) }), digits[0] != 0 else { return false }
        let partition = digits[digits.count - 3] * 10 + digits[digits.count - 2]
        guard partition == 0 || partition == 10 else { return false }
        var check = 0
        for (i, d) in digits.reversed().enumerated() { check = verhoeffD[check][verhoeffP[i % 8][d]] }
        return check == 0
    }

    private static let verhoeffD: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]
    private static let verhoeffP: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ]
}
