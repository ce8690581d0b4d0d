import SPRXCore
import SPRXPipeline

/// Which input column holds each canonical field, resolved from one file's header.
public struct ColumnLayout: Sendable, Hashable {
    /// Column index per canonical field (`nil` when the file does not have it).
    public var index: [CanonicalField: Int]
    /// The header as written, for messages and the quarantine file.
    public var headerNames: [String]
    /// Number of fields every row must have.
    public var fieldCount: Int { headerNames.count }
    /// Physical lines the header took (usually 1).
    public var headerLines: Int

    /// Matches header names against the pipeline's aliases (case-insensitive, trimmed).
    ///
    /// - Throws: ``SPRXError/Code/inputFormat`` when a required field has no column, or
    ///   when two columns both name the same canonical field.
    public init(header: [String], headerLines: Int = 1, pipeline: PipelineConfiguration, file: String) throws {
        headerNames = header
        self.headerLines = headerLines
        let normalised = header.map { $0.trimmingSpaces().lowercased() }
        var index: [CanonicalField: Int] = [:]
        for field in CanonicalField.allCases {
            let aliases = Set((pipeline.columns[field] ?? [field.rawValue]).map { $0.trimmingSpaces().lowercased() })
            let matches = normalised.indices.filter { aliases.contains(normalised[$0]) }
            if matches.count > 1 {
                throw SPRXError(
                    .inputFormat,
                    "header has \(matches.count) columns for '\(field.rawValue)' (columns \(matches.map { String($0 + 1) }.joined(separator: ", "))); keep one or change the pipeline's aliases",
                    location: DataLocation(file: file, line: 1))
            }
            if let match = matches.first {
                index[field] = match
            } else if field.isRequired {
                let expected = (pipeline.columns[field] ?? []).joined(separator: "' or '")
                throw SPRXError(
                    .inputFormat, "header has no column for required field '\(field.rawValue)' (expected '\(expected)')",
                    location: DataLocation(file: file, line: 1, column: field.rawValue))
            }
        }
        self.index = index
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
