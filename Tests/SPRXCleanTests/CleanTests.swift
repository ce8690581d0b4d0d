import Foundation
import SPRXCore
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// Cleans CSV text (header + rows) with a pipeline; returns outcomes and the processor.
func clean(_ csv: String, pipeline name: String = "referral-equity.yaml") throws -> ([CleanOutcome], CleanProcessor) {
    try clean(csv, configuration: try PipelineLoader.load(path: "\(packageRoot)/Pipelines/\(name)"))
}

/// Cleans CSV text (header + rows) with a loaded pipeline.
func clean(_ csv: String, configuration config: PipelineConfiguration) throws -> ([CleanOutcome], CleanProcessor) {
    let bytes = Array(csv.utf8)
    final class Source: ByteSource {
        var bytes: [UInt8]
        init(_ b: [UInt8]) { bytes = b }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, bytes.count)
            buffer.copyBytes(from: bytes[0..<n])
            bytes.removeFirst(n)
            return n
        }
    }
    let reader = RowBlockReader(source: Source(bytes), fileName: "t.csv")
    let header = try #require(try reader.readHeader())
    let layout = try ColumnLayout(header: header.names, pipeline: config, file: "t.csv")
    let processor = CleanProcessor(rules: CleanRules(pipeline: config), layout: layout)
    var outcomes: [CleanOutcome] = []
    var blank = 0
    while let block = try reader.next() {
        block.bytes.withUnsafeBytes { raw in
            CSVBlockDecoder.forEachRow(in: raw, firstLine: block.firstLine, scratch: CSVDecodeScratch(), blankLines: &blank) {
                outcomes.append(processor.process($0))
            }
        }
    }
    return (outcomes, processor)
}

/// The shipped default pipeline with `section` (top-level YAML) inserted before its
/// `dates:` section, parsed as if read from `/tmp/test.yaml`.
func shippedPipeline(adding section: String) throws -> PipelineConfiguration {
    let text = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
    let yaml = text.replacingOccurrences(of: "\ndates:\n", with: "\n" + section + "dates:\n")
    return try PipelineLoader.parse(yaml: yaml, path: "test.yaml", baseDirectory: "/tmp")
}

let header =
    "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id\n"

func reason(_ outcome: CleanOutcome) -> (QuarantineReason, String?)? {
    if case .quarantined(let reason, let column) = outcome { return (reason, column) }
    return nil
}

func record(_ outcome: CleanOutcome) -> ReferralRecord? {
    if case .clean(let record, _) = outcome { return record }
    return nil
}

@Suite(.timeLimit(.minutes(10))) struct CleanStageTests {
    @Test func everyQuarantineReasonTheContractNames() throws {
        // One row per rule of referral-extract-v1.md, "What makes a row invalid".
        let rows = [
            "1,P1,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // clean
            "2,P2,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1",  // field_count (12 fields)
            "3,,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // missing person_id
            "4,P4,2021-02-30,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // invalid date
            "5,P5,2009-12-31,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // before the window
            "6,P6,2021-03-04,121,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // age > 120
            "7,P7,2021-03-04,4.5,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // age not integer
            "8,P8,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,-1,1,U00001",  // contacts < 0
            "9,P9,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,x,U00001",  // interventions not integer
            " ,P10,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001",  // missing referral_id (spaces only)
            "11,P11,2021-03-04,,F,White,E01021988,GP,Anxiety,Y,,,U00001",  // optional numbers empty: clean
        ]
        let (outcomes, _) = try clean(header + rows.joined(separator: "\n") + "\n")
        #expect(outcomes.count == rows.count)
        #expect(record(outcomes[0]) != nil)
        #expect(reason(outcomes[1])?.0 == .fieldCount)
        #expect(reason(outcomes[2])?.0 == .missingRequired && reason(outcomes[2])?.1 == "person_id")
        #expect(reason(outcomes[3])?.0 == .invalidDate && reason(outcomes[3])?.1 == "referral_date")
        #expect(reason(outcomes[4])?.0 == .dateOutOfWindow)
        #expect(reason(outcomes[5])?.0 == .invalidAge && reason(outcomes[5])?.1 == "age")
        #expect(reason(outcomes[6])?.0 == .invalidAge)
        #expect(reason(outcomes[7])?.0 == .invalidContacts)
        #expect(reason(outcomes[8])?.0 == .invalidInterventions && reason(outcomes[8])?.1 == "interventions")
        #expect(reason(outcomes[9])?.0 == .missingRequired && reason(outcomes[9])?.1 == "referral_id")
        let r11 = try #require(record(outcomes[10]))
        #expect(r11.age == -1 && r11.contacts == -1 && r11.interventions == -1)
    }

    @Test func invalidUTF8AndUnterminatedQuote() throws {
        var bytes = Array((header + "1,P\u{1},2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001\n").utf8)
        bytes[bytes.firstIndex(of: 0x01)!] = 0xE9
        bytes += Array("2,P2,2021-03-04,40,F,White,E01021988,GP,\"Anxiety,Y,2,1,U00001\n".utf8)
        // Decode the raw bytes directly (String would repair the invalid byte).
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let layout = try ColumnLayout(header: CSVTable.fields(header), pipeline: config, file: "t")
        let processor = CleanProcessor(rules: CleanRules(pipeline: config), layout: layout)
        let body = Array(bytes[header.utf8.count...])
        var results: [CleanOutcome] = []
        var blank = 0
        body.withUnsafeBytes { raw in
            CSVBlockDecoder.forEachRow(in: raw, firstLine: 2, scratch: CSVDecodeScratch(), blankLines: &blank) {
                results.append(processor.process($0))
            }
        }
        #expect(reason(results[0])?.0 == .invalidEncoding && reason(results[0])?.1 == "person_id")
        #expect(reason(results[1])?.0 == .unterminatedQuote)
    }

    @Test func labelsMatchIgnoringCaseAndSpaces() throws {
        let rows = [
            "1,P1,04/03/2021,40,  female ,white,e01021988,  general   practice ,LOW MOOD; debt ;Housing,yes,2,1,u00001",
            "2,P2,2021-03-04T10:15:00Z,17,1,H,S01010891,Self referral,Carer support,false,0,0,U00002",
            "3,P3,4/3/2021,85,Not Known,99,95ZZ06W1,Walk-in centre,Transport;Bereavement,,3,0,U00003",
        ]
        let (outcomes, processor) = try clean(header + rows.joined(separator: "\r\n") + "\r\n")
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let routeIndex = { (id: String) in UInt8(config.routes.firstIndex { $0.id == id }!) }
        let reasonBit = { (id: String) in UInt32(1) << UInt32(config.reasons.firstIndex { $0.id == id }!) }
        let r1 = try #require(record(outcomes[0]))
        #expect(r1.sex == .female && r1.ethnicity == .white && r1.route == routeIndex("primary_care"))
        #expect(r1.reasons == reasonBit("mental_health") | reasonBit("financial") | reasonBit("housing"))
        #expect(r1.contacted == .yes && r1.referralDate == Day(year: 2021, month: 3, day: 4))
        #expect(r1.area == ShortCode("E01021988"))
        let r2 = try #require(record(outcomes[1]))
        #expect(r2.sex == .male && r2.ethnicity == .asian && r2.route == routeIndex("self_referral"))
        #expect(r2.contacted == .no && r2.referralDate == Day(year: 2021, month: 3, day: 4))
        let r3 = try #require(record(outcomes[2]))
        #expect(r3.sex == .unknown && r3.ethnicity == .unknown && r3.route == routeIndex("unknown"))
        #expect(r3.reasons == reasonBit("bereavement"))
        #expect(r3.contacted == .unknown && r3.reachedLinkWorker, "contacts > 0 counts as reached when contacted is empty")
        #expect(processor.unmapped[UnmappedLabel(field: .referralSource, label: "walk-in centre")] == 1)
        #expect(processor.unmapped[UnmappedLabel(field: .referralReasons, label: "transport")] == 1)
    }

    @Test func nhsEthnicCategoryCodes() {
        // NHS Data Dictionary ETHNIC CATEGORY: A-C White, D-G Mixed, H-L Asian, M-P Black, R-S Other, Z/99 unknown.
        let cases: [(String, Ethnicity?)] = [
            ("A", .white), ("C", .white), ("D", .mixed), ("G", .mixed), ("H", .asian), ("L", .asian), ("M", .black), ("P", .black),
            ("R", .other), ("S", .other), ("Z", .unknown), ("99", .unknown), ("T", nil), ("C2", .white), ("British", nil),
        ]
        for (text, expected) in cases {
            let got = Array(text.utf8).withUnsafeBytes { CleanProcessor.nhsEthnicCategory($0) }
            #expect(got == expected, "\(text)")
        }
    }

    @Test func datesInEveryForm() {
        func parse(_ s: String, _ forms: [DateForm] = DateForm.defaults) -> Day? {
            Array(s.utf8).withUnsafeBytes { DateParser.parse($0, forms: forms) }
        }
        let d = Day(year: 2023, month: 11, day: 5)
        #expect(parse("2023-11-05") == d)
        #expect(parse("05/11/2023") == d)
        #expect(parse("5/11/2023") == d)
        #expect(parse("2023-11-05T23:59:59.123+01:00") == d)
        #expect(parse("2023-11-05 08:00") == d)
        #expect(parse("05/11/2023", [.iso]) == nil)
        #expect(parse("2023-11-05T", DateForm.defaults) == nil)
        #expect(parse("2023/11/05") == nil)
        #expect(parse("31/04/2023") == nil)
        #expect(parse("05/11/23") == nil)
    }

    @Test func secondPlatformMapsOntoTheSameRecord() throws {
        let csv = """
            Referral Ref,Client ID,Date of Referral,Age at Referral,Gender,Ethnic Category,LSOA,Referral Source,Reason(s) for Referral,Contact Made,Number of Contacts,Interventions Received,Scheme Code,Exported At
            CB-1,C1,04/03/2021,40,Female,M,W01000240,GP Surgery,Isolation | Money / Debt,Yes,2,1,U00009,2025-01-31
            CB-2,C2,2021-03-04,40,Female,M,W01000240,GP Surgery,Isolation,Yes,2,1,U00009,2025-01-31

            """
        let (outcomes, _) = try clean(csv, pipeline: "casebook-export.yaml")
        let r = try #require(record(outcomes[0]))
        #expect(r.sex == .female && r.ethnicity == .black && r.contacted == .yes && r.route == 0)
        #expect(r.reasons == 0b1010)  // loneliness_isolation (1) and financial (3)
        #expect(reason(outcomes[1])?.0 == .invalidDate, "this platform exports DD/MM/YYYY only")
    }

    @Test func missingRequiredHeaderAndAmbiguousHeaders() throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let e1 = #expect(throws: SPRXError.self) {
            try ColumnLayout(header: ["referral_id", "person_id"], pipeline: config, file: "f.csv")
        }
        #expect(e1?.message.contains("referral_date") == true && e1?.location?.file == "f.csv")
        let e2 = #expect(throws: SPRXError.self) {
            try ColumnLayout(header: ["referral_id", "person_id", "referral_date", " Age", "AGE "], pipeline: config, file: "f.csv")
        }
        #expect(e2?.message.contains("'age'") == true)
    }
}
