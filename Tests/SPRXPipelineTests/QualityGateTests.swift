import SPRXCore
import Testing

@testable import SPRXPipeline

/// The quality gates' evaluation: a pure function of a run's figures. Every expected
/// share and message below is calculated by hand from the figures in the test.
@Suite(.timeLimit(.minutes(10))) struct QualityGateTests {
    /// Every gated field with the same figures.
    func fields(clean: Int, unknown: Int = 0, unmapped: Int = 0) -> [CanonicalField: FieldQualityFigures] {
        Dictionary(
            uniqueKeysWithValues: QualityGates.gatedFields.map { ($0, FieldQualityFigures(cleanReferrals: clean, unknown: unknown, unmapped: unmapped)) })
    }

    @Test func aRunWithNoCleanRowsFailsTheDefaultGates() {
        // 40 rows read, all 40 quarantined: 0 clean < 1; 40/40 = 100% > 50%.
        let failed = QualityGates().evaluate(QualityFigures(rowsRead: 40, cleanRows: 0, quarantinedRows: 40, fields: fields(clean: 0)))
        #expect(failed.map(\.gate) == ["min_clean_rows", "max_quarantined_share"])
        #expect(failed[0].figure == 0 && failed[0].limit == 1)
        #expect(failed[0].message == "quality gate min_clean_rows failed: 0 clean rows, fewer than the 1 required")
        #expect(failed[1].figure == 1 && failed[1].limit == 0.5)
        #expect(failed[1].message == "quality gate max_quarantined_share failed: 40 of 40 rows read were quarantined (100.0%), more than the limit 50.0%")
    }

    @Test func anEmptyInputFailsOnlyMinCleanRows() {
        // 0 rows read: no share has a denominator, so only min_clean_rows is evaluated.
        let failed = QualityGates().evaluate(QualityFigures(rowsRead: 0, cleanRows: 0, quarantinedRows: 0))
        #expect(failed.map(\.gate) == ["min_clean_rows"])
    }

    @Test func aHealthyRunPassesTheDefaults() {
        // 1000 read, 990 clean, 10 quarantined (1%); per field 300 unknown (30%), 20 unmapped (2.02%).
        let figures = QualityFigures(rowsRead: 1000, cleanRows: 990, quarantinedRows: 10, fields: fields(clean: 990, unknown: 300, unmapped: 20))
        #expect(QualityGates().evaluate(figures).isEmpty)
    }

    @Test func aShareEqualToItsLimitPasses() {
        // 500 of 1000 quarantined = exactly 0.5; 3 of 10 unmapped = 0.3 (the nearest double to 0.3 both ways).
        let gates = QualityGates(maxUnmappedShare: [.sex: 0.3])
        let figures = QualityFigures(
            rowsRead: 1000, cleanRows: 500, quarantinedRows: 500, fields: [.sex: FieldQualityFigures(cleanReferrals: 10, unknown: 3, unmapped: 3)])
        #expect(gates.evaluate(figures).isEmpty)
        // One more quarantined row: 501/1000 = 50.1% > 50%.
        let over = QualityFigures(rowsRead: 1000, cleanRows: 499, quarantinedRows: 501)
        #expect(gates.evaluate(over).map(\.gate) == ["max_quarantined_share"])
        #expect(gates.evaluate(over)[0].message.contains("501 of 1,000 rows read were quarantined (50.1%)"))
    }

    @Test func unmappedSexFailsItsOwnGateOnly() {
        // The example of issue 14: every sex label unmapped. 200 clean referrals, sex
        // unmapped and so unknown for 200 (100% > 50% unmapped; unknown gate off by default).
        var perField = fields(clean: 200, unknown: 10, unmapped: 1)
        perField[.sex] = FieldQualityFigures(cleanReferrals: 200, unknown: 200, unmapped: 200)
        let failed = QualityGates().evaluate(QualityFigures(rowsRead: 205, cleanRows: 200, quarantinedRows: 5, fields: perField))
        #expect(failed.map(\.gate) == ["max_unmapped_share.sex"])
        #expect(failed[0].figure == 1 && failed[0].limit == 0.5)
        #expect(
            failed[0].message == "quality gate max_unmapped_share.sex failed: sex unmapped for 200 of 200 clean referrals (100.0%), more than the limit 50.0%")
    }

    @Test func perFieldLimitsAndTheOrderOfFailures() {
        // Limits: unknown 0.2 for every field but area_code 0.6; unmapped 0.1 for referral_source.
        var unknown = Dictionary(uniqueKeysWithValues: QualityGates.gatedFields.map { ($0, 0.2) })
        unknown[.areaCode] = 0.6
        let gates = QualityGates(minCleanRows: 100, maxQuarantinedShare: 0.05, maxUnknownShare: unknown, maxUnmappedShare: [.referralSource: 0.1])
        let figures = QualityFigures(
            rowsRead: 80, cleanRows: 64, quarantinedRows: 16,  // 16/80 = 20% > 5%; 64 < 100
            fields: [
                .sex: FieldQualityFigures(cleanReferrals: 64, unknown: 12, unmapped: 0),  // 18.75% ≤ 20%
                .ethnicity: FieldQualityFigures(cleanReferrals: 64, unknown: 16, unmapped: 2),  // 25% > 20%
                .referralSource: FieldQualityFigures(cleanReferrals: 64, unknown: 8, unmapped: 8),  // 12.5% ≤ 20%; 12.5% > 10%
                .areaCode: FieldQualityFigures(cleanReferrals: 64, unknown: 32, unmapped: 0),  // 50% ≤ 60%
                .contacted: FieldQualityFigures(cleanReferrals: 64, unknown: 64, unmapped: 33),  // 100% > 20%; 51.5625% > 50%
            ])
        let failed = gates.evaluate(figures)
        #expect(
            failed.map(\.gate) == [
                "min_clean_rows", "max_quarantined_share", "max_unknown_share.ethnicity", "max_unmapped_share.referral_source",
                "max_unknown_share.contacted", "max_unmapped_share.contacted",
            ])
        #expect(failed[1].figure == 0.2)
        #expect(failed[2].figure == 0.25 && failed[2].limit == 0.2)
        #expect(
            failed[2].message
                == "quality gate max_unknown_share.ethnicity failed: ethnicity unknown for 16 of 64 clean referrals (25.0%), more than the limit 20.0%")
        #expect(failed[3].figure == 0.125 && failed[3].limit == 0.1)
        #expect(failed[5].figure == 0.515625)
        #expect(failed[5].message.contains("(51.6%), more than the limit 50.0%"))
        #expect(failed[0].message == "quality gate min_clean_rows failed: 64 clean rows, fewer than the 100 required")
    }

    @Test func switchedOffGatesNeverFail() {
        // min_clean_rows 0 and shares of 1: nothing can fail, even an empty run.
        let all = Dictionary(uniqueKeysWithValues: QualityGates.gatedFields.map { ($0, 1.0) })
        let gates = QualityGates(minCleanRows: 0, maxQuarantinedShare: 1, maxUnknownShare: all, maxUnmappedShare: all)
        #expect(gates.evaluate(QualityFigures(rowsRead: 10, cleanRows: 0, quarantinedRows: 10, fields: fields(clean: 0))).isEmpty)
        #expect(gates.evaluate(QualityFigures(rowsRead: 10, cleanRows: 10, quarantinedRows: 0, fields: fields(clean: 10, unknown: 10, unmapped: 10))).isEmpty)
    }

    @Test func theErrorNamesEveryFailedGateWithTheQualityGateCode() {
        let failed = QualityGates().evaluate(QualityFigures(rowsRead: 3, cleanRows: 0, quarantinedRows: 3))
        let error = QualityGates.error(for: failed, pipelineFile: "Pipelines/referral-equity.yaml")
        #expect(error.code == .qualityGate)
        #expect(error.location?.file == "Pipelines/referral-equity.yaml")
        #expect(error.message.hasPrefix("the run failed 2 quality gates"))
        #expect(error.message.contains("\n  quality gate min_clean_rows failed: 0 clean rows"))
        #expect(error.message.contains("\n  quality gate max_quarantined_share failed: 3 of 3 rows read"))
    }

    /// The error's "Next:" line says where each failed field's labels go: a declared
    /// dimension's under `dimensions: NAME: levels:`, a route's under `routes:`, sex's
    /// under `labels: sex:` (audit 26 gap 7: it said routes, reasons and labels for a
    /// dimension). Figures by hand: 60 of 100 unmapped, over the default 50%.
    @Test func theNextLineNamesWhereEachFailedFieldsLabelsGo() {
        var gates = QualityGates()
        gates.declare(dimensions: ["disability"])
        var figures = QualityFigures(rowsRead: 100, cleanRows: 100, quarantinedRows: 0)
        figures.dimensions["disability"] = FieldQualityFigures(cleanReferrals: 100, unknown: 60, unmapped: 60)
        let dimension = QualityGates.error(for: gates.evaluate(figures), pipelineFile: "p.yaml").message
        #expect(dimension.contains("for disability, add each to a level's list under dimensions: disability: levels:"), "\(dimension)")
        #expect(!dimension.contains("(routes, reasons, labels"), "\(dimension)")
        figures.dimensions = [:]
        figures.fields = [
            .referralSource: FieldQualityFigures(cleanReferrals: 100, unknown: 60, unmapped: 60),
            .sex: FieldQualityFigures(cleanReferrals: 100, unknown: 60, unmapped: 60),
        ]
        let fields = QualityGates.error(for: gates.evaluate(figures), pipelineFile: "p.yaml").message
        #expect(
            fields.contains(
                "for unmapped labels, for sex, add each to labels: sex:; for referral_source, add each to the labels of a route under routes:;"),
            "\(fields)")
        // No unmapped gate failed: the lists in general, a dimension's levels among them.
        let none = QualityGates.error(for: QualityGates().evaluate(QualityFigures(rowsRead: 3, cleanRows: 0, quarantinedRows: 3)), pipelineFile: "p.yaml")
        #expect(none.message.contains("add them to the pipeline's lists (routes, reasons, labels, a dimension's levels)"))
    }

    @Test func percentagesAreRoundedToOneDecimal() {
        #expect(QualityGates.percent(0.615) == "61.5%")
        #expect(QualityGates.percent(1.0 / 3) == "33.3%")
        #expect(QualityGates.percent(0.0004) == "0.0%")
        #expect(QualityGates.percent(0) == "0.0%")
        #expect(QualityGates.percent(1) == "100.0%")
    }
}
