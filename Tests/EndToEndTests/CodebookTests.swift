import Foundation
import SPRXCore
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

    /// The sample run the tests read (made once per test process, read only; its folder
    /// goes with the process's scratch root).
    static let sample: (out: String, status: Int32, stderr: String) = {
        let out = scratch() + "/out"
        let run = try? sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", "SampleData/canonical", "--out", out, "--quiet"])
        return (out, run?.status ?? -1, run?.stderr ?? "")
    }()

    @Test func everyTableAndColumnOfARunIsDescribed() throws {
        let out = Self.sample.out
        #expect(Self.sample.status == 0, "\(Self.sample.stderr)")
        let codebook = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        let sections = Self.sections(codebook)
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/tables").filter { $0.hasSuffix(".csv") }.sorted()
        #expect(files.count == 14)
        for file in files {
            let described = try #require(sections["tables/" + file], "no section for tables/\(file)")
            let header = try CSVTable(path: out + "/tables/" + file).header
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
        if let failure = Snapshot.mismatch(
            Self.tablesPreface + codebook, path: packageRoot + "/docs/tables.md", name: "docs/tables.md", rerun: "swift test --filter CodebookTests")
        {
            Issue.record("\(failure)")
        }
    }

    /// The text of each section of a codebook, by its heading (`tables/<name>.csv`).
    static func sectionTexts(_ codebook: String) -> [String: String] {
        var texts: [String: String] = [:]
        for part in codebook.components(separatedBy: "\n## ").dropFirst() {
            let heading = String(part.prefix { $0 != "\n" })
            texts[heading] = part
        }
        return texts
    }

    /// A table's header and its cells by column, read from the run's file.
    static func csv(_ path: String) throws -> (header: [String], values: [String: Set<String>]) {
        let table = try CSVTable(path: path)
        var values: [String: Set<String>] = [:]
        for row in table.rows {
            for (i, cell) in row.enumerated() where i < table.header.count { values[table.header[i], default: []].insert(cell) }
        }
        return (table.header, values)
    }

    /// The words of each table name only columns it has (the trial found `route_type_by_group`
    /// pointing at a `note` it lacks); each category column's codes are listed with their
    /// names; each interval limit has its own words. The tables, headers and codes come from
    /// the run's files, not from the declarations the codebook is made from.
    @Test func wordsNameOnlyTheTablesColumnsAndListTheirCodes() throws {
        let out = Self.sample.out
        #expect(Self.sample.status == 0, "\(Self.sample.stderr)")
        let codebook = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        let texts = Self.sectionTexts(codebook)
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/tables").filter { $0.hasSuffix(".csv") }.sorted()
        var tables: [String: (header: [String], values: [String: Set<String>])] = [:]
        for file in files { tables[file] = try Self.csv(out + "/tables/" + file) }
        let everyColumn = Set(tables.values.flatMap(\.header))
        #expect(!codebook.contains("{") && !codebook.contains("}"), "a column reference left unshown")
        for file in files {
            let table = try #require(tables[file])
            let name = String(file.dropLast(4))
            // The declared references.
            let references = Codebook.columnReferences(of: try #require(PublishedTables.schemas.first { $0.name == name }))
            #expect(references.isSubset(of: table.header), "tables/\(file) refers to \(references.subtracting(table.header).sorted())")
            // Any column name in backticks in the section: this table's, or a code its cells hold
            // (`nation` as a dimension, `percent` as a unit).
            let text = try #require(texts["tables/" + file])
            let quoted = text.components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            let cells = table.values.values.reduce(into: Set<String>()) { $0.formUnion($1) }
            for token in quoted where everyColumn.contains(token) && !table.header.contains(token) {
                let held = cells.contains(token)
                #expect(held, "tables/\(file): `\(token)` is another table's column, not one of this table's")
            }
            // Every interval limit says which end it is.
            let rows = CodebookTests.sections(codebook)["tables/" + file] ?? [:]
            for (low, high) in [("ci_low", "ci_high"), ("crude_ci_low", "crude_ci_high"), ("dsr_ci_low", "dsr_ci_high"), ("lower_95", "upper_95")] {
                guard let lowRow = rows[low], let highRow = rows[high] else { continue }
                #expect(lowRow[1] != highRow[1] && lowRow[1].contains("Lower") && highRow[1].contains("Upper"), "tables/\(file): \(lowRow[1]) / \(highRow[1])")
            }
            // Every code a category column holds is listed under its table.
            for column in ["route_type", "route", "reason"] {
                guard let values = table.values[column] else { continue }
                for code in values.subtracting(["all"]) {
                    #expect(text.contains("\n- `\(code)`"), "tables/\(file): code \(code) of \(column) not listed")
                }
            }
        }
        // The names are the report's (Sources/SPRXReport's defaults; the pipeline names none).
        let routes = try #require(texts["tables/route_by_group.csv"])
        #expect(routes.contains("- `primary_care`: Primary care (route type `medical`)"))
        #expect(routes.contains("- `vcse`: Voluntary and community sector (route type `non_medical`)"))
        #expect(try #require(texts["tables/route_type_by_group.csv"]).contains("- `non_medical`: Non-medical"))
        #expect(try #require(texts["tables/reasons_by_group.csv"]).contains("- `loneliness_isolation`: Loneliness or isolation"))
        #expect(!codebook.contains("controlled on its own") && !codebook.contains("lower or upper"))
    }

    /// The preface of `docs/tables.md` (the rest is the sample run's `README.md`).
    static let tablesPreface = """
        <!-- Generated: the README.md sprx writes into every output folder (default disclosure control).
             Rewrite with SPRX_UPDATE_SNAPSHOTS=1 swift test --filter CodebookTests. -->
        [Back to the README](../README.md)


        """
}
