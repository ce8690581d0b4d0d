import SPRXAggregate
import SPRXCore

extension Report {
    /// `report.md`: the report's tables in Markdown, for wikis and pull requests.
    ///
    /// Every string that came from data or configuration (labels, file names, the
    /// pipeline name, display names) passes through ``markdownText(_:)``, so it is shown
    /// as text: no raw HTML, no table break, no emphasis or link.
    public static func markdown(tables: PublishedTables, context: ReportContext) -> String {
        let numbers = ReportNumbers(tables: tables)
        let label = Labels(context)
        let md = markdownText
        // Page 1, the questions in order (each opening with its finding), references, appendix.
        var out = summaryMarkdown(numbers, context, label)
        out += withLead(["## " + md(whoTitle), ""] + demoted(whoMarkdown(numbers, context, label)), lead("who", numbers, context, label))
        out += withLead(reachMarkdown(numbers, context), lead("reach", numbers, context, label))
        out += withLead(trendsMarkdown(numbers, context, label), lead("trends", numbers, context, label))
        out += withLead(placeMarkdown(numbers, context), lead("organisations", numbers, context, label))
        out += withLead(modelsMarkdown(numbers, context, label), lead("models", numbers, context, label))
        out += referencesMarkdown()
        out += ["## Appendix: how this report was made", "", md(appendixIntro), ""]
        out += demoted(runMarkdown(numbers, context))
        out += ["### Disclosure control", "", md(context.disclosureStatement), ""]
        if context.disclosureEnabled {
            out += [md(disclosureExplained), ""]
        }
        out += demoted(qualityMarkdown(numbers, context, label))
        return out.joined(separator: "\n")
    }

    /// The run and its files (the appendix's first part).
    static func runMarkdown(_ numbers: ReportNumbers, _ context: ReportContext) -> [String] {
        let md = markdownText
        var out: [String] = []
        out.append("## The run")
        out.append("")
        out.append("- Period covered: " + (period(context).map(md) ?? "no clean referrals"))
        if let clean = cleanReferralsSentence(numbers, context) { out.append("- " + md(clean)) }
        out.append("- Pipeline: " + md(context.pipelineName) + " (sha256 " + md(String(context.pipelineSHA256.prefix(12))) + ")")
        if let declared = declaredSentence(context) { out.append("- " + md(declared)) }
        out += notRecordedSentences(context).map { "- " + md($0) }
        out.append("")
        out += [md(fileCaption) + ".", ""]
        out += table(fileHeader, fileRows(numbers), right: [1, 2, 3, 4])
        out += table(["Reference file", "Edition", "Used for"], context.references.map { [$0.name, $0.edition, $0.use] })
        return out
    }

    /// Who is referred: route mix, the gradient, from referral to help, reasons (headings at level 2, demoted by the caller).
    static func whoMarkdown(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [String] {
        let md = markdownText
        var out: [String] = []
        out.append("## Route mix by group")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        let routes = routeRows(numbers, label)
        if !routes.isEmpty {
            out += [md(routeCaption) + ".", ""]
            out += table(routeHeader, routes, right: [1, 2, 3])
        }
        for breakdown in breakdowns(context.groupKey) where !numbers.groups(breakdown.name).isEmpty {
            out.append("### " + md(breakdown.title))
            out.append("")
            if breakdown.isReasonGroups { out += [md(reasonGroupsNote(breakdown, groups: numbers.groups(breakdown.name), label)), ""] }
            out += table(["Group", "Route type", "n", "Total", "%", "95% CI"], routeTypeRows(numbers, label, breakdown), right: [2, 3, 4])
        }

        out.append("## The equity gradient: non-medical share by deprivation decile within each nation")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        let gradient = gradientRows(numbers).map(gradientCells)
        out += table(["Nation", "Decile (1 = most deprived)", "n", "Total", "%", "95% CI"], gradient, right: [2, 3, 4])

        out.append("## From referral to help, by route type")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        out += table(pathwayHeader, pathwayRows(numbers).map { pathwayCells($0, label) }, right: [1, 2, 3, 4, 5])
        for breakdown in breakdowns(context.groupKey) where breakdown.pathway {
            let rows = pathwayGroupRows(numbers, breakdown)
            guard !rows.isEmpty else { continue }
            out += ["### " + md(breakdown.title), ""]
            if breakdown.isReasonGroups { out += [md(reasonGroupsNote(breakdown, groups: numbers.groups(breakdown.name), label)), ""] }
            out += table(pathwayGroupHeader, rows.map { pathwayGroupCells($0, breakdown) }, right: [1, 2, 3, 4, 5])
        }

        out.append("## Referral reasons")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        out += table(reasonsHeader, reasonCells(numbers, label), right: [1, 2, 3])
        return out
    }

    /// The models section.
    static func modelsMarkdown(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [String] {
        let md = markdownText
        var out: [String] = []
        out.append("## Models")
        out.append("")
        if context.models.isEmpty { out += ["The pipeline declares no models.", ""] }
        for summary in context.models {
            out.append("### " + md(modelHeading(summary)))
            out.append("")
            guard summary.status == .fitted else {
                out += [md("Not fitted: \(notFittedReason(summary))."), ""]
                continue
            }
            out.append(md(modelSize(numbers, summary, context)))
            out.append("")
            let estimates = modelTable(numbers, summary, label)
            out += table(estimates.header, estimates.rows, right: [3, 4, 5])
        }
        return out
    }

    /// The data-quality section (the appendix's last part).
    static func qualityMarkdown(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [String] {
        let md = markdownText
        var out: [String] = []
        out.append("## Data quality")
        out.append("")
        guard !numbers.quality.all.isEmpty else {
            return out + ["tables/data\\_quality.csv gives no figures for the whole run.", ""]
        }
        if !context.warnings.isEmpty {
            out +=
                [md(warningsIntro), ""] + context.warnings.flatMap { warning in warningMarkdown(warning).enumerated().map { $0 == 0 ? "- " + $1 : $1 } } + [""]
        }
        out += [md(qualityIntro), ""]
        out += [md(quarantineCaption) + ".", ""]
        out += table(quarantineHeader, quarantineRows(numbers, label), right: [1])
        out += [md(unmappedCaption) + ".", ""]
        out += table(unmappedHeader, unmappedFieldRows(numbers, label), right: [1])
        out += [md(controlled(unmappedLabelCaption, context)), ""]
        let labels = unmappedLabelRows(numbers, label)
        out += table(unmappedLabelHeader, labels.isEmpty ? [["none", "", "0"]] : labels, right: [2])
        out += [md(areaCaption) + ".", ""]
        out += table(areaHeader, areaRows(numbers), right: [1])
        return out
    }

    /// A Markdown table; every cell and header escaped by ``markdownText(_:)``.
    /// Rows whose every figure is suppressed, and a note repeated on every row, are said
    /// once in a sentence after the table (``compacted(header:rows:numeric:)``).
    static func table(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> [String] {
        func line(_ cells: [String]) -> String { "| " + cells.map(markdownText).joined(separator: " | ") + " |" }
        let shape = compacted(header: header, rows: rows, numeric: right)
        let sentences = shape.sentences.isEmpty ? [] : [markdownText(shape.sentences.joined(separator: " ")), ""]
        if shape.empty { return sentences }
        return [line(shape.header), "|" + shape.header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|"] + shape.rows.map(line)
            + [""]
            + sentences
    }

    /// Characters that start Markdown or HTML syntax (CommonMark/GFM), shown as text
    /// by a backslash in front of each.
    static let markdownSpecials: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "&", "#", "~", "!"]

    /// `text` as Markdown that renders exactly as `text`: specials backslash-escaped,
    /// and line breaks and other control characters (which would end a table row or a
    /// paragraph) replaced by U+FFFD.
    static func markdownText(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            if markdownSpecials.contains(ch) {
                out.append("\\")
                out.append(ch)
            } else if ch.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
                out.append("\u{FFFD}")
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
