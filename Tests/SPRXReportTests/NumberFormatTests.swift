import Foundation
import SPRXCore
import Testing

@testable import SPRXReport

/// ``NumberFormat`` against hand-calculated expectations (each worked in the comment
/// beside it), and ``DisplayNames/plainWords(_:)`` against the codes it must say in words.
@Suite(.timeLimit(.minutes(10))) struct NumberFormatTests {
    /// Fixed notation on the digits against Foundation's `NSDecimalRound` (`.plain`,
    /// half away from zero) of the same shortest text, the independent reference: edge
    /// cases by hand (0.125 → 0.13, 9.995 → 10.00, 1e-7 → 0.00, 1e20 whole) and 20,000
    /// random values from 1e-9 to 1e12 at 0 to 6 places.
    @Test func fixedNotationMatchesFoundationsDecimalRounding() {
        func reference(_ value: Double, _ places: Int) -> String {
            var digits = Decimal(string: value.description)!
            var rounded = Decimal()
            NSDecimalRound(&rounded, &digits, places, .plain)
            let text = NSDecimalNumber(decimal: rounded).description(withLocale: Locale(identifier: "en_US_POSIX"))
            let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard places > 0 else { return String(parts[0]) }
            let decimals = parts.count > 1 ? String(parts[1]) : ""
            return String(parts[0]) + "." + (decimals + String(repeating: "0", count: places)).prefix(places)
        }
        #expect(NumberFormat.plain(0.125, places: 2) == "0.13")
        #expect(NumberFormat.plain(9.995, places: 2) == "10.00")
        #expect(NumberFormat.plain(1e-7, places: 2) == "0.00")
        #expect(NumberFormat.plain(0.5, places: 0) == "1")
        #expect(NumberFormat.plain(0, places: 3) == "0.000")
        #expect(NumberFormat.plain(1e20, places: 1) == "100000000000000000000.0")
        var random = SplitMix64(seed: 2026)
        for _ in 0..<20_000 {
            let magnitude = Double(random.next() % 22) - 9
            let value = Double(random.next() % 1_000_000) / 1_000_000 * pow(10, magnitude)
            let places = Int(random.next() % 7)
            #expect(NumberFormat.plain(value, places: places) == reference(value, places), "\(value) at \(places)")
        }
    }

    @Test func countsHaveSeparatorsAndATrueMinus() {
        #expect(NumberFormat.count(2950) == "2,950")
        #expect(NumberFormat.count(999) == "999")
        #expect(NumberFormat.count(1000) == "1,000")
        #expect(NumberFormat.count(-1_234_567) == "\u{2212}1,234,567")
        // Person-years 281,396,278.7: .7 rounds up to 281,396,279.
        #expect(NumberFormat.whole(281_396_278.7) == "281,396,279")
    }

    /// Counts rounded to 5 may be 2.5 off: one decimal needs 100 × 2.5 / D ≤ 0.1, so D ≥ 2,500;
    /// exact counts (one record): 100 / D ≤ 0.1, so D ≥ 1,000.
    @Test func percentDecimalsFollowTheRoundingBase() {
        #expect(NumberFormat.oneDecimalDenominator(roundTo: 5) == 2500)
        #expect(NumberFormat.oneDecimalDenominator(roundTo: 1) == 1000)
        #expect(NumberFormat.oneDecimalDenominator(roundTo: 10) == 5000)
        #expect(NumberFormat.percentPlaces(denominator: 2950) == 1)
        #expect(NumberFormat.percentPlaces(denominator: 2495) == 0)
        #expect(NumberFormat.percentPlaces(denominator: 1000, roundTo: 1) == 1)
        #expect(NumberFormat.percentPlaces(denominator: 999, roundTo: 1) == 0)
        #expect(NumberFormat.percentPlaces(denominator: nil) == 1)
    }

    @Test func percentagesAreSaidAloud() {
        // 2,295 of 2,950 = 77.80% → 77.8 (D ≥ 2,500); 85 of 180 = 47.22% → 47.
        #expect(NumberFormat.percent(77.80, denominator: 2950) == "77.8")
        #expect(NumberFormat.percent(47.22, denominator: 180) == "47")
        // 1 of 600 = 0.17%: not zero, so "<1"; 597 of 600 = 99.5% → 100 would hide the 3: ">99".
        #expect(NumberFormat.percent(0.17, denominator: 600) == "<1")
        #expect(NumberFormat.percent(99.5, denominator: 600) == ">99")
        #expect(NumberFormat.percent(100, denominator: 10) == "100")
        #expect(NumberFormat.percent(0, denominator: 10) == "0")
        // 1 of 3,000 = 0.033% → "<0.1"; 2,999 of 3,000 = 99.967% → ">99.9".
        #expect(NumberFormat.percent(0.033, denominator: 3000) == "<0.1")
        #expect(NumberFormat.percent(99.967, denominator: 3000) == ">99.9")
        // Half away from zero on the decimal text: 12.5 → 13, 2.45 → 2.5 (not binary's 2.4).
        #expect(NumberFormat.percent(12.5, places: 0) == "13")
        #expect(NumberFormat.decimal(2.45, places: 1) == "2.5")
    }

    @Test func ratesHaveThreeSignificantFiguresAndNoExponent() {
        // The SII 2.3964e-05: 3 significant figures are 2.40 × 10⁻⁵ = 0.0000240.
        #expect(NumberFormat.significant(2.3964e-05) == "0.0000240")
        #expect(NumberFormat.significant(0.836898) == "0.837")
        // 9.996 to 3 figures is 10.0 (the rounding reaches the next power of ten).
        #expect(NumberFormat.significant(9.996) == "10.0")
        #expect(NumberFormat.significant(12_345) == "12,300")
        #expect(NumberFormat.significant(-0.0125389) == "\u{2212}0.0125")
        #expect(NumberFormat.significant(0) == "0")
        // A rate's limits: 3 figures, never more decimals than the rate (0.897 has 3):
        // 0.788197 → 0.788; 1.01666 → 1.02.
        let said = NumberFormat.rates(0.897017, [0.788197, 1.01666])
        #expect(said.value == "0.897" && said.others == ["0.788", "1.02"])
        // 0.132181 (3 decimals): its limit 0.0125389 to 3 decimals is 0.013.
        #expect(NumberFormat.rates(0.132181, [0.0125389]).others == ["0.013"])
        for value in [2.3964e-05, 1e-12, 7.5e-9, 123_456_789_012.0] {
            #expect(!NumberFormat.significant(value).contains("e"), "\(value)")
            #expect(!fixed(value, 9).contains("e"), "\(value)")
        }
        // The bug the issue saw: fixed(2.3964e-05, 7) was "2.4e-0500".
        #expect(fixed(2.3964e-05, 7) == "0.0000240")
    }

    @Test func ratiosFTEPointsAndP() {
        #expect(NumberFormat.ratio(1.17314) == "1.17")
        #expect(NumberFormat.ratio(0.125) == "0.13")
        #expect(NumberFormat.ratio(0.85) == "0.85")
        #expect(NumberFormat.fte(0.746668) == "0.7")
        #expect(NumberFormat.fte(4.50667) == "4.5")
        #expect(NumberFormat.points(-14.0661) == "\u{2212}14.1")
        // −0.04 to one decimal is 0.0: no minus sign on a zero.
        #expect(NumberFormat.decimal(-0.04, places: 1) == "0.0")
        #expect(NumberFormat.pValue(0.0004) == "<0.001")
        #expect(NumberFormat.pValue(0.0206) == "0.021")
        #expect(NumberFormat.range("\u{2212}19.9", "\u{2212}8.3") == "\u{2212}19.9 to \u{2212}8.3")
        #expect(NumberFormat.range("76", "80") == "76–80")
    }

    @Test func codesAreSaidInWords() {
        let message =
            "37 of 3,000 rows quarantined: most common reasons conflicting_referral_id 6, date_out_of_window 4; see tables/data_quality.csv and quarantine/rejected.csv.gz."
        let plain = DisplayNames.plainWords(message)
        // Each reason's count in brackets, so a reason's words never run into it.
        #expect(plain.contains("referral id repeated with different content (6 rows), referral date outside the window (4 rows);"))
        #expect(plain.contains("tables/data_quality.csv") && plain.contains("quarantine/rejected.csv.gz."))
        #expect(DisplayNames.plainWords("suppressed;no_link_worker_fte") == "suppressed;no link worker time recorded")
        #expect(DisplayNames.plainWords("an unheard_of_code.") == "an unheard of code.")
        #expect(DisplayNames.modelName("route_nonmedical", outcome: "route_nonmedical") == "Referral through a non-medical (vs medical) route")
        #expect(DisplayNames.modelName("my_model", outcome: "contacts") == "My model")
    }
}
