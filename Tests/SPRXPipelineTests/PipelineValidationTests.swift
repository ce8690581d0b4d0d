import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// A pipeline that cannot mean anything is refused before any data is read (issue 14,
/// "Fail loudly"): optional columns declared, one label per value, the age-band limit
/// of the aggregation key, an unreadable pipeline path, `quality` and `display_names`.
@Suite(.timeLimit(.minutes(10))) struct PipelineValidationTests: ShippedPipelineEditing {
    func failure(_ yaml: String) -> SPRXError? {
        #expect(throws: SPRXError.self) { try parse(yaml) }
    }

    // MARK: optional columns

    @Test func optionalColumnsAreDeclaredUnderColumns() throws {
        let config = try parse(edited("columns:\n", "columns:\n  optional: [organisation_id, contacts]\n"))
        #expect(config.optionalColumns == [.organisationID, .contacts])
        #expect(config.columns[.organisationID] == ["organisation_id"], "the list syntax of every field still works")
    }

    @Test(arguments: ["referral-equity.yaml", "casebook-export.yaml", "referral-equity-lsoa21.yaml"])
    func shippedPipelinesDeclareNoOptionalField(name: String) throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/\(name)")
        #expect(config.optionalColumns.isEmpty)
    }

    @Test(arguments: [
        ("[referral_date]", "referral_date"), ("[person_id]", "person_id"), ("[sexx]", "sexx"), ("[sex, sex]", "sex' repeats"),
    ])
    func optionalMustNameNonRequiredFieldsOnce(list: String, named: String) {
        let error = failure(edited("columns:\n", "columns:\n  optional: \(list)\n"))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("columns.optional") == true)
        #expect(error?.message.contains(named) == true)
        #expect(error?.location?.line != nil)
    }

    // MARK: one label, one value

    @Test(arguments: [
        // (edit, the two lists that hold one label, as the message must name them)
        ("labels: [Hospital, Secondary care,", "labels: [Hospital, GP, Secondary care,", "routes.primary_care.labels", "routes.secondary_care.labels"),
        (
            "labels: [Charity, Voluntary sector,", "labels: [Charity, \"  general   PRACTICE \", Voluntary sector,", "routes.primary_care.labels",
            "routes.vcse.labels"
        ),
        ("female: [F, Female, \"2\"]", "female: [F, Female, \"2\", \" m \"]", "labels.sex.female", "labels.sex.male"),
        ("    black: [Black]", "    black: [Black, white]", "labels.ethnicity.white", "labels.ethnicity.black"),
        ("  housing: [Housing]", "  housing: [Housing, ANXIETY]", "reasons.mental_health", "reasons.housing"),
        ("    no: [N, No, \"false\", \"0\"]", "    no: [N, No, \"false\", \"0\", \"yes\"]", "labels.contacted.yes", "labels.contacted.no"),
        (
            "    unknown: [Unknown, Not known]\n\n# Values", "    unknown: [Unknown, Not known, \"Y\"]\n\n# Values", "labels.contacted.yes",
            "labels.contacted.unknown"
        ),
    ])
    func aLabelUnderTwoValuesIsInvalid(old: String, new: String, first: String, second: String) {
        let error = failure(edited(old, new))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("key '\(second)'") == true, "\(String(describing: error))")
        #expect(error?.message.contains("also under '\(first)'") == true, "\(String(describing: error))")
        #expect(error?.message.contains("each label under one value only") == true)
        #expect(error?.location?.line != nil)
    }

    @Test func aLabelRepeatedUnderTheSameValueIsAccepted() throws {
        // "Unknown" is both a label of route unknown and (internally) an unknown-route label.
        let config = try parse(edited("    labels: [School, College, Education]", "    labels: [School, College, Education, school]"))
        #expect(config.routes.first { $0.id == "education" }?.labels.count == 4)
    }

    @Test func theSameLabelInDifferentVocabulariesIsAccepted() throws {
        // "Other" is a sex, an ethnicity and a route label: different fields, no clash.
        let config = try parse(valid)
        #expect(config.sexLabels[.other]?.contains("Other") == true && config.ethnicityLabels[.other] == ["Other"])
    }

    // MARK: age bands

    /// `n` bands: one-year bands 0-0 … (n-2)-(n-2), then `(n-1)+`.
    func bands(_ n: Int) -> String {
        ((0..<(n - 1)).map { "\"\($0)-\($0)\"" } + ["\"\(n - 1)+\""]).joined(separator: ", ")
    }

    /// Expected by hand: 121 one-year bands (0-0 … 119-119, then 120+) are the most
    /// ages 0-120 allow; with Unknown that is 122 levels, 7 bits of the key.
    @Test func everyOneYearAgeBandFitsTheAggregationKey() throws {
        let yaml = edited(
            "age_bands: [\"0-17\", \"18-24\", \"25-34\", \"35-44\", \"45-54\", \"55-64\", \"65-74\", \"75-84\", \"85+\"]", "age_bands: [\(bands(121))]"
        )
        .replacingOccurrences(of: "    age_band: \"45-54\"\n", with: "")
        let config = try parse(yaml)
        #expect(config.enrich.ageBands.count == 121)
        #expect(config.enrich.ageBands.last?.label == "120+")
        #expect(config.groupKey.field(.ageBand).width == 7)
        #expect(config.groupKey.grouping(.ageBand)?.levels.count == 122)
        #expect(config.groupKey.bits <= 64)
    }

    // MARK: the pipeline file itself

    @Test func aMissingPipelineFileIsOneCleanLine() {
        let error = #expect(throws: SPRXError.self) { try PipelineLoader.load(path: "/nonexistent/Pipelines/referal-equity.yaml") }
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message == "cannot read pipeline file: no such file or directory")
        #expect(error?.cause == nil)
        #expect(error?.location?.file == "/nonexistent/Pipelines/referal-equity.yaml")
        #expect(error.map { "\($0)" }?.contains("Domain") == false)
        #expect(error.map { "\($0)" }?.contains("\n") == false)
    }

    @Test func aFolderOrAFIFOAsPipelineIsRefusedWithoutBlocking() throws {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let folder = #expect(throws: SPRXError.self) { try PipelineLoader.load(path: dir) }
        #expect(folder?.message == "cannot read pipeline file: it is a folder, not a file")
        #expect(mkfifo(dir + "/fifo.yaml", 0o600) == 0)
        let fifo = #expect(throws: SPRXError.self) { try PipelineLoader.load(path: dir + "/fifo.yaml") }
        #expect(fifo?.message == "cannot read pipeline file: it is not a regular file")
    }

    // MARK: quality

    @Test func qualityDefaultsWhenTheSectionIsAbsent() throws {
        let gates = try parse(withQuality("")).quality
        #expect(gates.minCleanRows == 1 && gates.maxQuarantinedShare == 0.5)
        for field in QualityGates.gatedFields {
            #expect(gates.maxUnknownShare[field] == 1.0 && gates.maxUnmappedShare[field] == 0.5)
        }
        #expect(QualityGates.gatedFields.map(\.rawValue) == ["sex", "ethnicity", "referral_source", "referral_reasons", "contacted", "area_code"])
    }

    /// The pipeline with its `quality` section replaced by `section`.
    func withQuality(_ section: String) -> String {
        edited("quality:\n  min_clean_rows: 1\n  max_quarantined_share: 0.5\n  max_unknown_share: 1\n  max_unmapped_share: 0.5\n", section)
    }

    @Test func theShippedQualitySectionStatesTheDefaults() throws {
        #expect(try parse(valid).quality == QualityGates())
        #expect(try parse(withQuality("")).quality == QualityGates())
    }

    @Test func aKeyGivenTwiceIsInvalid() {
        let error = failure(valid + "\nquality:\n  min_clean_rows: 5\n")
        #expect(error?.message.contains("key 'quality': expected each key once ('quality' is given twice)") == true, "\(String(describing: error))")
        let nested = failure(edited("  sex: [sex]\n", "  sex: [sex]\n  sex: [gender]\n"))
        #expect(nested?.message.contains("key 'columns.sex'") == true)
    }

    @Test func qualityScalarAndPerFieldForms() throws {
        let yaml = withQuality(
            """
            quality:
              min_clean_rows: 100
              max_quarantined_share: 0.1
              max_unknown_share: 0.25
              max_unmapped_share: {sex: 0, referral_source: 0.05}

            """)
        let gates = try parse(yaml).quality
        #expect(gates.minCleanRows == 100 && gates.maxQuarantinedShare == 0.1)
        #expect(QualityGates.gatedFields.allSatisfy { gates.maxUnknownShare[$0] == 0.25 })
        #expect(gates.maxUnmappedShare[.sex] == 0 && gates.maxUnmappedShare[.referralSource] == 0.05)
        #expect(gates.maxUnmappedShare[.ethnicity] == 0.5, "a field not named keeps the default")
    }

    @Test(arguments: [
        ("max_quarantined_share: 1.5", "quality.max_quarantined_share", "a share from 0 to 1"),
        ("max_quarantined_share: -0.1", "quality.max_quarantined_share", "a share from 0 to 1"),
        ("max_quarantined_share: half", "quality.max_quarantined_share", "a share from 0 to 1"),
        ("max_quarantined_share: .nan", "quality.max_quarantined_share", "a share from 0 to 1"),
        ("max_unknown_share: {sex: 2}", "quality.max_unknown_share.sex", "a share from 0 to 1"),
        ("max_unmapped_share: {age: 0.1}", "quality.max_unmapped_share.age", "unknown key 'age'"),
        ("max_unmapped_share: [0.1]", "quality.max_unmapped_share", "a share from 0 to 1, or a mapping"),
        ("min_clean_rows: -1", "quality.min_clean_rows", "a whole number ≥ 0"),
        ("min_clean_rows: 0.5", "quality.min_clean_rows", "a whole number"),
        ("min_rows: 1", "quality.min_rows", "unknown key 'min_rows'"),
    ])
    func invalidQualityNamesTheKey(line: String, keyPath: String, expected: String) {
        let error = failure(withQuality("quality:\n  \(line)\n"))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("key '\(keyPath)'") == true, "\(String(describing: error))")
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    // MARK: display names

    @Test func displayNamesAreParsedPerDimension() throws {
        let yaml =
            valid + """

                display_names:
                  route_type: {medical: "Medical", non_medical: "Non-medical (community)", unknown: "Not recorded"}
                  route: {primary_care: "Primary care (GP)", vcse: "Voluntary sector", unknown: "Unknown"}
                  reason: {mental_health: "Mental health"}
                """
        let names = try parse(yaml).displayNames
        #expect(names["route_type"] == ["medical": "Medical", "non_medical": "Non-medical (community)", "unknown": "Not recorded"])
        #expect(names["route"] == ["primary_care": "Primary care (GP)", "vcse": "Voluntary sector", "unknown": "Unknown"])
        #expect(names["reason"] == ["mental_health": "Mental health"])
        #expect(try parse(valid).displayNames.isEmpty, "none by default: the report has plain-English defaults")
    }

    @Test(arguments: [
        ("route_type: {clinical: \"Clinical\"}", "display_names.route_type.clinical", "unknown key 'clinical'"),
        ("route: {gp: \"GP\"}", "display_names.route.gp", "unknown key 'gp'"),
        ("reason: {housing_need: \"Housing\"}", "display_names.reason.housing_need", "unknown key 'housing_need'"),
        ("routes: {vcse: \"VCSE\"}", "display_names.routes", "unknown key 'routes'"),
        ("route: {vcse: \"  \"}", "display_names.route.vcse", "a non-empty display name"),
        ("route: {vcse: \"\(String(repeating: "x", count: 61))\"}", "display_names.route.vcse", "at most 60 characters"),
        ("route: {vcse: \"V\(String(repeating: "\u{301}", count: 300))\"}", "display_names.route.vcse", "at most 60 characters"),
        ("route: {vcse: \"Voluntary\\tsector\"}", "display_names.route.vcse", "without control characters"),
        ("route: {vcse: \"Voluntary\\u202Esector\"}", "display_names.route.vcse", "without control characters"),
        ("route: {vcse: \"Community\", other: \"community\"}", "display_names.route.other", "not already given to 'vcse'"),
        ("reason: {housing: [Housing]}", "display_names.reason.housing", "expected text"),
    ])
    func invalidDisplayNamesNameTheKey(line: String, keyPath: String, expected: String) {
        let error = failure(valid + "\ndisplay_names:\n  \(line)\n")
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("key '\(keyPath)'") == true, "\(String(describing: error))")
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func sixtyCharacterDisplayNameIsAccepted() throws {
        let name = String(repeating: "é", count: 60)  // 60 characters, 120 bytes
        let names = try parse(valid + "\ndisplay_names:\n  route: {vcse: \"\(name)\"}\n").displayNames
        #expect(names["route"]?["vcse"] == name)
    }
}
