import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXPipeline

/// Plain-English names for the codes that reach the page beyond the table ids of
/// ``DisplayNames/defaults``: warning codes, model outcomes and terms, and any code a
/// sentence from another part of sprx carries (``plainWords(_:)``). Declared once; the
/// report shows no `snake_case` code outside a file name (tested).
extension DisplayNames {
    /// A warning's name on the page (the manifest keeps the code).
    static func warningName(_ code: RunWarning.Code) -> String {
        switch code {
        case .rowsQuarantined: "Rows quarantined"
        case .unmappedLabels: "Labels in no list"
        case .organisationsPooled: "Organisations pooled"
        case .catchmentMismatch: "Catchment wider than the referrals"
        }
    }

    /// What a model explains, in words ("referral through a non-medical (vs medical) route").
    static func outcomeName(_ outcome: String) -> String {
        switch ModelOutcome(rawValue: outcome) {
        case .routeNonMedical: "referral through a non-medical (vs medical) route"
        case .contacted: "reaching a link worker"
        case .anyIntervention: "receiving any intervention"
        case .contacts: "the number of link worker contacts"
        case .interventions: "the number of interventions"
        case nil: readable(outcome).lowercased()
        }
    }

    /// A model's name on the page: its outcome when the pipeline names it after one
    /// (as the default pipeline does), else its name made readable.
    static func modelName(_ name: String, outcome: String) -> String {
        guard name != outcome else {
            let words = outcomeName(outcome)
            return words.prefix(1).uppercased() + words.dropFirst()
        }
        return readable(name)
    }

    /// A negative binomial model's dispersion terms (`models.csv`'s `term` of its `dispersion` rows).
    static let dispersionTerms: [String: String] = [
        "theta": "Dispersion θ (larger: closer to Poisson)",
        "alpha": "Dispersion α = 1/θ (larger: more overdispersed)",
    ]

    /// Codes that sentences from elsewhere in sprx carry (warnings, model messages,
    /// census coverage), with their words; quarantine reasons and fields come from
    /// ``defaults``.
    static let sentenceCodes: [String: String] = [
        "outside_data_period": "outside the export's period",
        "no_workforce_return": "no workforce return",
        "no_registered_patients": "no registered-patient count",
        "no_link_worker_fte": "no link worker time recorded",
        "no_deprivation_score": "no deprivation score",
        "not_recorded": "not recorded",
        "no_referrals": "no referrals",
        "suppressed": "suppressed",
        "months_withheld": "months withheld by disclosure control",
        "organisation_id": "organisation",
        "scaled_per": "scale",
    ]

    /// Technical phrases of model messages, in plain words.
    static let phrases: [(String, String)] = [
        ("quasi-complete separation", "one group's referrals all have the same outcome, so its ratio cannot be estimated"),
        ("complete separation", "the outcome is fully predicted by a group, so its ratio cannot be estimated"),
    ]

    /// A code as words when no name is declared: underscores as spaces, first letter capital.
    static func readable(_ id: String) -> String {
        let spaced = id.replacingOccurrences(of: "_", with: " ")
        return spaced.prefix(1).uppercased() + spaced.dropFirst()
    }

    /// The name a sentence gives a code (lower case unless a proper name), or `nil` if none is declared.
    static func sentenceName(_ code: String) -> String? {
        if let words = sentenceCodes[code] { return words }
        if let reason = QuarantineReason(rawValue: code) { return quarantineReasonName(reason).lowercased() }
        if let field = CanonicalField(rawValue: code) { return fieldName(field).lowercased() }
        if let warning = RunWarning.Code(rawValue: code) { return warningName(warning).lowercased() }
        if let outcome = ModelOutcome(rawValue: code) { return outcomeName(outcome.rawValue) }
        if let title = builtInTitles[code] { return title.lowercased() }
        return nil
    }

    /// `text` with every `snake_case` code outside a file name or path said in words:
    /// a declared name where there is one, else the words of the code.
    static func plainWords(_ text: String) -> String {
        var text = text
        for (term, words) in phrases { text = text.replacingOccurrences(of: term, with: words) }
        var out = ""
        var token = ""
        func flush() {
            defer { token = "" }
            // A token that ends a sentence keeps its full stop outside the code.
            var core = Substring(token)
            var stop = ""
            while let last = core.last, last == "." || last == "-" {
                stop = String(last) + stop
                core = core.dropLast()
            }
            guard core.contains("_"), !core.contains("."), !core.contains("/") else {
                out += token
                return
            }
            out += (sentenceName(String(core)) ?? core.replacingOccurrences(of: "_", with: " ")) + stop
        }
        for ch in text {
            if ch.isLetter || ch.isNumber || ch == "_" || ch == "." || ch == "/" || ch == "-" {
                token.append(ch)
            } else {
                flush()
                out.append(ch)
            }
        }
        flush()
        return out
    }
}
