import SPRXAggregate
import SPRXCore
import SPRXModels
import SPRXPipeline

/// The report's shape for a board pack: page 1 (``Report/summarySection(_:_:_:)``), one
/// section per question, each opening with its finding, the references, then an appendix
/// with everything technical.
///
/// Design note: the question sections are the existing sections, reordered and grouped
/// here (their headings moved one level down where they are grouped), so the numbers
/// and sentences each of them shows are written once, where they always were.
extension Report {
    /// The title when the pipeline gives no `report.title`.
    static let defaultTitle = "Social prescribing referrals: who is referred, by which route, and who gets help"

    /// The report's title: the pipeline's `report.title`, else ``defaultTitle``.
    static func title(_ context: ReportContext) -> String { context.title ?? defaultTitle }

    /// The default "as of" date: the day after the data period's last day, so the same
    /// inputs give the same report whenever it is run.
    public static func asOfDefault(lastDay: Day) -> Day { lastDay.next }

    /// Page 1's facts under the title: period, as-of date and pipeline, in one line.
    static func titleFacts(_ context: ReportContext) -> String {
        var facts: [String] = [period(context).map { "Referrals dated \($0)" } ?? "No clean referrals"]
        if let asOf = context.asOf { facts.append("as of \(asOf)") }
        facts.append("pipeline \(context.pipelineName), sprx \(context.toolVersion)")
        return facts.joined(separator: " · ") + "."
    }

    /// The first question's heading (the others keep their sections' headings).
    static let whoTitle = "Who is referred, and by which route"

    // MARK: Findings

    /// A percentage for a sentence, to the decimals its denominator supports
    /// (``NumberFormat/percentPlaces(denominator:roundTo:)``), with a per cent sign.
    static func sayPercent(_ value: Double, of denominator: Double?) -> String { NumberFormat.percent(value, denominator: denominator) + "%" }

    /// A share's 95% interval for a sentence ("76.3–79.3%") to its estimate's decimals,
    /// `nil` when either end is withheld.
    static func sayInterval(_ low: Double?, _ high: Double?, of denominator: Double?) -> String? {
        guard let low, let high else { return nil }
        let places = NumberFormat.percentPlaces(denominator: denominator)
        return NumberFormat.range(NumberFormat.percentLimit(low, places: places), NumberFormat.percentLimit(high, places: places)) + "%"
    }

    /// The denominator of a published share row (its `total`), `nil` when withheld.
    static func denominator(_ row: [Cell]?) -> Double? { row?[ShareColumn.total].value }

    /// Route shares for all referrals, with their intervals, beside Bu et al.'s range.
    static func routeFinding(_ numbers: ReportNumbers) -> Finding? {
        func row(_ type: RouteType) -> [Cell]? { numbers.routeType.first([.dimension: allGroups, .group: allGroups, .category: type.label]) }
        guard numbers.hasReferrals, let medical = row(.medical), let share = ReportNumbers.percent(medical) else { return nil }
        var text = "\(sayPercent(share, of: denominator(medical))) of referrals came through medical routes"
        if let interval = sayInterval(
            ReportNumbers.percent(medical, ShareColumn.ciLow), ReportNumbers.percent(medical, ShareColumn.ciHigh), of: denominator(medical))
        {
            text += " (95% interval \(interval))"
        }
        if let nonMedical = row(.nonMedical), let other = ReportNumbers.percent(nonMedical) {
            text += " and \(sayPercent(other, of: denominator(nonMedical))) through non-medical routes"
            if let interval = sayInterval(
                ReportNumbers.percent(nonMedical, ShareColumn.ciLow), ReportNumbers.percent(nonMedical, ShareColumn.ciHigh), of: denominator(nonMedical))
            {
                text += " (\(interval))"
            }
        }
        return Finding(here: text + ".", literature: "\(studyShort), across the UK: 72% to 85% of referrals came through medical routes.")
    }

    /// A pathway share for all referrals with its 95% Wilson interval, computed from the
    /// published (rounded) counts as the tables compute theirs; `nil` when either count is withheld.
    static func pathwayShare(_ numbers: ReportNumbers, _ count: PathwayColumn) -> (share: Double, low: Double, high: Double, total: Double)? {
        guard let row = numbers.pathway.first([.dimension: allGroups, .group: allGroups, .routeType: DisplayNames.allRouteTypes]),
            let n = row[count].count, let total = row[PathwayColumn.referred].count, total > 0, n <= total,
            let bounds = WilsonInterval.bounds(successes: n, total: total)
        else { return nil }
        return (100 * Double(n) / Double(total), 100 * bounds.low, 100 * bounds.high, Double(total))
    }

    /// Contact and intervention shares with their intervals, beside Bu et al.'s; a share
    /// not recorded is its own finding, with no comparison (absent is not zero).
    static func pathwayFindings(_ numbers: ReportNumbers) -> [Finding] {
        guard numbers.hasReferrals else { return [] }
        var recorded: [(text: String, study: String)] = []
        var withheld: [Finding] = []
        for (count, percent, words, short, study) in [
            (PathwayColumn.contacted, PathwayColumn.pctContacted, "reached a link worker", "reached a link worker", "90% reached a link worker"),
            (.intervention, .pctIntervention, "received at least one intervention", "received an intervention", "38% received any intervention"),
        ] {
            if let why = numbers.pathwayAllWithheld(percent) {
                withheld.append(Finding(here: "Whether referrals \(short) is \(why): no share is given.", literature: nil))
            } else if let share = pathwayShare(numbers, count) {
                recorded.append(
                    (
                        "\(sayPercent(share.share, of: share.total)) of referrals \(words) (95% interval \(sayInterval(share.low, share.high, of: share.total)!))",
                        study
                    ))
            }
        }
        guard !recorded.isEmpty else { return withheld }
        let text = recorded.map(\.text).joined(separator: "; ")
        return [Finding(here: text + ".", literature: "\(studyShort): \(recorded.map(\.study).joined(separator: " and ")).")] + withheld
    }

    /// The most common referral reason for all referrals, with its interval, beside Bu et al.
    static func reasonFinding(_ numbers: ReportNumbers, _ label: Labels) -> Finding? {
        let reasons = numbers.reasons.select([.dimension: allGroups, .group: allGroups]).compactMap { row -> (id: String, share: Double, row: [Cell])? in
            ReportNumbers.percent(row).map { (row[ShareColumn.category].shown, $0, row) }
        }
        guard let top = reasons.max(by: { $0.share != $1.share ? $0.share < $1.share : $0.id > $1.id }) else { return nil }
        let interval =
            sayInterval(ReportNumbers.percent(top.row, ShareColumn.ciLow), ReportNumbers.percent(top.row, ShareColumn.ciHigh), of: denominator(top.row)).map {
                " (95% interval \($0))"
            } ?? ""
        return Finding(
            here:
                "The most common referral reason was \(label.inSentence(.reason, top.id)): \(sayPercent(top.share, of: denominator(top.row))) of referrals\(interval).",
            literature: "\(studyShort): mental health was the most common reason.")
    }

    /// The most against the least deprived fifth of areas, non-medical share, in the first
    /// nation (England first) where both are published, each with its interval, and
    /// whether the two intervals overlap. The fifths are the nation's (its own index), and
    /// the referrals every clean referral from them, inside a catchment or not, so the
    /// sentence names the nation's areas and never "this catchment" (a new-user trial's
    /// "In this catchment (Cardiff and Vale)" counted referrals from two neighbouring
    /// authorities too), nor "In England" as if it spoke of the nation's referrals.
    static func deprivationFinding(_ numbers: ReportNumbers, _ context: ReportContext) -> Finding? {
        for nation in nations {
            func row(_ quintile: Int) -> [Cell]? {
                numbers.routeType.first([
                    .dimension: DisplayNames.nationByQuintile, .group: TableDimension.groupLabel([nation, String(quintile)]),
                    .category: RouteType.nonMedical.label,
                ])
            }
            guard let most = row(1), let least = row(5), let p1 = ReportNumbers.percent(most), let p5 = ReportNumbers.percent(least) else { continue }
            func interval(_ row: [Cell]) -> String {
                sayInterval(ReportNumbers.percent(row, ShareColumn.ciLow), ReportNumbers.percent(row, ShareColumn.ciHigh), of: denominator(row)).map {
                    " (95% interval \($0))"
                } ?? ""
            }
            var text =
                "Of the referrals in this data from the most deprived fifth of areas in \(nation), \(sayPercent(p1, of: denominator(most)))\(interval(most)) came through non-medical routes, against \(sayPercent(p5, of: denominator(least)))\(interval(least)) from the least deprived fifth"
            if let verdict = overlapVerdict(most, least) { text += ": " + verdict }
            return Finding(
                here: text + ".",
                literature: "\(studyShort): people from more deprived areas were reached more through non-medical routes.")
        }
        return nil
    }

    /// Whether two share rows' 95% intervals overlap, as the trend finding says it;
    /// `nil` when either interval is not published.
    static func overlapVerdict(_ one: [Cell], _ other: [Cell]) -> String? {
        guard let low1 = one[ShareColumn.ciLow].value, let high1 = one[ShareColumn.ciHigh].value,
            let low2 = other[ShareColumn.ciLow].value, let high2 = other[ShareColumn.ciHigh].value
        else { return nil }
        return low1 <= high2 && low2 <= high1
            ? "their 95% intervals overlap, so this is no clear difference"
            : "their 95% intervals do not overlap"
    }

    /// "local authority Sheffield" or "local authorities A and B" (``ReportContext/catchmentNames``).
    static func authoritiesPhrase(_ names: [String]) -> String {
        (names.count == 1 ? "local authority " : "local authorities ") + ReportContext.listed(names)
    }

    /// The nations with a published referral rate (the nations the catchment's residents live in).
    static func catchmentNations(_ numbers: ReportNumbers) -> [String] {
        nations.filter { numbers.reach.rate(Grouping.Name.nation, $0) != nil }
    }

    /// Each nation's crude referral rate with its interval, England first, the others beside it.
    static func reachFinding(_ numbers: ReportNumbers, _ context: ReportContext) -> Finding? {
        let reach = numbers.reach
        guard reach.hasRates, reachWithheldSentence(context) == nil, !catchmentMismatch(context) else { return nil }
        let scale = reach.scale
        let figures = nations.compactMap { nation -> (nation: String, figure: String)? in
            guard let row = reach.rate(Grouping.Name.nation, nation), let rate = row[RateColumn.crudeRate].value else { return nil }
            func say(_ value: Double) -> String { ReachWording.significant(value * scale.factor) }
            guard let low = row[RateColumn.crudeCILow].value, let high = row[RateColumn.crudeCIHigh].value else { return (nation, say(rate)) }
            return (nation, "\(say(rate)) (\(say(low))–\(say(high)))")
        }
        let rates = figures.map { "\($0.nation) \($0.figure)" }
        guard let first = rates.first else { return nil }
        if let names = context.catchmentNames {
            // A catchment of local authorities: its residents' rate, not a nation's.
            return Finding(
                here: "Referrals per \(scale.words) residents of the catchment (\(names)) per year (95% interval)"
                    + (figures.count == 1 ? ": \(figures[0].figure)." : ", by nation: \(rates.joined(separator: "; ")).")
                    + " The catchment is the small areas of the \(authoritiesPhrase(context.catchmentAuthorities)) the pipeline names.",
                literature: nil)
        }
        let others = rates.dropFirst()
        return Finding(
            here: "Referrals per \(scale.words) residents per year (95% interval): \(first)"
                + (others.isEmpty ? "." : "; against the other nations, \(others.joined(separator: "; ")).")
                + " Rates are of the residents of the small areas the referrals come from.",
            literature: nil)
    }

    /// The non-medical share's first and last full period (the period before against now).
    static func trendFinding(_ numbers: ReportNumbers) -> Finding? {
        let figures = numbers.trends
        if let withheld = figures.withheld(.nonMedicalShare) {
            return Finding(here: "Whether a route is non-medical is \(withheld), so its trend is not shown.", literature: nil)
        }
        guard let span = figures.firstAndLast(.nonMedicalShare),
            let sentence = TrendWording.shareChange(.nonMedicalShare, first: span.first, last: span.last, span.interval)
        else { return nil }
        return Finding(here: sentence, literature: nil)
    }

    /// Link worker provision in the most against the least deprived fifth of England's
    /// networks, each with its interval, beside Wilding et al.; only when some of this
    /// data's organisations map to an English network at that date (a finding about
    /// England's networks is not one about a Welsh or Scottish service, and page 1 and the
    /// section's lead speak of the data).
    static func provisionFinding(_ numbers: ReportNumbers, _ context: ReportContext) -> Finding? {
        let figures = numbers.place
        guard let date = figures.reportedCensus(context.censusCoverage), !figures.networks(date).isEmpty,
            let most = figures.gradientRow(date, PlaceFigures.ftePer50000, "1"), let least = figures.gradientRow(date, PlaceFigures.ftePer50000, "5"),
            let m = most[ProvisionGradientColumn.value].value, let l = least[ProvisionGradientColumn.value].value
        else { return nil }
        func interval(_ row: [Cell]) -> String {
            guard let low = row[ProvisionGradientColumn.ciLow].value, let high = row[ProvisionGradientColumn.ciHigh].value else { return "" }
            return " (95% interval \(fixed(low, 2))–\(fixed(high, 2)))"
        }
        return Finding(
            here:
                "At \(date), the most deprived fifth of England's primary care networks had \(fixed(m, 2)) link worker FTE per 50,000 registered patients\(interval(most)), against \(fixed(l, 2))\(interval(least)) in the least deprived fifth.",
            literature: "Wilding et al. (2024): from mid-2022, networks with more reported need for support had fewer link workers per patient.")
    }

    /// The route model's most deprived against least deprived fifth, adjusted for the other covariates.
    static func modelFinding(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Finding? {
        for summary in context.models where summary.status == .fitted && summary.outcome == ModelOutcome.routeNonMedical.rawValue {
            let rows = ratioRows(numbers, summary)
            let deprivation = rows.first {
                $0[ModelColumn.term].string == ModelCovariate.imdQuintile.rawValue && $0[ModelColumn.level].string == "1"
                    && $0[ModelColumn.reference].string == "5"
            }
            guard let row = deprivation, let estimate = row[ModelColumn.estimate].value, let low = row[ModelColumn.ciLow].value,
                let high = row[ModelColumn.ciHigh].value
            else { continue }
            let comparison =
                low > 1
                ? "higher for referrals from the most deprived fifth of areas than from the least deprived fifth"
                : high < 1
                    ? "lower for referrals from the most deprived fifth of areas than from the least deprived fifth"
                    : "about the same for referrals from the most deprived fifth of areas as from the least deprived fifth (the interval includes 1)"
            return Finding(
                here:
                    "Adjusted for the model's other covariates, the odds of a non-medical route were \(comparison): odds ratio \(fixed(estimate, 2)) (95% interval \(fixed(low, 2))–\(fixed(high, 2))).",
                literature: nil)
        }
        return nil
    }

    /// Most findings page 1 shows.
    static let maxFindings = 6

    /// Page 1's findings, at most ``maxFindings`` of those the data support, in the
    /// questions' order; the reason comes last, so it is the first left out.
    static func summaryFindings(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [Finding] {
        let first = [routeFinding(numbers)].compactMap { $0 } + pathwayFindings(numbers)
        let rest = [
            deprivationFinding(numbers, context), reachFinding(numbers, context), trendFinding(numbers), provisionFinding(numbers, context),
            reasonFinding(numbers, label),
        ]
        return Array((first + rest.compactMap { $0 }).prefix(maxFindings))
    }

    /// The study named in comparisons, short.
    static let studyShort = "Bu et al. (2024)"

    /// The headline cards: the value, what it is, and for a share not recorded, why (the
    /// card then says so instead of a number).
    ///
    /// The referrals card gives the total every table gives (``publishedReferrals(_:)``,
    /// rounded when disclosure control is on, and said so), so page 1 and the tables show
    /// one figure; the exact count of clean records is explained once, in the appendix
    /// (``cleanReferralsSentence(_:_:)``). Without a published total it gives the exact count.
    static func headlineCards(_ numbers: ReportNumbers, _ context: ReportContext) -> [(value: String, label: String, withheld: String?)] {
        func share(_ type: RouteType) -> String? {
            numbers.routeType.first([.dimension: allGroups, .group: allGroups, .category: type.label]).flatMap { row in
                ReportNumbers.percent(row).map { sayPercent($0, of: denominator(row)) }
            }
        }
        func pathway(_ count: PathwayColumn, _ percent: PathwayColumn, _ label: String) -> (String, String, String?) {
            // "Not recorded" when no file has the field; "Not shown" when it is missing from
            // some files or blank for too many referrals (recorded, but not enough to say).
            if let withheld = numbers.pathwayAllWithheld(percent) { return (withheld == notRecordedText ? "Not recorded" : "Not shown", label, withheld) }
            return (pathwayShare(numbers, count).map { sayPercent($0.share, of: $0.total) } ?? "Suppressed", label, nil)
        }
        return [
            referralsCard(numbers, context),
            (share(.medical) ?? "Suppressed", "came through medical routes", nil),
            (share(.nonMedical) ?? "Suppressed", "came through non-medical routes", nil),
            pathway(.contacted, .pctContacted, "reached a link worker"),
            pathway(.intervention, .pctIntervention, "received at least one intervention"),
        ]
    }

    /// The total of all clean referrals as the tables publish it (`route_type_by_group`,
    /// all referrals), `nil` when withheld or absent.
    static func publishedReferrals(_ numbers: ReportNumbers) -> Int? {
        numbers.routeType.first([.dimension: allGroups, .group: allGroups])?[ShareColumn.total].count.map { Int($0) }
    }

    /// Page 1's referrals card: the published total, said to be rounded when it is.
    static func referralsCard(_ numbers: ReportNumbers, _ context: ReportContext) -> (value: String, label: String, withheld: String?) {
        guard let total = publishedReferrals(numbers) else {
            return (numbers.cleanReferrals.map(grouped) ?? "Not given", "referrals (exact count of clean records)", nil)
        }
        return (grouped(total), context.disclosureEnabled ? "referrals (rounded to the nearest \(context.roundTo), as in every table)" : "referrals", nil)
    }

    /// The one place the exact count of clean records is set beside the published total
    /// (the appendix's run list); `nil` when they agree, either is not given or
    /// disclosure control is off (the tables' counts are then exact).
    static func cleanReferralsSentence(_ numbers: ReportNumbers, _ context: ReportContext) -> String? {
        guard context.disclosureEnabled, let exact = numbers.cleanReferrals, let total = publishedReferrals(numbers), exact != total else { return nil }
        return
            "Clean referrals: exactly \(grouped(exact)) records (tables/data_quality.csv); page 1 and the tables give \(grouped(total)), the total rounded to the nearest \(context.roundTo) like every published count."
    }

    /// The fields the export leaves out, in one sentence for page 1 (details in the
    /// appendix's run section); `nil` when every field is recorded.
    static func notRecordedSummary(_ context: ReportContext, _ label: Labels) -> String? {
        let recording = context.recording
        var parts: [String] = []
        if !recording.notRecorded.isEmpty {
            parts.append(
                "\(notRecordedText.prefix(1).uppercased() + notRecordedText.dropFirst()): "
                    + recording.notRecorded.map { label.inSentence(.field, $0.rawValue) }.joined(separator: ", "))
        }
        if !recording.recordedInPart.isEmpty {
            parts.append(
                "missing from some input files: " + recording.recordedInPart.map { label.inSentence(.field, $0.field.rawValue) }.joined(separator: ", "))
        }
        if !recording.partlyBlank.isEmpty {
            parts.append("\(partlyBlankText): " + recording.partlyBlank.map { label.inSentence(.field, $0.rawValue) }.joined(separator: ", "))
        }
        guard !parts.isEmpty else { return nil }
        return parts.joined(separator: "; ") + ". Their figures are left out, never shown as zero; the Appendix says which."
    }

    /// What page 1's figures are, in one sentence.
    static func summaryNote(_ context: ReportContext) -> String {
        "Percentages are of all clean referrals, with their 95% intervals"
            + (context.disclosureEnabled ? ", computed from counts rounded to the nearest \(context.roundTo)" : "")
            + ". Comparisons with published studies are labelled as such; they are other data, not this data's findings. Sources are listed under References, technical details in the Appendix."
    }

    // MARK: HTML

    /// Page 1: title, organisation, period and as-of date, headline cards and findings.
    static func summarySection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        var children: [Node] = [el("h1", [("id", "summary-h")], text: title(context))]
        if let organisation = context.organisation { children.append(el("p", [("class", "organisation")], text: organisation)) }
        children.append(el("p", [("class", "lede")], text: titleFacts(context)))
        if !context.disclosureEnabled { children.append(el("p", [("class", "warning"), ("role", "alert")], text: context.disclosureStatement)) }
        guard numbers.hasReferrals else {
            return el("section", [("id", "summary"), ("aria-labelledby", "summary-h")], children + [el("p", text: noReferrals)])
        }
        children.append(
            el(
                "div", [("class", "cards")],
                headlineCards(numbers, context).map { card in
                    el(
                        "div", [("class", "card")],
                        [el("p", [("class", "big")], text: card.value), el("p", text: card.label + (card.withheld.map { ": \($0)" } ?? ""))])
                }))
        if let missing = notRecordedSummary(context, label) { children.append(el("p", text: missing)) }
        children += context.warnings.filter { $0.changesHeadline }.map { el("p", [("class", "warning")], warningNodes($0)) }
        let findings = summaryFindings(numbers, context, label)
        children.append(el("h2", text: "What this data shows"))
        if findings.isEmpty {
            children.append(el("p", text: allSuppressed))
        } else {
            // The headline trend carries the variation icon of its latest month (SPC), as
            // the trends section's lead does.
            let trend = trendFinding(numbers)?.here
            let series = numbers.trends.spcSeries(.nonMedicalShare)
            let icon = series.isCharted ? series.variation : nil
            children.append(
                el(
                    "ul", [("class", "findings")],
                    findings.map { finding in
                        let mark =
                            finding.here == trend
                            ? icon.map {
                                Charts.variationIcon(
                                    $0.type, high: $0.high,
                                    label: TrendWording.measureName(.nonMedicalShare) + ": " + SPCWording.variation($0.type, high: $0.high), size: 18)
                            } : nil
                        return el(
                            "li", [],
                            [el("p", [], (mark.map { [$0, .text(" ")] } ?? []) + [.text(finding.here)])]
                                + (finding.literature.map { [el("p", [("class", "comparison")], text: "Compared with: " + $0)] } ?? []))
                    }))
        }
        children.append(el("p", [("class", "note")], text: summaryNote(context)))
        return el("section", [("id", "summary"), ("aria-labelledby", "summary-h")], children)
    }

    /// A section's opening finding, or `nil` when the data support none (the section says why).
    static func lead(_ id: String, _ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> String? {
        switch id {
        case "who": return routeFinding(numbers)?.here
        case "reach": return reachFinding(numbers, context)?.here
        case "trends": return trendFinding(numbers)?.here
        case "organisations":
            return provisionFinding(numbers, context)?.here
                ?? PlaceFigures.charted.first.flatMap { indicator in
                    let points = numbers.place.funnel(indicator, .organisation, context).points
                    return points.isEmpty ? nil : PlaceWording.flagSentence(points, indicator, noun: "organisation")
                }
        case "models": return modelFinding(numbers, context, label)?.here
        default: return nil
        }
    }

    /// The section with its finding as the first paragraph after its heading.
    static func withLead(_ section: Node, _ lead: String?) -> Node {
        guard let lead, case .element(let name, let attributes, var children) = section, !children.isEmpty else { return section }
        children.insert(el("p", [("class", "finding")], text: lead), at: 1)
        return .element(name, attributes, children)
    }

    /// The node with every heading one level down (h2 → h3 …), for a section grouped under another.
    static func demoted(_ node: Node) -> Node {
        guard case .element(let name, let attributes, let children) = node else { return node }
        let levels = ["h2": "h3", "h3": "h4", "h4": "h5", "h5": "h6"]
        return .element(levels[name] ?? name, attributes, children.map(demoted))
    }

    /// The first question: route mix, the deprivation gradient, what happens next, and why people are referred.
    static func whoSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        let parts = [
            routeMixSection(numbers, context, label), gradientSection(numbers, context), pathwaySection(numbers, context, label),
            reasonsSection(numbers, context, label),
        ]
        let note = el("p", [("class", "print-only note")], text: printNote)
        return withLead(section("who", whoTitle, [note] + parts.map(demoted)), lead("who", numbers, context, label))
    }

    /// References: the studies compared with and the methods used, in full. DOIs and
    /// addresses are text, not links (the report fetches and links to nothing).
    static let references: [String] = [
        "Bu F, Hayes D, Burton A, Fancourt D. Equal, equitable or exacerbating inequalities: patterns and predictors of social prescribing referrals in 160 128 UK patients. The British Journal of Psychiatry, published online 11 November 2024 (Cambridge University Press). doi:10.1192/bjp.2024.141; preprint: medRxiv, doi:10.1101/2024.03.26.24304896",
        "Wilding A, Sutton M, Agboraw E, Munford L, Wilson P. Geographic inequalities in need and provision of social prescribing link workers: a retrospective study in primary care. British Journal of General Practice. 2024. doi:10.3399/BJGP.2023.0602",
        "Wilding A, et al. Impact of the rollout of the national social prescribing link worker programme on population outcomes: evidence from a repeated cross-sectional survey. British Journal of General Practice. 2025 (early online 3 November 2025). doi:10.3399/BJGP.2024.0542",
        "Public Health England, Public Health Data Science. Technical Guide: Confidence Intervals (Wilson score, Byar's and Dobson's methods; version 25 May 2018), with the Technical Guide: Funnel Plots and the slope index of inequality tool. Fingertips guidance: fingertips.phe.org.uk/profile/guidance",
        "NHS Digital. Disclosure control methodology for Hospital Episode Statistics (HES) and Emergency Care Data Set (ECDS), from September 2018. digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018",
    ]

    static func referencesSection() -> Node {
        section("references", "References", [el("ol", [("class", "references")], references.map { el("li", text: $0) })])
    }

    static let appendixIntro =
        "How this report was made: the run, the files read and the reference data used, the disclosure rule in full, and the data's quality. Every table in full, every organisation and network included, is in the tables folder beside this report; manifest.json records the inputs, their hashes and the settings."

    /// What suppressed means on the page and where the rule comes from (with control on).
    static let disclosureExplained =
        "A figure shown as suppressed is withheld, not zero; a table or row whose every figure is suppressed is said so in one sentence rather than shown. Exact counts of records (the files read, data quality) describe the extract, not people, and are not rounded. Source of the rule: NHS Digital, disclosure control methodology for HES and ECDS (see References)."

    /// The disclosure rule in full, with its source.
    static func disclosureNodes(_ context: ReportContext) -> [Node] {
        var nodes = [el("p", text: context.disclosureStatement)]
        if context.disclosureEnabled {
            nodes.append(
                el("p", text: disclosureExplained))
        }
        return nodes
    }

    /// The appendix: the run and its files, the disclosure rule, data quality.
    static func appendixSection(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> Node {
        section(
            "appendix", "Appendix: how this report was made",
            [
                el("p", text: appendixIntro),
                demoted(runSection(numbers, context)),
                el("h3", text: "Disclosure control"),
            ] + disclosureNodes(context) + [demoted(qualitySection(numbers, context, label))])
    }

    // MARK: Markdown

    /// Page 1 in Markdown: the same title, facts, figures and findings as the HTML.
    static func summaryMarkdown(_ numbers: ReportNumbers, _ context: ReportContext, _ label: Labels) -> [String] {
        let md = markdownText
        var out = ["# " + md(title(context)), ""]
        if let organisation = context.organisation { out += ["**" + md(organisation) + "**", ""] }
        out += [md(titleFacts(context)), ""]
        if !context.disclosureEnabled { out += ["> **\(md(context.disclosureStatement))**", ""] }
        guard numbers.hasReferrals else { return out + [noReferrals, ""] }
        // "- Reached a link worker: 90.2%"; a share not recorded says why instead.
        out +=
            headlineCards(numbers, context).map { card in
                let label = card.label.prefix(1).uppercased() + card.label.dropFirst()
                return "- " + md(label) + ": " + md(card.withheld ?? card.value)
            } + [""]
        if let missing = notRecordedSummary(context, label) { out += [md(missing), ""] }
        for warning in context.warnings where warning.changesHeadline { out += warningMarkdown(warning) + [""] }
        out += ["## What this data shows", ""]
        let findings = summaryFindings(numbers, context, label)
        if findings.isEmpty {
            out.append(allSuppressed)
        } else {
            out += findings.map { "- " + md($0.here) + ($0.literature.map { " *Compared with:* " + md($0) } ?? "") }
        }
        return out + ["", md(summaryNote(context)), ""]
    }

    /// Markdown lines with every heading one level down.
    static func demoted(_ lines: [String]) -> [String] {
        lines.map { $0.hasPrefix("#") && $0.contains("# ") ? "#" + $0 : $0 }
    }

    /// Markdown lines with the lead after their first heading.
    static func withLead(_ lines: [String], _ lead: String?) -> [String] {
        guard let lead, let heading = lines.firstIndex(where: { $0.hasPrefix("#") }) else { return lines }
        var out = lines
        out.insert(contentsOf: ["", markdownText(lead)], at: heading + 1)
        return out
    }

    static func referencesMarkdown() -> [String] {
        ["## References", ""] + references.enumerated().map { "\($0.offset + 1). " + markdownText($0.element) } + [""]
    }

    // MARK: Tables

    /// A cell that holds no figure: suppressed, withheld or empty.
    static func holdsNoFigure(_ cell: String) -> Bool { ["", "suppressed", "s", "—", "-"].contains(cell.lowercased()) }

    /// A table's rows made short: rows whose every figure is suppressed are left out and
    /// named in one sentence (the whole table becomes one sentence when every row is), and
    /// a Note column with the same text on every row is said once instead.
    ///
    /// `numeric`: the columns holding figures (0, the row's label, never counts).
    static func compacted(header: [String], rows: [[String]], numeric: Set<Int>) -> (header: [String], rows: [[String]], sentences: [String], empty: Bool) {
        let figures = numeric.subtracting([0]).sorted()
        guard !rows.isEmpty, !figures.isEmpty else { return (header, rows, [], false) }
        func suppressedOnly(_ row: [String]) -> Bool {
            let cells = figures.compactMap { $0 < row.count ? row[$0] : nil }
            return cells.allSatisfy(holdsNoFigure) && cells.contains { $0.lowercased() == "suppressed" || $0 == "s" }
        }
        let dropped = rows.filter(suppressedOnly)
        var kept = rows.filter { !suppressedOnly($0) }
        var header = header
        var sentences: [String] = []
        if kept.isEmpty {
            return (
                header, [], ["Every figure in this table is suppressed by disclosure control, so it is not shown; the rows are in the tables folder."], true
            )
        }
        if !dropped.isEmpty {
            // A row is named by its cells before the first figure ("Sex / Other / Female").
            let names = dropped.map { row in row.prefix(figures[0]).filter { !$0.isEmpty }.joined(separator: " / ") }.filter { !$0.isEmpty }
            sentences.append(
                names.count == dropped.count && names.count <= 12
                    ? "Not shown, every figure suppressed: \(names.joined(separator: "; "))."
                    : "\(dropped.count) rows whose every figure is suppressed are not shown.")
        }
        if let note = header.lastIndex(of: "Note"), note > 0 {
            let notes = Set(kept.map { note < $0.count ? $0[note] : "" })
            if notes.count == 1 {
                if let only = notes.first, !only.isEmpty { sentences.append("Every row: \(only).") }
                header.remove(at: note)
                kept = kept.map { row in
                    var row = row; if note < row.count { row.remove(at: note) }; return row
                }
            }
        }
        return (header, kept, sentences, false)
    }

    /// The rows of the networks' table that matter: those with a published referral count,
    /// then the three with the most and the three with the least link worker time per
    /// 50,000 patients; in the table's order. `nil` when the table is short enough to show whole.
    static func networksThatMatter(_ rows: [[String]], referrals: Int = 5, perPatients: Int = 4, few: Int = 3, limit: Int = 15) -> [[String]]? {
        guard rows.count > limit else { return nil }
        func number(_ text: String) -> Double? { Double(text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "−", with: "-")) }
        var keep = Set(rows.indices.filter { referrals < rows[$0].count && number(rows[$0][referrals]) != nil }.prefix(limit - 2 * few))
        var ranked: [(index: Int, value: Double)] = []
        for (i, row) in rows.enumerated() where perPatients < row.count {
            if let value = number(row[perPatients]) { ranked.append((i, value)) }
        }
        ranked.sort { $0.value != $1.value ? $0.value > $1.value : $0.index < $1.index }
        for entry in ranked.prefix(few) + ranked.suffix(few) { keep.insert(entry.index) }
        return rows.indices.filter(keep.contains).map { rows[$0] }
    }

    /// Where the rest of a shortened networks' table is, in one sentence.
    static func networksRest(shown: Int, of total: Int) -> String {
        "Shown: \(shown) of this data's \(total) networks, those with a published referral count and the three with the most and the three with the least link worker time per 50,000 patients; tables/pcn_provision.csv has them all."
    }
}
