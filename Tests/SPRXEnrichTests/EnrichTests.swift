import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXEnrich

@Suite(.serialized, .timeLimit(.minutes(10))) struct EnrichTests {
    static let defaultRules: EnrichRules = {
        let config = try! PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        return EnrichRules(reference: try! ReferenceData.load(config.enrich), ageBands: config.enrich.ageBands)
    }()

    func enrich(_ code: String, rules: EnrichRules = defaultRules) -> (Enrichment, AreaMatchCounts?) {
        rules.enrich(area: ShortCode(code), age: 40)
    }

    // Expected values: shared/reference/README.md spot checks (official publications).
    @Test func eachNationsOwnIndex() {
        let jaywick = enrich("E01021988").0  // IoD2019 rank 1, decile 1; RUC11 D1 Rural town and fringe
        #expect(jaywick.nation == .england && jaywick.decile == 1 && jaywick.quintile == 1 && jaywick.rurality == .rural)
        let jaywickClass = Self.defaultRules.reference.info(ShortCode("E01021988")!)?.ruralityClass ?? -1
        #expect(Self.defaultRules.reference.ruralityClasses[Int(jaywickClass)] == "Rural town and fringe")
        let cityOfLondon = enrich("E01000001").0  // IoD2019 decile 9, RUC11 A1 Urban major conurbation
        #expect(cityOfLondon.decile == 9 && cityOfLondon.quintile == 5 && cityOfLondon.rurality == .urban)
        let rhyl = enrich("W01000240").0  // WIMD 2019 rank 1 of 1909 → decile 1
        #expect(rhyl.nation == .wales && rhyl.decile == 1)
        let greenock = enrich("S01010891").0  // SIMD 2020v2 rank 1 → decile 1
        #expect(greenock.nation == .scotland && greenock.decile == 1 && greenock.rurality == .urban)
        let strabane = enrich("95ZZ06W1").0  // NIMDM 2017 rank 1 → decile 1
        #expect(strabane.nation == .northernIreland && strabane.decile == 1)
        let aldergrove2 = enrich("95AA01S2").0  // NISRA 2015: Mixed urban/rural; NIMDM rank 749 → ceil(7490/890) = 9
        #expect(aldergrove2.rurality == .mixed && aldergrove2.decile == 9)
        let culter = enrich("S01006506").0  // SIMD rank 4691 → ceil(46910/6976) = 7; SGURC 3 Accessible Small Towns
        #expect(culter.decile == 7 && culter.rurality == .urban)
    }

    @Test func unknownAndUnmatchedCodes() {
        let (none, c0) = Self.defaultRules.enrich(area: nil, age: 40)
        #expect(none.nation == .unknown && none.decile == 0 && c0?.unknownArea == 1)
        let (notUK, c1) = enrich("X99999999")
        #expect(notUK.nation == .unknown && c1?.unknownArea == 1)
        // A 2021-only LSOA code is not in the 2011-based IoD2019: England, decile Unknown.
        let (lsoa21, c2) = enrich("E01035000")
        #expect(lsoa21.nation == .england && lsoa21.decile == 0 && lsoa21.rurality == .unknown)
        #expect(c2?.unmatchedDeprivation[0] == 1 && c2?.unmatchedRurality[0] == 1)
    }

    @Test func lsoa2021PipelineUsesIoD2025() throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity-lsoa21.yaml")
        let rules = EnrichRules(reference: try ReferenceData.load(config.enrich), ageBands: config.enrich.ageBands)
        #expect(enrich("E01021988", rules: rules).0.decile == 1)  // IoD2025 rank 1 (README spot check)
        #expect(enrich("E01000001", rules: rules).0.decile == 8)  // IoD2025 decile 8 (file row 1)
        #expect(rules.reference.files.contains { $0.name == "imd2025_england_lsoa21.csv.gz" })
    }

    @Test func ageBandEdges() {
        let rules = Self.defaultRules
        let label = { (age: Int16) -> String in
            let band = Int(rules.ageBand(age))
            return band < rules.ageBands.count ? rules.ageBands[band].label : "Unknown"
        }
        #expect(label(0) == "0-17" && label(17) == "0-17" && label(18) == "18-24" && label(24) == "18-24")
        #expect(label(25) == "25-34" && label(84) == "75-84" && label(85) == "85+" && label(120) == "85+")
        #expect(label(-1) == "Unknown")
    }

    @Test func referenceFilesRecordedWithHashes() {
        let files = Self.defaultRules.reference.files
        // sha256 values from shared/reference/README.md.
        #expect(files.first { $0.name == "imd2019_england_lsoa11.csv.gz" }?.sha256 == "b403db1fe0a3a185f222f19e5c0d8df44470b68c327231c9342be103dcef0945")
        #expect(files.first { $0.name == "simd2020v2_scotland_dz11.csv.gz" }?.rows == 6976)
        #expect(files.first { $0.name == "ruc2011_ew_lsoa11.csv.gz" }?.use == "rurality England, rurality Wales")
    }
}
