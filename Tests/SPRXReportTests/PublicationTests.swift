import Foundation
import SPRXCore
import Testing

/// What a run writes under `tables/` is what ``PublishedTables`` lists, derived from
/// its fields and never typed twice: the folder's files, their headers, the manifest's
/// order and the codebook's sections, each read back from the sample run's own files
/// (``sampleRun``, the default pipeline on SampleData/canonical, shared with the report tests).
@Suite(.timeLimit(.minutes(10))) struct PublicationTests {
    @Test func theFilesWrittenAreThePublishedTablesListing() throws {
        let out = sampleRun.out
        let schemas = PublishedTables.schemas
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/tables").map { "tables/" + $0 }
        #expect(Set(files) == Set(schemas.map(\.path)))
        for schema in schemas {
            let text = try String(contentsOfFile: out + "/" + schema.path, encoding: .utf8)
            #expect(text.prefix { $0 != "\n" } == schema.header.joined(separator: ","), "\(schema.path)")
        }
        // The manifest lists them in publication order (they are written in that order).
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let outputs = (manifest["outputs"] as! [[String: Any]]).compactMap { $0["path"] as? String }.filter { $0.hasPrefix("tables/") }
        #expect(outputs == schemas.map(\.path))
        // The codebook has one section per table, in the same order.
        let codebook = try String(contentsOfFile: out + "/README.md", encoding: .utf8)
        let sections = codebook.split(separator: "\n").filter { $0.hasPrefix("## tables/") }.map { String($0.dropFirst(3)) }
        #expect(sections == schemas.map(\.path))
    }
}
