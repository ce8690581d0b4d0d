import SPRXCore
import SPRXPipeline

/// Which input column holds each canonical field, resolved from one file's header.
public struct ColumnLayout: Sendable, Hashable {
    /// Column index per canonical field (`nil` when the file does not have it).
    public var index: [CanonicalField: Int]
    /// Column index per declared dimension (``PipelineConfiguration/dimensions`` order).
    public var dimensionIndex: [Int] = []
    /// The header as written, for messages and the quarantine file.
    public var headerNames: [String]
    /// Number of fields every row must have.
    public var fieldCount: Int { headerNames.count }
    /// Physical lines the header took (usually 1).
    public var headerLines: Int
    /// The byte between fields (the pipeline's `input.delimiter`), for every reader of
    /// this file's rows.
    public var delimiter: FieldDelimiter

    /// Matches header names against the pipeline's aliases (case-insensitive, trimmed).
    ///
    /// Every field the pipeline maps must match a header unless the pipeline declares it
    /// optional (`columns.optional`): an alias that matches nothing would otherwise make
    /// every value of the field unknown without a word.
    ///
    /// - Throws: ``SPRXError/Code/inputFormat`` when two columns both name the same
    ///   canonical field, or, in one message, naming every mapped field with no column,
    ///   its aliases and the headers the file has.
    public init(header: [String], headerLines: Int = 1, pipeline: PipelineConfiguration, file: String) throws {
        headerNames = header
        self.headerLines = headerLines
        delimiter = pipeline.input.delimiter
        let normalised = header.map { $0.headerKey }
        /// The one column whose header is one of `aliases`, `nil` for none; two are refused.
        func column(named aliases: [String], for what: String, aliasesOf owner: String) throws -> Int? {
            let keys = Set(aliases.map { $0.headerKey })
            let matches = normalised.indices.filter { keys.contains(normalised[$0]) }
            guard matches.count <= 1 else {
                throw SPRXError(
                    .inputFormat,
                    "header has \(matches.count) columns for \(what) (columns \(matches.map { String($0 + 1) }.joined(separator: ", "))); keep one or change \(owner) aliases",
                    location: DataLocation(file: file, line: 1))
            }
            return matches.first
        }
        var index: [CanonicalField: Int] = [:]
        var unmatched: [CanonicalField] = []
        for field in CanonicalField.allCases {
            if let match = try column(named: Self.aliases(field, pipeline), for: "'\(field.rawValue)'", aliasesOf: "the pipeline's") {
                index[field] = match
            } else if field.isRequired || !pipeline.optionalColumns.contains(field) {
                unmatched.append(field)
            }
        }
        var unmatchedDimensions: [DeclaredDimension] = []
        for dimension in pipeline.dimensions {
            if let match = try column(named: dimension.columns, for: "dimension '\(dimension.name)'", aliasesOf: "the dimension's column") {
                dimensionIndex.append(match)
            } else {
                unmatchedDimensions.append(dimension)
            }
        }
        guard unmatched.isEmpty && unmatchedDimensions.isEmpty else {
            let fields =
                unmatched.map { field in
                    "'\(field.rawValue)'\(field.isRequired ? " (required)" : "") as \(Self.aliases(field, pipeline).map { "'\(Self.escaped($0))'" }.joined(separator: " or "))"
                }
                + unmatchedDimensions.map { dimension in
                    "dimension '\(dimension.name)' as \(dimension.columns.map { "'\(Self.escaped($0))'" }.joined(separator: " or "))"
                }
            // The first line is shown only when it is recognisably a header (some cell is
            // one of the pipeline's column names). Otherwise it may be data (a file without
            // a header) or a title line naming a person, and is described, never echoed.
            let looksLikeHeader = !index.isEmpty
            let listing =
                looksLikeHeader
                ? "The file's header has \(Self.headerListing(header)). "
                : "The file's first line (\(header.count) column\(header.count == 1 ? "" : "s")) matches none of the pipeline's column names, so it is not shown: "
                    + (Self.otherDelimiter(header, expected: pipeline.input.delimiter).map {
                        "it holds \($0.plural) but no \(pipeline.input.delimiter.plural): if the export is \($0.pipelineName)-separated, add `input: {delimiter: \"\($0.pipelineName)\"}` to the pipeline. "
                    }
                        ?? "is the header missing, or is a title line above it? ")
            throw SPRXError(
                .inputFormat,
                "header has no column for \(fields.count) mapped field\(fields.count == 1 ? "" : "s"): \(fields.joined(separator: "; ")). "
                    + listing
                    + (unmatched.isEmpty ? "" : "Fix the pipeline's columns aliases, or list a field the export does not have under columns.optional")
                    + (unmatched.isEmpty || unmatchedDimensions.isEmpty ? "" : "; ")
                    + (unmatchedDimensions.isEmpty
                        ? ""
                        : "fix " + unmatchedDimensions.map { "dimensions.\($0.name).column" }.joined(separator: ", ")
                            + " to name the file's column, or remove the dimension (every input file needs its column)"),
                // A missing required field is named as the column, as before optional fields.
                location: DataLocation(file: file, line: 1, column: unmatched.first { $0.isRequired }?.rawValue))
        }
        self.index = index
    }

    /// The delimiter a one-column first line seems to use instead of `expected`, if any
    /// (the first of `,` `;` tab `|` it holds).
    static func otherDelimiter(_ header: [String], expected: FieldDelimiter) -> FieldDelimiter? {
        guard header.count == 1, let line = header.first else { return nil }
        return FieldDelimiter.allCases.first { $0 != expected && line.utf8.contains($0.byte) }
    }

    /// The header names the pipeline maps a field to.
    static func aliases(_ field: CanonicalField, _ pipeline: PipelineConfiguration) -> [String] {
        pipeline.columns[field] ?? [field.rawValue]
    }

    /// Longest header name shown in a message, in Unicode scalars; longer ones end in `…`.
    static let maxShownHeaderLength = 40
    /// Most header names listed in a message; the rest are counted (`and N more`).
    static let maxShownHeaders = 40

    /// The header names for a message: quoted, escaped, each cut to
    /// ``maxShownHeaderLength`` scalars, at most ``maxShownHeaders`` of them.
    static func headerListing(_ header: [String]) -> String {
        guard !header.isEmpty else { return "no columns" }
        var parts = header.prefix(maxShownHeaders).map { name -> String in
            // Cut by Unicode scalars, not characters: one character may hold thousands.
            let scalars = name.unicodeScalars
            let cut = scalars.count > maxShownHeaderLength ? String(String.UnicodeScalarView(scalars.prefix(maxShownHeaderLength))) + "…" : name
            return "'\(escaped(cut))'"
        }
        if header.count > maxShownHeaders { parts.append("and \(header.count - maxShownHeaders) more") }
        return "\(header.count) column\(header.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }

    /// Text safe for a one-line message: control characters (C0, DEL, C1), line and
    /// paragraph separators and bidirectional controls as `\xNN` / `\u{NNNN}`, and a
    /// backslash or quote escaped so the listing cannot be confused.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F: out += "\\x" + hex(scalar.value, digits: 2)
            case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: out += "\\u{" + hex(scalar.value, digits: 4) + "}"
            case 0x5C: out += "\\\\"
            case 0x27: out += "\\'"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
