import Foundation
import Testing

/// Runs that cannot mean anything fail before publishing (issue 14, "Silent nonsense"):
/// the pipeline's `quality:` gates are evaluated on the run's own counts; a failed gate
/// exits 4, names each gate and its figure, and leaves the previous output exactly as it
/// was. Expected figures are hand-counted from the extracts built here.
@Suite(.timeLimit(.minutes(10))) struct QualityGateRunTests {
    /// A previous good output in `dir/out`, and its fingerprint.
    func previousOutput(_ dir: String) throws -> [String: String] {
        try (header + "\n" + body(40)).write(toFile: dir + "/good.csv", atomically: true, encoding: .utf8)
        let first = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/good.csv", "--out", dir + "/out", "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        return outputTreeFingerprint(dir + "/out")
    }

    /// Every row quarantined (all 30 dates invalid): 0 clean rows and 30 of 30
    /// quarantined fail two gates; yesterday's output survives.
    @Test func everyRowQuarantinedFailsAndPublishesNothing() throws {
        let dir = scratch()
        let before = try previousOutput(dir)
        let rows = (1...30).map { row($0, date: "2024-13-45") }.joined(separator: "\n") + "\n"
        try (header + "\n" + rows).write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/bad.csv", "--out", dir + "/out"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("quality gate min_clean_rows failed: 0 clean rows, fewer than the 1 required"), "\(result.stderr)")
        #expect(result.stderr.contains("quality gate max_quarantined_share failed: 30 of 30 rows read were quarantined (100.0%)"))
        // What to fix first is named: all 30 for invalid_date (by construction).
        #expect(result.stderr.contains("most often: invalid_date 30"), "\(result.stderr)")
        #expect(outputTreeFingerprint(dir + "/out") == before, "the previous output is untouched")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial-") }.isEmpty)
    }

    /// An export whose sex column holds codes the pipeline does not list (here `Fem`):
    /// 20 of 20 clean referrals unmapped (100%) is more than the default 50%.
    @Test func aFieldMostlyUnmappedFailsItsGate() throws {
        let dir = scratch()
        let before = try previousOutput(dir)
        let rows = (1...20).map { row($0).replacingOccurrences(of: ",F,White,", with: ",Fem,White,") }.joined(separator: "\n") + "\n"
        try (header + "\n" + rows).write(toFile: dir + "/codes.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/codes.csv", "--out", dir + "/out"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("quality gate max_unmapped_share.sex failed: sex unmapped for 20 of 20 clean referrals (100.0%)"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fem"), "no data value in the message")
        #expect(outputTreeFingerprint(dir + "/out") == before)
    }

    /// The summary says, per field, the share unknown and unmapped, and the elapsed time:
    /// 10 referrals, 3 with sex `U` (unknown) and 1 with sex `Fem` (unmapped, so also
    /// unknown): sex 40.0% unknown, 10.0% unmapped.
    @Test func theSummaryGivesElapsedTimeAndPerFieldShares() throws {
        let dir = scratch()
        var rows = (1...10).map { row($0) }
        for i in 0..<3 { rows[i] = rows[i].replacingOccurrences(of: ",F,White,", with: ",U,White,") }
        rows[3] = rows[3].replacingOccurrences(of: ",F,White,", with: ",Fem,White,")
        try (header + "\n" + rows.joined(separator: "\n") + "\n").write(toFile: dir + "/a.csv", atomically: true, encoding: .utf8)
        let result = try sprx(["run", "--pipeline", "Pipelines/referral-equity.yaml", "--input", dir + "/a.csv", "--out", dir + "/out"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("sprx: sex: 40.0% unknown, 10.0% unmapped"), "\(result.stderr)")
        #expect(result.stderr.contains("sprx: ethnicity: 0.0% unknown, 0.0% unmapped"))
        #expect(result.stderr.range(of: #"quarantined in [0-9]+\.[0-9]{2} s"#, options: .regularExpression) != nil)
    }
}
