import Foundation
import SPRXTestSupport
import Testing

/// The commands the docs quote, run on the current build.
///
/// Every fenced ` ```console ` block of README.md and docs/*.md is a session: a line
/// `$ COMMAND` is run by `/bin/sh` (with `sprx` the binary under test), the lines after
/// it up to the next `$` line are its expected output. A line `...` stands for any
/// lines; each run of lines between `...` marks must appear, whole lines in that order,
/// in the command's stdout or in its stderr (a block without `...` must be the whole
/// output). A line `[exit N]` says the command exits N; any other command must exit 0.
/// The blocks of one file run in order in one scratch folder (so a walk-through's steps
/// build on each other) that holds links to the repository's `SampleData/` and
/// `Pipelines/`; the folder is removed afterwards.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DocsCommandsTests {
    /// One quoted command: where it is, what it runs, what it must print and its status.
    struct Command: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var expected: [String] = []
        var description: String { "\(file):\(line): $ \(text)" }
    }

    /// The commands of every ` ```console ` block of `file`, in order.
    static func commands(in file: String) throws -> [Command] {
        let text = try String(contentsOfFile: packageRoot + "/" + file, encoding: .utf8)
        var commands: [Command] = []
        var inConsole = false
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).enumerated() {
            if line.hasPrefix("```") {
                inConsole = !inConsole && line == "```console"
                continue
            }
            guard inConsole else { continue }
            if line.hasPrefix("$ ") {
                commands.append(Command(file: file, line: number + 1, text: String(line.dropFirst(2))))
            } else if !commands.isEmpty {
                commands[commands.count - 1].expected.append(line)
            }
        }
        return commands
    }

    /// The documentation files: README.md and every Markdown file of docs/ (not docs/contracts/).
    static let files: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    /// Whether `output` holds `lines` as consecutive whole lines (trailing spaces aside).
    static func holds(_ output: String, _ lines: [String], whole: Bool) -> Bool {
        let got = output.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let want = lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
        let trimmed = got.last == "" ? Array(got.dropLast()) : got
        if whole { return trimmed == want }
        guard want.count <= trimmed.count else { return false }
        return (0...(trimmed.count - want.count)).contains { Array(trimmed[$0..<($0 + want.count)]) == want }
    }

    /// Checks one command's result against its expected lines; the problems, if any.
    static func problems(_ command: Command, status: Int32, stdout: String, stderr: String) -> [String] {
        var expected = command.expected
        while expected.last == "" { expected.removeLast() }
        var wantStatus: Int32 = 0
        if let last = expected.last, last.hasPrefix("[exit "), let n = Int32(last.dropFirst(6).dropLast()) {
            wantStatus = n
            expected.removeLast()
        }
        var problems: [String] = []
        if status != wantStatus { problems.append("exit status \(status), the docs say \(wantStatus)") }
        let groups = expected.split(separator: "...", omittingEmptySubsequences: true).map(Array.init)
        let whole = !expected.contains("...")
        for group in groups where !holds(stdout, group, whole: whole) && !holds(stderr, group, whole: whole) {
            problems.append("output lacks:\n" + group.joined(separator: "\n"))
        }
        if !problems.isEmpty { problems.append("stdout:\n\(stdout.prefix(3000))\nstderr:\n\(stderr.prefix(3000))") }
        return problems
    }

    @Test func theParserReadsSessionsAndTheCheckCanFail() throws {
        // A hand-made session: an elision and a status.
        let command = Command(file: "x.md", line: 1, text: "true", expected: ["a", "...", "c", "[exit 1]"])
        #expect(Self.problems(command, status: 1, stdout: "a\nb\nc\n", stderr: "").isEmpty)
        #expect(!Self.problems(command, status: 0, stdout: "a\nb\nc\n", stderr: "").isEmpty, "wrong status passes")
        #expect(!Self.problems(command, status: 1, stdout: "a\nb\n", stderr: "").isEmpty, "missing line passes")
        let exact = Command(file: "x.md", line: 1, text: "true", expected: ["a"])
        #expect(!Self.problems(exact, status: 0, stdout: "a\nb\n", stderr: "").isEmpty, "an unquoted extra line passes without ...")
        #expect(Self.problems(exact, status: 0, stdout: "", stderr: "a\n").isEmpty)
        // Every doc with a console block has at least one command, and the README quotes some.
        #expect(try !Self.commands(in: "README.md").isEmpty)
        #expect(try !Self.commands(in: "docs/user-guide.md").isEmpty)
    }

    @Test(arguments: files) func everyQuotedCommandGivesItsQuotedOutput(file: String) throws {
        let commands = try Self.commands(in: file)
        guard !commands.isEmpty else { return }
        let binary = try #require(sprxBinary)
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/.bin", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/.bin/sprx", withDestinationPath: binary)
        for folder in ["SampleData", "Pipelines"] {
            try fm.createSymbolicLink(atPath: dir + "/" + folder, withDestinationPath: packageRoot + "/" + folder)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = dir + "/.bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["SPRX_REFERENCE_DIR"] = nil
        environment["SWIFT_BACKTRACE"] = "enable=no"
        for command in commands {
            let result = try runCaptured("/bin/sh", ["-c", command.text], in: dir, environment: environment)
            let problems = Self.problems(command, status: result.status, stdout: result.stdout, stderr: result.stderr)
            #expect(problems.isEmpty, "\(command): \(problems.joined(separator: "\n"))")
        }
    }

    /// Every key the pipeline loader accepts (each `allowKeys([...])` list and the top
    /// level's, read from its source) is named in docs/pipeline-reference.md.
    @Test func thePipelineReferenceNamesEveryKeyTheLoaderAccepts() throws {
        let source = try String(contentsOfFile: packageRoot + "/Sources/SPRXPipeline/PipelineLoader.swift", encoding: .utf8)
        let reference = try String(contentsOfFile: packageRoot + "/docs/pipeline-reference.md", encoding: .utf8)
        let lists = try Regex(#"allowKeys\(\[([^\]]*)\]\)"#)
        var keys: Set<String> = []
        for match in source.matches(of: lists) {
            let list = String(source[match.range])
            for key in list.matches(of: try Regex(#""([a-z_]+)""#)) {
                keys.insert(String(list[key.range]).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
        }
        #expect(keys.count > 40, "read \(keys.count) keys from PipelineLoader.swift")
        for key in keys.sorted() { #expect(reference.contains("`\(key)`"), "docs/pipeline-reference.md does not name `\(key)`") }
        // And every canonical field, optional or required, as `columns` takes them.
        for field in [
            "missing_values", "optional", "referral_id", "person_id", "referral_date", "age", "sex", "ethnicity", "area_code", "referral_source", "contacts",
            "interventions", "organisation_id", "referral_reasons", "contacted",
        ] {
            #expect(reference.contains("`\(field)`"), "\(field)")
        }
    }

    /// No document links or points to a file outside the repository.
    @Test func noDocumentPointsOutsideTheRepository() throws {
        for file in Self.files {
            let text = try String(contentsOfFile: packageRoot + "/" + file, encoding: .utf8)
            let folder = (file as NSString).deletingLastPathComponent
            for match in text.matches(of: try Regex(#"\]\(([^)#]+)"#)) {
                let target = String(text[match.range].dropFirst(2))
                guard !target.hasPrefix("http") else { continue }
                let resolved = URL(fileURLWithPath: packageRoot + "/" + folder + "/" + target).standardized.path
                #expect(resolved.hasPrefix(packageRoot + "/"), "\(file) links \(target), outside the repository")
                #expect(FileManager.default.fileExists(atPath: resolved), "\(file) links \(target), which does not exist")
            }
            #expect(!text.contains("../shared/"), "\(file) cites ../shared/")
        }
    }
}
