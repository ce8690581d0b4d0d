// TEMPORARY: replaced by helper B's Population.swift at merge.
import SPRXCore
public struct ResidentCell: Hashable, Sendable, Codable, Comparable {
    public var nation: Nation
    public var decile: UInt8
    public var rurality: Rurality
    public init(nation: Nation, decile: UInt8, rurality: Rurality) {
        self.nation = nation
        self.decile = decile
        self.rurality = rurality
    }
    public static func < (a: ResidentCell, b: ResidentCell) -> Bool {
        (a.nation.rawValue, a.decile, a.rurality.rawValue) < (b.nation.rawValue, b.decile, b.rurality.rawValue)
    }
}
public struct PopulationDenominators: Sendable, Equatable {
    public var totals: [ResidentCell: Int64] = [:]
    public var byStandardAge: [ResidentCell: [Int64]] = [:]
    public var byAgeBand: [Nation: [Int64?]] = [:]
    public var nationsWithAges: [Nation] = []
    public init() {}
}
