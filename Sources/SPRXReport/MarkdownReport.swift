import SPRXAggregate
import SPRXCore

extension Report {
    /// `report.md`: the report's tables in Markdown, for wikis and pull requests.
    ///
    /// Every string that came from data or configuration (labels, file names, the
    /// pipeline name, display names) passes through ``markdownText(_:)``, so it is shown
    /// as text: no raw HTML, no table break, no emphasis or link.
    public static func markdown(tables: [PublishedTable], context: ReportContext) -> String {
        let numbers = ReportNumbers(tables: tables)
        let label = Labels(overrides: context.displayNames)
        let md = markdownText
        var out: [String] = []
        out.append("# Social prescribing referrals: who is referred, by which route, and who gets help")
        out.append("")
        out.append("Pipeline " + md(context.pipelineName) + period(context).map { ", referrals dated \(md($0))" }.orEmpty + ". sprx \(md(context.toolVersion)).")
        out.append("")
        if !context.disclosureEnabled { out += ["> **\(md(context.disclosureStatement))**", ""] }

        out.append("## The run")
        out.append("")
        out.append("- Period covered: " + (period(context).map(md) ?? "no clean referrals"))
        out.append("- " + md(context.disclosureStatement))
        out.append("- Pipeline: " + md(context.pipelineName) + " (sha256 " + md(String(context.pipelineSHA256.prefix(12))) + ")")
        out += notRecordedSentences(context).map { "- " + md($0) }
        out.append("")
        out += [md(fileCaption) + ".", ""]
        out += table(fileHeader, fileRows(numbers), right: [1, 2, 3, 4])
        out += table(["Reference file", "Edition", "Used for"], context.references.map { [$0.name, $0.edition, $0.use] })

        out.append("## Headline figures")
        out.append("")
        func pct(_ value: String?) -> String { value.map { "\($0)%" } ?? "suppressed" }
        if !numbers.hasReferrals {
            out.append(noReferrals)
        } else {
            out.append("- Medical routes (as the pipeline defines them): \(pct(numbers.share(.medical)))")
            out.append("- Non-medical routes: \(pct(numbers.share(.nonMedical)))")
            out.append("- No recorded route: \(pct(numbers.share(.unknown)))")
            out.append("- Reached a link worker: \(pathwayHeadline(numbers, .pctContacted))")
            out.append("- Received at least one intervention: \(pathwayHeadline(numbers, .pctIntervention))")
            out.append("")
            out.append(md(headlineNote(numbers, context)))
            for warning in warningsText(context.warnings.filter { $0.changesHeadline }) { out += ["", "**" + md(warning) + "**"] }
        }
        out.append("")

        out.append("## What this data shows")
        out.append("")
        let findings = findings(numbers, label)
        if !numbers.hasReferrals {
            out.append(noReferrals)
        } else if findings.isEmpty {
            out.append(allSuppressed)
        } else {
            out.append(findingsOpening(context))
            out.append("")
            for finding in findings {
                out.append("- " + md(finding.here) + (finding.literature.map { " *Comparison:* " + md($0) } ?? ""))
            }
        }
        out.append("")

        out.append("## Route mix by group")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        let routes = routeRows(numbers, label)
        if !routes.isEmpty {
            out += [md(routeCaption) + ".", ""]
            out += table(routeHeader, routes, right: [1, 2, 3])
        }
        for dimension in routeMixDimensions where !numbers.groups(dimension).isEmpty {
            out.append("### " + md(label(.dimension, dimension)))
            out.append("")
            out += table(["Group", "Route type", "n", "Total", "%", "95% CI"], routeTypeRows(numbers, label, dimension: dimension), right: [2, 3, 4])
        }

        out.append("## The equity gradient: non-medical share by deprivation decile within each nation")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        let gradient = gradientRows(numbers).map(gradientCells)
        out += table(["Nation", "Decile (1 = most deprived)", "n", "Total", "%", "95% CI"], gradient, right: [2, 3, 4])

        out += reachMarkdown(numbers, context)
        out += trendsMarkdown(numbers, context, label)
        out += placeMarkdown(numbers, context)

        out.append("## From referral to help, by route type")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        out += table(pathwayHeader, pathwayRows(numbers).map { pathwayCells($0, label) }, right: [1, 2, 3, 4, 5])

        out.append("## Referral reasons")
        out.append("")
        if let note = context.roundingNote { out += [note, ""] }
        out += table(reasonsHeader, reasonCells(numbers, label), right: [1, 2, 3])

        out.append("## Models")
        out.append("")
        if context.models.isEmpty { out += ["The pipeline declares no models.", ""] }
        for summary in context.models {
            out.append("### " + md(modelHeading(summary)))
            out.append("")
            guard summary.status == "fitted" else {
                out += [md("Not fitted: \(DisplayNames.plainWords(summary.message ?? summary.errorCode ?? "unknown reason"))."), ""]
                continue
            }
            out.append(md(modelSize(numbers, summary, context)))
            out.append("")
            let estimates = modelTable(numbers, summary, label)
            out += table(estimates.header, estimates.rows, right: [3, 4, 5])
        }

        out.append("## Data quality")
        out.append("")
        guard !numbers.quality.all.isEmpty else {
            out += ["tables/data\\_quality.csv gives no figures for the whole run.", ""]
            return out.joined(separator: "\n")
        }
        if !context.warnings.isEmpty {
            out += [md(warningsIntro), ""] + warningsText(context.warnings).map { "- " + md($0) } + [""]
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
        return out.joined(separator: "\n")
    }

    /// A Markdown table; every cell and header escaped by ``markdownText(_:)``.
    static func table(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> [String] {
        func line(_ cells: [String]) -> String { "| " + cells.map(markdownText).joined(separator: " | ") + " |" }
        return [line(header), "|" + header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|"] + rows.map(line) + [""]
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
