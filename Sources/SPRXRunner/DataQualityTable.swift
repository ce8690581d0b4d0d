import SPRXAggregate
import SPRXClean
import SPRXCore

/// `tables/data_quality.csv`: one row per input file and a final `ALL` row.
///
/// Columns: file, rows_read, clean, duplicate, quarantined, one count per quarantine
/// reason (every reason, always, so the schema is stable), blank_lines, area match
/// counts (`area_unknown`, `area_unmatched_deprivation:<nation>`,
/// `area_unmatched_rurality:<nation>`), then one column per unmapped label
/// (`unmapped:<field>:<label>`) in sorted order. These counts describe records, not
/// people's characteristics, and are published exactly (no disclosure rounding) so the
/// data owner can reconcile them with the source system.
enum DataQualityTable {
    static func build(_ files: [FileReconciliation]) -> PublishedTable {
        let reasons = QuarantineReason.allCases.map(\.rawValue)
        let unmappedColumns = Set(files.flatMap { $0.unmapped.keys }).sorted()
        let areaColumns =
            ["area_unknown"] + Nation.known.map { "area_unmatched_deprivation:\($0.label)" }
            + Nation.known.map { "area_unmatched_rurality:\($0.label)" }
        let header =
            ["file", "rows_read", "clean", "duplicate", "quarantined"] + reasons + ["blank_lines"] + areaColumns + unmappedColumns
        var total = FileReconciliation(path: "ALL")
        for file in files {
            total.rowsRead += file.rowsRead
            total.clean += file.clean
            total.duplicate += file.duplicate
            total.quarantined += file.quarantined
            total.blankLines += file.blankLines
            total.areaCounts.merge(file.areaCounts)
            for (k, v) in file.quarantineReasons { total.quarantineReasons[k, default: 0] += v }
            for (k, v) in file.unmapped { total.unmapped[k, default: 0] += v }
        }
        func row(_ f: FileReconciliation) -> [String] {
            var cells = [CSVText.text(f.path), String(f.rowsRead), String(f.clean), String(f.duplicate), String(f.quarantined)]
            cells += reasons.map { String(f.quarantineReasons[$0] ?? 0) }
            cells.append(String(f.blankLines))
            cells.append(String(f.areaCounts.unknownArea))
            cells += f.areaCounts.unmatchedDeprivation.map(String.init)
            cells += f.areaCounts.unmatchedRurality.map(String.init)
            cells += unmappedColumns.map { String(f.unmapped[$0] ?? 0) }
            return cells
        }
        return PublishedTable(
            name: "data_quality", header: header.map(CSVText.text), rows: files.map(row) + [row(total)])
    }
}
