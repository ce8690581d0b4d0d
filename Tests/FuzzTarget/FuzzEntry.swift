// libFuzzer target over the gzip reader, the row splitter and block reader, the CSV
// decoder and the clean stage (built and run by `make fuzz`, see scripts/fuzz.sh).
//
// The first input byte steers the run; the rest is the file:
//   bits 0-5  largest read, 1-64 bytes (so rows and gzip members split everywhere);
//   bit 6     gzip the payload first, as two members split at a point the payload picks;
//   bit 7     prepend the canonical header, so random rows reach the clean stage.
// A payload starting 1f 8b is read as gzip whatever bit 6 says (corrupt streams).
//
// Oracles: nothing may trap; every error must be an SPRXError; the rows and clean
// outcomes seen with the chosen read size must equal those seen reading 4 KiB at a time
// (chunk boundaries must never change a result); line numbers must increase.
import Foundation
import SPRXClean
import SPRXCore
import SPRXIngest
import SPRXPipeline

let rules: CleanRules = {
    let path = ProcessInfo.processInfo.environment["SPRX_FUZZ_PIPELINE"] ?? "Pipelines/referral-equity.yaml"
    do {
        return CleanRules(pipeline: try PipelineLoader.load(path: path))
    } catch {
        fatalError("sprx-fuzz: cannot load the pipeline \(path) (run from the repository root): \(error)")
    }
}()

let canonicalHeader = Array(
    "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id,notes\n"
        .utf8)

/// What one pass saw, folded into a hash: per row its line, raw bytes, field count and
/// clean outcome (a hash keeps each execution cheap; equal passes hash equal).
struct Trace: Equatable {
    var rows = 0
    var digest = 0
    var error: String?
}

func fold(_ hasher: inout Hasher, _ outcome: CleanOutcome) {
    switch outcome {
    case .clean(let record, let identity):
        hasher.combine(record)
        hasher.combine(identity)
    case .quarantined(let reason, let column):
        hasher.combine(reason)
        hasher.combine(column)
    }
}

func pass(_ file: [UInt8], gzip: Bool, readSize: Int) -> Trace {
    var trace = Trace()
    do {
        let memory = MemoryByteSource(file, maxRead: readSize)
        let source: any ByteSource =
            gzip || (file.count >= 2 && file[0] == 0x1f && file[1] == 0x8b)
            ? try GzipByteSource(compressed: memory, name: "fuzz", inputBufferSize: max(1, readSize)) : memory
        let reader = RowBlockReader(source: source, fileName: "fuzz", targetBlockSize: max(1, readSize * 3), readSize: readSize)
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
                    precondition(row.line > lastLine, "line numbers must increase")
                    lastLine = row.line
                    trace.rows += 1
                    hasher.combine(row.line)
                    hasher.combine(bytes: row.raw)
                    hasher.combine(row.fieldCount)
                    fold(&hasher, processor.process(row))
                }
            }
        }
    } catch let error as SPRXError {
        trace.error = error.code.rawValue
    } catch {
        fatalError("sprx-fuzz: an error that is not an SPRXError: \(error)")
    }
    return trace
}

@_cdecl("LLVMFuzzerTestOneInput")
public func sprxFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    var payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if control & 0x80 != 0 { payload = canonicalHeader + payload }
    let gzip = control & 0x40 != 0
    if gzip {
        let cut = payload.isEmpty ? 0 : Int(payload[payload.count / 2]) % (payload.count + 1)
        payload =
            ((try? GzipDeflater.compress(Array(payload[..<cut]), level: 1)) ?? [])
            + ((try? GzipDeflater.compress(Array(payload[cut...]), level: 1)) ?? [])
    }
    let readSize = Int(control & 0x3F) + 1
    let chosen = pass(payload, gzip: gzip, readSize: readSize)
    let whole = pass(payload, gzip: gzip, readSize: 4096)
    // A corrupt stream may fail at a different row depending on where reads stop; only
    // successful passes must agree row for row.
    if chosen.error == nil && whole.error == nil {
        precondition(chosen == whole, "read size changed the rows or their outcomes")
    }
    precondition((chosen.error == nil) == (whole.error == nil), "read size changed whether the file fails")
    return 0
}
