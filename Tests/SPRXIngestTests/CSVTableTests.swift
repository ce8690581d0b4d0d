import SPRXTestSupport
import Testing

/// The tests' one CSV reader (``CSVTable``, on the project's decoder) reads what Python's
/// `csv` module reads.
@Suite(.timeLimit(.minutes(10))) struct CSVTableTests {
    /// Expected: Python 3 `list(csv.reader(io.StringIO(text, newline="")))` on the same text
    /// gives `[['a','b','c'], ['1','x, y','say "hi"'], ['2','line\nbreak',''], [], ['3','','tailend'], ['4']]`;
    /// the blank row `[]` is skipped, as the decoder skips blank lines.
    @Test func readsWhatPythonsCSVModuleReads() {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"line\nbreak\",\n\n3,,\"tail\"end\n4"
        let table = CSVTable(text: text)
        #expect(table.header == ["a", "b", "c"])
        #expect(table.rows == [["1", "x, y", "say \"hi\""], ["2", "line\nbreak", ""], ["3", "", "tailend"], ["4"]])
        #expect(table.column("b") == ["x, y", "line\nbreak", "", ""])
        #expect(table.column("z").isEmpty)
        #expect(table.records[3] == ["a": "4"])
        #expect(CSVTable.records(text).count == 5)
    }

    /// One line's fields, its line end dropped; an empty text is no header and no rows.
    @Test func fieldsOfOneLineAndAnEmptyText() {
        #expect(CSVTable.fields("referral_id,,\"a,b\"\n") == ["referral_id", "", "a,b"])
        #expect(CSVTable(text: "") == CSVTable(bytes: []))
        #expect(CSVTable(text: "").header.isEmpty && CSVTable(text: "").rows.isEmpty)
    }
}
