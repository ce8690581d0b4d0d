import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The pipeline keys that let a file describe a real export (issue 16, item 3): the
/// `input` section, date format patterns, a comma among the reason separators, and the
/// reference folder's lookup order. Expected values are the syntax agreed for issue 16.
@Suite(.timeLimit(.minutes(10))) struct InputSettingsTests: ShippedPipelineEditing {
    func withInput(_ section: String) -> String { edited("name: referral-equity\n", "name: referral-equity\ninput: \(section)\n") }

    func failure(_ yaml: String) -> SPRXError? { #expect(throws: SPRXError.self) { try parse(yaml) } }

    // MARK: input

    @Test func inputDefaultsToCommaSeparatedUTF8() throws {
        #expect(try parse(valid).input == InputDialect(delimiter: .comma, encoding: .utf8))
    }

    @Test(arguments: [
        ("{delimiter: \";\"}", FieldDelimiter.semicolon, TextEncoding.utf8),
        ("{delimiter: tab, encoding: utf-16}", .tab, .utf16),
        ("{delimiter: \"\\t\"}", .tab, .utf8),
        ("{delimiter: \"|\", encoding: windows-1252}", .verticalBar, .windows1252),
        ("{delimiter: \",\", encoding: UTF-8}", .comma, .utf8),
    ])
    func inputSectionIsRead(section: String, delimiter: FieldDelimiter, encoding: TextEncoding) throws {
        #expect(try parse(withInput(section)).input == InputDialect(delimiter: delimiter, encoding: encoding))
    }

    @Test(arguments: [
        ("{delimiter: \":\"}", "input.delimiter"), ("{encoding: latin-1}", "input.encoding"), ("{quote: \"'\"}", "unknown key 'quote'"),
    ])
    func badInputNamesTheKey(section: String, named: String) {
        let error = failure(withInput(section))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }

    // MARK: dates

    @Test func dateFormatsKeepTheirOrderAndNames() throws {
        let config = try parse(
            edited(
                "formats: [YYYY-MM-DD, DD/MM/YYYY, ISO8601-timestamp]",
                "formats: [\"DD/MM/YYYY HH:MM\", excel_serial, YYYYMMDD, DD/MM/YYYY]"))
        #expect(config.dateForms.map(\.description) == ["DD/MM/YYYY HH:MM", "excel_serial", "YYYYMMDD", "DD/MM/YYYY"])
        #expect(config.dateForms[3] == .dayMonthYear && config.dateForms[1] == .excelSerial)
        // In `HH:MM` the second MM is minutes: one month, one minute.
        guard case .pattern(let pattern) = config.dateForms[0] else { Issue.record("not a pattern"); return }
        #expect(pattern.steps.map(\.element) == [.day, .literal(0x2F), .month, .literal(0x2F), .year, .literal(0x20), .hour, .literal(0x3A), .minute])
        #expect(try parse(valid).dateForms == DateForm.defaults)
    }

    @Test(arguments: [
        ("MMM DD YYYY", "'MMM'"), ("DD/MM/YY", "'YY'"), ("DD/MM", "lacks one"), ("DD/MM/YYYY/DD", "repeats"), ("DMYYYY", "right after"),
        ("YYYY-MM-DD mm", "hour"), ("YYYY-MM-DD HH:ss", "minutes"), ("DD/MM/YYYY", "repeats"),
    ])
    func badDateFormatsAreRefused(format: String, named: String) {
        let yaml = edited("formats: [YYYY-MM-DD, DD/MM/YYYY, ISO8601-timestamp]", "formats: [DD/MM/YYYY, \"\(format)\"]")
        let error = failure(yaml)
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains("dates.formats") == true)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }

    // MARK: reason separators

    @Test func aCommaMaySeparateReasons() throws {
        #expect(try parse(edited("reason_separators: \";\"", "reason_separators: \";,\"")).reasonSeparators == [0x3B, 0x2C])
        #expect(failure(edited("reason_separators: \";\"", "reason_separators: \"·\""))?.message.contains("ASCII") == true)
    }

    // MARK: reference folder

    /// A scratch folder with `pipeline/p.yaml` naming `reference_dir: ../declared`, and
    /// the folders `declared`, `option`, `environment` and `installed`.
    struct Layout {
        let root: String
        var pipeline: String { root + "/pipeline/p.yaml" }
        func folder(_ name: String) -> String { root + "/" + name }

        init(declaring declared: String? = "../declared") throws {
            root = ScratchFolder.url.appendingPathComponent("sprx-ref-\(UUID().uuidString)").path
            for name in ["pipeline", "declared", "option", "environment", "installed"] {
                try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            }
            var yaml = try String(contentsOfFile: "\(packageRoot)/Pipelines/referral-equity.yaml", encoding: .utf8)
            yaml = yaml.replacingOccurrences(
                of: "  reference_dir: ../SampleData/reference\n", with: declared.map { "  reference_dir: \($0)\n" } ?? "")
            try yaml.write(toFile: root + "/pipeline/p.yaml", atomically: true, encoding: .utf8)
        }
    }

    /// Each step wins over the later ones, and a later step is used when the earlier
    /// ones are absent (or, for the pipeline's and the installed folder, missing).
    @Test func lookupOrder() throws {
        let layout = try Layout()
        func resolve(option: String?, environment: [String: String], declared: String?) throws -> (String, ReferenceLookup.Origin) {
            let found = try ReferenceLookup.resolve(
                option: option, environment: environment, fallback: declared.map { ($0, .pipeline) }, installed: layout.folder("installed"))
            return (found.path, found.origin)
        }
        let env = [ReferenceLookup.environmentVariable: layout.folder("environment")]
        #expect(try resolve(option: layout.folder("option"), environment: env, declared: layout.folder("declared")) == (layout.folder("option"), .option))
        #expect(try resolve(option: nil, environment: env, declared: layout.folder("declared")) == (layout.folder("environment"), .environment))
        #expect(try resolve(option: nil, environment: [:], declared: layout.folder("declared")) == (layout.folder("declared"), .pipeline))
        #expect(try resolve(option: nil, environment: [:], declared: layout.folder("gone")) == (layout.folder("installed"), .installed))
        #expect(try resolve(option: nil, environment: [:], declared: nil) == (layout.folder("installed"), .installed))
    }

    /// The loader applies the order: the pipeline's folder is resolved against the
    /// pipeline file's folder, and the option wins over it.
    @Test func loaderUsesTheOrder() throws {
        let layout = try Layout()
        let declared = try PipelineLoader.load(path: layout.pipeline, referenceDirectory: nil, environment: [:])
        #expect(declared.enrich.referenceOrigin == .pipeline)
        #expect(URL(fileURLWithPath: declared.enrich.referenceDirectory).standardized.path == layout.folder("declared"))
        let option = try PipelineLoader.load(path: layout.pipeline, referenceDirectory: layout.folder("option"), environment: [:])
        #expect(option.enrich.referenceDirectory == layout.folder("option") && option.enrich.referenceOrigin == .option)
        let env = try PipelineLoader.load(
            path: layout.pipeline, referenceDirectory: nil, environment: [ReferenceLookup.environmentVariable: layout.folder("environment")])
        #expect(env.enrich.referenceDirectory == layout.folder("environment") && env.enrich.referenceOrigin == .environment)
    }

    /// A folder named on the command line or in the environment must exist: a typo is
    /// exit 78 naming it, never a silent fall-back. No folder at all is 78 too.
    @Test func aNamedFolderThatIsNotOneIsAnError() throws {
        let layout = try Layout()
        let file = layout.root + "/file"
        FileManager.default.createFile(atPath: file, contents: Data())
        for (option, environment, named) in [
            (layout.folder("typo"), [String: String](), "--reference-dir"), (file, [:], "--reference-dir"),
            (nil, [ReferenceLookup.environmentVariable: layout.folder("typo")], "SPRX_REFERENCE_DIR"),
        ] {
            let error = #expect(throws: SPRXError.self) {
                try ReferenceLookup.resolve(option: option, environment: environment, fallback: (layout.folder("declared"), .pipeline))
            }
            #expect(error?.code == .invalidReference)
            #expect(error?.message.contains(named) == true)
            #expect(error?.location?.file == option ?? layout.folder("typo"))
        }
        let none = #expect(throws: SPRXError.self) {
            try ReferenceLookup.resolve(option: nil, environment: [:], fallback: (layout.folder("gone"), .pipeline), installed: layout.folder("gone2"))
        }
        #expect(none?.code == .invalidReference && none?.message.contains("--reference-dir") == true)
    }

    /// `reference_dir` may be left out: the installed default is then the pipeline's.
    @Test func referenceDirIsOptional() throws {
        let layout = try Layout(declaring: nil)
        let config = try PipelineLoader.load(path: layout.pipeline)
        #expect(config.enrich.referenceOrigin == .installed)
        #expect(config.enrich.referenceDirectory == ReferenceLookup.installedDefault)
        #expect(ReferenceLookup.installedDefault.hasSuffix("/share/sprx/reference"))
    }
}
