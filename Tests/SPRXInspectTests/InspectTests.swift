import Foundation
import SPRXCore
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXInspect

/// Writes `text` (or bytes) to a new scratch file and returns its path.
func scratchFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let folder = ScratchFolder.url.appendingPathComponent("sprx-inspect-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Sniffing from raw first bytes. Expected values are the bytes' own definitions: the
/// Unicode byte-order marks (EF BB BF, FF FE, FE FF), 0xE9 alone is not UTF-8 (RFC 3629).
@Suite(.timeLimit(.minutes(10))) struct SniffingTests {
    @Test func commaUTF8WithLF() {
        #expect(ExportSniff.sniff(Array("a,b,c\n1,2,3\n".utf8)) == ExportSniff(encoding: .utf8, delimiter: .comma, lineEnds: .lf))
    }

    @Test func bomSemicolonCRLF() {
        let sniff = ExportSniff.sniff([0xEF, 0xBB, 0xBF] + Array("a;b;c\r\n1;2;3\r\n".utf8))
        #expect(sniff == ExportSniff(encoding: .utf8BOM, delimiter: .semicolon, lineEnds: .crlf))
    }

    @Test func utf16BothByteOrders() {
        let text = "a\tb\tc\r\n"
        let le: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(ExportSniff.sniff(le) == ExportSniff(encoding: .utf16LE, delimiter: .tab, lineEnds: .crlf))
        #expect(ExportSniff.sniff(be) == ExportSniff(encoding: .utf16BE, delimiter: .tab, lineEnds: .crlf))
        #expect(SniffedEncoding.utf16LE.pipelineValue == "utf-16")
    }

    @Test func carriageReturnOnlyAndBars() {
        #expect(ExportSniff.sniff(Array("a|b|c\r1|2|3\r".utf8)) == ExportSniff(encoding: .utf8, delimiter: .bar, lineEnds: .cr))
    }

    /// Delimiters inside a quoted header cell do not count: two commas outside quotes beat
    /// three semicolons inside them.
    @Test func quotedDelimitersAreIgnored() {
        #expect(ExportSniff.sniff(Array("\"x;y;z;w\",b,c\n".utf8)).delimiter == .comma)
        #expect(ExportSniff.sniff(Array("just one header\n".utf8)).delimiter == .comma)
    }

    @Test func windows1252IsGuessedFromBytesThatAreNotUTF8() {
        // "Café" in Windows-1252: E9 alone is not UTF-8.
        #expect(ExportSniff.sniff(Array("name\nCaf".utf8) + [0xE9, 0x0A]).encoding == .windows1252)
        #expect(SniffedEncoding.windows1252.pipelineValue == "windows-1252")
        // A UTF-8 "é" (C3 A9) cut after its first byte at the end of the sample is still UTF-8.
        #expect(ExportSniff.sniff(Array("name\nCaf".utf8) + [0xC3]).encoding == .utf8)
        #expect(!ExportSniff.isUTF8(Array("Caf".utf8) + [0xC3], allowingCutEnd: false))
    }
}

/// Date candidates. Expected days by hand; the Excel serial from Excel's 1900 date
/// system (serial 1 = 1900-01-01, epoch 1899-12-30: 44382 is 2021-07-05, checked with
/// Python's `date(1899, 12, 30) + timedelta(44382)`).
@Suite(.timeLimit(.minutes(10))) struct DateCandidateTests {
    func parse(_ candidate: DateCandidate, _ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { candidate.parse($0)?.description }
    }

    @Test func eachFormat() {
        #expect(parse(.iso, "2021-07-05") == "2021-07-05")
        #expect(parse(.dayMonthYear, "5/7/2021") == "2021-07-05")
        #expect(parse(.dayMonthYear, "05/07/2021 09:22") == nil)
        #expect(parse(.dayMonthYearTime, "05/07/2021 09:22") == "2021-07-05")
        #expect(parse(.dayMonthYearTime, "05/07/2021 25:22") == nil)
        #expect(parse(.monthDayYear, "7/5/2021") == "2021-07-05")
        #expect(parse(.compact, "20210705") == "2021-07-05")
        #expect(parse(.timestamp, "2021-07-05T09:22:00Z") == "2021-07-05")
        #expect(parse(.excelSerial, "44382") == "2021-07-05")
        #expect(parse(.excelSerial, "44382.75") == "2021-07-05")
        #expect(parse(.excelSerial, "2") == "1900-01-01")
        #expect(parse(.dayMonthYear, "31/02/2021") == nil)
    }

    /// The formats chosen for a column: the best, then each that adds values, never two
    /// readings of the same shape (DD/MM/YYYY and M/D/YYYY).
    @Test func choiceCoversMixedFormsWithoutConflicts() {
        var profile = ColumnProfile(maxDistinct: 100, window: Day(year: 2015, month: 1, day: 1)!...Day(year: 2026, month: 12, day: 31)!)
        for text in ["2021-07-05", "2021-07-06", "2021-07-07", "13/07/2021", "05/07/2021", "2021-07-05T10:00:00Z", "07/31/2021"] {
            Array(text.utf8).withUnsafeBytes { profile.add($0) }
        }
        // YYYY-MM-DD parses 3, DD/MM/YYYY 2, M/D/YYYY 2 (05/07 and 07/31), the timestamp 1.
        #expect(profile.chosenDateFormats == [.iso, .dayMonthYear, .timestamp])
        #expect(profile.datesInWindow == 7)
    }
}

/// Field and label suggestions. Expected fields: the aliases of the shipped
/// `Pipelines/casebook-export.yaml`, written by hand for that platform.
@Suite(.timeLimit(.minutes(10))) struct GuessingTests {
    @Test func casebookHeadersAsItsPipelineMapsThem() throws {
        let pipeline = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/casebook-export.yaml")
        for field in CanonicalField.allCases {
            for header in pipeline.columns[field] ?? [] where header != "NHS Pseudonym" && header != "LSOA Code" {
                #expect(Guessing.field(forHeader: header) == field, "\(header)")
            }
        }
        #expect(Guessing.field(forHeader: "Exported At") == nil)
        #expect(Guessing.field(forHeader: "notes") == nil)
        #expect(Guessing.field(forHeader: "REFERRAL_DATE") == .referralDate)
    }

    @Test func labelsFromTheirWords() {
        #expect(Guessing.value(forLabel: "GP", field: .referralSource) == "primary_care")
        #expect(Guessing.value(forLabel: "Self", field: .referralSource) == "self_referral")
        #expect(Guessing.value(forLabel: "Community Mental Health Team", field: .referralSource) == "secondary_care")
        #expect(Guessing.value(forLabel: "Community Group", field: .referralSource) == "vcse")
        #expect(Guessing.value(forLabel: "Walk-in centre", field: .referralSource) == nil)
        #expect(Guessing.value(forLabel: "M", field: .sex) == "male")
        #expect(Guessing.value(forLabel: "Male", field: .sex) == "male")
        #expect(Guessing.value(forLabel: "Prefer not to say", field: .sex) == "unknown")
        #expect(Guessing.value(forLabel: "Mr Smith", field: .sex) == nil)
        #expect(Guessing.value(forLabel: "Yes", field: .contacted) == "yes")
        #expect(Guessing.value(forLabel: "Drugs / Alcohol", field: .referralReasons) == "substance_use")
        #expect(Guessing.value(forLabel: "White British", field: .ethnicity) == "white")
    }

    @Test func valuesSuggestAreasAndDates() {
        let window = Day(year: 2015, month: 1, day: 1)!...Day(year: 2026, month: 12, day: 31)!
        var areas = ColumnProfile(maxDistinct: 10, window: window)
        var dates = ColumnProfile(maxDistinct: 10, window: window)
        for code in ["E01000001", "W01000001", "S01006506", "95AA01S1", "x"] { Array(code.utf8).withUnsafeBytes { areas.add($0) } }
        for text in ["01/02/2020", "2020-02-01", "soon"] { Array(text.utf8).withUnsafeBytes { dates.add($0) } }
        #expect(Guessing.field(forValues: areas) == .areaCode)
        #expect(Guessing.field(forValues: dates) == .referralDate)
        var practices = ColumnProfile(maxDistinct: 10, window: window)
        for code in ["A81001", "Y02345", "B86007", "unknown"] { Array(code.utf8).withUnsafeBytes { practices.add($0) } }
        #expect(Guessing.field(forValues: practices) == .organisationID)
    }

    /// Header names of GP-system searches, case-management exports and hand-kept
    /// spreadsheets, as the repository's hand-written pipelines map them
    /// (Pipelines/gp-system-search.yaml, case-management-export.yaml, hand-kept-spreadsheet.yaml).
    @Test func headerSynonymsAsTheHandWrittenPipelinesMapThem() throws {
        for file in ["gp-system-search", "case-management-export", "hand-kept-spreadsheet"] {
            let pipeline = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/\(file).yaml")
            for field in CanonicalField.allCases {
                for header in pipeline.columns[field] ?? [] {
                    #expect(Guessing.field(forHeader: header) == field, "\(file): \(header)")
                }
            }
        }
        #expect(Guessing.field(forHeader: "Code") == nil)
        #expect(Guessing.field(forHeader: "Term") == nil)
        #expect(Guessing.field(forHeader: "Date Closed") == nil)
        #expect(Guessing.field(forHeader: "Notes") == nil)
    }

    /// Spellings people type: full stops in abbreviations, symbols, NHS sex codes.
    @Test func labelSpellings() {
        #expect(Guessing.value(forLabel: "G.P.", field: .referralSource) == "primary_care")
        #expect(Guessing.value(forLabel: "Dr", field: .referralSource) == "primary_care")
        #expect(Guessing.value(forLabel: "self-referral", field: .referralSource) == "self_referral")
        #expect(Guessing.value(forLabel: "A&E", field: .referralSource) == "secondary_care")
        #expect(Guessing.value(forLabel: "Jobcentre Plus", field: .referralSource) == "other")
        #expect(Guessing.value(forLabel: "?", field: .referralSource) == "unknown")
        #expect(Guessing.value(forLabel: "Practical help at home", field: .referralReasons) == "practical_support")
        #expect(Guessing.value(forLabel: "\u{A3} worries", field: .referralReasons) == "financial")
        #expect(Guessing.value(forLabel: "MH", field: .referralReasons) == "mental_health")
        #expect(Guessing.value(forLabel: "I", field: .sex) == "other")
        #expect(Guessing.value(forLabel: "Asian British", field: .ethnicity) == "asian")
        #expect(Guessing.value(forLabel: "Black British", field: .ethnicity) == "black")
        #expect(Guessing.value(forLabel: "Other Ethnic Groups - Chinese", field: .ethnicity) == "other")
        #expect(Guessing.value(forLabel: "Closed - No Contact Made", field: .contacted) == "no")
        #expect(Guessing.value(forLabel: "not contacted", field: .contacted) == "no")
        #expect(Guessing.value(forLabel: "Closed - Disengaged", field: .contacted) == "yes")
        #expect(Guessing.value(forLabel: "Awaiting Triage", field: .contacted) == "unknown")
    }

    /// SNOMED CT concept ids are recognised by their check digit and partition, never
    /// given a meaning. Valid ids from the SNOMED CT UK edition: 185362004 (Referred by
    /// general practitioner), 48694002 (Anxiety), 1077201000000101 (UK extension).
    @Test func snomedIdsAreRecognisedNotGuessed() {
        for id in ["185362004", "48694002", "1077201000000101", "108161000000109"] {
            #expect(Guessing.isSNOMEDConceptID(id), "\(id)")
            #expect(Guessing.value(forLabel: id, field: .referralSource) == nil)
        }
        // A changed digit breaks the Verhoeff check; a description id has partition 01.
        for id in ["185362005", "48694003", "20190507", "123", "E01000001"] { #expect(!Guessing.isSNOMEDConceptID(id), "\(id)") }
    }

    /// Separators: one that cuts off a value also seen alone; never `&` inside a label.
    @Test func reasonSeparatorsConfirmedByPiecesSeenAlone() {
        let window = Day(year: 2015, month: 1, day: 1)!...Day(year: 2026, month: 12, day: 31)!
        var mixed = ColumnProfile(maxDistinct: 20, window: window)
        for text in ["MH & isolated/physical health, debt", "isolated", "debt", "MH", "physical health"] {
            Array(text.utf8).withUnsafeBytes { mixed.add($0) }
        }
        #expect(Guessing.reasonSeparator(mixed) == ",/&")
        var joined = ColumnProfile(maxDistinct: 20, window: window)
        for text in ["Drugs & alcohol", "Drugs & alcohol", "Housing; Debt", "Housing", "Debt"] {
            Array(text.utf8).withUnsafeBytes { joined.add($0) }
        }
        #expect(Guessing.reasonSeparator(joined) == ";")
    }
}

/// The privacy rules: labels only for categorical fields, only when seen at least
/// suppress_up_to + 1 = 8 times (outputs-v2's rule for unmapped labels), at most 50,
/// cut to 60 characters and escaped; identifiers and free text never.
@Suite(.timeLimit(.minutes(10))) struct PrivacyRuleTests {
    static func extract() -> String {
        var rows = ["Referral Ref,Gender,Referral Source,Notes"]
        for i in 1...8 { rows.append("ZQXID\(i),Male,GP,ZQXNOTE\(i) lives at 1 High St") }
        for i in 9...15 { rows.append("ZQXID\(i),ZQXRARE,GP,ZQXNOTE\(i)") }  // 7 times: counted, not shown
        let long = String(repeating: "L", count: 70)
        for i in 16...23 { rows.append("ZQXID\(i),\(long),\u{1B}[31mGP,ZQXNOTE\(i)") }
        return rows.joined(separator: "\n") + "\n"
    }

    @Test func rareLabelsAreCountedNotShownAndIdentifiersNever() throws {
        let path = try scratchFile("extract.csv", Array(Self.extract().utf8))
        let report = InspectionReport(try Inspector.inspect(InspectOptions(inputs: [path])))
        let text = report.text()
        let json = try report.json()
        for output in [text, json] {
            #expect(!output.contains("ZQXID") && !output.contains("ZQXNOTE") && !output.contains("ZQXRARE"))
            #expect(!output.contains("\u{1B}"))
        }
        let sex = try #require(report.columns.first { $0.field == "sex" })
        // Equal counts are listed by label.
        #expect(sex.labels?.map(\.label) == [String(repeating: "L", count: 60) + "…", "Male"])
        #expect(sex.rareLabels == 1 && sex.rareValues == 7)
        let source = try #require(report.columns.first { $0.field == "referral_source" })
        #expect(source.labels?.map(\.label) == ["GP", "\\u{1B}[31mGP"])
        // The id and notes columns are profiled (counts) but never show a label.
        for column in report.columns where column.field != "sex" && column.field != "referral_source" { #expect(column.labels == nil) }
    }

    @Test func atMostFiftyLabelsPerField() throws {
        var rows = ["id,sex"]
        for label in 0..<51 { for i in 0..<8 { rows.append("r\(label)-\(i),S\(label)") } }
        let path = try scratchFile("many.csv", Array((rows.joined(separator: "\n") + "\n").utf8))
        let report = InspectionReport(try Inspector.inspect(InspectOptions(inputs: [path])))
        let sex = try #require(report.columns.first { $0.field == "sex" })
        #expect(sex.labels?.count == 50 && sex.moreLabels == 1)
    }
}

/// Drafts, the reader shims and paths.
@Suite(.timeLimit(.minutes(10))) struct DraftTests {
    /// The draft copies the default pipeline's sections word for word.
    @Test func defaultSectionsAreTheDefaultPipelines() throws {
        let shipped = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
        // The one part only the shipped pipeline has: the generated sample's organisation
        // lookup, a comment and a `lookup:` line at the end of the organisations section.
        let marker = try #require(shipped.range(of: "  # The generated sample's organisations"))
        let end = try #require(shipped.range(of: "\n\ndisclosure:", range: marker.lowerBound..<shipped.endIndex))
        let sampleLookup = shipped[marker.lowerBound..<end.lowerBound].split(separator: "\n")
        #expect(sampleLookup.count == 2 && sampleLookup[1].hasPrefix("  lookup: "))
        #expect(shipped.contains(DefaultPipelineText.enrichLookups + "\n" + sampleLookup.joined(separator: "\n") + "\n\ndisclosure:"))
        #expect(shipped.hasSuffix(DefaultPipelineText.fromDisclosure + "\n"))
    }

    @Test func yamlQuoting() {
        #expect(DraftPipeline.quoted("A&E") == "\"A&E\"")
        #expect(DraftPipeline.quoted("say \"hi\" \\ now") == "\"say \\\"hi\\\" \\\\ now\"")
        #expect(DraftPipeline.quoted("a\u{1B}b") == "\"a\\x1Bb\"")
    }

    @Test func aDraftNeverReplacesAFile() throws {
        let path = try scratchFile("extract.csv", Array("referral_id,person_id,referral_date\nr1,p1,2021-01-01\n".utf8))
        let inspection = try Inspector.inspect(InspectOptions(inputs: [path]))
        let existing = try scratchFile("mine.yaml", Array("keep me".utf8))
        #expect(throws: SPRXError.self) { try DraftPipeline.write(inspection, to: existing) }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")
        let draft = URL(fileURLWithPath: existing).deletingLastPathComponent().appendingPathComponent("new.yaml").path
        try DraftPipeline.write(inspection, to: draft)
        // It parses as a pipeline (the loader of this sprx).
        #expect(try PipelineLoader.load(path: draft).columns[.referralID] == ["referral_id"])
    }

    @Test func relativePaths() {
        #expect(DraftPipeline.relativePath(from: "/a/b/c", to: "/a/d") == "../../d")
        #expect(DraftPipeline.relativePath(from: "/x", to: "/y/z") == "/y/z")
    }
}

/// Issue 24 item 8's rules, unit by unit. Expected values are hand-derived from the
/// inputs written here (counts per value, two significant figures), the NHS number
/// check digit by hand (weights 10..2, NHS Data Dictionary), the postcode shapes from
/// Royal Mail's published formats.
@Suite(.timeLimit(.minutes(10))) struct PrivacyRangeAndIdentifierTests {
    static func profile(_ values: [String]) -> ColumnProfile {
        var p = ColumnProfile(maxDistinct: 500, window: Day(daysSinceEpoch: 0)...Day(daysSinceEpoch: 30_000))
        for v in values { Array(v.utf8).withUnsafeBytes { p.add($0) } }
        return p
    }

    @Test func rangeEndsSeenFewerThanThresholdTimesAreRounded() {
        // 0-5 each 8 times, then one NHS number: the top is "over 5" (5 is reached by 8
        // values), the bottom 0 (seen 8 times).
        var values = (0...5).flatMap { Array(repeating: String($0), count: 8) }
        #expect(InspectionPrivacy.range(Self.profile(values), threshold: 8) == "0 to 5")
        values.append("9434765919")
        #expect(InspectionPrivacy.range(Self.profile(values), threshold: 8) == "0 to over 5")
        // Ages 18 (2), 19 (3), 20 (7), 21-89 (8 each), 104 (1): 8 values are reached at 20
        // from below ("under 20") and the top end is 89, seen 8 times.
        var ages = ["18", "18", "19", "19", "19"] + Array(repeating: "20", count: 7)
        ages += (21...89).flatMap { Array(repeating: String($0), count: 8) }
        #expect(InspectionPrivacy.range(Self.profile(ages), threshold: 8) == "under 20 to 89")
        ages.append("104")
        // From the top: 104 (1) then 89 (8): 89 is reached, two figures already.
        #expect(InspectionPrivacy.range(Self.profile(ages), threshold: 8) == "under 20 to over 89")
        // Fewer than 8 values in all: nothing of the range is shown.
        #expect(InspectionPrivacy.range(Self.profile(["3", "9434765919"]), threshold: 8) == "fewer than 8 values")
    }

    /// An extreme seen 8 or more times is still not printed when it is shaped like an
    /// identifier or implausible for the field (issue 24 trial: `range under 20 to
    /// 9434765919` for Age). By hand: ages 20-89 each 8 times plus the NHS number 10
    /// times: from the top 10 values reach 9434765919 (not showable), 18 reach 89, so
    /// "over 89". Contacts 0-5 each 8 times plus 500
    /// 8 times: 500 is plausible (at most 1,000) and shown; 5000 8 times is not: "over 5".
    /// Age 130 seen 8 times is past the clean stage's 120: "over 89".
    @Test func extremesThatAreIdentifiersOrImplausibleAreRounded() {
        let ages = (20...89).flatMap { Array(repeating: String($0), count: 8) }
        let nhs = Array(repeating: "9434765919", count: 10)
        #expect(InspectionPrivacy.range(Self.profile(ages + nhs), threshold: 8, field: .age) == "20 to over 89")
        #expect(InspectionPrivacy.range(Self.profile(ages + nhs), threshold: 8) == "20 to over 89", "identifier-shaped, whatever the field")
        #expect(InspectionPrivacy.range(Self.profile(ages + Array(repeating: "130", count: 8)), threshold: 8, field: .age) == "20 to over 89")
        let contacts = (0...5).flatMap { Array(repeating: String($0), count: 8) }
        #expect(InspectionPrivacy.range(Self.profile(contacts + Array(repeating: "500", count: 8)), threshold: 8, field: .contacts) == "0 to 500")
        #expect(InspectionPrivacy.range(Self.profile(contacts + Array(repeating: "5000", count: 8)), threshold: 8, field: .contacts) == "0 to over 5")
        #expect(InspectionPrivacy.range(Self.profile(contacts + nhs), threshold: 8, field: .contacts) == "0 to over 5")
        // Every value an identifier: nothing of the range is shown.
        #expect(InspectionPrivacy.range(Self.profile(nhs), threshold: 8, field: .contacts) == "not shown (no value that may be shown)")
    }

    /// Two significant figures, towards the middle of the range, by hand.
    @Test func roundNumbers() {
        #expect(
            [0, 1, 4, 9, 10, 89, 100, 101, 150, 999, 1234, 98765, -5, -1234].map(InspectionPrivacy.roundDown) == [
                0, 1, 4, 9, 10, 89, 100, 100, 150, 990, 1200, 98000, -5, -1300,
            ])
        #expect([1, 3, 20, 21, 101, 1234, -1234].map(InspectionPrivacy.roundUp) == [1, 3, 20, 21, 110, 1300, -1200])
    }

    /// The ranges a new user reads (issue 24 audit: "18 to over 50", "over 5"), by hand
    /// with threshold 8: each end is the value 8 values reach from that end, shown as it
    /// is when 8 values equal it, else "over"/"under" it at two significant figures.
    @Test func rangesSayWhereTheBulkEnds() {
        // Ages 18-90 each 8 times and one 150: from the top, 150 (1) then 90 (8).
        let ages = (18...90).flatMap { Array(repeating: String($0), count: 8) }
        #expect(InspectionPrivacy.range(Self.profile(ages + ["150"]), threshold: 8, field: .age) == "18 to over 90")
        // Contacts 0-9 each 8 times: both ends shown as they are.
        let contacts = (0...9).flatMap { Array(repeating: String($0), count: 8) }
        #expect(InspectionPrivacy.range(Self.profile(contacts), threshold: 8, field: .contacts) == "0 to 9")
        // 9 seen only 3 times: 9 (3) then 8 (8) reach 8 from the top.
        let fewNines = (0...8).flatMap { Array(repeating: String($0), count: 8) } + ["9", "9", "9"]
        #expect(InspectionPrivacy.range(Self.profile(fewNines), threshold: 8, field: .contacts) == "0 to over 8")
        // Larger numbers: 1000 (8), 1234 (8), 1250 (1): 1234 reached, 1,200 at two figures.
        let large = Array(repeating: "1000", count: 8) + Array(repeating: "1234", count: 8) + ["1250"]
        #expect(InspectionPrivacy.range(Self.profile(large), threshold: 8) == "1,000 to over 1,200")
        // And from below: 5 (1), 17 (2), 1234 (8), then 2000 (8): under 1,300 (1234 rounded up).
        let low = ["5", "17", "17"] + Array(repeating: "1234", count: 8) + Array(repeating: "2000", count: 8)
        #expect(InspectionPrivacy.range(Self.profile(low), threshold: 8) == "under 1,300 to 2,000")
    }

    @Test func identifiersAreRecognised() {
        for text in [
            "9434765919", "943 476 5919", "Dr Jane Doe 9434765919 SW1A 1AA", "SW1A 1AA", "m1 1ae", "EC1A1BB",
            "jane.doe@example.com", "07700 900123", "0161-496-0000",
        ] {
            #expect(InspectionPrivacy.looksLikeIdentifier(text), "\(text)")
        }
        // Labels, a SNOMED CT concept id (Verhoeff check digit valid) and short numbers are not.
        for text in ["GP Surgery", "Self referral", "185362004", "99", "A81001", "Mixed - White and Asian", "Loneliness"] {
            #expect(!InspectionPrivacy.looksLikeIdentifier(text), "\(text)")
        }
    }

    @Test func firstRowsThatLookLikeData() {
        #expect(InspectionPrivacy.rowLooksLikeData(["R1", "P1", "05/07/2024", "34"]))
        #expect(InspectionPrivacy.rowLooksLikeData(["Jane Doe", "E01008881"]))
        #expect(InspectionPrivacy.rowLooksLikeData(["x", "9434765919"]))
        #expect(!InspectionPrivacy.rowLooksLikeData(["Referral Ref", "Client ID", "Date of Referral", "Age at Referral", "LSOA 2011", "No. of sessions"]))
    }

    @Test func missingValueCandidates() {
        // 12 unknown, 9 N/K, 3 "-", 1 "150", 8 "12.5", ages 30-69 twice: proposed unknown
        // and N/K (frequent, missing words); 12.5 frequent but a number (not proposed);
        // "-" and 150 rare. Non-conforming: 12 + 9 + 3 + 1 + 8 = 33.
        var values = Array(repeating: "unknown", count: 12) + Array(repeating: "N/K", count: 9) + ["-", "-", "-", "150"]
        values += Array(repeating: "12.5", count: 8) + (30...69).flatMap { [String($0), String($0)] }
        let found = MissingValueCandidates(Self.profile(values), field: .age, threshold: 8)
        #expect(found.proposed.map(\.label) == ["unknown", "N/K"])
        #expect(found.proposed.map(\.count) == [12, 9])
        #expect(found.notProposed.map(\.label) == ["12.5"])
        #expect(found.nonConforming == 33)
        #expect(found.rare == 4)
        // 99 seen 60 times among ages 94-104 seen once each (10 values; 60 >= 5 x 10): a
        // sentinel; with ages 94-104 seen 8 times each (80; 60 < 5 x 80), it is an age.
        let sentinel = Array(repeating: "99", count: 60) + (94...104).filter { $0 != 99 }.map(String.init)
        #expect(MissingValueCandidates(Self.profile(sentinel), field: .age, threshold: 8).proposed.map(\.label) == ["99"])
        let ages = Array(repeating: "99", count: 60) + (94...104).filter { $0 != 99 }.flatMap { Array(repeating: String($0), count: 8) }
        #expect(MissingValueCandidates(Self.profile(ages), field: .age, threshold: 8).proposed.isEmpty)
    }

    /// Under a pipeline, the per-column line applies its `missing_values` and names each
    /// reason (issue 24 audit: "63 values … quarantines" where the pipeline listed 62).
    /// By hand, contacts 0-5 each 8 times, `-` 9 times (listed), `9999` 8 times and
    /// `1001` once (past 1,000: implausible_contacts), `two` twice (invalid_contacts):
    /// 20 not accepted, 9 listed, 9 implausible, 2 invalid.
    @Test func theColumnLineAppliesThePipelinesMissingValues() {
        var values = (0...5).flatMap { Array(repeating: String($0), count: 8) } + Array(repeating: "-", count: 9)
        values += Array(repeating: "9999", count: 8) + ["1001", "two", "two"]
        let found = MissingValueCandidates(Self.profile(values), field: .contacts, threshold: 8, isListed: { $0 == "-" })
        #expect(found.nonConforming == 20 && found.listed == 9 && found.implausible == 9)
        #expect(found.proposed.map(\.label) == ["9999"], "a listed value is not proposed again")
        #expect(
            InspectionReport.nonConformingSentence(found, field: .contacts, underPipeline: true)
                == "20 values are not a whole number from 0 to 1,000: 9 listed under the pipeline's missing_values become Unknown; a run quarantines 2 referrals (invalid_contacts) and 9 referrals over 1,000 (implausible_contacts)"
        )
        // Without a pipeline nothing is listed; one value alone reads in the singular.
        let one = MissingValueCandidates(Self.profile(["1", "150"]), field: .age, threshold: 8)
        #expect(one.implausible == 0, "an age past 120 is invalid_age, not a reason of its own")
        #expect(
            InspectionReport.nonConformingSentence(one, field: .age, underPipeline: false)
                == "1 value is not a whole number from 0 to 120: a run quarantines 1 referral (invalid_age) unless the value is listed under missing_values")
    }

    /// Counts and nouns agree, thousands separated (by hand).
    @Test func countWords() {
        #expect(CountWords.of(1, "value") == "1 value" && CountWords.of(0, "value") == "0 values" && CountWords.of(400_000, "row") == "400,000 rows")
        #expect(CountWords.of(2, "more such value") == "2 more such values" && CountWords.of(1, "body", plural: "bodies") == "1 body")
    }

    @Test func dateValuesNoFormatReads() {
        // 20 dates, 10 `unknown`, 3 `N/K`: 13 read by no format, `unknown` shown, 3 rare.
        let values = Array(repeating: "01/02/2024", count: 20) + Array(repeating: "unknown", count: 10) + ["N/K", "N/K", "N/K"]
        let found = MissingValueCandidates(dates: Self.profile(values), threshold: 8)
        #expect(found.nonConforming == 13 && found.rare == 3)
        #expect(found.notProposed.map(\.label) == ["unknown"] && found.proposed.isEmpty)
    }

    @Test func rareGuessedLabelsAreWrittenOnlyWhenTheyAreVocabularyWords() {
        #expect(Guessing.isVocabularyWord("Indeterminate", field: .sex))
        #expect(Guessing.isVocabularyWord("G.P.", field: .referralSource))
        #expect(!Guessing.isVocabularyWord("Dr Jane Doe 9434765919 SW1A 1AA", field: .referralSource))
        #expect(Guessing.value(forLabel: "Dr Jane Doe 9434765919 SW1A 1AA", field: .referralSource) == "primary_care", "the guess alone would write it")
    }
}
