import Foundation
import SPRXCore

/// Where the engine puts what it sets aside while counting: the quarantined rows, and
/// the spill files of the duplicate search.
///
/// Design note: the engine (``Runner/count(pipeline:reference:files:options:sink:)``)
/// knows nothing of output folders, locks or commits. `sprx run` gives it an
/// ``OutputFolderSink`` (the quarantine streamed into the staging folder); a caller with
/// no output folder (a test, a shard worker) gives it a ``MemorySink``. The counts, the
/// unmapped labels and the reconciliation come back in the ``RunResult`` either way.
/// The engine calls a sink from one thread at a time, rows in input order.
public protocol CountSink: AnyObject {
    /// Takes one quarantined row of input `file`, in input order.
    func quarantine(_ row: QuarantinedRow, file: String) throws
    /// A folder, not yet existing, for the duplicate search's spill files: the engine
    /// makes it (owner-only) and removes it when the search is done or fails.
    var workDirectory: URL { get }
    /// Called once, when the count has passed its quality gates: the sink flushes what it holds.
    func finish() throws
}

/// The quarantine streamed into an output folder's staging area as
/// `quarantine/rejected.csv.gz` (owner-only), recorded for the manifest when finished.
public final class OutputFolderSink: CountSink {
    /// The file's path inside the output folder.
    static let quarantinePath = "quarantine/rejected.csv.gz"
    private let output: OutputFolder
    private let writer: QuarantineWriter
    public let workDirectory: URL

    public init(output: OutputFolder) throws {
        self.output = output
        writer = try QuarantineWriter(path: output.staging.appendingPathComponent(Self.quarantinePath).path)
        workDirectory = output.staging.appendingPathComponent(".work")
    }

    public func quarantine(_ row: QuarantinedRow, file: String) throws { try writer.write(file: file, row: row) }

    public func finish() throws {
        try writer.finish()
        try output.recordExisting(Self.quarantinePath)
    }
}

/// Quarantined rows kept in memory, for a caller with no output folder.
public final class MemorySink: CountSink {
    /// Every quarantined row with its input file, in the order the engine set them aside.
    public private(set) var quarantined: [(file: String, row: QuarantinedRow)] = []
    public let workDirectory: URL
    /// Whether ``finish()`` was called (the count passed its gates).
    public private(set) var finished = false

    /// A sink whose duplicate search spills into `workDirectory` (which must not exist
    /// yet; its parent must).
    public init(workDirectory: URL) { self.workDirectory = workDirectory }

    public func quarantine(_ row: QuarantinedRow, file: String) throws { quarantined.append((file, row)) }

    public func finish() throws { finished = true }
}
