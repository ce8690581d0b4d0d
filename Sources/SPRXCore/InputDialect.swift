/// The byte between two fields of a row: the pipeline's `input.delimiter`.
///
/// Quoting is RFC 4180's whatever the delimiter: a field holding the delimiter, a quote
/// or a line break is quoted.
public enum FieldDelimiter: UInt8, Sendable, CaseIterable, Hashable {
    case comma = 0x2C
    case semicolon = 0x3B
    case tab = 0x09
    case verticalBar = 0x7C

    /// The delimiter a pipeline names: `,` `;` `|`, `tab` (or a literal tab character).
    public init?(pipelineName: String) {
        switch pipelineName {
        case ",": self = .comma
        case ";": self = .semicolon
        case "tab", "\t", "\\t": self = .tab
        case "|": self = .verticalBar
        default: return nil
        }
    }

    /// The byte itself.
    @inline(__always) public var byte: UInt8 { rawValue }

    /// How a pipeline file writes it.
    public var pipelineName: String {
        switch self {
        case .comma: ","
        case .semicolon: ";"
        case .tab: "tab"
        case .verticalBar: "|"
        }
    }

    /// The delimiter in words, for messages (`commas`, `semicolons`, `tabs`, `vertical bars`).
    public var plural: String {
        switch self {
        case .comma: "commas"
        case .semicolon: "semicolons"
        case .tab: "tabs"
        case .verticalBar: "vertical bars"
        }
    }
}

/// The text encoding an export is written in: the pipeline's `input.encoding`. Every
/// encoding is converted to UTF-8 as it is read, so nothing after the reader changes.
public enum TextEncoding: String, Sendable, CaseIterable, Hashable {
    /// UTF-8; a byte-order mark at the start is skipped.
    case utf8 = "utf-8"
    /// UTF-16 with a byte-order mark, which decides little- or big-endian (Excel's
    /// "Unicode Text" save writes one).
    case utf16 = "utf-16"
    /// Windows code page 1252 (Western European), as older Windows tools save "CSV".
    case windows1252 = "windows-1252"
}

/// How an export's bytes are written: the pipeline's `input` section.
public struct InputDialect: Sendable, Hashable {
    public var delimiter: FieldDelimiter
    public var encoding: TextEncoding

    public init(delimiter: FieldDelimiter = .comma, encoding: TextEncoding = .utf8) {
        self.delimiter = delimiter
        self.encoding = encoding
    }

    /// Comma-separated UTF-8: the contract's layout and the default.
    public static let standard = InputDialect()
}
