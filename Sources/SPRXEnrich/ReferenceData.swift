import Foundation
import SPRXCore
import SPRXIngest
import SPRXPipeline

#if canImport(Glibc)
import Glibc
#endif

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
    /// The area's local authority: an index into ``ReferenceData/localAuthorities``,
    /// 0 when its deprivation lookup names none.
    public var authority: UInt16 = 0
}

/// A small area of the population catchment, with its population from the totals file.
public struct ResidentArea: Sendable, Hashable {
    public var code: ShortCode
    public var population: Int64
}

/// Whole-number population counts as the population files write them.
enum PopulationCount {
    /// The people of one small area: a whole number within ``ReferenceBounds/areaPopulation``.
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` at `file`, `line`, `column` otherwise
    ///   (the message states the bound, never the value).
    static func area(_ field: UnsafeRawBufferPointer, file: String, line: Int, column: String) throws -> Int64 {
        guard let people = parse(field) else {
            throw SPRXError(
                .invalidReference, "population must be a whole number, 0 or more", location: DataLocation(file: file, line: line, column: column))
        }
        guard ReferenceBounds.areaPopulation.contains(people) else {
            throw SPRXError(
                .invalidReference,
                "population of one small area must be \(ReferenceBounds.words(ReferenceBounds.areaPopulation)) (the plausibility bound of population files)",
                location: DataLocation(file: file, line: line, column: column))
        }
        return people
    }

    /// Digits only (surrounding spaces allowed), at most 15 of them; `nil` for anything
    /// else: a sign, a decimal point, an empty field.
    static func parse(_ field: UnsafeRawBufferPointer) -> Int64? {
        let digits = Padding.unpadded(field)
        return DecimalDigits.parse(UnsafeRawBufferPointer(rebasing: field[digits]), maxDigits: 15).map(Int64.init)
    }
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
    /// The catchment's areas with a population, in the totals file's order; empty when
    /// the pipeline computes no population rates.
    public private(set) var residents: [ResidentArea] = []
    /// The local authorities the deprivation lookups' `local_authority_columns` name
    /// (code and name, as `name (code)` when both are given), by ``AreaInfo/authority``;
    /// index 0 is "none named".
    public private(set) var localAuthorities: [String] = [""]

    /// Reads the lookups the pipeline names.
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` (exit 78), naming the file and
    ///   line, when a lookup is missing, unreadable, not a regular file, corrupt (bad
    ///   gzip), empty or header-only, lists no area of its nation, has a row with an
    ///   empty or overlong area code, lists an area twice (even with equal values: a
    ///   repeated area means the file is not the one publication it claims to be), or
    ///   holds a value out of range; and, for the pipeline's population, when the
    ///   totals file is missing (for the default population, saying how to switch it
    ///   off), lists an area that is not a UK small area or lists one twice, holds a
    ///   population that is not a whole number within ``ReferenceBounds/areaPopulation``, or lacks areas of the catchment's
    ///   local authorities; or when a catchment's local authority is in no lookup.
    ///
    /// Catchment areas (a population of 0 included) are marked ``AreaInfo/resident`` (an area no
    /// lookup lists is added, its decile and rurality Unknown) and listed in
    /// ``residents``; ``PopulationLoader/denominators(_:reference:)`` sums them per group.
    public static func load(_ settings: EnrichSettings) throws -> ReferenceData {
        var data = ReferenceData()
        var classIndex: [String: Int16] = [:]
        var loaded: [String: [[String: String]]] = [:]
        var hashes: [String: (String, Int)] = [:]

        // Every lookup the load reads (deprivation, then rurality, as below), read side by
        // side first: each is a gzip CSV of tens of thousands of rows, and reading them
        // one after another was most of a small run's start. Each read's outcome, error
        // included, is taken up in the same order below, so a bad file fails the load
        // with the same error as before.
        func key(_ file: String, _ columns: [String]) -> String { ([file] + columns).joined(separator: "\u{0}") }
        var requests: [(file: String, columns: [String])] = []
        for (file, columns) in settings.deprivation.map({ ($0.file, [$0.codeColumn, $0.decileColumn] + $0.localAuthorityColumns) })
            + settings.rurality.map({ ($0.file, [$0.codeColumn, $0.classColumn, $0.urbanRuralColumn]) })
        where !requests.contains(where: { key($0.file, $0.columns) == key(file, columns) }) {
            requests.append((file, columns))
        }
        let (directory, toRead) = (settings.referenceDirectory, requests)
        let results = concurrentMap(count: toRead.count) { index in
            let request = toRead[index]
            return Result { try readLookup(path: directory + "/" + request.file, name: request.file, columns: request.columns) }
        }
        var read: [String: Result<([[String: String]], String, Int), any Error>] = [:]
        for (index, request) in requests.enumerated() { read[key(request.file, request.columns)] = results[index] }

        func rows(_ file: String, columns: [String]) throws -> [[String: String]] {
            let key = key(file, columns)
            if let cached = loaded[key] { return cached }
            let (table, sha, count) =
                try read[key]?.get() ?? readLookup(path: settings.referenceDirectory + "/" + file, name: file, columns: columns)
            loaded[key] = table
            hashes[file] = (sha, count)
            return table
        }

        // A catchment of local authorities: the areas the deprivation lookups place in them.
        var authorities: Set<String> = []  // lower-cased
        if case .localAuthorities(let names)? = settings.population?.catchment { authorities = Set(names.map { $0.lowercased() }) }
        var authorityAreas: Set<ShortCode> = []
        var authoritiesFound: Set<String> = []

        // Every area's local authority, by its display name (for a run's catchment warning).
        var authorityIndex: [String: UInt16] = [:]
        for source in settings.deprivation {
            let laColumns = source.localAuthorityColumns
            let table = try rows(source.file, columns: [source.codeColumn, source.decileColumn] + laColumns)
            var seen = AreaLines(file: source.file, column: source.codeColumn, nation: source.nation)
            for (i, row) in table.enumerated() {
                guard let code = try seen.area(row[source.codeColumn], line: i + 2) else { continue }
                guard let decile = UInt8(row[source.decileColumn] ?? ""), ReferenceBounds.decile.contains(decile) else {
                    throw SPRXError(
                        .invalidReference, "decile must be a whole number \(ReferenceBounds.words(ReferenceBounds.decile))",
                        location: DataLocation(file: source.file, line: i + 2, column: source.decileColumn))
                }
                let names = laColumns.map { (row[$0] ?? "").trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                var authority: UInt16 = 0
                if let last = names.last {
                    let display = names.count > 1 && names.first != last ? "\(last) (\(names[0]))" : last
                    if let known = authorityIndex[display] {
                        authority = known
                    } else if data.localAuthorities.count < Int(UInt16.max) {
                        authority = UInt16(data.localAuthorities.count)
                        authorityIndex[display] = authority
                        data.localAuthorities.append(display)
                    }
                }
                data.areas.update(code) {
                    $0.decile = decile
                    $0.authority = authority
                }
                for column in laColumns where !authorities.isEmpty {
                    let key = (row[column] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
                    guard authorities.contains(key) else { continue }
                    authorityAreas.insert(code)
                    authoritiesFound.insert(key)
                }
            }
            try seen.finish()
            data.record(source.file, edition: source.edition, use: "deprivation \(source.nation.label)", hashes[source.file]!, settings)
        }
        if case .localAuthorities(let names)? = settings.population?.catchment,
            let unknown = names.first(where: { !authoritiesFound.contains($0.lowercased()) })
        {
            let lookups = settings.deprivation.filter { !$0.localAuthorityColumns.isEmpty }
            let searched = lookups.map { "\($0.file) (\($0.localAuthorityColumns.joined(separator: ", ")))" }.joined(separator: "; ")
            throw SPRXError(
                .invalidReference,
                "population catchment names the local authority '\(unknown)', which no deprivation lookup lists (searched \(searched))",
                location: DataLocation(file: lookups.first?.file ?? settings.referenceDirectory))
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
        if let population = settings.population {
            try data.loadResidents(population, settings: settings, authorityAreas: authorities.isEmpty ? nil : authorityAreas)
        }
        return data
    }

    /// Reads the population totals and marks each catchment area as resident (an
    /// estimate of 0 included) (adding areas no lookup lists: their decile and rurality stay Unknown).
    ///
    /// - Parameter authorityAreas: the areas of the catchment's local authorities, or
    ///   `nil` for every area.
    private mutating func loadResidents(_ population: PopulationSettings, settings: EnrichSettings, authorityAreas: Set<ShortCode>?) throws {
        let source = population.totals
        let path = settings.referenceDirectory + "/" + source.file
        var info = stat()
        if population.isDefault, stat(path, &info) != 0, errno == ENOENT {
            throw SPRXError(
                .invalidReference,
                "the default population file \(source.file) is not in the reference folder: copy it there (sprx ships it in SampleData/reference), or write `population: none` in the pipeline to compute no population rates",
                location: DataLocation(file: path))
        }
        var seen = FirstLines(rule: "a population file lists each area once")
        var found: [ResidentArea] = []
        let (sha, count) = try Self.scanLookup(path: path, name: source.file, columns: [source.codeColumn, source.populationColumn]) {
            row, columns in
            guard let code = ShortCode(normalising: row[columns[0]]), !code.isDigest, code.nation != .unknown else {
                throw SPRXError(
                    .invalidReference, "area code is not a UK small-area code (E01, W01, S01 or 95)",
                    location: DataLocation(file: source.file, line: row.line, column: source.codeColumn))
            }
            try seen.note(code, line: row.line, file: source.file, column: source.codeColumn)
            let people = try PopulationCount.area(row[columns[1]], file: source.file, line: row.line, column: source.populationColumn)
            // An area whose estimate is 0 is still in the catchment: its referrals count in
            // the rates' numerators (one referral, one count), its 0 adds to no denominator.
            if authorityAreas?.contains(code) ?? true { found.append(ResidentArea(code: code, population: people)) }
        }
        if let authorityAreas {
            let missing = authorityAreas.filter { !seen.contains($0) }.sorted()
            if let first = missing.first {
                throw SPRXError(
                    .invalidReference,
                    "\(missing.count) small area\(missing.count == 1 ? "" : "s") of the catchment's local authorities \(missing.count == 1 ? "is" : "are") not in the population file (first: \(first)); the population must be for the deprivation lookups' areas",
                    location: DataLocation(file: source.file, column: source.codeColumn))
            }
        }
        for area in found { areas.update(area.code) { $0.resident = true } }
        residents = found
        record(source.file, edition: source.edition, use: "population totals (\(population.edition))", (sha, count), settings)
    }

    /// Reads one lookup: a regular file with a header and at least one row. Every
    /// failure, whatever layer found it (open, gzip, CSV), is ``SPRXError/Code/invalidReference``
    /// with the underlying error as its cause.
    static func readLookup(path: String, name: String, columns: [String]) throws -> ([[String: String]], String, Int) {
        var table: [[String: String]] = []
        let (sha, count) = try scanLookup(path: path, name: name, columns: columns) { row, indices in
            table.append(ReferenceTableReader.values(of: row, columns: columns, indices: indices))
        }
        return (table, sha, count)
    }

    /// Streams one lookup through `body` (the row, and the indices of `columns` in it),
    /// with the checks of ``readLookup(path:name:columns:)``.
    ///
    /// - Returns: the file's SHA-256 and its row count.
    static func scanLookup(
        path: String, name: String, columns: [String], _ body: (CSVRow, [Int]) throws -> Void
    ) throws -> (String, Int) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SPRXError(
                .invalidReference, "cannot read reference lookup: \(String(cString: strerror(errno)).lowercased())",
                location: DataLocation(file: path))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SPRXError(.invalidReference, "reference lookup is not a regular file", location: DataLocation(file: path))
        }
        let result: (String, Int)
        do {
            result = try ReferenceTableReader.scan(path: path, columns: columns, body)
        } catch let error as SPRXError where error.code == .invalidReference {
            throw error
        } catch let error as SPRXError {
            throw SPRXError(
                .invalidReference, "reference lookup cannot be read (\(error.code)): \(error.message)",
                location: error.location ?? DataLocation(file: path), cause: error)
        } catch {
            throw SPRXError(.invalidReference, "reference lookup cannot be read", location: DataLocation(file: path), cause: error)
        }
        guard result.1 > 0 else {
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

/// The line each area of a reference file was first listed on, to refuse an area listed
/// twice: the one check every lookup and population file makes.
struct FirstLines {
    /// The rule the message states ("a lookup lists each area once").
    let rule: String
    private(set) var lines = FlatTable<ShortCode, Int64>(initial: 0, minimumCapacity: 1 << 12)

    init(rule: String) { self.rule = rule }

    var isEmpty: Bool { lines.count == 0 }

    /// Whether `code` has been listed.
    func contains(_ code: ShortCode) -> Bool { lines[code] != nil }

    /// Notes that `code` is listed on `line`.
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` at `file`, `line`, `column` when it was listed before.
    mutating func note(_ code: ShortCode, line: Int, file: String, column: String) throws {
        let first = lines.update(code) { value -> Int64 in
            let earlier = value
            if earlier == 0 { value = Int64(line) }
            return earlier
        }
        guard first != 0 else { return }
        throw SPRXError(
            .invalidReference, "area listed twice (first on line \(first)); \(rule)",
            location: DataLocation(file: file, line: line, column: column))
    }
}

/// The areas one lookup has listed for one nation, to refuse a repeated or empty one.
struct AreaLines {
    let file: String
    let column: String
    let nation: Nation
    /// First line of each area listed so far.
    private var firstLine = FirstLines(rule: "a lookup lists each area once")

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
        try firstLine.note(code, line: line, file: file, column: column)
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

/// Reads named columns of a reference CSV (plain or gzip).
public enum ReferenceTableReader {
    /// Reads the columns into memory.
    ///
    /// - Returns: the rows as column → value, the file's SHA-256 and the row count.
    public static func read(path: String, columns: [String]) throws -> ([[String: String]], String, Int) {
        var result: [[String: String]] = []
        let (sha, count) = try scan(path: path, columns: columns) { row, indices in
            result.append(values(of: row, columns: columns, indices: indices))
        }
        return (result, sha, count)
    }

    /// One row's `columns` as column → value (`indices` as ``scan(path:columns:_:)`` gives them).
    static func values(of row: CSVRow, columns: [String], indices: [Int]) -> [String: String] {
        var values: [String: String] = [:]
        for (column, i) in zip(columns, indices) { values[column] = row.string(i) }
        return values
    }

    /// Streams the rows through `body`, which gets each row (valid only during the call)
    /// and the indices of `columns` in it; nothing is kept per row, so a large file costs
    /// one block of memory.
    ///
    /// - Returns: the file's SHA-256 and the row count.
    /// - Throws: ``SPRXError/Code/invalidReference`` for an empty file, a missing column,
    ///   a row whose field count differs from the header's, a row longer than
    ///   ``InputLimits/maxRowBytes`` or a field longer than ``ReferenceBounds/maxFieldBytes``
    ///   (each naming the line, and the field's column; a reference row is never skipped);
    ///   what `body` throws.
    public static func scan(path: String, columns: [String], _ body: (CSVRow, [Int]) throws -> Void) throws -> (String, Int) {
        let (source, file) = try InputOpener.open(path: path)
        let reader = RowBlockReader(source: source, fileName: path)
        guard let header = try reader.readHeader() else {
            throw SPRXError(.invalidReference, "reference file is empty", location: DataLocation(file: path))
        }
        let names = header.names.map { $0.lowercased() }
        var indices: [Int] = []
        for column in columns {
            guard let i = names.firstIndex(of: column.lowercased()) else {
                throw SPRXError(
                    .invalidReference, "reference file has no column '\(column)'", location: DataLocation(file: path, line: 1, column: column))
            }
            indices.append(i)
        }
        let scratch = CSVDecodeScratch()
        var blank = 0
        var count = 0
        while let block = try reader.next() {
            try block.bytes.withUnsafeBytes { raw in
                try CSVBlockDecoder.forEachRow(in: raw, firstLine: block.firstLine, scratch: scratch, blankLines: &blank) { row in
                    guard row.fieldCount == names.count else {
                        throw SPRXError(
                            .invalidReference, "row has \(row.fieldCount) fields, header has \(names.count)",
                            location: DataLocation(file: path, line: row.line))
                    }
                    for i in 0..<row.fieldCount where row[i].count > ReferenceBounds.maxFieldBytes {
                        throw SPRXError(
                            .invalidReference, "field is longer than the \(ReferenceBounds.maxFieldBytes) bytes a reference field may hold",
                            location: DataLocation(file: path, line: row.line, column: header.names[i]))
                    }
                    try body(row, indices)
                    count += 1
                }
            }
            if let skipped = block.rowTooLong {
                throw SPRXError(
                    .invalidReference, "row is longer than the \(InputLimits.maxRowBytes) bytes sprx reads (a file without line ends, or an unclosed quote)",
                    location: DataLocation(file: path, line: skipped.line))
            }
        }
        return (file.finalizeSHA256(), count)
    }
}
