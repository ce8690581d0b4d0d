import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXEnrich
@testable import SPRXPipeline

/// A lookup that cannot mean what the pipeline says it means is an invalid reference
/// (exit 78), naming the file and line: missing, unreadable or corrupt files, empty or
/// header-only lookups, empty, overlong or repeated areas (issue 14).
@Suite(.timeLimit(.minutes(10))) struct ReferenceValidationTests {
    /// A fresh folder holding the given lookups (name → bytes).
    func folder(_ files: [String: [UInt8]]) throws -> String {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-reference-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
        return dir
    }

    /// England's deprivation from `deprivation` and rurality from `rurality` in `dir`.
    func settings(_ dir: String, deprivation: String = "imd.csv", rurality: String = "ruc.csv") -> EnrichSettings {
        EnrichSettings(
            referenceDirectory: dir,
            deprivation: [DeprivationSource(nation: .england, file: deprivation, edition: "test IMD", codeColumn: "area_code", decileColumn: "decile")],
            rurality: [
                RuralitySource(
                    nation: .england, file: rurality, edition: "test RUC", codeColumn: "area_code", classColumn: "ruc_name",
                    urbanRuralColumn: "urban_rural")
            ],
            ageBands: [AgeBand(label: "0+", lower: 0, upper: 120)])
    }

    let goodIMD = "area_code,decile\nE01000001,9\nE01000002,3\nW01000001,1\n"
    let goodRUC = "area_code,ruc_name,urban_rural\nE01000001,Urban city and town,Urban\nE01000002,Rural village,Rural\n"

    func load(imd: String? = nil, ruc: String? = nil, extra: [String: [UInt8]] = [:], deprivation: String = "imd.csv") throws -> ReferenceData {
        var files = extra
        if let imd = imd ?? Optional(goodIMD) { files["imd.csv"] = Array(imd.utf8) }
        if let ruc = ruc ?? Optional(goodRUC) { files["ruc.csv"] = Array(ruc.utf8) }
        let dir = try folder(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try ReferenceData.load(settings(dir, deprivation: deprivation))
    }

    func failure(imd: String? = nil, ruc: String? = nil, extra: [String: [UInt8]] = [:], deprivation: String = "imd.csv") -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try load(imd: imd, ruc: ruc, extra: extra, deprivation: deprivation) }
        #expect(error?.code == .invalidReference, "\(String(describing: error))")
        return error
    }

    @Test func anAreaListedTwiceWithDifferentValuesIsInvalid() throws {
        // Control: the lookups without the repeat load, with the values they list (the
        // Welsh row is another nation's and skipped).
        let data = try load()
        #expect(data.info(ShortCode("E01000001")!)?.decile == 9 && data.info(ShortCode("E01000002")!)?.rurality == .rural)
        #expect(data.info(ShortCode("W01000001")!) == nil)
        let error = failure(imd: goodIMD + "E01000001,2\n")
        #expect(error?.location?.file == "imd.csv" && error?.location?.line == 5 && error?.location?.column == "area_code")
        #expect(error?.message == "area listed twice (first on line 2); a lookup lists each area once")
    }

    @Test func anAreaListedTwiceWithEqualValuesIsInvalidToo() {
        // Decision: a repeat means the file is not one publication (two concatenated?), and its row count would be wrong.
        let error = failure(ruc: goodRUC + "e01000002 ,Rural village,Rural\n")  // same area after trimming and upper-casing
        #expect(error?.location?.file == "ruc.csv" && error?.location?.line == 4)
        #expect(error?.message.contains("first on line 3") == true)
    }

    @Test func aRowWithAnEmptyAreaIsInvalid() {
        let error = failure(imd: "area_code,decile\nE01000001,9\n  ,4\n")
        #expect(error?.location?.file == "imd.csv" && error?.location?.line == 3)
        #expect(error?.message == "row has an empty area code")
    }

    @Test func anOverlongAreaCodeIsInvalid() {
        let error = failure(imd: "area_code,decile\nE01000001,9\nE0100000100000000001,4\n")
        #expect(error?.location?.line == 3)
        #expect(error?.message.contains("longer than 16 characters") == true)
    }

    @Test func aHeaderOnlyLookupIsInvalid() {
        let error = failure(imd: "area_code,decile\n")
        #expect(error?.location?.file.hasSuffix("/imd.csv") == true && error?.location?.line == 2)
        #expect(error?.message == "reference lookup has a header but no rows")
    }

    @Test func aLookupWithNoAreaOfItsNationIsInvalid() {
        // Only Welsh rows under the England entry: an empty lookup for England.
        let error = failure(imd: "area_code,decile\nW01000001,1\nW01000002,2\n")
        #expect(error?.location?.file == "imd.csv")
        #expect(error?.message == "reference lookup lists no England area for the pipeline's England entry")
    }

    @Test func aMissingLookupIsInvalidReferenceNotUnreadableInput() {
        let error = failure(deprivation: "imd2019_england_lsoa11.csv.gz")
        #expect(error?.location?.file.hasSuffix("/imd2019_england_lsoa11.csv.gz") == true)
        #expect(error?.message == "cannot read reference lookup: no such file or directory")
    }

    @Test func aFolderAsLookupIsInvalid() {
        let error = failure(extra: ["imd.csv.gz/x": []], deprivation: "imd.csv.gz")
        #expect(error?.message == "reference lookup is not a regular file")
    }

    @Test func aCorruptGzipLookupIsInvalidReferenceWithItsCause() {
        // A gzip member header (1f 8b 08, no flags) followed by bytes that are not deflate data.
        let corrupt: [UInt8] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03] + Array("this is not deflate data at all".utf8)
        let error = failure(extra: ["imd.csv.gz": corrupt], deprivation: "imd.csv.gz")
        #expect(error?.location?.file.hasSuffix("/imd.csv.gz") == true)
        #expect(error?.message.hasPrefix("reference lookup cannot be read (input.corrupt)") == true, "\(String(describing: error))")
        #expect((error?.cause as? SPRXError)?.code == .inputCorrupt)
    }
}
