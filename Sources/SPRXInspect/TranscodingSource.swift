import SPRXIngest

/// Reads UTF-16 (after its byte-order mark) or Windows-1252 from another source as UTF-8.
///
/// Temporary, like ``DelimiterSwappingSource``: `sprx inspect` uses it until the reader
/// converts `input.encoding` itself (issue 16); then the inspector opens files through
/// that reader and this type goes. A lone surrogate becomes U+FFFD, as a lossy decoder does.
final class TranscodingSource: ByteSource {
    enum Encoding { case utf16(bigEndian: Bool), windows1252 }

    private let source: any ByteSource
    private let encoding: Encoding
    private var raw = [UInt8](repeating: 0, count: 1 << 16)
    /// Raw bytes carried to the next read (half a code unit, or a high surrogate).
    private var carried: [UInt8] = []
    /// UTF-8 bytes converted and not yet handed out.
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    private var skippedMark = false
    private var atEnd = false

    init(_ source: any ByteSource, encoding: Encoding) {
        self.source = source
        self.encoding = encoding
    }

    /// Windows-1252's 0x80-0x9F (0 where the code page has no character: U+FFFD).
    static let windows1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pendingOffset == pending.count {
            if atEnd { return 0 }
            pending.removeAll(keepingCapacity: true)
            pendingOffset = 0
            let n = try raw.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 {
                atEnd = true
                if !carried.isEmpty { append(0xFFFD) }
                carried = []
            } else {
                convert(carried + raw[0..<n])
            }
        }
        let count = min(buffer.count, pending.count - pendingOffset)
        for i in 0..<count { buffer[i] = pending[pendingOffset + i] }
        pendingOffset += count
        return count
    }

    private func convert(_ bytes: [UInt8]) {
        carried = []
        switch encoding {
        case .windows1252:
            for b in bytes {
                if b < 0x80 {
                    pending.append(b)
                } else if b < 0xA0 {
                    let scalar = Self.windows1252High[Int(b - 0x80)]
                    append(scalar == 0 ? 0xFFFD : scalar)
                } else {
                    append(UInt32(b))
                }
            }
        case .utf16(let bigEndian):
            var i = 0
            if !skippedMark && bytes.count >= 2 {
                skippedMark = true
                i = 2
            }
            while i + 1 < bytes.count {
                let unit = bigEndian ? UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) : UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i])
                if (0xD800...0xDBFF).contains(unit) {
                    guard i + 3 < bytes.count else { break }
                    let low = bigEndian ? UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3]) : UInt32(bytes[i + 3]) << 8 | UInt32(bytes[i + 2])
                    if (0xDC00...0xDFFF).contains(low) {
                        append(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                        i += 4
                    } else {
                        append(0xFFFD)
                        i += 2
                    }
                    continue
                }
                append((0xDC00...0xDFFF).contains(unit) ? 0xFFFD : unit)
                i += 2
            }
            carried = Array(bytes[i...])
        }
    }

    private func append(_ scalar: UInt32) {
        let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        pending.append(contentsOf: Array(String(Character(value)).utf8))
    }
}
