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
@Suite(.timeLimit(.minutes(10))) struct PrivacyTests {
    static let marker = "ZQX"

    /// Rows whose identifiers, organisation and notes all carry the marker. The
    /// organisation is free text (an organisation code is published in
    /// `organisations.csv` by design; text that is not shaped like one never is).
    static func extract() -> String {
        func line(_ id: Int, date: String = "2024-03-01", age: String = "40", contacts: String = "2", notes: String? = nil) -> String {
            "ZQXR\(id),ZQXP\(id),\(date),\(age),F,White,E01000001,GP,Anxiety,Y,\(contacts),1,ZQX org \(id % 3),\(notes ?? "ZQXNOTE\(id) lives at 1 High St")"
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
        // The invalid-UTF-8 row goes before the last row, whose quote is never closed: a
        // quote open to the end over rows shaped like rows fails the file (RedTeamTests).
        var lines = Self.extract().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let neverClosed = lines.remove(at: lines.count - 2)
        var bytes = Array(lines.dropLast().joined(separator: "\n").utf8) + Array("\n".utf8)
        bytes += Array("ZQXR99,ZQXP99,2024-03-01,40,F,White,E01000001,GP,,,,,ZQX org 1,ZQX".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        bytes += Array((neverClosed + "\n").utf8)
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
        // (ZQXR99, whose invalid UTF-8 is in the unmapped notes column, is a clean row:
        // it must appear nowhere published, which the checks above cover.)
        for value in ["ZQXAGE", "ZQXDATE", "ZQXCOUNT", "ZQXEXTRA", "ZQXNEVERCLOSED"] {
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

    // MARK: free text in every mapped field (outputs-v2: unmapped labels published only when common and short)

    /// The free text a platform lets someone type into any column.
    static let freeText = "Referred by Dr Smith for Jane Doe NHS 943 476 5919"
    /// The mapped fields, in header order (the shared `header` adds `notes`).
    static let mappedFields = [
        "referral_id", "person_id", "referral_date", "age", "sex", "ethnicity", "area_code", "referral_source", "referral_reasons",
        "contacted", "contacts", "interventions", "organisation_id",
    ]
    /// A field's free text, marked with the field and how often it appears (over 60 characters).
    static func freeText(_ field: String, _ times: String) -> String { "\(freeText) ZQXFT-\(field)-\(times)" }
    /// A short label, common enough to be published.
    static let shortLabel = "ZQYSHORT"
    /// Fields whose value is not kept anywhere when its row is clean (area, organisation
    /// and person only reach the quarantine when the row is quarantined).
    static let notKeptWhenClean: Set<String> = ["area_code", "organisation_id", "person_id"]

    /// Rows: each mapped field holds the free text once and in 20 rows; a short label
    /// appears in 22 rows of referral_source. For the fields not kept when clean (and
    /// referral_id, whose 20 rows conflict but whose single row would be clean), the
    /// single row is also given an impossible date, so it is quarantined and the check
    /// that the text reached the quarantine is not vacuous.
    static func freeTextExtract() -> String {
        let base = [
            "referral_id": "", "person_id": "", "referral_date": "2024-03-01", "age": "40", "sex": "F", "ethnicity": "White",
            "area_code": "E01000001", "referral_source": "GP", "referral_reasons": "Anxiety", "contacted": "Y", "contacts": "2",
            "interventions": "1", "organisation_id": "U00001",
        ]
        var rows: [String] = []
        var id = 0
        func add(_ overrides: [String: String]) {
            id += 1
            var values = base
            values["referral_id"] = "FTR\(id)"
            values["person_id"] = "FTP\(id)"
            for (k, v) in overrides { values[k] = v }
            rows.append((mappedFields.map { values[$0]! } + ["note"]).joined(separator: ","))
        }
        for field in mappedFields {
            var once = [field: freeText(field, "once")]
            if notKeptWhenClean.contains(field) || field == "referral_id" { once["referral_date"] = "2024-02-30" }
            add(once)
            for _ in 0..<20 { add([field: freeText(field, "often")]) }
        }
        for _ in 0..<22 { add(["referral_source": shortLabel]) }
        return header + "\n" + rows.joined(separator: "\n") + "\n"
    }

    /// The owner-only quarantine files as text (rejected rows unzipped).
    static func quarantineText(_ out: String) throws -> String {
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        unzip.arguments = ["-c", "gzip -dc \"$0\"", out + "/quarantine/rejected.csv.gz"]
        let pipe = Pipe()
        unzip.standardOutput = pipe
        try unzip.run()
        let rejected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        unzip.waitUntilExit()
        return rejected + (try String(contentsOfFile: out + "/quarantine/unmapped_labels.csv", encoding: .utf8))
    }

    /// Free text in every mapped field, once and 20 times, never leaves the quarantine:
    /// not on stdout or stderr, not in any table, the manifest or either report, with
    /// disclosure control on or off; it is in the quarantine files, which are 0600 in a
    /// 0700 folder. A short label seen 22 times is published, n rounded to 20.
    @Test(arguments: [true, false])
    func freeTextInEveryMappedFieldStaysInQuarantine(control: Bool) throws {
        let dir = scratch()
        try Self.freeTextExtract().write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try sprx(
            ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", out]
                + (control ? [] : ["--no-disclosure-control"]))
        #expect(result.status == 0, "\(result.stderr)")
        // Labels are normalised (lower case), so look for the marker in any case.
        let marker = "zqxft"
        #expect(!result.stderr.lowercased().contains(marker), "stderr: \(result.stderr)")
        #expect(!result.stdout.lowercased().contains(marker))
        let published = Self.publishedFiles(out)
        for file in ["manifest.json", "report.html", "report.md", "tables/unmapped_labels.csv", "tables/data_quality.csv"] {
            #expect(published.contains { $0.0 == file }, "\(file) was written and checked")
        }
        for (path, text) in published {
            #expect(!text.lowercased().contains(marker), "\(path) holds free text")
            #expect(!text.contains("943 476 5919") && !text.lowercased().contains("jane doe"), "\(path) holds free text")
        }
        // The short, common label is published, with its count rounded (22 → 20; exact when control is off).
        let labels = try String(contentsOfFile: out + "/tables/unmapped_labels.csv", encoding: .utf8)
        #expect(labels.contains("referral_source,zqyshort,\(control ? "20,FALSE,on" : "22,FALSE,off")\n"), "\(labels)")
        // Every field's long text, seen 20 times, is under (other labels): 20 each for
        // the five label fields (referral_source also has the single one: 21).
        #expect(labels.contains("referral_source,(other labels),\(control ? "20" : "21"),"), "\(labels)")
        #expect(labels.contains("sex,(other labels),\(control ? "20" : "21"),"), "\(labels)")

        let quarantine = try Self.quarantineText(out).lowercased()
        for field in Self.mappedFields {
            #expect(quarantine.contains(Self.freeText(field, "once").lowercased()), "\(field) once reached the quarantine")
            if !Self.notKeptWhenClean.contains(field) {
                #expect(quarantine.contains(Self.freeText(field, "often").lowercased()), "\(field) often reached the quarantine")
            }
        }
        for file in ["rejected.csv.gz", "unmapped_labels.csv"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: out + "/quarantine/" + file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let folder = try FileManager.default.attributesOfItem(atPath: out + "/quarantine")
        #expect((folder[.posixPermissions] as? Int) == 0o700)
    }
}
