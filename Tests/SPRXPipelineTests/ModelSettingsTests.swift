import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

@Suite(.timeLimit(.minutes(10))) struct ModelSettingsTests: ShippedPipelineEditing {
    func failure(_ from: String, _ to: String) -> SPRXError? {
        let yaml = valid.replacingOccurrences(of: from, with: to)
        #expect(yaml != valid, "the replacement must change the file")
        return #expect(throws: SPRXError.self) { try parse(yaml) }
    }

    /// The four default models, as the default pipeline declares them.
    @Test func defaultPipelineDeclaresTheFourModels() throws {
        let models = try parse(valid).models
        let demographics: [ModelCovariate] = [.ageBand, .sex, .ethnicity, .imdQuintile, .rurality, .nation]
        #expect(
            models.models == [
                ModelDefinition(name: "route_nonmedical", outcome: .routeNonMedical, family: .logistic, covariates: demographics),
                ModelDefinition(name: "any_intervention", outcome: .anyIntervention, family: .logistic, covariates: [.routeType] + demographics),
                ModelDefinition(name: "contacts", outcome: .contacts, family: .negativeBinomial, covariates: [.routeType] + demographics),
                ModelDefinition(name: "interventions", outcome: .interventions, family: .negativeBinomial, covariates: [.routeType] + demographics),
            ])
        #expect(models.clusterByOrganisation && !models.unknownAsLevel)
        #expect(models.references[.imdQuintile] == "5" && models.references[.ageBand] == "45-54")
    }

    @Test func noModelsSectionMeansNoModels() throws {
        let yaml = String(valid[..<valid.range(of: "# Regression models")!.lowerBound])
        #expect(try parse(yaml).models.models.isEmpty)
    }

    @Test func unknownOutcomeNamesTheChoices() {
        let error = failure("      outcome: contacts\n", "      outcome: contact_count\n")
        #expect(error?.message.contains("models.fit[2].outcome") == true)
        #expect(error?.message.contains("route_nonmedical, contacted, any_intervention, contacts, interventions") == true)
    }

    @Test func familyMustFitTheOutcome() {
        let error = failure("      outcome: contacts\n      family: negative_binomial", "      outcome: contacts\n      family: logistic")
        #expect(error?.message.contains("models.fit[2].family") == true)
        #expect(error?.message.contains("negative_binomial (the family for outcome contacts)") == true)
    }

    @Test func routeTypeCannotExplainItself() {
        let error = failure(
            "      family: logistic\n      covariates: [age_band,", "      family: logistic\n      covariates: [route_type, age_band,")
        #expect(error?.message.contains("models.fit[0].covariates") == true)
    }

    @Test func referenceMustBeALevel() throws {
        let error = failure("    age_band: \"45-54\"", "    age_band: \"45-55\"")
        #expect(error?.message.contains("models.reference.age_band") == true)
        #expect(error?.message.contains("0-17, 18-24") == true)
        // Unknown is a level only when kept as one.
        #expect(failure("    nation: England", "    nation: Unknown") != nil)
        let kept = valid.replacingOccurrences(of: "    nation: England", with: "    nation: Unknown")
            .replacingOccurrences(of: "unknown_levels: exclude", with: "unknown_levels: level")
        #expect(try parse(kept).models.references[.nation] == "Unknown")
    }

    @Test func namesAreUniqueAndCovariatesKnown() {
        let duplicate = failure("    - name: contacts\n", "    - name: any_intervention\n")
        #expect(duplicate?.message.contains("not used before") == true)
        let covariate = failure("      covariates: [age_band, sex,", "      covariates: [age, sex,")
        #expect(covariate?.message.contains("unknown 'age'") == true)
        let cluster = failure("  cluster: organisation_id", "  cluster: practice")
        #expect(cluster?.message.contains("organisation_id or none") == true)
    }
}
