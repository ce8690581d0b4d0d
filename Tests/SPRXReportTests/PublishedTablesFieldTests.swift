import SPRXCore
import Testing

@testable import SPRXReport

/// The tests' list of ``PublishedTables`` fields (used to place hand-made tables) covers
/// every table the type publishes, each once, in its order.
@Suite(.timeLimit(.minutes(1))) struct PublishedTablesFieldTests {
    @Test func theTestsFieldListCoversEveryPublishedTable() {
        let empty = PublishedTables()
        #expect(PublishedTables.fields.map { empty[keyPath: $0].schema } == PublishedTables.schemas)
    }
}
