import Foundation
import SPRXClean
import SPRXIngest
import SPRXPipeline
import SPRXTestSupport
import Testing

/// Replays the fuzzer's seeds and every input it ever flagged through ``FuzzOracle``
/// (the same code the libFuzzer target runs), and checks that the oracle can see a
/// difference at all.
@Suite(.timeLimit(.minutes(10))) struct FuzzReplayTests {
    static let rules: CleanRules = try! CleanRules(pipeline: PipelineLoader.load(path: "\(packageRoot)/Pipelines/referral-equity.yaml"))

    static let inputs: [String] = ["seeds", "regressions"].flatMap { folder -> [String] in
        let dir = "\(packageRoot)/Tests/FuzzTarget/\(folder)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix("README") }.sorted().map { "\(folder)/\($0)" }
    }

    @Test func thereAreSeeds() { #expect(Self.inputs.filter { $0.hasPrefix("seeds/") }.count >= 5) }

    @Test(arguments: inputs)
    func replay(_ name: String) throws {
        let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/Tests/FuzzTarget/\(name)")))
        #expect(FuzzOracle.check(input, rules: Self.rules) == nil)
    }

    /// Hand-built inputs with hand-counted rows: the passes see what is there, at every
    /// read size, and a one-byte change to a value changes the trace (the oracle is not
    /// blind).
    @Test func theOracleSeesRowsAndDifferences() {
        let rows = "R1,P1,2024-03-01,40,F,White,E01000001,GP,Anxiety,Y,2,1,U1,\nR2,P2,2024-03-02,41,M,White,E01000001,GP,,N,0,0,U1,\n"
        for control: UInt8 in [0x80, 0x80 | 0x40] {  // plain, and gzip in two members; read size 1
            let input = [control] + Array(rows.utf8)
            #expect(FuzzOracle.check(input, rules: Self.rules) == nil)
            let (file, gzip, readSize) = FuzzOracle.file(from: input)!
            #expect(readSize == 1 && gzip == (control & 0x40 != 0))
            let trace = FuzzOracle.pass(file, gzip: gzip, readSize: readSize, rules: Self.rules)
            #expect(trace.rows == 2 && trace.error == nil && trace.violation == nil)
            let changed = FuzzOracle.file(from: [control] + Array(rows.replacingOccurrences(of: ",41,", with: ",42,").utf8))!
            #expect(FuzzOracle.pass(changed.bytes, gzip: gzip, readSize: 1, rules: Self.rules).digest != trace.digest)
        }
        // A truncated gzip stream fails in both passes (an SPRXError, not a trap).
        let gz = try! GzipDeflater.compress(FuzzOracle.canonicalHeader + Array(rows.utf8))
        let truncated = [UInt8(0x07)] + gz[..<(gz.count - 10)]
        #expect(FuzzOracle.check(truncated, rules: Self.rules) == nil)
        let (file, gzip, readSize) = FuzzOracle.file(from: truncated)!
        #expect(FuzzOracle.pass(file, gzip: gzip, readSize: readSize, rules: Self.rules).error != nil)
    }

    /// The seeds for the input limits reach them: a row over the fuzzing row limit is one
    /// row of three (hand count) at a 5-byte read and at 4 KiB (where it arrives whole),
    /// and a file with bare-CR line ends reads as its three rows in both passes.
    @Test func theOracleReachesTheLimits() throws {
        let long = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/Tests/FuzzTarget/seeds/row-too-long-read5")))
        let (file, gzip, readSize) = FuzzOracle.file(from: long)!
        #expect(readSize == 5)
        let small = FuzzOracle.pass(file, gzip: gzip, readSize: readSize, rules: Self.rules)
        let whole = FuzzOracle.pass(file, gzip: gzip, readSize: 4096, rules: Self.rules)
        #expect(small.rows == 3 && small.error == nil && small.violation == nil)
        #expect(small == whole)
        let cr = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/Tests/FuzzTarget/seeds/bare-cr-line-ends-read2")))
        let (crFile, crGzip, crRead) = FuzzOracle.file(from: cr)!
        let crSmall = FuzzOracle.pass(crFile, gzip: crGzip, readSize: crRead, rules: Self.rules)
        #expect(crSmall.rows == 3 && crSmall.error == nil && crSmall.violation == nil)
        #expect(crSmall == FuzzOracle.pass(crFile, gzip: crGzip, readSize: 4096, rules: Self.rules))
    }
}
