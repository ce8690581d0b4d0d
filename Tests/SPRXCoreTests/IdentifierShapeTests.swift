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
