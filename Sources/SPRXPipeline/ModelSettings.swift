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

    /// The `term`s of a negative binomial model's dispersion rows in `models.csv` (θ and
    /// α = 1/θ): no covariate may be called so.
    public static let dispersionTerms = (theta: "theta", alpha: "alpha")
}

/// A covariate a model can adjust for: a grouping of the group key, by its name.
///
/// Any grouping whose field the model cell keeps (``GroupKeySchema/modelCellKeeps(_:)``)
/// can be one: the table dimensions, the route type, and any dimension a pipeline
/// declares for the models. The loader accepts only such names, so every covariate of a
/// loaded pipeline names a grouping of its key. The built-in ones are named here so code
/// can refer to them.
public struct ModelCovariate: Sendable, Hashable, CustomStringConvertible {
    /// The grouping's name: the `term` of `models.csv` and the key under `reference`.
    public let name: String

    /// A covariate reading the grouping of this name.
    public init(_ name: String) { self.name = name }

    /// The grouping's name, as published (``name``).
    public var rawValue: String { name }
    public var description: String { name }

    public static let routeType = ModelCovariate(Grouping.Name.routeType)
    public static let ageBand = ModelCovariate(Grouping.Name.ageBand)
    public static let sex = ModelCovariate(Grouping.Name.sex)
    public static let ethnicity = ModelCovariate(Grouping.Name.ethnicity)
    public static let imdDecile = ModelCovariate(Grouping.Name.imdDecile)
    public static let imdQuintile = ModelCovariate(Grouping.Name.imdQuintile)
    public static let rurality = ModelCovariate(Grouping.Name.rurality)
    public static let nation = ModelCovariate(Grouping.Name.nation)
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

    /// The reference level used when a pipeline names none: route type `medical`,
    /// deprivation the least deprived (so odds ratios read as "more deprived vs least
    /// deprived", as in Bu et al.), sex female, ethnicity White, rurality urban, nation
    /// England; any other grouping (the age bands, a declared dimension) its first level
    /// in the published order. `nil` when the key has no such grouping.
    public static func defaultReference(_ covariate: ModelCovariate, groupKey: GroupKeySchema) -> String? {
        guard let grouping = groupKey.grouping(covariate) else { return nil }
        switch covariate {
        case .routeType: return RouteType.medical.label
        case .sex: return Sex.female.label
        case .ethnicity: return Ethnicity.white.label
        // The last level is Unknown; the one before it is decile 10 or quintile 5.
        case .imdDecile, .imdQuintile: return grouping.levels.dropLast().last
        case .rurality: return Rurality.urban.label
        case .nation: return Nation.england.label
        default: return grouping.levels.first
        }
    }
}

extension GroupKeySchema {
    /// The grouping a model covariate reads: the one of the same name, with its levels
    /// as published (the table group labels), unknown last; `nil` when there is none.
    public func grouping(_ covariate: ModelCovariate) -> Grouping? { grouping(named: covariate.name) }

    /// Whether a model cell (``modelCellMask``) keeps a grouping's field, so a model can
    /// adjust for it: a grouping it does not keep would read level 0 for every cell.
    public func modelCellKeeps(_ grouping: Grouping) -> Bool { field(grouping.axis).mask & ~modelCellMask == 0 }

    /// The groupings a model can adjust for, in the key's order.
    public var covariateGroupings: [Grouping] { groupings.filter(modelCellKeeps) }

    /// Why a covariate cannot be read from a model cell, in the loader's "expected" form
    /// (`covariates from route_type, age_band, … (unknown 'age')`); `nil` when it can.
    public func covariateProblem(_ covariate: ModelCovariate) -> String? {
        let valid = "covariates from \(covariateGroupings.map(\.name).joined(separator: ", "))"
        guard let grouping = grouping(covariate) else { return "\(valid) (unknown '\(covariate.name)')" }
        guard modelCellKeeps(grouping) else {
            return "\(valid) ('\(covariate.name)' is a grouping the models' cells do not keep)"
        }
        return nil
    }
}
