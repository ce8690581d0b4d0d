/// The spaces and tabs around a field or a header name: the only padding sprx removes
/// from what it reads (other white space, a no-break space say, stays part of the text).
public enum Padding {
    /// Whether `byte` is padding: an ASCII space or tab.
    @inlinable @inline(__always)
    public static func isPadding(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// The offsets of `bytes` left when the padding at either end is removed.
    @inlinable @inline(__always)
    public static func unpadded(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
        var start = 0
        var end = bytes.count
        while start < end && isPadding(bytes[start]) { start += 1 }
        while end > start && isPadding(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    /// `bytes` without the padding at either end (a view into `bytes`, nothing copied).
    @inlinable @inline(__always)
    public static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[unpadded(bytes)])
    }
}

extension String {
    /// The text a header name is matched by: trimmed and lower-cased (a pipeline's
    /// column names and a file's headers compare by this, everywhere).
    public var headerKey: String { trimmingSpaces().lowercased() }

    /// The text without the spaces and tabs at either end (``Padding``).
    public func trimmingSpaces() -> String {
        var text = self
        return text.withUTF8 { String(decoding: Padding.trimmed(UnsafeRawBufferPointer($0)), as: UTF8.self) }
    }
}
