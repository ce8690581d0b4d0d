import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXCore

/// The CSV bytes of typed cells. Every expected string is written by hand from
/// `shared/contract/outputs-v2.md` ("Tidy tables": `.` as the decimal point, no
/// thousands separators; "Disclosure control": a suppressed count is an empty cell
/// with the `suppressed` flag, zero stays zero) and the CSV rules of ``CSVText``
/// (RFC 4180 quoting, formula-like text prefixed with `'`).
@Suite(.timeLimit(.minutes(10))) struct PublishedTableTests {
    @Test func suppressedAndZeroCells() {
        #expect(Cell.count(nil).csv == "")
        #expect(Cell.decimal(nil, places: 2).csv == "")
        #expect(Cell.flag(true).csv == "TRUE" && Cell.flag(false).csv == "FALSE")
        #expect(Cell.count(0).csv == "0")
        #expect(Cell.decimal(0, places: 2).csv == "0.00")
        #expect(Cell.empty.csv == "")
        #expect(Cell.count(nil).count == nil && Cell.count(nil).value == nil && Cell.count(nil).isEmpty)
    }

    @Test func roundedAndDecimalCells() {
        // 0.125 is exact in binary: half-way, rounded away from zero.
        #expect(Cell.decimal(0.125, places: 2).csv == "0.13")
        #expect(Cell.decimal(50.0 / 60 * 100, places: 2).csv == "83.33")
        #expect(Cell.decimal(100, places: 2).csv == "100.00")
        #expect(Cell.count(123_455).csv == "123455")
        // Model estimates: 8 significant digits; p-values 4; zero as 0; never NaN or ±Inf
        // in a published file (issue 24): a value that is not finite is an empty cell.
        #expect(Cell.significant(3.5000000001, digits: 8).csv == "3.5")
        #expect(Cell.significant(1.0 / 3, digits: 8).csv == "0.33333333")
        #expect(Cell.significant(0.000012345678, digits: 4).csv == "1.235e-05")
        #expect(Cell.significant(-0.0, digits: 8).csv == "0")
        #expect(Cell.significant(.nan, digits: 8).csv == "" && Cell.significant(-.infinity, digits: 8).csv == "")
        #expect(Cell.significant(.infinity, digits: 8).isEmpty && Cell.decimal(.nan, places: 2).csv == "")
        #expect(Cell.significant(.nan, digits: 8).value == nil && Cell.decimal(-.infinity, places: 1).value == nil)
    }

    @Test func quotedTextCells() {
        #expect(Cell.text("primary_care").csv == "primary_care")
        #expect(Cell.text("a,b").csv == "\"a,b\"")
        #expect(Cell.text("say \"hi\"").csv == "\"say \"\"hi\"\"\"")
        #expect(Cell.text("=SUM(A1)").csv == "'=SUM(A1)")
        #expect(Cell.text("-5").csv == "'-5")
        #expect(Cell.text("line\nbreak").csv == "line\\u{A}break")
        // A person reads the text as the file holds it, without the CSV quoting.
        #expect(Cell.text("say \"hi\", =1").shown == "say \"hi\", =1" && Cell.text("=1").shown == "'=1")
        #expect(Cell.text("a,b").string == "a,b")
    }

    /// A share table (outputs-v2's worked example in AggregateTests: 50 of 60 medical,
    /// 83.33%, Wilson 71.97-90.69; self-referral suppressed) as the file holds it.
    @Test func tableBytes() {
        let table = PublishedTable(
            .routeByGroup,
            rows: [
                [
                    .text("all"), .text("all"), .text("primary_care"), .count(50), .count(60), .decimal(83.333333, places: 2), .decimal(71.9666, places: 2),
                    .decimal(90.6944, places: 2), .flag(false), .text("on"),
                ],
                [
                    .text("all"), .text("all"), .text("self_referral"), .count(nil), .count(60), .decimal(nil, places: 2), .decimal(nil, places: 2),
                    .decimal(nil, places: 2), .flag(true), .text("on"),
                ],
            ])
        #expect(
            table.csv
                == "dimension,group,route,n,total,percent,ci_low,ci_high,suppressed,disclosure_control\n"
                + "all,all,primary_care,50,60,83.33,71.97,90.69,FALSE,on\n" + "all,all,self_referral,,60,,,,TRUE,on\n")
        #expect(table.rows[0][ShareColumn.percent].value == 83.33 && table.rows[1][ShareColumn.suppressed].flag == true)
    }

    /// A table is built with its schema, and a row of another width is refused where it
    /// is made. Widths counted by hand from outputs-v2's `route_by_group` header (10
    /// columns: dimension, group, route, n, total, percent, ci_low, ci_high, suppressed,
    /// disclosure_control).
    @Test func aRowOfTheWrongWidthIsRefusedAtConstruction() async {
        #expect(TableSchema.routeByGroup.columns.count == 10)
        #expect(TableSchema.routeByGroup.header[2] == "route" && TableSchema.reasonsByGroup.header[2] == "reason")
        let short: [[Cell]] = [Array(repeating: .empty, count: 10), Array(repeating: .empty, count: 9)]
        #expect(PublishedTable.misfit(short, .routeByGroup) == "route_by_group: row 2 has 9 cells for 10 columns")
        #expect(PublishedTable.misfit([Array(repeating: .empty, count: 10)], .routeByGroup) == nil)
        #expect(PublishedTable.misfit([Array(repeating: .empty, count: 11)], .routeByGroup, after: 4) == "route_by_group: row 5 has 11 cells for 10 columns")
        await #expect(processExitsWith: .failure) {
            _ = PublishedTable(.routeByGroup, rows: [Array(repeating: Cell.empty, count: 9)])
        }
        await #expect(processExitsWith: .failure) {
            var table = PublishedTable(.trends)
            table.append(Array(repeating: Cell.empty, count: TableSchema.trends.columns.count + 1))
        }
        // A table cannot be given to the field of another table.
        await #expect(processExitsWith: .failure) {
            var tables = PublishedTables()
            tables.trends = PublishedTable(.ratesByGroup)
        }
    }

    /// The run's tables are listed once, by the fields of ``PublishedTables``: 14 tables
    /// (outputs-v2's list, counted by hand), each name once, in publication order.
    @Test func publishedTablesListEachTableOnceInPublicationOrder() {
        let names = PublishedTables.schemas.map(\.name)
        #expect(
            names == [
                "route_type_by_group", "route_by_group", "reasons_by_group", "pathway_by_group", "models", "rates_by_group", "inequality",
                "trends", "spc", "organisations", "pcn_provision", "provision_by_deprivation", "data_quality", "unmapped_labels",
            ])
        #expect(Set(names).count == names.count)
        #expect(PublishedTables().all.allSatisfy { $0.rows.isEmpty })
        // Every schema's columns come from its column enum, so its header is that enum's names
        // (the share tables' category column renamed).
        #expect(TableSchema.trends.header == TrendColumn.allCases.map(\.name))
        #expect(TableSchema.quarantinedUnmappedLabels.header == ["field", "label", "n"])
    }

    /// The number a cell gives the report is the number its text says: for decimals and
    /// significant digits, on seeded values across magnitudes, equal to the text read
    /// back (which is what the report used to do).
    @Test func publishedValueEqualsItsText() {
        var random = SeededRandom(seed: 15)
        for _ in 0..<100_000 {
            let magnitude = Double.random(in: -15...15, using: &random)
            let value = (Bool.random(using: &random) ? 1 : -1) * Double.random(in: 1..<10, using: &random) * pow(10, magnitude.rounded(.down))
            for cell in [Cell.significant(value, digits: 8), .significant(value, digits: 4)] {
                #expect(cell.value == Double(cell.csv), "\(cell.csv), \(random)")
            }
            let percent = Double.random(in: 0...100, using: &random)
            let decimal = Cell.decimal(percent, places: 2)
            #expect(decimal.value == Double(decimal.csv), "\(decimal.csv)")
        }
        // Powers of ten and values just under them, where log10 rounds.
        for exponent in -20...20 {
            for value in [pow(10, Double(exponent)), pow(10, Double(exponent)).nextDown, 9.9999999999 * pow(10, Double(exponent))] {
                let cell = Cell.significant(value, digits: 8)
                #expect(cell.value == Double(cell.csv), "\(cell.csv)")
            }
        }
    }
}
