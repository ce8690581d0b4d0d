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
    /// The header as first written (not escaped: escape before printing).
    public var header: String
    public var profile: ColumnProfile
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
        let pipeline = try options.pipelinePath.map { try PipelineLoader.load(path: $0) }
        var settings = try pipeline ?? DraftPipeline.defaults(referenceDirectory: options.referenceDirectory ?? "reference")
        if let directory = options.referenceDirectory { settings.enrich.referenceDirectory = directory }
        let referenceDirectory = pipeline != nil || options.referenceDirectory != nil
            ? settings.enrich.referenceDirectory : defaultReferenceDirectory()
        var reference: ReferenceData?
        if let referenceDirectory, InputKind.of(referenceDirectory) == .folder {
            settings.enrich.referenceDirectory = referenceDirectory
            reference = try ReferenceData.load(settings.enrich)
        }
        let window = (settings.dateFrom ?? Day(daysSinceEpoch: Int32.min))...(settings.dateTo ?? Day(daysSinceEpoch: Int32.max))

        var files: [InspectedFile] = []
        var columns: [InspectedColumn] = []
        var columnByName: [String: Int] = [:]
        for path in try InputResolver.resolve(options.inputs) {
            let head = try readHead(path)
            let sniff = ExportSniff.sniff(head.bytes)
            var facts = InspectedFile(
                name: DisplayText.escaped(path), compression: head.gzip ? "gzip" : "none", encoding: sniff.encoding,
                delimiter: sniff.delimiter, lineEnds: sniff.lineEnds, headerColumns: 0)
            if sniff.encoding == .utf16LE || sniff.encoding == .utf16BE {
                // SWITCH (issue 16, input reader): once the reader converts UTF-16, drop this
                // branch and read the file like any other with the sniffed encoding.
                let header = utf16Header(head.bytes, delimiter: sniff.delimiter)
                facts.headerColumns = header.count
                facts.note = "UTF-16: header read from the first bytes; values not read by this sprx (a pipeline with input.encoding: utf-16 reads them)"
                for name in header { _ = column(name, &columns, &columnByName, window: window, total: header.count) }
                files.append(facts)
                continue
            }
            let (opened, _) = try InputOpener.open(path: path)
            // SWITCH (issue 16, input reader): here the reader should be opened with the
            // sniffed `input.delimiter` and `input.encoding` (Windows-1252 converted); until
            // it is, a non-comma file is read by swapping its delimiter with the comma.
            let source: any ByteSource = sniff.delimiter == .comma ? opened : DelimiterSwappingSource(opened, delimiter: sniff.delimiter.byte)
            let reader = RowBlockReader(source: source, fileName: path)
            guard let (header, _) = try reader.readHeader() else {
                facts.rows = 0
                facts.note = "empty file"
                files.append(facts)
                continue
            }
            facts.headerColumns = header.count
            let indices = header.map { column($0, &columns, &columnByName, window: window, total: header.count) }
            var local = indices.map { columns[$0].profile }
            for i in local.indices { local[i] = ColumnProfile(maxDistinct: local[i].maxDistinct, window: window) }
            var rows = 0, ragged = 0, blank = 0
            let scratch = CSVDecodeScratch()
            while let block = try reader.next() {
                try block.bytes.withUnsafeBytes { bytes in
                    try CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, scratch: scratch, blankLines: &blank) { row in
                        rows += 1
                        if row.fieldCount != header.count { ragged += 1 }
                        for i in 0..<min(row.fieldCount, header.count) { local[i].add(row[i], reference: reference) }
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
            files.append(facts)
        }
        let (fieldColumns, evidence) = assignFields(columns, pipeline: pipeline)
        return Inspection(
            files: files, columns: columns, pipeline: pipeline, settings: settings,
            referenceDirectory: reference == nil ? nil : referenceDirectory, fieldColumns: fieldColumns, fieldEvidence: evidence)
    }

    /// The reference folder used without a pipeline: `SampleData/reference` under the
    /// current folder, else the installed `<executable's folder>/../share/sprx/reference`.
    static func defaultReferenceDirectory() -> String? {
        let installed = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
            .resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("share/sprx/reference").path
        return ["SampleData/reference", installed].first { InputKind.of($0) == .folder }
    }

    private static func column(
        _ name: String, _ columns: inout [InspectedColumn], _ byName: inout [String: Int], window: ClosedRange<Day>, total: Int
    ) -> Int {
        let key = name.trimmingSpaces().lowercased()
        if let index = byName[key] { return index }
        let share = max(50, min(InputLimits.maxDistinctUnmappedLabelsPerField, maxDistinctLabelsInAll / max(1, total)))
        columns.append(InspectedColumn(header: name.trimmingSpaces(), profile: ColumnProfile(maxDistinct: share, window: window)))
        byName[key] = columns.count - 1
        return columns.count - 1
    }

    /// The first ``ExportSniff/sampleBytes`` decoded bytes of a file (inflated if gzip).
    static func readHead(_ path: String) throws -> (bytes: [UInt8], gzip: Bool) {
        let file = try FileByteSource(path: path)
        let raw = PeekableByteSource(file)
        let magic = try raw.peek(InputFormat.sniffLength)
        let gzip = InputFormat.sniff(magic) == .gzip
        let source: any ByteSource = gzip ? try GzipByteSource(compressed: raw, name: path) : raw
        var bytes = [UInt8](repeating: 0, count: ExportSniff.sampleBytes)
        var filled = 0
        while filled < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        return (Array(bytes[0..<filled]), gzip)
    }

    /// The header cells of a UTF-16 file's first line (no quoting beyond plain cells).
    static func utf16Header(_ head: [UInt8], delimiter: SniffedDelimiter) -> [String] {
        let bigEndian = head.starts(with: [0xFE, 0xFF])
        var units: [UInt16] = []
        var i = 2
        while i + 1 < head.count {
            let high = UInt16(head[bigEndian ? i : i + 1]), low = UInt16(head[bigEndian ? i + 1 : i])
            units.append(high << 8 | low)
            i += 2
        }
        let text = String(decoding: units, as: UTF16.self)
        let line: Substring = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? ""
        let separator = Character(Unicode.Scalar(delimiter.byte))
        return line.split(separator: separator, omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        }
    }

    /// Which column each field is: the pipeline's aliases when there is a pipeline, then
    /// header names, then values (areas, dates), each column and field used once.
    static func assignFields(_ columns: [InspectedColumn], pipeline: PipelineConfiguration?) -> ([CanonicalField: Int], [CanonicalField: String]) {
        var assigned: [CanonicalField: Int] = [:]
        var evidence: [CanonicalField: String] = [:]
        var taken = Set<Int>()
        let names = columns.map { $0.header.trimmingSpaces().lowercased() }
        if let pipeline {
            for field in CanonicalField.allCases {
                let aliases = Set((pipeline.columns[field] ?? [field.rawValue]).map { $0.trimmingSpaces().lowercased() })
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
            guard let field = Guessing.field(forValues: column.profile), field == .areaCode || field == .referralDate, assigned[field] == nil
            else { continue }
            assigned[field] = index
            evidence[field] = "values"
            taken.insert(index)
        }
        return (assigned, evidence)
    }
}

/// Reads another source with one delimiter byte and the comma swapped, so the comma
/// reader splits a `;`, tab or `|` file at its own delimiter (values that held a comma
/// then show the delimiter in its place).
///
/// Temporary: replaced by the reader's `input.delimiter` (issue 16) when that lands.
final class DelimiterSwappingSource: ByteSource {
    private let source: any ByteSource
    private let delimiter: UInt8

    init(_ source: any ByteSource, delimiter: UInt8) {
        self.source = source
        self.delimiter = delimiter
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        let comma = UInt8(ascii: ",")
        for i in 0..<n {
            if buffer[i] == delimiter { buffer[i] = comma } else if buffer[i] == comma { buffer[i] = delimiter }
        }
        return n
    }
}
