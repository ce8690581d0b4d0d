import Foundation
import SPRXCore

/// How far an estimate may move and still count as the same: it passes when
/// |actual − expected| ≤ `absolute` or ≤ `relative` · |expected|.
public struct Tolerance: Sendable, Hashable, Codable {
    public var absolute: Double
    public var relative: Double

    /// Defaults: 1e-9 absolute, 1e-6 relative (printing noise, not real change).
    public init(absolute: Double = 1e-9, relative: Double = 1e-6) {
        self.absolute = absolute
        self.relative = relative
    }

    public func accepts(expected: Double, actual: Double) -> Bool {
        if expected == actual { return true }
        let difference = abs(actual - expected)
        return difference <= absolute || difference <= relative * abs(expected)
    }
}

/// The roles of a table's columns.
public struct ColumnRoles: Sendable {
    public var keys: [String]
    public var roles: [String: ColumnRole]
    /// Key columns holding file paths, matched by file name (paths differ between machines).
    public var pathKeys: Set<String> = []

    public func role(_ column: String) -> ColumnRole { roles[column] ?? .text }

    /// The contract's tables (their columns' roles as their schemas declare them, in
    /// ``PublishedTables/schemas``); any other table's roles are inferred from its contents.
    public static func known(_ name: String, header: [String]) -> ColumnRoles? {
        guard let schema = PublishedTables.schemas.first(where: { $0.name + ".csv" == name }) else { return nil }
        var roles: [String: ColumnRole] = [:]
        for column in schema.columns { roles[column.name] = column.role }
        // Files are matched by name: the path of an input differs between machines.
        let pathKeys: Set<String> = schema == .dataQuality ? [DataQualityColumn.file.name] : []
        return ColumnRoles(keys: schema.columns.filter { $0.role == .key }.map(\.name), roles: roles, pathKeys: pathKeys)
    }

    /// For tables sprx does not know: columns that are numbers in every row are
    /// counts (whole numbers) or estimates; the others together identify the row.
    public static func inferred(from table: CSVTable) -> ColumnRoles {
        var roles: [String: ColumnRole] = [:]
        var keys: [String] = []
        for (c, name) in table.header.enumerated() {
            let values = table.rows.map { c < $0.count ? $0[c] : "" }.filter { !$0.isEmpty }
            let numbers = values.compactMap(Double.init)
            if !values.isEmpty && numbers.count == values.count {
                roles[name] = numbers.allSatisfy { $0 == $0.rounded() } && values.allSatisfy { !$0.contains(".") } ? .count : .estimate
            } else {
                roles[name] = .key
                keys.append(name)
            }
        }
        return ColumnRoles(keys: keys, roles: roles)
    }
}

/// One difference found.
public struct Difference: Sendable, Codable, Equatable {
    /// What differs, as `sprx validate --json` writes it.
    public enum Kind: String, Sendable, Codable {
        case cell
        case rowOnlyInExpected = "row_only_in_expected", rowOnlyInActual = "row_only_in_actual"
        case columnOnlyInExpected = "column_only_in_expected", columnOnlyInActual = "column_only_in_actual"
        /// A manifest field.
        case manifest
    }

    public var kind: Kind
    /// The row's key as `column=value` pairs (empty for whole-column differences).
    public var key: [String]
    /// The column (or manifest field).
    public var column: String
    public var expected: String?
    public var actual: String?
    /// How the cell was compared (`count`, `estimate`, `text`).
    public var role: String?
}

/// The comparison of one table.
public struct TableComparison: Sendable, Codable, Equatable {
    /// How the table compared, as `sprx validate --json` writes it.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case equal, different
        /// The expected folder has the table, the actual one does not.
        case missing
        /// The actual folder has a table the expected one does not.
        case unexpected
    }

    public var table: String
    public var status: Status
    public var keyColumns: [String]
    public var rowsExpected: Int
    public var rowsActual: Int
    public var differences: [Difference]
}

/// The result of comparing two output folders.
public struct ValidationReport: Sendable, Codable, Equatable {
    public var expected: String
    public var actual: String
    public var tolerance: Tolerance
    public var equal: Bool
    public var tables: [TableComparison]
    public var manifest: [Difference]
    /// Manifest fields that legitimately change between runs and were not compared.
    public var ignoredManifestFields: [String]
}

/// Compares two sprx output folders table by table, and their manifests.
///
/// Design note: rows are matched on their key columns and columns by name, so order
/// never matters; each column's role (``ColumnRole``) decides how its cells compare.
/// The manifest is flattened to `path = value` pairs, arrays of inputs, models and
/// reference files keyed by file or model name, and the fields in
/// ``ignoredManifestFields`` (times, durations, paths, workers, the tool's version,
/// output hashes, which the table comparison replaces; how a merged run was split into
/// shards) are left out.
public enum OutputValidator {
    public static let ignoredManifestFields = [
        "tool", "command_line", "started_at", "finished_at", "workers", "outputs", "models_seconds", "pipeline.path",
        "models[*].fit_seconds", "inputs[*].path", "reference_directory", "shards",
    ]

    /// Compares the folders; throws only when one cannot be read at all.
    public static func compare(expected: String, actual: String, tolerance: Tolerance = Tolerance()) throws -> ValidationReport {
        for folder in [expected, actual] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SPRXError(.inputUnreadable, "output folder does not exist", location: DataLocation(file: folder))
            }
            guard FileManager.default.fileExists(atPath: folder + "/manifest.json") else {
                throw SPRXError(.inputUnreadable, "not an sprx output folder: no manifest.json", location: DataLocation(file: folder))
            }
        }
        let expectedTables = try tableNames(expected)
        let actualTables = try tableNames(actual)
        var comparisons: [TableComparison] = []
        for name in Set(expectedTables + actualTables).sorted() {
            let inExpected = expectedTables.contains(name)
            let inActual = actualTables.contains(name)
            if inExpected && inActual {
                comparisons.append(
                    try compareTable(
                        name, expected: try read(expected + "/tables/" + name), actual: try read(actual + "/tables/" + name),
                        tolerance: tolerance))
            } else {
                let table = try read((inExpected ? expected : actual) + "/tables/" + name)
                comparisons.append(
                    TableComparison(
                        table: name, status: inExpected ? .missing : .unexpected, keyColumns: [], rowsExpected: inExpected ? table.rows.count : 0,
                        rowsActual: inActual ? table.rows.count : 0, differences: []))
            }
        }
        let manifest = try compareManifests(expected + "/manifest.json", actual + "/manifest.json")
        return ValidationReport(
            expected: expected, actual: actual, tolerance: tolerance,
            equal: comparisons.allSatisfy { $0.status == .equal } && manifest.isEmpty, tables: comparisons, manifest: manifest,
            ignoredManifestFields: ignoredManifestFields)
    }

    static func tableNames(_ folder: String) throws -> [String] {
        let path = folder + "/tables"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".csv") }.sorted()
        } catch {
            throw SPRXError(.inputUnreadable, "cannot list tables", location: DataLocation(file: path), cause: error)
        }
    }

    /// Fails unless `path` is a regular file (a FIFO or device would block or never end).
    static func requireRegularFile(_ path: String, what: String) throws {
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        guard type == .typeRegular else {
            throw SPRXError(.inputUnreadable, "cannot read \(what): not a regular file", location: DataLocation(file: path))
        }
    }

    /// Largest table or manifest `sprx validate` reads: far above any output sprx writes
    /// (a 10 million-row run's largest table is under 1 MiB), far below what would take
    /// gigabytes to compare.
    public static let maxFileBytes = 64 << 20

    /// Refuses a file over ``maxFileBytes`` (65) before reading it.
    static func requireSize(_ path: String, what: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maxFileBytes {
            throw SPRXError(
                .inputFormat, "the \(what) is larger than the \(maxFileBytes >> 20) MiB sprx validate reads; it is not an output sprx wrote",
                location: DataLocation(file: path))
        }
    }

    static func read(_ path: String) throws -> CSVTable {
        try requireRegularFile(path, what: "table")
        try requireSize(path, what: "table")
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SPRXError(.inputUnreadable, "cannot read table", location: DataLocation(file: path), cause: error)
        }
        // Readable but not text sprx writes: bad input (65), not an unreadable file (66).
        guard let text = String(bytes: data, encoding: .utf8) else {
            throw SPRXError(.inputFormat, "the table is not UTF-8 text", location: DataLocation(file: path))
        }
        return try CSVTable(parsing: text, file: path)
    }

    /// Compares two versions of one table.
    public static func compareTable(_ name: String, expected: CSVTable, actual: CSVTable, tolerance: Tolerance) throws -> TableComparison {
        let schema = ColumnRoles.known(name, header: expected.header) ?? ColumnRoles.inferred(from: expected)
        var differences: [Difference] = []
        // A repeated column name is refused when a table is parsed; here the first one wins,
        // so a table built in code cannot trap the comparison either.
        let expectedColumns = Dictionary(expected.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let actualColumns = Dictionary(actual.header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        /// A row's cell, empty when a row built in code is shorter than its header.
        func cell(_ row: [String], _ index: Int) -> String { index < row.count ? row[index] : "" }
        for column in expected.header where actualColumns[column] == nil {
            differences.append(Difference(kind: .columnOnlyInExpected, key: [], column: column))
        }
        for column in actual.header where expectedColumns[column] == nil {
            differences.append(Difference(kind: .columnOnlyInActual, key: [], column: column))
        }
        let keys = schema.keys.filter { expectedColumns[$0] != nil && actualColumns[$0] != nil }
        func rowKey(_ row: [String], _ columns: [String: Int]) -> [String] {
            keys.map { k in
                // safe: keys holds only columns both tables have
                let value = cell(row, columns[k]!)
                return "\(k)=\(schema.pathKeys.contains(k) ? (value as NSString).lastPathComponent : value)"
            }
        }
        // Index rows by key; a repeated key gets its occurrence number so nothing is lost.
        func index(_ table: CSVTable, _ columns: [String: Int]) -> (order: [[String]], rows: [[String]: [String]]) {
            var order: [[String]] = []
            var rows: [[String]: [String]] = [:]
            var seen: [[String]: Int] = [:]
            for row in table.rows {
                var key = rowKey(row, columns)
                let n = seen[key, default: 0]
                seen[key] = n + 1
                if n > 0 { key.append("#\(n + 1)") }
                order.append(key)
                rows[key] = row
            }
            return (order, rows)
        }
        let (expectedOrder, expectedRows) = index(expected, expectedColumns)
        let (actualOrder, actualRows) = index(actual, actualColumns)
        let shared = expected.header.filter { actualColumns[$0] != nil && !keys.contains($0) }
        for key in expectedOrder {
            guard let a = actualRows[key] else {
                differences.append(Difference(kind: .rowOnlyInExpected, key: key, column: ""))
                continue
            }
            // safe: key comes from expectedOrder, built with expectedRows
            let e = expectedRows[key]!
            for column in shared {
                // safe: shared holds only columns both tables have
                let ev = cell(e, expectedColumns[column]!)
                let av = cell(a, actualColumns[column]!)
                let role = schema.role(column)
                if !same(ev, av, role: role, tolerance: tolerance) {
                    differences.append(Difference(kind: .cell, key: key, column: column, expected: ev, actual: av, role: role.rawValue))
                }
            }
        }
        for key in actualOrder where expectedRows[key] == nil {
            differences.append(Difference(kind: .rowOnlyInActual, key: key, column: ""))
        }
        return TableComparison(
            table: name, status: differences.isEmpty ? .equal : .different, keyColumns: keys, rowsExpected: expected.rows.count,
            rowsActual: actual.rows.count, differences: differences)
    }

    static func same(_ expected: String, _ actual: String, role: ColumnRole, tolerance: Tolerance) -> Bool {
        if expected == actual { return true }
        switch role {
        case .key, .text:
            return false
        case .count:
            guard let e = Int64(expected), let a = Int64(actual) else { return false }
            return e == a
        case .estimate:
            guard let e = Double(expected), let a = Double(actual) else { return false }
            return tolerance.accepts(expected: e, actual: a)
        }
    }

    // MARK: Manifest

    static func compareManifests(_ expectedPath: String, _ actualPath: String) throws -> [Difference] {
        let expected = try flatten(try loadJSON(expectedPath))
        let actual = try flatten(try loadJSON(actualPath))
        var differences: [Difference] = []
        // Causes before effects: pipeline and inputs, then counts, references, disclosure, models.
        let priority = ["pipeline", "inputs", "totals", "reference_files", "disclosure_control", "models"]
        func rank(_ field: String) -> Int { priority.firstIndex { field.hasPrefix($0) } ?? priority.count }
        let fields = Set(expected.keys).union(actual.keys).sorted { rank($0) != rank($1) ? rank($0) < rank($1) : $0 < $1 }
        for field in fields where !isIgnored(field) {
            let e = expected[field]
            let a = actual[field]
            if e != a { differences.append(Difference(kind: .manifest, key: [], column: field, expected: e, actual: a)) }
        }
        return differences
    }

    static func loadJSON(_ path: String) throws -> JSONValue {
        try requireRegularFile(path, what: "manifest")
        try requireSize(path, what: "manifest")
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SPRXError(.inputFormat, "manifest is not readable JSON", location: DataLocation(file: path), cause: error)
        }
    }

    static func isIgnored(_ field: String) -> Bool {
        // Generalise array keys: models[route_nonmedical].fit_seconds → models[*].fit_seconds.
        var general = ""
        var inBracket = false
        for ch in field {
            if ch == "[" {
                inBracket = true
                general += "[*]"
            } else if ch == "]" {
                inBracket = false
            } else if !inBracket {
                general.append(ch)
            }
        }
        return ignoredManifestFields.contains { general == $0 || general.hasPrefix($0 + ".") || general.hasPrefix($0 + "[") }
    }

    /// `path = value` for every scalar; arrays of inputs, models and reference files
    /// keyed by file name, model name, or file and use.
    static func flatten(_ value: JSONValue, path: String = "", into out: inout [String: String]) {
        switch value {
        case .object(let object):
            for (key, child) in object { flatten(child, path: path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let array):
            for (i, element) in array.enumerated() {
                var label = String(i)
                if case .object(let object) = element {
                    if path == "inputs", case .scalar(let p)? = object["path"] {
                        label = (p as NSString).lastPathComponent
                    } else if path == "models", case .scalar(let name)? = object["name"] {
                        label = name
                    } else if path == "reference_files", case .scalar(let name)? = object["name"] {
                        var use = ""
                        if case .scalar(let u)? = object["used_for"] { use = u }
                        label = "\(name) \(use)"
                    }
                }
                flatten(element, path: "\(path)[\(label)]", into: &out)
            }
        case .scalar(let text):
            out[path] = text
        }
    }

    static func flatten(_ value: JSONValue) throws -> [String: String] {
        var out: [String: String] = [:]
        flatten(value, into: &out)
        return out
    }
}

/// A JSON document, decoded without Foundation's type bridging: every scalar kept as
/// the text it will be compared as.
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case array([JSONValue])
    case scalar(String)

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var values: [String: JSONValue] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(values)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .scalar("null")
        } else if let bool = try? single.decode(Bool.self) {
            self = .scalar(bool ? "true" : "false")
        } else if let int = try? single.decode(Int64.self) {
            self = .scalar(String(int))
        } else if let double = try? single.decode(Double.self) {
            self = .scalar(String(double))
        } else {
            self = .scalar(try single.decode(String.self))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
