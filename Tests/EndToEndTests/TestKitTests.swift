import Foundation
import SPRXTestSupport
import Testing

/// The test kit's own rules: every test has a time limit, a snapshot test fails when it
/// records (and refuses to in CI), and a random test's seed can be replayed.
@Suite(.timeLimit(.minutes(10))) struct TestKitTests {
    /// The test sources: every `.swift` file under Tests/ but the fuzzer's entry point
    /// (not a test target).
    static func testSources() throws -> [(path: String, text: String)] {
        let folder = packageRoot + "/Tests"
        guard let files = FileManager.default.enumerator(atPath: folder) else { return [] }
        var sources: [(String, String)] = []
        for case let file as String in files where file.hasSuffix(".swift") && !file.hasPrefix("FuzzTarget/") {
            sources.append(("Tests/" + file, try String(contentsOfFile: folder + "/" + file, encoding: .utf8)))
        }
        return sources.sorted { $0.0 < $1.0 }
    }

    /// The `@Test` and `@Suite` attributes in `text` that set no time limit, each as
    /// `line: text`: a `@Suite` must carry `.timeLimit`; a `@Test` must carry one or sit in
    /// a type (or an extension of a type) whose `@Suite` does.
    static func withoutTimeLimit(_ text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // A top-level declaration starts at column 0; its attributes may stand on the lines before it.
        let declaration = try! Regex(
            #"^(?:@Suite(?:\([^\n]*\))?\s+)?(?:public |final |private |fileprivate )*(?:struct|class|enum|actor|extension) ([A-Za-z_][A-Za-z0-9_]*)"#)
        var limited: Set<String> = []
        for (index, line) in lines.enumerated() {
            guard let name = line.firstMatch(of: declaration)?.output[1].substring else { continue }
            let attributes = (index > 0 ? lines[index - 1] : "") + line
            if attributes.contains("@Suite(") && attributes.contains(".timeLimit(") { limited.insert(String(name)) }
        }
        var missing: [String] = []
        var enclosing: String?
        var inString = false  // inside a multi-line string literal (an example, not code)
        for (index, line) in lines.enumerated() {
            let wasInString = inString
            if line.components(separatedBy: "\"\"\"").count % 2 == 0 { inString.toggle() }
            if wasInString || inString { continue }
            if let name = line.firstMatch(of: declaration)?.output[1].substring { enclosing = String(name) }
            let attribute = line.trimmingCharacters(in: .whitespaces)
            if attribute.hasPrefix("@Suite") && !attribute.contains(".timeLimit(") {
                missing.append("\(index + 1): \(attribute)")
            } else if attribute.hasPrefix("@Test") && !attribute.contains(".timeLimit(") {
                let nested = line.hasPrefix(" ") && enclosing.map(limited.contains) == true
                if !nested { missing.append("\(index + 1): \(attribute)") }
            }
        }
        return missing
    }

    /// Every suite and test has a time limit, so a hung test fails instead of holding CI.
    @Test func everySuiteAndTestHasATimeLimit() throws {
        let sources = try Self.testSources()
        #expect(sources.count > 100, "the test sources were found")
        for (path, text) in sources {
            for problem in Self.withoutTimeLimit(text) { Issue.record("\(path):\(problem): no .timeLimit on it or its @Suite") }
        }
    }

    /// Every limit is at least the project's 10 minutes: a limit counts from when a test
    /// is scheduled, and on a busy 2-core machine even a trivial test may wait a minute
    /// for a thread (a 1-minute limit failed five trivial tests in CI that way).
    @Test func everyTimeLimitIsAtLeastTenMinutes() throws {
        let limit = try Regex(#"^\s*@(?:Suite|Test)\([^\n]*\.timeLimit\(\.minutes\((\d+)\)\)"#)
        for (path, text) in try Self.testSources() {
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                guard let minutes = line.firstMatch(of: limit).flatMap({ Int($0.output[1].substring ?? "") }) else { continue }
                // The time-limit check's own hand-written fixtures are inside strings (indented further).
                if path.hasSuffix("TestKitTests.swift") && line.hasPrefix("            ") { continue }
                #expect(minutes >= 10, "\(path):\(index + 1): a \(minutes)-minute limit")
            }
        }
    }

    /// The time-limit check finds what it should (hand-written cases).
    @Test func theTimeLimitCheckFindsWhatItShould() {
        let good = """
            @Suite(.timeLimit(.minutes(10))) struct A {
                @Test func a() {}
            }
            extension A {
                @Test func b() {}
            }
            @Suite(.serialized, .timeLimit(.minutes(10)))
            struct B {
                @Test(arguments: [1]) func c(_ x: Int) {}
            }
            @Test(.timeLimit(.minutes(1))) func free() {}
            """
        #expect(Self.withoutTimeLimit(good).isEmpty, "\(Self.withoutTimeLimit(good))")
        let bad = """
            @Suite struct C {
                @Test func d() {}
            }
            struct D {
                @Test func e() {}
            }
            @Test func free() {}
            """
        #expect(Self.withoutTimeLimit(bad) == ["1: @Suite struct C {", "2: @Test func d() {}", "5: @Test func e() {}", "7: @Test func free() {}"])
        let quoted = "let example = \"\"\"\n@Suite struct E {\n    @Test func f() {}\n}\n\"\"\"\n"
        #expect(Self.withoutTimeLimit(quoted).isEmpty, "text in a multi-line string literal is not code")
    }

    /// Recording a snapshot writes it and fails; a second run without the variable passes;
    /// a change is a failure naming the line; in CI recording is refused and nothing is written.
    @Test func snapshotsFailWhenTheyRecordAndRefuseToInCI() throws {
        let path = ScratchFolder.make("snapshot") + "/s.txt"
        let recording = ["SPRX_UPDATE_SNAPSHOTS": "1"]
        #expect(Snapshot.mismatch("a\nb\n", path: path, environment: [:])?.contains("no snapshot") == true)
        let recorded = Snapshot.mismatch("a\nb\n", path: path, environment: recording)
        #expect(recorded?.contains("recorded the snapshot") == true, "\(recorded ?? "passed")")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n")
        #expect(Snapshot.mismatch("a\nb\n", path: path, environment: [:]) == nil)
        #expect(Snapshot.mismatch("a\nb\n", path: path, environment: recording) != nil, "recording fails even when nothing changed")
        let changed = Snapshot.mismatch("a\nc\n", path: path, environment: [:])
        #expect(changed?.contains("at line 2: expected b got c") == true, "\(changed ?? "passed")")
        for ci in ["true", "1", "TRUE"] {
            let refused = Snapshot.mismatch("x\n", path: path, environment: recording.merging(["CI": ci]) { a, _ in a })
            #expect(refused?.contains("refused to record") == true, "\(refused ?? "passed")")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n", "CI wrote nothing")
    }

    /// A seed replays: the same seed gives the same stream, and the process seed is
    /// `SPRX_TEST_SEED`'s when set. Expected first output of seed 0: SplitMix64's
    /// reference (Vigna's splitmix64.c, x = 0) gives 0xE220A8397B1DCDAF.
    @Test func seedsReplay() {
        var zero = SeededRandom(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        #expect((0..<8).map { _ in a.next() } == (0..<8).map { _ in b.next() })
        #expect(SeededRandom.parse("0x1F") == 31 && SeededRandom.parse("31") == 31 && SeededRandom.parse("x") == nil)
        #expect(SeededRandom().seed == SeededRandom.processSeed)
        if let text = ProcessInfo.processInfo.environment["SPRX_TEST_SEED"] {
            #expect(SeededRandom.processSeed == SeededRandom.parse(text))
        }
        #expect(SeededRandom(seed: 7).description.contains("SPRX_TEST_SEED=7"))
    }
}
