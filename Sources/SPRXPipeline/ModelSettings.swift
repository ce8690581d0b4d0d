import SPRXCore

/// What a model explains: derived from the clean referral, as in `outputs-v1.md`.
public enum ModelOutcome: String, Sendable, CaseIterable, Hashable {
    /// Binary: the route is non-medical (1) or medical (0); unknown routes are left out.
    case routeNonMedical = "route_nonmedical"
    /// Binary: reached a link worker (the `contacted` of the pathway table).
    case contacted
    /// Binary: interventions > 0; referrals whose interventions are unknown are left out.
    case anyIntervention = "any_intervention"
    /// Count: link worker contacts; unknown counts are left out.
    case contacts
    /// Count: interventions; unknown counts are left out.
    case interventions

    /// The family the outcome is modelled with.
    public var family: ModelFamilyName {
        switch self {
        case .routeNonMedical, .contacted, .anyIntervention: .logistic
        case .contacts, .interventions: .negativeBinomial
        }
    }
}

/// The model family, as named in pipeline files and `models.csv`.
public enum ModelFamilyName: String, Sendable, CaseIterable, Hashable {
    case logistic
    case negativeBinomial = "negative_binomial"
}

/// A covariate a model can adjust for: one of the table dimensions, or the route type.
public enum ModelCovariate: String, Sendable, CaseIterable, Hashable {
    case routeType = "route_type"
    case ageBand = "age_band"
    case sex
    case ethnicity
    case imdDecile = "imd_decile"
    case imdQuintile = "imd_quintile"
    case rurality
    case nation
}

/// One model a pipeline fits.
public struct ModelDefinition: Sendable, Hashable {
    /// The model's name in `models.csv` (`route_nonmedical`).
    public var name: String
    public var outcome: ModelOutcome
    public var family: ModelFamilyName
    /// Covariates in the order their terms are published.
    public var covariates: [ModelCovariate]

    public init(name: String, outcome: ModelOutcome, family: ModelFamilyName, covariates: [ModelCovariate]) {
        self.name = name
        self.outcome = outcome
        self.family = family
        self.covariates = covariates
    }
}

/// The `models` section of a pipeline file.
public struct ModelSettings: Sendable, Hashable {
    /// Cluster-robust (CR1) standard errors by `organisation_id`, when the data have it.
    public var clusterByOrganisation: Bool
    /// Keep `Unknown` as a covariate level instead of leaving such referrals out.
    public var unknownAsLevel: Bool
    /// The reference level of each covariate, by its published label.
    public var references: [ModelCovariate: String]
    public var models: [ModelDefinition]

    public init(
        clusterByOrganisation: Bool = true, unknownAsLevel: Bool = false, references: [ModelCovariate: String] = [:],
        models: [ModelDefinition] = []
    ) {
        self.clusterByOrganisation = clusterByOrganisation
        self.unknownAsLevel = unknownAsLevel
        self.references = references
        self.models = models
    }

    /// The reference level used when a pipeline names none: the first level in the
    /// published order, except route type (`medical`) and deprivation (least deprived,
    /// so odds ratios read as "more deprived vs least deprived", as in Bu et al.).
    public static func defaultReference(_ covariate: ModelCovariate, groupKey: GroupKeySchema) -> String {
        switch covariate {
        case .routeType: RouteType.medical.label
        case .ageBand: groupKey.grouping(covariate).levels[0]
        case .sex: Sex.female.label
        case .ethnicity: Ethnicity.white.label
        case .imdDecile, .imdQuintile: groupKey.grouping(covariate).levels.dropLast().last!
        case .rurality: Rurality.urban.label
        case .nation: Nation.england.label
        }
    }
}

extension GroupKeySchema {
    /// The grouping a model covariate reads: the one of the same name, with its levels
    /// as published (the table group labels), unknown last.
    public func grouping(_ covariate: ModelCovariate) -> Grouping { grouping(named: covariate.rawValue)! }
}
