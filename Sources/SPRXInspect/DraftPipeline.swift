import Foundation

#if canImport(Glibc)
import Glibc
#endif
import SPRXCore
import SPRXPipeline

/// A complete, commented pipeline file drafted from an inspection: columns from header
/// names (or values), labels from their words, dates from the formats that parse the
/// most values, and the default pipeline's reference files, disclosure control, models,
/// quality gates and tolerances. Every guess carries `# REVIEW:`.
///
/// Labels are written only as mapping labels, never with counts. A label seen fewer than
/// `suppress_up_to + 1` times is written only when it was guessed (so the run maps it as
/// the analyst would expect); rare labels that were not guessed are counted in a comment,
/// never named, so a stray name or note typed into a categorical column does not reach a
/// file that may be committed. Identifiers, dates, area codes and free text are never written.
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
        line("# Every guess is marked `# REVIEW:`: check each against the export's documentation, fix")
        line("# what is wrong, delete the mark, then run it and read tables/data_quality.csv and")
        line("# tables/unmapped_labels.csv (docs/bring-your-own-export.md walks through it).")
        line("# Labels seen fewer than \(threshold) times are written only where a guess maps them.")
        line("version: 1")
        line("name: \(quoted(name))")
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
        var optional: [CanonicalField] = []
        for field in CanonicalField.allCases {
            if let index = inspection.fieldColumns[field] {
                let header = inspection.columns[index].header
                let evidence = inspection.fieldEvidence[field] ?? "header name"
                let mark = evidence == "pipeline" ? "" : "   # REVIEW: guessed from the \(evidence == "values" ? "column's values" : "header name")"
                line("  \(field.rawValue): [\(quoted(header))]\(mark)")
            } else if field.isRequired {
                line("  \(field.rawValue): [\(quoted(field.rawValue))]   # REVIEW: no column found; a run fails (65) until this names the export's header")
            } else {
                optional.append(field)
            }
        }
        if !optional.isEmpty {
            line("  optional: [\(optional.map(\.rawValue).joined(separator: ", "))]   # REVIEW: no column found for these; their values are Unknown")
        }
        let unused = inspection.columns.indices.filter { i in !inspection.fieldColumns.values.contains(i) }
        if !unused.isEmpty {
            line("  # Not mapped (ignored by a run): \(unused.map { "'\(commentText(inspection.columns[$0].header))'" }.joined(separator: ", "))")
        }
        line("")

        // labels
        func labels(_ field: CanonicalField) -> (guessed: [String: [String]], notGuessed: [String], rareNotGuessed: Int, separator: String?) {
            guard let index = inspection.fieldColumns[field] else { return ([:], [], 0, nil) }
            let profile = inspection.columns[index].profile
            let separator = field == .referralReasons ? Guessing.reasonSeparator(profile) : nil
            var guessed: [String: [String]] = [:]
            var notGuessed: [String] = []
            var rare = 0
            for (label, count) in InspectionReport.labelCounts(profile, splitBy: separator) {
                if field == .ethnicity && Guessing.looksLikeNHSEthnicCodes(profile) {
                    var bytes = Array(label.utf8)
                    if PipelineLabels.nhsEthnicGroup(&bytes) != nil { continue }
                }
                if let value = Guessing.value(forLabel: label, field: field) {
                    guessed[value, default: []].append(String(label.prefix(LabelTable.maxLabelLength)))
                } else if count >= threshold {
                    notGuessed.append(label)
                } else {
                    rare += 1
                }
            }
            for key in guessed.keys { guessed[key]!.sort() }
            return (guessed, notGuessed, rare, separator)   // most frequent first (labelCounts)
        }
        func list(_ labels: [String]) -> String { "[" + labels.map(quoted).joined(separator: ", ") + "]" }
        func leftovers(_ notGuessed: [String], _ rare: Int) {
            let codes = notGuessed.filter(Guessing.isSNOMEDConceptID)
            let words = notGuessed.filter { !Guessing.isSNOMEDConceptID($0) }
            if !codes.isEmpty {
                line("  # REVIEW: SNOMED CT codes (a code's meaning cannot be guessed: look each up and list it where it belongs): \(codes.prefix(InspectionPrivacy.maxLabelsShown).map { "'\(commentText($0))'" }.joined(separator: ", "))")
            }
            if !words.isEmpty {
                line("  # REVIEW: labels not guessed (they become unknown until listed): \(words.prefix(InspectionPrivacy.maxLabelsShown).map { "'\(commentText($0))'" }.joined(separator: ", "))")
            }
            if rare > 0 { line("  # REVIEW: \(rare) more label\(rare == 1 ? "" : "s") seen fewer than \(threshold) times, not guessed and not shown: `sprx run` counts them in unmapped_labels") }
        }

        let source = labels(.referralSource)
        line("# Routes: medical (primary or secondary care) or non-medical; labels guessed from their words.")
        line("routes:")
        for (id, type) in routes {
            let found = source.guessed[id] ?? []
            let note = !found.isEmpty ? "   # REVIEW" : type == .unknown ? "" : "   # REVIEW: no label guessed: list this route's labels, or delete the line if the export has none (tables list every route declared)"
            line("  \(id): {type: \(type.label), labels: \(list(found))}\(note)")
        }
        leftovers(source.notGuessed, source.rareNotGuessed)
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
        if !missingReasons.isEmpty { line("  # No label guessed for: \(missingReasons.joined(separator: ", ")) (a reason needs at least one label to be listed)") }
        leftovers(reasons.notGuessed, reasons.rareNotGuessed)
        line("reason_separators: \(quoted(reasons.separator ?? ";"))\(reasons.separator == nil ? "" : "   # REVIEW: each splits values into pieces also seen alone (`;` when none does); remove one that is part of a label")")
        line("")

        line("labels:")
        let sex = labels(.sex)
        line("  sex:")
        for value in ["male", "female", "other", "unknown"] {
            line("    \(value): \(list(sex.guessed[value] ?? []))\(sex.guessed[value] == nil ? "" : "   # REVIEW")")
        }
        leftovers(sex.notGuessed, sex.rareNotGuessed)
        let ethnicity = labels(.ethnicity)
        line("  ethnicity:")
        for value in ["white", "mixed", "asian", "black", "other", "unknown"] {
            line("    \(value): \(list(ethnicity.guessed[value] ?? []))\(ethnicity.guessed[value] == nil ? "" : "   # REVIEW")")
        }
        leftovers(ethnicity.notGuessed, ethnicity.rareNotGuessed)
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
        leftovers(contacted.notGuessed, contacted.rareNotGuessed)
        line("")

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
        line("enrich:")
        line("  # A relative path is read from this file's folder (an absolute one as it is); `--reference-dir` or SPRX_REFERENCE_DIR override it.")
        line("  reference_dir: \(quoted(referenceDirectory))\(inspection.referenceDirectory == nil ? "   # REVIEW: no reference folder was found; name the folder holding the lookups" : "")")
        line(DefaultPipelineText.enrichLookups)
        line("")
        line("# Copied from Pipelines/referral-equity.yaml: disclosure control, models, quality gates, tolerances.")
        out.append(DefaultPipelineText.fromDisclosure)
        return out.joined(separator: "\n") + "\n"
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
