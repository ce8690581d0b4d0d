#if canImport(Glibc)
import Glibc
#endif
import SPRXCore
import SPRXIngest
import SPRXPipeline

/// What the lookups say about one small area.
public struct AreaInfo: Sendable, Hashable {
    /// Within-nation deprivation decile, 1 = most deprived; 0 when not in the index.
    public var decile: UInt8 = 0
    public var rurality: Rurality = .unknown
    /// Index into ``ReferenceData/ruralityClasses``; -1 when not classified.
    public var ruralityClass: Int16 = -1
    /// Whether the area is in the population catchment and has a population: its
    /// referrals are counted in the population rates.
    public var resident = false
}

/// A reference file the run used, for the manifest.
public struct ReferenceFileInfo: Sendable, Hashable, Codable {
    public var name: String
    public var path: String
    public var edition: String
    public var use: String
    public var sha256: String
    public var rows: Int
}

/// The small-area lookups for one run: each nation's own deprivation index and
/// rurality classification, keyed by area code.
///
/// Loaded once per run and then only read, so one instance is shared by all workers.
/// Deciles are never pooled across nations: an area's decile is the one its own
/// nation's index gives it.
public struct ReferenceData: Sendable {
    public private(set) var areas = FlatTable<ShortCode, AreaInfo>(initial: AreaInfo())
    /// Detailed rurality class names as the classifications publish them.
    public private(set) var ruralityClasses: [String] = []
    public private(set) var files: [ReferenceFileInfo] = []

    /// Reads the lookups the pipeline names.
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` (exit 78), naming the file and
    ///   line, when a lookup is missing, unreadable, not a regular file, corrupt (bad
    ///   gzip), empty or header-only, lists no area of its nation, has a row with an
    ///   empty or overlong area code, lists an area twice (even with equal values: a
    ///   repeated area means the file is not the one publication it claims to be), or
    ///   holds a value out of range.
    public static func load(_ settings: EnrichSettings) throws -> ReferenceData {
        var data = ReferenceData()
        var classIndex: [String: Int16] = [:]
        var loaded: [String: [[String: String]]] = [:]
        var hashes: [String: (String, Int)] = [:]

        func rows(_ file: String, columns: [String]) throws -> [[String: String]] {
            if let cached = loaded[file] { return cached }
            let path = settings.referenceDirectory + "/" + file
            let (table, sha, count) = try readLookup(path: path, name: file, columns: columns)
            loaded[file] = table
            hashes[file] = (sha, count)
            return table
        }

        for source in settings.deprivation {
            let table = try rows(source.file, columns: [source.codeColumn, source.decileColumn])
            var seen = AreaLines(file: source.file, column: source.codeColumn, nation: source.nation)
            for (i, row) in table.enumerated() {
                guard let code = try seen.area(row[source.codeColumn], line: i + 2) else { continue }
                guard let decile = UInt8(row[source.decileColumn] ?? ""), (1...10).contains(decile) else {
                    throw SPRXError(
                        .invalidReference, "decile must be 1-10",
                        location: DataLocation(file: source.file, line: i + 2, column: source.decileColumn))
                }
                data.areas.update(code) { $0.decile = decile }
            }
            try seen.finish()
            data.record(source.file, edition: source.edition, use: "deprivation \(source.nation.label)", hashes[source.file]!, settings)
        }
        for source in settings.rurality {
            let table = try rows(source.file, columns: [source.codeColumn, source.classColumn, source.urbanRuralColumn])
            var seen = AreaLines(file: source.file, column: source.codeColumn, nation: source.nation)
            for (i, row) in table.enumerated() {
                guard let code = try seen.area(row[source.codeColumn], line: i + 2) else { continue }
                let urbanRural = row[source.urbanRuralColumn] ?? ""
                guard let rurality = Rurality(label: urbanRural), rurality != .unknown,
                    rurality != .mixed || source.nation == .northernIreland
                else {
                    throw SPRXError(
                        .invalidReference, "urban/rural class must be Urban or Rural (or Mixed in Northern Ireland)",
                        location: DataLocation(file: source.file, line: i + 2, column: source.urbanRuralColumn))
                }
                let className = row[source.classColumn] ?? ""
                let index: Int16
                if let existing = classIndex[className] {
                    index = existing
                } else {
                    index = Int16(data.ruralityClasses.count)
                    classIndex[className] = index
                    data.ruralityClasses.append(className)
                }
                data.areas.update(code) {
                    $0.rurality = rurality
                    $0.ruralityClass = index
                }
            }
            try seen.finish()
            data.record(source.file, edition: source.edition, use: "rurality \(source.nation.label)", hashes[source.file]!, settings)
        }
        return data
    }

    /// Reads one lookup: a regular file with a header and at least one row. Every
    /// failure, whatever layer found it (open, gzip, CSV), is ``SPRXError/Code/invalidReference``
    /// with the underlying error as its cause.
    static func readLookup(path: String, name: String, columns: [String]) throws -> ([[String: String]], String, Int) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SPRXError(
                .invalidReference, "cannot read reference lookup: \(String(cString: strerror(errno)).lowercased())",
                location: DataLocation(file: path))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SPRXError(.invalidReference, "reference lookup is not a regular file", location: DataLocation(file: path))
        }
        let result: ([[String: String]], String, Int)
        do {
            result = try ReferenceTableReader.read(path: path, columns: columns)
        } catch let error as SPRXError where error.code == .invalidReference {
            throw error
        } catch let error as SPRXError {
            throw SPRXError(
                .invalidReference, "reference lookup cannot be read (\(error.code)): \(error.message)",
                location: error.location ?? DataLocation(file: path), cause: error)
        } catch {
            throw SPRXError(.invalidReference, "reference lookup cannot be read", location: DataLocation(file: path), cause: error)
        }
        guard !result.0.isEmpty else {
            throw SPRXError(.invalidReference, "reference lookup has a header but no rows", location: DataLocation(file: path, line: 2))
        }
        return result
    }

    private mutating func record(_ file: String, edition: String, use: String, _ hash: (String, Int), _ settings: EnrichSettings) {
        if let i = files.firstIndex(where: { $0.name == file && $0.edition == edition }) {
            files[i].use += ", " + use
            return
        }
        files.append(
            ReferenceFileInfo(
                name: file, path: settings.referenceDirectory + "/" + file, edition: edition, use: use, sha256: hash.0, rows: hash.1))
    }

    /// The lookups' answer for an area code, or `nil` if no lookup lists it.
    @inlinable public func info(_ code: ShortCode) -> AreaInfo? { areas[code] }
}

/// The areas one lookup has listed for one nation, to refuse a repeated or empty one.
struct AreaLines {
    let file: String
    let column: String
    let nation: Nation
    /// First line of each area listed so far.
    private var firstLine: [ShortCode: Int] = [:]

    init(file: String, column: String, nation: Nation) {
        self.file = file
        self.column = column
        self.nation = nation
    }

    /// The row's area if it belongs to this lookup's nation, `nil` for another nation's.
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` for an empty or overlong area code
    ///   or one listed before.
    mutating func area(_ text: String?, line: Int) throws -> ShortCode? {
        let value = text ?? ""
        guard let code = ShortCode(value), !code.isDigest else {
            let empty = value.allSatisfy { $0 == " " || $0 == "\t" }
            throw SPRXError(
                .invalidReference,
                empty ? "row has an empty area code" : "area code longer than \(ShortCode.capacity) characters is not a small-area code",
                location: DataLocation(file: file, line: line, column: column))
        }
        guard code.nation == nation else { return nil }
        if let first = firstLine[code] {
            throw SPRXError(
                .invalidReference, "area listed twice (first on line \(first)); a lookup lists each area once",
                location: DataLocation(file: file, line: line, column: column))
        }
        firstLine[code] = line
        return code
    }

    /// - Throws: ``SPRXError/Code/invalidReference`` when the lookup listed no area of its nation.
    func finish() throws {
        guard firstLine.isEmpty else { return }
        throw SPRXError(
            .invalidReference, "reference lookup lists no \(nation.label) area for the pipeline's \(nation.label) entry",
            location: DataLocation(file: file, column: column))
    }
}

/// Reads named columns of a reference CSV (plain or gzip) into memory.
public enum ReferenceTableReader {
    /// - Returns: the rows as column → value, the file's SHA-256 and the row count.
    public static func read(path: String, columns: [String]) throws -> ([[String: String]], String, Int) {
        let (source, file) = try InputOpener.open(path: path)
        let reader = RowBlockReader(source: source, fileName: path)
        guard let header = try reader.readHeader() else {
            throw SPRXError(.invalidReference, "reference file is empty", location: DataLocation(file: path))
        }
        let names = header.names.map { $0.lowercased() }
        var indices: [(String, Int)] = []
        for column in columns {
            guard let i = names.firstIndex(of: column.lowercased()) else {
                throw SPRXError(
                    .invalidReference, "reference file has no column '\(column)'", location: DataLocation(file: path, line: 1, column: column))
            }
            indices.append((column, i))
        }
        var result: [[String: String]] = []
        let scratch = CSVDecodeScratch()
        var blank = 0
        while let block = try reader.next() {
            try block.bytes.withUnsafeBytes { raw in
                try CSVBlockDecoder.forEachRow(in: raw, firstLine: block.firstLine, scratch: scratch, blankLines: &blank) { row in
                    guard row.fieldCount == names.count else {
                        throw SPRXError(
                            .invalidReference, "row has \(row.fieldCount) fields, header has \(names.count)",
                            location: DataLocation(file: path, line: row.line))
                    }
                    var values: [String: String] = [:]
                    for (column, i) in indices { values[column] = row.string(i) }
                    result.append(values)
                }
            }
        }
        return (result, file.finalizeSHA256(), result.count)
    }
}
