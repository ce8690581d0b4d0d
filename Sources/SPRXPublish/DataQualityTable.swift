import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXPipeline
import SPRXRunner

/// `tables/data_quality.csv`, long (tidy): one row per input file and measure, then the
/// same measures for `all` files.
///
/// Columns: file, measure, value. `file` is the input's file name (not its path: paths
/// differ between machines and may say more than the data owner means to publish).
/// The measures, in ``measures`` order, are the same for every file, so the table's
/// shape depends only on the number of files. These counts describe records, not
/// people's characteristics, and are published exactly (no disclosure rounding) so the
/// data owner can reconcile them with the source system. No label text appears here:
/// unmapped labels have their own table (``UnmappedLabelTable``).
enum DataQualityTable {
    /// The file value of the row for every file together.
    static let allFiles = DataQualityColumn.allFiles

    /// Every measure, in publication order, with how it is read from a file's accounting:
    /// the same for every run but the unmapped-label counts, one per labelled field.
    static func measures(labelledFields: [LabelledField]) -> [(name: String, value: @Sendable (FileReconciliation) -> Int)] {
        typealias Measure = DataQualityMeasure
        var list: [(name: String, value: @Sendable (FileReconciliation) -> Int)] = []
        list.append((Measure.rowsRead, { $0.rowsRead }))
        list.append((Measure.clean, { $0.clean }))
        list.append((Measure.duplicate, { $0.duplicate }))
        list.append((Measure.quarantined, { $0.quarantined }))
        for reason in QuarantineReason.allCases.map(\.rawValue) {
            list.append((Measure.quarantined(reason), { $0.quarantineReasons[reason] ?? 0 }))
        }
        list.append((Measure.blankLines, { $0.blankLines }))
        list.append((Measure.areaUnknown, { $0.areaCounts.unknownArea }))
        for (i, nation) in Nation.known.enumerated() {
            list.append((Measure.areaUnmatchedDeprivation(nation), { $0.areaCounts.unmatchedDeprivation[i] }))
        }
        for (i, nation) in Nation.known.enumerated() {
            list.append((Measure.areaUnmatchedRurality(nation), { $0.areaCounts.unmatchedRurality[i] }))
        }
        for field in labelledFields.map(\.name) {
            list.append((Measure.unmapped(field), { $0.unmapped[field] ?? 0 }))
        }
        return list
    }

    static func build(_ files: [FileReconciliation], labelledFields: [LabelledField]) -> PublishedTable {
        let measures = measures(labelledFields: labelledFields)
        var total = FileReconciliation(path: allFiles)
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
        var rows: [[Cell]] = []
        rows.reserveCapacity((files.count + 1) * measures.count)
        let named = files.map { ($0, ($0.path as NSString).lastPathComponent) } + [(total, allFiles)]
        for (file, name) in named {
            for measure in measures { rows.append([.text(name), .text(measure.name), .count(Int64(measure.value(file)))]) }
        }
        return PublishedTable(.dataQuality, rows: rows)
    }
}
