import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXCore

#if canImport(Glibc)
import Glibc
#endif

/// The one EINTR loop and the descriptor wrapper on it (``SystemCall``, ``FileDescriptor``).
@Suite(.timeLimit(.minutes(10))) struct SystemCallTests {
    /// A call interrupted twice is made a third time and its value returned; with
    /// `retryOnInterrupt: false` the first EINTR is the answer; other errors are never retried.
    @Test func interruptedCallsAreRetriedAndNothingElseIs() {
        var calls = 0
        let retried = SystemCall.valueOrErrno { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(retried == .success(7) && calls == 3)
        calls = 0
        let once = SystemCall.valueOrErrno(retryOnInterrupt: false) { () -> Int32 in
            calls += 1
            errno = EINTR
            return -1
        }
        #expect(once == .failure(Errno(EINTR)) && calls == 1)
        calls = 0
        let failed = SystemCall.valueOrErrno { () -> Int in
            calls += 1
            errno = ENOSPC
            return -1
        }
        #expect(failed == .failure(Errno(ENOSPC)) && calls == 1)
        // strerror(ENOSPC) in glibc.
        #expect(Errno(ENOSPC).reason == "No space left on device")
    }

    /// Bytes written through a descriptor are read back the same, from the start.
    @Test func writeSeekReadRoundTrip() throws {
        let path = (ScratchFolder.root + "/") + "sprx-seam-\(UUID().uuidString)"
        defer { unlink(path) }
        let fd = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_EXCL, permissions: 0o600)
        defer { fd.close() }
        let text = Array("one system seam\n".utf8)
        try text.withUnsafeBytes { (bytes) throws in try fd.writeAll(bytes) }
        try fd.sync()
        try fd.seekToStart()
        var back = [UInt8](repeating: 0, count: 64)
        let n = try back.withUnsafeMutableBytes { (buffer) throws in try fd.read(into: buffer) }
        #expect(Array(back[0..<n]) == text)
        #expect(try fd.status().st_size == text.count)
        #expect(try fd.status().st_mode & 0o777 == 0o600)
        #expect(fcntl(fd.rawValue, F_GETFD) & FD_CLOEXEC != 0, "descriptors are close-on-exec")
    }

    /// Opening what is not there names the system's reason.
    @Test func openFailureIsTheErrno() {
        #expect(throws: Errno(ENOENT)) { try FileDescriptor.open("/nonexistent/sprx-seam", O_RDONLY) }
    }

    /// `renameat2`: no-replace refuses an existing destination; exchange swaps two files.
    @Test func renameNoReplaceAndExchange() throws {
        let dir = (ScratchFolder.root + "/") + "sprx-seam-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("a".utf8).write(to: URL(fileURLWithPath: dir + "/a"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: dir + "/b"))
        #expect(SystemCall.rename(dir + "/a", to: dir + "/b", .noReplace) == .failure(Errno(EEXIST)))
        #expect(SystemCall.rename(dir + "/a", to: dir + "/b", .exchange) == .success(()))
        #expect(try String(contentsOfFile: dir + "/b", encoding: .utf8) == "a")
        #expect(try String(contentsOfFile: dir + "/a", encoding: .utf8) == "b")
    }
}

extension Result where Success == Void, Failure == Errno {
    static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.success, .success): true
        case (.failure(let x), .failure(let y)): x == y
        default: false
        }
    }
}

/// ``ByteWindow`` against an `Array` fed the same appends and consumes.
@Suite(.timeLimit(.minutes(10))) struct ByteWindowTests {
    @Test func agreesWithAnArrayUnderRandomAppendsAndConsumes() {
        var random = SeededRandom()
        var window = ByteWindow(capacity: 32)
        var model: [UInt8] = []
        var next: UInt8 = 0
        var largestAsked = 0
        for _ in 0..<5_000 {
            if Bool.random(using: &random) {
                let minimum = Int.random(in: 1...100, using: &random)
                largestAsked = max(largestAsked, model.count + minimum)
                let space = window.freeSpace(minimum: minimum)
                #expect(space.count >= minimum, "\(random)")
                let n = Int.random(in: 0...minimum, using: &random)
                for i in 0..<n {
                    space[i] = next
                    model.append(next)
                    next &+= 1
                }
                window.append(count: n)
            } else {
                let n = Int.random(in: 0...model.count, using: &random)
                window.consume(n)
                model.removeFirst(n)
            }
            #expect(Array(window.readable) == model, "\(random)")
            #expect(window.count == model.count && window.isEmpty == model.isEmpty, "\(random)")
        }
        // Growth doubles from what was needed: never more than twice the most ever asked for.
        #expect(window.capacity <= max(32, 2 * largestAsked), "\(random)")
    }

    /// Consuming everything makes the whole storage free again without moving a byte.
    @Test func emptyingFreesTheStorage() {
        var window = ByteWindow(capacity: 64)
        _ = window.freeSpace(minimum: 64)
        window.append(count: 40)
        window.consume(40)
        #expect(window.freeSpace(minimum: 1).count == 64)
        #expect(window.capacity == 64)
    }
}

/// The one padding trim (``Padding``) on bytes and on text.
@Suite(.timeLimit(.minutes(10))) struct PaddingTests {
    @Test func spacesAndTabsAtEitherEndOnly() {
        #expect(" \t a b\t \t".trimmingSpaces() == "a b")
        #expect("\u{A0}x\u{A0}".trimmingSpaces() == "\u{A0}x\u{A0}", "a no-break space is data, not padding")
        #expect(" \t ".trimmingSpaces() == "")
        #expect("\nx\r".trimmingSpaces() == "\nx\r", "line ends are not padding")
        let bytes: [UInt8] = [0x20, 0x09, 0x41, 0x20, 0x42, 0x09]
        bytes.withUnsafeBytes { #expect(Array(Padding.trimmed($0)) == [0x41, 0x20, 0x42]) }
    }
}

/// The codes are a closed set with the raw strings messages print (`error[input.format]`);
/// the list is the one sprx has printed since its first release (SPRXError.swift at a864057).
@Suite(.timeLimit(.minutes(10))) struct ErrorCodeTests {
    @Test func theCodesAreTheDocumentedOnes() {
        #expect(
            SPRXError.Code.allCases.map(\.rawValue) == [
                "usage", "pipeline.invalid", "input.unreadable", "input.corrupt", "input.format", "reference.invalid", "output.failed",
                "output.locked", "quality.gate", "internal",
            ])
        #expect(SPRXError.Code(rawValue: "made.up") == nil)
        #expect(SPRXError(.inputFormat, "x").description == "error[input.format]: x")
    }
}
