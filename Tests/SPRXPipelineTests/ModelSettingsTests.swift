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

    /// The covariates a pipeline may name are the key's groupings within the model cell
    /// (listed in the error from the schema); an unknown name, or a grouping the model
    /// cell does not keep (the route), is a pipeline error (exit 78) at its line.
    @Test func covariatesAreTheModelCellsGroupings() throws {
        let names = "covariates from route_type, age_band, sex, ethnicity, imd_decile, imd_quintile, rurality, nation ("
        let unknown = failure("      covariates: [age_band, sex,", "      covariates: [age_band, disability, sex,")
        #expect(unknown?.code == .invalidPipeline && unknown?.location?.line != nil)
        #expect(unknown?.message.contains("models.fit[0].covariates") == true)
        #expect(unknown?.message.contains(names + "unknown 'disability')") == true)
        let route = failure("      covariates: [age_band, sex,", "      covariates: [age_band, route, sex,")
        #expect(route?.message.contains(names + "'route' is a grouping the models' cells do not keep)") == true)
        let reason = failure("      covariates: [age_band, sex,", "      covariates: [age_band, reason, sex,")
        #expect(reason?.message.contains("'reason' is a grouping the models' cells do not keep") == true)
        // A reference for a grouping outside the model cell is refused the same way.
        let reference = failure("    nation: England\n", "    nation: England\n    route: vcse\n")
        #expect(reference?.message.contains("models.reference.route") == true)
        #expect(reference?.message.contains("unknown key 'route'") == true)
        // A grouping within the cell that no shipped model uses is accepted.
        let decile = try parse(
            valid.replacingOccurrences(of: "covariates: [age_band, sex, ethnicity, imd_quintile,", with: "covariates: [age_band, sex, ethnicity, imd_decile,"))
        #expect(decile.models.models[0].covariates == [.ageBand, .sex, .ethnicity, .imdDecile, .rurality, .nation])
    }

    /// The default reference: the built-ins' choices (least deprived, medical, …), any
    /// other grouping its first level as published, none for a name the key lacks.
    @Test func defaultReferenceOfAnyGrouping() throws {
        let pipeline = try parse(valid)
        let key = pipeline.groupKey
        #expect(ModelSettings.defaultReference(.routeType, groupKey: key) == "medical")
        #expect(ModelSettings.defaultReference(.imdQuintile, groupKey: key) == "5")
        #expect(ModelSettings.defaultReference(.sex, groupKey: key) == "Female")
        #expect(ModelSettings.defaultReference(.ageBand, groupKey: key) == pipeline.enrich.ageBands.first?.label)
        // The route grouping's levels are the pipeline's routes in the order it lists them.
        let firstRoute = try #require(pipeline.routes.first?.id)
        #expect(ModelSettings.defaultReference(ModelCovariate(Grouping.Name.route), groupKey: key) == firstRoute)
        #expect(ModelSettings.defaultReference(ModelCovariate("disability"), groupKey: key) == nil)
    }
}
