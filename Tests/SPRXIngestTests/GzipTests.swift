import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXIngest

/// Runs the system `gzip` so expected bytes come from an independent encoder.
func systemGzip(_ data: [UInt8]) throws -> [UInt8] {
    let dir = ScratchFolder.url.appendingPathComponent("sprx-gz-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("x")
    try Data(data).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-n", file.path]
    try process.run()
    process.waitUntilExit()
    return Array(try Data(contentsOf: dir.appendingPathComponent("x.gz")))
}

func writeTemp(_ bytes: [UInt8], name: String) throws -> String {
    let dir = ScratchFolder.url.appendingPathComponent("sprx-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func readAllDecoded(path: String, maxRead: Int = .max, inflater: Inflater? = nil) throws -> [UInt8] {
    let source = try InputOpener.openInput(path: path, maxRead: maxRead, inflater: inflater).source
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return out
}

/// Every gzip test runs against each inflater (``Inflater``) this machine has: zlib, and
/// ISA-L when libisal.so.2 loads (`InflaterTests` says so visibly when it does not, and
/// fails under CI, which installs it).
let inflatersUnderTest: [Inflater] = Inflater.isalLoads ? [.zlib, .isal] : [.zlib]

@Suite(.timeLimit(.minutes(10))) struct GzipTests {
    let text = Array((0..<2000).map { "row \($0),value \($0 * 7)\n" }.joined().utf8)

    @Test(arguments: inflatersUnderTest) func inflatesSystemGzip(inflater: Inflater) throws {
        let path = try writeTemp(try systemGzip(text), name: "a.csv.gz")
        #expect(try readAllDecoded(path: path, inflater: inflater) == text)
        #expect(try readAllDecoded(path: path, maxRead: 1, inflater: inflater) == text)
    }

    @Test(arguments: inflatersUnderTest) func multiMemberGzipIsOneStream(inflater: Inflater) throws {
        // `cat a.gz b.gz` as the contract allows: both members' bytes, in order.
        let a = Array(text[0..<1000]), b = Array(text[1000...])
        let path = try writeTemp(try systemGzip(a) + systemGzip(b), name: "ab.csv.gz")
        #expect(try readAllDecoded(path: path, inflater: inflater) == text)
        #expect(try readAllDecoded(path: path, maxRead: 7, inflater: inflater) == text)
    }

    @Test(arguments: inflatersUnderTest) func truncatedGzipNamesFileAndOffset(inflater: Inflater) throws {
        let full = try systemGzip(text)
        let cut = Array(full[0..<(full.count / 2)])
        let path = try writeTemp(cut, name: "cut.csv.gz")
        do {
            _ = try readAllDecoded(path: path, inflater: inflater)
            Issue.record("truncated gzip was accepted")
        } catch let error as SPRXError {
            #expect(error.code == .inputCorrupt)
            #expect(error.location?.file == path)
            #expect(error.location?.byteOffset == Int64(cut.count))
            #expect(error.description.contains("truncated"))
        }
    }

    @Test(arguments: inflatersUnderTest) func corruptCRCIsAnError(inflater: Inflater) throws {
        var bytes = try systemGzip(text)
        bytes[bytes.count - 6] ^= 0xFF  // inside the CRC-32 trailer
        let path = try writeTemp(bytes, name: "crc.csv.gz")
        let error = #expect(throws: SPRXError.self) { _ = try readAllDecoded(path: path, inflater: inflater) }
        // zlib checks the CRC-32 once its 4 bytes are read: the offset is 4 before the end.
        #expect(error?.code == .inputCorrupt && error?.message == "corrupt gzip data (incorrect data check)")
        #expect(error?.location?.byteOffset == Int64(bytes.count - 4))
    }

    @Test func deflaterOutputIsReadBySystemGunzip() throws {
        let compressed = try GzipDeflater.compress(text)
        let path = try writeTemp(compressed, name: "ours.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(Array(out) == text)
        #expect(try GzipDeflater.compress(text) == compressed, "same input, same bytes")
    }
}
