import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `missing_values` section (issue 24, item 4): per field, the values that mean "not
/// known". Read as written; refused (78) for a required field, a blank or repeated value,
/// and a value that is also one of the field's labels.
@Suite(.timeLimit(.minutes(10))) struct MissingValuesSettingsTests: ShippedPipelineEditing {
    /// The shipped pipeline with `section` inserted before `dates:`.
    func withMissingValues(_ section: String) -> String { edited("\ndates:\n", "\nmissing_values:\n\(section)\ndates:\n") }

    func failure(_ yaml: String) -> SPRXError? { #expect(throws: SPRXError.self) { try parse(yaml) } }

    @Test func missingValuesAreReadPerFieldAsWritten() throws {
        let config = try parse(
            withMissingValues(
                """
                  age: [unknown, "N/K", "-", "99"]
                  contacts: ["-"]
                  area_code: [ZZZZZZZZZ]
                  organisation_id: [Not recorded]
                  sex: [Not stated]
                  referral_reasons: [none given]
                """))
        #expect(config.missingValues[.age] == ["unknown", "N/K", "-", "99"])
        #expect(config.missingValues[.contacts] == ["-"])
        #expect(config.missingValues[.areaCode] == ["ZZZZZZZZZ"])
        #expect(config.missingValues[.organisationID] == ["Not recorded"])
        #expect(config.missingValues[.sex] == ["Not stated"])
        #expect(config.missingValues[.referralReasons] == ["none given"])
        #expect(config.missingValues[.interventions] == nil)
    }

    @Test(arguments: ["referral-equity.yaml", "casebook-export.yaml", "referral-equity-lsoa21.yaml"])
    func shippedPipelinesListNone(name: String) throws {
        let config = try PipelineLoader.load(path: "\(packageRoot)/Pipelines/\(name)")
        #expect(config.missingValues.isEmpty)
    }

    @Test(arguments: ["referral_id", "person_id", "referral_date"])
    func aRequiredFieldCannotHaveMissingValuesAndTheMessageSaysWhy(field: String) {
        let error = failure(withMissingValues("  \(field): [unknown]"))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("missing_values.\(field)") == true, "\(String(describing: error))")
        #expect(error?.message.contains("a referral cannot be counted without") == true)
        #expect(error?.location?.line != nil)
    }

    @Test(arguments: [
        // (section, words the message must hold)
        ("  agee: [unknown]", "unknown field 'agee'"),
        ("  age: []", "a non-empty list"),
        ("  age: unknown", "a list of text values"),
        ("  age: [\"  \"]", "not blank"),
        ("  age: [unknown, \" UNKNOWN \"]", "repeats"),
        ("  age: [\"\(String(repeating: "x", count: 129))\"]", "at most 128"),
    ])
    func badListsAreRefused(section: String, named: String) {
        let error = failure(withMissingValues(section))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    @Test func theSectionMustBeAMapping() {
        let error = failure(edited("\ndates:\n", "\nmissing_values: [unknown]\ndates:\n"))
        #expect(error?.message.contains("missing_values") == true, "\(String(describing: error))")
    }

    /// The shipped pipeline's labels (read from its text): `Not known` is a sex, route,
    /// ethnicity and contacted label, `Other` a sex, ethnicity and route label, `Anxiety`
    /// a reason label.
    @Test(arguments: [
        ("  sex: [\"  not   KNOWN \"]", "labels.sex.unknown"),
        ("  ethnicity: [other]", "labels.ethnicity.other"),
        ("  referral_source: [not known]", "routes.unknown.labels"),
        ("  referral_source: [gp]", "routes.primary_care.labels"),
        ("  referral_reasons: [anxiety]", "reasons.mental_health"),
        ("  contacted: [\"0\"]", "labels.contacted.no"),
    ])
    func aValueThatIsAlsoALabelIsRefused(section: String, list: String) {
        let error = failure(withMissingValues(section))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("values that are not also labels") == true, "\(String(describing: error))")
        #expect(error?.message.contains("'\(list)'") == true, "\(String(describing: error))")
    }

    /// Fields without labels take any value, a number included (`99` for an age).
    @Test func numericFieldsMayListNumbers() throws {
        let config = try parse(withMissingValues("  age: [\"99\", \"0\"]\n  interventions: [\"-1\"]"))
        #expect(config.missingValues[.age] == ["99", "0"])
        #expect(config.missingValues[.interventions] == ["-1"])
    }
}
