// The fuzz oracle, shared by the libFuzzer target (Tests/FuzzTarget/FuzzEntry.swift,
// built by scripts/fuzz.sh) and the replay tests (FuzzReplayTests), so every input the
// fuzzer ever flagged is rerun by `make test` exactly as the fuzzer ran it.
import Foundation
import SPRXClean
import SPRXCore
import SPRXIngest
import SPRXPipeline

/// Runs one fuzz input through the gzip reader, row splitter, CSV decoder and clean stage
/// and says what is wrong with the result, if anything.
///
/// The first input byte steers the run; the rest is the file:
///   bits 0-5  largest read, 1-64 bytes (so rows and gzip members split everywhere);
///   bit 6     gzip the payload first, as two members split at a point the payload picks;
///   bit 7     prepend the canonical header, so random rows reach the clean stage.
/// A payload starting 1f 8b is read as gzip whatever bit 6 says (corrupt streams).
///
/// Oracles: nothing may trap; every error must be an `SPRXError`; the rows and clean
/// outcomes seen with the chosen read size must equal those seen reading 4 KiB at a
/// time (chunk boundaries must never change a result); line numbers must increase.
///
/// The reader runs with small limits (``limits``) so fuzz-sized inputs reach the
/// row-too-long and header-limit paths: a row over the row limit, whether the reader cut
/// it off or it arrived whole, is traced as its line alone (as the clean stage
/// quarantines both alike).
enum FuzzOracle {
    static let canonicalHeader = Array(
        "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id,notes\n"
            .utf8)

    /// What one pass saw, folded into a hash: per row its line, raw bytes, field count and
    /// clean outcome (a hash keeps each execution cheap; equal passes hash equal).
    struct Trace: Equatable {
        var rows = 0
        var digest = 0
        var error: String?
        /// Set when the oracle itself is violated (not an SPRXError, lines out of order).
        var violation: String?
    }

    /// The reader's limits under fuzzing: row, header bytes, header columns.
    static let limits = (row: 300, headerBytes: 1024, headerColumns: 64)

    /// The file the control byte describes, and whether it is to be read as gzip.
    static func file(from input: [UInt8]) -> (bytes: [UInt8], gzip: Bool, readSize: Int)? {
        guard let control = input.first else { return nil }
        var payload = Array(input.dropFirst())
        if control & 0x80 != 0 { payload = canonicalHeader + payload }
        let gzip = control & 0x40 != 0
        if gzip {
            let cut = payload.isEmpty ? 0 : Int(payload[payload.count / 2]) % (payload.count + 1)
            payload =
                ((try? GzipDeflater.compress(Array(payload[..<cut]), level: 1)) ?? [])
                + ((try? GzipDeflater.compress(Array(payload[cut...]), level: 1)) ?? [])
        }
        return (payload, gzip, Int(control & 0x3F) + 1)
    }

    /// Reads `file` with reads of at most `readSize` bytes and cleans every row.
    static func pass(_ file: [UInt8], gzip: Bool, readSize: Int, rules: CleanRules) -> Trace {
        var trace = Trace()
        do {
            let memory = MemoryByteSource(file, maxRead: readSize)
            let source: any ByteSource =
                gzip || (file.count >= 2 && file[0] == 0x1f && file[1] == 0x8b)
                ? try GzipByteSource(compressed: memory, name: "fuzz", inputBufferSize: max(1, readSize)) : memory
            let reader = RowBlockReader(
                source: source, fileName: "fuzz", targetBlockSize: max(1, readSize * 3), readSize: readSize, maxRowBytes: limits.row,
                maxHeaderBytes: limits.headerBytes, maxHeaderColumns: limits.headerColumns)
            guard let header = try reader.readHeader() else { return trace }
            let layout = try ColumnLayout(header: header.names, headerLines: header.lines, pipeline: rules.pipeline, file: "fuzz")
            let processor = CleanProcessor(rules: rules, layout: layout)
            let scratch = CSVDecodeScratch()
            var blank = 0
            var lastLine = header.lines
            var hasher = Hasher()
            defer { trace.digest = hasher.finalize() }
            while let block = try reader.next() {
                block.bytes.withUnsafeBytes { bytes in
                    CSVBlockDecoder.forEachRow(in: bytes, firstLine: block.firstLine, scratch: scratch, blankLines: &blank) { row in
                        if row.line <= lastLine { trace.violation = "line numbers must increase (\(row.line) after \(lastLine))" }
                        lastLine = row.line
                        trace.rows += 1
                        hasher.combine(row.line)
                        if row.raw.count > limits.row {
                            hasher.combine("row too long")
                            return
                        }
                        hasher.combine(bytes: row.raw)
                        hasher.combine(row.fieldCount)
                        switch processor.process(row) {
                        case .clean(let record, let identity):
                            hasher.combine(record)
                            hasher.combine(identity)
                        case .quarantined(let reason, let column):
                            hasher.combine(reason)
                            hasher.combine(column)
                        }
                    }
                }
                if let long = block.rowTooLong {
                    if long.line <= lastLine { trace.violation = "line numbers must increase (\(long.line) after \(lastLine))" }
                    if long.prefix.count <= limits.row { trace.violation = "a row cut off at \(long.prefix.count) bytes, within the limit" }
                    lastLine = long.line
                    trace.rows += 1
                    hasher.combine(long.line)
                    hasher.combine("row too long")
                }
            }
        } catch let error as SPRXError {
            trace.error = error.code.rawValue
        } catch {
            trace.violation = "an error that is not an SPRXError: \(type(of: error))"
        }
        return trace
    }

    /// What is wrong with the result of `input`, or nil when every oracle holds.
    static func check(_ input: [UInt8], rules: CleanRules) -> String? {
        guard let (file, gzip, readSize) = file(from: input) else { return nil }
        let chosen = pass(file, gzip: gzip, readSize: readSize, rules: rules)
        let whole = pass(file, gzip: gzip, readSize: 4096, rules: rules)
        if let violation = chosen.violation ?? whole.violation { return violation }
        // A corrupt stream may fail at a different row depending on where reads stop; only
        // successful passes must agree row for row.
        if (chosen.error == nil) != (whole.error == nil) {
            return "read size \(readSize) changed whether the file fails (\(chosen.error ?? "ok") vs \(whole.error ?? "ok"))"
        }
        if chosen.error == nil && chosen != whole {
            return "read size \(readSize) changed the rows or their outcomes (\(chosen.rows) vs \(whole.rows) rows)"
        }
        return nil
    }
}
