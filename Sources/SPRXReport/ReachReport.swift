import SPRXCore

extension Report {
    static func reachIntro(_ scale: RateScale) -> String {
        "How often people were referred, against how many people live in the areas they come from: referral rates per \(scale.words) residents per year by deprivation decile, how far they differ from the most to the least deprived areas, and each decile's share of referrals beside its share of the population."
    }
    static func reachRateTitle(_ scale: RateScale) -> String {
        "Referral rate per \(scale.words) residents per year by deprivation decile within each nation (1 = most deprived), with 95% intervals"
    }

    /// Whether the run warns that its referrals come from a small part of the catchment.
    static func catchmentMismatch(_ context: ReportContext) -> Bool {
        context.rateFigures?.concentration?.mismatch == true
    }
    static let reachRepresentationTitle =
        "Each decile's share of referrals over its share of the population, within each nation (1 = referred in proportion to its population)"
    static let reachIndexCaption =
        "inequality indices across the nation's deciles, with the fitted values at the most and least deprived ends (tables/inequality.csv)"
    static let reachIndexIntro =
        "Each line is fitted across a nation's ten deciles, each decile ranked and weighted by the indicator's denominator: its residents for the referral rate, its referrals for a share (Low and Low's slope and relative indices of inequality, as Public Health England's Fingertips computes them). In the tables the indices are as Fingertips publishes them: SII = least minus most deprived, RII = least over most deprived, so an SII below 0 or an RII below 1 means higher in the most deprived. The sentences say the direction in words."
    static let reachAgeTitle = "Rates by age band"

    /// The chart panels of the rates: crude and, where published, age-standardised, per decile 1 to 10.
    static func reachRatePanels(_ reach: ReachFigures) -> [Charts.SeriesPanel] {
        let factor = reach.scale.factor
        func at(_ cell: Cell) -> Double? { cell.value.map { $0 * factor } }
        return reach.nations.map { nation in
            Charts.SeriesPanel(
                title: nation,
                points: reach.deciles(nation).filter { $0.decile != nil }.map { decile in
                    let row = decile.row, suppressed = row[RateColumn.suppressed].flag == true
                    return (
                        decile.label,
                        [
                            Charts.SeriesPoint(
                                value: at(row[RateColumn.crudeRate]), low: at(row[RateColumn.crudeCILow]), high: at(row[RateColumn.crudeCIHigh]),
                                suppressed: suppressed),
                            Charts.SeriesPoint(
                                value: at(row[RateColumn.dsr]), low: at(row[RateColumn.dsrCILow]), high: at(row[RateColumn.dsrCIHigh]), suppressed: suppressed),
                        ]
                    )
                })
        }
    }

    /// The chart panels of representation: one ratio per decile 1 to 10.
    static func reachRepresentationPanels(_ reach: ReachFigures) -> [Charts.SeriesPanel] {
        reach.nations.map { nation in
            Charts.SeriesPanel(
                title: nation,
                points: reach.deciles(nation).filter { $0.decile != nil }.map { decile in
                    (
                        decile.label,
                        [
                            Charts.SeriesPoint(
                                value: decile.row[RateColumn.representation].value, low: nil, high: nil,
                                suppressed: decile.row[RateColumn.suppressed].flag == true)
                        ]
                    )
                })
        }
    }

    /// The series of the rate chart: crude, and age-standardised when any row has one.
    static func reachRateSeries(_ reach: ReachFigures) -> [(label: String, colour: String)] {
        let standardised = reach.rates.rows.contains { !$0[RateColumn.dsr].isEmpty }
        return [("Crude rate", Palette.medical)] + (standardised ? [("Age-standardised rate (2013 ESP)", Palette.nonMedical)] : [])
    }

    static let reachRepresentationReference = (value: 1.0, label: "1 = referred in proportion to its population")

    static func reachSection(_ numbers: ReportNumbers, _ context: ReportContext) -> Node {
        let reach = numbers.reach
        guard reach.hasRates else { return section("reach", reachTitle, [el("p", text: reachWithheldSentence(context) ?? noPopulation)]) }
        let scale = reach.scale, mismatch = catchmentMismatch(context)
        var children: [Node] = [el("p", text: reachIntro(scale))] + reachWithheldIndicatorSentences(reach).map { el("p", text: $0) }
        children += context.warnings.filter { $0.code == .catchmentMismatch }.map { el("p", [("class", "warning")], warningNodes($0)) }
        let nationRows = reachNationRows(reach)
        if !nationRows.isEmpty {
            children.append(
                dataTable(
                    caption: "Referral rates by nation, \(scale.unit) (tables/rates_by_group.csv)", header: reachNationHeader, rows: nationRows,
                    numeric: [1, 2, 3, 4, 5]))
        }
        let nations = reach.nations
        if !nations.isEmpty {
            let series = reachRateSeries(reach)
            children.append(el("h3", text: "Rates by deprivation decile"))
            children.append(
                el(
                    "p",
                    text:
                        "Deciles are within-nation: each nation's own index ranks its own small areas, so a decile of one nation is not the same as that decile of another, and they are never pooled."
                ))
            var parts: [Node] = [
                Charts.seriesPanels(
                    id: "reach-rates", title: reachRateTitle(scale),
                    description: "One panel per nation; for each deprivation decile (1 = most deprived) the crude rate (circle)"
                        + (series.count > 1 ? " and the age-standardised rate (diamond)" : "")
                        + " with its 95% interval; s marks a suppressed decile, — one without a rate. The same numbers are in the tables below.",
                    panels: reachRatePanels(reach), series: series, xTitle: "Deprivation decile (1 = most deprived)", yTitle: "Referrals \(scale.short)",
                    valueText: { ReachWording.significant($0) }),
                el("figcaption", text: reachRateTitle(scale) + ". Deciles are within-nation."),
            ]
            for nation in nations {
                parts.append(
                    details(
                        tableSummary("\(nation), rates by decile", table: .ratesByGroup),
                        dataTable(
                            caption: "\(nation): referral rates by the nation's own deprivation decile, \(scale.unit)", header: reachRateHeader,
                            rows: reachRateRows(reach, nation: nation), numeric: [1, 2, 3, 4])))
            }
            children.append(el("figure", [], parts))
        }
        let indexNations = reach.inequalityNations
        if !indexNations.isEmpty {
            children.append(el("h3", text: "Inequality from the most to the least deprived"))
            children.append(el("p", text: reachIndexIntro))
            for nation in indexNations {
                children.append(
                    el("ul", [("class", "findings")], reachSentences(reach, nation: nation, mismatch: mismatch).map { el("li", [], [el("p", text: $0)]) }))
                children.append(
                    details(
                        tableSummary("\(nation), inequality indices", table: .inequality),
                        dataTable(
                            caption: "\(nation): \(reachIndexCaption)", header: reachIndexHeader, rows: reachIndexRows(reach, nation: nation),
                            numeric: [1, 2, 3, 4])))
            }
        }
        if !nations.isEmpty {
            children.append(el("h3", text: "Representation: share of referrals against share of population"))
            var parts: [Node] = [
                el(
                    "p",
                    text:
                        "Each decile's share of its nation's referrals over its share of the nation's population: the same rates seen another way, so the chart and its tables are one click away (and not printed)."
                ),
                Charts.seriesPanels(
                    id: "reach-representation", title: reachRepresentationTitle,
                    description:
                        "One panel per nation; for each deprivation decile (1 = most deprived) its share of the nation's referrals divided by its share of the nation's population. The dashed line at 1 is a decile referred in proportion to its population; above it, more than its share. s marks a suppressed decile. The same numbers are in the tables below.",
                    panels: reachRepresentationPanels(reach), series: [("Share of referrals ÷ share of population", Palette.contacted)],
                    xTitle: "Deprivation decile (1 = most deprived)", yTitle: "Ratio (1 = in proportion)", reference: reachRepresentationReference,
                    valueText: { NumberFormat.ratio($0) }),
                el("figcaption", text: reachRepresentationTitle + ". Deciles are within-nation."),
            ]
            for nation in nations {
                parts.append(
                    details(
                        tableSummary("\(nation), representation by decile", table: .ratesByGroup),
                        dataTable(
                            caption: "\(nation): each decile's share of the nation's referrals and of its population", header: reachRepresentationHeader,
                            rows: reachRepresentationRows(reach, nation: nation), numeric: [1, 2, 3])))
            }
            children.append(parts[0])
            children.append(
                details(
                    "Chart and tables: \(reachRepresentationTitle.prefix(1).lowercased() + reachRepresentationTitle.dropFirst()) (all rows: \(TableSchema.ratesByGroup.path))",
                    el("figure", [], Array(parts.dropFirst()))))
        }
        let ages = reachAgeRows(reach)
        if let withheld = reachAgeWithheldSentence(reach) {
            children.append(el("h3", text: reachAgeTitle))
            children.append(el("p", text: withheld))
        } else if !ages.isEmpty {
            children.append(el("h3", text: reachAgeTitle))
            children.append(
                details(
                    tableSummary("crude rates by age band", table: .ratesByGroup),
                    dataTable(
                        caption: "Crude referral rates by age band, \(scale.unit), nations with single-year-of-age populations together",
                        header: reachAgeHeader, rows: ages, numeric: [1, 2, 3])))
        }
        children += methodNotes(reachNotes(reach, context), inView: reachLeftOutNotes(context))
        return section("reach", reachTitle, children)
    }

    /// The reach section in Markdown: the same sentences and tables as the HTML.
    static func reachMarkdown(_ numbers: ReportNumbers, _ context: ReportContext) -> [String] {
        let reach = numbers.reach, md = markdownText
        var out = ["## " + reachTitle, ""]
        guard reach.hasRates else { return out + [md(reachWithheldSentence(context) ?? noPopulation), ""] }
        let scale = reach.scale, mismatch = catchmentMismatch(context)
        out += [md(reachIntro(scale)), ""]
        out += reachWithheldIndicatorSentences(reach).flatMap { [md($0), ""] }
        for warning in context.warnings where warning.code == .catchmentMismatch { out += warningMarkdown(warning) + [""] }
        let nationRows = reachNationRows(reach)
        if !nationRows.isEmpty {
            out += [md("Referral rates by nation, \(scale.unit) (tables/rates_by_group.csv)."), ""]
            out += table(reachNationHeader, nationRows, right: [1, 2, 3, 4, 5])
        }
        let nations = reach.nations
        if !nations.isEmpty {
            out += ["### Rates by deprivation decile", "", md(reachRateTitle(scale) + ". Deciles are within-nation and never pooled."), ""]
            for nation in nations {
                out += ["#### " + md(nation), ""]
                out += table(reachRateHeader, reachRateRows(reach, nation: nation), right: [1, 2, 3, 4])
            }
        }
        let indexNations = reach.inequalityNations
        if !indexNations.isEmpty {
            out += ["### Inequality from the most to the least deprived", "", md(reachIndexIntro), ""]
            for nation in indexNations {
                out += reachSentences(reach, nation: nation, mismatch: mismatch).map { "- " + md($0) } + [""]
                out += [md("\(nation): \(reachIndexCaption)."), ""]
                out += table(reachIndexHeader, reachIndexRows(reach, nation: nation), right: [1, 2, 3, 4])
            }
        }
        if !nations.isEmpty {
            out += ["### Representation: share of referrals against share of population", "", md(reachRepresentationTitle + "."), ""]
            for nation in nations {
                out += ["#### " + md(nation), ""]
                out += table(reachRepresentationHeader, reachRepresentationRows(reach, nation: nation), right: [1, 2, 3])
            }
        }
        let ages = reachAgeRows(reach)
        if let withheld = reachAgeWithheldSentence(reach) {
            out += ["### " + reachAgeTitle, "", md(withheld), ""]
        } else if !ages.isEmpty {
            out += [
                "### " + reachAgeTitle, "", md("Crude referral rates by age band, \(scale.unit), nations with single-year-of-age populations together."), "",
            ]
            out += table(reachAgeHeader, ages, right: [1, 2, 3])
        }
        out += ["### How these figures are made", ""]
        out += reachNotes(reach, context).map { "- " + md($0) } + [""]
        return out
    }
}
