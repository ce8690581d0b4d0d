import Foundation
import SPRXCore
import SPRXIngest
import SPRXTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What one hostile run did.
private struct IngestRun {
    var status: Int32
    var stderr: String
    /// Peak resident memory in KB (from `/usr/bin/time -f %M`), when measured.
    var peakKB: Int?
    var timedOut: Bool
}

/// Peak memory allowed for a run whose input holds one enormous line, in KB. sprx holds
/// at most a window of blocks, each under twice the 1 MiB target (the row limit is 1 MiB), per file; a small run of the sample data
/// peaks near 70 MB in a debug build. Today's main needs over 350 MB for the 256 MiB line.
private let ingestMemoryBoundKB = 150 * 1024

/// Whether the binary under test is a sanitizer build (its memory is not comparable).
private let ingestSanitized = (sprxBinary ?? "").contains("san")

/// Runs the built `sprx` with stdout and stderr in files, killing it after `timeout`
/// seconds (so a hang fails the test instead of hanging it). With `measure`, runs it
/// under `/usr/bin/time -f %M`; with `addressSpaceKB`, under `ulimit -v` (so a runaway
/// read fails fast instead of taking the machine's memory).
private func ingestRun(
    _ arguments: [String], stdin: [UInt8]? = nil, timeout: Double = 120, measure: Bool = false, addressSpaceKB: Int? = nil
) throws -> IngestRun {
    guard let binary = sprxBinary else {
        Issue.record("sprx binary not built")
        return IngestRun(status: -1, stderr: "", peakKB: nil, timedOut: false)
    }
    let dir = scratch()
    let process = Process()
    if let limit = addressSpaceKB, !ingestSanitized {
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(limit); exec \"$0\" \"$@\"", binary] + arguments
    } else if measure {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "%M", binary] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
    }
    process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
    FileManager.default.createFile(atPath: dir + "/stdout", contents: nil)
    FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: dir + "/stdout")
    process.standardError = FileHandle(forWritingAtPath: dir + "/stderr")
    let input = Pipe()
    if stdin != nil { process.standardInput = input }
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }
    try process.run()
    if let stdin {
        DispatchQueue.global().async {
            signal(SIGPIPE, SIG_IGN)
            try? input.fileHandleForWriting.write(contentsOf: Data(stdin))
            try? input.fileHandleForWriting.close()
        }
    }
    var timedOut = false
    if done.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        done.wait()
    }
    let stderr = (try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? ""
    var peak: Int?
    if measure { peak = stderr.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    return IngestRun(status: process.terminationStatus, stderr: stderr, peakKB: peak, timedOut: timedOut)
}

/// The first input's counts from `manifest.json` (rows read, clean, duplicate, quarantined).
private func ingestCounts(_ out: String) throws -> [String: Int] {
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
    let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let inputs = try #require(manifest["inputs"] as? [[String: Any]])
    let first = try #require(inputs.first)
    var counts: [String: Int] = [:]
    for key in ["rows_read", "clean", "duplicate", "quarantined"] { counts[key] = first[key] as? Int }
    return counts
}

/// `quarantine/rejected.csv.gz`, decompressed.
private func ingestQuarantine(_ out: String) throws -> [UInt8] {
    let (source, _) = try InputOpener.open(path: out + "/quarantine/rejected.csv.gz")
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        bytes += buffer[0..<n]
    }
    return bytes
}

private func ingestExpectReconciles(_ counts: [String: Int], read: Int, clean: Int, quarantined: Int) {
    #expect(counts["rows_read"] == read)
    #expect(counts["clean"] == clean)
    #expect(counts["quarantined"] == quarantined)
    #expect(counts["rows_read"] == (counts["clean"] ?? -1) + (counts["duplicate"] ?? -1) + (counts["quarantined"] ?? -1), "reconciles")
}

private let ingestPipeline = "Pipelines/referral-equity.yaml"

/// One wrong encoding or compression, built here byte by byte, and the words its
/// message must use.
struct IngestFormatCase: CustomStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var fileName = "extract.csv"
    var mentions: [String]
    var description: String { name }
}

private func ingestUTF16(_ text: String, bigEndian: Bool) -> [UInt8] {
    text.utf16.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
}

private let ingestFormatCases: [IngestFormatCase] = {
    let csv = header + "\n" + body(3)
    let zipHeader: (String) -> [UInt8] = { name in
        // A local file header (PKWARE APPNOTE 4.3.7): signature, 26 bytes of fields, the name.
        [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00] + [UInt8](repeating: 0, count: 16)
            + [UInt8(name.utf8.count), 0x00, 0x00, 0x00] + Array(name.utf8)
    }
    return [
        IngestFormatCase(
            name: "UTF-16 LE with BOM (Excel Unicode Text)", bytes: [0xFF, 0xFE] + ingestUTF16(csv, bigEndian: false),
            mentions: ["UTF-16", "CSV UTF-8"]),
        IngestFormatCase(name: "UTF-16 BE with BOM", bytes: [0xFE, 0xFF] + ingestUTF16(csv, bigEndian: true), mentions: ["UTF-16", "big-endian"]),
        IngestFormatCase(name: "UTF-16 LE without BOM", bytes: ingestUTF16(csv, bigEndian: false), mentions: ["UTF-16"]),
        IngestFormatCase(
            name: "UTF-32 LE with BOM", bytes: [0xFF, 0xFE, 0x00, 0x00] + csv.unicodeScalars.flatMap { [UInt8($0.value), 0, 0, 0] },
            mentions: ["UTF-32"]),
        IngestFormatCase(
            name: "xz", bytes: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04, 0xE6, 0xD6, 0xB4, 0x46] + Array(csv.utf8.prefix(40)),
            fileName: "extract.csv.xz", mentions: ["xz-compressed", "gzip"]),
        IngestFormatCase(
            name: "bzip2", bytes: Array("BZh9".utf8) + [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] + Array(csv.utf8.prefix(40)),
            fileName: "extract.csv.bz2", mentions: ["bzip2-compressed"]),
        IngestFormatCase(
            name: "zstd", bytes: [0x28, 0xB5, 0x2F, 0xFD, 0x24, 0x00] + Array(csv.utf8.prefix(40)), fileName: "extract.csv.zst",
            mentions: ["zstd-compressed"]),
        IngestFormatCase(name: "zip", bytes: zipHeader("extract.csv") + Array(csv.utf8.prefix(40)), mentions: ["zip archive"]),
        IngestFormatCase(name: "xlsx", bytes: zipHeader("[Content_Types].xml") + Array(csv.utf8.prefix(40)), mentions: ["Excel workbook", ".xlsx"]),
        IngestFormatCase(
            name: "7z", bytes: [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04] + Array(csv.utf8.prefix(40)), mentions: ["7-Zip"]),
        IngestFormatCase(
            name: "xls", bytes: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + Array(csv.utf8.prefix(40)), mentions: [".xls"]),
        IngestFormatCase(
            name: "gzip holding UTF-16", bytes: try! GzipDeflater.compress([0xFF, 0xFE] + ingestUTF16(csv, bigEndian: false)),
            fileName: "extract.csv.gz", mentions: ["gzip file holds UTF-16"]),
    ]
}()

/// Hostile inputs to the ingest side (issue 14): things that are not files, bytes that
/// are not UTF-8 CSV, and lines without end. Each asserts the exit status, the message,
/// that a failing run leaves the previous output alone, a memory bound where memory is
/// the risk, and reconciliation from `manifest.json` where the run succeeds.
@Suite(.timeLimit(.minutes(10))) struct HostileInputTests {
    /// Each wrong encoding or compression fails (65) naming itself and the file, not a
    /// missing `referral_id`; the previous output stays. (Main said "header has no column
    /// for required field 'referral_id'".)
    @Test(arguments: ingestFormatCases)
    func wrongFormatIsNamed(_ format: IngestFormatCase) throws {
        let dir = scratch()
        let out = dir + "/out"
        let before = try copyPreviousOutput(to: out)
        let input = dir + "/" + format.fileName
        try Data(format.bytes).write(to: URL(fileURLWithPath: input))
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", out, "--quiet"])
        #expect(result.status == 65, "\(result.stderr)")
        for word in format.mentions + [format.fileName] { #expect(result.stderr.contains(word), "stderr should mention \(word): \(result.stderr)") }
        #expect(!result.stderr.contains("referral_id"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")) == before, "the previous output is untouched")
    }

    /// A file with bare-CR line ends (classic Mac OS) is read row by row: 20 read = 20
    /// clean (hand count: body(20)). Main read it as one 274-column header and 0 rows, exit 0.
    @Test func bareCarriageReturnLineEndsAreRead() throws {
        let dir = scratch()
        let input = dir + "/mac.csv"
        try (header + "\n" + body(20)).replacingOccurrences(of: "\n", with: "\r").write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        if result.status == 0 { ingestExpectReconciles(try ingestCounts(out), read: 20, clean: 20, quarantined: 0) }
    }

    /// Piped input loses no byte: `--input /dev/stdin` fed through a pipe reads all 20
    /// rows (hand count: body(20)). Main lost the first two bytes to the gzip sniff and
    /// failed with "no column for required field 'referral_id'".
    @Test func pipedInputLosesNoBytes() throws {
        let out = scratch() + "/out"
        let result = try ingestRun(
            ["run", "--pipeline", ingestPipeline, "--input", "/dev/stdin", "--out", out, "--quiet"], stdin: Array((header + "\n" + body(20)).utf8),
            timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        if result.status == 0 { ingestExpectReconciles(try ingestCounts(out), read: 20, clean: 20, quarantined: 0) }
    }

    /// A FIFO named as an input is read once, from the one descriptor, as its writer
    /// writes it (gzip here, so the sniffed bytes matter): all 20 rows, no hang. Main
    /// opened it twice: the sniff took two bytes and closed it, the second open waited
    /// for a writer that had gone (killed here after 60 s).
    @Test func namedFIFOIsReadOnce() throws {
        let dir = scratch()
        let fifo = dir + "/extract.csv.gz"
        #expect(mkfifo(fifo, 0o600) == 0)
        let bytes = gzip(header + "\n" + body(20))
        let writer = DispatchGroup()
        writer.enter()
        DispatchQueue.global().async {
            defer { writer.leave() }
            signal(SIGPIPE, SIG_IGN)
            let fd = open(fifo, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        let out = dir + "/out"
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", fifo, "--out", out, "--quiet"], timeout: 60)
        // Unblock the writer if sprx never opened the FIFO.
        let unblock = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        writer.wait()
        if unblock >= 0 { close(unblock) }
        #expect(!result.timedOut, "sprx hung on a FIFO")
        #expect(result.status == 0, "\(result.stderr)")
        if result.status == 0 { ingestExpectReconciles(try ingestCounts(out), read: 20, clean: 20, quarantined: 0) }
    }

    /// A FIFO named `*.csv` inside an input folder is refused by name (66) without being
    /// opened; main blocked forever in the gzip sniff (killed here after 30 s).
    @Test func fifoInAFolderIsRefusedNotWaitedOn() throws {
        let dir = scratch()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        try (header + "\n" + body(5)).write(toFile: dir + "/in/a.csv", atomically: true, encoding: .utf8)
        #expect(mkfifo(dir + "/in/b.csv", 0o600) == 0)
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", dir + "/in", "--out", dir + "/out", "--quiet"], timeout: 30)
        #expect(!result.timedOut, "sprx hung on a FIFO in the input folder")
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr.contains("b.csv") && result.stderr.contains("is a pipe, not a regular file"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    /// `/dev/zero` (a character device) is refused at once (66), before a byte is read.
    /// Main read it until memory ran out (here: a 3 GB address-space limit, or the 30 s kill).
    @Test func characterDeviceIsRefused() throws {
        let dir = scratch()
        let result = try ingestRun(
            ["run", "--pipeline", ingestPipeline, "--input", "/dev/zero", "--out", dir + "/out", "--quiet"], timeout: 30,
            addressSpaceKB: 3_000_000)
        #expect(!result.timedOut)
        #expect(result.status == 66, "\(result.stderr)")
        #expect(result.stderr.contains("/dev/zero") && result.stderr.contains("character device"), "\(result.stderr)")
    }

    /// A gzip bomb of one 256 MiB line (261 KB on disk) between two good rows: the run
    /// succeeds, the line is quarantined `row_too_long` with only its first bytes kept,
    /// peak memory stays under the bound, and 3 rows read = 2 clean + 1 quarantined
    /// (hand count). Main held the whole line (over 350 MB).
    @Test func gzipBombOfOneLineStaysBounded() throws {
        let dir = scratch()
        let input = dir + "/bomb.csv.gz"
        FileManager.default.createFile(atPath: input, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: input))
        let deflater = try GzipDeflater(level: 9) { try handle.write(contentsOf: Data($0)) }
        try deflater.write(header + "\n" + row(1) + "\n" + row(2, notes: ""))
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<256 { try chunk.withUnsafeBytes { try deflater.write($0) } }
        try deflater.write("\n" + row(3) + "\n")
        try deflater.finish()
        try handle.close()
        let out = dir + "/out"
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", out, "--quiet"], timeout: 300, measure: true)
        #expect(result.status == 0, "\(result.stderr)")
        if !ingestSanitized { #expect((result.peakKB ?? .max) < ingestMemoryBoundKB, "peak \(result.peakKB ?? -1) KB") }
        if result.status == 0 {
            ingestExpectReconciles(try ingestCounts(out), read: 3, clean: 2, quarantined: 1)
            let quarantine = try ingestQuarantine(out)
            let text = String(decoding: quarantine, as: UTF8.self)
            #expect(text.contains("bomb.csv.gz,3,row_too_long,"))
            #expect(quarantine.count < InputLimits.quarantinedRowPrefixBytes + 200, "only the row's first bytes are kept")
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A plain file with one 40 MiB line (over the 1 MiB row limit): bounded memory,
    /// the line quarantined, 3 read = 2 clean + 1 quarantined (hand count). Main held
    /// the line and its block copy (near 200 MB).
    @Test func plainFileWithOneHugeLineStaysBounded() throws {
        let dir = scratch()
        let input = dir + "/long.csv"
        FileManager.default.createFile(atPath: input, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: input))
        try handle.write(contentsOf: Data((header + "\n" + row(1) + "\n" + row(2, notes: "")).utf8))
        let chunk = Data(repeating: UInt8(ascii: "y"), count: 1 << 20)
        for _ in 0..<40 { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data(("\n" + row(3) + "\n").utf8))
        try handle.close()
        let out = dir + "/out"
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", out, "--quiet"], timeout: 300, measure: true)
        #expect(result.status == 0, "\(result.stderr)")
        if !ingestSanitized { #expect((result.peakKB ?? .max) < ingestMemoryBoundKB, "peak \(result.peakKB ?? -1) KB") }
        if result.status == 0 {
            ingestExpectReconciles(try ingestCounts(out), read: 3, clean: 2, quarantined: 1)
            #expect(String(decoding: try ingestQuarantine(out), as: UTF8.self).contains("long.csv,3,row_too_long,"))
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// A header longer than the header limit (2 MiB with no line end), or with more
    /// columns than the column limit, fails (65) naming the limit. Main read the first as
    /// a header missing `referral_id` and accepted the second.
    @Test func headerOverTheLimitsFails() throws {
        let dir = scratch()
        let long = dir + "/long-header.csv"
        try Data(repeating: UInt8(ascii: "a"), count: 2 << 20).write(to: URL(fileURLWithPath: long))
        let wide = dir + "/wide-header.csv"
        let extra = (1...InputLimits.maxHeaderColumns).map { "extra\($0)" }.joined(separator: ",")
        try (header + "," + extra + "\n").write(toFile: wide, atomically: true, encoding: .utf8)
        for (input, limit) in [(long, "header length limit"), (wide, "header column limit")] {
            let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", dir + "/out", "--quiet"])
            #expect(result.status == 65, "\(result.stderr)")
            #expect(result.stderr.contains(limit) && result.stderr.contains((input as NSString).lastPathComponent), "\(result.stderr)")
        }
    }

    /// Free text in a mapped column (a 2,000-byte area code) is quarantined
    /// `field_too_long` naming the column: 2 read = 1 clean + 1 quarantined (hand count).
    /// Main counted the row clean with an unknown area.
    @Test func longMappedFieldIsQuarantined() throws {
        let dir = scratch()
        let input = dir + "/extract.csv"
        try (header + "\n" + row(1) + "\n" + row(2, area: String(repeating: "E0", count: 1000)) + "\n").write(
            toFile: input, atomically: true, encoding: .utf8)
        let out = dir + "/out"
        let result = try ingestRun(["run", "--pipeline", ingestPipeline, "--input", input, "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        if result.status == 0 {
            ingestExpectReconciles(try ingestCounts(out), read: 2, clean: 1, quarantined: 1)
            #expect(String(decoding: try ingestQuarantine(out), as: UTF8.self).contains("extract.csv,3,field_too_long,area_code,"))
        }
    }
}
