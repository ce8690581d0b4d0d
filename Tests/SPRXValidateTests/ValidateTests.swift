import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXValidate

/// Builds a small output folder: one contract table, one data-quality table, a manifest.
struct Folder {
    let path: String

    init(_ name: String) {
        path = ScratchFolder.url.appendingPathComponent("sprx-validate-\(name)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path + "/tables", withIntermediateDirectories: true)
    }

    func write(_ file: String, _ text: String) {
        try! text.write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
    }

    static let routeTable = """
        dimension,group,route_type,n,total,percent,ci_low,ci_high,suppressed,disclosure_control
        all,all,medical,1995,2950,67.63,65.92,69.29,FALSE,on
        all,all,non_medical,880,2950,29.83,28.2,31.51,FALSE,on
        sex,Other,non_medical,,10,,,,TRUE,on

        """
    static let quality = """
        file,measure,value
        referrals-001.csv.gz,rows_read,1500
        referrals-001.csv.gz,clean,1480
        referrals-001.csv.gz,quarantined:invalid_age,4
        all,rows_read,1500
        all,clean,1480
        all,quarantined:invalid_age,4

        """
    static func manifest(sha: String = "e930cc", started: String = "2026-11-21T08:00:00Z", workers: Int = 2, path: String = "/home/a/x.csv.gz")
        -> String
    {
        """
        {"tool": {"name": "sprx", "version": "0.2.0"}, "started_at": "\(started)", "finished_at": "\(started)", "workers": \(workers),
         "command_line": ["sprx", "run", "--input", "\(path)"], "models_seconds": 0.1,
         "inputs": [{"path": "\(path)", "sha256": "\(sha)", "rows_read": 1500, "clean": 1480, "reconciled": true}],
         "totals": {"rows_read": 1500, "clean": 1480, "reconciled": true},
         "disclosure_control": {"enabled": true, "suppress_up_to": 7, "round_to": 5},
         "models": [{"name": "contacts", "status": "fitted", "n_obs": 1400, "fit_seconds": 0.05}],
         "outputs": [{"path": "tables/x.csv", "sha256": "abc"}]}
        """
    }

    static func standard(_ name: String) -> Folder {
        let folder = Folder(name)
        folder.write("tables/route_type_by_group.csv", routeTable)
        folder.write("tables/data_quality.csv", quality)
        folder.write("manifest.json", manifest())
        return folder
    }
}

@Suite(.timeLimit(.minutes(10))) struct ValidateTests {
    func compare(_ a: Folder, _ b: Folder, _ tolerance: Tolerance = Tolerance()) throws -> ValidationReport {
        try OutputValidator.compare(expected: a.path, actual: b.path, tolerance: tolerance)
    }

    @Test func identicalFoldersAreEqual() throws {
        let report = try compare(.standard("a"), .standard("b"))
        #expect(report.equal)
        #expect(report.tables.map(\.status) == [.equal, .equal])
        #expect(report.text().hasPrefix("sprx validate: outputs equal within tolerance"))
    }

    @Test func changedCountNamesTableRowColumnAndBothValues() throws {
        let actual = Folder.standard("b")
        actual.write("tables/route_type_by_group.csv", Folder.routeTable.replacingOccurrences(of: "medical,1995,", with: "medical,1990,"))
        let report = try compare(.standard("a"), actual)
        #expect(!report.equal)
        let table = try #require(report.tables.first { $0.table == "route_type_by_group.csv" })
        #expect(table.status == .different)
        #expect(
            table.differences == [
                Difference(
                    kind: .cell, key: ["dimension=all", "group=all", "route_type=medical"], column: "n", expected: "1995", actual: "1990",
                    role: "count")
            ])
        let text = report.text()
        #expect(text.contains("--- expected/tables/route_type_by_group.csv\n+++ actual/tables/route_type_by_group.csv\n"))
        #expect(text.contains(" dimension=all group=all route_type=medical\n-  n: 1995\n+  n: 1990\n"))
    }

    @Test func missingTableAndExtraRow() throws {
        let actual = Folder.standard("b")
        try FileManager.default.removeItem(atPath: actual.path + "/tables/data_quality.csv")
        actual.write("tables/route_type_by_group.csv", Folder.routeTable + "sex,Male,medical,40,50,80,66.9,88.8,FALSE,on\n")
        let report = try compare(.standard("a"), actual)
        #expect(report.tables.first { $0.table == "data_quality.csv" }?.status == .missing)
        let route = try #require(report.tables.first { $0.table == "route_type_by_group.csv" })
        #expect(route.differences.map(\.kind) == [.rowOnlyInActual])
        #expect(route.differences[0].key == ["dimension=sex", "group=Male", "route_type=medical"])
        #expect(report.text().contains("+++ actual/tables/data_quality.csv: MISSING"))
        #expect(report.text().contains("+  row dimension=sex group=Male route_type=medical (not in expected)"))
    }

    /// Relative tolerance 1e-6 on 67.63: 67.63·(1 ± 0.9e-6) passes, 67.63·(1 + 1.1e-6) does not.
    @Test func toleranceJustInsideAndJustOutside() throws {
        let tolerance = Tolerance(absolute: 0, relative: 1e-6)
        for (factor, passes) in [(1 + 0.9e-6, true), (1 - 0.9e-6, true), (1 + 1.1e-6, false)] {
            let actual = Folder.standard("b")
            let value = String(67.63 * factor)
            actual.write("tables/route_type_by_group.csv", Folder.routeTable.replacingOccurrences(of: ",67.63,", with: ",\(value),"))
            let report = try compare(.standard("a"), actual, tolerance)
            #expect(report.equal == passes, "67.63 vs \(value)")
            if !passes {
                #expect(report.tables[1].differences.first?.role == "estimate")
            }
        }
        // An absolute bound alone also accepts.
        let actual = Folder.standard("b")
        actual.write("tables/route_type_by_group.csv", Folder.routeTable.replacingOccurrences(of: ",67.63,", with: ",67.64,"))
        #expect(try compare(.standard("a"), actual, Tolerance(absolute: 0.011, relative: 0)).equal)
        // Counts are never subject to tolerance, nor is empty (suppressed) vs a value.
        actual.write("tables/route_type_by_group.csv", Folder.routeTable.replacingOccurrences(of: "non_medical,,10,", with: "non_medical,0,10,"))
        #expect(try !compare(.standard("a"), actual, Tolerance(absolute: 100, relative: 1)).equal)
    }

    @Test func rowAndColumnOrderDoNotMatter() throws {
        let actual = Folder.standard("b")
        actual.write(
            "tables/route_type_by_group.csv",
            """
            total,n,route_type,group,dimension,percent,ci_high,ci_low,disclosure_control,suppressed
            10,,non_medical,Other,sex,,,,on,TRUE
            2950,880,non_medical,all,all,29.83,31.51,28.2,on,FALSE
            2950,1995,medical,all,all,67.63,69.29,65.92,on,FALSE

            """)
        #expect(try compare(.standard("a"), actual).equal)
    }

    @Test func manifestFieldsThatChangeAreIgnoredOthersCompared() throws {
        let actual = Folder.standard("b")
        // New time, worker count, path (same file name), durations and output hashes: equal.
        actual.write(
            "manifest.json",
            Folder.manifest(started: "2027-01-01T00:00:00Z", workers: 8, path: "/ci/work/x.csv.gz")
                .replacingOccurrences(of: "\"fit_seconds\": 0.05", with: "\"fit_seconds\": 0.5")
                .replacingOccurrences(of: "\"sha256\": \"abc\"", with: "\"sha256\": \"def\""))
        #expect(try compare(.standard("a"), actual).equal)
        // A different input file hash is a difference, named by file.
        actual.write("manifest.json", Folder.manifest(sha: "0000"))
        let report = try compare(.standard("a"), actual)
        #expect(report.manifest == [Difference(kind: .manifest, key: [], column: "inputs[x.csv.gz].sha256", expected: "e930cc", actual: "0000")])
    }

    @Test func unreadableFoldersThrow() {
        let error = #expect(throws: SPRXError.self) {
            try OutputValidator.compare(expected: Folder.standard("a").path, actual: "/nonexistent/sprx-out")
        }
        #expect(error?.code == .inputUnreadable)
        let empty = Folder("empty")
        let noManifest = #expect(throws: SPRXError.self) { try OutputValidator.compare(expected: empty.path, actual: empty.path) }
        #expect(noManifest?.message.contains("no manifest.json") == true)
    }

    @Test func csvParserHandlesQuotingAndNamesBadLines() throws {
        let table = try CSVTable(parsing: "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",3\n", file: "t.csv")
        #expect(table.rows == [["x, y", "say \"hi\""], ["two\nlines", "3"]])
        let ragged = #expect(throws: SPRXError.self) { try CSVTable(parsing: "a,b\n1,2\n\"q\nr\",2\n3\n", file: "t.csv") }
        #expect(ragged?.location?.line == 5)
        let open = #expect(throws: SPRXError.self) { try CSVTable(parsing: "a,b\n1,\"2\n", file: "t.csv") }
        #expect(open?.message.contains("quoted field") == true)
    }

    @Test func unknownTablesInferTheirKeys() throws {
        let expected = CSVTable(header: ["area", "n", "rate"], rows: [["x", "3", "0.5"], ["y", "4", "0.25"]])
        let actual = CSVTable(header: ["area", "n", "rate"], rows: [["y", "4", "0.2500000001"], ["x", "3", "0.5"]])
        let comparison = try OutputValidator.compareTable("extra.csv", expected: expected, actual: actual, tolerance: Tolerance())
        #expect(comparison.keyColumns == ["area"])
        #expect(comparison.status == .equal)
    }

    /// data_quality.csv (long) matches rows on file and measure: a changed count names
    /// both; the same measures in another order are equal.
    @Test func dataQualityKeysAreFileAndMeasure() throws {
        let actual = Folder.standard("b")
        let reordered = Folder.quality.split(separator: "\n").map(String.init)
        actual.write("tables/data_quality.csv", ([reordered[0]] + reordered.dropFirst().reversed()).joined(separator: "\n") + "\n")
        #expect(try compare(.standard("a"), actual).equal)
        actual.write("tables/data_quality.csv", Folder.quality.replacingOccurrences(of: "all,clean,1480", with: "all,clean,1479"))
        let table = try #require(try compare(.standard("a"), actual).tables.first { $0.table == "data_quality.csv" })
        #expect(table.keyColumns == ["file", "measure"])
        #expect(
            table.differences == [
                Difference(kind: .cell, key: ["file=all", "measure=clean"], column: "value", expected: "1480", actual: "1479", role: "count")
            ])
    }

    /// unmapped_labels.csv matches rows on field and label; n is a count.
    @Test func unmappedLabelsKeysAreFieldAndLabel() throws {
        let expected = Folder.standard("a")
        let labels = "field,label,n,suppressed,disclosure_control\nreferral_source,walk-in centre,10,FALSE,on\nreferral_source,(other labels),,TRUE,on\n"
        expected.write("tables/unmapped_labels.csv", labels)
        let actual = Folder.standard("b")
        actual.write("tables/unmapped_labels.csv", labels.replacingOccurrences(of: "centre,10,", with: "centre,15,"))
        let table = try #require(try compare(expected, actual).tables.first { $0.table == "unmapped_labels.csv" })
        #expect(table.keyColumns == ["field", "label"])
        #expect(
            table.differences == [
                Difference(
                    kind: .cell, key: ["field=referral_source", "label=walk-in centre"], column: "n", expected: "10", actual: "15",
                    role: "count")
            ])
    }

    /// A header that repeats a column is refused naming the file and the column (it
    /// trapped before: a dictionary built from the header).
    @Test func repeatedHeaderColumnIsAnErrorNotATrap() throws {
        let error = #expect(throws: SPRXError.self) { try CSVTable(parsing: "a,n,n\nx,1,2\n", file: "t.csv") }
        #expect(error?.code == .inputFormat && error?.location?.file == "t.csv" && error?.message.contains("column n") == true)
        let actual = Folder.standard("b")
        actual.write("tables/route_type_by_group.csv", "dimension,group,route_type,n,n\nall,all,medical,1,2\n")
        let viaCompare = #expect(throws: SPRXError.self) { try compare(.standard("a"), actual) }
        #expect(viaCompare?.code == .inputFormat && viaCompare?.location?.file.hasSuffix("route_type_by_group.csv") == true)
        // Tables built in code with a repeated column or a short row compare without trapping.
        let odd = CSVTable(header: ["k", "n", "n"], rows: [["x", "1"]])
        let comparison = try OutputValidator.compareTable("odd.csv", expected: odd, actual: odd, tolerance: Tolerance())
        #expect(comparison.status == .equal)
    }

    /// Odd tables: empty, blank, ragged, huge or non-numeric numbers; none traps.
    @Test func oddTablesAreErrorsOrDifferencesNeverTraps() throws {
        for text in ["", "\n\n"] {
            let error = #expect(throws: SPRXError.self) { try CSVTable(parsing: text, file: "e.csv") }
            #expect(error?.code == .inputFormat, "\(text.debugDescription)")
        }
        let ragged = #expect(throws: SPRXError.self) { try CSVTable(parsing: "a,b\n1\n", file: "r.csv") }
        #expect(ragged?.location?.line == 2)
        let huge = "dimension,group,route_type,n,total,percent,ci_low,ci_high,suppressed,disclosure_control\n"
        let expected = try CSVTable(parsing: huge + "all,all,medical,99999999999999999999999,1e400,nan,inf,-inf,FALSE,on\n", file: "x.csv")
        let actual = try CSVTable(parsing: huge + "all,all,medical,99999999999999999999998,1e401,NaN,Inf,x,FALSE,on\n", file: "y.csv")
        let comparison = try OutputValidator.compareTable("route_type_by_group.csv", expected: expected, actual: actual, tolerance: Tolerance())
        #expect(comparison.status == .different)
        // inf and Inf are the same number; NaN never equals anything; x is not a number.
        #expect(Set(comparison.differences.map(\.column)) == ["n", "total", "percent", "ci_high"])
        // A table that is not a regular file (a FIFO would block forever) is an error.
        let folder = Folder.standard("fifo")
        try FileManager.default.removeItem(atPath: folder.path + "/tables/data_quality.csv")
        #expect(mkfifo(folder.path + "/tables/data_quality.csv", 0o600) == 0)
        let fifo = #expect(throws: SPRXError.self) { try compare(.standard("a"), folder) }
        #expect(fifo?.message.contains("not a regular file") == true)
    }
}
