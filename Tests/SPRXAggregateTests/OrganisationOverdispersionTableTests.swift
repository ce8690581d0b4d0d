import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXAggregate

/// The overdispersed columns of `organisations.csv` (`*_od`, `flag_od`, `isr_flag_od`)
/// through ``OrganisationTableBuilder``, and the case-mix cells it withholds.
///
/// Expected values: φ and τ² from ``Overdispersion`` on the same units (that type is
/// checked against FunnelPlotR's own test outputs in OverdispersionTests), the plain
/// limits from ``FunnelLimits`` and ``RatioFunnel`` (checked against PHE's test data in
/// FunnelLimitTests and CaseMixTests), and the table's own rule applied here by hand: at
/// each end the wider of the plain and the overdispersed limit, and a widened flag never
/// further from `within` than the plain one. Counts and flags are hand calculations
/// written beside each check.
@Suite(.timeLimit(.minutes(10))) struct OrganisationOverdispersionTableTests {
    static let off = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: false))

    /// One organisation's referrals in one stratum: the first `nonMedical` non-medical,
    /// every one contacted, none with an intervention.
    static func add(_ counts: inout OrganisationCounts, _ code: String, referrals: Int, nonMedical: Int, stratum: UInt32 = 0) {
        for i in 0..<referrals {
            counts.add(organisation: ShortCode(code)!, month: 1, stratum: stratum, nonMedical: i < nonMedical, contacted: true, intervention: false)
        }
    }

    /// A row's cell as the CSV writes it.
    static func cell(_ table: PublishedTable, _ id: String, _ column: OrganisationColumn, indicator: String = "non_medical_share") -> String {
        let row = table.rows.first { $0[OrganisationColumn.organisationID.index].string == id && $0[OrganisationColumn.indicator.index].string == indicator }
        return row?[column.index].csv ?? "(no row)"
    }

    /// Eight organisations of 200 referrals whose non-medical shares run 10% to 80%: far
    /// more spread than chance, so φ > 1.
    static func spread() -> (counts: OrganisationCounts, units: [(id: String, n: Int, d: Int)]) {
        var counts = OrganisationCounts()
        var units: [(id: String, n: Int, d: Int)] = []
        for k in 1...8 {
            let id = "A1000\(k)"
            add(&counts, id, referrals: 200, nonMedical: 20 * k)
            units.append((id, 20 * k, 200))
        }
        return (counts, units)
    }

    // The crude share's widened limits and flag_od, from Overdispersion on the same eight
    // units (target Σn/Σd = 720/1600 = 0.45, as `overall` is without disclosure control)
    // and the union rule; φ > 1 here, so flag_od flags fewer organisations than flag.
    @Test func crudeWidenedLimitsAndFlagFromTheSameUnits() throws {
        let (counts, units) = Self.spread()
        let table = Self.off.build(counts, directory: nil)
        let target = 720.0 / 1600.0
        let od = try #require(Overdispersion(units: units.map { (Double($0.n), Double($0.d)) }, target: target, scale: .proportion))
        #expect(od.phi > 1)
        let plain = try #require(FunnelLimits(denominator: 200, overall: target))
        let spiegelhalter = try #require(od.limits(denominator: 200, target: target))
        // By hand: lower = min, upper = max.
        let lower95 = min(plain.lower95, spiegelhalter.lower95), upper95 = max(plain.upper95, spiegelhalter.upper95)
        let lower998 = min(plain.lower998, spiegelhalter.lower998), upper998 = max(plain.upper998, spiegelhalter.upper998)
        func percent(_ x: Double) -> String { String(format: "%.2f", 100 * x) }
        var flaggedPlain = 0, flaggedOD = 0
        for unit in units {
            #expect(Self.cell(table, unit.id, .lower95OD) == percent(lower95))
            #expect(Self.cell(table, unit.id, .upper95OD) == percent(upper95))
            #expect(Self.cell(table, unit.id, .lower998OD) == percent(lower998))
            #expect(Self.cell(table, unit.id, .upper998OD) == percent(upper998))
            let share = Double(unit.n) / Double(unit.d)
            // The widened limits are wider than the plain: the flag against them is never further out.
            let expected: String =
                share > upper998 ? "above_998" : share > upper95 ? "above_95" : share < lower998 ? "below_998" : share < lower95 ? "below_95" : "within"
            #expect(Self.cell(table, unit.id, .flagOD) == expected, "\(unit.id)")
            if Self.cell(table, unit.id, .flag) != "within" { flaggedPlain += 1 }
            if Self.cell(table, unit.id, .flagOD) != "within" { flaggedOD += 1 }
            // Wider, never narrower, than the plain limits the row publishes.
            #expect(Double(Self.cell(table, unit.id, .lower998OD))! <= Double(Self.cell(table, unit.id, .lower998))!)
            #expect(Double(Self.cell(table, unit.id, .upper998OD))! >= Double(Self.cell(table, unit.id, .upper998))!)
        }
        // Shares 10…80% around 45% at n = 200: every one but 40% and 50% is outside the
        // plain 95% limits (about 38.1-51.9% by hand, 45 ± 1.96·√(0.45·0.55/200)); the widened ones flag fewer.
        #expect(flaggedPlain == 6)
        #expect(flaggedOD < flaggedPlain)
    }

    // Organisations within chance (non-medical 86…94 of 200 around 45%): φ < 1, τ² = 0,
    // and Spiegelhalter's arcsine limits alone are narrower than PHE's Wilson limits at
    // one end (the arcsine scale is symmetric, Wilson's is not): the published limits are
    // the wider of the two, by hand.
    @Test func withinChanceTheWiderLimitIsPHEs() throws {
        var counts = OrganisationCounts()
        var units: [(n: Int, d: Int)] = []
        for k in 0..<9 {
            Self.add(&counts, "A1000\(k + 1)", referrals: 200, nonMedical: 86 + k)
            units.append((86 + k, 200))
        }
        let table = Self.off.build(counts, directory: nil)
        let target = 810.0 / 1800.0
        let od = try #require(Overdispersion(units: units.map { (Double($0.n), Double($0.d)) }, target: target, scale: .proportion))
        #expect(od.phi < 1 && od.tau2 == 0)
        let plain = try #require(FunnelLimits(denominator: 200, overall: target))
        let spiegelhalter = try #require(od.limits(denominator: 200, target: target))
        #expect(spiegelhalter.lower998 > plain.lower998 || spiegelhalter.upper998 < plain.upper998, "the arcsine limit is narrower at one end")
        func percent(_ x: Double) -> String { String(format: "%.2f", 100 * x) }
        #expect(Self.cell(table, "A10001", .lower998OD) == percent(min(plain.lower998, spiegelhalter.lower998)))
        #expect(Self.cell(table, "A10001", .upper998OD) == percent(max(plain.upper998, spiegelhalter.upper998)))
        #expect(Self.cell(table, "A10001", .lower95OD) == percent(min(plain.lower95, spiegelhalter.lower95)))
        #expect(Self.cell(table, "A10001", .upper95OD) == percent(max(plain.upper95, spiegelhalter.upper95)))
        for k in 1...9 { #expect(Self.cell(table, "A1000\(k)", .flagOD) == "within") }
    }

    // The ratio's widened limits and isr_flag_od, with an organisation of no observed
    // event. Twelve organisations in one stratum (so E = n × the overall share 605/2208):
    // Z10000 has 0 of 8 non-medical (E = 2.19, isr 0), the others 200 referrals with 30…80
    // non-medical (counts below). Its own 99.8% interval for a count of 0 is 0…6.91/2.19,
    // which holds 1: isr_flag within; PHE's funnel at E = 2 has a lower 99.8% limit above
    // 0, so a flag from limits alone would call it below_998. The widened flag is held to
    // the plain one: within. With twelve organisations the lowest z (Z10000's, −∞) is
    // truncated (group ⌊1 · 10/13⌋ = 0), so φ is estimated.
    @Test func ratioWidenedLimitsAndZeroObserved() throws {
        var counts = OrganisationCounts()
        Self.add(&counts, "Z10000", referrals: 8, nonMedical: 0)
        // 11 organisations of 200: 30, 35, …, 80 non-medical; with Z10000, 605 + 0 of 2208.
        var units: [(id: String, n: Int, d: Int)] = []
        for k in 0..<11 {
            let id = String(format: "A1%04d", k + 1)
            Self.add(&counts, id, referrals: 200, nonMedical: 30 + 5 * k)
            units.append((id, 30 + 5 * k, 200))
        }
        let table = Self.off.build(counts, directory: nil)
        let share = Double(605) / 2208
        // Z10000: E = 8 × share; its ratio's flags.
        #expect(Self.cell(table, "Z10000", .observed) == "0")
        #expect(Self.cell(table, "Z10000", .isrFlag) == "within")
        #expect(Self.cell(table, "Z10000", .isrFlagOD) == "within")
        // The ratio's φ from Overdispersion on the same (observed, expected) units, and each row's widened limits.
        let ratioUnits = [(0.0, 8 * share)] + units.map { (Double($0.n), Double($0.d) * share) }
        let od = try #require(Overdispersion(units: ratioUnits, target: 1, scale: .ratio))
        var narrowerSomewhere = false
        for (id, d) in [("Z10000", 8)] + units.map { ($0.id, $0.d) } {
            let e = Double(d) * share
            let plain = try #require(RatioFunnel.limits(expected: e))
            let spiegelhalter = try #require(od.limits(denominator: e, target: 1))
            func g(_ x: Double) -> String { String(format: "%.6g", x) }
            #expect(Self.cell(table, id, .isrFunnelLower95OD) == g(min(plain.lower95, spiegelhalter.lower95)), "\(id)")
            #expect(Self.cell(table, id, .isrFunnelUpper95OD) == g(max(plain.upper95, spiegelhalter.upper95)), "\(id)")
            #expect(Self.cell(table, id, .isrFunnelLower998OD) == g(min(plain.lower998, spiegelhalter.lower998)), "\(id)")
            #expect(Self.cell(table, id, .isrFunnelUpper998OD) == g(max(plain.upper998, spiegelhalter.upper998)), "\(id)")
            if spiegelhalter.lower998 > plain.lower998 || spiegelhalter.upper998 < plain.upper998 { narrowerSomewhere = true }
        }
        // Spiegelhalter's limits alone are narrower than PHE's exact ones at some end of some row
        // (the small expected counts'): the rule, not the data, keeps the published ones wider.
        #expect(narrowerSomewhere)
        // Never a widened flag further out than the plain one, on any row.
        let order = ["below_998", "below_95", "within", "above_95", "above_998"]
        for id in ["Z10000"] + units.map(\.id) {
            let plain = try #require(order.firstIndex(of: Self.cell(table, id, .isrFlag)))
            let widened = try #require(order.firstIndex(of: Self.cell(table, id, .isrFlagOD)))
            #expect(abs(widened - 2) <= abs(plain - 2) && (widened - 2) * (plain - 2) >= 0, "\(id)")
        }
    }

    // The rule that holds a widened flag to the plain one, on every pair by hand.
    @Test func widenedFlagNeverBeyondThePlain() {
        typealias F = OrganisationColumn.Flag
        #expect(OrganisationTableBuilder.notBeyond(.below998, plain: .within) == .within)
        #expect(OrganisationTableBuilder.notBeyond(.below998, plain: .below95) == .below95)
        #expect(OrganisationTableBuilder.notBeyond(.below95, plain: .below998) == .below95)
        #expect(OrganisationTableBuilder.notBeyond(.above95, plain: .below998) == .below998)
        #expect(OrganisationTableBuilder.notBeyond(.within, plain: .above998) == .within)
        #expect(OrganisationTableBuilder.notBeyond(.above998, plain: .above998) == .above998)
    }

    // Finding 3: the gamma quantile Q(0.001; x) ≈ 0.001^(1/x) leaves the normal doubles
    // (e^−708.4) below x = ln 1000 / 708.4 = 0.00975 (by hand): no funnel there. An
    // organisation whose expected count is 0.005 (5 referrals in a stratum where the
    // others have 1 non-medical in 1,000) has its ratio and interval but no funnel limits
    // or flags, a note saying why, and no cell that is not a number or absurdly large.
    @Test func expectedTooSmallHasNoFunnel() {
        #expect(RatioFunnel.limits(expected: 0.0099) == nil)
        #expect(RatioFunnel.limits(expected: 0.0101).map { $0.upper998.isFinite } == true)
        var counts = OrganisationCounts()
        Self.add(&counts, "A10001", referrals: 500, nonMedical: 1, stratum: 1)
        Self.add(&counts, "B10002", referrals: 490, nonMedical: 0, stratum: 1)
        Self.add(&counts, "C10003", referrals: 5, nonMedical: 0, stratum: 1)
        for code in ["A10001", "B10002", "C10003", "D10004"] { Self.add(&counts, code, referrals: 100, nonMedical: 40, stratum: 0) }
        Self.add(&counts, "E10005", referrals: 5, nonMedical: 0, stratum: 1)
        let table = Self.off.build(counts, directory: nil)
        // Stratum 1: 1 of 500 + 490 + 5 + 5 = 1,000. E10005: 5 × 1/1000 = 0.005.
        #expect(Self.cell(table, "E10005", .expected) == "0.005")
        #expect(Self.cell(table, "E10005", .isr) == "0")
        for column in [OrganisationColumn.isrFunnelLower95, .isrFunnelUpper998, .isrFlag, .isrFunnelLower95OD, .isrFunnelUpper998OD, .isrFlagOD] {
            #expect(Self.cell(table, "E10005", column) == "", "\(column)")
        }
        #expect(Self.cell(table, "E10005", .note).split(separator: ";").contains { $0 == OrganisationColumn.Note.expectedTooSmall })
        for row in table.rows {
            for cell in row {
                guard let value = Double(cell.csv) else { continue }
                #expect(value.isFinite && abs(value) < 1e6, "\(cell.csv)")
            }
        }
    }

    // Finding 1, at the builder: one or two organisations under disclosure control make a
    // standard of their own exact counts, so no case-mix cell is published; with three
    // they are. A: 400 referrals in stratum 0, 77 non-medical (published 75); B: 200 in
    // stratum 1, 38 (published 40). Without the rule, E(A) = 400 × 77/400 = 77 and, with B
    // in a stratum of its own, E(B) = 38: the exact counts. C: 100 in stratum 0 (21
    // non-medical) and 100 in stratum 1 (25), 46 in all (published 45). Each stratum has
    // only two organisations, fewer than 3, so both are collapsed to the published overall
    // share (a stratum's exact share would carry its organisations' own counts): by hand
    // 161 of 800 non-medical publish as 160 of 800, 0.2, so E(A) = 400 × 0.2 = 80,
    // E(B) = 200 × 0.2 = 40, E(C) = 40. (With each stratum's own share, p0 = 98/500 and
    // p1 = 63/300, E(A) = 78.4 would be A's mix against a standard of two organisations.)
    @Test func caseMixNeedsThreeOrganisations() {
        let on = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))
        var counts = OrganisationCounts()
        Self.add(&counts, "A10001", referrals: 400, nonMedical: 77, stratum: 0)
        let caseMix: [OrganisationColumn] = [.observed, .expected, .isr, .isrLower95, .isrUpper998, .isrFunnelLower95, .isrFunnelUpper998]
        for organisations in 1...3 {
            if organisations == 2 { Self.add(&counts, "B10002", referrals: 200, nonMedical: 38, stratum: 1) }
            if organisations == 3 {
                Self.add(&counts, "C10003", referrals: 100, nonMedical: 21, stratum: 0)
                Self.add(&counts, "C10003", referrals: 100, nonMedical: 25, stratum: 1)
            }
            let table = on.build(counts, directory: nil)
            #expect(Self.cell(table, "A10001", .numerator) == "75")
            for column in caseMix + (organisations < 3 ? [.isrFlag, .isrFlagOD, .isrFunnelLower95OD] : []) {
                let value = Self.cell(table, "A10001", column)
                #expect((value == "") == (organisations < 3), "\(organisations) organisations: \(column) = \(value)")
            }
            let note = Self.cell(table, "A10001", .note).split(separator: ";")
            #expect(note.contains { $0 == OrganisationColumn.Note.caseMixTooFewOrganisations } == (organisations < 3))
            // Never the exact counts published rounded (77, 38, 46) anywhere.
            for row in table.rows {
                for cell in row where [77.0, 38, 46].contains(Double(cell.csv) ?? -1) {
                    Issue.record("\(organisations): an exact count published: \(cell.csv)")
                }
            }
            if organisations == 3 {
                #expect(Self.cell(table, "A10001", .expected) == "80")
                #expect(Self.cell(table, "B10002", .expected) == "40")
                #expect(Self.cell(table, "C10003", .expected) == "40")
            }
        }
    }

    // No strata (`case_mix: {strata: []}`, or none recorded): the case-mix cells are empty
    // and the note says so; the crude comparison stands.
    @Test func noStrataNoCaseMix() {
        var builder = Self.off
        builder.caseMixStrata = []
        let (counts, units) = Self.spread()
        let built = builder.buildWithFigures(counts, directory: nil)
        for unit in units {
            #expect(Self.cell(built.table, unit.id, .observed) == "")
            #expect(Self.cell(built.table, unit.id, .isr) == "")
            #expect(Self.cell(built.table, unit.id, .isrFlagOD) == "")
            #expect(Self.cell(built.table, unit.id, .flag) != "")
            #expect(Self.cell(built.table, unit.id, .note) == OrganisationColumn.Note.caseMixNoStrata)
        }
        #expect(built.figures.caseMixStrata.isEmpty)
        #expect(built.figures.dispersion.filter { $0.kind == .ratio }.allSatisfy { $0.phi == nil })
    }

    // φ and τ² are summary statistics over all organisations, estimated from their exact
    // counts: disclosure control (suppressing 1-7, rounding to 5) changes the published
    // counts but not φ or τ². Twelve organisations in one stratum, three with 1-7
    // non-medical referrals (suppressed) and no count a multiple of 5. Expected values:
    // FunnelPlotR's own funnel_plot() on the exact counts (Fixtures/funnelplotr_overdispersion.csv,
    // cases exact_counts_proportions and exact_counts_ratios, made by
    // scripts/expected/funnelplotr_overdispersion.R from its commit 9020d49), whose target
    // for proportions is Σ numerators / Σ denominators (372/1240), to the manifest's 6
    // significant digits. From the published counts around the published overall share
    // (the rule before) φ differs: the check below shows the test can tell.
    @Test func dispersionFromExactCounts() throws {
        let exact: [(n: Int, d: Int)] = [
            (23, 61), (4, 38), (57, 212), (11, 49), (6, 17), (88, 240), (31, 133), (2, 9), (46, 101), (19, 166), (73, 188), (12, 26),
        ]
        var counts = OrganisationCounts()
        for (k, unit) in exact.enumerated() { Self.add(&counts, String(format: "A%05d", 10001 + k), referrals: unit.d, nonMedical: unit.n) }
        let on = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))
        let controlled = on.buildWithFigures(counts, directory: nil)
        let plain = Self.off.buildWithFigures(counts, directory: nil)
        // The published counts differ: A10002's 4 is suppressed, A10001's 23 of 61 published as 25 of 60.
        #expect(Self.cell(controlled.table, "A10002", .numerator) == "")
        #expect(Self.cell(controlled.table, "A10001", .numerator) == "25" && Self.cell(controlled.table, "A10001", .denominator) == "60")
        #expect(controlled.figures.dispersion == plain.figures.dispersion)
        func estimate(_ figures: OrganisationFunnelFigures, _ kind: Overdispersion.Scale) throws -> OrganisationFunnelFigures.Dispersion {
            try #require(figures.dispersion.first { $0.indicator == "non_medical_share" && $0.kind == kind })
        }
        let cases = try OverdispersionTests.cases()
        for (kind, name, units) in [(Overdispersion.Scale.proportion, "exact_counts_proportions", 12), (.ratio, "exact_counts_ratios", 10)] {
            let figure = try estimate(controlled.figures, kind)
            let fixture = try #require(cases[name]?.rows.first)
            let phi = try #require(figure.phi), tau2 = try #require(figure.tau2)
            let expectedPhi = try #require(fixture.number("phi")), expectedTau2 = try #require(fixture.number("tau2"))
            #expect(abs(phi - expectedPhi) <= 5e-6 * expectedPhi, "\(name) phi \(phi) vs \(expectedPhi)")
            #expect(abs(tau2 - expectedTau2) <= 5e-6 * expectedTau2, "\(name) tau2 \(tau2) vs \(expectedTau2)")
            #expect(figure.units == units)
        }
        // The published counts (suppressed rows left out) around the published overall share give another φ.
        let published = exact.compactMap { unit -> (numerator: Double, denominator: Double)? in
            let share = DisclosureControl.share(Int64(unit.n), of: Int64(unit.d), enabled: true, suppressUpTo: 7, roundTo: 5)
            guard let n = share.numerator, let d = share.denominator else { return nil }
            return (Double(n), Double(d))
        }
        #expect(published.count == 9)
        let overall = try #require(Double(Self.cell(controlled.table, "A10001", .overall))) / 100
        let fromPublished = try #require(Overdispersion(units: published, target: overall, scale: .proportion))
        #expect(abs(fromPublished.phi - (try estimate(controlled.figures, .proportion).phi ?? 0)) > 0.01)
    }

    // With disclosure control on, φ and τ² from exact counts need three organisations (two
    // could give back their exact counts); without it, two are enough (FunnelPlotR's least).
    @Test func dispersionNeedsThreeOrganisationsUnderDisclosureControl() throws {
        var counts = OrganisationCounts()
        Self.add(&counts, "A10001", referrals: 61, nonMedical: 23)
        Self.add(&counts, "A10002", referrals: 212, nonMedical: 57)
        let on = OrganisationTableBuilder(disclosure: DisclosureSettings(enabled: true, suppressUpTo: 7, roundTo: 5))
        func proportionPhi(_ builder: OrganisationTableBuilder) -> Double? {
            builder.buildWithFigures(counts, directory: nil).figures.dispersion.first { $0.indicator == "non_medical_share" && $0.kind == .proportion }?.phi
        }
        #expect(proportionPhi(on) == nil)
        #expect(proportionPhi(Self.off) != nil)
        #expect(Self.cell(on.build(counts, directory: nil), "A10001", .lower95OD) == "")
        Self.add(&counts, "A10003", referrals: 49, nonMedical: 11)
        #expect(proportionPhi(on) != nil)
        #expect(proportionPhi(on) == proportionPhi(Self.off))
    }
}
