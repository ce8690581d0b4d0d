import CIsal
import CZlib
import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The library that inflates gzip input: zlib, or ISA-L's `isal_inflate` when
/// `libisal.so.2` is installed (about five times faster on this project's exports).
///
/// Both give the same bytes, check each member's CRC-32 and length, and fail truncated,
/// corrupt or trailing data with the same codes; ``GzipInflater`` holds what they share.
/// A run uses ``selected``: the one `SPRX_INFLATE` names (`zlib` or `isal`), else ISA-L
/// when it loads, else zlib. The manifest (`tool.inflater`) and `sprx --version` name it.
public enum Inflater: String, Sendable, CaseIterable {
    case zlib
    case isal

    /// The environment variable that forces one inflater (`zlib` or `isal`; unset or
    /// `auto` chooses ISA-L when it loads).
    public static let environmentVariable = "SPRX_INFLATE"

    /// Whether ISA-L's inflate loaded and passed its known-stream check.
    public static var isalLoads: Bool { sprx_isal_load() == 1 }

    /// Why ISA-L is not used (`libisal.so.2: cannot open shared object file...`); nil when it loads.
    public static var isalProblem: String? { sprx_isal_problem().map { String(cString: $0) } }

    /// The inflater runs use: `SPRX_INFLATE`'s choice, else ISA-L when it loads, else zlib.
    ///
    /// - Throws: ``SPRXError/Code/usage`` when `SPRX_INFLATE` holds another word, or
    ///   names `isal` and ISA-L does not load.
    public static var selected: Inflater {
        get throws { try selection.get() }
    }

    private static let selection: Result<Inflater, SPRXError> = {
        let value = getenv(environmentVariable).map { String(cString: $0) } ?? ""
        switch value {
        case "", "auto":
            return .success(isalLoads ? .isal : .zlib)
        case "zlib":
            return .success(.zlib)
        case "isal":
            guard isalLoads else {
                return .failure(
                    SPRXError(
                        .usage,
                        "\(environmentVariable)=isal, but ISA-L's inflate is not available (\(isalProblem ?? "not loaded")): install libisal2, or unset \(environmentVariable)"
                    ))
            }
            return .success(.isal)
        default:
            return .failure(SPRXError(.usage, "\(environmentVariable) must be zlib, isal or auto (or unset)"))
        }
    }()

    /// The library and its version: `zlib 1.2.13`, `isa-l 2.30`.
    ///
    /// ISA-L has no version call; its shared object is named by libtool from
    /// `-version-info 2:<minor>:0` (ISA-L's Makefile.am), so `libisal.so.2.0.30` is 2.30.
    public var versionDescription: String {
        switch self {
        case .zlib:
            return "zlib " + String(cString: zlibVersion())
        case .isal:
            guard let file = sprx_isal_library_file().map({ String(cString: $0) }) else { return "isa-l (not loaded)" }
            let parts = file.split(separator: ".")
            if parts.count == 5, parts[0] == "libisal", parts[1] == "so", parts[2] == "2", parts[3] == "0", Int(parts[4]) != nil {
                return "isa-l 2.\(parts[4])"
            }
            return "isa-l (\(file))"
        }
    }

    /// What a run reads gzip with, in one line for the manifest and `--version`:
    /// `isa-l 2.30`, `zlib 1.2.13`, or why neither can be chosen.
    public static var runDescription: String {
        switch selection {
        case .success(let inflater): return inflater.versionDescription
        case .failure(let error): return "none: \(error.message)"
        }
    }

    /// `--version`'s line: the inflater, and why ISA-L is not used when it is not.
    public static var versionLine: String {
        switch selection {
        case .success(.isal): return "inflater: \(Inflater.isal.versionDescription)"
        case .success(.zlib):
            let why = isalProblem.map { "ISA-L not used: \($0)" } ?? "\(environmentVariable)=zlib"
            return "inflater: \(Inflater.zlib.versionDescription) (\(why))"
        case .failure(let error): return "inflater: none: \(error.message)"
        }
    }
}

/// Reads a gzip member's header (RFC 1952) for the ISA-L inflater, as zlib's `inflate`
/// reads it: the same checks, in the same order, with the same messages at the same
/// compressed byte offsets, so an inflater never shows through in an error.
///
/// zlib 1.2.13 `inflate.c`, states HEAD to HCRC: the magic `1f 8b` ("incorrect header
/// check" after its 2 bytes), the method (8, "unknown compression method") and the
/// reserved flag bits 5 to 7 ("unknown header flags set"), both after 4 bytes; then the
/// modification time, extra flags and OS, `FEXTRA` (a 2-byte length and that many bytes),
/// `FNAME` and `FCOMMENT` (each up to a zero byte) and `FHCRC` (the low 16 bits of the
/// CRC-32 of every header byte before it: "header crc mismatch" after its 2 bytes).
struct GzipHeaderReader {
    private enum Field {
        case fixed, extraLength, extra, name, comment, headerCRC, done
    }
    private var field = Field.fixed
    /// Bytes of the current field read so far (fixed part, extra length, header CRC).
    private var fieldBytes: [UInt8] = []
    private var flags: UInt8 = 0
    private var extraLeft = 0
    private var crc: UInt = 0
    /// Bytes of this header read by earlier calls.
    private var consumedBefore = 0

    /// Whether the header has been read to its end.
    var isComplete: Bool { field == .done }

    /// Starts the next member's header.
    mutating func reset() {
        self = GzipHeaderReader()
    }

    /// Reads header bytes from `input`; returns how many it used (all of them unless the
    /// header ends inside `input`).
    ///
    /// - Parameters:
    ///   - memberOffset: the compressed offset of the member's first byte (for errors).
    ///   - fileName: the file named in errors.
    mutating func read(_ input: UnsafeRawBufferPointer, memberOffset: Int64, fileName: String) throws -> Int {
        var used = 0
        func fail(_ reason: String, after count: Int64) -> SPRXError {
            SPRXError(
                .inputCorrupt, "corrupt gzip data (\(reason))",
                location: DataLocation(file: fileName, byteOffset: count))
        }
        var headerOffset: Int64 = memberOffset + Int64(consumedBefore)
        defer { consumedBefore += used }
        while used < input.count && field != .done {
            let byte = input[used]
            used += 1
            headerOffset += 1
            switch field {
            case .fixed:
                fieldBytes.append(byte)
                if fieldBytes.count == 2 && (fieldBytes[0] != 0x1F || fieldBytes[1] != 0x8B) {
                    throw fail("incorrect header check", after: headerOffset)
                }
                if fieldBytes.count == 4 {
                    if fieldBytes[2] != 8 { throw fail("unknown compression method", after: headerOffset) }
                    if fieldBytes[3] & 0xE0 != 0 { throw fail("unknown header flags set", after: headerOffset) }
                    flags = fieldBytes[3]
                }
                if fieldBytes.count == 10 {
                    crc = checksum(fieldBytes)
                    fieldBytes = []
                    field = flags & 0x04 != 0 ? .extraLength : fieldFollowing(.extra)
                }
            case .extraLength:
                fieldBytes.append(byte)
                if fieldBytes.count == 2 {
                    crc = checksum(fieldBytes, crc)
                    extraLeft = Int(fieldBytes[0]) | Int(fieldBytes[1]) << 8
                    fieldBytes = []
                    field = extraLeft > 0 ? .extra : fieldFollowing(.extra)
                }
            case .extra:
                if flags & 0x02 != 0 { crc = checksum([byte], crc) }
                extraLeft -= 1
                if extraLeft == 0 { field = fieldFollowing(.extra) }
            case .name:
                if flags & 0x02 != 0 { crc = checksum([byte], crc) }
                if byte == 0 { field = fieldFollowing(.name) }
            case .comment:
                if flags & 0x02 != 0 { crc = checksum([byte], crc) }
                if byte == 0 { field = fieldFollowing(.comment) }
            case .headerCRC:
                fieldBytes.append(byte)
                if fieldBytes.count == 2 {
                    let stored = UInt(fieldBytes[0]) | UInt(fieldBytes[1]) << 8
                    if stored != crc & 0xFFFF { throw fail("header crc mismatch", after: headerOffset) }
                    field = .done
                }
            case .done:
                break
            }
        }
        return used
    }

    /// The optional field that follows `field`, or the header CRC, or the end.
    private func fieldFollowing(_ field: Field) -> Field {
        switch field {
        case .extra where flags & 0x08 != 0: return .name
        case .extra, .name: return flags & 0x10 != 0 ? .comment : (flags & 0x02 != 0 ? .headerCRC : .done)
        default: return flags & 0x02 != 0 ? .headerCRC : .done
        }
    }

    /// zlib's CRC-32 of `bytes`, continuing `crc`.
    private func checksum(_ bytes: [UInt8], _ crc: UInt = 0) -> UInt {
        bytes.withUnsafeBytes { UInt(crc32(uLong(crc), $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
    }
}
