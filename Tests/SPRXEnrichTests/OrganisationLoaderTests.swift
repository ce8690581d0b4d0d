import Foundation
import SPRXCore
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXEnrich

/// The organisation lookup and the four provision files: the shipped files read as their
/// README describes them (SampleData/reference/README.md spot checks), and each broken
/// file refused naming file, line and column.
@Suite(.timeLimit(.minutes(10))) struct OrganisationLoaderTests {
    func folder(_ files: [String: String]) throws -> String {
        let dir = ScratchFolder.url.appendingPathComponent("sprx-organisations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(text.utf8)) }
        return dir
    }

    func lookup(_ text: String) throws -> (OrganisationDirectory, ReferenceFileInfo) {
        let dir = try folder(["orgs.csv": text])
        return try OrganisationLoader.directory(OrganisationLookupSource(path: dir + "/orgs.csv", edition: "test"))
    }

    func lookupFailure(_ text: String) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try lookup(text) }
        #expect(error?.code == .invalidReference)
        #expect(error?.location?.file.hasSuffix("orgs.csv") == true)
        return error
    }

    @Test func lookupCodesAreTrimmedAndUpperCased() throws {
        let (directory, info) = try lookup(
            "code,name,type,parent_code,parent_name,parent_type\n u123 ,Scheme,scheme, u89141 ,STOCKTON PCN,PCN\nAB1,Hub,hub,,,\n")
        #expect(info.rows == 2 && info.edition == "test" && info.sha256.count == 64 && info.name == "orgs.csv")
        let scheme = try #require(directory.info("U123"))
        #expect(scheme == OrganisationInfo(code: "U123", name: "Scheme", type: "scheme", parentCode: "U89141", parentName: "STOCKTON PCN", parentType: "PCN"))
        #expect(directory.info("AB1")?.parentCode == "" && directory.info("u123") == nil)
    }

    @Test func lookupParentColumnsAreOptional() throws {
        let (directory, _) = try lookup("Code,Name,Type\nX1,One,scheme\n")
        #expect(directory.info("X1") == OrganisationInfo(code: "X1", name: "One", type: "scheme"))
    }

    @Test func lookupRefusesARepeatedCode() {
        let error = lookupFailure("code,name,type\nab1,One,hub\nX2,Two,hub\n AB1,Again,hub\n")
        #expect(error?.location?.line == 4 && error?.location?.column == "code")
        #expect(error?.message.contains("listed twice (first on line 2)") == true)
        #expect(error?.message.contains("AB1") == false)
    }

    @Test func lookupRefusesAMissingColumn() {
        let error = lookupFailure("code,name\nX1,One\n")
        #expect(error?.location?.line == 1 && error?.location?.column == "type")
    }

    /// A code or parent code longer than a ShortCode holds (16) would be matched and
    /// shown only by its digest: refused, naming line and column, never quoting it.
    @Test func lookupRefusesACodeTooLongToShow() throws {
        let code = lookupFailure("code,name,type\nX1,One,hub\nABCDEFGHIJ1234567,Two,hub\n")
        #expect(code?.location?.line == 3 && code?.location?.column == "code" && code?.message.contains("ABCDEFGHIJ") == false)
        let parent = lookupFailure("code,name,type,parent_code\nX1,One,hub,PARENT-CODE-OF-17\n")
        #expect(parent?.location?.line == 2 && parent?.location?.column == "parent_code")
        #expect(try lookup("code,name,type,parent_code\nABCDEFGHIJ123456,Sixteen,hub,\n").0.info("ABCDEFGHIJ123456") != nil)
    }

    @Test func lookupRefusesAnEmptyCode() {
        let error = lookupFailure("code,name,type\nX1,One,hub\n  ,Two,hub\n")
        #expect(error?.location?.line == 3 && error?.location?.column == "code")
    }

    // MARK: Provision files

    static let shippedSettings = ProvisionSettings(
        workforce: NamedReferenceFile(file: "pcn_splw_fte_england.csv.gz", edition: "w"),
        registeredPatients: NamedReferenceFile(file: "pcn_registered_patients_england.csv.gz", edition: "r"),
        practices: NamedReferenceFile(file: "gp_practice_pcn_lookup_england.csv.gz", edition: "p"),
        practiceDeprivation: NamedReferenceFile(file: "gp_practice_imd2019_fingertips_england.csv.gz", edition: "d"))

    /// The README's row counts, hashes and spot checks: U89141 STOCKTON PCN 9.08 FTE
    /// (2022-09-30) and 4.40 (2025-11-30), 67,049 patients at 2025-12-01; A81001 in
    /// U89141 with 3,763 patients and score 32.36093926; 6,196 practices at 2025-12-01.
    @Test func shippedFilesReadAsPublished() throws {
        let data = try OrganisationLoader.provision(Self.shippedSettings, referenceDirectory: "\(packageRoot)/SampleData/reference")
        #expect(data.files.map(\.rows) == [15_444, 6_461, 31_108, 6_980])
        #expect(
            data.files.map(\.sha256) == [
                "5f7b122d99af9f5c69bb9b2e578d8b14ffa313e2769b5808946431f0c1c0816b", "58af334fc8d7abef70f19eba1ca2d244677173f4e194598018607789c1bdcac2",
                "8a534873ca1cec390f95f78b91e319d265e28a939080a88180c265a0bbfdae27", "45f5fc37fce07039b5b351ce3251a76f1be6b5094ac3d5fdd5fa356d5ceae7b8",
            ])
        #expect(data.censusDates.count == 16 && data.extractDates.count == 5)
        #expect(data.practiceExtract.description == "2025-12-01" && data.practices.count == 6_196)
        let stockton = try #require(data.networks["U89141"])
        #expect(stockton.name == "STOCKTON PCN")
        #expect(stockton.fte[Day(year: 2022, month: 9, day: 30)!] == 9.08 && stockton.fte[Day(year: 2025, month: 11, day: 30)!] == 4.4)
        #expect(stockton.registeredPatients[Day(year: 2025, month: 12, day: 1)!] == 67_049)
        #expect(data.practices["A81001"] == ProvisionData.Practice(network: "U89141", registeredPatients: 3_763, imdScore: 32.36093926))
        // 6,164 of the 6,196 practices have a score; unallocated practices are in no network.
        #expect(data.practices.values.filter { $0.imdScore != nil }.count == 6_164)
        #expect(data.practices.values.contains { $0.network == nil })
        #expect(data.extract(for: Day(year: 2025, month: 5, day: 31)!)?.description == "2025-05-01")
        #expect(data.extract(for: Day(year: 2022, month: 9, day: 30)!) == nil)
    }

    static let goodFiles = [
        "w.csv": "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,1.5\n",
        "r.csv": "extract_date,pcn_code,pcn_name,registered_patients\n2025-12-01,U1,ONE PCN,1000\n",
        "p.csv": "extract_date,practice_code,pcn_code,pcn_name,registered_patients\n2025-12-01,P1,U1,ONE PCN,1000\n2025-12-01,P2,U,Unallocated,50\n",
        "d.csv": "practice_code,imd2019_score\nP1,12.5\nP2,\n",
    ]
    static let smallSettings = ProvisionSettings(
        workforce: NamedReferenceFile(file: "w.csv", edition: "w"), registeredPatients: NamedReferenceFile(file: "r.csv", edition: "r"),
        practices: NamedReferenceFile(file: "p.csv", edition: "p"), practiceDeprivation: NamedReferenceFile(file: "d.csv", edition: "d"))

    func provision(_ replaced: [String: String]) throws -> ProvisionData {
        try OrganisationLoader.provision(Self.smallSettings, referenceDirectory: try folder(Self.goodFiles.merging(replaced) { _, new in new }))
    }

    func provisionFailure(_ replaced: [String: String], file: String, line: Int, column: String) -> SPRXError? {
        let error = #expect(throws: SPRXError.self) { try provision(replaced) }
        #expect(error?.code == .invalidReference)
        #expect(
            error?.location?.file.hasSuffix(file) == true && error?.location?.line == line && error?.location?.column == column, "\(String(describing: error))")
        return error
    }

    @Test func smallFilesRead() throws {
        let data = try provision([:])
        #expect(
            data.networks["U1"]
                == ProvisionData.Network(
                    name: "ONE PCN", fte: [Day(year: 2025, month: 11, day: 30)!: 1.5], registeredPatients: [Day(year: 2025, month: 12, day: 1)!: 1000]))
        #expect(data.practices["P2"] == ProvisionData.Practice(network: nil, registeredPatients: 50, imdScore: nil))
        #expect(data.networkDeprivation["U1"]?.score == 12.5 && data.networks["U"] == nil)
    }

    @Test func provisionFilesRefuseBrokenRows() {
        _ = provisionFailure(["w.csv": "census_date,pcn_code,pcn_name,splw_fte\n30/11/2025,U1,ONE PCN,1.5\n"], file: "w.csv", line: 2, column: "census_date")
        _ = provisionFailure(["w.csv": "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,many\n"], file: "w.csv", line: 2, column: "splw_fte")
        _ = provisionFailure(
            ["w.csv": "census_date,pcn_code,pcn_name,splw_fte\n2025-11-30,U1,ONE PCN,1\n2025-11-30,u1,ONE PCN,2\n"], file: "w.csv", line: 3, column: "pcn_code")
        _ = provisionFailure(
            ["r.csv": "extract_date,pcn_code,pcn_name,registered_patients\n2025-12-01,U1,ONE PCN,-4\n"], file: "r.csv", line: 2, column: "registered_patients")
        _ = provisionFailure(["r.csv": "extract_date,pcn_code,pcn_name\n2025-12-01,U1,ONE PCN\n"], file: "r.csv", line: 1, column: "registered_patients")
        _ = provisionFailure(
            ["p.csv": "extract_date,practice_code,pcn_code,pcn_name,registered_patients\n2025-12-01,P1,U1,ONE PCN,1\n2025-12-01,P1,U1,ONE PCN,2\n"],
            file: "p.csv", line: 3,
            column: "practice_code")
        _ = provisionFailure(
            ["p.csv": "extract_date,practice_code,pcn_code,pcn_name,registered_patients\n2025-12-01, ,U1,ONE PCN,1\n"], file: "p.csv", line: 2,
            column: "practice_code")
        _ = provisionFailure(["d.csv": "practice_code,imd2019_score\nP1,1\nP1,2\n"], file: "d.csv", line: 3, column: "practice_code")
        _ = provisionFailure(["d.csv": "practice_code,imd2019_score\nP1,high\n"], file: "d.csv", line: 2, column: "imd2019_score")
    }
}
