import Foundation
import SPRXCore

/// The reference files the default pipeline reads and their editions, read from the
/// default pipeline's own text (``DefaultPipelineText``, tested equal to
/// `Pipelines/referral-equity.yaml`), so they are declared once: for `sprx --version`.
public enum ReferenceEditions {
    /// Each file once, in the pipeline's order, with the edition the pipeline gives it.
    public static let defaultPipeline: [(file: String, edition: String)] = {
        var seen: Set<String> = []
        var entries: [(file: String, edition: String)] = []
        for line in DefaultPipelineText.enrichLookups.split(separator: "\n") {
            guard let file = value(of: "file: ", in: line, until: ","), let edition = value(of: "edition: \"", in: line, until: "\""),
                !file.hasPrefix("../"), seen.insert(file).inserted
            else { continue }
            entries.append((file, edition))
        }
        return entries
    }()

    /// `sprx --version`: the version, then the reference editions one per line.
    public static func versionText(_ version: String) -> String {
        (["sprx \(version)", "reference editions of the default pipeline (Pipelines/referral-equity.yaml):"]
            + defaultPipeline.map { "  \($0.file): \($0.edition)" }).joined(separator: "\n")
    }

    /// The text after `key` up to `end` on `line`, if `key` occurs.
    private static func value(of key: String, in line: Substring, until end: Character) -> String? {
        guard let start = line.range(of: key)?.upperBound else { return nil }
        return String(line[start...].prefix { $0 != end })
    }
}
