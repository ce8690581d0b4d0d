import Foundation
import SPRXAggregate
import SPRXClean
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXRunner

/// The ledger against a plain in-memory rule applied to the same rows: the first
/// occurrence of an id is kept; a later one is a duplicate when its content equals the
/// first's, else a conflict.
@Suite(.timeLimit(.minutes(10))) struct DuplicateLedgerTests {
    func trace(id: UInt64, content: UInt64, line: Int32) -> CleanRowTrace {
        CleanRowTrace(
            identity: RowIdentity(idLow: id &* 0x9E37_79B9_7F4A_7C15, idHigh: id ^ 0x5555, content: content), line: line,
            key: 0, intervention: false, reasons: 0, rawStart: 0, rawEnd: 0,
            model: ModelCell(organisation: nil, cell: 0, contacts: -1, interventions: -1), organisation: ShortCode(),
            day: Day(daysSinceEpoch: 0), areaFlags: 0)
    }

    @Test(arguments: [512, 1 << 16, 1 << 27])
    func findsExactlyTheRepeatsWhateverTheFalseAlarmRate(bloomBits: Int) throws {
        let dir = ScratchFolder.url.appendingPathComponent("ledger-\(UUID().uuidString)")
        let ledger = try DuplicateLedger(directory: dir, bloomBits: bloomBits)
        var rng = SeededRandom()
        var firstContent: [UInt64: UInt64] = [:]
        var expected: [(line: Int32, duplicate: Bool)] = []
        for line in 0..<Int32(20_000) {
            let id = UInt64.random(in: 0..<12_000, using: &rng)
            let content = UInt64.random(in: 0..<3, using: &rng)
            let raw = Array("row \(line)".utf8)
            try raw.withUnsafeBytes { try ledger.record(trace(id: id, content: content, line: line), file: Int(line % 3), raw: $0) }
            if let first = firstContent[id] {
                expected.append((line, first == content))
            } else {
                firstContent[id] = content
            }
        }
        var found: [(line: Int32, duplicate: Bool)] = []
        try ledger.resolve { repeated in
            found.append((repeated.trace.line, repeated.isDuplicate))
            #expect(repeated.raw == Array("row \(repeated.trace.line)".utf8))
            #expect(repeated.file == Int(repeated.trace.line % 3))
        }
        #expect(found.map(\.line) == expected.map(\.line), "\(rng)")
        #expect(found.map(\.duplicate) == expected.map(\.duplicate), "\(rng)")
        #expect(!FileManager.default.fileExists(atPath: dir.path), "spill files are removed")
    }

    @Test func spillFilesAreOwnerOnly() throws {
        let dir = ScratchFolder.url.appendingPathComponent("ledger-\(UUID().uuidString)")
        let ledger = try DuplicateLedger(directory: dir)
        for name in ["identities.bin", "candidates.bin"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
        ledger.discard()
    }
}
