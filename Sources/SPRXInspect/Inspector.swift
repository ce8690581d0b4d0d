import Foundation
import SPRXCore
import SPRXEnrich
import SPRXIngest
import SPRXPipeline

/// What `sprx inspect` is asked to look at.
public struct InspectOptions: Sendable {
    public var inputs: [String]
    /// A pipeline to judge the export against; without one, fields are only suggested.
    public var pipelinePath: String?
    /// The reference folder for area matching when no pipeline names one (or to override it).
    public var referenceDirectory: String?

    public init(inputs: [String], pipelinePath: String? = nil, referenceDirectory: String? = nil) {
        self.inputs = inputs
        self.pipelinePath = pipelinePath
        self.referenceDirectory = referenceDirectory
    }
}

/// One column of the export across all files: its header and its values' profile.
public struct InspectedColumn: Sendable {
    /// The header as first written (not escaped: escape before printing); for a file
    /// without a header row, `(column N)`.
    public var header: String
    public var profile: ColumnProfile
    /// True when the column is known only by its position: its file seems to have no
    /// header row, so `header` is no name a pipeline can map.
    public var positional = false
}

/// What one input file is: its container and text shape and its size in rows.
public struct InspectedFile: Sendable, Codable {
    /// The path as given, escaped for printing.
    public var name: String
    public var compression: String
    public var encoding: SniffedEncoding
    public var delimiter: SniffedDelimiter
    public var lineEnds: SniffedLineEnds
    public var headerColumns: Int
    /// True when the first row looks like data (``InspectionPrivacy/rowLooksLikeData(_:)``):
    /// it is counted as a row and never shown, and its columns are known by position.
    public var headerless = false
    /// Data rows (blank lines not counted); `nil` when the values could not be read yet.
    public var rows: Int?
    /// Rows with more or fewer fields than the header (quarantined by a run).
    public var raggedRows: Int?
    /// Why the values were not read, if they were not.
    public var note: String?
}

/// Everything `sprx inspect` found, before the privacy rules choose what is shown.
public struct Inspection: Sendable {
    public var files: [InspectedFile]
    public var columns: [InspectedColumn]
    /// The pipeline judged against, if any.
    public var pipeline: PipelineConfiguration?
    /// The settings used for date windows and reference files: the pipeline's, or the defaults.
    public var settings: PipelineConfiguration
    /// The reference folder areas were matched against, or `nil` when none was found.
    public var referenceDirectory: String?
    /// Which column each canonical field is: under the pipeline, or guessed.
    public var fieldColumns: [CanonicalField: Int]
    /// For each field, whether its column came from the pipeline, a header name or values.
    public var fieldEvidence: [CanonicalField: String]
    /// Columns a pipeline does not map, with the field their header name suggests.
    public var suggestions: [Int: CanonicalField] = [:]
    /// The local authorities of the reference folder's lookups, or `nil` without one.
    public var places: AreaAuthorities?
    /// What the pipeline's clean stage makes of every row (only with a pipeline).
    public var check: QuarantineCheck?
}

/// Reads exports row by row and profiles every column, with bounded memory.
public enum Inspector {
    /// Distinct labels kept over all columns; each column gets its share, at least 50
    /// and at most ``InputLimits/maxDistinctUnmappedLabelsPerField``.
    public static let maxDistinctLabelsInAll = 250_000

    /// Inspects the inputs.
    ///
    /// - Throws: ``SPRXError`` for inputs that cannot be found or read (66), are not CSV
    ///   text (65), or a pipeline or reference folder that is invalid (78).
    public static func inspect(_ options: InspectOptions) throws -> Inspection {
        // The reference folder in sprx's one lookup order (ReferenceLookup): --reference-dir,
        // SPRX_REFERENCE_DIR, the pipeline's reference_dir (without a pipeline, the current
        // folder's SampleData/reference), the installed default. Without any, inspect still
        // runs; it cannot then say which area codes the lookups hold.
        let pipeline = try options.pipelinePath.map { try PipelineLoader.load(path: $0, referenceDirectory: options.referenceDirectory) }
        var settings = try pipeline ?? DraftPipeline.defaults(referenceDirectory: "reference")
        let referenceDirectory: String?
        if pipeline != nil {
            referenceDirectory = settings.enrich.referenceDirectory
        } else if options.referenceDirectory != nil || ProcessInfo.processInfo.environment[ReferenceLookup.environmentVariable] != nil {
            referenceDirectory = try ReferenceLookup.resolve(option: options.referenceDirectory, fallback: nil).path
        } else {
            referenceDirectory = try? ReferenceLookup.resolve(option: nil, fallback: ("SampleData/reference", .currentFolder)).path
        }
        var reference: ReferenceData?
        var places: AreaAuthorities?
        if let referenceDirectory, InputKind.of(referenceDirectory) == .folder {
            settings.enrich.referenceDirectory = referenceDirectory
            // Inspect places areas; it counts no rates, so it needs no population file.
            settings.enrich.population = nil
            reference = try ReferenceData.load(settings.enrich)
            places = try AreaAuthorities.load(settings.enrich)
        }
        let window = (settings.dateFrom ?? Day(daysSinceEpoch: Int32.min))...(settings.dateTo ?? Day(daysSinceEpoch: Int32.max))

        var files: [InspectedFile] = []
        var columns: [InspectedColumn] = []
        var columnByName: [String: Int] = [:]
        for path in try InputResolver.resolve(options.inputs) {
            // Opened once and sniffed from the same descriptor, so a pipe loses nothing.
            let head = try openSniffing(path)
            let sniff = ExportSniff.sniff(head.bytes)
            var facts = InspectedFile(
                name: DisplayText.escaped(path), compression: head.gzip ? "gzip" : "none", encoding: sniff.encoding,
                delimiter: sniff.delimiter, lineEnds: sniff.lineEnds, headerColumns: 0)
            // Read as sprx run would with the sniffed `input.encoding` and `input.delimiter`.
            let encoding: TextEncoding
            switch sniff.encoding {
            case .utf16LE, .utf16BE: encoding = .utf16
            case .windows1252: encoding = .windows1252
            case .utf8, .utf8BOM: encoding = .utf8
            }
            let delimiter = sniff.delimiter.field
            let source = try InputOpener.text(
                head.source, head: head.bytes, encoding: encoding, path: path, what: head.gzip ? "gzip file holds" : "file is")
            let reader = RowBlockReader(source: source, fileName: path, delimiter: delimiter)
            guard let (header, _) = try reader.readHeader() else {
                facts.rows = 0
                facts.note = "empty file"
                files.append(facts)
                continue
            }
            facts.headerColumns = header.count
            // A first row that looks like data is no header: it is never echoed, and its
            // columns are named by position (and not merged with another file's by name).
            let headerless = InspectionPrivacy.rowLooksLikeData(header)
            facts.headerless = headerless
            let names = headerless ? header.indices.map { "(column \($0 + 1))" } : header
            let indices = names.map { column($0, &columns, &columnByName, window: window, total: header.count, positional: headerless) }
            var local = indices.map { columns[$0].profile }
            for i in local.indices { local[i] = ColumnProfile(maxDistinct: local[i].maxDistinct, window: window) }
            var rows = 0, ragged = 0, blank = 0
            if headerless {
                rows += 1
                for (i, cell) in header.enumerated() { Array(cell.utf8).withUnsafeBytes { local[i].add($0, reference: reference, places: places) } }
            }
            let scratch = CSVDecodeScratch()
            while let block = try reader.next() {
                try block.bytes.withUnsafeBytes { bytes in
                    try CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, delimiter: delimiter, scratch: scratch, blankLines: &blank) { row in
                        rows += 1
                        if row.fieldCount != header.count { ragged += 1 }
                        for i in 0..<min(row.fieldCount, header.count) { local[i].add(row[i], reference: reference, places: places) }
                    }
                }
                if block.rowTooLong != nil {
                    rows += 1
                    ragged += 1
                }
            }
            for (i, index) in indices.enumerated() { columns[index].profile.merge(local[i]) }
            facts.rows = rows
            facts.raggedRows = ragged
            let notUTF8 = local.reduce(0) { $0 + $1.notUTF8 }
            let utf8 = local.reduce(0) { $0 + $1.utf8NonASCII }
            if notUTF8 > 0 && (sniff.encoding == .utf8 || sniff.encoding == .utf8BOM) {
                // The first bytes were UTF-8 but later ones are not. With no UTF-8 beyond
                // ASCII anywhere and more than a stray row or two, it is most likely
                // Windows-1252; otherwise a few corrupt values in a UTF-8 file.
                if utf8 == 0 && notUTF8 * 100 > rows {
                    facts.encoding = .windows1252
                    facts.note =
                        "\(CountWords.of(notUTF8, "value")) after the first bytes \(notUTF8 == 1 ? "is" : "are") not UTF-8 and none is UTF-8 beyond ASCII: most likely Windows-1252"
                } else {
                    facts.note =
                        "\(CountWords.of(notUTF8, "value")) \(notUTF8 == 1 ? "is" : "are") not UTF-8: a run quarantines their rows (invalid_encoding) when the column is mapped"
                }
            }
            files.append(facts)
        }
        let (fieldColumns, evidence) = assignFields(columns, pipeline: pipeline, threshold: settings.disclosure.suppressUpTo + 1)
        var inspection = Inspection(
            files: files, columns: columns, pipeline: pipeline, settings: settings,
            referenceDirectory: reference == nil ? nil : referenceDirectory, fieldColumns: fieldColumns, fieldEvidence: evidence)
        inspection.places = places
        if let pipeline {
            inspection.check = try QuarantineCheck.check(options.inputs, pipeline: pipeline)
            let mapped = Set(fieldColumns.values)
            for (index, column) in columns.enumerated() where !mapped.contains(index) {
                if let field = Guessing.field(forHeader: column.header) ?? Guessing.field(forValues: column.profile) { inspection.suggestions[index] = field }
            }
        }
        return inspection
    }

    private static func column(
        _ name: String, _ columns: inout [InspectedColumn], _ byName: inout [String: Int], window: ClosedRange<Day>, total: Int,
        positional: Bool
    ) -> Int {
        let key = (positional ? "\u{0}" : "") + name.headerKey
        if let index = byName[key] { return index }
        let share = max(50, min(InputLimits.maxDistinctUnmappedLabelsPerField, maxDistinctLabelsInAll / max(1, total)))
        columns.append(InspectedColumn(header: name.trimmingSpaces(), profile: ColumnProfile(maxDistinct: share, window: window), positional: positional))
        byName[key] = columns.count - 1
        return columns.count - 1
    }

    /// Opens a file once: its decoded (inflated if gzip) bytes, with the first
    /// ``ExportSniff/sampleBytes`` of them peeked for sniffing and handed out again.
    ///
    /// Refuses by name, as ``InputOpener`` does, what sprx cannot read (xz, zip, Excel
    /// workbooks, UTF-32, …), except UTF-16 with a byte-order mark, which inspect converts.
    static func openSniffing(_ path: String) throws -> (source: PeekableByteSource, bytes: [UInt8], gzip: Bool) {
        let raw = PeekableByteSource(try FileByteSource(path: path))
        let format = InputFormat.sniff(try raw.peek(InputFormat.sniffLength))
        let gzip = format == .gzip
        let decoded = gzip ? PeekableByteSource(try GzipByteSource(compressed: raw, name: path)) : raw
        let head = try decoded.peek(ExportSniff.sampleBytes)
        let inner = gzip ? InputFormat.sniff(Array(head.prefix(InputFormat.sniffLength))) : format
        let hasMark = head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
        if let problem = inner.problem, !(hasMark && { if case .utf16 = inner { true } else { false } }()) {
            throw SPRXError(.inputFormat, gzip ? "gzip file holds \(problem)" : "file is \(problem)", location: DataLocation(file: path))
        }
        return (decoded, head, gzip)
    }

    /// Which column each field is: the pipeline's aliases when there is a pipeline, then
    /// header names, then values (areas, dates, ODS practice codes), each column and field used once.
    static func assignFields(_ columns: [InspectedColumn], pipeline: PipelineConfiguration?, threshold: Int = 8) -> (
        [CanonicalField: Int], [CanonicalField: String]
    ) {
        var assigned: [CanonicalField: Int] = [:]
        var evidence: [CanonicalField: String] = [:]
        var taken = Set<Int>()
        let names = columns.map { $0.header.headerKey }
        if let pipeline {
            for field in CanonicalField.allCases {
                let aliases = Set((pipeline.columns[field] ?? [field.rawValue]).map { $0.headerKey })
                if let index = names.indices.first(where: { aliases.contains(names[$0]) && !taken.contains($0) }) {
                    assigned[field] = index
                    evidence[field] = "pipeline"
                    taken.insert(index)
                }
            }
            return (assigned, evidence)
        }
        for (index, column) in columns.enumerated() {
            guard let field = Guessing.field(forHeader: column.header), assigned[field] == nil else { continue }
            assigned[field] = index
            evidence[field] = "header name"
            taken.insert(index)
        }
        for (index, column) in columns.enumerated() where !taken.contains(index) {
            guard let field = Guessing.field(forValues: column.profile), [.areaCode, .referralDate, .organisationID].contains(field), assigned[field] == nil
            else { continue }
            assigned[field] = index
            evidence[field] = "values"
            taken.insert(index)
        }
        // Required ids no header names: from the values. A referral id is a column whose
        // values are all present, all distinct and id-shaped (a "Case Number"); a person
        // id one whose values are all id-shaped and repeat, with many distinct.
        func idColumn(_ column: InspectedColumn) -> Bool {
            let p = column.profile
            return p.nonEmpty > 0 && p.idShaped == p.nonEmpty && p.share(p.datesInWindow) < 0.5 && p.share(p.areaLike) < 0.5
        }
        if assigned[.referralID] == nil,
            let index = columns.indices.filter({
                !taken.contains($0) && idColumn(columns[$0]) && columns[$0].profile.allDistinct && columns[$0].profile.empty == 0
            })
            .max(by: { columns[$0].profile.nonEmpty < columns[$1].profile.nonEmpty })
        {
            assigned[.referralID] = index
            evidence[.referralID] = "values"
            taken.insert(index)
        }
        if assigned[.personID] == nil,
            let index = columns.indices.filter({ i in
                let p = columns[i].profile
                // Past the label table, distinct values are at least the table and its overflow.
                let distinct = p.distinct + p.overflowCount
                return !taken.contains(i) && idColumn(columns[i]) && p.repeats && p.empty == 0 && distinct >= threshold && distinct * 5 >= p.nonEmpty
            }).max(by: { columns[$0].profile.distinct + columns[$0].profile.overflowCount < columns[$1].profile.distinct + columns[$1].profile.overflowCount })
        {
            assigned[.personID] = index
            evidence[.personID] = "values"
            taken.insert(index)
        }
        return (assigned, evidence)
    }
}
