import Foundation
import SPRXTestSupport
import Testing

/// Identifier-shaped labels (issue 24 trial): an NHS number, a postcode, an email
/// address and a note with a phone number, each typed into a mapped label field of 10
/// referrals (more than `suppress_up_to` + 1 = 8), are never published by name.
///
/// `sprx inspect` already refused to show them; `sprx run` named them in
/// `tables/unmapped_labels.csv`, both reports, the manifest's warnings and the
/// warnings on stderr. They must appear nowhere but the owner-only quarantine files,
/// and be counted under `(other labels)` there.
@Suite(.timeLimit(.minutes(10))) struct IdentifierLabelTests {
    /// Each identifier, the field it is typed into, and how it reads once labels are
    /// normalised (lower case) and as a search for it in any case.
    static let identifiers: [(field: String, text: String)] = [
        ("referral_source", "9434765919"),
        ("sex", "SW1A 1AA"),
        ("ethnicity", "jane.doe@nhs.net"),
        ("referral_reasons", "Called 07700 900123 re Jane"),
    ]
    /// Text that must not appear, whatever the case: each identifier and its digits.
    static let forbidden = ["9434765919", "sw1a 1aa", "sw1a", "jane.doe@nhs.net", "07700 900123", "07700"]

    /// 60 ordinary referrals, then 10 per identifier (its field replaced): 100 rows.
    static func extract() -> String {
        let fields = CSVTable.fields(header)
        var rows = (1...60).map { row($0) }
        var id = 60
        for (field, text) in identifiers {
            for _ in 0..<10 {
                id += 1
                var cells = CSVTable.fields(row(id))
                cells[fields.firstIndex(of: field)!] = text
                rows.append(cells.joined(separator: ","))
            }
        }
        return header + "\n" + rows.joined(separator: "\n") + "\n"
    }

    /// With disclosure control on or off: nothing on stdout or stderr, in any table, the
    /// manifest or either report holds an identifier; each field with one has an
    /// `(other labels)` row of exactly its 10 referrals (10 → 10 rounded); the identifiers
    /// are in the quarantine copy (so the check is not vacuous). Counts by hand.
    @Test(arguments: [true, false])
    func identifierLabelsAreNeverPublished(control: Bool) throws {
        let dir = scratch()
        try Self.extract().write(toFile: dir + "/extract.csv", atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try sprx(
            ["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/extract.csv", "--out", out]
                + (control ? [] : ["--no-disclosure-control"]))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("unmapped_labels"), "the run warned about the unmapped labels: \(result.stderr)")
        for text in Self.forbidden {
            #expect(!result.stderr.lowercased().contains(text), "stderr: \(result.stderr)")
            #expect(!result.stdout.lowercased().contains(text), "stdout: \(result.stdout)")
        }
        let published = PrivacyTests.publishedFiles(out)
        for file in ["manifest.json", "report.html", "report.md", "tables/unmapped_labels.csv", "tables/data_quality.csv"] {
            #expect(published.contains { $0.0 == file }, "\(file) was written and checked")
        }
        for (path, text) in published {
            for forbidden in Self.forbidden { #expect(!text.lowercased().contains(forbidden), "\(path) holds \(forbidden)") }
        }
        let labels = try String(contentsOfFile: out + "/tables/unmapped_labels.csv", encoding: .utf8)
        for (field, _) in Self.identifiers {
            #expect(labels.contains("\(field),(other labels),10,FALSE,\(control ? "on" : "off")\n"), "\(field): \(labels)")
        }
        let quarantine = try String(contentsOfFile: out + "/quarantine/unmapped_labels.csv", encoding: .utf8).lowercased()
        for (_, text) in Self.identifiers { #expect(quarantine.contains(text.lowercased()), "\(text) is in the quarantine copy") }
    }
}
