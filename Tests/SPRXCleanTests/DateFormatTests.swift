import Foundation
import SPRXCore
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXClean

/// Date formats a pipeline names (issue 16): patterns of tokens, `excel_serial`, and the
/// three contract names with their meaning unchanged. Expected days are written by hand
/// from the pattern's rules, or computed by Foundation's Gregorian calendar.
@Suite(.timeLimit(.minutes(10))) struct DateFormatTests {
    func parse(_ text: String, _ formats: [String]) throws -> Day? {
        let parser = DateParser(forms: try formats.map { try DateForm($0) })
        return Array(text.utf8).withUnsafeBytes { parser.parse($0) }
    }

    func day(_ y: Int, _ m: Int, _ d: Int) -> Day { Day(year: y, month: m, day: d)! }

    @Test func patternsWithTimes() throws {
        let dayTime = ["DD/MM/YYYY HH:MM"]
        #expect(try parse("05/07/2021 09:22", dayTime) == day(2021, 7, 5))
        #expect(try parse("05/07/2021 23:59", dayTime) == day(2021, 7, 5))
        #expect(try parse("05/07/2021 24:00", dayTime) == nil, "hour 0-23")
        #expect(try parse("05/07/2021 09:60", dayTime) == nil, "minute 0-59")
        #expect(try parse("5/7/2021 09:22", dayTime) == nil, "DD is two digits in a pattern")
        #expect(try parse("05/07/2021", dayTime) == nil, "the whole pattern must match")
        #expect(try parse("05/07/2021 09:22:10", dayTime) == nil)
        #expect(try parse("31/06/2021 09:22", dayTime) == nil, "30 days in June")
        let loose = ["D/M/YYYY H:mm:ss"]
        #expect(try parse("5/7/2021 9:22:10", loose) == day(2021, 7, 5))
        #expect(try parse("15/12/2021 19:02:59", loose) == day(2021, 12, 15))
        #expect(try parse("5/7/2021 9:22", loose) == nil)
        #expect(try parse("20210705", ["YYYYMMDD"]) == day(2021, 7, 5))
        #expect(try parse("2021075", ["YYYYMMDD"]) == nil)
        #expect(try parse("07/05/2021", ["MM/DD/YYYY"]) == day(2021, 7, 5))
        #expect(try parse("2021-07-05T09:22", ["YYYY-MM-DDTHH:mm"]) == day(2021, 7, 5))
        #expect(try parse("05.07.2021", ["DD.MM.YYYY"]) == day(2021, 7, 5))
    }

    /// Formats are tried in the order listed: the first that fits decides.
    @Test func theFirstFormatThatFitsWins() throws {
        #expect(try parse("03/04/2021", ["MM/DD/YYYY", "DD/MM/YYYY"]) == day(2021, 3, 4))
        #expect(try parse("03/04/2021", ["DD/MM/YYYY", "MM/DD/YYYY"]) == day(2021, 4, 3))
        #expect(try parse("25/04/2021", ["MM/DD/YYYY", "DD/MM/YYYY"]) == day(2021, 4, 25), "month 25 does not fit: the next format is tried")
    }

    /// Excel's 1900 date system: serial n is 1899-12-30 plus n days (Foundation's
    /// calendar computes the expected day), from 1; a fraction (the time) is dropped.
    @Test func excelSerialNumbers() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let epoch = calendar.date(from: DateComponents(year: 1899, month: 12, day: 30))!
        for serial in [1, 59, 61, 36526, 44197, 44382, 45000, 46022, 2_958_465] {
            let date = calendar.date(byAdding: .day, value: serial, to: epoch)!
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = day(parts.year!, parts.month!, parts.day!)
            #expect(try parse(String(serial), ["excel_serial"]) == expected, "\(serial)")
            #expect(try parse("\(serial).75", ["excel_serial"]) == expected, "\(serial).75")
        }
        #expect(try parse("44197", ["excel_serial"]) == day(2021, 1, 1), "Excel shows 44197 as 01/01/2021")
        for bad in ["0", "-5", "2958466", "12345678", "44197.", ".5", "44197,5", "4e4", ""] {
            #expect(try parse(bad, ["excel_serial"]) == nil, "\(bad)")
        }
    }

    /// The contract's three names read what they read before issue 16 (the cases of
    /// `datesInEveryForm` and the quirks: `DD/MM/YYYY` takes one-digit parts, and a
    /// time after it only when `ISO8601-timestamp` is listed too).
    @Test func theContractNamesKeepTheirMeaning() throws {
        let all = ["YYYY-MM-DD", "DD/MM/YYYY", "ISO8601-timestamp"]
        let cases: [(String, [String], Day?)] = [
            ("2023-11-05", all, day(2023, 11, 5)), ("5/1/2023", all, day(2023, 1, 5)), ("05/11/2023 08:00", all, day(2023, 11, 5)),
            ("05/11/2023T08:00:01Z", all, day(2023, 11, 5)), ("05/11/2023 08:00", ["DD/MM/YYYY"], nil),
            ("2023-11-05 08:00", ["YYYY-MM-DD"], nil), ("2023-11-05", ["ISO8601-timestamp"], nil),
            ("2023-11-05t08:00", ["ISO8601-timestamp"], day(2023, 11, 5)), ("2023-11-05T24:00", all, nil),
            ("2023-11-05T25:00", all, nil), ("2023-11-5", all, nil), ("05/11/0000", all, nil), ("005/11/2023", all, nil),
            ("05/11/2023 ", all, nil), ("2023-02-29", all, nil), ("2024-02-29", all, day(2024, 2, 29)),
        ]
        for (text, formats, expected) in cases {
            #expect(try parse(text, formats) == expected, "\(text) with \(formats)")
        }
    }

    /// Times are read strictly (issue 24, item 11): hours 00-23, minutes 00-59, seconds
    /// 00-60 (a leap second, as RFC 3339 allows), a fraction of 1-9 digits, and a zone of
    /// `Z` or an offset within ±14:00 (the extremes in use: UTC-12 and UTC+14). Each case
    /// is judged by hand against RFC 3339 section 5.6 and ISO 8601's basic offset forms.
    @Test(arguments: [
        ("2023-11-05T23:59", true), ("2023-11-05T00:00", true), ("2023-11-05T23:59:59", true), ("2023-11-05T23:59:60Z", true),
        ("2023-11-05T10:15:00.123456789Z", true), ("2023-11-05T10:15:00,5", true), ("2023-11-05T10:15+14:00", true),
        ("2023-11-05T10:15-12:00", true), ("2023-11-05T10:15:00+0100", true), ("2023-11-05T10:15:00+01", true),
        ("2023-11-05 10:15:00z", true),
        ("2023-11-05T24:00", false), ("2023-11-05T24:59", false), ("2023-11-05T12:60", false), ("2023-11-05T12:30:61", false),
        ("2023-11-05T12:30+99:99", false), ("2023-11-05T12:30+14:01", false), ("2023-11-05T12:30-15:00", false),
        ("2023-11-05T12:30+01:60", false), ("2023-11-05T--::", false), ("2023-11-05T12:30:", false), ("2023-11-05T12:30:00.", false),
        ("2023-11-05T12:30:00.1234567890", false), ("2023-11-05T12:30ZZ", false), ("2023-11-05T12:30Z+01:00", false),
        ("2023-11-05T12:30+1", false), ("2023-11-05T12:30+01:0", false), ("2023-11-05T1:30", false), ("2023-11-05T12:3", false),
        ("2023-11-05T12:30:00+", false), ("2023-11-05T12:30:00-", false), ("2023-11-05T12-30", false), ("2023-11-05T12:30 ", false),
        ("05/11/2023 24:00", false), ("05/11/2023 23:59:59+01:00", true), ("05/11/2023 23:59+99:99", false),
    ])
    func timesAreStrict(text: String, valid: Bool) throws {
        let all = ["YYYY-MM-DD", "DD/MM/YYYY", "ISO8601-timestamp"]
        #expect(try parse(text, all) == (valid ? day(2023, 11, 5) : nil), "\(text)")
    }

    /// A pattern's seconds allow the leap second too, and nothing above it.
    @Test func patternSecondsAllowALeapSecond() throws {
        #expect(try parse("05/11/2023 23:59:60", ["DD/MM/YYYY HH:mm:ss"]) == day(2023, 11, 5))
        #expect(try parse("05/11/2023 23:59:61", ["DD/MM/YYYY HH:mm:ss"]) == nil)
    }

    /// A comma may separate reasons: the field holding them is quoted in the CSV.
    @Test func aCommaSeparatesReasonsInAQuotedField() throws {
        var yaml = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "reason_separators: \";\"", with: "reason_separators: \",;\"")
        let config = try PipelineLoader.parse(yaml: yaml, path: "p.yaml", baseDirectory: packageRoot + "/Pipelines")
        let csv = header + "1,P1,2021-03-04,40,F,White,E01021988,GP,\"Anxiety, Debt;Housing\",Y,2,1,U00001\n"
        let reader = RowBlockReader(source: MemoryByteSource(Array(csv.utf8)), fileName: "t.csv")
        let names = try #require(try reader.readHeader()).names
        let processor = CleanProcessor(
            rules: CleanRules(pipeline: config), layout: try ColumnLayout(header: names, pipeline: config, file: "t.csv"))
        let block = try #require(try reader.next())
        var outcomes: [CleanOutcome] = []
        var blank = 0
        block.bytes.withUnsafeBytes { raw in
            CSVBlockDecoder.forEachRow(in: raw, firstLine: 2, scratch: CSVDecodeScratch(), blankLines: &blank) { outcomes.append(processor.process($0)) }
        }
        // mental_health (0), financial (3), housing (4): the pipeline's reason order.
        #expect(try #require(record(outcomes[0])).reasons == 0b11001)
        #expect(processor.unmapped.isEmpty)
    }

    /// A one-column header holding another delimiter names the setting that reads it.
    @Test func aOneColumnHeaderSuggestsTheDelimiter() throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml")
        let error = #expect(throws: SPRXError.self) {
            try ColumnLayout(header: ["referral_id;person_id;referral_date"], pipeline: config, file: "t.csv")
        }
        #expect(error?.message.contains("semicolons but no commas") == true)
        #expect(error?.message.contains("input: {delimiter: \";\"}") == true)
    }
}
