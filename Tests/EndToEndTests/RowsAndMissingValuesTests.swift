import Foundation
import SPRXTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 24, items 4 and 11, end to end: values named as missing are Unknown (never
/// quarantined), and no row disappears (mixed line ends, padded gzip, `--out` inside the
/// inputs, the output lock taken first). Every expected count is counted by hand from
/// the rows the test writes, as each test's comment shows.
@Suite(.timeLimit(.minutes(10))) struct RowsAndMissingValuesTests {
    /// Disclosure control off (the counts are small and checked exactly) and the
    /// `missing_values` section given, if any.
    static func pipeline(in dir: String, missingValues: String? = nil) throws -> String {
        var edits = [("disclosure:\n  enabled: true", "disclosure:\n  enabled: false")]
        if let missingValues { edits.append(("\ndates:\n", "\nmissing_values:\n\(missingValues)\ndates:\n")) }
        return try pipelineVariant(in: dir, edits)
    }

    /// The rows of `tables/<name>.csv` whose first cells are `prefix`, as cell lists.
    static func rows(_ out: String, _ name: String, _ prefix: [String]) throws -> [[String]] {
        let text = try String(contentsOfFile: "\(out)/tables/\(name).csv", encoding: .utf8)
        return CSVTable.records(text).filter { Array($0.prefix(prefix.count)) == prefix }
    }

    /// `data_quality.csv`'s value of `measure` for every file together.
    static func quality(_ out: String, _ measure: String) throws -> Int? {
        try rows(out, "data_quality", ["all", measure]).first.flatMap { Int($0[2]) }
    }

    static let header =
        "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id\n"

    /// An export like the new user's: ages written `unknown`, `N/K` and `-`, contacts `-`.
    ///
    /// Hand count of the 18 rows: ages unknown ×4, `N/K` ×3, `-` ×2 (9 not known); 30 ×5
    /// (band 25-34), of which 3 have contacts `-` and 2 have contacts 2; 150 ×2, -3 ×1,
    /// forty ×1 (4 impossible or unlisted). Every row: GP (medical), interventions 1.
    static func newUserExport() -> String {
        var rows: [String] = []
        var id = 0
        func add(_ age: String, contacts: String = "2") {
            id += 1
            rows.append("R\(id),P\(id),2024-03-01,\(age),F,White,E01000001,GP,Anxiety,,\(contacts),1,U00001")
        }
        for age in ["unknown", "Unknown", " UNKNOWN ", "unknown", "N/K", "n/k", "N/K", "-", " - "] { add(age) }
        for contacts in ["-", "-", "-", "2", "2"] { add("30", contacts: contacts) }
        for age in ["150", "150", "-3", "forty"] { add(age) }
        return header + rows.joined(separator: "\n") + "\n"
    }

    /// With `missing_values`, the 9 ages not known are the Unknown age band and the 3
    /// contacts `-` are unknown contacts: 14 clean, 4 quarantined (invalid_age), none
    /// invalid_contacts. Tables (hand counts above): all medical 14; age band Unknown 9,
    /// 25-34 5; intervention 14. Every contacted flag is empty, so reached a link worker
    /// reads contacts > 0, and the 3 contacts `-` leave 3 of 14 (21%, over the 2% limit)
    /// with no contact recorded at all: the contact share is withheld, never counted as
    /// "not reached" (note `partly_blank:contacted`).
    @Test func namedMissingValuesAreUnknownNotQuarantined() throws {
        let dir = scratch()
        try Self.newUserExport().write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let pipeline = try Self.pipeline(in: dir, missingValues: "  age: [unknown, \"N/K\", \"-\"]\n  contacts: [\"-\"]")
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", pipeline, "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "rows_read") == 18)
        #expect(try Self.quality(out, "clean") == 14)
        #expect(try Self.quality(out, "quarantined") == 4)
        #expect(try Self.quality(out, "quarantined:invalid_age") == 4)
        #expect(try Self.quality(out, "quarantined:invalid_contacts") == 0)
        #expect(try Self.rows(out, "route_type_by_group", ["all", "all", "medical"]).first?[3] == "14")
        #expect(try Self.rows(out, "route_type_by_group", ["age_band", "Unknown", "medical"]).first?[3] == "9")
        #expect(try Self.rows(out, "route_type_by_group", ["age_band", "25-34", "medical"]).first?[3] == "5")
        let pathway = try #require(try Self.rows(out, "pathway_by_group", ["all", "all", "medical"]).first)
        #expect(Array(pathway[3...5]) == ["14", "", "14"], "referred, contacted, intervention")
        #expect(pathway.contains("partly_blank:contacted"), "\(pathway)")
    }

    /// Without the section the same export loses 16 of 18 rows to quarantine (hand count:
    /// 9 ages not known + 4 impossible are invalid_age; the 3 contacts `-`, aged 30, are
    /// invalid_contacts), over the default 50% gate, so the run fails the gate.
    @Test func withoutTheSectionTheSameExportFailsTheQuarantineGate() throws {
        let dir = scratch()
        try Self.newUserExport().write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", try Self.pipeline(in: dir), "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("max_quarantined_share failed: 16 of 18 rows read were quarantined"), "\(run.stderr)")
    }

    /// A listed area code is an unknown area (data_quality's area_unknown), not an
    /// English code unmatched in the index; a listed organisation is no organisation.
    /// Hand count: 2 rows with area `E01999999` (listed; English-shaped, not in the
    /// index), 3 with `E01000001`. (Under 50% unmatched, so the plain run passes its gate.)
    @Test func aListedAreaCodeIsUnknownNotUnmatched() throws {
        let dir = scratch()
        var rows: [String] = []
        for i in 1...5 {
            let area = i <= 2 ? "E01999999" : "E01000001"
            rows.append("R\(i),P\(i),2024-03-01,40,F,White,\(area),GP,Anxiety,Y,2,1,\(i <= 3 ? "none" : "U00001")")
        }
        try (Self.header + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let listed = try Self.pipeline(in: dir, missingValues: "  area_code: [E01999999]\n  organisation_id: [none]")
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", listed, "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "area_unknown") == 2)
        #expect(try Self.quality(out, "area_unmatched_deprivation:England") == 0)
        #expect(try Self.quality(out, "clean") == 5)

        let plainOut = dir + "/plain"
        let plain = try sprx(["run", "--pipeline", try Self.pipeline(in: dir), "--input", dir + "/export.csv", "--out", plainOut, "--quiet"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try Self.quality(plainOut, "area_unknown") == 0)
        #expect(try Self.quality(plainOut, "area_unmatched_deprivation:England") == 2)
    }

    // MARK: no row disappears

    /// `n` clean rows (R1…Rn), each ended by `end`.
    static func rows(_ range: ClosedRange<Int>, end: String = "\n") -> String {
        range.map { "R\($0),P\($0),2024-03-01,40,F,White,E01000001,GP,Anxiety,Y,2,1,U00001" + end }.joined()
    }

    /// The issue's file: an LF export whose last 500 rows are joined by bare CRs. Hand
    /// count: 10 + 500 rows read, all clean, none quarantined, whatever --jobs.
    @Test(arguments: [1, 2])
    func anLFExportWithRowsJoinedByBareCRsLosesNoRow(jobs: Int) throws {
        let dir = scratch()
        try (Self.header + Self.rows(1...10) + Self.rows(11...510, end: "\r")).write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let run = try sprx([
            "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/export.csv", "--out", out, "--quiet", "--jobs", "\(jobs)", "--block-size",
            "4096",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "rows_read") == 510)
        #expect(try Self.quality(out, "clean") == 510)
        #expect(try Self.quality(out, "quarantined") == 0)
    }

    /// Blank lines of every kind are counted, never rows. Hand count: 3 rows; blank lines
    /// 1,000 LF + 1,000 CRLF + 1 bare CR + 1 LF = 2,002.
    @Test func blankLinesOfEveryKindAreCounted() throws {
        let dir = scratch()
        let text =
            Self.header + Self.rows(1...1) + String(repeating: "\n", count: 1000) + Self.rows(2...2, end: "\r\n")
            + String(repeating: "\r\n", count: 1000) + "\r" + Self.rows(3...3) + "\n"
        try text.write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/export.csv", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.quality(out, "rows_read") == 3)
        #expect(try Self.quality(out, "clean") == 3)
        #expect(try Self.quality(out, "blank_lines") == 2002)
    }

    /// `bytes` gzip-compressed by the system `gzip` (an independent encoder).
    static func systemGzip(_ text: String, in dir: String) throws -> [UInt8] {
        let path = dir + "/plain-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runCaptured("/bin/gzip", ["-n", path])
        #expect(result.status == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// Zero padding after the gzip data: read, with a warning on stderr and in the
    /// manifest's entry for the file. Hand count: 20 rows; 1,048,576 zero bytes.
    @Test func aGzipFollowedByZeroPaddingIsReadWithAWarning() throws {
        let dir = scratch()
        let padded = try Self.systemGzip(Self.header + Self.rows(1...20), in: dir) + [UInt8](repeating: 0, count: 1 << 20)
        try Data(padded).write(to: URL(fileURLWithPath: dir + "/export.csv.gz"))
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/export.csv.gz", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning: \(dir)/export.csv.gz: the gzip data is followed by 1048576 zero bytes of padding"), "\(run.stderr)")
        #expect(try Self.quality(out, "rows_read") == 20)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as? [String: Any]
        let input = try #require((manifest?["inputs"] as? [[String: Any]])?.first)
        let warnings = input["warnings"] as? [String]
        #expect(warnings?.count == 1 && warnings?.first?.contains("1048576 zero bytes of padding") == true, "\(input)")
    }

    /// Other bytes after the gzip data fail the file (65) naming it; nothing is published.
    @Test(arguments: [[UInt8](Array("garbage".utf8)), [0, 0, 0, 0x78]])
    func aGzipFollowedByOtherBytesFails(trailing: [UInt8]) throws {
        let dir = scratch()
        let bytes = try Self.systemGzip(Self.header + Self.rows(1...20), in: dir) + trailing
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/export.csv.gz"))
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/export.csv.gz", "--out", dir + "/out", "--quiet"])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(dir)/export.csv.gz"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// `--out` is refused (64) where a later run over the same inputs would read it, and
    /// nothing is made; the later run then still works. A folder inside the input folder
    /// under another name is still allowed (only top-level *.csv files are read).
    @Test func anOutputALaterRunWouldReadIsRefused() throws {
        let dir = scratch()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try (Self.header + Self.rows(1...12)).write(toFile: dir + "/in/a.csv", atomically: true, encoding: .utf8)
        func run(_ input: String, _ out: String) throws -> (status: Int32, stdout: String, stderr: String) {
            try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/" + input, "--out", dir + "/" + out, "--quiet"])
        }
        for (input, out) in [("in", "in/result.csv"), ("in", "in/RESULT.CSV.GZ"), ("in", "in/result.csv/tables"), ("in/a.csv", "elsewhere/result.csv")] {
            let refused = try run(input, out)
            #expect(refused.status == 64, "\(out): \(refused.stderr)")
            #expect(refused.stderr.contains("refusing --out") && refused.stderr.contains("later run"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/" + out), "\(out) was not made")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/in") == ["a.csv"], "nothing was made in the input folder")
        #expect(try run("in", "in/results").status == 0)
        let later = try run("in", "out")
        #expect(later.status == 0, "\(later.stderr)")
        #expect(try Self.quality(dir + "/out", "rows_read") == 12)
    }

    /// The output lock is the first thing a run takes: with it held, a run whose pipeline
    /// names a reference file that does not exist is refused as locked (75) at once, not
    /// failed on the reference (78), so it read no reference data before the lock.
    @Test func theLockIsTakenBeforeReferenceDataAreRead() throws {
        let dir = scratch()
        try (Self.header + Self.rows(1...3)).write(toFile: dir + "/export.csv", atomically: true, encoding: .utf8)
        let pipeline = try pipelineVariant(in: dir, [("imd2019_england_lsoa11.csv.gz", "missing-imd.csv.gz")])
        let arguments = ["run", "--pipeline", pipeline, "--input", dir + "/export.csv", "--out", dir + "/out", "--quiet"]
        let unlocked = try sprx(arguments)
        #expect(unlocked.status == 78 && unlocked.stderr.contains("missing-imd.csv.gz"), "\(unlocked.stderr)")

        let lock = open(dir + "/.out.lock", O_RDWR | O_CREAT, 0o600)
        #expect(lock >= 0)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        let locked = try sprx(arguments)
        #expect(locked.status == 75, "\(locked.stderr)")
        #expect(locked.stderr.contains("another run is writing this output"), "\(locked.stderr)")
        #expect(!locked.stderr.contains("missing-imd"), "refused before the references were read")
    }
}
