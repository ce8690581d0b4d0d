import Foundation

extension ValidationReport {
    /// A short summary and, per differing table, its first `limit` differences as a
    /// unified diff: `-` the expected value, `+` the actual one, under the row's key.
    public func text(limit: Int = 10) -> String {
        var lines: [String] = []
        let counts = Dictionary(grouping: tables, by: \.status).mapValues(\.count)
        lines.append(equal ? "sprx validate: outputs equal within tolerance" : "sprx validate: outputs differ")
        lines.append("  expected:  \(expected)")
        lines.append("  actual:    \(actual)")
        lines.append(
            "  tolerance: estimates within \(tolerance.absolute) absolute or \(tolerance.relative) relative; counts, labels and flags exact")
        lines.append(
            "  tables:    "
                + TableComparison.Status.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ") + "; manifest: "
                + (manifest.isEmpty ? "equal" : "\(manifest.count) field\(manifest.count == 1 ? "" : "s") differ"))
        for table in tables where table.status != .equal {
            lines.append("")
            switch table.status {
            case .missing:
                lines.append("--- expected/tables/\(table.table) (\(table.rowsExpected) rows)")
                lines.append("+++ actual/tables/\(table.table): MISSING")
                continue
            case .unexpected:
                lines.append("--- expected/tables/\(table.table): not expected")
                lines.append("+++ actual/tables/\(table.table) (\(table.rowsActual) rows)")
                continue
            default: break
            }
            lines.append("--- expected/tables/\(table.table)")
            lines.append("+++ actual/tables/\(table.table)")
            let shown = min(limit, table.differences.count)
            lines.append(
                "@@ \(table.differences.count) difference\(table.differences.count == 1 ? "" : "s")"
                    + (table.keyColumns.isEmpty ? "" : ", rows matched on \(table.keyColumns.joined(separator: ", "))")
                    + (shown < table.differences.count ? "; first \(shown) shown" : "") + " @@")
            var lastKey: [String]?
            for difference in table.differences.prefix(shown) {
                switch difference.kind {
                case .cell:
                    if difference.key != lastKey { lines.append(" \(difference.key.joined(separator: " "))") }
                    lastKey = difference.key
                    lines.append("-  \(difference.column): \(Self.show(difference.expected))")
                    lines.append("+  \(difference.column): \(Self.show(difference.actual))")
                case .rowOnlyInExpected:
                    lastKey = nil
                    lines.append("-  row \(difference.key.joined(separator: " ")) (missing from actual)")
                case .rowOnlyInActual:
                    lastKey = nil
                    lines.append("+  row \(difference.key.joined(separator: " ")) (not in expected)")
                case .columnOnlyInExpected:
                    lastKey = nil
                    lines.append("-  column \(difference.column) (missing from actual)")
                case .columnOnlyInActual:
                    lastKey = nil
                    lines.append("+  column \(difference.column) (not in expected)")
                case .manifest:
                    lines.append("   \(difference.kind.rawValue) \(difference.column)")
                }
            }
        }
        if !manifest.isEmpty {
            lines.append("")
            lines.append("--- expected/manifest.json")
            lines.append("+++ actual/manifest.json")
            let shown = min(limit, manifest.count)
            lines.append("@@ \(manifest.count) field\(manifest.count == 1 ? "" : "s") differ\(shown < manifest.count ? "; first \(shown) shown" : "") @@")
            for difference in manifest.prefix(shown) {
                lines.append("-  \(difference.column): \(Self.show(difference.expected))")
                lines.append("+  \(difference.column): \(Self.show(difference.actual))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON for machines (sorted keys, stable).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    static func show(_ value: String?) -> String {
        guard let value else { return "(absent)" }
        return value.isEmpty ? "(empty)" : value
    }
}
