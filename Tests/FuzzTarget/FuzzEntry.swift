// libFuzzer entry point (built and run by `make fuzz`, see scripts/fuzz.sh). The oracle
// lives in Tests/SPRXCleanTests/FuzzOracle.swift, compiled into this binary too, so the
// replay tests run every seed and regression input exactly as the fuzzer does.
import Foundation
import SPRXClean
import SPRXPipeline

let rules: CleanRules = {
    let path = ProcessInfo.processInfo.environment["SPRX_FUZZ_PIPELINE"] ?? "Pipelines/referral-equity.yaml"
    do {
        return CleanRules(pipeline: try PipelineLoader.load(path: path))
    } catch {
        fatalError("sprx-fuzz: cannot load the pipeline \(path) (run from the repository root): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func sprxFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let failure = FuzzOracle.check(Array(UnsafeBufferPointer(start: data, count: size)), rules: rules) {
        fatalError("sprx-fuzz: \(failure)")
    }
    return 0
}
