import SPRXClean
import SPRXCore
import SPRXIngest
import SPRXPipeline

/// What a pipeline's clean stage would make of an export: each file's header matched as
/// a run matches it (``ColumnLayout``) and every row cleaned by ``CleanProcessor`` itself,
/// so the counts are the run's own rules, not a copy of them. Duplicate and conflicting
/// referral ids (judged across rows by a later stage) are not counted here.
public struct QuarantineCheck: Sendable, Codable {
    /// Rows quarantined for one reason and column.
    public struct Count: Sendable, Codable {
        public var reason: String
        /// The mapped field, when the reason is about one.
        public var field: String?
        public var rows: Int
        public var explanation: String
    }
    /// A file the pipeline cannot read at all (its header lacks a mapped field, …).
    public struct FileFailure: Sendable, Codable {
        public var file: String
        public var message: String
    }
    public var rows = 0
    public var clean = 0
    public var quarantined: [Count] = []
    public var failures: [FileFailure] = []

    /// Whether a run would read every file (it may still quarantine rows).
    public var runs: Bool { failures.isEmpty }

    /// Reads every input under `pipeline`.
    ///
    /// - Throws: ``SPRXError`` when a file cannot be opened or read at all.
    public static func check(_ inputs: [String], pipeline: PipelineConfiguration) throws -> QuarantineCheck {
        var out = QuarantineCheck()
        var tally: [String: (QuarantineReason, String?, Int)] = [:]
        let rules = CleanRules(pipeline: pipeline)
        for path in try InputResolver.resolve(inputs) {
            do {
                try out.read(path, pipeline: pipeline, rules: rules, tally: &tally)
            } catch let error as SPRXError where error.code == .inputFormat {
                // A file this pipeline cannot read (its encoding, a row it cannot parse):
                // said per file, as a run would fail on it.
                out.failures.append(FileFailure(file: DisplayText.escaped(path), message: error.message))
            }
        }
        let order = QuarantineReason.allCases
        out.quarantined = tally.values
            .sorted { (order.firstIndex(of: $0.0)!, $0.1 ?? "") < (order.firstIndex(of: $1.0)!, $1.1 ?? "") }
            .map { Count(reason: $0.0.rawValue, field: $0.1, rows: $0.2, explanation: $0.0.explanation) }
        return out
    }

    /// Reads one file under the pipeline into the tally.
    private mutating func read(
        _ path: String, pipeline: PipelineConfiguration, rules: CleanRules, tally: inout [String: (QuarantineReason, String?, Int)]
    ) throws {
        let head = try Inspector.openSniffing(path)
        let source = try InputOpener.text(
            head.source, head: head.bytes, encoding: pipeline.input.encoding, path: path, what: head.gzip ? "gzip file holds" : "file is")
        let reader = RowBlockReader(source: source, fileName: path, delimiter: pipeline.input.delimiter)
        guard let (header, lines) = try reader.readHeader() else { return }
        let layout: ColumnLayout
        do {
            layout = try ColumnLayout(header: header, headerLines: lines, pipeline: pipeline, file: path)
        } catch let error as SPRXError {
            failures.append(FileFailure(file: DisplayText.escaped(path), message: error.message))
            return
        }
        let processor = CleanProcessor(rules: rules, layout: layout)
        let scratch = CSVDecodeScratch()
        var blank = 0
        while let block = try reader.next() {
            try block.bytes.withUnsafeBytes { bytes in
                try CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, delimiter: pipeline.input.delimiter, scratch: scratch, blankLines: &blank)
                { row in
                    rows += 1
                    switch processor.process(row) {
                    case .clean: clean += 1
                    case .quarantined(let reason, let column):
                        let key = reason.rawValue + "\u{0}" + (column ?? "")
                        tally[key] = (reason, column, (tally[key]?.2 ?? 0) + 1)
                    }
                }
            }
            if block.rowTooLong != nil {
                rows += 1
                let key = QuarantineReason.rowTooLong.rawValue + "\u{0}"
                tally[key] = (.rowTooLong, nil, (tally[key]?.2 ?? 0) + 1)
            }
        }
    }

    /// The findings as lines for people (`rows` counts are exact: the person running
    /// inspect holds the export; nothing here names a value).
    public func lines(_ what: String) -> [String] {
        var lines: [String] = []
        for failure in failures { lines.append("  \(failure.file): \(what) cannot read it: \(failure.message)") }
        let quarantinedRows = quarantined.reduce(0) { $0 + $1.rows }
        lines.append(
            "  \(CountWords.of(rows, "row")) read: \(CountWords.number(clean)) clean, \(CountWords.number(quarantinedRows)) quarantined (duplicate ids are judged by the run, not counted here)"
        )
        for count in quarantined {
            lines.append("    \(String(count.rows).leftPadded(8))  \(count.reason)\(count.field.map { " (\($0))" } ?? ""): \(count.explanation)")
        }
        return lines
    }
}
