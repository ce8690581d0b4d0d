import Foundation

/// Committed files that a test's output must equal (a report's text, docs/tables.md).
///
/// `SPRX_UPDATE_SNAPSHOTS=1` rewrites a snapshot from the output, and the test still
/// fails, saying it recorded: a run with the variable set never passes, so it cannot
/// stand in for a passing run. Under `CI=true` (or `CI=1`) recording is refused: the
/// snapshot is left as it is and the test fails saying so. Read `git diff` after
/// recording, then run the test again without the variable.
public enum Snapshot {
    /// The variable that asks tests to record their snapshots.
    public static let updateVariable = "SPRX_UPDATE_SNAPSHOTS"

    /// What is wrong with `text` as the snapshot at `path`, or `nil` when it is the snapshot.
    ///
    /// When recording, this writes `text` to `path` (outside CI) and always returns a
    /// message, so the caller's test fails: record it with `Issue.record`.
    /// - Parameters:
    ///   - name: the snapshot as failures name it (default: `path`).
    ///   - rerun: the command that re-records it, for the messages.
    ///   - environment: the process's environment (tests of this type pass their own).
    public static func mismatch(
        _ text: String, path: String, name: String? = nil, rerun: String = "swift test",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        let name = name ?? path
        if environment[updateVariable] == "1" {
            if ["true", "1"].contains(environment["CI"]?.lowercased() ?? "") {
                return "\(name): refused to record a snapshot in CI (CI=\(environment["CI"] ?? "")): \(updateVariable)=1 is for a developer's machine"
            }
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                return "\(name): could not record the snapshot at \(path): \(error)"
            }
            return
                "\(name): recorded the snapshot (\(updateVariable)=1), so this test fails: read `git diff \(path)`, then run `\(rerun)` without \(updateVariable)"
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            return "\(name): no snapshot at \(path): record it with `\(updateVariable)=1 \(rerun)`"
        }
        guard text != expected else { return nil }
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        return "\(name) differs from its snapshot at line \(line + 1): expected \(line < a.count ? String(a[line]) : "(end)") got "
            + "\(line < b.count ? String(b[line]) : "(end)") (`\(updateVariable)=1 \(rerun)` re-records it)"
    }
}
