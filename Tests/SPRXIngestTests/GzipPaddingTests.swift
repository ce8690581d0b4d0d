import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// Zero padding after gzip data (issue 24, item 11): accepted and counted, as the system
/// `gzip -dc` accepts it (exit 0, checked below on the same bytes); any other byte after
/// the data, or after the padding, fails (65) naming the file and the byte offset. The
/// gzip bytes come from the system `gzip` (an independent encoder).
@Suite(.timeLimit(.minutes(10))) struct GzipPaddingTests {
    let text = Array((0..<500).map { "row \($0),value \($0 * 7)\n" }.joined().utf8)

    /// The decoded bytes and the padding counted, read `maxRead` bytes at a time.
    func read(_ bytes: [UInt8], maxRead: Int = .max, inflater: Inflater) throws -> (text: [UInt8], padding: Int64) {
        let path = try writeTemp(bytes, name: "padded.csv.gz")
        let opened = try InputOpener.openInput(path: path, maxRead: maxRead, inflater: inflater)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try opened.source.read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return (out, opened.gzip?.trailingZeroBytes ?? -1)
    }

    /// What the system `gzip -dc` says of `bytes`: its exit status.
    func systemGunzipStatus(_ bytes: [UInt8]) throws -> Int32 {
        let path = try writeTemp(bytes, name: "check.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \"$0\" > /dev/null 2>&1", path]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test(arguments: inflatersUnderTest, [1, 7, 4096, 1 << 20])
    func zeroPaddingIsAcceptedAndCounted(inflater: Inflater, zeros: Int) throws {
        let padded = try systemGzip(text) + [UInt8](repeating: 0, count: zeros)
        #expect(try systemGunzipStatus(padded) == 0, "gzip itself reads it")
        for maxRead in [Int.max, 1000, 1] where maxRead != 1 || zeros <= 4096 {
            let (decoded, padding) = try read(padded, maxRead: maxRead, inflater: inflater)
            #expect(decoded == text)
            #expect(padding == Int64(zeros))
        }
    }

    @Test(arguments: inflatersUnderTest) func unpaddedGzipHasNoPadding(inflater: Inflater) throws {
        let (decoded, padding) = try read(try systemGzip(text), inflater: inflater)
        #expect(decoded == text && padding == 0)
    }

    /// Two members and then padding: both members read, the padding counted.
    @Test(arguments: inflatersUnderTest) func paddingAfterTwoMembers(inflater: Inflater) throws {
        let a = Array(text[0..<1000]), b = Array(text[1000...])
        let (decoded, padding) = try read(try systemGzip(a) + systemGzip(b) + [0, 0, 0], inflater: inflater)
        #expect(decoded == text && padding == 3)
    }

    /// Garbage, at once or after padding, fails naming the file and the offset of the
    /// first byte that is neither padding nor a member (counted by hand from the lengths).
    @Test(
        arguments: inflatersUnderTest,
        [
            ([UInt8](Array("x".utf8)), 0), ([0x0A], 0), ([0, 0, 0, 0x41], 3), ([0, 0x1F, 0x8B], 1), ([UInt8](repeating: 0, count: 5000) + [1], 5000),
        ])
    func otherTrailingBytesFail(inflater: Inflater, trailing: ([UInt8], Int)) throws {
        let (trailing, offsetAfterData) = trailing
        let gz = try systemGzip(text)
        let error = #expect(throws: SPRXError.self) { try read(gz + trailing, inflater: inflater) }
        #expect(error?.code == .inputCorrupt)
        #expect(error?.location?.file.hasSuffix("padded.csv.gz") == true)
        #expect(error?.location?.byteOffset == Int64(gz.count + offsetAfterData), "\(String(describing: error))")
        #expect(error?.message.contains("gzip") == true)
    }

    /// Padding read through the split verifier: the output and the count do not depend
    /// on where the compressed bytes are cut.
    @Test(arguments: inflatersUnderTest) func paddingDoesNotDependOnReads(inflater: Inflater) throws {
        struct Decoded: Equatable {
            var text: [UInt8]
            var padding: Int64
        }
        let padded = try systemGzip(Array(text[0..<300])) + [UInt8](repeating: 0, count: 40)
        var random = SeededRandom()
        let whole = try SplitVerifier.verify(padded, randomCuts: 8, random: &random) { source in
            let gzip = try GzipByteSource(compressed: source, name: "split.csv.gz", inputBufferSize: 16, inflater: inflater)
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                if n == 0 { break }
                out.append(contentsOf: buffer[0..<n])
            }
            return Decoded(text: out, padding: gzip.trailingZeroBytes)
        }
        #expect(whole == Decoded(text: Array(text[0..<300]), padding: 40))
    }
}
