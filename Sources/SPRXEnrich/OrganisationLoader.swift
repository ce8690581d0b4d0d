import SPRXCore
import SPRXIngest
import SPRXPipeline

#if canImport(Glibc)
import Glibc
#endif

/// Reads the pipeline's `organisations:` files: the organisation lookup
/// (``OrganisationDirectory``) and the four link worker provision files (``ProvisionData``).
///
/// Every file is streamed once through ``ReferenceTableReader`` with the checks every
/// lookup gets (a regular file, a header, at least one row, every row as wide as the
/// header); nothing but the values the tables use is kept. Every failure is
/// ``SPRXError/Code/invalidReference`` (exit 78) naming the file, the line and the
/// column, and never quotes a value.
public enum OrganisationLoader {
    /// The lookup's columns: `code`, `name` and `type` required, the parent's optional.
    public static let lookupColumns = ["code", "name", "type"]
    public static let lookupParentColumns = ["parent_code", "parent_name", "parent_type"]

    /// Reads what the pipeline's `organisations` section names (nothing without one).
    ///
    /// - Returns: the directory, the provision data and every file read, for the manifest.
    public static func load(_ settings: OrganisationSettings?, referenceDirectory: String) throws -> (
        directory: OrganisationDirectory?, provision: ProvisionData?, files: [ReferenceFileInfo]
    ) {
        var files: [ReferenceFileInfo] = []
        var directory: OrganisationDirectory? = nil
        if let lookup = settings?.lookup {
            let (loaded, info) = try Self.directory(lookup)
            directory = loaded
            files.append(info)
        }
        let provision = try settings?.provision.map { try Self.provision($0, referenceDirectory: referenceDirectory) }
        files += provision?.files ?? []
        return (directory, provision, files)
    }

    /// Reads the organisation lookup.
    ///
    /// Codes are matched as ``ShortCode`` normalises `organisation_id` (trimmed of spaces,
    /// upper-cased), and so are the parents' codes; a code longer than
    /// ``ShortCode/capacity`` characters is refused (it could only be matched and shown by
    /// its digest).
    ///
    /// - Returns: the directory and the file for the manifest.
    /// - Throws: ``SPRXError/Code/invalidReference`` for a file that cannot be read, a
    ///   missing column, an empty or too long code, or a code listed twice (naming both lines).
    public static func directory(_ source: OrganisationLookupSource) throws -> (OrganisationDirectory, ReferenceFileInfo) {
        let present = headerNames(path: source.path)
        let parents = lookupParentColumns.filter { present.contains($0) }
        let columns = lookupColumns + parents
        var organisations: [String: OrganisationInfo] = [:]
        var lines = FirstLines(rule: "an organisation lookup lists each code once")
        let (sha, rows) = try ReferenceData.scanLookup(path: source.path, name: source.path, columns: columns) { row, indices in
            guard let code = ShortCode(normalising: row[indices[0]]) else {
                throw SPRXError(
                    .invalidReference, "row has an empty organisation code", location: DataLocation(file: source.path, line: row.line, column: "code"))
            }
            // A code is published as written: longer ones would be matched and shown by digest.
            for (column, i) in [("code", 0)] + (parents.contains("parent_code") ? [("parent_code", columns.firstIndex(of: "parent_code")!)] : []) {
                if let other = ShortCode(normalising: row[indices[i]]), other.isDigest {
                    throw SPRXError(
                        .invalidReference, "an organisation code has at most \(ShortCode.capacity) characters",
                        location: DataLocation(file: source.path, line: row.line, column: column))
                }
            }
            do {
                try lines.note(code, line: row.line, file: source.path, column: "code")
            } catch let error as SPRXError {
                throw SPRXError(
                    error.code, error.message.replacingOccurrences(of: "area listed twice", with: "organisation code listed twice"), location: error.location)
            }
            func value(_ column: String) -> String {
                guard let i = columns.firstIndex(of: column) else { return "" }
                return row.string(indices[i]).trimmingCharacters(in: .whitespaces)
            }
            let parent = ShortCode(value("parent_code")).map(\.description) ?? ""
            organisations[code.description] = OrganisationInfo(
                code: code.description, name: value("name"), type: value("type"), parentCode: parent, parentName: value("parent_name"),
                parentType: value("parent_type"))
        }
        let name = source.path.split(separator: "/").last.map(String.init) ?? source.path
        let info = ReferenceFileInfo(name: name, path: source.path, edition: source.edition, use: "organisation lookup", sha256: sha, rows: rows)
        return (OrganisationDirectory(organisations: organisations, edition: source.edition), info)
    }

    /// Reads the four provision files from `referenceDirectory`.
    ///
    /// - Workforce: `census_date`, `pcn_code`, `pcn_name`, `splw_fte` (a number within
    ///   ``ReferenceBounds/networkFTE``).
    /// - Registered patients: `extract_date`, `pcn_code`, `pcn_name`, `registered_patients`.
    /// - Practices: `extract_date`, `practice_code`, `pcn_code`, `pcn_name`,
    ///   `registered_patients`; only the latest extract is kept (`pcn_code` `U` is a
    ///   practice in no network).
    /// - Practice deprivation: `practice_code`, `imd2019_score` (an empty score is a
    ///   practice without one).
    ///
    /// - Throws: ``SPRXError/Code/invalidReference`` for a file that cannot be read, a
    ///   missing column, an empty code, a date that is not `YYYY-MM-DD`, a number that
    ///   is not one or lies outside its ``ReferenceBounds`` (FTE, patients of a PCN or a
    ///   practice, IMD score), or a row repeating a network's date (a practice's extract, a
    ///   practice's score).
    public static func provision(_ settings: ProvisionSettings, referenceDirectory: String) throws -> ProvisionData {
        var networks: [String: ProvisionData.Network] = [:]
        var nameDates: [String: Day] = [:]
        func name(_ code: String, _ name: String, at date: Day) {
            if networks[code] == nil { networks[code] = ProvisionData.Network(name: name) }
            if let seen = nameDates[code], seen > date { return }
            nameDates[code] = date
            // safe: set at the top of this function when missing
            if !name.isEmpty { networks[code]!.name = name }
        }
        var files: [ReferenceFileInfo] = []
        func path(_ file: NamedReferenceFile) -> String { referenceDirectory + "/" + file.file }
        func record(_ file: NamedReferenceFile, _ use: String, _ scanned: (String, Int)) {
            files.append(ReferenceFileInfo(name: file.file, path: path(file), edition: file.edition, use: use, sha256: scanned.0, rows: scanned.1))
        }

        // Workforce: FTE per network and census date.
        let workforce = settings.workforce
        var censusDates: Set<Day> = []
        record(
            workforce, "link worker FTE per PCN",
            try ReferenceData.scanLookup(path: path(workforce), name: workforce.file, columns: ["census_date", "pcn_code", "pcn_name", "splw_fte"]) {
                row, i in
                let field = Fields(row: row, indices: i, file: workforce.file, columns: ["census_date", "pcn_code", "pcn_name", "splw_fte"])
                let date = try field.day(0)
                let code = try field.code(1)
                let fte = try field.number(3, within: ReferenceBounds.networkFTE, "link worker FTE of one PCN")
                name(code, field.text(2), at: date)
                // safe: name(code:) on the line above adds the network when missing
                guard networks[code]!.fte.updateValue(fte, forKey: date) == nil else { throw field.repeated("a PCN and census date", 1) }
                censusDates.insert(date)
            })

        // Registered patients per network and extract.
        let registration = settings.registeredPatients
        var extractDates: Set<Day> = []
        let registrationColumns = ["extract_date", "pcn_code", "pcn_name", "registered_patients"]
        record(
            registration, "registered patients per PCN",
            try ReferenceData.scanLookup(path: path(registration), name: registration.file, columns: registrationColumns) { row, i in
                let field = Fields(row: row, indices: i, file: registration.file, columns: registrationColumns)
                let date = try field.day(0)
                let code = try field.code(1)
                let patients = try field.count(3, within: ReferenceBounds.networkPatients, "registered patients of one PCN")
                name(code, field.text(2), at: date)
                // safe: name(code:) on the line above adds the network when missing
                guard networks[code]!.registeredPatients.updateValue(patients, forKey: date) == nil else {
                    throw field.repeated("a PCN and extract date", 1)
                }
                extractDates.insert(date)
            })

        // Practices: membership and list sizes per extract; the latest kept.
        let practiceFile = settings.practices
        var byExtract: [Day: [String: ProvisionData.Practice]] = [:]
        var practiceNames: [String: (name: String, date: Day)] = [:]
        let practiceColumns = ["extract_date", "practice_code", "pcn_code", "pcn_name", "registered_patients"]
        record(
            practiceFile, "GP practice to PCN with list sizes",
            try ReferenceData.scanLookup(path: path(practiceFile), name: practiceFile.file, columns: practiceColumns) { row, i in
                let field = Fields(row: row, indices: i, file: practiceFile.file, columns: practiceColumns)
                let date = try field.day(0)
                let practice = try field.code(1)
                let network = try field.code(2)
                let patients = try field.count(4, within: ReferenceBounds.practicePatients, "registered patients of one practice")
                let member = network == unallocatedNetwork ? nil : network
                if let member, practiceNames[member].map({ $0.date <= date }) ?? true { practiceNames[member] = (field.text(3), date) }
                guard
                    byExtract[date, default: [:]].updateValue(
                        ProvisionData.Practice(network: member, registeredPatients: patients, imdScore: nil), forKey: practice) == nil
                else { throw field.repeated("a practice and extract date", 1) }
            })
        guard let latest = byExtract.keys.max() else {
            throw SPRXError(.invalidReference, "practice lookup lists no practice", location: DataLocation(file: practiceFile.file))
        }
        // safe: latest is one of byExtract's keys
        var practices = byExtract[latest]!
        for (code, entry) in practiceNames.sorted(by: { $0.key < $1.key }) { name(code, entry.name, at: entry.date) }

        // Practice deprivation scores.
        let deprivation = settings.practiceDeprivation
        var scored: Set<String> = []
        record(
            deprivation, "GP practice IMD 2019 score",
            try ReferenceData.scanLookup(path: path(deprivation), name: deprivation.file, columns: ["practice_code", "imd2019_score"]) { row, i in
                let field = Fields(row: row, indices: i, file: deprivation.file, columns: ["practice_code", "imd2019_score"])
                let practice = try field.code(0)
                guard scored.insert(practice).inserted else { throw field.repeated("a practice", 0) }
                guard !field.isBlank(1) else { return }
                let score = try field.number(1, within: ReferenceBounds.practiceIMDScore, "a practice's IMD 2019 score")
                practices[practice]?.imdScore = score
            })

        return ProvisionData(
            networks: networks, practices: practices, censusDates: censusDates.sorted(), extractDates: extractDates.sorted(),
            practiceExtract: latest, files: files)
    }

    /// The `pcn_code` of a practice in no network.
    public static let unallocatedNetwork = "U"

    /// The header's column names (lower-cased), for a file whose columns are partly
    /// optional; empty when the header cannot be read (the scan that follows then
    /// reports why, with the messages every lookup gives).
    static func headerNames(path: String) -> [String] {
        // A regular file only: a FIFO would be drained here (the scan refuses it anyway).
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, let opened = try? InputOpener.open(path: path),
            let header = try? RowBlockReader(source: opened.0, fileName: path).readHeader()
        else { return [] }
        return header.names.map { $0.lowercased() }
    }
}

/// One row's fields of a provision file, read with errors naming file, line and column.
private struct Fields {
    let row: CSVRow
    let indices: [Int]
    let file: String
    let columns: [String]

    func fail(_ message: String, _ column: Int) -> SPRXError {
        SPRXError(.invalidReference, message, location: DataLocation(file: file, line: row.line, column: columns[column]))
    }

    /// The field's bytes without surrounding spaces and tabs (no Foundation trimming: the
    /// four files have 60,000 rows, read while referrals are counted).
    func bytes(_ column: Int) -> Slice<UnsafeRawBufferPointer> {
        let field = row[indices[column]]
        return field[Padding.unpadded(field)]
    }

    func text(_ column: Int) -> String { String(decoding: bytes(column), as: UTF8.self) }

    func isBlank(_ column: Int) -> Bool { Padding.unpadded(row[indices[column]]).isEmpty }

    /// A code, upper-cased; refused when empty.
    func code(_ column: Int) throws -> String {
        let field = bytes(column)
        guard !field.isEmpty else { throw fail("row has an empty code", column) }
        // Codes are ASCII: upper-cased byte by byte, as ShortCode does.
        return String(decoding: field.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// A `YYYY-MM-DD` date.
    func day(_ column: Int) throws -> Day {
        let field = Array(bytes(column))
        func number(_ range: Range<Int>) -> Int? { DecimalDigits.parse(field[range], maxDigits: range.count) }
        guard field.count == 10, field[4] == 0x2D, field[7] == 0x2D, let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
            let day = Day(year: y, month: m, day: d)
        else { throw fail("date must be written YYYY-MM-DD", column) }
        return day
    }

    /// A decimal number within `bounds` (`what` names it in the message; never the value).
    func number(_ column: Int, within bounds: ClosedRange<Double>, _ what: String) throws -> Double {
        guard let value = Double(text(column)), value.isFinite else { throw fail("value must be a number", column) }
        guard bounds.contains(value) else { throw fail("\(what) must be \(ReferenceBounds.words(bounds)) (its plausibility bound)", column) }
        return value
    }

    /// A whole number within `bounds` (`what` names it in the message; never the value).
    func count(_ column: Int, within bounds: ClosedRange<Int64>, _ what: String) throws -> Int64 {
        guard let value = PopulationCount.parse(row[indices[column]]) else { throw fail("registered patients must be a whole number, 0 or more", column) }
        guard bounds.contains(value) else { throw fail("\(what) must be \(ReferenceBounds.words(bounds)) (its plausibility bound)", column) }
        return value
    }

    func repeated(_ what: String, _ column: Int) -> SPRXError { fail("\(what) listed twice; the file lists each once", column) }
}
