import Foundation
import SPRXTestSupport
import Testing

/// The output folder's `README.md` codebook, read back from a real run of the sample:
/// the tables the run wrote (listed from the folder, not from the declarations the
/// codebook is made from) each have a section, every column of each file's header a row
/// with a unit and a meaning; and `docs/tables.md` is the same text.
@Suite(.timeLimit(.minutes(10))) struct CodebookTests {
    /// The sections of a codebook: table file → (column → its row's cells after the name).
    static func sections(_ codebook: String) -> [String: [String: [String]]] {
        var sections: [String: [String: [String]]] = [:]
        var current: String?
        for line in codebook.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") {
                current = String(line.dropFirst(3))
                sections[current!] = [:]
            } else if let table = current, line.hasPrefix("| `") {
                let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                let column = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                sections[table]?[column] = Array(cells.dropFirst())
            }
        }
        return sections
    }

    @Test func everyTableAndColumnOfARunIsDescribed() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out"
        let run = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", out, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let codebook = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        let sections = Self.sections(codebook)
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/tables").filter { $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 13)
        for file in files {
            let described = try #require(sections["tables/" + file], "no section for tables/\(file)")
            let text = try String(contentsOfFile: out + "/tables/" + file, encoding: .utf8)
            let header = text.prefix { $0 != "\n" }.split(separator: ",").map(String.init)
            #expect(Set(described.keys) == Set(header), "tables/\(file): header \(header), codebook \(described.keys.sorted())")
            for column in header {
                let cells = described[column] ?? []
                #expect(cells.count == 3 && cells.allSatisfy { !$0.isEmpty }, "tables/\(file) column \(column): \(cells)")
            }
        }
        // The manifest lists it with its hash, like every file the run writes.
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"README.md\""))
        // No figure from the data: the sample's total (2,950 rounded) appears nowhere.
        #expect(!codebook.contains("2950") && !codebook.contains("3000"))
        // docs/tables.md is this text under its own preface.
        let docs = try String(contentsOfFile: packageRoot + "/docs/tables.md", encoding: .utf8)
        let expected = Self.tablesPreface + codebook
        if ProcessInfo.processInfo.environment["SPRX_UPDATE_SNAPSHOTS"] == "1" {
            try expected.write(toFile: packageRoot + "/docs/tables.md", atomically: true, encoding: .utf8)
        } else {
            #expect(docs == expected, "docs/tables.md is out of date: SPRX_UPDATE_SNAPSHOTS=1 swift test --filter CodebookTests rewrites it")
        }
    }

    /// The preface of `docs/tables.md` (the rest is the sample run's `README.md`).
    static let tablesPreface = """
        <!-- Generated: the README.md sprx writes into every output folder (default disclosure control).
             Rewrite with SPRX_UPDATE_SNAPSHOTS=1 swift test --filter CodebookTests. -->
        [Back to the README](../README.md)


        """
}
