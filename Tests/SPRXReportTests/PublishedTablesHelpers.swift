import SPRXCore

@testable import SPRXReport

/// The report's tests give it a few hand-made tables; these put each in its typed field
/// of ``PublishedTables`` (the others empty), so the tests read as before while the
/// report only ever takes the typed value.
extension PublishedTables {
    /// Every field, for placing a test's tables by their schema (a test checks this
    /// list covers every table the type declares).
    static var fields: [WritableKeyPath<PublishedTables, PublishedTable>] {
        [
            \.routeTypeByGroup, \.routeByGroup, \.reasonsByGroup, \.pathwayByGroup, \.models, \.ratesByGroup, \.inequality, \.trends, \.spc,
            \.organisations, \.pcnProvision, \.provisionByDeprivation, \.dataQuality, \.unmappedLabels,
        ]
    }

    /// `tables`, each in the field of its schema; a table no field holds stops the test.
    init(_ tables: [PublishedTable]) {
        self.init()
        for table in tables {
            guard let field = Self.fields.first(where: { self[keyPath: $0].schema == table.schema }) else {
                preconditionFailure("no field holds \(table.name)")
            }
            self[keyPath: field] = table
        }
    }
}

extension Report {
    static func html(tables: [PublishedTable], context: ReportContext) -> String { html(tables: PublishedTables(tables), context: context) }
    static func markdown(tables: [PublishedTable], context: ReportContext) -> String { markdown(tables: PublishedTables(tables), context: context) }
    static func headline(tables: [PublishedTable]) -> String { headline(tables: PublishedTables(tables)) }
}

extension ReportNumbers {
    init(tables: [PublishedTable]) { self.init(tables: PublishedTables(tables)) }
}

extension ReachFigures {
    init(tables: [PublishedTable]) { self.init(tables: PublishedTables(tables)) }
}

extension TrendFigures {
    init(tables: [PublishedTable]) { self.init(tables: PublishedTables(tables)) }
}

extension PlaceFigures {
    init(tables: [PublishedTable]) { self.init(tables: PublishedTables(tables)) }
}

/// The schema of the published table called `name` (a test fixture's file name).
func schema(named name: String) -> TableSchema {
    guard let schema = PublishedTables.schemas.first(where: { $0.name == name }) else { preconditionFailure("no published table \(name)") }
    return schema
}
