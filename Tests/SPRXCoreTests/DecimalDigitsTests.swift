import SPRXCore
import Testing

/// The one digit parser: expected values by hand (the digits as written).
@Suite(.timeLimit(.minutes(10))) struct DecimalDigitsTests {
    func parse(_ text: String, _ maxDigits: Int) -> Int? { DecimalDigits.parse(Array(text.utf8), maxDigits: maxDigits) }

    @Test func wholeFieldsOfDigitsOnly() {
        #expect(parse("0", 10) == 0 && parse("007", 10) == 7 && parse("2147483647", 10) == 2_147_483_647)
        #expect(parse("9999999999", 10) == 9_999_999_999, "ten nines fit: the limit counts digits, not value")
        #expect(parse("12345678901", 10) == nil, "eleven digits pass the limit")
        for refused in ["", " 1", "1 ", "-1", "+1", "1.0", "1e3", "١"] { #expect(parse(refused, 10) == nil, "\(refused)") }
        #expect(parse("999999999999999999", 18) == 999_999_999_999_999_999)
    }

    @Test func leadingRunStopsAtItsLimitOrANonDigit() {
        Array("2024-1".utf8).withUnsafeBytes { bytes in
            #expect(DecimalDigits.leading(bytes, from: 0, maxDigits: 4) == (2024, 4))
            #expect(DecimalDigits.leading(bytes, from: 0, maxDigits: 2) == (20, 2))
            #expect(DecimalDigits.leading(bytes, from: 4, maxDigits: 2) == (0, 0), "a dash is no digit")
            #expect(DecimalDigits.leading(bytes, from: 5, maxDigits: 2) == (1, 1), "the end stops the run")
            #expect(DecimalDigits.leading(bytes, from: 6, maxDigits: 2) == (0, 0), "past the end")
        }
    }
}
