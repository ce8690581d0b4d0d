import Foundation
import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of thing a path names, as far as reading an extract goes.
///
/// sprx reads regular files and pipes (a FIFO, `/dev/stdin` when it is a pipe,
/// `<(command)`). A character device such as `/dev/zero` would never end, a folder or a
/// socket is not an extract: each is refused by name (exit 66) before any byte is read.
public enum InputKind: Sendable, Equatable {
    case regularFile, pipe, folder, characterDevice, blockDevice, socket, symbolicLink, other

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regularFile
        case S_IFIFO: self = .pipe
        case S_IFDIR: self = .folder
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        case S_IFLNK: self = .symbolicLink
        default: self = .other
        }
    }

    /// The kind of `path` (following symbolic links), or `nil` if it does not exist.
    public static func of(_ path: String) -> InputKind? {
        var info = stat()
        return stat(path, &info) == 0 ? InputKind(mode: info.st_mode) : nil
    }

    /// Whether sprx reads this kind of input.
    public var isReadable: Bool { self == .regularFile || self == .pipe }

    /// The kind in words, for messages.
    public var name: String {
        switch self {
        case .regularFile: "a regular file"
        case .pipe: "a pipe"
        case .folder: "a folder"
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .socket: "a socket"
        case .symbolicLink: "a symbolic link"
        case .other: "not a file"
        }
    }

    /// Throws (exit 66) unless sprx reads this kind of input.
    public func requireReadable(_ path: String) throws {
        guard !isReadable else { return }
        throw SPRXError(
            .inputUnreadable, "input is \(name), not a regular file or a pipe; sprx reads CSV files and pipes",
            location: DataLocation(file: path))
    }
}

/// What the first bytes of an input say it is: plain text or gzip (both read), or an
/// encoding or compression sprx does not read, named so the user knows what to do.
public enum InputFormat: Sendable, Equatable {
    case plain, gzip
    case utf16(bigEndian: Bool), utf32(bigEndian: Bool)
    case xz, bzip2, zstd, zip, xlsx, sevenZip, excel97

    /// How many leading bytes ``sniff(_:)`` looks at.
    public static let sniffLength = 64

    /// What a file starting with `head` is (`head` is shorter only when the file is).
    public static func sniff(_ head: [UInt8]) -> InputFormat {
        func starts(_ magic: [UInt8]) -> Bool { head.starts(with: magic) }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return .sevenZip }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return .excel97 }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) || starts([0x50, 0x4B, 0x07, 0x08]) {
            // An Excel workbook is a zip whose first entry is usually [Content_Types].xml.
            let contentTypes = Array("[Content_Types].xml".utf8)
            return head.count >= 30 + contentTypes.count && Array(head[30..<(30 + contentTypes.count)]) == contentTypes ? .xlsx : .zip
        }
        // "BZh", a block size 1-9, then the block or end-of-stream magic.
        if head.count >= 10, starts([0x42, 0x5A, 0x68]), (0x31...0x39).contains(head[3]) {
            let magic = Array(head[4..<10])
            if magic == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || magic == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90] { return .bzip2 }
        }
        // Byte-order marks: UTF-32 first, as its little-endian mark begins with UTF-16's.
        if starts([0xFF, 0xFE, 0x00, 0x00]) { return .utf32(bigEndian: false) }
        if starts([0x00, 0x00, 0xFE, 0xFF]) { return .utf32(bigEndian: true) }
        if starts([0xFF, 0xFE]) { return .utf16(bigEndian: false) }
        if starts([0xFE, 0xFF]) { return .utf16(bigEndian: true) }
        // Without a mark: ASCII header text in UTF-32 or UTF-16 has NUL bytes in a fixed
        // pattern. Eight bytes of the pattern are enough; UTF-8 text never has a NUL.
        if head.count >= 8 {
            let nul = head[0..<8].map { $0 == 0 }
            if nul == [false, true, true, true, false, true, true, true] { return .utf32(bigEndian: false) }
            if nul == [true, true, true, false, true, true, true, false] { return .utf32(bigEndian: true) }
            if nul == [false, true, false, true, false, true, false, true] { return .utf16(bigEndian: false) }
            if nul == [true, false, true, false, true, false, true, false] { return .utf16(bigEndian: true) }
        }
        return .plain
    }

    /// What is wrong, completing "file is …", or `nil` for a format sprx reads.
    public var problem: String? {
        switch self {
        case .plain, .gzip: nil
        case .utf16(let bigEndian):
            "UTF-16\(bigEndian ? " big-endian" : "") text (Excel's 'Unicode Text' save, for one): add `input: {encoding: utf-16}` to the pipeline (with `delimiter: tab` for Excel's tab-separated save), or save it as 'CSV UTF-8'"
        case .utf32: "UTF-32 text; sprx reads UTF-8, UTF-16 and Windows-1252: save it as 'CSV UTF-8'"
        case .xz: "xz-compressed; sprx reads plain or gzip CSV: decompress it (unxz) or compress it with gzip"
        case .bzip2: "bzip2-compressed; sprx reads plain or gzip CSV: decompress it (bunzip2) or compress it with gzip"
        case .zstd: "zstd-compressed; sprx reads plain or gzip CSV: decompress it (unzstd) or compress it with gzip"
        case .zip: "a zip archive; sprx reads plain or gzip CSV: unzip it and name the CSV files"
        case .xlsx: "an Excel workbook (.xlsx); sprx reads CSV: save the sheet as 'CSV UTF-8'"
        case .sevenZip: "a 7-Zip archive; sprx reads plain or gzip CSV: extract it and name the CSV files"
        case .excel97: "an Excel 97-2003 workbook (.xls) or another OLE2 document; sprx reads CSV: save the sheet as 'CSV UTF-8'"
        }
    }
}

/// Turns the `--input` arguments into the list of files to read.
public enum InputResolver {
    /// Files as given, folders as their `*.csv` and `*.csv.gz` entries in byte order of
    /// their names.
    ///
    /// A named input may be a regular file or a pipe. A folder's matching entry must be a
    /// regular file (following symbolic links): a FIFO, device or folder named `*.csv`
    /// inside an input folder fails the run naming it (exit 66), because reading it could
    /// wait forever and skipping it would drop an extract without a word.
    /// Whether an entry of an input folder with this name is read as an input: `*.csv`
    /// and `*.csv.gz`, extensions in any case (Windows exports write `.CSV`); never the
    /// AppleDouble `._name` files macOS leaves beside copies.
    public static func readsEntry(named name: String) -> Bool {
        let lower = name.lowercased()
        return (lower.hasSuffix(".csv") || lower.hasSuffix(".csv.gz")) && !name.hasPrefix("._")
    }

    /// `reads` chooses a folder's entries (default ``readsEntry(named:)``), `described`
    /// names them when a folder has none (`sprx merge` reads folders of partials so).
    public static func resolve(
        _ inputs: [String], reads: (String) -> Bool = readsEntry(named:),
        described: String = "*.csv or *.csv.gz files (extensions in any case); name other files as --input directly"
    ) throws -> [String] {
        var files: [String] = []
        for input in inputs {
            guard let kind = InputKind.of(input) else {
                throw SPRXError(.inputUnreadable, "input does not exist", location: DataLocation(file: input))
            }
            if kind == .folder {
                let names = try entries(of: input)
                    .filter(reads)
                    .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                if names.isEmpty {
                    throw SPRXError(
                        .inputUnreadable, "folder holds no \(described)",
                        location: DataLocation(file: input))
                }
                for name in names {
                    let path = (input as NSString).appendingPathComponent(name)
                    guard let entryKind = InputKind.of(path) else {
                        throw SPRXError(.inputUnreadable, "folder entry cannot be read (a broken symbolic link?)", location: DataLocation(file: path))
                    }
                    guard entryKind == .regularFile else {
                        throw SPRXError(
                            .inputUnreadable,
                            "folder entry is \(entryKind.name), not a regular file; sprx reads only regular files from an input folder (name a pipe as an --input of its own)",
                            location: DataLocation(file: path))
                    }
                    files.append(path)
                }
            } else {
                try kind.requireReadable(input)
                files.append(input)
            }
        }
        return files
    }

    private static func entries(of folder: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw SPRXError(.inputUnreadable, "cannot list the input folder", location: DataLocation(file: folder))
        }
    }
}
