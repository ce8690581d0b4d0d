import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `organisations` section: the shipped provision files, the lookup's path, and each
/// mistake refused (exit 78) before any data is read.
@Suite(.timeLimit(.minutes(10))) struct OrganisationSettingsTests: ShippedPipelineEditing {
    /// The shipped section's `provision` lines.
    var shippedSection: String {
        let start = valid.range(of: "organisations:\n")!.lowerBound
        let end = valid.range(of: "\n\n", range: start..<valid.endIndex)!.lowerBound
        return String(valid[start..<end])
    }

    func withSection(_ section: String) -> String { edited(shippedSection, section) }

    func failure(_ section: String) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try parse(withSection(section)) }
        #expect(error?.code == .invalidPipeline, "\(String(describing: error))")
        #expect(error?.location?.line != nil)  // invalidPipeline: exit 78, as the rest of the loader
        return error
    }

    @Test func theShippedSectionReadsAsWritten() throws {
        let organisations = try #require(try parse(valid).organisations)
        // The generated sample's lookup, relative to the pipeline file.
        #expect(organisations.lookup?.path.hasSuffix("/../SampleData/organisations/canonical.csv") == true)
        let provision = try #require(organisations.provision)
        #expect(
            provision.files == [
                "pcn_splw_fte_england.csv.gz", "pcn_registered_patients_england.csv.gz", "gp_practice_pcn_lookup_england.csv.gz",
                "gp_practice_imd2019_fingertips_england.csv.gz",
            ])
        #expect(provision.workforce.edition.hasPrefix("NHS England Primary Care Network Workforce"))
        // Every shipped file is in the reference folder.
        for file in provision.files { #expect(FileManager.default.fileExists(atPath: "\(packageRoot)/SampleData/reference/\(file)")) }
    }

    @Test func withoutTheSectionThereIsNone() throws {
        #expect(try parse(withSection("")).organisations == nil)
    }

    @Test func theLookupIsRelativeToThePipelineFile() throws {
        let relative = try parse(withSection("organisations:\n  lookup: {file: ../SampleData/organisations/canonical.csv, edition: \"2026\"}"))
        #expect(
            relative.organisations
                == OrganisationSettings(lookup: OrganisationLookupSource(path: "/tmp/../SampleData/organisations/canonical.csv", edition: "2026")))
        let absolute = try parse(withSection("organisations:\n  lookup: {file: /data/orgs.csv, edition: \"2026\"}"))
        #expect(absolute.organisations?.lookup?.path == "/data/orgs.csv" && absolute.organisations?.provision == nil)
    }

    @Test func unknownKeysAreRefused() {
        let top = failure(shippedSection + "\n  providers: {file: x.csv, edition: y}")
        #expect(top?.message.contains("unknown key 'providers'") == true && top?.message.contains("organisations") == true)
        let inner = failure(
            shippedSection.replacingOccurrences(
                of: "\n  # The generated sample's", with: "\n    practice_imd: {file: x.csv, edition: y}\n  # The generated sample's"))
        #expect(inner?.message.contains("organisations.provision") == true && inner?.message.contains("unknown key 'practice_imd'") == true)
        let file = failure("organisations:\n  lookup: {file: x.csv, edition: y, sheet: 1}")
        #expect(file?.message.contains("organisations.lookup") == true && file?.message.contains("unknown key 'sheet'") == true)
    }

    @Test func everyFileAndEditionIsRequired() {
        let missing = failure(
            shippedSection.replacingOccurrences(
                of:
                    "\n    practices: {file: gp_practice_pcn_lookup_england.csv.gz, edition: \"NHS England Patients Registered at a GP Practice (practice mapping, 2025 extracts)\"}",
                with: ""))
        #expect(missing?.message.contains("organisations.provision.practices") == true)
        let blank = failure("organisations:\n  lookup: {file: x.csv, edition: \" \"}")
        #expect(blank?.message.contains("organisations.lookup.edition") == true)
        let noFile = failure("organisations:\n  lookup: {edition: \"2026\"}")
        #expect(noFile?.message.contains("organisations.lookup.file") == true)
        _ = failure("organisations: yes")
    }
}
