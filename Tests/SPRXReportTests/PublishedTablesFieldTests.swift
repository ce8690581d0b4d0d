import SPRXCore
import Testing

@testable import SPRXReport

/// The tests' list of ``PublishedTables`` fields (used to place hand-made tables) covers
/// every table the type publishes, each once, in its order.
@Suite(.timeLimit(.minutes(10))) struct PublishedTablesFieldTests {
    @Test func theTestsFieldListCoversEveryPublishedTable() {
        let empty = PublishedTables()
        #expect(PublishedTables.fields.map { empty[keyPath: $0].schema } == PublishedTables.schemas)
    }
}

/// The report reads a table only by the columns it was written with: a view of one
/// table's columns over another table's rows is refused.
@Suite(.timeLimit(.minutes(10))) struct TableViewTests {
    @Test func aViewByAnotherTablesColumnsIsRefused() async {
        #expect(TableView<TrendColumn>(PublishedTable(.trends)).rows.isEmpty)
        #expect(TableView<ShareColumn>(PublishedTable(.reasonsByGroup)).rows.isEmpty)
        await #expect(processExitsWith: .failure) {
            _ = TableView<TrendColumn>(PublishedTable(.ratesByGroup))
        }
    }
}
