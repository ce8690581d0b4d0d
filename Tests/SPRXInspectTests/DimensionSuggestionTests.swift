import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXInspect

/// `inspect --draft-pipeline` suggests `dimensions:` for categorical columns no field maps.
@Suite(.timeLimit(.minutes(10))) struct DimensionSuggestionTests {
    static func inspect(_ text: String) throws -> Inspection {
        let path = try scratchFile("export.csv", Array(text.utf8))
        return try Inspector.inspect(InspectOptions(inputs: [path], referenceDirectory: "\(packageRoot)/SampleData/reference"))
    }

    static func draft(_ inspection: Inspection) -> String {
        DraftPipeline.text(inspection, name: "draft", referenceDirectory: "\(packageRoot)/SampleData/reference")
    }

    /// The draft loads with the pipeline loader and declares `carer` exactly as counted by
    /// hand (``CarerExport``): levels No (N, 100) then Yes (Y, 50), most frequent first,
    /// yes/no spellings drafted under the words Yes and No; "Unknown" (48) under unknown; the free-text value (2) not written
    /// but counted in the REVIEW note. No other column becomes a dimension.
    @Test func draftDeclaresTheCategoricalColumnAndLoads() throws {
        let inspection = try Self.inspect(CarerExport.text())
        let text = Self.draft(inspection)
        let pipeline = try PipelineLoader.parse(yaml: text, path: "draft.yaml", baseDirectory: "\(packageRoot)/SampleData")
        let expected = DeclaredDimension(
            name: "carer", title: "Carer", columns: ["Carer"],
            levels: [.init(label: "No", values: ["N"]), .init(label: "Yes", values: ["Y"])], unknownValues: ["Unknown"], tables: true, model: false)
        #expect(pipeline.dimensions == [expected], "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        let entry = try #require(lines.first { $0.hasPrefix("  carer:") })
        #expect(entry.contains("# REVIEW: suggested from column \"Carer\" (3 values; and 1 rare value not shown"), "\(entry)")
        // The column is no longer listed as ignored; the others still are.
        let ignored = try #require(lines.first { $0.hasPrefix("  # Not mapped (ignored by a run):") })
        #expect(ignored == "  # Not mapped (ignored by a run): 'Case note', 'Keyworker'")
    }

    /// The rare free-text value (seen twice) and the free-text column's values never reach
    /// the draft, the text report or the JSON report; nor do the keyworker codes.
    @Test func rareAndFreeTextValuesNeverWritten() throws {
        let inspection = try Self.inspect(CarerExport.text())
        let report = InspectionReport(inspection)
        for output in [Self.draft(inspection), report.text(), try report.json()] {
            #expect(!output.contains("ZQXRARE") && !output.contains("ZQXNOTE") && !output.contains("KW00"))
            #expect(!output.contains("No notes"))
        }
    }

    /// Columns that are not categories are never suggested, each for its own reason:
    /// codes of letters and digits (KW001…), a header naming an identifier or free text,
    /// whole numbers of many kinds (minutes 0-59), dates, values all different, too many
    /// levels (25 of 8 each), a column whose publishable values cover under 90 % (13 of 8
    /// each, 104 values, and 96 all different), a blank header (no alias can name it).
    /// Tenure, with a value seen exactly 8 times (the threshold), is suggested.
    @Test func onlyCategoricalColumnsAreSuggested() throws {
        var rows = ["Referral ID,Client ID,Referral Date,Keyworker,Household number,Comments,Minutes,Discharged on,Token,Club,Housing,Tenure,Parish,"]
        for i in 0..<200 {
            let parish = i < 104 ? "Parish \(i % 13)" : "Hamlet \(i)"
            rows.append(
                [
                    "R\(i)", "P\(i / 2)", "2024-03-\(String(format: "%02d", 1 + i % 28))", "KW00\(1 + i % 9)", "\(1 + i % 3)", "Seen \(i % 4)",
                    "\(i % 60)", "2024-04-\(String(format: "%02d", 1 + i % 28))", "tok\(i)x", "Club \(i % 25)", ["Owner", "Renting"][i % 2],
                    i < 8 ? "Social" : "Private", parish, ["Owner", "Renting"][i % 2],
                ].joined(separator: ","))
        }
        let inspection = try Self.inspect(rows.joined(separator: "\n") + "\n")
        let suggested = DimensionSuggestion.suggestions(inspection, disclosure: DisclosureSettings())
        #expect(suggested.map(\.header) == ["Housing", "Tenure"])
        // Tenure: Private 192, Social 8 (seen exactly the threshold times).
        #expect(suggested.last?.levels.map(\.label) == ["Private", "Social"])
    }

    /// Spellings the label matcher treats alike are one level, named by the spelling seen
    /// most often (Yes 9, YES 8, yes 8: 25 values); "Not known" and "N/K" (missing-value
    /// words) go under unknown; "Yes/No", seen 8 times, cannot be a level label ('/') and
    /// is named in a REVIEW comment (it is publishable); "No" (30) is the first level (most
    /// frequent first), "Yes" the second. An NHS number typed 8 times (943 476 5919, the
    /// NHS Data Dictionary's example) is withheld, only counted: 81 of 89 values written,
    /// over 90 %.
    @Test func spellingsAndUnknownValues() throws {
        var rows = ["Referral ID,Client ID,Referral Date,Interpreter"]
        let values =
            Array(repeating: "Yes", count: 9) + Array(repeating: "YES", count: 8) + Array(repeating: "yes ", count: 8)
            + Array(repeating: "No", count: 30) + Array(repeating: "Not known", count: 10) + Array(repeating: "N/K", count: 8)
            + Array(repeating: "Yes/No", count: 8) + Array(repeating: "943 476 5919", count: 8)
        for (i, value) in values.enumerated() { rows.append("R\(i),P\(i),2024-03-01,\(value)") }
        let inspection = try Self.inspect(rows.joined(separator: "\n") + "\n")
        let suggestion = try #require(DimensionSuggestion.suggestions(inspection, disclosure: DisclosureSettings()).first)
        #expect(suggestion.name == "interpreter")
        #expect(suggestion.levels == [.init(label: "No", value: "No", count: 30), .init(label: "Yes", value: "Yes", count: 25)])
        #expect(suggestion.withheld == 1 && suggestion.rare == 0)
        #expect(suggestion.unknown == ["Not known", "N/K"])
        #expect(suggestion.notLevels == ["Yes/No"])
        let text = Self.draft(inspection)
        #expect(text.contains("    # REVIEW: not a level label (a '/', or too long), so unmapped until listed under a level: 'Yes/No'"))
        #expect(text.contains("(4 values; and 1 value not shown (too long or shaped like an identifier): a run counts it as unmapped)"), "\(text)")
        #expect(!text.contains("943"))
        let pipeline = try PipelineLoader.parse(yaml: text, path: "draft.yaml", baseDirectory: "\(packageRoot)/SampleData")
        #expect(pipeline.dimensions.map(\.unknownValues) == [["Not known", "N/K"]])
    }

    /// More categorical columns than the key holds: the draft declares those that fit, in
    /// column order, names the rest in a comment, and still loads.
    @Test func dimensionsPastTheKeyAreNamedNotDeclared() throws {
        let columns = (1...12).map { "Flag \($0)" }
        var rows = ["Referral ID,Client ID,Referral Date," + columns.joined(separator: ",")]
        for i in 0..<160 {
            rows.append("R\(i),P\(i),2024-03-01," + columns.indices.map { "Band " + String(UnicodeScalar(UInt8(65 + (i + $0) % 20))) }.joined(separator: ","))
        }
        let inspection = try Self.inspect(rows.joined(separator: "\n") + "\n")
        let planned = DraftPipeline.plannedDimensions(inspection)
        #expect(!planned.written.isEmpty && !planned.noRoom.isEmpty)
        #expect((planned.written + planned.noRoom).map(\.header) == columns)
        let text = Self.draft(inspection)
        let pipeline = try PipelineLoader.parse(yaml: text, path: "draft.yaml", baseDirectory: "\(packageRoot)/SampleData")
        #expect(pipeline.dimensions.map(\.name) == planned.written.map(\.name))
        for suggestion in planned.noRoom {
            #expect(text.contains("# REVIEW: column \"\(suggestion.header)\" looks categorical too (20 levels), but the aggregation key has no room"))
        }
    }

    /// Drafted again under a pipeline that declares the column as `caring` (the first
    /// draft, renamed), the dimension keeps the pipeline's name and the draft loads.
    @Test func underAPipelineADeclaredColumnKeepsItsName() throws {
        let first = Self.draft(try Self.inspect(CarerExport.text()))
        #expect(first.contains("\n  carer:   # REVIEW"))
        let pipeline = try scratchFile("ours.yaml", Array(first.replacingOccurrences(of: "\n  carer:   # REVIEW", with: "\n  caring:   # REVIEW").utf8))
        let input = try scratchFile("export.csv", Array(CarerExport.text().utf8))
        let again = Self.draft(try Inspector.inspect(InspectOptions(inputs: [input], pipelinePath: pipeline)))
        let loaded = try PipelineLoader.parse(yaml: again, path: "draft.yaml", baseDirectory: "\(packageRoot)/SampleData")
        #expect(loaded.dimensions.map(\.name) == ["caring"], "\(again)")
    }

    /// `inspect --pipeline` judges a declared dimension's column as it does a categorical
    /// field's: labels seen at least 8 times with their level (hand count of
    /// ``CarerExport``: N 100, Y 50, Unknown 48), the free-text value counted (1 label, 2
    /// values, unmapped), never shown.
    @Test func aDeclaredDimensionsLabelsAreJudged() throws {
        let pipeline = try scratchFile("ours.yaml", Array(Self.draft(try Self.inspect(CarerExport.text())).utf8))
        let input = try scratchFile("export.csv", Array(CarerExport.text().utf8))
        let report = InspectionReport(try Inspector.inspect(InspectOptions(inputs: [input], pipelinePath: pipeline)))
        let carer = try #require(report.columns.first { $0.header == "Carer" })
        #expect(carer.dimension == "carer" && carer.field == nil)
        #expect(
            carer.labels?.map { [$0.label, String($0.count), $0.mapsTo ?? "-"] } == [["N", "100", "No"], ["Y", "50", "Yes"], ["Unknown", "48", "Unknown"]])
        #expect(carer.rareLabels == 1 && carer.rareValues == 2 && carer.unmappedValues == 2)
        let text = report.text()
        #expect(text.contains("  'Carer' -> dimension carer\n"), "\(text)")
        for output in [text, try report.json()] { #expect(!output.contains("ZQX") && !output.contains("KW00")) }
        #expect(report.columns.first { $0.header == "Case note" }?.labels == nil)
    }

    /// Header to dimension name, by the rule (hand-applied): lower case, other runs `_`,
    /// accents dropped, `d_` before a digit, at most 40 characters, `_2` when taken.
    @Test func codeNames() {
        let taken = PipelineLoader.reservedDimensionNames
        #expect(DimensionSuggestion.codeName("Disability status", taken: taken) == "disability_status")
        #expect(DimensionSuggestion.codeName("  Carer? (Y/N) ", taken: taken) == "carer_y_n")
        #expect(DimensionSuggestion.codeName("Nation", taken: taken) == "nation_2")
        #expect(DimensionSuggestion.codeName("2nd language", taken: taken) == "d_2nd_language")
        #expect(DimensionSuggestion.codeName("Bénéficiaire", taken: taken) == "beneficiaire")
        #expect(DimensionSuggestion.codeName("¿?", taken: taken) == "dimension")
        let long = DimensionSuggestion.codeName(String(repeating: "ab ", count: 30), taken: taken)
        #expect(long == String(repeating: "ab_", count: 13) + "a" && long.count == 40)
        #expect(DimensionSuggestion.codeName(String(repeating: "ab ", count: 30), taken: [long]) == String(repeating: "ab_", count: 12) + "ab_2")
        for name in ["disability_status", "nation_2", "d_2nd_language", long] { #expect(PipelineLoader.isCodeName(name)) }
    }

    /// The most common spelling of a label, within a file and across files (counts by hand).
    @Test func commonSpellingAcrossFiles() {
        func profile(_ values: [String]) -> ColumnProfile {
            var p = ColumnProfile(maxDistinct: 10, window: Day(daysSinceEpoch: 0)...Day(daysSinceEpoch: 1))
            for v in values { Array(v.utf8).withUnsafeBytes { p.add($0) } }
            return p
        }
        var a = profile(["yes", "Yes", "Yes", "YES"])
        #expect(a.labels["yes"]?.commonSpelling == "Yes" && a.labels["yes"]?.count == 4)
        a.merge(profile(["YES", "YES", "yes", "YES"]))  // YES 4, Yes 2, yes 2
        #expect(a.labels["yes"]?.commonSpelling == "YES" && a.labels["yes"]?.count == 8)
    }

    /// The publishing rule the draft shares with `unmapped_labels.csv`: at least
    /// suppress_up_to + 1 times, at most 60 characters, never an identifier (an NHS number
    /// with a valid check digit, 943 476 5919, from the NHS Data Dictionary's example).
    @Test func publishableLabelRule() {
        let disclosure = DisclosureSettings()
        #expect(disclosure.mayPublishLabel("Carer", count: 8))
        #expect(!disclosure.mayPublishLabel("Carer", count: 7))
        #expect(!disclosure.mayPublishLabel("943 476 5919", count: 100))
        #expect(disclosure.mayPublishLabel(String(repeating: "a", count: 60), count: 8))
        #expect(!disclosure.mayPublishLabel(String(repeating: "a", count: 61), count: 8))
        #expect(!DisclosureSettings(suppressUpTo: 10).mayPublishLabel("Carer", count: 10))
    }

    /// A frequent value that reads like a note about a person is withheld from a draft, not
    /// made a level (a trial's carer column held "Mother: Mrs Okonkwo" ten times); yes/no
    /// spellings are drafted as one level each. Cases by hand.
    @Test func notesAreWithheldAndYesNoSpellingsJoined() {
        for note in ["Mother: Mrs Okonkwo", "Dr Patel said so", "carer since 2019", "looks after her son most days now"] {
            #expect(DimensionSuggestion.readsLikeANote(note), "\(note)")
        }
        for category in ["Not a carer", "Yes", "Young carer", "Parent carer", "Prefer not to say"] {
            #expect(!DimensionSuggestion.readsLikeANote(category), "\(category)")
        }
        #expect(DimensionSuggestion.synonyms.first { $0.keys.contains("y") }?.label == "Yes")
        #expect(DimensionSuggestion.synonyms.first { $0.keys.contains("false") }?.label == "No")
    }
}
