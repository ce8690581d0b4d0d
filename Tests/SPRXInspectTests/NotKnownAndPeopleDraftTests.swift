import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXInspect

/// The second new-user trial's draft findings (P1, P3, P4, P5, P8, P10 of
/// /work/newuser2.md): what `inspect --draft-pipeline` writes for ``WelshExport``, whose
/// counts are by hand from its row rules; each expectation below names the rule it
/// follows from.
@Suite(.timeLimit(.minutes(10))) struct NotKnownAndPeopleDraftTests {
    static func inspect(_ text: String) throws -> Inspection {
        let path = try scratchFile("export.csv", Array(text.utf8))
        return try Inspector.inspect(InspectOptions(inputs: [path], referenceDirectory: "\(packageRoot)/SampleData/reference"))
    }

    static func draft(_ inspection: Inspection) -> String {
        DraftPipeline.text(inspection, name: "draft", referenceDirectory: "\(packageRoot)/SampleData/reference")
    }

    static func load(_ text: String) throws -> PipelineConfiguration {
        try PipelineLoader.parse(yaml: text, path: "draft.yaml", baseDirectory: "\(packageRoot)/SampleData")
    }

    /// Every spelling of "not known" the trial met (and the brief lists) is unknown for
    /// every categorical field, never "no", a route or a level; "Declined" and "Refused"
    /// are no such spelling (a status, a choice), though ethnicity's own words read them.
    @Test func notKnownSpellingsAreUnknownForEveryField() {
        let spellings = ["N/K", "NK", "n/k", "not known", "Not Known", "unknown", "don't know", "not stated", "prefer not to say", "-", "?"]
        for spelling in spellings {
            for field in [CanonicalField.sex, .ethnicity, .contacted, .referralSource, .referralReasons] {
                #expect(Guessing.value(forLabel: spelling, field: field) == "unknown", "\(spelling) \(field)")
            }
            #expect(Guessing.isNotKnown(spelling), "\(spelling)")
            #expect(Guessing.isVocabularyWord(spelling, field: .contacted), "\(spelling)")
        }
        #expect(!Guessing.isNotKnown("Declined") && !Guessing.isNotKnown("Refused") && !Guessing.isNotKnown("None"))
        #expect(Guessing.value(forLabel: "Declined", field: .ethnicity) == "unknown")
        #expect(Guessing.value(forLabel: "N", field: .contacted) == "no")
        #expect(Guessing.value(forLabel: "Ethnicity not known", field: .ethnicity) == "unknown")
        // A count column still reads "Declined" as no number given (as before).
        #expect(MissingValueCandidates.meansNoNumber("declined") && MissingValueCandidates.meansNoNumber("n/k"))
    }

    /// Names: two or three capitalised words of letters (an initial allowed), no word of
    /// a vocabulary, a place or a status; role headers by word or by "<done> by".
    @Test func namesAndRoleHeaders() {
        for name in ["Ceri Thomas", "Siân O'Brien-Jones", "R. Evans", "RHIAN EVANS", "Mary Ann Jones"] {
            #expect(DimensionSuggestion.looksLikePersonalName(name), "\(name)")
        }
        for value in [
            "White British", "Self Referral", "Cardiff North", "Closed - Completed", "Not Known", "GP Surgery", "Unallocated", "Mary Ann Jones Smith",
            "Room 12", "Band A", "Group B", "Age UK", "Prefer Not To Say", "Duty Team", "english", "Mental Health",
        ] {
            #expect(!DimensionSuggestion.looksLikePersonalName(value), "\(value)")
        }
        for header in [
            "Link Worker", "Allocated to", "Assigned To", "Caseworker", "Seen By", "Referred by", "Key Worker", "Lead Practitioner", "Care Co-ordinator",
        ] {
            #expect(DimensionSuggestion.personRoleHeader(header), "\(header)")
        }
        for header in ["Unpaid Carer", "Referral Status", "Welsh Language Preference", "Contact Lead", "Housing by tenure"] {
            #expect(!DimensionSuggestion.personRoleHeader(header), "\(header)")
        }
    }

    /// The draft of ``WelshExport`` loads, and (hand counts from its rules):
    /// - contacted: yes Y, no N, unknown "N/K" and "Not known" (P3: N/K never a "no");
    /// - sex unknown "Prefer not to say";
    /// - dimensions: referral_status with levels Closed 30, Open 25, Declined 17 (a real
    ///   status, P5) and unknown "Unknown" (8); unpaid_carer No 40, Yes 30, unknown
    ///   "Don't know"; no dimension from Link Worker (role header) or Contact Lead (its
    ///   two values are names), P4;
    /// - missing_values: area_code "N/K" (10), referral_reasons "Not Known" (10), contacts
    ///   "Not Known" (10), organisation_id "Not Known" (10), P8; "Out of area" (10) only
    ///   counted;
    /// - organisations: left out (every area code Welsh), P1;
    /// - a comment on the date of birth, P10, above `optional:` (age, ethnicity and
    ///   interventions have no column).
    @Test func theDraftOfTheWelshExport() throws {
        let inspection = try Self.inspect(WelshExport.text())
        let text = Self.draft(inspection)
        let pipeline = try Self.load(text)
        #expect(pipeline.contactedLabels[.yes] == ["Y"], "\(text)")
        #expect(pipeline.contactedLabels[.no] == ["N"])
        #expect(pipeline.contactedLabels[.unknown] == ["N/K", "Not known"])
        #expect(pipeline.sexLabels[.unknown] == ["Prefer not to say"])
        let status = DeclaredDimension(
            name: "referral_status", title: "Referral Status", columns: ["Referral Status"],
            levels: [.init(label: "Closed", values: ["Closed"]), .init(label: "Open", values: ["Open"]), .init(label: "Declined", values: ["Declined"])],
            unknownValues: ["Unknown"], tables: true, model: false)
        let carer = DeclaredDimension(
            name: "unpaid_carer", title: "Unpaid Carer", columns: ["Unpaid Carer"],
            levels: [.init(label: "No", values: ["No"]), .init(label: "Yes", values: ["Yes"])], unknownValues: ["Don't know"], tables: true,
            model: false)
        #expect(pipeline.dimensions == [status, carer])
        #expect(pipeline.missingValues[.areaCode] == ["N/K"])
        #expect(pipeline.missingValues[.referralReasons] == ["Not Known"])
        #expect(pipeline.missingValues[.contacts] == ["Not Known"])
        #expect(pipeline.missingValues[.organisationID] == ["Not Known"])
        #expect(pipeline.organisations == nil)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(
            lines.contains(
                "  area_code: [\"N/K\"]   # REVIEW: 10 values that mean \"not known\"; without this line they are counted as codes no lookup recognises"))
        // "Out of area" (10, one spelling) is counted, never named.
        #expect(lines.contains { $0.hasPrefix("# REVIEW: 10 organisation_id values (1 distinct) with no digit, so no practice") }, "\(text)")
        #expect(!text.contains("Out of area"))
        #expect(
            lines.contains {
                $0.hasPrefix("# REVIEW: left out: the bundled provision data covers English PCNs only, and the export's areas are in Wales 100.0%")
            })
        #expect(lines.contains("# organisations:") && lines.contains("#   provision:"))
        #expect(lines.contains { $0.hasPrefix("# Column \"Link Worker\" looks like names of people (its header names a person's role): it is left out") })
        #expect(
            lines.contains {
                $0.hasPrefix("# Column \"Contact Lead\" looks like names of people (most of its values look like people's names): it is left out")
            })
        #expect(lines.contains { $0.hasPrefix("  # Column \"Client DOB\" looks like a date of birth: sprx reads age at referral") })
        // No column gives age, ethnicity or interventions (the header's columns).
        #expect(lines.contains("  optional: [age, ethnicity, interventions]   # REVIEW: no column found for these; their values are not recorded"))
        #expect(!text.contains("link_worker") && !text.contains("contact_lead"))
    }

    /// No name and no date of birth reaches the draft, the notes for stderr, the text
    /// report or the JSON report (the draft holds no value the report withholds).
    @Test func namesAndDatesOfBirthNeverWritten() throws {
        let inspection = try Self.inspect(WelshExport.text())
        let report = InspectionReport(inspection)
        let notes = DraftPipeline.notes(inspection).joined(separator: "\n")
        for output in [Self.draft(inspection), notes, report.text(), try report.json()] {
            for name in WelshExport.names { #expect(!output.contains(name), "\(name)") }
            for part in WelshExport.names.flatMap({ $0.split(separator: " ") }) { #expect(!output.contains(part), "\(part)") }
            #expect(output.range(of: #"\d\d/\d\d/19\d\d"#, options: .regularExpression) == nil)
        }
        // The report's guess for N/K is unknown too (it asks the same guesser).
        #expect(report.text().contains("N/K   (guess: unknown)"), "\(report.text())")
    }

    /// The notes for stderr: both name columns by header and reason, the date of birth,
    /// and the provision left out for an all-Welsh export, in that order.
    @Test func notesForStandardError() throws {
        let notes = DraftPipeline.notes(try Self.inspect(WelshExport.text()))
        #expect(notes.count == 4, "\(notes)")
        #expect(notes.first?.hasPrefix("sprx: Column \"Link Worker\" looks like names of people (its header names a person's role)") == true)
        #expect(notes.dropFirst().first?.hasPrefix("sprx: Column \"Contact Lead\" looks like names of people (most of its values") == true)
        #expect(notes.dropFirst(2).first?.hasPrefix("sprx: Column \"Client DOB\" looks like a date of birth") == true)
        #expect(
            notes.last
                == "sprx: the export's area codes are in Wales 100.0%, none in England: a draft leaves out England's link worker provision files (organisations: provision:), which cover English PCNs only"
        )
    }

    /// In a categorical column a not-known spelling is sprx's own word, so written
    /// however rarely seen; in a count column the rule stays: only frequent values are
    /// proposed (hand count of the 100 rows): Carer Yes 50, No 47, "N/K" 3 (under the
    /// threshold of 8) is the dimension's unknown; Contacts 1 ×89, "Not Known" ×8 (listed),
    /// "n/k" ×3 (rare: not listed, counted).
    @Test func rareNotKnownSpellingsAreStillUnknown() throws {
        var rows = ["Referral ID,Client ID,Referral Date,Carer,Contacts"]
        for i in 0..<100 {
            let carer = i < 50 ? "Yes" : i < 97 ? "No" : "N/K"
            let contacts = i < 89 ? "1" : i < 92 ? "n/k" : "Not Known"
            rows.append("R\(i),P\(i),2024-03-01,\(carer),\(contacts)")
        }
        let text = Self.draft(try Self.inspect(rows.joined(separator: "\n") + "\n"))
        let pipeline = try Self.load(text)
        #expect(pipeline.dimensions.map(\.unknownValues) == [["N/K"]], "\(text)")
        #expect(pipeline.dimensions.first?.levels.map(\.label) == ["Yes", "No"])
        #expect(pipeline.missingValues[.contacts] == ["Not Known"])
        #expect(text.contains("# REVIEW: 3 contacts values are still not whole numbers from 0 to 1,000"), "\(text)")
        // With no route, sex, ethnicity or area column, the contacts model has no
        // covariate left: it is left out (a model needs one), so the draft loads.
        #expect(pipeline.models.models.isEmpty, "\(pipeline.models.models.map(\.name))")
        #expect(text.contains("contacts (each of its covariates needs a field not in the export)"))
    }

    /// A label of a categorical field that names a person by title is never written,
    /// however often seen, though "dr" is a primary care word (hand count: GP 50,
    /// "Dr Jones" 10, Self 20): primary_care lists GP only, self_referral Self, and one
    /// label is counted as naming a person.
    @Test func aTitledNameIsNeverARouteLabel() throws {
        #expect(DimensionSuggestion.namesAPerson("Dr Jones") && DimensionSuggestion.namesAPerson("GP - Dr Patel"))
        #expect(!DimensionSuggestion.namesAPerson("Dr's surgery") && !DimensionSuggestion.namesAPerson("Dr") && !DimensionSuggestion.namesAPerson("GP"))
        var rows = ["Referral ID,Client ID,Referral Date,Referral Source"]
        for i in 0..<80 { rows.append("R\(i),P\(i),2024-03-01,\(i < 50 ? "GP" : i < 60 ? "Dr Jones" : "Self")") }
        let text = Self.draft(try Self.inspect(rows.joined(separator: "\n") + "\n"))
        let pipeline = try Self.load(text)
        #expect(pipeline.routes.first { $0.id == "primary_care" }?.labels == ["GP"], "\(text)")
        #expect(pipeline.routes.first { $0.id == "self_referral" }?.labels == ["Self"])
        #expect(!text.contains("Jones"))
        #expect(text.contains("  # REVIEW: 1 label naming a person (a title and a name), not written"))
    }

    /// Provision by the nations of the area codes: wholly English (no mark), England
    /// and Wales (kept, marked with both shares: 60 English of 80 codes = 75.0%, 20 Welsh
    /// = 25.0%), no area column (kept, marked: nations not known).
    @Test func provisionIsMarkedUnlessWhollyEnglish() throws {
        func export(_ area: (Int) -> String?) -> String {
            var rows = [area(0) == nil ? "Referral ID,Client ID,Referral Date" : "Referral ID,Client ID,Referral Date,LSOA"]
            for i in 0..<80 { rows.append("R\(i),P\(i),2024-03-01" + (area(i).map { ",\($0)" } ?? "")) }
            return rows.joined(separator: "\n") + "\n"
        }
        func provisionLine(_ text: String) -> String? { text.split(separator: "\n").map(String.init).first { $0.hasPrefix("  provision:") } }
        let english = Self.draft(try Self.inspect(export { _ in "E01000001" }))
        #expect(provisionLine(english) == "  provision:")
        #expect(try Self.load(english).organisations?.provision != nil)
        let mixed = Self.draft(try Self.inspect(export { $0 < 60 ? "E01000001" : "W01001694" }))
        #expect(
            provisionLine(mixed)
                == "  provision:   # REVIEW: the bundled provision data covers English PCNs only; the export's areas are in England 75.0%, Wales 25.0% (of its recognised area codes): keep it only for organisations that are English PCNs or practices"
        )
        let none = Self.draft(try Self.inspect(export { _ in nil }))
        #expect(
            provisionLine(none)?.contains("# REVIEW: the bundled provision data covers English PCNs only; no area code of the export was recognised") == true)
    }
}
