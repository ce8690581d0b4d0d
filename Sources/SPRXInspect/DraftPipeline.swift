import Foundation
import SPRXClean
import SPRXCore
import SPRXPipeline

#if canImport(Glibc)
import Glibc
#endif

/// A complete, commented pipeline file drafted from an inspection: columns from header
/// names (or values), labels from their words, dates from the formats that parse the
/// most values, and the default pipeline's reference files, disclosure control, models,
/// quality gates and tolerances. Every guess carries `# REVIEW:`, and only guesses do
/// (the header explains the mark without writing it).
///
/// Labels are written only as mapping labels, never with counts. A label seen fewer than
/// `suppress_up_to + 1` times is written only when it was guessed (so the run maps it as
/// the analyst would expect); rare labels that were not guessed are counted in a comment,
/// never named, so a stray name or note typed into a categorical column does not reach a
/// file that may be committed. Identifiers, dates, area codes and free text are never written.
/// A column no field reads whose values look categorical becomes a suggested dimension
/// (``DimensionSuggestion``), its values written under the same rule
/// (``DisclosureSettings/mayPublishLabel(_:count:)``).
public enum DraftPipeline {
    /// Route ids and their types, in the default pipeline's order.
    static let routes: [(String, RouteType)] = [
        ("primary_care", .medical), ("secondary_care", .medical), ("social_care", .nonMedical), ("education", .nonMedical),
        ("vcse", .nonMedical), ("self_referral", .nonMedical), ("other", .nonMedical), ("unknown", .unknown),
    ]

    /// The default settings (date window, reference files, disclosure): a draft with no
    /// mapping, parsed, so the defaults are the text a draft writes.
    static func defaults(referenceDirectory: String) throws -> PipelineConfiguration {
        let yaml = """
            version: 1
            name: defaults
            columns: {referral_id: [referral_id], person_id: [person_id], referral_date: [referral_date]}
            routes: {unknown: {type: unknown, labels: []}}
            reasons: {}
            labels: {sex: {}, ethnicity: {}, contacted: {yes: ["Y"], no: ["N"]}}
            \(datesSection([.iso], comment: nil))
            enrich:
              reference_dir: \(quoted(referenceDirectory))
            \(DefaultPipelineText.enrichLookups)

            \(DefaultPipelineText.fromDisclosure)
            """
        return try PipelineLoader.parse(yaml: yaml, path: "(defaults)", baseDirectory: FileManager.default.currentDirectoryPath)
    }

    static func datesSection(_ formats: [DateCandidate], comment: String?) -> String {
        """
        dates:
          formats: [\(formats.map { quoted($0.rawValue) }.joined(separator: ", "))]\(comment.map { "   # \($0)" } ?? "")
          from: 2015-01-01
          to: 2026-12-31
        """
    }

    /// A YAML double-quoted string: backslash, quote and control characters escaped.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || DisplayText.escaped(String(scalar)) != String(scalar) {
                    out += scalar.value <= 0xFF ? String(format: "\\x%02X", scalar.value) : String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A comment-safe rendering of text from the data (one line, escaped, cut).
    static func commentText(_ text: String) -> String { InspectionPrivacy.shown(text) }

    /// The draft pipeline's text.
    ///
    /// - Parameters:
    ///   - name: the pipeline's `name`.
    ///   - referenceDirectory: `enrich.reference_dir` as written (relative to the draft's folder, or absolute).
    public static func text(_ inspection: Inspection, name: String, referenceDirectory: String) -> String {
        let threshold = inspection.settings.disclosure.suppressUpTo + 1
        var out: [String] = []
        func line(_ s: String) { out.append(s) }
        line("# sprx pipeline DRAFTED by `sprx inspect --draft-pipeline` from \(inspection.files.count) file\(inspection.files.count == 1 ? "" : "s").")
        line("# Every guess ends in a review mark: a hash, then the word review in capitals. Check each")
        line("# against the export's documentation, fix what is wrong and delete the mark. When a search")
        line("# of this file for that word finds nothing, run it and read tables/data_quality.csv and")
        line("# tables/unmapped_labels.csv (docs/user-guide.md walks through it).")
        line("# No value seen fewer than \(threshold) times is written here (it may identify a person): such labels are counted.")
        line("version: 1")
        line("name: \(quoted(name))")
        line("")
        line(reportExample)
        line("")

        // input
        let first = inspection.files.first
        if let first, first.delimiter != .comma || first.encoding.pipelineValue != nil {
            line("# REVIEW: sniffed from the first file's header and first bytes.")
            line("input:")
            if first.delimiter != .comma { line("  delimiter: \(quoted(first.delimiter.rawValue))") }
            if let encoding = first.encoding.pipelineValue { line("  encoding: \(encoding)") }
            line("")
        }
        if Set(inspection.files.map { "\($0.delimiter)\($0.encoding.pipelineValue ?? "")" }).count > 1 {
            line("# REVIEW: the files differ in delimiter or encoding: one pipeline reads one kind; split them.")
        }

        // columns
        line("# Canonical field -> header names (matched ignoring case and surrounding spaces).")
        line("columns:")
        let optional = Self.optionalFields(inspection)
        if inspection.files.contains(where: \.headerless) {
            line("# REVIEW: a file seems to have no header row (its first row looks like data, so it is not")
            line("# written here): sprx maps columns by header name, so add a header row to the export first.")
        }
        for field in CanonicalField.allCases {
            if let index = inspection.fieldColumns[field], !inspection.columns[index].positional {
                let header = inspection.columns[index].header
                let evidence = inspection.fieldEvidence[field] ?? "header name"
                let mark: String
                switch evidence {
                case "pipeline": mark = ""
                case "values" where field == .referralID:
                    mark = "   # REVIEW: chosen from the values (all present, all different, shaped like ids); no header name suggests it"
                case "values" where field == .personID: mark = "   # REVIEW: chosen from the values (shaped like ids, some repeat); no header name suggests it"
                case "values": mark = "   # REVIEW: guessed from the column's values"
                default: mark = "   # REVIEW: guessed from the header name"
                }
                line("  \(field.rawValue): [\(quoted(header))]\(mark)")
            } else if field == .personID {
                // One header cannot name two fields, so the referral id cannot stand in.
                line(
                    "  \(field.rawValue): [\(quoted(field.rawValue))]   # REVIEW: no column found for the person (a pseudonym or client id; ids shaped alike that repeat); a run fails (65) until this names one"
                )
            } else if field.isRequired {
                line("  \(field.rawValue): [\(quoted(field.rawValue))]   # REVIEW: no column found; a run fails (65) until this names the export's header")
            }
        }
        for field in PipelineConfiguration.emptyMeansNoneFields {
            guard let index = inspection.fieldColumns[field], !inspection.columns[index].positional else { continue }
            let profile = inspection.columns[index].profile
            guard profile.values > 0, Double(profile.empty) > FieldRecording.blankShareLimit * Double(profile.values) else { continue }
            let share = Int((100 * Double(profile.empty) / Double(profile.values)).rounded())
            line(
                "  # empty_means_none: [\(field.rawValue)]   # REVIEW: \(field.rawValue) is empty in \(CountWords.of(profile.empty, "row")) of \(CountWords.number(profile.values)) (\(share)%): if the export leaves 0 blank, uncomment this line; otherwise an empty cell is unknown and, over \(Int((100 * FieldRecording.blankShareLimit).rounded()))% of referrals, its share is withheld"
            )
        }
        if !optional.isEmpty {
            for header in dateOfBirthColumns(inspection) { line("  # " + dateOfBirthNote(header: header)) }
            line("  optional: [\(optional.map(\.rawValue).joined(separator: ", "))]   # REVIEW: no column found for these; their values are not recorded")
        }
        let dimensions = plannedDimensions(inspection)
        let dimensionColumns = Set(dimensions.written.map(\.column))
        let unused = inspection.columns.indices.filter { i in
            !inspection.fieldColumns.values.contains(i) && !inspection.columns[i].positional && !dimensionColumns.contains(i)
        }
        if !unused.isEmpty {
            line("  # Not mapped (ignored by a run): \(unused.map { "'\(commentText(inspection.columns[$0].header))'" }.joined(separator: ", "))")
        }
        line("")

        // labels
        func labels(_ field: CanonicalField) -> (guessed: [String: [String]], notGuessed: [String], rareNotGuessed: Int, names: Int, separator: String?) {
            guard let index = inspection.fieldColumns[field] else { return ([:], [], 0, 0, nil) }
            let profile = inspection.columns[index].profile
            let separator = field == .referralReasons ? Guessing.reasonSeparator(profile) : nil
            var guessed: [String: [String]] = [:]
            var notGuessed: [String] = []
            var rare = 0, names = 0
            for (label, count) in InspectionReport.labelCounts(profile, splitBy: separator) {
                if field == .ethnicity && Guessing.looksLikeNHSEthnicCodes(profile) {
                    var bytes = Array(label.utf8)
                    if PipelineLabels.nhsEthnicGroup(&bytes) != nil { continue }
                }
                // A label seen fewer than the threshold times is never written, even when a
                // guess word matches it ("Dr Jane Doe 9434765919" holds "dr"): it is counted.
                // Only one of sprx's own words, whole, may be (``Guessing/isVocabularyWord``).
                if !InspectionPrivacy.mayShow(label, count: count, threshold: threshold)
                    && !(Guessing.isVocabularyWord(label, field: field) && !InspectionPrivacy.looksLikeIdentifier(label))
                {
                    rare += 1
                } else if DimensionSuggestion.namesAPerson(label) {
                    // A title and a name, however often seen ("Dr Jones" holds "dr", a
                    // primary care word).
                    names += 1
                } else if let value = Guessing.value(forLabel: label, field: field) {
                    guessed[value, default: []].append(String(label.prefix(LabelTable.maxLabelLength)))
                } else {
                    notGuessed.append(label)
                }
            }
            // safe: iterating the dictionary's own keys
            for key in guessed.keys { guessed[key]!.sort() }
            return (guessed, notGuessed, rare, names, separator)  // most frequent first (labelCounts)
        }
        func list(_ labels: [String]) -> String { "[" + labels.map(quoted).joined(separator: ", ") + "]" }
        func leftovers(_ notGuessed: [String], _ rare: Int, names: Int) {
            if names > 0 {
                line(
                    "  # REVIEW: \(names) label\(names == 1 ? "" : "s") naming a person (a title and a name), not written (people's names must not be published): `sprx run` counts \(names == 1 ? "it" : "them") as unmapped; list \(names == 1 ? "it" : "them") by hand only if not a name"
                )
            }
            let codes = notGuessed.filter(Guessing.isSNOMEDConceptID)
            let words = notGuessed.filter { !Guessing.isSNOMEDConceptID($0) }
            if !codes.isEmpty {
                line(
                    "  # REVIEW: SNOMED CT codes (a code's meaning cannot be guessed: look each up and list it where it belongs): \(codes.prefix(InspectionPrivacy.maxLabelsShown).map { "'\(commentText($0))'" }.joined(separator: ", "))"
                )
            }
            if !words.isEmpty {
                line(
                    "  # REVIEW: labels not guessed (they become unknown until listed): \(words.prefix(InspectionPrivacy.maxLabelsShown).map { "'\(commentText($0))'" }.joined(separator: ", "))"
                )
            }
            if rare > 0 {
                line(
                    "  # REVIEW: \(rare) more label\(rare == 1 ? "" : "s") seen fewer than \(threshold) times each, not written (they may be names or notes): `sprx run` counts them as unmapped"
                )
            }
        }

        let source = labels(.referralSource)
        line("# Routes: medical (primary or secondary care) or non-medical; labels guessed from their words.")
        line("routes:")
        for (id, type) in routes {
            let found = source.guessed[id] ?? []
            let note =
                !found.isEmpty
                ? "   # REVIEW"
                : type == .unknown
                    ? ""
                    : "   # REVIEW: no label guessed: list this route's labels, or delete the line if the export has none (tables list every route declared)"
            line("  \(id): {type: \(type.label), labels: \(list(found))}\(note)")
        }
        leftovers(source.notGuessed, source.rareNotGuessed, names: source.names)
        line("")

        let reasons = labels(.referralReasons)
        line("reasons:")
        var anyReason = false
        for (id, _) in Guessing.reasonWords {
            guard let found = reasons.guessed[id] else { continue }
            line("  \(id): \(list(found))   # REVIEW")
            anyReason = true
        }
        if !anyReason { line("  {}") }
        let missingReasons = Guessing.reasonWords.map(\.0).filter { reasons.guessed[$0] == nil }
        if !missingReasons.isEmpty {
            line("  # No label guessed for: \(missingReasons.joined(separator: ", ")) (a reason needs at least one label to be listed)")
        }
        leftovers(reasons.notGuessed, reasons.rareNotGuessed, names: reasons.names)
        line(
            "reason_separators: \(quoted(reasons.separator ?? ";"))\(reasons.separator == nil ? "" : "   # REVIEW: each splits values into pieces also seen alone (`;` when none does); remove one that is part of a label")"
        )
        line("")

        line("labels:")
        let sex = labels(.sex)
        line("  sex:")
        for value in ["male", "female", "other", "unknown"] {
            line("    \(value): \(list(sex.guessed[value] ?? []))\(sex.guessed[value] == nil ? "" : "   # REVIEW")")
        }
        leftovers(sex.notGuessed, sex.rareNotGuessed, names: sex.names)
        let ethnicity = labels(.ethnicity)
        line("  ethnicity:")
        for value in ["white", "mixed", "asian", "black", "other", "unknown"] {
            line("    \(value): \(list(ethnicity.guessed[value] ?? []))\(ethnicity.guessed[value] == nil ? "" : "   # REVIEW")")
        }
        leftovers(ethnicity.notGuessed, ethnicity.rareNotGuessed, names: ethnicity.names)
        let nhsCodes = inspection.fieldColumns[.ethnicity].map { Guessing.looksLikeNHSEthnicCodes(inspection.columns[$0].profile) } ?? false
        line("  # NHS Data Dictionary ETHNIC CATEGORY codes (A-C White, D-G Mixed, H-L Asian, M-P Black,")
        line("  # R-S Other, Z or 99 Unknown), read by their first character.")
        line("  ethnicity_nhs_codes: \(nhsCodes)   # REVIEW: \(nhsCodes ? "most values are such codes" : "the values are not such codes")")
        let contacted = labels(.contacted)
        line("  contacted:")
        for value in ["yes", "no", "unknown"] {
            var found = contacted.guessed[value] ?? []
            var note = found.isEmpty ? "" : "   # REVIEW"
            if found.isEmpty && value != "unknown" {
                found = value == "yes" ? ["Y", "Yes"] : ["N", "No"]
                note = "   # REVIEW: none found in the data; the usual labels"
            }
            line("    \(value): \(list(found))\(note)")
        }
        leftovers(contacted.notGuessed, contacted.rareNotGuessed, names: contacted.names)
        line("")
        dimensionsSection(
            dimensions, people: DimensionSuggestion.leftOutAsPeople(inspection, disclosure: inspection.settings.disclosure), threshold: threshold,
            into: &out)

        // dates
        var formats: [DateCandidate] = [.dayMonthYear]
        var dateComment = "REVIEW: no date column found; the usual UK form"
        if let index = inspection.fieldColumns[.referralDate] {
            let profile = inspection.columns[index].profile
            let chosen = profile.chosenDateFormats
            if !chosen.isEmpty {
                formats = chosen
                let parsed = profile.datesInWindow
                dateComment = "REVIEW: together these parse \(parsed) of \(profile.nonEmpty) values within the window"
            }
        }
        line(datesSection(formats, comment: dateComment))
        line("")
        missingValuesSection(inspection, threshold: threshold, into: &out)
        line("enrich:")
        line("  # A relative path is read from this file's folder (an absolute one as it is); `--reference-dir` or SPRX_REFERENCE_DIR override it.")
        line(
            "  reference_dir: \(quoted(referenceDirectory))\(inspection.referenceDirectory == nil ? "   # REVIEW: no reference folder was found; name the folder holding the lookups" : "")"
        )
        line(
            withProvisionReviewed(
                inspection,
                in: DefaultPipelineText.enrichLookups.replacingOccurrences(
                    of: "\n  catchment: every_area", with: "\n" + catchmentLines(inspection).joined(separator: "\n"))))
        line("")
        line("# Copied from Pipelines/referral-equity.yaml: disclosure control, models, quality gates, tolerances.")
        out.append(Self.withReferenceLevels(inspection, threshold: threshold, in: Self.withoutModelsOf(optional, in: DefaultPipelineText.fromDisclosure)))
        return out.joined(separator: "\n") + "\n"
    }

    /// The `report:` section as a commented example: its keys, for a user to fill in
    /// (without it the report has a default title and names no organisation).
    static let reportExample = """
        # The report's title page (optional): uncomment and fill in for a board pack;
        # without it the report has a default title and names no organisation.
        # report:
        #   title: "Social prescribing referrals, 2024/25"
        #   organisation: "Our social prescribing service"
        """

    /// Header words of a date of birth; "birth" counts beside "date" or "year" only
    /// (not "Country of birth").
    static let dateOfBirthWords: Set<String> = ["dob", "yob", "birthdate", "birthday", "dateofbirth"]

    /// The headers of columns no field maps that name a date of birth ("Client DOB",
    /// "Date of birth", "D.O.B."), when no column gives age: sprx reads age at referral,
    /// never a date of birth. Judged by the header alone: no value is read or shown.
    static func dateOfBirthColumns(_ inspection: Inspection) -> [String] {
        if let age = inspection.fieldColumns[.age], !inspection.columns[age].positional { return [] }
        let mapped = Set(inspection.fieldColumns.values)
        return inspection.columns.enumerated().compactMap { index, column in
            guard !mapped.contains(index), !column.positional else { return nil }
            let words = Guessing.words(column.header)
            let named =
                !Set(words).isDisjoint(with: dateOfBirthWords) || words.joined() == "dob"
                || (words.contains("birth") && (words.contains("date") || words.contains("year")))
            return named ? column.header : nil
        }
    }

    /// What a draft and `inspect` say of a date-of-birth column (its header only).
    static func dateOfBirthNote(header: String) -> String {
        "Column \"\(commentText(header))\" looks like a date of birth: sprx reads age at referral (whole years, column age), never a date of birth, so this export's age is not recorded and every age figure and the age_band covariate are left out. Derive age at referral before export (years between birth and referral date) and map it under age, or leave age out; a date of birth is never read."
    }

    /// Fields a draft lists under `columns.optional`: not required, and no column with a
    /// header name holds them (a column known only by position cannot be mapped).
    static func optionalFields(_ inspection: Inspection) -> [CanonicalField] {
        CanonicalField.allCases.filter { field in
            !field.isRequired && (inspection.fieldColumns[field].map { inspection.columns[$0].positional } ?? true)
        }
    }

    /// The canonical fields each model outcome and covariate is read from.
    static let modelInputs: [String: [CanonicalField]] = [
        "route_nonmedical": [.referralSource], "any_intervention": [.interventions], "contacts": [.contacts],
        "interventions": [.interventions], "route_type": [.referralSource], "age_band": [.age], "sex": [.sex],
        "ethnicity": [.ethnicity], "imd_quintile": [.areaCode], "rurality": [.areaCode], "nation": [.areaCode],
    ]

    /// The copied `disclosure:`-onwards text without the models whose outcome is read from
    /// a field the export lacks (such a model cannot be fitted: every referral's value is
    /// not recorded), named in a comment with the reason; covariates read from such a
    /// field are dropped from their model (marked `# REVIEW`); and, without organisation
    /// ids, models not clustered by them.
    static func withoutModelsOf(_ absent: [CanonicalField], in text: String) -> String {
        guard !absent.isEmpty else { return text }
        let absentSet = Set(absent)
        var out: [String] = []
        var lines = text.components(separatedBy: "\n")[...]
        var removed: [String] = []
        while let first = lines.first {
            if first == "  cluster: organisation_id" && absentSet.contains(.organisationID) {
                out.append("  cluster: none   # REVIEW: the export has no organisation_id: standard errors are not clustered by organisation")
                lines.removeFirst()
                continue
            }
            guard first.hasPrefix("    - name: ") else {
                out.append(first)
                lines.removeFirst()
                continue
            }
            var block = [first]
            lines.removeFirst()
            while let next = lines.first, next.hasPrefix("      ") {
                block.append(next)
                lines.removeFirst()
            }
            let name = String(first.dropFirst("    - name: ".count))
            let outcome = block.lazy.map { $0.trimmingSpaces() }.first { $0.hasPrefix("outcome: ") }.map { String($0.dropFirst("outcome: ".count)) } ?? ""
            if let fields = modelInputs[outcome]?.filter(absentSet.contains), !fields.isEmpty {
                removed.append("\(name) (its outcome needs \(fields.map(\.rawValue).joined(separator: ", ")), not in the export)")
                continue
            }
            // A covariate read from a field the export lacks is dropped from the model
            // (every referral's value would be not recorded, so no referral could be used);
            // a model left with none is left out (a model needs a covariate).
            var kept: [String] = []
            var noCovariate = false
            for entry in block {
                let trimmed = entry.trimmingSpaces()
                guard trimmed.hasPrefix("covariates: [") else {
                    kept.append(entry)
                    continue
                }
                let covariates = trimmed.dropFirst("covariates: [".count).dropLast().split(separator: ",").map { String($0).trimmingSpaces() }
                let recorded = covariates.filter { !(modelInputs[$0] ?? []).contains(where: absentSet.contains) }
                let dropped = covariates.filter { !recorded.contains($0) }
                noCovariate = recorded.isEmpty
                let indent = String(entry.prefix { $0 == " " })
                kept.append(
                    indent + "covariates: [" + recorded.joined(separator: ", ") + "]"
                        + (dropped.isEmpty ? "" : "   # REVIEW: without \(dropped.joined(separator: ", ")) (not in the export)"))
            }
            if noCovariate {
                removed.append("\(name) (each of its covariates needs a field not in the export)")
                continue
            }
            out += kept
        }
        guard !removed.isEmpty else { return out.joined(separator: "\n") }
        // The note goes before `fit:`; an empty list stays a list.
        var result: [String] = []
        for (i, line) in out.enumerated() {
            if line == "  fit:" {
                result.append("  # REVIEW: left out, as they cannot be fitted on this export: \(removed.joined(separator: "; ")).")
                let hasFits = out.indices.contains(i + 1) && out[i + 1].hasPrefix("    - name: ")
                result.append(hasFits ? line : "  fit: []")
            } else {
                result.append(line)
            }
        }
        return result.joined(separator: "\n")
    }

    /// The copied `models:` text with reference levels the export has: a reference level
    /// no referral has fails every model (`empty_level`).
    ///
    /// `nation` is the most frequent nation of the area codes (England when it is as
    /// frequent as another); when every area code is in one nation, `nation` is also
    /// left out of the covariates (a factor of one level cannot be fitted), with a
    /// comment. `sex` and `ethnicity` are the most frequent group of the labels the draft
    /// maps (seen at least `threshold` times), when the default group has none; Unknown
    /// is never a reference. Other levels (age band, quintile, rurality) are kept: the
    /// inspection does not read the lookups that give them.
    static func withReferenceLevels(_ inspection: Inspection, threshold: Int, in text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        func replaceReference(_ covariate: String, with level: String, note: String) {
            guard let i = lines.firstIndex(where: { $0.hasPrefix("    \(covariate): ") }) else { return }
            lines[i] = "    \(covariate): \(level)   # REVIEW: \(note)"
        }
        func profile(_ field: CanonicalField) -> ColumnProfile? {
            guard let index = inspection.fieldColumns[field], !inspection.columns[index].positional else { return nil }
            return inspection.columns[index].profile
        }
        if let areas = profile(.areaCode) {
            let counts = Nation.known.map { ($0, areas.areaNation[Int($0.rawValue)]) }.filter { $0.1 > 0 }
            if let most = counts.max(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.rawValue > $1.0.rawValue })?.0, most != .england {
                replaceReference("nation", with: most.label, note: "the export's most frequent nation (of its area codes)")
            }
            if counts.count == 1, let only = counts.first?.0 {
                for i in lines.indices where lines[i].trimmingSpaces().hasPrefix("covariates: [") {
                    lines[i] = lines[i].replacingOccurrences(of: ", nation]", with: "]").replacingOccurrences(of: "[nation, ", with: "[")
                }
                if let fit = lines.firstIndex(where: { $0.hasPrefix("  fit:") }) {
                    lines.insert(
                        "  # nation is not a covariate: every area code of the export is in \(only.label) (a factor of one level cannot be fitted)", at: fit)
                }
            }
        }
        func mostFrequent<Group: CaseIterable & Equatable>(_ field: CanonicalField, _ groups: Group.Type, default reference: Group, unknown: Group) -> Group? {
            guard let labels = profile(field) else { return nil }
            var counts: [String: Int] = [:]
            for (key, label) in labels.labels where InspectionPrivacy.mayShow(key, count: label.count, threshold: threshold) {
                if let group = Guessing.value(forLabel: key, field: field) { counts[group, default: 0] += label.count }
            }
            let named = Group.allCases.map { ($0, counts["\($0)"] ?? 0) }.filter { $0.0 != unknown && $0.1 > 0 }
            guard !named.contains(where: { $0.0 == reference }) else { return nil }
            return named.max { $0.1 < $1.1 }?.0  // ties: the first in the vocabulary's order
        }
        if let sex = mostFrequent(.sex, Sex.self, default: .female, unknown: .unknown) {
            replaceReference("sex", with: sex.label, note: "the export's most frequent sex (it has no Female)")
        }
        if let ethnicity = mostFrequent(.ethnicity, Ethnicity.self, default: .white, unknown: .unknown) {
            replaceReference("ethnicity", with: ethnicity.label, note: "the export's most frequent ethnic group (it has no White)")
        }
        return lines.joined(separator: "\n")
    }

    /// The nations of the area column's codes, by their shape (``ColumnProfile/areaNation``),
    /// with how many values each, in the order England, Wales, Scotland, Northern Ireland;
    /// empty without an area column or a recognised code.
    static func areaNations(_ inspection: Inspection) -> [(nation: Nation, count: Int)] {
        guard let index = inspection.fieldColumns[.areaCode], !inspection.columns[index].positional else { return [] }
        let profile = inspection.columns[index].profile
        return Nation.known.map { ($0, profile.areaNation[Int($0.rawValue)]) }.filter { $0.1 > 0 }
    }

    /// The nations of ``areaNations(_:)`` as words with their shares ("Wales 100.0%").
    static func nationShares(_ nations: [(nation: Nation, count: Int)]) -> String {
        let total = nations.reduce(0) { $0 + $1.count }
        return nations.map { "\($0.nation.label) \(String(format: "%.1f", Double($0.count) / Double(max(1, total)) * 100))%" }.joined(separator: ", ")
    }

    /// The copied lookups with England's link worker provision (`organisations:
    /// provision:`) as the export's nations allow: kept as it is when every recognised
    /// area code is English; commented out, under a `# REVIEW` line naming the nations,
    /// when none is (the bundled files cover English primary care networks only, so a
    /// report would set England's figures beside another nation's service); kept with a
    /// `# REVIEW` mark when some are not, or when no area code was recognised.
    static func withProvisionReviewed(_ inspection: Inspection, in text: String) -> String {
        let nations = areaNations(inspection)
        let english = nations.first { $0.nation == .england }?.count ?? 0
        let total = nations.reduce(0) { $0 + $1.count }
        if total > 0 && english == total { return text }
        var lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "organisations:") else { return text }
        var end = start + 1
        while end < lines.count && lines[end].hasPrefix("  ") { end += 1 }
        if total > 0 && english == 0 {
            let block = lines[start..<end].map { "# " + $0 }
            lines.replaceSubrange(
                start..<end,
                with: [
                    "# REVIEW: left out: the bundled provision data covers English PCNs only, and the export's areas are in \(nationShares(nations)) (of its recognised area codes). Uncomment only if its organisation_id values are English PCN or practice codes."
                ] + block)
        } else if let provision = lines[start..<end].firstIndex(of: "  provision:") {
            let why =
                total == 0
                ? "no area code of the export was recognised, so its nations are not known"
                : "the export's areas are in \(nationShares(nations)) (of its recognised area codes)"
            lines[provision] +=
                "   # REVIEW: the bundled provision data covers English PCNs only; \(why): keep it only for organisations that are English PCNs or practices"
        }
        return lines.joined(separator: "\n")
    }

    /// What `inspect --draft-pipeline` says on standard error beside the draft: columns
    /// left out as people's names, a date of birth where age is wanted, and provision
    /// left out for an export with no English area. Headers and nations only, never a value.
    public static func notes(_ inspection: Inspection) -> [String] {
        var lines: [String] = []
        // A pipeline's own dimension that reads such a column publishes its levels: said
        // as a warning, not as a column left out.
        var declared: [String: String] = [:]
        for dimension in inspection.pipeline?.dimensions ?? [] {
            for alias in dimension.columns where declared[alias.headerKey] == nil { declared[alias.headerKey] = dimension.name }
        }
        let mapped = Set(inspection.fieldColumns.values)
        for (index, column) in inspection.columns.enumerated() where !mapped.contains(index) && !column.positional {
            guard let name = declared[column.header.headerKey], let reason = DimensionSuggestion.peopleEvidence(column) else { continue }
            lines.append(
                "sprx: warning: column \"\(commentText(column.header))\", read by the pipeline's dimension \(name), looks like names of people (\(reason)): its levels would be published in the tables and the report; people's names must not be. Remove the dimension, or map the column to roles or teams first"
            )
        }
        for column in DimensionSuggestion.leftOutAsPeople(inspection, disclosure: inspection.settings.disclosure)
        where declared[column.header.headerKey] == nil {
            lines.append("sprx: " + peopleNote(header: column.header, reason: column.reason))
        }
        for header in dateOfBirthColumns(inspection) { lines.append("sprx: " + dateOfBirthNote(header: header)) }
        let nations = areaNations(inspection)
        if !nations.isEmpty && !nations.contains(where: { $0.nation == .england }) {
            let provision =
                inspection.pipeline == nil
                ? "a draft leaves out England's link worker provision files (organisations: provision:), which cover English PCNs only"
                : inspection.pipeline?.organisations?.provision != nil
                    ? "the pipeline's link worker provision files (organisations: provision:) cover English PCNs only: remove them for this export"
                    : nil
            if let provision { lines.append("sprx: the export's area codes are in \(nationShares(nations)), none in England: \(provision)") }
        }
        return lines
    }

    /// The `catchment:` line (with its comments) a draft proposes: the local authorities
    /// that hold the export's referrals when they are a small part of the UK, else
    /// `every_area`; marked `# REVIEW` either way (a catchment is a decision).
    static func catchmentLines(_ inspection: Inspection) -> [String] {
        let proposal = CatchmentProposal(inspection)
        var lines = proposal.comments.map { "  # " + $0 }
        lines.append("  catchment: " + proposal.yaml + "   # REVIEW: " + proposal.review)
        return lines
    }

    /// The dimensions a draft declares: one per column no canonical field maps whose
    /// values look categorical (``DimensionSuggestion``), in column order while they fit
    /// the aggregation key (checked with the draft's age bands and routes and every reason
    /// it can list); the rest have no room.
    static func plannedDimensions(_ inspection: Inspection) -> (written: [DimensionSuggestion], noRoom: [DimensionSuggestion]) {
        var declared: [DeclaredDimension] = []
        var planned: (written: [DimensionSuggestion], noRoom: [DimensionSuggestion]) = ([], [])
        for suggestion in DimensionSuggestion.suggestions(inspection, disclosure: inspection.settings.disclosure) {
            let fits =
                (try? GroupKeySchema(
                    ageBands: inspection.settings.enrich.ageBands, routes: routes.map(\.0), reasons: Guessing.reasonWords.map(\.0),
                    declared: declared + [suggestion.declaration])) != nil
            if fits {
                declared.append(suggestion.declaration)
                planned.written.append(suggestion)
            } else {
                planned.noRoom.append(suggestion)
            }
        }
        return planned
    }

    /// The top-level `dimensions:` section of ``plannedDimensions(_:)``, each marked
    /// `# REVIEW`; a column without room is named in a comment, and so is a column left
    /// out because it may hold people's names (`people`: its header and why, never a
    /// value). Nothing when no column looks categorical.
    static func dimensionsSection(
        _ planned: (written: [DimensionSuggestion], noRoom: [DimensionSuggestion]), people: [(header: String, reason: String)] = [], threshold: Int,
        into out: inout [String]
    ) {
        let (written, noRoom) = planned
        for column in people { out.append("# " + peopleNote(header: column.header, reason: column.reason)) }
        guard !written.isEmpty || !noRoom.isEmpty else {
            if !people.isEmpty { out.append("") }
            return
        }
        out.append("# Further dimensions: columns no field above reads whose values look categorical (at most")
        out.append("# \(DimensionSuggestion.maxLevels) levels, values seen at least \(threshold) times; never identifiers, dates, counts or free text).")
        out.append("# Each gets rows in the route, pathway and trend tables (dimension = its name, group = its")
        out.append("# level); `model: true` lets a model list it under `covariates` (its first level the reference).")
        out.append("# Delete one that is not a question for the tables; rename levels as they should be published.")
        if !written.isEmpty { out.append("dimensions:") }
        for suggestion in written {
            let values = suggestion.levels.count + suggestion.unknown.count
            var note = "suggested from column \"\(commentText(suggestion.header))\" (\(values) value\(values == 1 ? "" : "s")"
            if suggestion.rare > 0 {
                note += "; and \(suggestion.rare) rare value\(suggestion.rare == 1 ? "" : "s") not shown"
            }
            if suggestion.withheld > 0 {
                note += "; and \(suggestion.withheld) value\(suggestion.withheld == 1 ? "" : "s") not shown (too long or shaped like an identifier)"
            }
            if suggestion.rare + suggestion.withheld > 0 { note += ": a run counts \(suggestion.rare + suggestion.withheld == 1 ? "it" : "them") as unmapped" }
            out.append("  \(suggestion.name):   # REVIEW: \(note))")
            out.append("    title: \(quoted(suggestion.title))")
            out.append("    column: [\(quoted(suggestion.header))]")
            out.append("    levels:")
            for level in suggestion.levels { out.append("      \(quoted(level.label)): [\(level.values.map(quoted).joined(separator: ", "))]") }
            if !suggestion.unknown.isEmpty {
                out.append("    unknown: [\(suggestion.unknown.map(quoted).joined(separator: ", "))]   # values that look like \"not known\"")
            }
            if !suggestion.notLevels.isEmpty {
                out.append(
                    "    # REVIEW: not a level label (a '/', or too long), so unmapped until listed under a level: \(suggestion.notLevels.map { "'\(commentText($0))'" }.joined(separator: ", "))"
                )
            }
            out.append("    tables: true")
            out.append("    model: false")
        }
        for suggestion in noRoom {
            out.append(
                "# REVIEW: column \"\(commentText(suggestion.header))\" looks categorical too (\(suggestion.levels.count) levels), but the aggregation key has no room for another dimension: declare it in place of one above if it matters more"
            )
        }
        out.append("")
    }

    /// What a draft and `inspect` say of a column left out because it may hold people's
    /// names: its header and the reason, never a value.
    static func peopleNote(header: String, reason: String) -> String {
        "Column \"\(commentText(header))\" looks like names of people (\(reason)): it is left out, never suggested as a dimension, and its values are not shown or written. People's names must not reach published tables."
    }

    /// The reasons a run gives the non-conforming values of `found` not listed: not a whole
    /// number, or (for contacts and interventions) one past the field's bound.
    static func reasons(_ field: CanonicalField, _ found: MissingValueCandidates) -> String {
        let invalid = QuarantineReason.count(field, implausible: false).rawValue
        let implausible = QuarantineReason.count(field, implausible: true).rawValue
        return found.implausible == 0
            ? invalid : "\(invalid); \(implausible) for a whole number over \(CountWords.number(MissingValueCandidates.maximum(field)))"
    }

    /// The top-level `missing_values:` section: per count field, the frequent values that
    /// look like "not known" (``MissingValueCandidates``), marked `# REVIEW`, with how many
    /// referrals a run would otherwise quarantine; for reasons, organisations and area
    /// codes, their not-known spellings (``Guessing/notKnownSpellings``: sprx's own words,
    /// so written however rarely seen), so that such a value is unknown, not a reason
    /// left unmapped, an organisation of its own or an unrecognised area code.
    /// Organisation ids that are no code (no digit: "Out of area") are counted in a
    /// `# REVIEW` comment, never named (the report names no id) nor listed: whether one
    /// means an organisation is the analyst's call.
    static func missingValuesSection(_ inspection: Inspection, threshold: Int, into out: inout [String]) {
        var entries: [String] = []
        var notes: [String] = []
        for field in CanonicalField.allCases {
            guard let index = inspection.fieldColumns[field], !inspection.columns[index].positional else { continue }
            let profile = inspection.columns[index].profile
            switch field {
            case .age, .contacts, .interventions:
                let found = MissingValueCandidates(profile, field: field, threshold: threshold)
                let listed = found.proposed.reduce(0) { $0 + $1.count }
                if !found.proposed.isEmpty {
                    entries.append(
                        "  \(field.rawValue): [\(found.proposed.map { quoted($0.label) }.joined(separator: ", "))]   # REVIEW: \(CountWords.of(listed, "value")) that \(listed == 1 ? "looks" : "look") like \"not known\"; without this line a run quarantines their referrals (invalid_\(field.rawValue))"
                    )
                }
                let left = found.nonConforming - listed
                if left > 0 {
                    let shown = found.notProposed.map { "'\(commentText($0.label))'" }
                    notes.append(
                        "# REVIEW: \(CountWords.of(left, "\(field.rawValue) value")) \(left == 1 ? "is" : "are") still not \(left == 1 ? "a whole number" : "whole numbers") from 0 to \(CountWords.number(MissingValueCandidates.maximum(field))): a run quarantines their referrals (\(Self.reasons(field, found)))\(shown.isEmpty ? "" : "; the frequent ones: " + shown.joined(separator: ", "))\(found.rare > 0 ? "; \(found.rare) \(found.rare == 1 ? "is a value" : "are values") seen fewer than \(threshold) times each, not shown" : "")"
                    )
                }
            case .referralReasons, .organisationID, .areaCode:
                let notKnown = profile.labels.filter { Guessing.notKnownSpellings.contains($0.key) }
                    .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
                if !notKnown.isEmpty {
                    let count = notKnown.reduce(0) { $0 + $1.value.count }
                    let effect: String
                    switch field {
                    case .organisationID: effect = "without this line each is an organisation of its own in the tables, funnels and model clusters"
                    case .areaCode: effect = "without this line they are counted as codes no lookup recognises"
                    default: effect = "without this line they are counted as unmapped reasons"
                    }
                    entries.append(
                        "  \(field.rawValue): [\(notKnown.map { quoted($0.value.commonSpelling.trimmingSpaces()) }.joined(separator: ", "))]   # REVIEW: \(count) value\(count == 1 ? "" : "s") that mean \"not known\"; \(effect)"
                    )
                }
                if field == .organisationID {
                    // Counted, never named: the report shows no organisation id either.
                    let words = profile.labels.filter { key, _ in !Guessing.notKnownSpellings.contains(key) && !key.contains(where: \.isNumber) }
                    let count = words.values.reduce(0) { $0 + $1.count }
                    if count > 0 {
                        notes.append(
                            "# REVIEW: \(count) organisation_id value\(count == 1 ? "" : "s") (\(words.count) distinct) with no digit, so no practice, PCN or service code (words, such as a place): each distinct value counts as an organisation of its own, in the tables and as a model cluster, unless listed under missing_values"
                        )
                    }
                }
            default: continue
            }
        }
        guard !entries.isEmpty || !notes.isEmpty else { return }
        out.append("# Values that mean \"not known\", per field (matched like labels: case and surrounding/repeated")
        out.append("# spaces ignored). Such a value makes the field Unknown; it never quarantines the referral.")
        out += notes
        if entries.isEmpty {
            out.append("# missing_values: {age: [unknown]}   # none found frequent enough to propose")
        } else {
            out.append("missing_values:")
            out += entries
        }
        out.append("")
    }

    /// `target` relative to `folder` (both absolute, links resolved), or `target` itself
    /// when they share nothing but the root.
    public static func relativePath(from folder: String, to target: String) -> String {
        let a = URL(fileURLWithPath: folder).resolvingSymlinksInPath().standardizedFileURL.pathComponents
        let b = URL(fileURLWithPath: target).resolvingSymlinksInPath().standardizedFileURL.pathComponents
        var common = 0
        while common < a.count && common < b.count && a[common] == b[common] { common += 1 }
        guard common > 1 else { return URL(fileURLWithPath: target).resolvingSymlinksInPath().path }
        let ups = Array(repeating: "..", count: a.count - common)
        let path = (ups + b[common...]).joined(separator: "/")
        return path.isEmpty ? "." : path
    }

    /// Checks a written draft as `sprx run` would use it: loads it with the pipeline
    /// loader, matches it against every file's header and cleans every row with the
    /// clean stage; returns what a person must know (on stderr), empty when it runs clean.
    public static func check(_ path: String, inputs: [String], referenceDirectory: String?) -> [String] {
        let pipeline: PipelineConfiguration
        do {
            pipeline = try PipelineLoader.load(path: path, referenceDirectory: referenceDirectory)
        } catch let error as SPRXError {
            return [
                "sprx: the draft cannot be loaded yet (\(error.message)): fix that line first, then run `sprx inspect --pipeline \(DisplayText.escaped(path))` to see what a run would quarantine"
            ]
        } catch {
            return ["sprx: the draft cannot be loaded yet: \(error)"]
        }
        let result: QuarantineCheck
        do {
            result = try QuarantineCheck.check(inputs, pipeline: pipeline)
        } catch let error as SPRXError {
            return ["sprx: the draft cannot read the export: \(error.message)"]
        } catch {
            return ["sprx: the draft cannot read the export: \(error)"]
        }
        var lines: [String] = []
        for failure in result.failures {
            lines.append(
                "sprx: the draft would NOT run on \(failure.file) (exit 65): \(failure.message). Fix: edit the draft's columns: section at the REVIEW marks\(failure.message.contains("not shown") ? "; if the file has no header row, add one to the export" : "")"
            )
        }
        let quarantined = result.quarantined.reduce(0) { $0 + $1.rows }
        if quarantined > 0 {
            lines.append("sprx: under the draft, \(CountWords.number(quarantined)) of \(CountWords.of(result.rows, "row")) would be quarantined:")
            for count in result.quarantined {
                lines.append("  \(count.rows) \(count.reason)\(count.field.map { " (\($0))" } ?? ""): \(count.explanation)")
            }
            lines.append("  (values that mean \"not known\" can be listed under missing_values; see docs/user-guide.md)")
        }
        return lines
    }

    /// Writes the draft to `path`, refusing a path that exists (exit 73): a draft never
    /// replaces a pipeline.
    public static func write(_ inspection: Inspection, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let reference = inspection.referenceDirectory ?? inspection.settings.enrich.referenceDirectory
        let name = url.deletingPathExtension().lastPathComponent.unicodeScalars
            .map { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" ? String($0) : "-" }.joined()
        let text = Self.text(inspection, name: name.isEmpty ? "draft" : String(name.prefix(100)), referenceDirectory: relativePath(from: folder, to: reference))
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, permissions: 0o644)
        } catch {
            let reason = error.code == EEXIST ? "it exists; a draft never replaces a file: choose a new name" : error.reason
            throw SPRXError(.outputFailed, "cannot write the draft pipeline: \(reason)", location: DataLocation(file: path))
        }
        defer { file.close() }
        var failure: Errno?
        Array(text.utf8).withUnsafeBytes { raw in
            do { try file.writeAll(raw) } catch { failure = error as? Errno ?? Errno(EIO) }
        }
        if let failure {
            _ = unlink(path)
            throw SPRXError(.outputFailed, "cannot write the draft pipeline: \(failure.reason)", location: DataLocation(file: path))
        }
    }
}
