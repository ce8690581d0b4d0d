import CIsal
import CZlib
import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// ISA-L behind the gzip seam (issue 28, item 4): the same bytes as zlib, and the same
/// errors where sprx words them (truncation, header, trailer). zlib, a separate
/// implementation, is the reference: each case is read by both and must come out alike,
/// and the system `gzip` makes the members.
@Suite(.timeLimit(.minutes(10))) struct InflaterTests {
    let text = Array((0..<400).map { "row \($0),value \($0 * 7)\n" }.joined().utf8)

    /// Reads `bytes` through a ``GzipByteSource`` at most `maxRead` compressed bytes at a
    /// time into a `chunk`-byte buffer: the text, or the error.
    static func inflate(_ bytes: [UInt8], with inflater: Inflater, maxRead: Int = .max, chunk: Int = 4096) -> Result<[UInt8], SPRXError> {
        do {
            let gzip = try GzipByteSource(
                compressed: MemoryByteSource(bytes, maxRead: maxRead), name: "t.csv.gz", inputBufferSize: 64 * 1024, inflater: inflater)
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: chunk)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                if n == 0 { return .success(out) }
                out.append(contentsOf: buffer[0..<n])
            }
        } catch let error as SPRXError {
            return .failure(error)
        } catch {
            return .failure(SPRXError(.internalError, "not an SPRXError: \(error)"))
        }
    }

    /// The outcome as compared: the text, or the error's code, message and offset.
    static func outcome(_ result: Result<[UInt8], SPRXError>) -> String {
        switch result {
        case .success(let bytes):
            return "ok \(bytes.count) bytes, hash \(bytes.reduce(into: UInt64(14_695_981_039_346_656_037)) { $0 = ($0 ^ UInt64($1)) &* 1_099_511_628_211 })"
        case .failure(let error): return "\(error.code.rawValue) @\(error.location?.byteOffset ?? -1): \(error.message)"
        }
    }

    /// Asserts that ISA-L reads `bytes` as zlib does, whole and `maxRead` bytes at a time;
    /// returns zlib's outcome for the caller's own expectation.
    @discardableResult
    func expectSameAsZlib(_ bytes: [UInt8], maxReads: [Int] = [.max, 1], chunks: [Int] = [4096, 7], _ what: String) -> String {
        let reference = Self.outcome(Self.inflate(bytes, with: .zlib))
        for inflater in inflatersUnderTest {
            for maxRead in maxReads {
                for chunk in chunks {
                    let got = Self.outcome(Self.inflate(bytes, with: inflater, maxRead: maxRead, chunk: chunk))
                    #expect(got == reference, "\(what): \(inflater) read \(maxRead) at a time into \(chunk) bytes")
                }
            }
        }
        return reference
    }

    /// A member from the system `gzip -n` (10-byte header, flags 0), split into its
    /// header, its deflate data and its 8-byte trailer.
    func member(_ data: [UInt8]) throws -> (header: [UInt8], body: [UInt8], trailer: [UInt8]) {
        let gz = try systemGzip(data)
        #expect(gz[3] == 0, "gzip -n writes no optional header field")
        return (Array(gz[0..<10]), Array(gz[10..<(gz.count - 8)]), Array(gz[(gz.count - 8)...]))
    }

    /// A header with the optional fields RFC 1952 allows, in its order; `FHCRC`'s value
    /// from zlib's `crc32` (zlib's own inflate checks it: the reference read below).
    func header(extra: [UInt8]? = nil, name: String? = nil, comment: String? = nil, headerCRC: Bool = false) -> [UInt8] {
        var flags: UInt8 = 0
        var rest: [UInt8] = []
        if let extra {
            flags |= 0x04
            rest += [UInt8(extra.count & 0xFF), UInt8(extra.count >> 8)] + extra
        }
        if let name {
            flags |= 0x08
            rest += Array(name.utf8) + [0]
        }
        if let comment {
            flags |= 0x10
            rest += Array(comment.utf8) + [0]
        }
        if headerCRC { flags |= 0x02 }
        var bytes: [UInt8] = [0x1F, 0x8B, 8, flags, 0, 0, 0, 0, 0, 3] + rest
        if headerCRC {
            let crc = bytes.withUnsafeBytes { crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count)) }
            bytes += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF)]
        }
        return bytes
    }

    @Test(.enabled(if: Inflater.isalLoads, "libisal.so.2 did not load (install libisal2): the gzip tests ran against zlib only"))
    func isalLoadsAndNamesItsVersion() throws {
        #expect(Inflater.isal.versionDescription.hasPrefix("isa-l 2."), "\(Inflater.isal.versionDescription)")
        #expect(Inflater.isalProblem == nil)
        if FileManager.default.fileExists(atPath: "/usr/include/isa-l/igzip_lib.h") {
            #expect(sprx_isal_layout_checked_against_header() == 1, "isal.c compared its inflate_state with the installed header")
        }
    }

    /// CI installs libisal2 (.ci/run), so there a missing ISA-L is a failure, not a skip.
    @Test func ciTestsBothInflaters() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(Inflater.isalLoads, "CI installs libisal2, but ISA-L did not load: \(Inflater.isalProblem ?? "")")
        }
        #expect(Inflater.zlib.versionDescription == "zlib " + String(cString: zlibVersion()))
    }

    /// Optional header fields, alone and together, and two members: the text, with either
    /// inflater, however the compressed bytes are cut (the split verifier).
    @Test(arguments: inflatersUnderTest) func headerFieldsAndMembersDoNotDependOnReads(inflater: Inflater) throws {
        let a = try member(Array(text[0..<2000])), b = try member(Array(text[2000...]))
        let headers: [[UInt8]] = [
            header(), header(name: "referrals.csv"), header(extra: [1, 2, 3, 4, 5]), header(extra: []),
            header(comment: "monthly export"), header(headerCRC: true),
            header(extra: Array(repeating: 0xAB, count: 300), name: "r.csv", comment: "c", headerCRC: true),
        ]
        var random = SeededRandom()
        for first in headers {
            for second in [header(), header(name: "b.csv", headerCRC: true)] {
                let bytes = first + a.body + a.trailer + second + b.body + b.trailer
                #expect(Self.outcome(Self.inflate(bytes, with: .zlib)) == Self.outcome(.success(text)), "zlib reads the member")
                let whole = try SplitVerifier.verify(bytes, randomCuts: 8, random: &random) { source in
                    let gzip = try GzipByteSource(compressed: source, name: "split.csv.gz", inputBufferSize: 16, inflater: inflater)
                    var out: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 33)
                    while true {
                        let n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                        if n == 0 { return out }
                        out.append(contentsOf: buffer[0..<n])
                    }
                }
                #expect(whole == text)
            }
        }
    }

    /// Stored (incompressible), fixed- and dynamic-Huffman blocks, empty members and
    /// members larger than ISA-L's 64 KiB window buffer: the original bytes, as zlib gives.
    @Test func sameBytesAsZlibOnEveryBlockKind() throws {
        var random = SeededRandom()
        let noise = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let rows = Array((0..<30_000).map { "row \($0),\($0 % 97),\($0 * 31 % 1009)\n" }.joined().utf8)
        for (data, level) in [(noise, Int32(6)), (rows, 1), (rows, 9), ([], 6), (Array("a".utf8), 6), (Array(rows[0..<5]), 0)] {
            let gz = try GzipDeflater.compress(data, level: level)
            let outcome = expectSameAsZlib(gz + gz, maxReads: [.max, 4093], chunks: [1 << 16, 1000], "\(data.count) bytes at level \(level)")
            #expect(outcome == Self.outcome(.success(data + data)))
        }
    }

    /// A member cut at every byte: "truncated" at the cut, as zlib says.
    @Test func truncationIsReportedAsZlibDoes() throws {
        let a = try member(Array(text[0..<300])), b = try member(Array(text[300..<600]))
        let bytes = header(name: "a.csv", headerCRC: true) + a.body + a.trailer + b.header + b.body + b.trailer
        for cut in 1..<bytes.count {
            let outcome = expectSameAsZlib(Array(bytes[0..<cut]), maxReads: [.max, 5], chunks: [4096], "cut at \(cut)")
            let memberEnds = [bytes.count - (b.header.count + b.body.count + b.trailer.count)]
            if !memberEnds.contains(cut) {
                #expect(outcome == "input.corrupt @\(cut): gzip data truncated: the last member does not end", "cut at \(cut)")
            }
        }
    }

    /// Every trailer byte changed: CRC-32 errors 4 bytes before the member's end, length
    /// errors at its end (zlib checks each field once its 4 bytes are read).
    @Test func trailerErrorsAreReportedAsZlibDoes() throws {
        let a = try member(Array(text[0..<500])), b = try member(Array(text[500...]))
        let first = a.header + a.body + a.trailer
        for index in 0..<8 {
            for corruptFirst in [true, false] {
                var bytes = first + b.header + b.body + b.trailer
                let end = corruptFirst ? first.count : bytes.count
                bytes[end - 8 + index] ^= 0x5A
                let outcome = expectSameAsZlib(bytes, "trailer byte \(index), first member \(corruptFirst)")
                let expected =
                    index < 4
                    ? "input.corrupt @\(end - 4): corrupt gzip data (incorrect data check)"
                    : "input.corrupt @\(end): corrupt gzip data (incorrect length check)"
                #expect(outcome == expected)
            }
        }
    }

    /// Header errors in a second member, at the offsets counted by hand from zlib's reads
    /// (2 bytes for the magic, 4 for method and flags, the whole header for its CRC).
    @Test func headerErrorsAreReportedAsZlibDoes() throws {
        let a = try member(Array(text[0..<500])), b = try member(Array(text[500...]))
        let first = a.header + a.body + a.trailer
        let start = first.count
        var goodCRC = header(name: "b.csv", headerCRC: true)
        goodCRC[goodCRC.count - 1] ^= 0x01
        let cases: [([UInt8], String)] = [
            ([0x1F, 0x8C] + b.header[2...], "@\(start + 2): corrupt gzip data (incorrect header check)"),
            ([0x1F, 0x8B, 7] + b.header[3...], "@\(start + 4): corrupt gzip data (unknown compression method)"),
            ([0x1F, 0x8B, 8, 0x20] + b.header[4...], "@\(start + 4): corrupt gzip data (unknown header flags set)"),
            ([0x1F, 0x8B, 8, 0x80] + b.header[4...], "@\(start + 4): corrupt gzip data (unknown header flags set)"),
            (goodCRC, "@\(start + goodCRC.count): corrupt gzip data (header crc mismatch)"),
        ]
        for (secondHeader, expected) in cases {
            let outcome = expectSameAsZlib(first + secondHeader + b.body + b.trailer, "header \(secondHeader.prefix(4))")
            #expect(outcome == "input.corrupt " + expected)
        }
    }

    /// Damage inside the deflate data fails with either inflater (the reason's words and,
    /// with ISA-L's read-ahead, the offset may differ; what is published may not).
    @Test(arguments: inflatersUnderTest) func corruptDeflateDataFails(inflater: Inflater) throws {
        let a = try member(Array(text))
        var failures = 0
        for position in stride(from: 0, to: a.body.count, by: max(1, a.body.count / 40)) {
            var body = a.body
            body[position] ^= 0xFF
            let bytes = a.header + body + a.trailer
            let zlib = Self.inflate(bytes, with: .zlib)
            let result = Self.inflate(bytes, with: inflater, maxRead: 3)
            if case .failure(let error) = result {
                failures += 1
                #expect(error.code == .inputCorrupt && error.message.hasPrefix("corrupt gzip data (") || error.message.contains("truncated"))
                #expect(error.location?.file == "t.csv.gz")
            }
            #expect(result.isFailure == zlib.isFailure, "byte \(position): zlib and \(inflater) disagree on whether it is damaged")
        }
        #expect(failures > 20)
    }

    /// Inflate throughput of each inflater on the `.gz` files of the folder
    /// `SPRX_INFLATE_THROUGHPUT` names, as `zcat > /dev/null` reads them but from memory
    /// (the files read first, so neither the disk nor the input SHA-256 is timed;
    /// GzipByteSource's 256 KiB input buffer, 1 MiB reads): best of 3, printed in MB/s of
    /// output; both must give the same bytes (length and CRC-32, in an untimed pass).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SPRX_INFLATE_THROUGHPUT"] != nil, "set SPRX_INFLATE_THROUGHPUT to a folder of gzip files"))
    func inflateThroughput() throws {
        let folder = try #require(ProcessInfo.processInfo.environment["SPRX_INFLATE_THROUGHPUT"])
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".gz") }.sorted().map { folder + "/" + $0 }
        try #require(!files.isEmpty)
        let contents = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        /// Inflates every file; the output's length and, when asked, its CRC-32 per file.
        func readAll(_ inflater: Inflater, checksum: Bool) throws -> [String] {
            try zip(files, contents).map { path, bytes in
                let gzip = try GzipByteSource(compressed: MemoryByteSource(bytes), name: path, inflater: inflater)
                var length = 0
                var crc: uLong = 0
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try gzip.read(into: $0) }
                    if n == 0 { break }
                    length += n
                    if checksum { crc = buffer.withUnsafeBytes { crc32(crc, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(n)) } }
                }
                return "\(length) \(crc)"
            }
        }
        let compressed = contents.reduce(0) { $0 + $1.count }
        let reference = try readAll(.zlib, checksum: true)
        for inflater in inflatersUnderTest {
            #expect(try readAll(inflater, checksum: true) == reference, "\(inflater) gives other bytes than zlib")
            var best = Double.infinity
            for _ in 0..<3 {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try readAll(inflater, checksum: false)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let output = reference.reduce(0) { $0 + (Int($1.split(separator: " ")[0]) ?? 0) }
            print(
                "inflate throughput: \(inflater.versionDescription): \(files.count) files, \(compressed / 1_000_000) MB in, \(output / 1_000_000) MB out, "
                    + "best of 3 \(String(format: "%.3f", best)) s: \(String(format: "%.0f", Double(output) / best / 1e6)) MB/s out, \(String(format: "%.0f", Double(compressed) / best / 1e6)) MB/s in"
            )
        }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
