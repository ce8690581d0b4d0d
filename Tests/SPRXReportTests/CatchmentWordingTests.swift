import Foundation
import SPRXAggregate
import SPRXCore
import SPRXModels
import SPRXPipeline
import Testing

@testable import SPRXReport

/// Page 1's wording for a local service's export (issue 25, a new user's trial): a
/// catchment of local authorities is named instead of a nation; the deprivation finding
/// says whether its intervals overlap; fields not recorded are named in sentences that
/// read. Every expected sentence is written by hand from the hand-built rows below.
@Suite(.timeLimit(.minutes(10))) struct CatchmentWordingTests {
    /// A Sheffield-like rates table: one nation, 1,665 referrals over 2 years of 584,853
    /// residents, crude rate 2.85 (2.77–2.93) per 1,000 per year (values as published).
    static func rates(wales: Bool = false) -> PublishedTable {
        var rows = [
            ReachFixture.rate("all", "all", referrals: 1_665, population: 584_853, crude: (2.85, 2.77, 2.93)),
            ReachFixture.rate("nation", "England", referrals: 1_665, population: 584_853, crude: (2.85, 2.77, 2.93)),
        ]
        if wales { rows.append(ReachFixture.rate("nation", "Wales", referrals: 290, population: 95_330, crude: (1.52, 1.35, 1.71))) }
        return PublishedTable(.ratesByGroup, rows: rows)
    }

    /// The fixture's route table (England/1 non-medical 18.37% (15.19–22.04), England/5
    /// 12.36% (9.62–15.74): the intervals overlap) with the rates above.
    static func numbers(wales: Bool = false) -> ReportNumbers {
        ReportNumbers(tables: fixtureTables + [rates(wales: wales)])
    }

    static func context(_ authorities: [String]) -> ReportContext {
        var context = fixtureContext
        context.warnings = []
        context.catchmentAuthorities = authorities
        return context
    }

    @Test func aCatchmentOfOneAuthorityIsNamedNotTheNation() throws {
        let numbers = Self.numbers(), context = Self.context(["Sheffield"])
        let reach = try #require(Report.reachFinding(numbers, context))
        #expect(
            reach.here
                == "Referrals per 1,000 residents of the catchment (Sheffield) per year (95% interval): 2.85 (2.77–2.93). The catchment is the small areas of the local authority Sheffield the pipeline names."
        )
        let deprivation = try #require(Report.deprivationFinding(numbers, context))
        #expect(
            deprivation.here
                == "Of the referrals in this data from the most deprived fifth of areas in England, 18% (95% interval 15–22%) came through non-medical routes, against 12% (95% interval 10–16%) from the least deprived fifth: their 95% intervals overlap, so this is no clear difference."
        )
        let summary = try #require(ReportStructureTests.section("summary", in: Report.html(tables: fixtureTables + [Self.rates()], context: context)))
        #expect(!summary.contains("In England") && !summary.contains("England 2.85"))
    }

    @Test func aCatchmentAcrossTwoNationsGivesEachNationsRate() throws {
        let numbers = Self.numbers(wales: true), context = Self.context(["Sheffield", "Denbighshire"])
        let reach = try #require(Report.reachFinding(numbers, context))
        #expect(
            reach.here
                == "Referrals per 1,000 residents of the catchment (Sheffield and Denbighshire) per year (95% interval), by nation: England 2.85 (2.77–2.93); Wales 1.52 (1.35–1.71). The catchment is the small areas of the local authorities Sheffield and Denbighshire the pipeline names."
        )
        let deprivation = try #require(Report.deprivationFinding(numbers, context))
        // The fifths are England's and the referrals all of the data's from them, inside the
        // catchment or not: the catchment is not named (a trial's catchment sentence
        // counted referrals from neighbouring authorities).
        #expect(deprivation.here.hasPrefix("Of the referrals in this data from the most deprived fifth of areas in England, 18% (95% interval 15–22%)"))
    }

    /// `every_area` keeps the nation's wording.
    @Test func everyAreaNamesTheNation() throws {
        let numbers = Self.numbers(), context = Self.context([])
        let reach = try #require(Report.reachFinding(numbers, context))
        #expect(
            reach.here
                == "Referrals per 1,000 residents per year (95% interval): England 2.85 (2.77–2.93). Rates are of the residents of the small areas the referrals come from."
        )
        let deprivation = try #require(Report.deprivationFinding(numbers, context))
        #expect(deprivation.here.hasPrefix("Of the referrals in this data from the most deprived fifth of areas in England, 18% (95% interval 15–22%)"))
    }

    /// Intervals 46.01–53.99 and 13.91–19.84 (Wilson, 300/600 and 100/600, by hand) do not overlap.
    @Test func separateIntervalsAreSaidNotToOverlap() throws {
        let header = ["dimension", "group", "route_type", "n", "total", "percent", "ci_low", "ci_high", "suppressed", "disclosure_control"]
        let routes = typedTable(
            "route_type_by_group", header: header,
            rows: [
                ["nation/imd_quintile", "England/1", "non_medical", "300", "600", "50.00", "46.01", "53.99", "FALSE", "on"],
                ["nation/imd_quintile", "England/5", "non_medical", "100", "600", "16.67", "13.91", "19.84", "FALSE", "on"],
            ])
        let finding = try #require(Report.deprivationFinding(ReportNumbers(tables: [routes]), Self.context([])))
        #expect(
            finding.here
                == "Of the referrals in this data from the most deprived fifth of areas in England, 50% (95% interval 46–54%) came through non-medical routes, against 17% (95% interval 14–20%) from the least deprived fifth: their 95% intervals do not overlap."
        )
    }

    @Test func namesAreListedAsASentenceListsThem() {
        #expect(ReportContext.listed(["Sheffield"]) == "Sheffield")
        #expect(ReportContext.listed(["A", "B"]) == "A and B")
        #expect(ReportContext.listed(["A", "B", "C"]) == "A, B and C")
        #expect(PopulationCatchment.localAuthorities(["Sheffield"]).description == "the small areas of the local authority Sheffield")
        #expect(PopulationCatchment.localAuthorities(["A", "B"]).description == "the small areas of the local authorities A and B")
    }

    /// Each field not recorded starts a sentence with its name in words, never its code.
    @Test(arguments: CanonicalField.allCases)
    func aFieldNotRecordedIsNamedInWords(field: CanonicalField) throws {
        var context = Self.context([])
        context.recording = FieldRecording(notRecorded: [field], files: 1)
        let sentence = try #require(Report.notRecordedSentences(context).first)
        #expect(!sentence.contains("_") && sentence.first?.isUppercase == true, "\(sentence)")
        #expect(sentence.hasPrefix(Report.capitalised(DisplayNames.fieldSubject(field)) + " is not recorded in this export"))
        let note = try #require(Report.fieldNoteText("not_recorded:" + field.rawValue))
        #expect(!note.contains("_") && note.hasSuffix(" is not recorded in this export"), "\(note)")
    }

    @Test func interventionsNotRecordedReads() throws {
        var context = Self.context([])
        context.recording = FieldRecording(notRecorded: [.interventions], files: 1)
        #expect(
            Report.notRecordedSentences(context)
                == [
                    "The number of interventions is not recorded in this export: the share that received at least one intervention is not shown anywhere (it is not zero), nor its trends or funnel plots."
                ])
        #expect(Report.fieldNoteText("not_recorded:referral_reasons") == "the referral reason is not recorded in this export")
    }

    /// The fixture's route model, its most against least deprived odds ratio 1.77
    /// (1.22–2.57) "higher"; the same row with its interval widened to 0.90–2.57 (it
    /// then includes 1) is "about the same … as", never "about the same … than".
    @Test func anOddsRatioWhoseIntervalIncludesOneIsAboutTheSameAs() throws {
        let models = try readTable("\(snapshots)/fixture/models.csv")
        let label = Labels(overrides: [:])
        let higher = try #require(Report.modelFinding(ReportNumbers(tables: fixtureTables), fixtureContext, label))
        #expect(
            higher.here
                == "Adjusted for the model's other covariates, the odds of a non-medical route were higher for referrals from the most deprived fifth of areas than from the least deprived fifth: odds ratio 1.77 (95% interval 1.22–2.57)."
        )
        var rows = models.rows
        let index = try #require(
            rows.firstIndex {
                $0[ModelColumn.model].string == "route_nonmedical" && $0[ModelColumn.term].string == "imd_quintile" && $0[ModelColumn.level].string == "1"
            })
        rows[index][ModelColumn.ciLow.index] = .significant(0.9, digits: 8)
        let widened = PublishedTable(models.schema, rows: rows)
        let same = try #require(Report.modelFinding(ReportNumbers(tables: fixtureTables.filter { $0.name != "models" } + [widened]), fixtureContext, label))
        #expect(
            same.here
                == "Adjusted for the model's other covariates, the odds of a non-medical route were about the same for referrals from the most deprived fifth of areas as from the least deprived fifth (the interval includes 1): odds ratio 1.77 (95% interval 0.90–2.57)."
        )
    }

    @Test func printNoteAndQualityIntroRead() {
        #expect(Report.printNote.hasPrefix("In print, the longer tables are left out: "))
        #expect(Report.qualityIntro.contains("(all its rows)") && !Report.qualityIntro.contains("its all rows"))
    }
}
