import SPRXClean
import SPRXCore
import SPRXPipeline

/// What a pipeline makes of each categorical label, as the cleaner matches it
/// (``LabelTable``: case, surrounding and repeated spaces ignored).
final class PipelineLabels {
    private var tables: [CanonicalField: (LabelTable, [String])] = [:]
    /// Per declared dimension (by name): its levels' values and its "not known" values,
    /// named by level label (the latter ``DeclaredDimension/unknownLabel``).
    private var dimensionTables: [String: (LabelTable, [String])] = [:]
    /// Per field: the values the pipeline lists as meaning "not known" (`missing_values`).
    private var missingTables: [CanonicalField: LabelTable] = [:]
    deinit { scratch.deallocate() }
    private let nhsCodes: Bool
    let separators: [UInt8]
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: LabelTable.maxLabelLength, alignment: 8)

    init(_ pipeline: PipelineConfiguration) {
        func table(_ named: [(String, [String])]) -> (LabelTable, [String]) {
            (LabelTable(lists: named.map(\.1)), named.map(\.0))
        }
        let routes = pipeline.routes.map { ($0.id, $0.id == "unknown" ? $0.labels + pipeline.unknownRouteLabels : $0.labels) }
        tables[.referralSource] = table(routes)
        tables[.referralReasons] = table(pipeline.reasons.map { ($0.id, $0.labels) })
        tables[.sex] = table(Sex.allCases.map { ($0.label.lowercased(), pipeline.sexLabels[$0] ?? []) })
        tables[.ethnicity] = table(Ethnicity.allCases.map { ($0.label.lowercased(), pipeline.ethnicityLabels[$0] ?? []) })
        let flags: [(String, ContactFlag)] = [("yes", .yes), ("no", .no), ("unknown", .unknown)]
        tables[.contacted] = table(flags.map { ($0.0, pipeline.contactedLabels[$0.1] ?? []) })
        for dimension in pipeline.dimensions {
            dimensionTables[dimension.name] = table(
                dimension.levels.map { ($0.label, $0.values) } + [(DeclaredDimension.unknownLabel, dimension.unknownValues)])
        }
        for (field, values) in pipeline.missingValues { missingTables[field] = LabelTable(values.map { ($0, 0) }) }
        nhsCodes = pipeline.ethnicityNHSCodes
        separators = pipeline.reasonSeparators
    }

    /// The value `label` maps to for `field`, or `nil` when the pipeline leaves it unmapped.
    func value(of label: String, field: CanonicalField) -> String? {
        guard let (table, names) = tables[field] else { return nil }
        var bytes = Array(label.utf8)
        if let code = bytes.withUnsafeBytes({ table.lookup($0, scratch: scratch) }) { return names[Int(code)] }
        if field == .ethnicity && nhsCodes { return Self.nhsEthnicGroup(&bytes) }
        return nil
    }

    /// Whether the pipeline lists `label` under `missing_values` for `field`, matched as
    /// the clean stage matches it.
    func isMissing(_ label: String, field: CanonicalField) -> Bool {
        guard let table = missingTables[field] else { return false }
        return Array(label.utf8).withUnsafeBytes { table.lookup($0, scratch: scratch) } != nil
    }

    /// The level `label` maps to in the declared dimension `name` (its unknown level for
    /// a value meaning not known), or `nil` when no level lists it (unmapped).
    func value(of label: String, dimension name: String) -> String? {
        guard let (table, names) = dimensionTables[name] else { return nil }
        let bytes = Array(label.utf8)
        return bytes.withUnsafeBytes { table.lookup($0, scratch: scratch) }.map { names[Int($0)] }
    }

    /// NHS ethnic category by its first letter, exactly as the clean stage reads it
    /// (``CleanProcessor/nhsEthnicCategory(_:)``): the pipeline's name of the group.
    static func nhsEthnicGroup(_ bytes: inout [UInt8]) -> String? {
        bytes.withUnsafeBytes { CleanProcessor.nhsEthnicCategory($0) }.map { String(describing: $0) }
    }
}
