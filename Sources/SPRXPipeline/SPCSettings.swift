import SPRXCore

/// Which way a measure's change is for the better, as NHSRplotthedots' `ptd_spc`
/// `improvement_direction` says it: a special cause in that direction is an
/// improvement, the other way a concern; `neutral` calls every special cause neutral.
public enum ImprovementDirection: String, CaseIterable, Sendable, Hashable {
    case increase, decrease, neutral

    /// The sign a special cause is multiplied by: +1 for `increase`, -1 for `decrease`, 0 for `neutral`.
    public var sign: Int {
        switch self {
        case .increase: 1
        case .decrease: -1
        case .neutral: 0
        }
    }
}

/// The `spc` section: per monthly measure of `trends.csv`, which direction is an
/// improvement on its statistical process control chart (`tables/spc.csv`). A measure
/// the section does not name is `neutral`.
public struct SPCSettings: Sendable, Hashable {
    /// `spc.improvement_direction`: the measures the pipeline gives a direction.
    public var improvementDirection: [TrendColumn.Measure: ImprovementDirection] = [:]

    public init(improvementDirection: [TrendColumn.Measure: ImprovementDirection] = [:]) {
        self.improvementDirection = improvementDirection
    }

    /// The direction of `measure`: the pipeline's, else `neutral`.
    public func direction(_ measure: TrendColumn.Measure) -> ImprovementDirection { improvementDirection[measure] ?? .neutral }
}

extension PipelineLoader {
    /// The top-level key of the SPC settings.
    static let spcKey = "spc"

    /// Parses the `spc` section (``SPCSettings``): `improvement_direction`, a mapping from
    /// a measure of `trends.csv` to `increase`, `decrease` or `neutral`; an unknown
    /// measure or direction is an error at its line.
    static func parseSPC(_ entry: Entry) throws -> SPCSettings {
        try entry.allowKeys(["improvement_direction"])
        var settings = SPCSettings()
        guard let directions = try entry.optional("improvement_direction") else { return settings }
        let measures = TrendColumn.Measure.allCases.map(\.rawValue), values = ImprovementDirection.allCases.map(\.rawValue)
        for (key, value) in try directions.mappingEntries() {
            guard let measure = TrendColumn.Measure(rawValue: key) else {
                throw value.fail("one of the measures \(measures.joined(separator: ", ")) (unknown measure '\(key)')")
            }
            guard let direction = ImprovementDirection(rawValue: try value.string()) else {
                throw value.fail("one of \(values.joined(separator: ", "))")
            }
            settings.improvementDirection[measure] = direction
        }
        return settings
    }
}
