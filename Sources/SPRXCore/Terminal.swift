#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text from outside sprx (file names, header names) made safe to print on a terminal.
public enum DisplayText {
    /// `text` with control characters, bidirectional overrides and line separators shown
    /// as `\u{XX}` escapes, so a file name cannot move the cursor, rewrite a line or
    /// forge a second message.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether a scalar could change what a terminal shows beyond its own glyph.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1 controls (ESC, CR, BEL, CSI...)
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional marks and overrides
        case 0xFEFF: true  // zero-width no-break space (BOM)
        default: false
        }
    }
}

/// The process's standard error, written with `write(2)` and never trapping.
///
/// Design note: `FileHandle.standardError.write` traps when the descriptor is closed
/// (`2>&-`) or the reader has gone (EPIPE), which once turned a published run into
/// exit 132. Messages are best-effort: a failed write to stderr is not a failed run.
public enum StandardError {
    /// Writes a message and a newline, each of its lines escaped by
    /// ``DisplayText/escaped(_:)`` (a message may span lines; text from outside sprx is
    /// escaped where it enters a message, as ``DataLocation`` does for file names).
    public static func line(_ text: String) {
        raw(text.split(separator: "\n", omittingEmptySubsequences: false).map { DisplayText.escaped(String($0)) }.joined(separator: "\n") + "\n")
    }

    /// Writes `text` as it is: only for text sprx composed itself (progress, ANSI erase).
    public static func raw(_ text: String) {
        var text = text
        text.withUTF8 { try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0)) }
    }

    /// Makes sure descriptors 0, 1 and 2 are open (on `/dev/null` if they were closed).
    ///
    /// Called first thing: a process started with `2>&-` would otherwise get descriptor 2
    /// for the first file it opens, and every message would be written into that file.
    public static func reserveStandardDescriptors() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", O_RDWR)
            if opened >= 0 && opened != fd {
                _ = dup2(opened, fd)
                _ = close(opened)
            }
        }
    }
}
