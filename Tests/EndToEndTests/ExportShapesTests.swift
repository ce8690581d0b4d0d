import Foundation
import SPRXTestSupport
import Testing

/// Issue 16, "Done when": a semicolon-delimited, UTF-16, CR-only or date-with-time
/// export runs with a pipeline that says so, and the same rows are clean as for the
/// canonical layout of that data.
///
/// One canonical fixture extract (gunzipped by the system `gzip`) is converted here,
/// independently of sprx: fields are split by the RFC 4180 rules written out below
/// (Python `csv`'s default dialect) and written again with another delimiter, quoting
/// a field that holds it; UTF-16 comes from Foundation's encoder; dates are re-written
/// from their own digits. Each converted file, run with a pipeline variant naming its
/// shape, must give tables byte-identical to the canonical file's run (data_quality's
/// counts included: rows read, clean, duplicate and every quarantine reason).
@Suite(.serialized, .timeLimit(.minutes(10))) struct ExportShapesTests {
    /// The canonical extract's plain bytes (`gzip -dc`), as it is in SampleData.
    static let canonical: [UInt8] = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", "\(packageRoot)/SampleData/canonical/referrals-001.csv.gz"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }()

    /// The canonical run, once: its tables by file name.
    static let canonicalTables: [String: Data] = {
        let dir = scratch()
        guard (try? Data(canonical).write(to: URL(fileURLWithPath: dir + "/referrals-001.csv"))) != nil,
            let result = try? sprx([
                "run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/referrals-001.csv", "--out", dir + "/out", "--quiet",
            ]),
            result.status == 0
        else { return [:] }
        return tables(dir + "/out")
    }()

    static func tables(_ out: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out + "/tables")) ?? []
        var tables: [String: Data] = [:]
        for name in names { tables[name] = FileManager.default.contents(atPath: out + "/tables/" + name) }
        return tables
    }

    // MARK: an independent CSV reader and writer

    /// Rows of fields as bytes, by RFC 4180 as Python's `csv` reads it: a quote opens
    /// only at a field's start, `""` inside quotes is a quote, text after a closing quote
    /// is kept; a row ends at an LF outside quotes (a CR before it dropped).
    static func rows(_ bytes: [UInt8]) -> [[[UInt8]]] {
        var rows: [[[UInt8]]] = []
        var row: [[UInt8]] = []
        var field: [UInt8] = []
        var i = 0
        var quoted = false, atStart = true
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted = false }
                } else {
                    field.append(b)
                }
            } else if b == 0x22 && atStart {
                quoted = true
                atStart = false
            } else if b == 0x2C {
                row.append(field)
                field = []
                atStart = true
            } else if b == 0x0A {
                if field.last == 0x0D { field.removeLast() }
                row.append(field)
                rows.append(row)
                row = []
                field = []
                atStart = true
            } else {
                field.append(b)
                atStart = false
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// The rows written with `delimiter` and LF line ends; a field holding the
    /// delimiter, a quote, a CR or an LF is quoted.
    static func written(_ rows: [[[UInt8]]], delimiter: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            for (k, field) in row.enumerated() {
                if k > 0 { out.append(delimiter) }
                if field.contains(where: { $0 == delimiter || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                    out.append(0x22)
                    for b in field {
                        out.append(b)
                        if b == 0x22 { out.append(0x22) }
                    }
                    out.append(0x22)
                } else {
                    out += field
                }
            }
            out.append(0x0A)
        }
        return out
    }

    /// UTF-16LE with a byte-order mark, by Foundation; a byte that is not UTF-8 becomes
    /// a lone surrogate DC80-DCFF (Python's "surrogateescape"), which is not text in
    /// UTF-16 either, so the row stays invalid.
    static func utf16LittleEndian(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xFE]
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var text = ""
        func flush() {
            out += Array(text.data(using: .utf16LittleEndian)!)
            text = ""
        }
        var offset = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                text.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error(let length):
                flush()
                for b in bytes[offset..<(offset + length)] { out += [b, 0xDC] }  // DC00 | byte, little-endian
                offset += length
            case .emptyInput:
                break loop
            }
        }
        flush()
        return out
    }

    /// Every referral date (`YYYY-MM-DD`, `D/M/YYYY` or `YYYY-MM-DDTHH:MM…`) written as
    /// `DD/MM/YYYY HH:MM` with a time of day; other values are left as they are.
    static func datesWithTimes(_ rows: [[[UInt8]]]) -> [[[UInt8]]] {
        rows.enumerated().map { index, row in
            guard index > 0, row.count > 2 else { return row }
            let text = String(decoding: row[2], as: UTF8.self)
            var parts: [Int]
            if text.count >= 10, Array(text)[4] == "-" {
                parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }.reversed()
            } else {
                parts = text.split(separator: "/").compactMap { Int($0) }
            }
            guard parts.count == 3 else { return row }
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            var changed = row
            // The time comes from the original text, so a repeated row stays a repeat
            // (a duplicate) and two spellings of one day stay different (a conflict).
            let sum = row[2].reduce(0) { $0 + Int($1) }
            changed[2] = Array("\(two(parts[0]))/\(two(parts[1]))/\(parts[2]) \(two(sum % 24)):\(two(sum * 7 % 60))".utf8)
            return changed
        }
    }

    // MARK: the shapes

    /// Runs `bytes` as `referrals-001.csv` with the default pipeline plus `edits`, and
    /// compares every table with the canonical run's.
    func expectSameTables(_ bytes: [UInt8], _ edits: [(String, String)], _ shape: String) throws {
        let canonical = Self.canonicalTables
        try #require(canonical.count >= 6, "the canonical run must succeed")
        let dir = scratch()
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/referrals-001.csv"))
        let pipeline = try pipelineVariant(in: dir, edits)
        let result = try sprx(["run", "--pipeline", pipeline, "--input", dir + "/referrals-001.csv", "--out", dir + "/out", "--quiet"])
        try #require(result.status == 0, "\(shape): \(result.stderr)")
        let tables = Self.tables(dir + "/out")
        #expect(Set(tables.keys) == Set(canonical.keys), "\(shape)")
        for (name, data) in canonical.sorted(by: { $0.key < $1.key }) {
            #expect(tables[name] == data, "\(shape): tables/\(name) differs from the canonical run's")
        }
    }

    static let header = ("name: referral-equity\n", "name: referral-equity\n")

    @Test func semicolonDelimited() throws {
        let bytes = Self.written(Self.rows(Self.canonical), delimiter: UInt8(ascii: ";"))
        #expect(bytes.count > Self.canonical.count / 2 && !bytes.isEmpty)
        try expectSameTables(bytes, [("name: referral-equity\n", "name: referral-equity\ninput: {delimiter: \";\"}\n")], "semicolons")
    }

    @Test func utf16TabSeparatedAsExcelSavesUnicodeText() throws {
        let bytes = Self.utf16LittleEndian(Self.written(Self.rows(Self.canonical), delimiter: 0x09))
        try expectSameTables(
            bytes, [("name: referral-equity\n", "name: referral-equity\ninput: {delimiter: tab, encoding: utf-16}\n")], "UTF-16LE, tabs")
    }

    @Test func carriageReturnLineEnds() throws {
        let bytes = Self.canonical.map { $0 == 0x0A ? 0x0D : $0 }
        #expect(!bytes.contains(0x0A))
        try expectSameTables(bytes, [], "CR-only")
    }

    @Test func datesWithATime() throws {
        let rows = Self.datesWithTimes(Self.rows(Self.canonical))
        let bytes = Self.written(rows, delimiter: 0x2C)
        // Every date with digits is rewritten; an empty date or a word ("yesterday", a
        // generated invalid row) stays as it is, and is quarantined in both runs alike.
        #expect(rows.dropFirst().allSatisfy { $0.count < 3 || $0[2].count == 16 || !$0[2].contains { (0x30...0x39).contains($0) } }, "every date rewritten")
        try expectSameTables(
            bytes, [("formats: [YYYY-MM-DD, DD/MM/YYYY, ISO8601-timestamp]", "formats: [\"DD/MM/YYYY HH:MM\"]")], "DD/MM/YYYY HH:MM")
    }

    /// The same UTF-16 file without `encoding: utf-16` is refused (65), naming the setting.
    @Test func utf16WithoutTheSettingNamesIt() throws {
        let dir = scratch()
        try Data(Self.utf16LittleEndian(Array("referral_id,person_id\n1,2\n".utf8))).write(to: URL(fileURLWithPath: dir + "/x.csv"))
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/x.csv", "--out", dir + "/out"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("input: {encoding: utf-16}"), "\(result.stderr)")
    }

    // MARK: the reference folder

    /// A pipeline copied away from the repository (its `reference_dir` now names
    /// nothing) runs with `--reference-dir` or `SPRX_REFERENCE_DIR`, and the manifest
    /// names the folder and the step that chose it; a named folder that does not exist
    /// is exit 78 naming it.
    @Test func aCopiedPipelineFindsItsReferenceFolder() throws {
        let dir = scratch()
        // The sample's organisation lookup is the pipeline file's own (relative to it), not
        // the reference folder's: the copy names it by its absolute path.
        let yaml = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
            .replacingOccurrences(of: "file: ../SampleData/organisations/", with: "file: \(packageRoot)/SampleData/organisations/")
        try yaml.write(toFile: dir + "/copy.yaml", atomically: true, encoding: .utf8)
        let reference = "\(packageRoot)/SampleData/reference"
        let input = "\(packageRoot)/SampleData/canonical/referrals-001.csv.gz"
        let binary = try #require(sprxBinary)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SPRX_REFERENCE_DIR")

        let missing = try runCaptured(
            binary, ["run", "--pipeline", dir + "/copy.yaml", "--input", input, "--out", dir + "/o0", "--quiet"], in: dir, environment: environment)
        #expect(missing.status == 78 && missing.stderr.contains("--reference-dir") && missing.stderr.contains("SPRX_REFERENCE_DIR"), "\(missing.stderr)")

        let option = try runCaptured(
            binary, ["run", "--pipeline", dir + "/copy.yaml", "--input", input, "--out", dir + "/o1", "--quiet", "--reference-dir", reference], in: dir,
            environment: environment)
        #expect(option.status == 0, "\(option.stderr)")
        let manifest = try String(contentsOfFile: dir + "/o1/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"chosen_by\" : \"--reference-dir\"") && manifest.contains(reference), "\(manifest)")

        environment["SPRX_REFERENCE_DIR"] = reference
        let variable = try runCaptured(
            binary, ["run", "--pipeline", dir + "/copy.yaml", "--input", input, "--out", dir + "/o2", "--quiet"], in: dir, environment: environment)
        #expect(variable.status == 0, "\(variable.stderr)")
        #expect(try String(contentsOfFile: dir + "/o2/manifest.json", encoding: .utf8).contains("\"chosen_by\" : \"SPRX_REFERENCE_DIR\""))

        let typo = try runCaptured(
            binary, ["run", "--pipeline", dir + "/copy.yaml", "--input", input, "--out", dir + "/o3", "--reference-dir", dir + "/nowhere"], in: dir,
            environment: environment)
        #expect(typo.status == 78 && typo.stderr.contains(dir + "/nowhere") && typo.stderr.contains("--reference-dir"), "\(typo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o3"))
    }

    /// `sprx generate` outside the repository finds its reference files the same way.
    @Test func generateOutsideTheRepository() throws {
        let dir = scratch()
        let binary = try #require(sprxBinary)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SPRX_REFERENCE_DIR")
        let lost = try runCaptured(binary, ["generate", "--rows", "20", "--files", "1", "--out", dir + "/g0"], in: dir, environment: environment)
        #expect(lost.status == 78 && lost.stderr.contains("SPRX_REFERENCE_DIR"), "\(lost.stderr)")
        environment["SPRX_REFERENCE_DIR"] = "\(packageRoot)/SampleData/reference"
        let found = try runCaptured(binary, ["generate", "--rows", "20", "--files", "1", "--out", dir + "/g1"], in: dir, environment: environment)
        #expect(found.status == 0, "\(found.stderr)")
        environment.removeValue(forKey: "SPRX_REFERENCE_DIR")
        let option = try runCaptured(
            binary, ["generate", "--rows", "20", "--files", "1", "--out", dir + "/g2", "--reference-dir", "\(packageRoot)/SampleData/reference"], in: dir,
            environment: environment)
        #expect(option.status == 0, "\(option.stderr)")
        #expect(
            FileManager.default.contents(atPath: dir + "/g1/referrals-001.csv.gz") == FileManager.default.contents(atPath: dir + "/g2/referrals-001.csv.gz"))
    }
}
