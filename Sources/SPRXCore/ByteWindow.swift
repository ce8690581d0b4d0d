#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable window on a byte stream: bytes are appended at the end and consumed from
/// the front.
///
/// Design note: the CSV row reader, the gzip reader and the duplicate ledger's read-back
/// all hold "what has been read and not yet used" this way. Consuming only moves the
/// front; the bytes still held are moved to the start of the storage (one `memmove`) only
/// when the end lacks the room a read asks for, and the storage grows (doubling) only
/// when even that is not enough, so a stream costs at most one move per refill and
/// memory stays at the largest amount held plus one read. Offsets into ``readable`` are
/// valid until the next ``consume(_:)``, ``removeAll()`` or ``freeSpace(minimum:)``.
/// Not `Sendable`: one window belongs to one reader on one thread.
public struct ByteWindow: ~Copyable {
    private var storage: UnsafeMutableRawBufferPointer
    /// Offset in `storage` of the first byte held.
    private var start = 0
    /// Offset in `storage` just past the last byte held.
    private var end = 0

    /// An empty window with room for `capacity` bytes before it first grows.
    public init(capacity: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(16, capacity), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// How many bytes the window holds.
    @inline(__always) public var count: Int { end - start }

    /// Whether the window holds no bytes.
    @inline(__always) public var isEmpty: Bool { end == start }

    /// Bytes the storage holds in all (held and free), for tests and memory bounds.
    public var capacity: Int { storage.count }

    /// The bytes held, first byte at offset 0 (writable, so a reader can rewrite bytes in place).
    @inline(__always) public var readable: UnsafeMutableRawBufferPointer {
        // safe: storage is allocated with at least 16 bytes in init and only ever replaced by a larger buffer
        UnsafeMutableRawBufferPointer(start: storage.baseAddress! + start, count: end - start)
    }

    /// The free space after the held bytes, at least `minimum` bytes long: the place to
    /// read into, followed by ``append(count:)``.
    ///
    /// The one place the window moves its bytes (to the front, when the end lacks room)
    /// or grows (to the larger of twice its size and what is held plus `minimum`).
    @inline(__always)
    public mutating func freeSpace(minimum: Int) -> UnsafeMutableRawBufferPointer {
        if storage.count - end < minimum { makeRoom(minimum) }
        // safe: storage is allocated with at least 16 bytes in init and only ever replaced by a larger buffer
        return UnsafeMutableRawBufferPointer(start: storage.baseAddress! + end, count: storage.count - end)
    }

    @inline(never)
    private mutating func makeRoom(_ minimum: Int) {
        let held = end - start
        if held + minimum > storage.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(storage.count * 2, held + minimum), alignment: 16)
            // safe: both buffers are allocated with at least 16 bytes
            if held > 0 { grown.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: held) }
            storage.deallocate()
            storage = grown
        } else if held > 0 {
            // safe: storage is allocated with at least 16 bytes
            memmove(storage.baseAddress!, storage.baseAddress! + start, held)
        }
        start = 0
        end = held
    }

    /// Takes the first `count` bytes of the last ``freeSpace(minimum:)`` as held.
    @inline(__always)
    public mutating func append(count: Int) {
        precondition(count >= 0 && count <= storage.count - end, "appended past the free space")
        end += count
    }

    /// Drops the first `count` held bytes.
    @inline(__always)
    public mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= end - start, "consumed more than is held")
        start += count
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Drops every held byte.
    public mutating func removeAll() {
        start = 0
        end = 0
    }
}
