#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place sprx calls the operating system for file descriptors, reads, writes,
/// renames and allocator settings.
///
/// Design note: modelled on swift-system's `valueOrErrno(retryOnInterrupt:_:)`. Every
/// call that can be interrupted by a signal goes through ``valueOrErrno(retryOnInterrupt:_:)``,
/// the one EINTR retry loop; a failure is an ``Errno``, which the caller turns into the
/// ``SPRXError`` its stage reports (the code, the message and the file are the caller's).
/// The two C functions the Glibc module does not declare (`renameat2`, `mallopt`) are
/// declared here and nowhere else.
public enum SystemCall {
    /// Calls `body` until it does not fail with EINTR; -1 is the failure, read from `errno`.
    ///
    /// - Parameter retryOnInterrupt: whether EINTR calls `body` again (`close` must not).
    @inline(__always)
    public static func valueOrErrno<Value: FixedWidthInteger>(
        retryOnInterrupt: Bool = true, _ body: () -> Value
    ) -> Result<Value, Errno> {
        while true {
            let value = body()
            guard value == -1 else { return .success(value) }
            let failure = Errno(errno)
            guard retryOnInterrupt && failure.code == EINTR else { return .failure(failure) }
        }
    }

    /// Like ``valueOrErrno(retryOnInterrupt:_:)`` for calls whose only result is success.
    @inline(__always)
    public static func nothingOrErrno<Value: FixedWidthInteger>(
        retryOnInterrupt: Bool = true, _ body: () -> Value
    ) -> Result<Void, Errno> {
        valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
    }

    /// How ``rename(_:to:_:)`` treats an existing destination.
    public enum RenameMode: UInt32, Sendable {
        /// Replaces an existing destination atomically, as `rename(2)` does.
        case replace = 0
        /// Fails with EEXIST if the destination exists (`RENAME_NOREPLACE`).
        case noReplace = 1
        /// Swaps source and destination atomically; both must exist (`RENAME_EXCHANGE`).
        case exchange = 2
    }

    #if os(Linux)
    /// Renames `source` to `destination` with `renameat2(2)` (both relative to the
    /// current folder when not absolute).
    public static func rename(_ source: String, to destination: String, _ mode: RenameMode) -> Result<Void, Errno> {
        nothingOrErrno { linuxRenameat2(AT_FDCWD, source, AT_FDCWD, destination, mode.rawValue) }
    }

    /// Makes glibc serve allocations of `bytes` or more with `mmap`, so they go back to
    /// the system when freed (`mallopt(M_MMAP_THRESHOLD)`); best effort.
    public static func setMmapThreshold(bytes: Int32) {
        _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, bytes)
    }
    #else
    public static func setMmapThreshold(bytes: Int32) {}
    #endif
}

#if os(Linux)
/// Linux `renameat2(2)`, declared by glibc but not part of the Glibc module.
@_silgen_name("renameat2")
private func linuxRenameat2(
    _ olddirfd: Int32, _ oldpath: UnsafePointer<CChar>, _ newdirfd: Int32, _ newpath: UnsafePointer<CChar>, _ flags: UInt32
) -> Int32

/// glibc's `mallopt(3)`; `<malloc.h>` is not part of the Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// A failed system call's `errno`.
public struct Errno: Error, Sendable, Hashable {
    /// The `errno` value.
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    /// The system's description of the error (`strerror`), as messages quote it.
    public var reason: String { String(cString: strerror(code)) }
}

/// An open file descriptor: the operations sprx needs, each through ``SystemCall``.
///
/// A plain value, as in swift-system: the owner closes it once with ``close()``.
public struct FileDescriptor: Sendable, Hashable {
    /// The descriptor number.
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Standard error (descriptor 2).
    public static let standardError = FileDescriptor(rawValue: 2)

    /// Opens `path` with `open(2)` flags (`O_CLOEXEC` is always added) and, when it
    /// creates the file, `permissions`.
    public static func open(_ path: String, _ flags: Int32, permissions: mode_t = 0) throws(Errno) -> FileDescriptor {
        let fd = try SystemCall.valueOrErrno { Glibc.open(path, flags | O_CLOEXEC, permissions) }.get()
        return FileDescriptor(rawValue: fd)
    }

    /// Reads at most `buffer.count` bytes; 0 means the end of the file.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try SystemCall.valueOrErrno { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }.get()
    }

    /// Writes every byte of `bytes`, resuming after short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            // safe: the loop runs only while bytes.count > 0, so the buffer has a base address
            let n = try SystemCall.valueOrErrno { Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset) }.get()
            // write(2) makes no progress only when something is wrong with the file.
            guard n > 0 else { throw Errno(EIO) }
            offset += n
        }
    }

    /// Moves the file offset back to the start.
    public func seekToStart() throws(Errno) {
        _ = try SystemCall.valueOrErrno { lseek(rawValue, 0, SEEK_SET) }.get()
    }

    /// Flushes the file to its storage (`fsync(2)`).
    public func sync() throws(Errno) {
        try SystemCall.nothingOrErrno { fsync(rawValue) }.get()
    }

    /// The file's status (`fstat(2)`).
    public func status() throws(Errno) -> stat {
        var info = stat()
        try SystemCall.nothingOrErrno { fstat(rawValue, &info) }.get()
        return info
    }

    /// Sets the file's permission bits (`fchmod(2)`), best effort.
    public func setPermissions(_ mode: mode_t) {
        _ = SystemCall.valueOrErrno { fchmod(rawValue, mode) }
    }

    /// Closes the descriptor. Never retried: on Linux the descriptor is gone even when
    /// `close` reports EINTR, and retrying could close another thread's new descriptor.
    public func close() {
        _ = SystemCall.valueOrErrno(retryOnInterrupt: false) { Glibc.close(rawValue) }
    }
}
