import Foundation
import SPRXAggregate
import SPRXCore
import SPRXPipeline
import SPRXRunner

/// The warnings of a finished run (``RunWarning``), made from what it counted.
///
/// Each count in a message is controlled exactly as the table that publishes it is:
/// quarantine reasons as `data_quality.csv` (exact: records, not people), unmapped
/// labels as `unmapped_labels.csv` (and only the labels it names), pooled referrals as
/// `organisations.csv`. Shares are taken from the same figures as the summary's
/// per-field lines.
enum RunWarnings {
    /// Every warning of the run, in ``RunWarning/Code`` order (fields in the gated order).
    static func build(
        _ result: RunResult, pooled: OrganisationTableBuilder.Pooled, rates: RateFigures?, disclosure: DisclosureSettings
    ) -> [RunWarning] {
        var warnings: [RunWarning] = []
        if let warning = quarantined(result.quality) { warnings.append(warning) }
        warnings += unmapped(result.quality, labels: result.unmappedLabels, disclosure: disclosure)
        if let warning = organisations(pooled, hasLookup: result.pipeline.organisations?.lookup != nil, disclosure: disclosure) {
            warnings.append(warning)
        }
        if let concentration = rates?.concentration, concentration.mismatch { warnings.append(catchment(concentration)) }
        if !result.recording.isMissing(.areaCode), let warning = areas(result.quality) { warnings.append(warning) }
        return warnings
    }

    /// `areas_unknown`: how many clean referrals have no area code a lookup recognises,
    /// and what sprx reads (a postcode is the usual cause, and says nothing on its own).
    static func areas(_ quality: QualityFigures) -> RunWarning? {
        guard let area = quality.fields[.areaCode], area.cleanReferrals > 0,
            Double(area.unknown) > RunWarning.unknownAreaShareLimit * Double(area.cleanReferrals)
        else { return nil }
        let share = QualityGates.percent(Double(area.unknown) / Double(area.cleanReferrals))
        return RunWarning(
            code: .areasUnknown, field: CanonicalField.areaCode.rawValue,
            message:
                "\(count(area.unknown)) of \(count(area.cleanReferrals)) clean referrals (\(share)) have no area code a lookup recognises (tables/data_quality.csv, area_unknown): their deprivation, rurality and nation are Unknown and they are in no rate. sprx reads small-area codes (2011 LSOA E01… and W01…, Scottish data zone S01…, Northern Ireland super output area 95…), not postcodes: convert postcodes to small areas with the ONS Postcode Directory before export, or choose a pipeline for 2021 areas if the codes are 2021 LSOAs",
            changesHeadline: true)
    }

    static func count(_ n: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_GB")
        return formatter.string(from: NSNumber(value: n)) ?? String(n)
    }

    /// A count as a controlled table publishes it: "about 2,045" rounded, "fewer than 8" suppressed.
    static func controlled(_ n: Int, _ disclosure: DisclosureSettings) -> String {
        guard
            let published = DisclosureControl.publish(
                Int64(n), enabled: disclosure.enabled, suppressUpTo: disclosure.suppressUpTo, roundTo: disclosure.roundTo)
        else { return "fewer than \(disclosure.suppressUpTo + 1)" }
        return (disclosure.enabled && disclosure.roundTo > 1 && published > 0 ? "about " : "") + count(Int(published))
    }

    /// `rows_quarantined`: how many, and the most common reasons with their counts.
    static func quarantined(_ quality: QualityFigures) -> RunWarning? {
        guard quality.quarantinedRows > 0 else { return nil }
        let reasons = quality.quarantineReasons.filter { $0.value > 0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let named = reasons.prefix(RunWarning.namedAtMost).map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")
        let more = reasons.count > RunWarning.namedAtMost ? " (and \(reasons.count - RunWarning.namedAtMost) other reasons)" : ""
        let share = QualityGates.percent(Double(quality.quarantinedRows) / Double(max(1, quality.rowsRead)))
        return RunWarning(
            code: .rowsQuarantined,
            message:
                "\(count(quality.quarantinedRows)) of \(count(quality.rowsRead)) rows quarantined (\(share)), in no table: \(reasons.count == 1 ? "reason" : "most common reasons") \(named)\(more); each row with its reason, line and column is in quarantine/rejected.csv.gz, the counts by reason in tables/data_quality.csv"
        )
    }

    /// Where a field's labels are listed in a pipeline file.
    static func pipelineKey(_ field: LabelledField) -> String { field.pipelineList }

    /// `unmapped_labels`: per field over 2% unmapped, its most common publishable labels
    /// (``UnmappedLabelTable/isPublishable(_:count:disclosure:)``: never one shaped like an identifier).
    static func unmapped(_ quality: QualityFigures, labels: UnmappedLabelStore, disclosure: DisclosureSettings) -> [RunWarning] {
        labels.fields.compactMap { field in
            guard let figures = field.canonicalField.map({ quality.fields[$0] }) ?? quality.dimensions[field.name], figures.cleanReferrals > 0 else {
                return nil
            }
            let share = Double(figures.unmapped) / Double(figures.cleanReferrals)
            guard share > RunWarning.unmappedShareLimit else { return nil }
            let publishable = labels.sorted(field).filter {
                UnmappedLabelTable.isPublishable($0.label, count: $0.count, of: field, disclosure: disclosure)
            }
            let top = publishable.sorted { $0.count != $1.count ? $0.count > $1.count : $0.label < $1.label }.prefix(RunWarning.namedAtMost)
            let named =
                !UnmappedLabelTable.namesLabels(of: field)
                ? "a declared dimension's labels are never named here (its column may hold free text); every label with its count is in the owner-only quarantine/unmapped_labels.csv"
                : top.isEmpty
                    ? "no label may be named (none is seen at least \(disclosure.suppressUpTo + 1) times and unlike an identifier); the full list is quarantine/unmapped_labels.csv"
                    : "most common: " + top.map { "\"\(DisplayText.escaped($0.label))\" (\(controlled($0.count, disclosure)))" }.joined(separator: ", ")
            let headline: Bool = field == .referralSource || field == .contacted
            let effect = headline ? "; they count as unknown, so the headline shares move" : "; they count as unknown"
            return RunWarning(
                code: .unmappedLabels, field: field.name,
                message:
                    "\(field.name): \(QualityGates.percent(share)) of clean referrals have a label the pipeline does not map\(effect); \(named). Add each to \(pipelineKey(field)) in the pipeline (check the spelling of the labels there), or leave it unknown on purpose",
                changesHeadline: headline)
        }
    }

    /// `organisations_pooled`: referrals whose organisation id is pooled as `(other)`.
    static func organisations(_ pooled: OrganisationTableBuilder.Pooled, hasLookup: Bool, disclosure: DisclosureSettings) -> RunWarning? {
        guard pooled.referrals > 0, pooled.referralsWithID > 0 else { return nil }
        let share = QualityGates.percent(Double(pooled.referrals) / Double(pooled.referralsWithID))
        let all = pooled.publishedIDs == 0
        let why =
            hasLookup
            ? "their ids are not in the pipeline's organisation lookup: add them to it"
            : "their ids are not shaped like ODS codes (a letter and 5 digits, e.g. U10001), so they could be free text: to publish them by name, give the pipeline an organisation lookup (organisations: lookup: {file: organisations.csv, edition: \"...\"}, columns code, name, type, parent_code, parent_name, parent_type)"
        return RunWarning(
            code: .organisationsPooled,
            message:
                "\(all ? "every organisation is" : "\(controlled(Int(pooled.referrals), disclosure)) referrals (\(share) of those with an organisation) are") pooled as \(OrganisationTableBuilder.pooledID) in tables/organisations.csv and the funnel plots\(all ? ", which become one point" : ""): \(why)"
        )
    }

    /// `catchment_mismatch`: the local authorities that hold the referrals, and the fix.
    static func catchment(_ concentration: CatchmentConcentration) -> RunWarning {
        let share = QualityGates.percent(Double(concentration.areas) / Double(max(1, concentration.catchmentAreas)))
        let shown = concentration.authorities.prefix(10)
        let names =
            shown.joined(separator: ", ") + (concentration.authorities.count > shown.count ? " and \(concentration.authorities.count - shown.count) more" : "")
        let keys = shown.map(authorityKey).joined(separator: ", ")
        return RunWarning(
            code: .catchmentMismatch,
            message:
                "referrals come from a small part of the population catchment: 95% of them are from \(names), \(count(concentration.areas)) of the catchment's \(count(concentration.catchmentAreas)) small areas (\(share)); rates against the whole catchment are diluted and its deciles say where the place sits in the nation, not a gradient within it. Set the catchment in the pipeline: population: catchment: {local_authorities: [\(keys)]}"
        )
    }

    /// How a catchment names an authority shown as `name (code)`: by its code.
    static func authorityKey(_ display: String) -> String {
        if display.hasSuffix(")"), let open = display.lastIndex(of: "(") {
            return String(display[display.index(after: open)..<display.index(before: display.endIndex)])
        }
        return display.contains(",") || display.contains(":") ? "\"\(display)\"" : display
    }
}
