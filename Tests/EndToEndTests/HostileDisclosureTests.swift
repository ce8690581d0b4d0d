import Foundation
import SPRXTestSupport
import Testing

/// Hostile cases for disclosure control and the published tables (issue 14, class
/// "Disclosure and privacy"), run through the built binary: `sprx validate` on tables
/// a person or a tool has damaged, a file name that is a spreadsheet formula, a group
/// whose suppressed cell used to make the rest read 100%, and a column full of
/// distinct free text.
@Suite(.timeLimit(.minutes(10))) struct HostileDisclosureTests {
    /// Two minimal output folders; `actual` gets `tables/route_by_group.csv` = `table`.
    func disclosureValidateFolders(_ table: [UInt8]) throws -> (expected: String, actual: String) {
        let dir = scratch()
        for name in ["expected", "actual"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(name)/tables", withIntermediateDirectories: true)
            try "{}".write(toFile: "\(dir)/\(name)/manifest.json", atomically: true, encoding: .utf8)
            try "dimension,group,route,n\nall,all,gp,10\n".write(toFile: "\(dir)/\(name)/tables/route_by_group.csv", atomically: true, encoding: .utf8)
        }
        try Data(table).write(to: URL(fileURLWithPath: "\(dir)/actual/tables/route_by_group.csv"))
        return ("\(dir)/expected", "\(dir)/actual")
    }

    /// A table whose header repeats a column (which trapped `sprx validate`), a ragged
    /// row, an empty table, a blank one: each is exit 65 naming the file (and the
    /// column or line), never a crash.
    @Test(arguments: [
        ("dimension,group,route,n,n\nall,all,gp,10,10\n", ["route_by_group.csv", "repeats the column n"]),
        ("dimension,group,route,n\nall,all,gp\n", ["route_by_group.csv", "line 2", "row has 3 cells"]),
        ("", ["route_by_group.csv", "empty"]),
        ("\n\n\n", ["route_by_group.csv", "empty"]),
    ])
    func validateNamesDamagedTablesWithExit65(table: String, mentions: [String]) throws {
        let (expected, actual) = try disclosureValidateFolders(Array(table.utf8))
        let result = try sprx(["validate", "--expected", expected, "--actual", actual])
        #expect(result.status == 65, "\(result.stderr)")
        for word in mentions { #expect(result.stderr.contains(word), "\(word): \(result.stderr)") }
    }

    /// A table that is not UTF-8 is bad input (65) naming the file, not "unreadable" (66).
    @Test func validateNamesANonUTF8TableWithExit65() throws {
        let (expected, actual) = try disclosureValidateFolders(Array("dimension,group,route,n\nall,all,g".utf8) + [0xC3, 0x28] + Array(",10\n".utf8))
        let result = try sprx(["validate", "--expected", expected, "--actual", actual])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("route_by_group.csv") && result.stderr.contains("not UTF-8"), "\(result.stderr)")
    }

    /// HES/ECDS rule end to end, by hand: 20 GP referrals and 3 self-referrals. v1
    /// published total 20 (the published cells) and medical 100%; now the total is the
    /// true 23 rounded to 25, medical 20/25 = 80.00% with Wilson bounds 60.87-91.14
    /// (computed in Python from Wilson's formula), the 3 suppressed.
    @Test func suppressedCellNoLongerMakesTheGroupRead100Percent() throws {
        let dir = scratch()
        let rows = (1...23).map { row($0) }.map {
            $0.hasPrefix("R21,") || $0.hasPrefix("R22,") || $0.hasPrefix("R23,") ? $0.replacingOccurrences(of: ",GP,", with: ",Self,") : $0
        }
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/in.csv", "--out", dir + "/out", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let table = try String(contentsOfFile: dir + "/out/tables/route_type_by_group.csv", encoding: .utf8)
        #expect(table.contains("\nall,all,medical,20,25,80.00,60.87,91.14,FALSE,on\n"), "\(table)")
        #expect(table.contains("\nall,all,non_medical,,25,,,,TRUE,on\n"))
        #expect(table.contains("\nall,all,unknown,0,25,0.00,"))
        let pathway = try String(contentsOfFile: dir + "/out/tables/pathway_by_group.csv", encoding: .utf8)
        // row(): every referral contacted with one intervention: 23 → 25 of 25.
        #expect(pathway.contains("\nall,all,all,25,25,25,100.00,100.00,,FALSE,on\n"), "\(pathway)")
        #expect(pathway.contains("\nall,all,non_medical,,,,,,,TRUE,on\n"))
    }

    /// A file whose name is a spreadsheet formula with a comma: data_quality.csv names
    /// it by file name (not path), quoted and neutralised, one row per measure.
    @Test func formulaFileNameIsEscapedInDataQuality() throws {
        let dir = scratch()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try (header + "\n" + body(2)).write(toFile: dir + "/in/=HYPERLINK(1),x.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/in", "--out", dir + "/out", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let quality = try String(contentsOfFile: dir + "/out/tables/data_quality.csv", encoding: .utf8)
        #expect(quality.hasPrefix("file,measure,value\n\"'=HYPERLINK(1),x.csv\",rows_read,2\n\"'=HYPERLINK(1),x.csv\",clean,2\n"), "\(quality)")
        #expect(quality.contains("\nall,rows_read,2\n") && !quality.contains(dir))
    }

    /// 12,000 distinct free-text values in referral_source: the run-wide store keeps at
    /// most 5,000 (InputLimits) and counts the rest under the overflow label, so every
    /// referral is still counted; by name nothing is published but sprx's own two rows,
    /// the overflow label and `(other labels)` (each n rounded, so their sum is within 5
    /// of 12,000); memory stays under 300 MB (about 80 MB measured) and the report small.
    @Test func distinctFreeTextLabelsAreBounded() throws {
        let dir = scratch()
        let referrals = 12_000
        var text = header + "\n"
        for i in 1...referrals {
            text += "R\(i),P\(i),2024-03-01,40,F,White,E01000001,Referred by Dr \(i) for patient \(i * 7919),Anxiety,Y,2,1,U00001,\n"
        }
        try text.write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        let run = try sprxMeasured(
            ["run", "--pipeline", ungatedPipeline, "--input", dir + "/in.csv", "--out", dir + "/out", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.peakKB > 0 && run.peakKB < 300_000, "max RSS \(run.peakKB) KB")
        let published = try String(contentsOfFile: dir + "/out/tables/unmapped_labels.csv", encoding: .utf8)
        let rows = CSVTable(text: published).rows
        #expect(rows.map { $0[0] + "," + $0[1] } == ["referral_source,(more distinct labels than sprx keeps)", "referral_source,(other labels)"])
        #expect(abs(rows.reduce(0) { $0 + (Int($1[2]) ?? 0) } - referrals) <= 5, "\(published)")
        let complete = try String(contentsOfFile: dir + "/out/quarantine/unmapped_labels.csv", encoding: .utf8)
        let kept = CSVTable(text: complete).rows
        #expect(kept.count == 5_001, "5,000 labels and the overflow row kept")
        #expect(kept.reduce(0) { $0 + Int($1.last!)! } == referrals, "every referral counted")
        for report in ["report.md", "report.html"] {
            let size = (try FileManager.default.attributesOfItem(atPath: dir + "/out/" + report)[.size] as? Int) ?? 0
            #expect(size < 2_000_000, "\(report) is \(size) bytes")
        }
    }
}
