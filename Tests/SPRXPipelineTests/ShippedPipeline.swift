import Foundation
import SPRXTestSupport

@testable import SPRXPipeline

/// What the pipeline suites share: the shipped default pipeline's text (read once), a
/// parse that resolves nothing against the disk, and an edit that must hit exactly once.
protocol ShippedPipelineEditing {}

/// `Pipelines/referral-equity.yaml` as shipped.
private let shippedPipelineText = try! String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)

extension ShippedPipelineEditing {
    /// The shipped default pipeline's text.
    var valid: String { shippedPipelineText }

    /// `yaml` parsed as if read from `/tmp/test.yaml`.
    func parse(_ yaml: String) throws -> PipelineConfiguration {
        try PipelineLoader.parse(yaml: yaml, path: "test.yaml", baseDirectory: "/tmp")
    }

    /// The pipeline with `old` replaced by `new` (which must occur exactly once).
    func edited(_ old: String, _ new: String) -> String {
        precondition(valid.components(separatedBy: old).count == 2, "'\(old)' must occur once in the shipped pipeline")
        return valid.replacingOccurrences(of: old, with: new)
    }
}
