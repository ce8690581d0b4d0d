import Foundation

/// What one published column holds, in words, for the output folder's codebook
/// (`README.md`) and `docs/tables.md`: declared beside each table's columns, once.
///
/// A reference to another column of the same table is written `{name}` (shown as
/// `` `name` ``), so that a test can check every table has the columns its words name;
/// a code a cell holds is written in backticks.
public struct ColumnMeaning: Sendable, Equatable {
    /// What a cell of the column says.
    public var text: String
    /// Its unit or kind of value (`count`, `percent`, `ISO date`, ...).
    public var unit: String
    /// What an empty cell means; `nil` when the column is never empty.
    public var whenEmpty: String?

    public init(_ text: String, unit: String, empty whenEmpty: String? = nil) {
        self.text = text
        self.unit = unit
        self.whenEmpty = whenEmpty
    }

    /// The words every table uses for its last two columns.
    static let suppressed = ColumnMeaning(
        "`TRUE` when disclosure control withheld a count of this row; the cells computed from it are empty too", unit: "TRUE/FALSE")
    static let disclosureControl = ColumnMeaning(
        "`on` when counts are suppressed and rounded, `off` for exact counts (inside the secure environment only)", unit: "on/off")
    /// An empty count.
    static let countWithheld = "suppressed by disclosure control (a count of 1 to the suppression limit), never 0"
    /// An empty figure computed from counts, in a table without a `note` column.
    static let figureWithheld = "a count it is computed from is suppressed, or it does not apply to the row"
    /// An empty figure computed from counts, in a table with a `note` column.
    static let figureWithheldNoted = figureWithheld + "; {note} says why where there is one"
}

/// The codes a category column can hold (the pipeline's routes, route types, reasons),
/// each with its plain name where one is declared.
public struct CodeList: Sendable, Equatable {
    /// One code and its name.
    public struct Code: Sendable, Equatable {
        public var code: String
        /// Its plain name (the report's); `nil` when none is declared.
        public var name: String?
        public init(_ code: String, name: String?) {
            self.code = code
            self.name = name
        }
    }

    /// The column that holds the codes, in every table that has it (or in ``tables``).
    public var column: String
    public var codes: [Code]
    /// The tables whose column holds these codes; `nil`: every table with the column.
    public var tables: Set<String>?

    public init(column: String, codes: [Code], tables: Set<String>? = nil) {
        self.column = column
        self.codes = codes
        self.tables = tables
    }
}

/// The output folder's `README.md`: every table, every column, its unit and what an
/// empty or suppressed cell means, written from the column declarations.
public enum Codebook {
    /// The codebook in Markdown. It holds no figure from the data, so it is the same for
    /// every run with the same pipeline and disclosure settings.
    ///
    /// - Parameters:
    ///   - disclosureStatement: what disclosure control did, in words (the pipeline's).
    ///   - codes: the codes of the category columns, listed under each table that has the column.
    public static func markdown(disclosureStatement: String, codes: [CodeList] = []) -> String {
        var text = """
            # What this folder holds

            Written by the run that wrote the tables, from the same declarations the tables are written from.

            - `report.html`, `report.md`: the report (the same figures as the tables).
            - `tables/*.csv`: the published tables, described below (UTF-8, comma-separated, header first).
            - `manifest.json`: inputs, reference editions, settings and every file written, with its SHA-256.
            - `quarantine/`: rows that could not be used and every unmapped label with its exact count; owner-only, never to be published.

            **Disclosure control.** \(disclosureStatement)

            **Empty cells.** An empty cell is never 0: a suppressed count, a figure computed from one, a value that does not apply to the row, or a field the export does not record (`note` then says `not_recorded:<field>`).

            """
        for schema in PublishedTables.schemas {
            text += "\n## \(schema.path)\n\n"
            text += schema.purpose + "\n\n"
            text += "| column | unit | meaning | empty means |\n|---|---|---|---|\n"
            for column in schema.columns {
                let meaning = column.meaning
                let cells = [meaning.unit, meaning.text, meaning.whenEmpty ?? "never empty"].map(shown)
                text += "| `\(column.name)` | " + cells.joined(separator: " | ") + " |\n"
            }
            for list in codes
            where schema.columns.contains(where: { $0.name == list.column }) && !list.codes.isEmpty && list.tables?.contains(schema.name) ?? true {
                text += "\nThe codes in `\(list.column)`:\n\n"
                for code in list.codes { text += "- `\(code.code)`" + (code.name.map { ": " + $0 } ?? "") + "\n" }
            }
        }
        return text
    }

    /// A meaning's words as the codebook shows them: each `{column}` as `` `column` ``.
    static func shown(_ words: String) -> String {
        words.replacingOccurrences(of: "{", with: "`").replacingOccurrences(of: "}", with: "`")
    }

    /// The columns the words of `schema`'s meanings refer to (each `{column}`): every
    /// one must be a column of that table (tested).
    public static func columnReferences(of schema: TableSchema) -> Set<String> {
        var references: Set<String> = []
        for column in schema.columns {
            let meaning = column.meaning
            for words in [meaning.text, meaning.unit, meaning.whenEmpty ?? ""] {
                for part in words.split(separator: "{", omittingEmptySubsequences: false).dropFirst() {
                    references.insert(String(part.prefix { $0 != "}" }))
                }
            }
        }
        return references
    }
}

/// Codes as the codebook lists them: "`a`, `b` or `c`", from the enum that declares them.
private func oneOf<Code: RawRepresentable & CaseIterable>(_ type: Code.Type) -> String where Code.RawValue == String {
    let codes = type.allCases.map { "`\($0.rawValue)`" }
    return codes.count < 2 ? codes.joined() : codes.dropLast().joined(separator: ", ") + " or " + codes.last!
}

private let dimensionText =
    "The breakdown: `all`, `age_band`, `sex`, `ethnicity`, `imd_decile`, `nation`, `nation/imd_decile` and the like (`/` joins two), each dimension the pipeline declares, and `reason_group` for its reason groups"
private let groupText =
    "The group within the breakdown (an age band, a sex, a nation and decile such as `England/1`; decile 1 = most deprived, each nation's own)"

extension ShareColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .dimension: ColumnMeaning(dimensionText, unit: "code")
        case .group: ColumnMeaning(groupText, unit: "label")
        case .category: ColumnMeaning("The route type, route or reason counted in this row", unit: "code")
        case .n: ColumnMeaning("Referrals of the group in this category", unit: "count", empty: ColumnMeaning.countWithheld)
        case .total:
            ColumnMeaning(
                "All referrals of the group: its own count, rounded and suppressed by itself (so it can differ from the sum of the rows' rounded {n})",
                unit: "count",
                empty: ColumnMeaning.countWithheld)
        case .percent: ColumnMeaning("{n} as a percentage of {total}", unit: "percent", empty: ColumnMeaning.figureWithheld)
        case .ciLow: ColumnMeaning("Lower end of the 95% Wilson interval of {percent}", unit: "percent", empty: ColumnMeaning.figureWithheld)
        case .ciHigh: ColumnMeaning("Upper end of the 95% Wilson interval of {percent}", unit: "percent", empty: ColumnMeaning.figureWithheld)
        case .suppressed: ColumnMeaning.suppressed
        case .disclosureControl: ColumnMeaning.disclosureControl
        }
    }
}

extension PathwayColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .dimension: ColumnMeaning(dimensionText, unit: "code")
        case .group: ColumnMeaning(groupText, unit: "label")
        case .routeType: ColumnMeaning("Route type, or `all` for every route type together", unit: "code")
        case .referred: ColumnMeaning("Referrals", unit: "count", empty: ColumnMeaning.countWithheld)
        case .contacted:
            ColumnMeaning(
                "Referrals that reached a link worker (the contacted flag, else contacts > 0)", unit: "count",
                empty: ColumnMeaning.countWithheld + ", or not recorded ({note})")
        case .intervention:
            ColumnMeaning("Referrals with at least one intervention", unit: "count", empty: ColumnMeaning.countWithheld + ", or not recorded ({note})")
        case .pctContacted: ColumnMeaning("{contacted} as a percentage of {referred}", unit: "percent", empty: ColumnMeaning.figureWithheldNoted)
        case .pctIntervention: ColumnMeaning("{intervention} as a percentage of {referred}", unit: "percent", empty: ColumnMeaning.figureWithheldNoted)
        case .note:
            ColumnMeaning(
                "Why a figure is empty: `not_recorded:<field>`, `recorded_in_part:<field>`, `partly_blank:<field>`, `no_referrals`", unit: "codes",
                empty: "nothing to say")
        case .suppressed: ColumnMeaning.suppressed
        case .disclosureControl: ColumnMeaning.disclosureControl
        }
    }
}

extension ModelColumn {
    public var meaning: ColumnMeaning {
        let withheld = "the level is too small to publish (suppressed), or the measure has no such value"
        switch self {
        case .model: return ColumnMeaning("The model's name in the pipeline", unit: "code")
        case .outcome: return ColumnMeaning("What the model explains", unit: "code")
        case .family: return ColumnMeaning("`logistic` or `negative_binomial`", unit: "code")
        case .term: return ColumnMeaning("The covariate, `(Intercept)`, or `theta`/`alpha` for dispersion", unit: "code")
        case .level:
            return ColumnMeaning(
                "The covariate's level compared with {reference}", unit: "label", empty: "the row is not of a covariate level (intercept, dispersion)")
        case .reference: return ColumnMeaning("The reference level of the covariate", unit: "label", empty: "the row is not of a covariate level")
        case .estimate:
            return ColumnMeaning(
                "The measure's value: odds or rate ratio, baseline odds or rate, θ or α, or marginal effect", unit: "ratio, or percentage points for `ame_pp`",
                empty: withheld)
        case .standardError:
            return ColumnMeaning(
                "Standard error (allowing for referrals of one organisation being alike when clustered)", unit: "as the scale in {measure}", empty: withheld)
        case .ciLow: return ColumnMeaning("Lower end of the 95% interval of {estimate}", unit: "as {estimate}", empty: withheld)
        case .ciHigh: return ColumnMeaning("Upper end of the 95% interval of {estimate}", unit: "as {estimate}", empty: withheld)
        case .pValue: return ColumnMeaning("Two-sided p-value", unit: "probability", empty: withheld)
        case .observations: return ColumnMeaning("Referrals in the model", unit: "count", empty: ColumnMeaning.countWithheld)
        case .clusters: return ColumnMeaning("Organisations the errors are clustered by", unit: "count", empty: "errors are model-based, or suppressed")
        case .measure: return ColumnMeaning("`odds_ratio`, `rate_ratio`, `baseline_odds`, `baseline_rate`, `dispersion` or `ame_pp`", unit: "code")
        case .coefficient: return ColumnMeaning("β on the log scale", unit: "log ratio", empty: withheld)
        case .standardErrorModel: return ColumnMeaning("Model-based standard error of β", unit: "log ratio", empty: withheld)
        case .standardErrorType: return ColumnMeaning("`cluster_robust_cr1` or `model`", unit: "code", empty: withheld)
        case .suppressed: return ColumnMeaning.suppressed
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension DataQualityColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .file: ColumnMeaning("The input file's name, or `all`", unit: "file name")
        case .measure:
            ColumnMeaning(
                "`rows_read`, `clean`, `duplicate`, `quarantined`, `quarantined:<reason>`, `blank_lines`, `area_unknown`, `area_unmatched_*:<nation>`, `unmapped:<field>`",
                unit: "code")
        case .value: ColumnMeaning("The measure's count of records (exact: records, not people)", unit: "count")
        }
    }
}

extension UnmappedLabelColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .field: ColumnMeaning("The pipeline field the label was in", unit: "code")
        case .label: ColumnMeaning("The label as read (lower-cased), or `(other labels)` for those not named", unit: "label")
        case .n: ColumnMeaning("Clean referrals with the label", unit: "count", empty: ColumnMeaning.countWithheld)
        case .suppressed: ColumnMeaning.suppressed
        case .disclosureControl: ColumnMeaning.disclosureControl
        }
    }
}

extension RateColumn {
    public var meaning: ColumnMeaning {
        let rate = "per 1,000 residents per year"
        let withheld = ColumnMeaning.figureWithheldNoted
        switch self {
        case .dimension: return ColumnMeaning("`all`, `nation`, `nation/imd_decile`, `nation/imd_quintile`, `nation/rurality` or `age_band`", unit: "code")
        case .group: return ColumnMeaning(groupText, unit: "label")
        case .referrals: return ColumnMeaning("Referrals from the group's catchment areas", unit: "count", empty: ColumnMeaning.countWithheld)
        case .population: return ColumnMeaning("Residents of the group's catchment areas", unit: "people", empty: "no population for the group")
        case .personYears: return ColumnMeaning("Residents × days of the period / 365.25", unit: "person-years", empty: "no period or no population")
        case .crudeRate: return ColumnMeaning("Referrals per person-year × 1,000", unit: rate, empty: withheld)
        case .crudeCILow:
            return ColumnMeaning("Lower end of the 95% interval of {crude_rate} (exact below 10 referrals, Byar's from 10)", unit: rate, empty: withheld)
        case .crudeCIHigh:
            return ColumnMeaning("Upper end of the 95% interval of {crude_rate} (exact below 10 referrals, Byar's from 10)", unit: rate, empty: withheld)
        case .dsr: return ColumnMeaning("Rate directly standardised to the 2013 European Standard Population", unit: rate, empty: withheld)
        case .dsrCILow: return ColumnMeaning("Lower end of the 95% interval of {dsr} (Dobson's method)", unit: rate, empty: withheld)
        case .dsrCIHigh: return ColumnMeaning("Upper end of the 95% interval of {dsr} (Dobson's method)", unit: rate, empty: withheld)
        case .referralShare: return ColumnMeaning("The group's share of its parent's referrals", unit: "percent", empty: withheld)
        case .populationShare: return ColumnMeaning("The group's share of its parent's residents", unit: "percent", empty: withheld)
        case .representation: return ColumnMeaning("{referral_share} / {population_share}; 1 = referred in proportion", unit: "ratio", empty: withheld)
        case .scaledPer:
            return ColumnMeaning("The scale of the next two columns (1000 or 100000, the same on every row)", unit: "residents", empty: "no rate in the table")
        case .crudeRateScaled: return ColumnMeaning("{crude_rate} per {scaled_per} residents per year", unit: "per {scaled_per} per year", empty: withheld)
        case .dsrScaled: return ColumnMeaning("{dsr} per {scaled_per} residents per year", unit: "per {scaled_per} per year", empty: withheld)
        case .note:
            return ColumnMeaning(
                "Why a rate is empty: `no_single_year_population`, `fewer_than_10_with_known_age`, `age_group_counts_suppressed`, `referrals_without_population`, `suppressed`, `crude_only`, `band_population_unavailable`, `no_period`",
                unit: "codes", empty: "nothing to say")
        case .suppressed: return ColumnMeaning.suppressed
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension InequalityColumn {
    public var meaning: ColumnMeaning {
        let withheld = "no index: {note} says why"
        switch self {
        case .nation: return ColumnMeaning("The nation whose deciles the index is across", unit: "label")
        case .indicator: return ColumnMeaning(oneOf(Indicator.self), unit: "code")
        case .measure: return ColumnMeaning("`sii` (least minus most deprived) or `rii` (least / most deprived)", unit: "code")
        case .value: return ColumnMeaning("The index", unit: "{unit} for SII; ratio for RII", empty: withheld)
        case .ciLow: return ColumnMeaning("Lower end of the 95% interval of {value}, from 100,000 simulated refits", unit: "as {value}", empty: withheld)
        case .ciHigh: return ColumnMeaning("Upper end of the 95% interval of {value}, from 100,000 simulated refits", unit: "as {value}", empty: withheld)
        case .quantiles: return ColumnMeaning("Deciles the index is across (10)", unit: "count")
        case .fittedMostDeprived: return ColumnMeaning("The regression line's value at the most deprived end", unit: "{unit}", empty: withheld)
        case .fittedLeastDeprived: return ColumnMeaning("The regression line's value at the least deprived end", unit: "{unit}", empty: withheld)
        case .unit: return ColumnMeaning("The indicator's unit: `per 1,000 per year` or `percent`", unit: "text")
        case .rankedBy:
            return ColumnMeaning(
                "The population that weights and ranks the deciles, the indicator's denominator as PHE takes it: `residents` for the referral rate, `referrals` for a share",
                unit: "code")
        case .note:
            return ColumnMeaning(
                "Why the index is empty: `decile_without_population`, `decile_without_referrals`, `suppressed`, `decile_value_at_limit`, `no_period`, `not_estimable`, `not_recorded:<field>`",
                unit: "codes", empty: "nothing to say")
        case .suppressed: return ColumnMeaning.suppressed
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension TrendColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .measure: ColumnMeaning(oneOf(Measure.self), unit: "code")
        case .interval: ColumnMeaning(oneOf(Interval.self) + " (calendar)", unit: "code")
        case .intervalStart: ColumnMeaning("First day of the interval", unit: "ISO date")
        case .intervalEnd: ColumnMeaning("Last day of the interval (inclusive)", unit: "ISO date")
        case .dimension: ColumnMeaning("`all`, `route_type`, `nation`, `imd_quintile`, or a dimension the pipeline declares", unit: "code")
        case .group: ColumnMeaning(groupText, unit: "label")
        case .numerator: ColumnMeaning("Referrals counted by the measure", unit: "count", empty: ColumnMeaning.countWithheld + ", or not recorded ({note})")
        case .denominator:
            ColumnMeaning(
                "All referrals of the group in the interval (shares only)", unit: "count",
                empty: ColumnMeaning.countWithheld + ", or the row is a count ({measure} `referrals`)")
        case .value:
            ColumnMeaning("The count for {measure} `referrals`; the share for the others", unit: "count or percent", empty: ColumnMeaning.figureWithheldNoted)
        case .ciLow:
            ColumnMeaning(
                "Lower end of the 95% Wilson interval of a share in {value}", unit: "percent",
                empty: ColumnMeaning.figureWithheldNoted + "; always empty for counts")
        case .ciHigh:
            ColumnMeaning(
                "Upper end of the 95% Wilson interval of a share in {value}", unit: "percent",
                empty: ColumnMeaning.figureWithheldNoted + "; always empty for counts")
        case .partial: ColumnMeaning("`TRUE` when the interval reaches outside the days the data cover", unit: "TRUE/FALSE")
        case .note:
            ColumnMeaning(
                "Why a figure is empty: `not_recorded:<field>`, `recorded_in_part:<field>`, `partly_blank:<field>`, `no_referrals`", unit: "codes",
                empty: "nothing to say")
        case .suppressed: ColumnMeaning.suppressed
        case .disclosureControl: ColumnMeaning.disclosureControl
        }
    }
}

extension SPCColumn {
    public var meaning: ColumnMeaning {
        let unclassified = "the point is not classified: {note} says why"
        switch self {
        case .measure: return ColumnMeaning(oneOf(TrendColumn.Measure.self) + " (a measure whose field the export does not record has no rows)", unit: "code")
        case .dimension: return ColumnMeaning("`all` or `nation`", unit: "code")
        case .group: return ColumnMeaning("`all`, or the nation (`Unknown` for referrals whose area is not known), as in trends.csv", unit: "label")
        case .intervalStart: return ColumnMeaning("First day of the calendar month", unit: "ISO date")
        case .value:
            return ColumnMeaning(
                "The month's published value in trends.csv (a count for `referrals`, a percent for the shares), as charted", unit: "count or percent",
                empty: "suppressed by disclosure control or no referrals: a gap in the series ({note} `no_value`)")
        case .centre:
            return ColumnMeaning(
                "The series' centre line: the mean of its charted values", unit: "as {value}",
                empty:
                    "the series is too short or too broken by gaps to chart, or has a month withheld by disclosure control ({note} `short_series`, `too_many_gaps`, `months_withheld`)"
            )
        case .lowerLimit, .upperLimit:
            return ColumnMeaning(
                "The \(self == .lowerLimit ? "lower" : "upper") process limit: centre \(self == .lowerLimit ? "−" : "+") 2.66 × the mean moving range (moving ranges of 3.267 × their mean or more screened out first); not clipped to the measure's range",
                unit: "as {value}", empty: "the series is too short to chart, or has no variation ({note})")
        case .specialCause: return ColumnMeaning("`TRUE` when {rules} is not empty", unit: "TRUE/FALSE", empty: unclassified)
        case .pointType:
            return ColumnMeaning(
                oneOf(PointType.self) + "; improvement or concern by the pipeline's `spc.improvement_direction` for the measure, neutral without one",
                unit: "code", empty: unclassified)
        case .rules:
            return ColumnMeaning(
                "The special-cause rules the point is part of, `;`-separated: " + oneOf(Rule.self), unit: "codes", empty: "common cause, or " + unclassified)
        case .note:
            return ColumnMeaning(
                "Why a point is not classified: `\(Note.noValue)`, `\(Note.partialMonth)`, `\(Note.shortSeries)`, `\(Note.tooManyGaps)`, `\(Note.monthsWithheld)`; or `\(Note.noVariation)` (no limits)",
                unit: "codes", empty: "nothing to say")
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension OrganisationColumn {
    /// A limit column's end and level in words ("Lower", "99.8%"), read from its name
    /// (`…lower…`/`…upper…`, `…95…`/`…998…`), so the four columns of a set share one text.
    private var limitWords: (which: String, level: String) {
        (rawValue.contains("lower") ? "Lower" : "Upper", rawValue.contains("998") ? "99.8%" : "95%")
    }

    public var meaning: ColumnMeaning {
        let limits = "no limits: the counts are suppressed, or {note} says why"
        switch self {
        case .organisationID: return ColumnMeaning("The organisation's code, or `(other)` for ids not published", unit: "code")
        case .indicator: return ColumnMeaning(oneOf(Indicator.self), unit: "code")
        case .numerator: return ColumnMeaning("Referrals counted by the indicator", unit: "count", empty: ColumnMeaning.countWithheld)
        case .denominator: return ColumnMeaning("The organisation's referrals over the period", unit: "count", empty: ColumnMeaning.countWithheld)
        case .value: return ColumnMeaning("{numerator} as a percentage of {denominator}", unit: "percent", empty: ColumnMeaning.figureWithheldNoted)
        case .overall: return ColumnMeaning("The share over every organisation", unit: "percent", empty: ColumnMeaning.figureWithheldNoted)
        case .lower95:
            return ColumnMeaning(
                "Lower 95% funnel limit (PHE's method) at this {denominator}: an organisation no different from the rest is below it about 1 time in 40",
                unit: "percent", empty: limits)
        case .upper95:
            return ColumnMeaning(
                "Upper 95% funnel limit (PHE's method) at this {denominator}: an organisation no different from the rest is above it about 1 time in 40",
                unit: "percent", empty: limits)
        case .lower998:
            return ColumnMeaning(
                "Lower 99.8% funnel limit (PHE's method) at this {denominator}: an organisation no different from the rest is below it 1 time in 1,000",
                unit: "percent", empty: limits)
        case .upper998:
            return ColumnMeaning(
                "Upper 99.8% funnel limit (PHE's method) at this {denominator}: an organisation no different from the rest is above it 1 time in 1,000",
                unit: "percent", empty: limits)
        case .flag: return ColumnMeaning(oneOf(Flag.self), unit: "code", empty: limits)
        case .level: return ColumnMeaning("`organisation`, or `parent` for a parent the lookup names", unit: "code")
        case .name: return ColumnMeaning("Name from the pipeline's lookup", unit: "text", empty: "no lookup, or the lookup does not list it")
        case .organisationType: return ColumnMeaning("Type from the lookup", unit: "text", empty: "no lookup, or the lookup does not list it")
        case .parentID: return ColumnMeaning("The parent's code from the lookup (organisation rows)", unit: "code", empty: "no parent, or a parent row")
        case .lower95OD, .upper95OD, .lower998OD, .upper998OD:
            let (which, level) = limitWords
            return ColumnMeaning(
                "\(which) \(level) funnel limit widened for overdispersion at this {denominator}: the wider of the plain limit and Spiegelhalter's (as FunnelPlotR computes it), so never inside the plain one",
                unit: "percent", empty: limits)
        case .flagOD:
            return ColumnMeaning(
                oneOf(Flag.self) + ", against the overdispersed limits; never further from `within` than {flag} (the plain one is given where it would be)",
                unit: "code", empty: limits)
        case .observed:
            return ColumnMeaning("Referrals counted by the indicator (the numerator the ratio uses)", unit: "count", empty: ColumnMeaning.countWithheld)
        case .expected:
            return ColumnMeaning(
                "Referrals the indicator would count if each of the organisation's strata had the all-organisation share", unit: "referrals",
                empty: ColumnMeaning.figureWithheldNoted)
        case .isr:
            return ColumnMeaning(
                "Indirectly standardised ratio, {observed} / {expected} (1 = as expected for its case mix)", unit: "ratio",
                empty: ColumnMeaning.figureWithheldNoted)
        case .isrLower95, .isrUpper95, .isrLower998, .isrUpper998:
            let (which, level) = limitWords
            return ColumnMeaning(
                "\(which) \(level) confidence limit of {isr} (Byar's method; exact below 10)", unit: "ratio", empty: ColumnMeaning.figureWithheldNoted)
        case .isrFunnelLower95, .isrFunnelUpper95, .isrFunnelLower998, .isrFunnelUpper998:
            let (which, level) = limitWords
            return ColumnMeaning("\(which) \(level) funnel limit of the ratio at this {expected} (PHE's method)", unit: "ratio", empty: limits)
        case .isrFlag:
            return ColumnMeaning(
                oneOf(Flag.self) + ": {isr}'s own 99.8% or 95% interval wholly above or below 1 (PHE's assign_funnel_significance for ratios)", unit: "code",
                empty: limits)
        case .isrFunnelLower95OD, .isrFunnelUpper95OD, .isrFunnelLower998OD, .isrFunnelUpper998OD:
            let (which, level) = limitWords
            return ColumnMeaning(
                "\(which) \(level) funnel limit of the ratio widened for overdispersion: the wider of PHE's limit and Spiegelhalter's (log scale, as FunnelPlotR computes it)",
                unit: "ratio",
                empty: limits)
        case .isrFlagOD:
            return ColumnMeaning(
                oneOf(Flag.self)
                    + ", {isr} against the overdispersed limits; never further from `within` than {isr_flag} (the plain one is given where it would be)",
                unit: "code", empty: limits)
        case .note:
            return ColumnMeaning(
                "Why a figure is empty (`;`-separated when several): `flag_withheld_rounding_could_cross_limit`, `isr_flag_withheld_rounding_could_cross_limit`, `no_expected_events`, `overdispersion_not_estimated`, `isr_overdispersion_not_estimated`, `case_mix_too_few_organisations`, `case_mix_no_strata`, `expected_too_small`, `overall_suppressed`, `no_referrals`, `not_recorded:<field>`",
                unit: "codes",
                empty: "nothing to say")
        case .suppressed: return ColumnMeaning.suppressed
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension ProvisionColumn {
    public var meaning: ColumnMeaning {
        let why = "{note} says why"
        switch self {
        case .pcnCode: return ColumnMeaning("The primary care network's code", unit: "code")
        case .pcnName: return ColumnMeaning("The network's name", unit: "text")
        case .censusDate: return ColumnMeaning("The workforce census date", unit: "ISO date")
        case .periodStart: return ColumnMeaning("First day whose referrals are set against the census", unit: "ISO date", empty: why)
        case .periodEnd: return ColumnMeaning("Last day whose referrals are set against the census (inclusive)", unit: "ISO date", empty: why)
        case .splwFTE: return ColumnMeaning("Social prescribing link worker full-time equivalents", unit: "FTE", empty: "no workforce return that month")
        case .registeredPatients:
            return ColumnMeaning("Patients registered with the network", unit: "people", empty: "no registration extract near the census date")
        case .patientsExtract: return ColumnMeaning("The registration extract the patients are from", unit: "ISO date", empty: "no extract")
        case .ftePer50000: return ColumnMeaning("FTE per 50,000 registered patients", unit: "FTE per 50,000", empty: why)
        case .referrals:
            return ColumnMeaning(
                "Referrals of the three months ending with the census month", unit: "count", empty: ColumnMeaning.countWithheld + ", or outside the data period"
            )
        case .referralsPer1000: return ColumnMeaning("Referrals per 1,000 registered patients per year", unit: "per 1,000 per year", empty: why)
        case .referralsPerFTE: return ColumnMeaning("Referrals per link worker FTE per year", unit: "per FTE per year", empty: why)
        case .imdScore:
            return ColumnMeaning("List-size-weighted IMD 2019 score of the network's practices (higher = more deprived)", unit: "score", empty: "no score")
        case .imdQuintile: return ColumnMeaning("The network's fifth of English networks by that score (1 = most deprived)", unit: "1-5", empty: "no score")
        case .note:
            return ColumnMeaning(
                "Why a value is empty: `outside_data_period`, `suppressed`, `no_workforce_return`, `no_registered_patients`, `no_link_worker_fte`, `no_deprivation_score`",
                unit: "codes", empty: "nothing to say")
        case .suppressed: return ColumnMeaning.suppressed
        case .disclosureControl: return ColumnMeaning.disclosureControl
        }
    }
}

extension ProvisionGradientColumn {
    public var meaning: ColumnMeaning {
        switch self {
        case .censusDate: ColumnMeaning("The workforce census date", unit: "ISO date")
        case .measure: ColumnMeaning("`fte_per_50000`, `sii` or `rii`", unit: "code")
        case .group: ColumnMeaning("Deprivation fifth of networks (1 = most deprived) or `all`", unit: "code")
        case .pcns: ColumnMeaning("Networks with a workforce return in the group", unit: "count")
        case .splwFTE: ColumnMeaning("Link worker FTE of those networks", unit: "FTE", empty: "an index row")
        case .registeredPatients: ColumnMeaning("Their registered patients", unit: "people", empty: "an index row")
        case .value: ColumnMeaning("FTE per 50,000 patients, or the index", unit: "FTE per 50,000; ratio for `rii`", empty: "{note} says why")
        case .ciLow: ColumnMeaning("Lower end of the 95% interval of {value}", unit: "as {value}", empty: "{note} says why")
        case .ciHigh: ColumnMeaning("Upper end of the 95% interval of {value}", unit: "as {value}", empty: "{note} says why")
        case .note: ColumnMeaning("Networks left out (no return), or why a value is empty", unit: "text", empty: "nothing to say")
        }
    }
}
