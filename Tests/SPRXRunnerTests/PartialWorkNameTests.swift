import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXRunner

/// A killed shard's work files beside its partial: the next writer of the same partial on
/// the same host removes them once their process is gone, and nothing else.
///
/// Expected by hand: which of the entries laid out below are sprx's leftovers of a dead
/// writer. A dead pid is one above the kernel's largest (`/proc/sys/kernel/pid_max` is at
/// most 2^22), which no process can have.
@Suite(.timeLimit(.minutes(10))) struct PartialWorkNameTests {
    @Test func leftoversOfKilledWritersOnThisHostAreRemovedAndNothingElse() throws {
        let folder = temporaryDirectory("partial-work")
        let partial = folder + "/shard-0000.sprxpart"
        let host = PartialWorkName.host
        let dead = "2147483646"
        let live = String(getppid())
        let uuid = UUID().uuidString
        let fm = FileManager.default
        func file(_ name: String) throws { try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        func workFolder(_ name: String, holding entries: [String]) throws {
            try fm.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: false)
            for entry in entries { try Data().write(to: URL(fileURLWithPath: folder + "/" + name + "/" + entry)) }
        }
        let removed = [".shard-0000.sprxpart.tmp-\(host)-\(dead)-\(uuid)", ".shard-0000.sprxpart.work-\(host)-\(dead)-\(uuid)"]
        try file(removed[0])
        try workFolder(removed[1], holding: ["quarantine.bin", "ledger"])
        let kept = [
            ".shard-0000.sprxpart.tmp-\(host)-\(live)-\(uuid)",  // its writer is running
            ".shard-0000.sprxpart.tmp-another-host-\(dead)-\(uuid)",  // another host's: not judged here
            ".shard-0000.sprxpart.tmp-\(host)-\(dead)-not-a-uuid",  // not a name sprx makes
            ".shard-0001.sprxpart.tmp-\(host)-\(dead)-\(uuid)",  // another partial's
            ".shard-0000.sprxpart.work-\(host)-\(dead)-\(UUID().uuidString)",  // holds something sprx does not write
        ]
        for name in kept.dropLast() { try file(name) }
        try workFolder(kept.last!, holding: ["quarantine.bin", "notes.txt"])  // safe: kept is a literal of five names

        PartialWorkName.removeLeftoversOfKilledWriters(beside: partial)

        let left = Set(try fm.contentsOfDirectory(atPath: folder))
        #expect(left == Set(kept))
        // A new name is this host's and this process's, so a later writer can judge it.
        let made = PartialWorkName.make(.temporaryFile, beside: partial).lastPathComponent
        #expect(made.hasPrefix(".shard-0000.sprxpart.tmp-\(host)-\(getpid())-"))
    }
}
