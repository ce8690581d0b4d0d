import SPRXAggregate
import SPRXCore
import SPRXEnrich
import SPRXPipeline

/// What a finished run counted, read for the quality gates and the end-of-run summary.
///
/// Per gated field, the denominator is every clean referral; "unknown" is a referral
/// whose value ended unknown for any reason, "unmapped" one whose label no list of the
/// pipeline names. Reasons are counted per referral: unmapped, one with any reason no
/// list names; unknown, one with no known reason. The contact flag is unknown when
/// neither it nor a contact count is given (``ReferralCounts/contactBlank``). For `area_code`, unknown is a referral placed in
/// no nation's deprivation decile (empty, unrecognised or unlisted code) and unmapped a
/// code that looks like a nation's but is not in that nation's lookup.
enum RunFigures {
    static func quality(counts: ReferralCounts, files: [FileReconciliation], pipeline: PipelineConfiguration) -> QualityFigures {
        let unknownRoute = pipeline.unknownRouteIndex
        let groupKey = pipeline.groupKey
        var clean: Int64 = 0
        var sexUnknown: Int64 = 0, ethnicityUnknown: Int64 = 0, routeUnknown: Int64 = 0, areaUnknown: Int64 = 0
        // Declared dimensions, in pipeline order (the outcomes keep every one): unknown per dimension.
        let declared = groupKey.groupings.filter { $0.axis.declaredIndex != nil }
        assert(declared.map(\.name) == pipeline.dimensions.map(\.name) && declared.allSatisfy { groupKey.axes(of: .outcomes).contains($0.axis) })
        var dimensionUnknown = [Int64](repeating: 0, count: declared.count)
        for (key, value) in counts.outcomes {
            let referred = value.referred
            guard referred != 0 else { continue }
            clean += referred
            for (d, grouping) in declared.enumerated() where groupKey.level(grouping, of: key) == grouping.unknownLevel { dimensionUnknown[d] += referred }
            if groupKey.level(.sex, of: key) == Int(Sex.unknown.rawValue) { sexUnknown += referred }
            if groupKey.level(.ethnicity, of: key) == Int(Ethnicity.unknown.rawValue) { ethnicityUnknown += referred }
            if groupKey.level(.route, of: key) == unknownRoute { routeUnknown += referred }
            if groupKey.level(.decile, of: key) == GroupKeySchema.unknownDecileLevel { areaUnknown += referred }
        }
        var unmapped: [String: Int] = [:]
        var area = AreaMatchCounts()
        for file in files {
            for (field, n) in file.unmapped { unmapped[field, default: 0] += n }
            area.merge(file.areaCounts)
        }
        let total = Int(clean)
        func figures(_ field: CanonicalField, unknown: Int64?) -> FieldQualityFigures {
            let unmappedCount = min(unmapped[field.rawValue] ?? 0, total)
            return FieldQualityFigures(cleanReferrals: total, unknown: min(Int(unknown ?? Int64(unmappedCount)), total), unmapped: unmappedCount)
        }
        var fields: [CanonicalField: FieldQualityFigures] = [
            .sex: figures(.sex, unknown: sexUnknown),
            .ethnicity: figures(.ethnicity, unknown: ethnicityUnknown),
            .referralSource: figures(.referralSource, unknown: routeUnknown),
            .referralReasons: {
                // Per referral, not per label (a referral with three unmapped reasons is one);
                // unknown: no known reason at all (none given, or only unmapped ones).
                let referrals = min(files.reduce(0) { $0 + $1.referralsWithUnmappedReason }, total)
                return FieldQualityFigures(cleanReferrals: total, unknown: min(Int(counts.reasonsBlank), total), unmapped: referrals)
            }(),
            // Unknown: neither a contacted flag nor a contact count (an empty flag reads contacts).
            .contacted: figures(.contacted, unknown: counts.contactBlank),
        ]
        let areaUnmapped = min(area.unmatchedDeprivation.reduce(0, +), total)
        fields[.areaCode] = FieldQualityFigures(cleanReferrals: total, unknown: min(Int(areaUnknown), total), unmapped: areaUnmapped)
        var figures = QualityFigures(
            rowsRead: files.reduce(0) { $0 + $1.rowsRead }, cleanRows: total, quarantinedRows: files.reduce(0) { $0 + $1.quarantined },
            quarantineReasons: files.reduce(into: [:]) { all, file in all.merge(file.quarantineReasons, uniquingKeysWith: +) },
            fields: fields)
        for (d, dimension) in pipeline.dimensions.enumerated() {
            let unmappedCount = min(unmapped[dimension.name] ?? 0, total)
            figures.dimensions[dimension.name] = FieldQualityFigures(
                cleanReferrals: total, unknown: min(Int(dimensionUnknown[d]), total), unmapped: unmappedCount)
        }
        return figures
    }

    /// One line per gated field for the end-of-run summary: shares unknown and unmapped.
    static func summaryLines(_ figures: QualityFigures) -> [String] {
        let lines =
            QualityGates.gatedFields.map { ($0.rawValue, figures.fields[$0]) } + figures.dimensions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return lines.compactMap { name, f in
            guard let f, f.cleanReferrals > 0 else { return nil }
            func percent(_ n: Int) -> String { QualityGates.percent(Double(n) / Double(f.cleanReferrals)) }
            return "\(name): \(percent(f.unknown)) unknown, \(percent(f.unmapped)) unmapped"
        }
    }
}
