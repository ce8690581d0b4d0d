import SPRXCore
import SPRXPipeline

/// The cleaning rules of one pipeline, compiled once per run and shared read-only by
/// every worker.
public struct CleanRules: Sendable {
    public let pipeline: PipelineConfiguration
    let routes: LabelTable
    let reasons: LabelTable
    let sex: LabelTable
    let ethnicity: LabelTable
    let contacted: LabelTable
    let unknownRoute: UInt8
    /// Bytes between reasons in one field, as a 128-bit set (the pipeline allows ASCII only).
    let separators: (low: UInt64, high: UInt64)
    /// The pipeline's date forms, compiled.
    public let dates: DateParser
    /// Per field (by `CanonicalField.allCases` position), the values meaning "not known"
    /// (``PipelineConfiguration/missingValues``); `nil` for a field with none.
    let missingValues: [LabelTable?]
    /// Per declared dimension (pipeline order): its field, its levels' labels and the
    /// values that mean not known.
    let dimensions: [DimensionRule]

    /// How one declared dimension's column is read.
    struct DimensionRule: Sendable {
        let field: LabelledField
        /// Label → level index.
        let levels: LabelTable
        /// Values meaning not known; `nil` when the dimension lists none.
        let unknown: LabelTable?
        /// Where the dimension's level goes in the group key, and its unknown level.
        let shift: UInt64
        let unknownLevel: UInt64
    }

    public init(pipeline: PipelineConfiguration) {
        self.pipeline = pipeline
        unknownRoute = UInt8(pipeline.unknownRouteIndex)
        routes = LabelTable(lists: pipeline.routes.map { $0.id == "unknown" ? $0.labels + pipeline.unknownRouteLabels : $0.labels })
        reasons = LabelTable(lists: pipeline.reasons.map(\.labels))
        sex = LabelTable(Sex.allCases.flatMap { s in (pipeline.sexLabels[s] ?? []).map { ($0, s.rawValue) } })
        ethnicity = LabelTable(Ethnicity.allCases.flatMap { e in (pipeline.ethnicityLabels[e] ?? []).map { ($0, e.rawValue) } })
        contacted = LabelTable(
            [ContactFlag.yes, .no, .unknown].flatMap { c in (pipeline.contactedLabels[c] ?? []).map { ($0, c.rawValue) } })
        var set: (low: UInt64, high: UInt64) = (0, 0)
        for byte in pipeline.reasonSeparators where byte < 0x80 {
            if byte < 64 { set.low |= 1 << UInt64(byte) } else { set.high |= 1 << UInt64(byte - 64) }
        }
        separators = set
        dates = DateParser(forms: pipeline.dateForms)
        dimensions = pipeline.dimensions.enumerated().map { n, dimension in
            DimensionRule(
                field: LabelledField(dimension),
                levels: LabelTable(lists: dimension.levels.map(\.values)),
                unknown: dimension.unknownValues.isEmpty ? nil : LabelTable(dimension.unknownValues.map { ($0, 0) }),
                shift: pipeline.groupKey.field(.declared(n)).shift, unknownLevel: UInt64(dimension.levels.count))
        }
        missingValues = CanonicalField.allCases.map { field in
            pipeline.missingValues[field].map { values in LabelTable(values.map { ($0, 0) }) }
        }
    }
}
