import SPRXAggregate

extension Report {
    /// `report.md`: the report's tables in Markdown, for wikis and pull requests.
    public static func markdown(tables: [PublishedTable], context: ReportContext) -> String {
        let numbers = ReportNumbers(tables: tables)
        var out: [String] = []
        out.append("# Social prescribing referrals: who is referred, by which route, and who gets help")
        out.append("")
        out.append("Pipeline `\(context.pipelineName)`" + period(context).map { ", referrals dated \($0)" }.orEmpty + ". sprx \(context.toolVersion).")
        out.append("")
        if !context.disclosureEnabled { out += ["> **\(context.disclosureStatement)**", ""] }

        out.append("## The run")
        out.append("")
        out.append("- Period covered: " + (period(context) ?? "no clean referrals"))
        out.append("- Disclosure control: " + context.disclosureStatement)
        out.append("- Pipeline: `\(context.pipelineName)` (sha256 `\(context.pipelineSHA256.prefix(12))`)")
        out.append("")
        out += table(["File", "Rows read", "Clean", "Duplicate", "Quarantined"], context.inputs.map {
            [$0.name, grouped($0.rowsRead), grouped($0.clean), grouped($0.duplicate), grouped($0.quarantined)]
        }, right: [1, 2, 3, 4])
        out += table(["Reference file", "Edition", "Used for"], context.references.map { [$0.name, $0.edition, $0.use] })

        out.append("## Headline figures")
        out.append("")
        func pct(_ value: String?) -> String { value.map { "\($0)%" } ?? "suppressed" }
        if numbers.total == nil {
            out.append("No clean referrals: there is nothing to report.")
        } else {
            out.append("- Medical routes (primary or secondary care): \(pct(numbers.share("medical")))")
            out.append("- Non-medical routes: \(pct(numbers.share("non_medical")))")
            out.append("- No recorded route: \(pct(numbers.share("unknown")))")
            out.append("- Reached a link worker: \(pct(numbers.pathwayAll("pct_contacted")))")
            out.append("- Received at least one intervention: \(pct(numbers.pathwayAll("pct_intervention")))")
            out.append("- Clean referrals: \(numbers.total ?? "suppressed")")
        }
        out.append("")

        out.append("## Route mix by group")
        out.append("")
        for dimension in routeMixDimensions where !numbers.groups(dimension).isEmpty {
            out.append("### \(ReportNumbers.title(dimension))")
            out.append("")
            let rows = routeTypeRows(numbers, dimension: dimension)
            out += table(["Group", "Route type", "n", "Total", "%", "95% CI"], rows, right: [2, 3, 4])
        }

        out.append("## The equity gradient: non-medical share by deprivation decile within each nation")
        out.append("")
        let gradient = gradientRows(numbers).map(gradientCells)
        out += table(["Nation", "Decile (1 = most deprived)", "n", "Total", "%", "95% CI"], gradient, right: [2, 3, 4])

        out.append("## From referral to help, by route type")
        out.append("")
        out += table(pathwayHeader, pathwayRows(numbers).map(pathwayCells), right: [1, 2, 3, 4, 5])

        out.append("## Referral reasons")
        out.append("")
        out += table(
            ["Reason", "n", "Referrals", "%", "95% CI"],
            numbers.reasons.select(["dimension": "all", "group": "all"]).map { [$0["reason"] ?? "", cell($0, "n"), cell($0, "total"), cell($0, "percent"), interval($0)] },
            right: [1, 2, 3])

        out.append("## Models")
        out.append("")
        if context.models.isEmpty { out += ["The pipeline declares no models.", ""] }
        for summary in context.models {
            out.append("### " + modelHeading(summary))
            out.append("")
            guard summary.status == "fitted" else {
                out += ["Not fitted: \(summary.message ?? summary.errorCode ?? "unknown reason").", ""]
                continue
            }
            out.append(modelSize(numbers, summary))
            out.append("")
            let estimates = modelTable(numbers, summary)
            out += table(estimates.header, estimates.rows, right: [3, 4, 5])
        }

        out.append("## Data quality")
        out.append("")
        let sums = qualitySums(numbers)
        out += table(["Quarantine reason", "Rows"], quarantineReasons.map { [$0, String(sums[$0] ?? 0)] }, right: [1])
        let unmapped = sums.keys.filter { $0.hasPrefix("unmapped:") }.sorted()
        out += table(["Unmapped field: label", "Referrals"], unmapped.isEmpty ? [["none", "0"]] : unmapped.map { [String($0.dropFirst("unmapped:".count)), String(sums[$0] ?? 0)] }, right: [1])
        let areas = sums.keys.filter { $0.hasPrefix("area_") }.sorted()
        out += table(["Area codes", "Referrals"], areas.map { [areaLabel($0), String(sums[$0] ?? 0)] }, right: [1])
        return out.joined(separator: "\n")
    }

    /// A Markdown table; `|` in cells escaped.
    static func table(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> [String] {
        func line(_ cells: [String]) -> String { "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
        return [line(header), "|" + header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|"] + rows.map(line) + [""]
    }
}
