import Foundation
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
        case .areasUnknown: "Area codes not recognised"
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

    /// What a referral did when a binary model's outcome is 1, in the past tense after
    /// "referrals that" ("reached a link worker"); `nil` for an outcome without one.
    static func outcomeEvent(_ outcome: String) -> String? {
        switch ModelOutcome(rawValue: outcome) {
        case .routeNonMedical: "came through a non-medical route"
        case .contacted: "reached a link worker"
        case .anyIntervention: "received an intervention"
        case .contacts: "had a link worker contact"
        case .interventions: "had an intervention"
        case nil: nil
        }
    }

    /// A model's separation message (SPRXModels' Design: "every observation [with
    /// FACTOR = LEVEL] has outcome 0|1", after any "…separation: " prefix) as a sentence a
    /// board reads: "none of the referrals with sex Other reached a link worker, so the
    /// model cannot estimate a ratio for them"; `nil` for any other message.
    static func separation(_ message: String, outcome: String) -> String? {
        let pattern = #"every observation (?:with (.+) = (.+) )?has outcome ([01])$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)),
            let value = Range(match.range(at: 3), in: message).map({ message[$0] })
        else { return nil }
        let event = outcomeEvent(outcome) ?? "had the outcome " + outcomeName(outcome)
        let quantifier = value == "0" ? "none of the referrals" : "all the referrals"
        guard let factorRange = Range(match.range(at: 1), in: message), let levelRange = Range(match.range(at: 2), in: message) else {
            return "\(quantifier) \(event), so there is nothing for the model to compare"
        }
        let factor = String(message[factorRange])
        // A route type's level is a code ("non_medical"): said by its name on the page.
        let level = RouteType.allCases.first { $0.label == message[levelRange] }.map { routeTypeName($0).lowercased() } ?? String(message[levelRange])
        let group = "\(sentenceName(factor) ?? readable(factor).lowercased()) \(level)"
        return "\(quantifier) with \(group) \(event), so the model cannot estimate a ratio for \(group)"
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

    /// The stretches of a message that a person types into a pipeline or a lookup file,
    /// which are code and kept verbatim: a YAML flow mapping with the keys that lead to it
    /// (`population: catchment: {local_authorities: [E08000019]}`) and the list of columns
    /// after the word "columns" (`code, name, type, parent_code, …`). The rest is prose.
    static func codeSpans(_ text: String) -> [(text: String, code: Bool)] {
        // "pipeline" is never a key of a pipeline: "in the pipeline: population: …" is prose, then code.
        let pattern = #"(?:\b(?!pipeline: )[a-z_]+: )*\{[^{}]*\}|(?<=columns )[a-z_]+(?:, [a-z_]+)+"#
        var spans: [(text: String, code: Bool)] = []
        var rest = Substring(text)
        while let match = rest.range(of: pattern, options: .regularExpression) {
            if match.lowerBound > rest.startIndex { spans.append((String(rest[..<match.lowerBound]), false)) }
            spans.append((String(rest[match]), true))
            rest = rest[match.upperBound...]
        }
        if !rest.isEmpty { spans.append((String(rest), false)) }
        return spans
    }

    /// A code span as the YAML a person pastes: `a: b: {…}` (keys leading to a flow
    /// mapping, as a message writes it on one line) nested one key a line, two spaces
    /// deeper each; any other span as it is.
    static func pasteable(_ code: String) -> String {
        guard let brace = code.firstIndex(of: "{") else { return code }
        let keys = code[..<brace].split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard keys.count > 1 else { return code }
        let value = String(code[brace...])
        return keys.enumerated().map { i, key in
            String(repeating: "  ", count: i) + key + ":" + (i == keys.count - 1 ? " " + value : "")
        }.joined(separator: "\n")
    }

    /// `text` with every `snake_case` code outside a file name or path said in words:
    /// a declared name where there is one, else the words of the code. Code a person
    /// types (``codeSpans(_:)``) is kept verbatim.
    static func plainWords(_ text: String) -> String {
        codeSpans(text).map { $0.code ? $0.text : prose($0.text) }.joined()
    }

    /// `text` with each quarantine reason code followed by its count ("invalid_age 3")
    /// given its count in brackets ("invalid_age (3 rows)"), so that the reason's words,
    /// which can end in a number ("… from 0 to 120"), never run into the count.
    static func bracketedReasonCounts(_ text: String) -> String {
        let regex = try! NSRegularExpression(pattern: #"\b([a-z]+(?:_[a-z]+)+) ([0-9][0-9,]*)\b"#)
        var out = "", last = text.startIndex
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let whole = Range(match.range, in: text), let code = Range(match.range(at: 1), in: text),
                let number = Range(match.range(at: 2), in: text), QuarantineReason(rawValue: String(text[code])) != nil
            else { continue }
            out += text[last..<whole.lowerBound] + text[code] + " (\(text[number]) \(text[number] == "1" ? "row" : "rows"))"
            last = whole.upperBound
        }
        return out + text[last...]
    }

    /// ``plainWords(_:)`` of a stretch of prose.
    static func prose(_ text: String) -> String {
        var text = bracketedReasonCounts(text)
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
