import Testing

@testable import SPRXCore

/// The one identifier rule shared by `sprx inspect` and `sprx run` (``IdentifierShape``).
@Suite(.timeLimit(.minutes(10))) struct IdentifierShapeTests {
    /// Identifiers as they are typed into exports: an NHS number (9434765919, the NHS
    /// Digital test number) with and without spaces, postcodes in Royal Mail's formats
    /// (SW1A 1AA, M1 1AE, EC1A 1BB), emails and UK phone numbers (Ofcom's drama ranges).
    @Test func identifiersAreRecognised() {
        for text in [
            "9434765919", "943 476 5919", "943-476-5919", "Dr Jane Doe 9434765919 SW1A 1AA", "SW1A 1AA", "sw1a 1aa", "m1 1ae",
            "EC1A1BB", "jane.doe@nhs.net", "Called 07700 900123 re Jane", "called 07700 900123 re jane", "0161-496-0000",
        ] {
            #expect(IdentifierShape.matches(text), "\(text)")
        }
    }

    /// The same NHS number and postcode reformatted as the hostile-input hunt typed them
    /// (each published verbatim before): other separators, spaces of other kinds and
    /// zero-width characters between the digits, digits of other scripts, and a postcode
    /// with its letters spaced out. By hand: every one holds the ten digits 9434765919 (or
    /// SW1A 1AA) with nothing but those characters between them.
    @Test func reformattedIdentifiersAreRecognised() {
        for text in [
            "943.476.5919", "943_476_5919", "+44 7700 900123", "(0161) 496 0000",
            "943\u{00A0}476\u{00A0}5919", "943\u{2009}476\u{2009}5919", "943\u{200B}476\u{200B}5919", "9\u{2060}4\u{2060}3\u{2060}4765919",
            "\u{FF19}\u{FF14}\u{FF13}\u{FF14}\u{FF17}\u{FF16}\u{FF15}\u{FF19}\u{FF11}\u{FF19}",
            "\u{0669}\u{0664}\u{0663}\u{0664}\u{0667}\u{0666}\u{0665}\u{0669}\u{0661}\u{0669}",
            "s w 1 a 1 a a", "S.W.1.A 1.A.A", "jane.doe\u{FF20}nhs.net",
        ] {
            #expect(IdentifierShape.matches(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    /// Lists, ranges, dates and years are labels: a comma, semicolon, colon, slash or
    /// bracket separates runs (by hand: no run here reaches 7 digits).
    @Test func listsOfSmallNumbersAreNot() {
        // Dates and years in labels (a review found these pooled when slashes and brackets
        // joined runs): slashes and brackets separate too.
        for text in [
            "1, 2, 3, 4, 5, 6, 7", "18-24, 25-34", "Ages 16; 17; 18", "10:30", "Year 10", "GP (practice 12)", "FY 2023/2024",
            "Cost of living 2023/2024", "Q1 2024/25 campaign", "Referred 01/02/2024", "Age 18-24 (2019)",
        ] {
            #expect(!IdentifierShape.matches(text), "\(text)")
        }
    }

    /// Labels, short numbers, ODS codes and a SNOMED CT concept id (185362004: its
    /// Verhoeff check digit is valid, worked by hand) are not identifiers; a 9-digit
    /// number whose check digit is wrong (185362005) is.
    @Test func labelsAndCodesAreNot() {
        for text in ["GP Surgery", "Self referral", "185362004", "99", "A81001", "Mixed - White and Asian", "Loneliness", "123456", "Friend/Family"] {
            #expect(!IdentifierShape.matches(text), "\(text)")
        }
        #expect(IdentifierShape.isSNOMEDConceptID("185362004"))
        #expect(!IdentifierShape.isSNOMEDConceptID("185362005"))
        #expect(IdentifierShape.matches("185362005"))
    }
}
