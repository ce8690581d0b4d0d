/// Where in the data something happened: file, physical line, column and byte offset.
///
/// Every field but `file` is optional because not every failure has all of them: a
/// corrupt gzip stream has a compressed byte offset but no line, a bad label has a
/// line and column but its byte offset is not tracked.
public struct DataLocation: Sendable, Hashable, CustomStringConvertible {
    /// The path of the file as the user named it.
    public var file: String
    /// 1-based physical line where the row starts (the header is line 1).
    public var line: Int?
    /// The column's header name.
    public var column: String?
    /// Byte offset in the file: compressed bytes for gzip input.
    public var byteOffset: Int64?

    public init(file: String, line: Int? = nil, column: String? = nil, byteOffset: Int64? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
    }

    /// The place as one line: file name, line, column and byte, with the file and column
    /// names escaped (``DisplayText``) because they come from outside sprx.
    public var description: String {
        var parts = [DisplayText.escaped(file)]
        if let line { parts.append("line \(line)") }
        if let column { parts.append("column '\(DisplayText.escaped(column))'") }
        if let byteOffset { parts.append("byte \(byteOffset)") }
        return parts.joined(separator: ": ")
    }
}

/// An error sprx reports to its user.
///
/// Modelled on NIO's `FileSystemError`: a stable ``Code`` that callers switch on (the
/// executable maps codes to exit statuses), a message for people, where in the data it
/// happened, and the underlying cause. Messages never carry raw field values, only
/// file, line, column and what was expected, because the inputs are patient records.
public struct SPRXError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable category of failure.
    ///
    /// A closed set: the executable maps each to an exit status, so no module can add a
    /// code that would fall through to "internal error". The raw value is what messages
    /// and the manifest show (`error[input.format]`).
    public enum Code: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// The command line was wrong.
        case usage = "usage"
        /// The pipeline file is missing, not YAML, or does not say what sprx needs.
        case invalidPipeline = "pipeline.invalid"
        /// An input file could not be opened or read.
        case inputUnreadable = "input.unreadable"
        /// A gzip stream is corrupt or truncated.
        case inputCorrupt = "input.corrupt"
        /// An input file does not have the shape the contract requires (header, columns).
        case inputFormat = "input.format"
        /// A reference lookup is missing or malformed.
        case invalidReference = "reference.invalid"
        /// Writing outputs failed.
        case outputFailed = "output.failed"
        /// Another run holds the output folder's lock.
        case outputLocked = "output.locked"
        /// The run finished but failed a quality gate of the pipeline (`quality:`), so
        /// nothing was published: too few clean rows, too many quarantined, too many
        /// unknown or unmapped values in a field.
        case qualityGate = "quality.gate"
        /// A bug or an impossible state.
        case internalError = "internal"

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    public var location: DataLocation?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, location: DataLocation? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }

    public var description: String {
        var text = "error[\(code)]: "
        if let location { text += "\(location): " }
        text += message
        if let cause { text += " (cause: \(Self.summary(of: cause)))" }
        return text
    }

    /// A cause in one line: an ``SPRXError``'s own description, else the first line of
    /// the error's description (at most 200 characters), escaped: never a multi-line dump
    /// of a Foundation error's user-info dictionary.
    static func summary(of cause: any Error) -> String {
        if let error = cause as? SPRXError { return error.description }
        var text = String(describing: cause)
        // Foundation's `Error Domain=… Code=N "what happened" UserInfo={…}`: keep the sentence.
        if text.hasPrefix("Error Domain="), let open = text.firstIndex(of: "\""),
            let close = text[text.index(after: open)...].firstIndex(of: "\"")
        {
            text = String(text[text.index(after: open)..<close])
        }
        if let newline = text.firstIndex(where: { $0 == "\n" || $0 == "\r" }) { text = String(text[..<newline]) + " …" }
        if text.count > 200 { text = String(text.prefix(200)) + "…" }
        return DisplayText.escaped(text)
    }
}
