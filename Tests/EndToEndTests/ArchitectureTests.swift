import Foundation
import SPRXTestSupport
import Testing

/// The import graph: dependencies flow one way, with the data.
///
/// The one declaration is the `import-graph` block of docs/design.md ("Layout"); this suite
/// checks the sources and Package.swift against it.
@Suite(.timeLimit(.minutes(10))) struct ArchitectureTests {
    /// The design doc's graph: target → allowed imports, and the targets in flow order.
    static func declaredGraph() throws -> (order: [String], allowed: [String: Set<String>]) {
        let readme = try String(contentsOfFile: packageRoot + "/docs/design.md", encoding: .utf8)
        let marker = try #require(readme.range(of: "<!-- import-graph -->\n```text\n"))
        let block = readme[marker.upperBound...].prefix { _ in true }
        let end = try #require(block.range(of: "```"))
        var order: [String] = []
        var allowed: [String: Set<String>] = [:]
        for line in block[..<end.lowerBound].split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let target = parts[0]
            let imports = parts.count > 1 ? parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } : []
            order.append(target)
            allowed[target] = Set(imports)
        }
        return (order, allowed)
    }

    /// The targets `Sources/` holds.
    static func sourceTargets() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Sources").filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func everyTargetIsDeclaredOnceAndImportsOnlyWhatIsAboveIt() throws {
        let (order, allowed) = try Self.declaredGraph()
        #expect(Set(order).count == order.count, "a target declared twice")
        #expect(Set(order) == Set(try Self.sourceTargets()), "the graph lists exactly the targets in Sources/")
        for (index, target) in order.enumerated() {
            for dependency in allowed[target] ?? [] {
                let position = order.firstIndex(of: dependency)
                #expect(position != nil && position! < index, "\(target) may import \(dependency), which is not above it in the flow")
            }
        }
    }

    /// Every `import` of a package target in every source file is one its target may make.
    @Test func sourcesImportOnlyAllowedTargets() throws {
        let (order, allowed) = try Self.declaredGraph()
        let targets = Set(order)
        // `import X`, `@testable import X`, `public import X`, `import struct X.Y`, … (one
        // statement each: lines are split at `;` first).
        let importLine = try Regex(
            #"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)"#
        )
        var checked = 0
        for target in try Self.sourceTargets() {
            let folder = packageRoot + "/Sources/" + target
            guard let files = FileManager.default.enumerator(atPath: folder) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
                    guard let match = try importLine.firstMatch(in: String(line)), let name = match.output[1].substring.map(String.init)
                    else { continue }
                    guard targets.contains(name) else { continue }  // Foundation, Glibc, Yams, …
                    checked += 1
                    #expect(
                        allowed[target]?.contains(name) == true,
                        "Sources/\(target)/\(file) imports \(name), which the import graph of docs/design.md does not allow")
                }
            }
        }
        #expect(checked > 50, "the imports were read")
    }

    /// Package.swift grants each target exactly the design doc's dependencies (no more: an
    /// undeclared edge could be used without a test noticing; no fewer: the graph is real).
    @Test func packageDependenciesAreTheDeclaredGraph() throws {
        let (order, allowed) = try Self.declaredGraph()
        let manifest = try String(contentsOfFile: packageRoot + "/Package.swift", encoding: .utf8)
        let targetsStart = try #require(manifest.range(of: "\n    targets: ["), "the package's targets list")
        let body = manifest[targetsStart.upperBound...]
        let targets = Set(order)
        // Each `name: "X"` up to the next `name:` is one target's declaration.
        let declarations = body.components(separatedBy: "name: \"").dropFirst()
        var seen: Set<String> = []
        for declaration in declarations {
            guard let close = declaration.firstIndex(of: "\"") else { continue }
            let name = String(declaration[..<close])
            guard targets.contains(name) else { continue }  // test targets, products
            if declaration.contains("testTarget") { continue }
            seen.insert(name)
            var granted: Set<String> = []
            if let deps = declaration.range(of: "dependencies: [") {
                let list = declaration[deps.upperBound...].prefix { $0 != "]" }
                for piece in list.split(separator: "\"") where targets.contains(String(piece)) { granted.insert(String(piece)) }
            }
            #expect(granted == allowed[name] ?? [], "Package.swift gives \(name) \(granted.sorted()), docs/design.md's graph \((allowed[name] ?? []).sorted())")
        }
        #expect(seen == targets, "every target of the graph is declared in Package.swift")
    }
}
