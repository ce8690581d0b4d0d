import Foundation
import Testing

/// Privacy checks (issue 7): no raw field value leaves the run except in the owner-only
/// quarantine file.
///
/// Every identifying or free-text field of the extract carries a marker (`ZQX…`) that
/// appears nowhere else, including in rows that are quarantined for each kind of fault
/// (bad age, bad date, bad count, ragged, invalid UTF-8, conflicting duplicate,
/// unterminated quote) and in a fatal error. The run is not quiet, so progress, the
/// summary and warnings are all on stderr. The markers must not appear on stdout,
/// stderr, in any published table, the manifest or the report; they must appear in the
/// quarantine file (so the check is not vacuous), which only its owner can read.
@Suite struct PrivacyTests {
    static let marker = "ZQX"

    /// Rows whose identifiers, organisation and notes all carry the marker.
    static func extract() -> String {
        func line(_ id: Int, date: String = "2024-03-01", age: String = "40", contacts: String = "2", notes: String? = nil) -> String {
            "ZQXR\(id),ZQXP\(id),\(date),\(age),F,White,E01000001,GP,Anxiety,Y,\(contacts),1,ZQXORG\(id % 3),\(notes ?? "ZQXNOTE\(id) lives at 1 High St")"
        }
        var rows = (1...30).map { line($0) }
        rows.append(line(31, age: "ZQXAGE"))
        rows.append(line(32, date: "ZQXDATE"))
        rows.append(line(33, contacts: "ZQXCOUNT"))
        rows.append(line(34) + ",ZQXEXTRA")
        rows.append(line(1, age: "41"))  // conflicts with row 1
        rows.append(line(35, notes: "\"ZQXNEVERCLOSED"))
        return header + "\n" + rows.joined(separator: "\n") + "\n"
    }

    /// Every regular file under `folder` except the quarantine file, as text.
    static func publishedFiles(_ folder: String) -> [(String, String)] {
        let paths = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return paths.sorted().compactMap { path in
            guard !path.hasPrefix("quarantine"), let data = FileManager.default.contents(atPath: folder + "/" + path) else { return nil }
            return (path, String(decoding: data, as: UTF8.self))
        }
    }

    @Test func rawValuesStayInTheQuarantineFile() throws {
        let dir = scratch()
        var bytes = Array(Self.extract().utf8)
        bytes += Array("ZQXR99,ZQXP99,2024-03-01,40,F,White,E01000001,GP,,,,,ZQXORG1,ZQX".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/extract.csv"))
        let out = dir + "/out"
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", out, "--jobs", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.isEmpty, "the run reported progress and a summary")
        #expect(!result.stderr.contains(Self.marker), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains(Self.marker))
        let published = Self.publishedFiles(out)
        #expect(published.contains { $0.0 == "manifest.json" } && published.contains { $0.0 == "report.html" })
        for (path, text) in published { #expect(!text.contains(Self.marker), "\(path) holds a raw value") }

        // The quarantine file has the raw rows (so the markers were read) and is owner-only.
        let quarantine = out + "/quarantine/rejected.csv.gz"
        let attributes = try FileManager.default.attributesOfItem(atPath: quarantine)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        unzip.arguments = ["-c", "gzip -dc \"$0\"", quarantine]
        let pipe = Pipe()
        unzip.standardOutput = pipe
        try unzip.run()
        let rejected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        unzip.waitUntilExit()
        for value in ["ZQXAGE", "ZQXDATE", "ZQXCOUNT", "ZQXEXTRA", "ZQXNEVERCLOSED", "ZQXR99"] {
            #expect(rejected.contains(value), "\(value) is in the quarantine file")
        }
        // The later, conflicting version of referral ZQXR1 is quarantined (the first stays clean).
        #expect(rejected.components(separatedBy: "ZQXR1,").count - 1 == 1)
    }

    /// A fatal error names the file, line and column and what is wrong, not the value.
    @Test func fatalErrorsNameThePlaceNotTheValue() throws {
        let dir = scratch()
        // A header with a duplicated column is fatal; the rows carry markers.
        try (header + ",age\n" + "ZQXR1,ZQXP1,2024-03-01,40,F,White,E01000001,GP,,,,,ZQXORG,ZQXNOTE,41\n")
            .write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", dir + "/out"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("extract.csv") && result.stderr.contains("line 1"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.marker))
    }
}
