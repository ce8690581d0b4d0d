import SPRXCore

/// The text encoding an export's first bytes suggest.
public enum SniffedEncoding: String, Sendable, Codable, Equatable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 with BOM"
    case utf16LE = "UTF-16 LE (BOM)"
    case utf16BE = "UTF-16 BE (BOM)"
    /// Bytes that are not UTF-8 (a lone `0x80`-`0xFF`): most likely Windows-1252 (Excel's "CSV").
    case windows1252 = "Windows-1252 (guessed: not UTF-8)"

    /// The value of the pipeline's `input.encoding`, or `nil` for the default (UTF-8, a BOM skipped).
    public var pipelineValue: String? {
        switch self {
        case .utf8, .utf8BOM: nil
        case .utf16LE, .utf16BE: "utf-16"
        case .windows1252: "windows-1252"
        }
    }
}

/// The field delimiter of an export, as the pipeline's `input.delimiter` names it.
public enum SniffedDelimiter: String, Sendable, Codable, Equatable, CaseIterable {
    case comma = ","
    case semicolon = ";"
    case tab = "tab"
    case bar = "|"

    /// The delimiter as pipelines and the reader name it.
    // safe: every candidate byte here is one of FieldDelimiter's raw values
    public var field: FieldDelimiter { FieldDelimiter(rawValue: byte)! }

    /// The delimiter byte.
    public var byte: UInt8 {
        switch self {
        case .comma: UInt8(ascii: ",")
        case .semicolon: UInt8(ascii: ";")
        case .tab: 0x09
        case .bar: UInt8(ascii: "|")
        }
    }
}

/// How lines end in an export.
public enum SniffedLineEnds: String, Sendable, Codable, Equatable {
    case lf = "LF"
    case crlf = "CRLF"
    case cr = "CR (classic Mac OS)"
    case none = "none (one line)"
}

/// What the first decoded bytes of an export say about its encoding, delimiter and line ends.
///
/// Sniffed from the raw first bytes (after gzip), never from parsed rows, so it works for
/// files the reader cannot read yet (a semicolon or UTF-16 export before its pipeline says so).
public struct ExportSniff: Sendable, Codable, Equatable {
    public var encoding: SniffedEncoding
    public var delimiter: SniffedDelimiter
    public var lineEnds: SniffedLineEnds

    /// How many leading decoded bytes ``sniff(_:)`` is given (the header and some rows).
    public static let sampleBytes = 64 * 1024

    /// Sniffs `head`, the first decoded bytes of one file.
    ///
    /// Encoding: a byte-order mark decides UTF-8/UTF-16; otherwise bytes that are not
    /// valid UTF-8 (ignoring a sequence cut at the end of the sample) mean Windows-1252.
    /// Delimiter: the candidate (`,` `;` tab `|`) that occurs most often outside quotes
    /// in the header line; a tie or none is a comma. Line ends: the first line end
    /// outside quotes.
    public static func sniff(_ head: [UInt8]) -> ExportSniff {
        var encoding = SniffedEncoding.utf8
        var text = head
        if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            encoding = .utf8BOM
            text = Array(head.dropFirst(3))
        } else if head.starts(with: [0xFF, 0xFE]) {
            encoding = .utf16LE
            text = utf16ToASCII(Array(head.dropFirst(2)), bigEndian: false)
        } else if head.starts(with: [0xFE, 0xFF]) {
            encoding = .utf16BE
            text = utf16ToASCII(Array(head.dropFirst(2)), bigEndian: true)
        } else if !isUTF8(head) {
            encoding = .windows1252
        }
        let (delimiter, lineEnds) = headerShape(text)
        return ExportSniff(encoding: encoding, delimiter: delimiter, lineEnds: lineEnds)
    }

    /// Whether `bytes` is UTF-8, allowing (for a sample) a multi-byte sequence cut off at the end.
    static func isUTF8(_ bytes: [UInt8], allowingCutEnd: Bool = true) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return false
            }
            if i + length > n { return allowingCutEnd && (i + 1..<n).allSatisfy { bytes[$0] & 0xC0 == 0x80 } }
            for j in 1..<length where bytes[i + j] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    /// UTF-16 code units as bytes, with every unit above ASCII as `?` (enough to find
    /// delimiters and line ends).
    static func utf16ToASCII(_ bytes: [UInt8], bigEndian: Bool) -> [UInt8] {
        stride(from: 0, to: bytes.count - 1, by: 2).map { i in
            let unit = bigEndian ? UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) : UInt16(bytes[i + 1]) << 8 | UInt16(bytes[i])
            return unit < 0x80 ? UInt8(unit) : UInt8(ascii: "?")
        }
    }

    /// The delimiter counted outside quotes on the first line, and how that line ends.
    static func headerShape(_ text: [UInt8]) -> (SniffedDelimiter, SniffedLineEnds) {
        var counts = [Int](repeating: 0, count: SniffedDelimiter.allCases.count)
        var quoted = false
        var lineEnds = SniffedLineEnds.none
        var i = 0
        scan: while i < text.count {
            let b = text[i]
            if b == UInt8(ascii: "\"") {
                quoted.toggle()
            } else if !quoted {
                switch b {
                case 0x0A:
                    lineEnds = .lf
                    break scan
                case 0x0D:
                    lineEnds = i + 1 < text.count && text[i + 1] == 0x0A ? .crlf : .cr
                    break scan
                default:
                    if let k = SniffedDelimiter.allCases.firstIndex(where: { $0.byte == b }) { counts[k] += 1 }
                }
            }
            i += 1
        }
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        return (counts[best] > 0 ? SniffedDelimiter.allCases[best] : .comma, lineEnds)
    }
}
