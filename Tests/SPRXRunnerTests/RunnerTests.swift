import Foundation
import SPRXCore
import SPRXGenerate
import SPRXPipeline
import SPRXTestSupport
import Testing

@testable import SPRXPublish
@testable import SPRXRunner

let defaultPipeline = "\(packageRoot)/Pipelines/referral-equity.yaml"

func temporaryDirectory(_ name: String) -> String {
    let path = ScratchFolder.url.appendingPathComponent("sprx-\(name)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func tables(in dir: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/tables") {
        result[name] = try String(contentsOfFile: dir + "/tables/" + name, encoding: .utf8)
    }
    return result
}

struct GeneratedExpectation: Decodable {
    var rowsWritten: Int
    var expectedClean: Int
    var duplicates: Int
    var quarantined: [String: Int]
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct RunnerTests {
    /// The generator's own record of what it wrote is the independent expectation.
    @Test(arguments: [("canonical", "referral-equity.yaml"), ("casebook", "casebook-export.yaml")])
    func sampleDataReconcilesWithWhatWasWritten(folder: String, pipeline: String) throws {
        let out = temporaryDirectory("recon") + "/out"
        let summary = try RunJob.run(
            RunOptions(
                pipelinePath: "\(packageRoot)/Pipelines/\(pipeline)", inputs: ["\(packageRoot)/SampleData/\(folder)"],
                outputDirectory: out, jobs: 2, quiet: true))
        let expected = try JSONDecoder().decode(
            GeneratedExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/\(folder)/generate.json")))
        #expect(summary.rowsRead == expected.rowsWritten)
        #expect(summary.clean == expected.expectedClean)
        #expect(summary.duplicate == expected.duplicates)
        var reasons: [String: Int] = [:]
        for file in summary.files {
            #expect(file.reconciles, "\(file.path)")
            for (k, v) in file.quarantineReasons { reasons[k, default: 0] += v }
        }
        #expect(reasons == expected.quarantined)
        #expect(Set(expected.quarantined.keys).count == 10, "the fixture holds every quarantine reason")
        // Quarantine holds patient rows: owner-only.
        let attributes = try FileManager.default.attributesOfItem(atPath: out + "/quarantine/rejected.csv.gz")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let totals = manifest["totals"] as! [String: Any]
        #expect(totals["reconciled"] as? Bool == true)
        // rejected.csv.gz, quarantine/unmapped_labels.csv, every published table, report.html, report.md, README.md
        #expect((manifest["outputs"] as! [[String: Any]]).count == PublishedTables.schemas.count + 5)
        let labels = try FileManager.default.attributesOfItem(atPath: out + "/quarantine/unmapped_labels.csv")
        #expect((labels[.posixPermissions] as? Int) == 0o600)
        // Four deprivation indices, three rurality files (England and Wales share one),
        // the population totals, two single-year-of-age files (England and Wales share one)
        // and the four link worker provision files; the canonical sample's pipeline also
        // names its organisation lookup.
        #expect((manifest["reference_files"] as! [[String: Any]]).count == 14 + (pipeline == "referral-equity.yaml" ? 1 : 0))
    }

    @Test func tablesAreIdenticalForAnyJobsAndBlockSize() throws {
        let base = temporaryDirectory("jobs")
        var outputs: [[String: String]] = []
        for (jobs, block) in [(1, 1 << 20), (4, 4096), (2, 700), (8, 1)] {
            let out = "\(base)/out-\(jobs)-\(block)"
            try RunJob.run(
                RunOptions(
                    pipelinePath: defaultPipeline, inputs: ["\(packageRoot)/SampleData/canonical"], outputDirectory: out, jobs: jobs,
                    quiet: true, blockSize: block))
            var published = try tables(in: out)
            for report in ["report.html", "report.md"] { published[report] = try String(contentsOfFile: out + "/" + report, encoding: .utf8) }
            outputs.append(published)
            let quarantine = try Data(contentsOf: URL(fileURLWithPath: out + "/quarantine/rejected.csv.gz"))
            let first = try Data(contentsOf: URL(fileURLWithPath: "\(base)/out-1-\(1 << 20)/quarantine/rejected.csv.gz"))
            #expect(quarantine == first)
            let labels = try Data(contentsOf: URL(fileURLWithPath: out + "/quarantine/unmapped_labels.csv"))
            #expect(labels == (try Data(contentsOf: URL(fileURLWithPath: "\(base)/out-1-\(1 << 20)/quarantine/unmapped_labels.csv"))))
        }
        for other in outputs.dropFirst() { #expect(other == outputs[0]) }
        #expect(outputs[0].count == PublishedTables.schemas.count + 2)  // every published table and both reports
    }

    @Test func failedRunLeavesPreviousOutputInPlace() throws {
        let base = temporaryDirectory("fail")
        let out = base + "/out"
        try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: ["\(packageRoot)/SampleData/canonical"], outputDirectory: out, quiet: true))
        let before = try tables(in: out)
        // A truncated copy of a fixture.
        let good = try Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/SampleData/canonical/referrals-001.csv.gz"))
        let bad = base + "/bad.csv.gz"
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: bad))
        let error = #expect(throws: SPRXError.self) {
            try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: [bad], outputDirectory: out, quiet: true))
        }
        #expect(error?.code == .inputCorrupt && error?.location?.file == bad && error?.location?.byteOffset != nil)
        #expect(try tables(in: out) == before)
        // No staging folder is left; the (empty, unlocked) lock file stays, as flock files must.
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == [".out.lock", "bad.csv.gz", "out"])
    }

    @Test func duplicatesAcrossFilesKeepTheFirst() throws {
        let base = temporaryDirectory("dups")
        // Every mapped column must be in the header (issue 14); the ones this test does not use are empty.
        let header =
            "referral_id,person_id,referral_date,referral_source,age,sex,ethnicity,area_code,referral_reasons,contacted,contacts,interventions,organisation_id\n"
        try (header + "A,P1,2021-01-01,GP,,,,,,,,,U00001\nB,P2,2021-01-01,Self,,,,,,,,,U00002\n").write(
            toFile: base + "/1.csv", atomically: true, encoding: .utf8)
        // A again (exact, with other spacing: duplicate), B with another route and organisation (conflict), C new.
        try (header + "A, P1 ,2021-01-01,GP,,,,,,,,,U00001\nB,P2,2021-01-01,GP,,,,,,,,,U00003\nC,P3,2021-02-02,School,,,,,,,,,u00001\n").write(
            toFile: base + "/2.csv", atomically: true, encoding: .utf8)
        let summary = try RunJob.run(
            RunOptions(pipelinePath: defaultPipeline, inputs: [base], outputDirectory: base + "/out", jobs: 3, disclosureControl: false, quiet: true))
        #expect(summary.files.map(\.clean) == [2, 1])
        #expect(summary.files.map(\.duplicate) == [0, 1])
        #expect(summary.files[1].quarantineReasons == ["conflicting_referral_id": 1])
        let routes = try String(contentsOfFile: base + "/out/tables/route_by_group.csv", encoding: .utf8)
        #expect(routes.contains("all,all,primary_care,1,3,"))
        #expect(routes.contains("all,all,self_referral,1,3,"))
        #expect(routes.contains("all,all,education,1,3,"))
        #expect(routes.contains(",FALSE,off\n"))
        // The organisation counts lose the duplicate and the conflict too (by hand: U00001 has
        // A in January and C in February, U00002 has B; U00003 was only the conflicting row).
        let byOrganisation = summary.counts.organisations.entries.filter { $0.counts.referred != 0 }
            .map { "\($0.organisation) \(GroupKeySchema.monthLabel($0.month)) \($0.counts.referred) \($0.counts.nonMedical)" }.sorted()
        #expect(byOrganisation == ["U00001 2021-01 1 0", "U00001 2021-02 1 1", "U00002 2021-01 1 1"])
    }

    @Test func generatorIsDeterministic() throws {
        var bytes: [[Data]] = []
        for _ in 0..<2 {
            let out = temporaryDirectory("gen")
            var generator = try ReferralGenerator(
                options: GeneratorOptions(
                    rows: 500, seed: 99, files: 2, messy: true, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: out))
            _ = try generator.run()
            bytes.append(try ["referrals-001.csv.gz", "referrals-002.csv.gz"].map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) })
        }
        #expect(bytes[0] == bytes[1])
    }

    // MARK: data quality and unmapped labels (outputs-v2)

    static let fullHeader =
        "referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id\n"

    static func referral(_ id: String, sex: String = "F", source: String = "GP", reasons: String = "Anxiety", age: String = "40") -> String {
        "\(id),P\(id),2024-03-01,\(age),\(sex),White,E01000001,\(source),\(reasons),Y,2,1,U00001\n"
    }

    /// data_quality.csv is long: `file, measure, value`, every measure for each file
    /// (by name) and for `all`, no label text. Expected counts by hand from the rows
    /// written here.
    @Test func dataQualityIsLongByFileNameWithoutLabels() throws {
        let base = temporaryDirectory("dq")
        try FileManager.default.createDirectory(atPath: base + "/in", withIntermediateDirectories: true)
        // a.csv: 4 rows (one blank line): R1 clean; R2 invalid age; R3 clean with an unmapped
        // sex and two unmapped reasons; R4 clean with an unmapped source.
        let a =
            Self.fullHeader + Self.referral("R1") + Self.referral("R2", age: "400") + "\n"
            + Self.referral("R3", sex: "Jane Doe", reasons: "Anxiety;Moon;Sun") + Self.referral("R4", source: "Pigeon post")
        // b.csv: R1 again, exactly (a duplicate), and R5 clean.
        let b = Self.fullHeader + Self.referral("R1") + Self.referral("R5")
        try a.write(toFile: base + "/in/a.csv", atomically: true, encoding: .utf8)
        try b.write(toFile: base + "/in/b.csv", atomically: true, encoding: .utf8)
        try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: [base + "/in"], outputDirectory: base + "/out", jobs: 2, quiet: true))
        let text = try String(contentsOfFile: base + "/out/tables/data_quality.csv", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "file,measure,value")
        let declared = DataQualityTable.measures(labelledFields: LabelledField.canonical)
        #expect(lines.count == 1 + 3 * declared.count)
        for expected in [
            "a.csv,rows_read,4", "a.csv,clean,3", "a.csv,duplicate,0", "a.csv,quarantined,1", "a.csv,quarantined:invalid_age,1",
            "a.csv,blank_lines,1", "a.csv,unmapped:sex,1", "a.csv,unmapped:referral_reasons,2", "a.csv,unmapped:referral_source,1",
            "a.csv,unmapped:ethnicity,0", "b.csv,rows_read,2", "b.csv,clean,1", "b.csv,duplicate,1", "b.csv,unmapped:sex,0",
            "all,rows_read,6", "all,clean,4", "all,duplicate,1", "all,quarantined,1", "all,quarantined:invalid_age,1", "all,blank_lines,1",
            "all,unmapped:sex,1", "all,unmapped:referral_reasons,2", "all,area_unmatched_deprivation:Northern Ireland,0",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
        // Measures in one declared order, the same for every file.
        let measures = CSVTable(text: text).rows.map { $0[1] }
        #expect(Array(measures.prefix(declared.count)) == declared.map(\.name))
        #expect(measures.count == 3 * declared.count)
        for label in ["jane", "moon", "sun", "pigeon"] { #expect(!text.lowercased().contains(label), "\(label)") }
        #expect(!text.contains(base), "file names, not paths")
    }

    /// The run-wide store keeps at most `limit` distinct labels per field; later ones
    /// are counted under the overflow label, so counts stay complete.
    @Test func unmappedLabelStoreIsBounded() {
        var store = UnmappedLabelStore(limit: 3)
        for (label, count) in [("a", 2), ("b", 1), ("c", 5), ("d", 7), ("a", 1), ("e", 4)] { store.add(field: .sex, label: label, count: count) }
        store.add(field: .sex, label: InputLimits.unmappedOverflowLabel, count: 10)  // a worker's own overflow
        store.add(field: .contacted, label: "d", count: 1)
        // Hand count: a 3, b 1, c 5; d 7 + e 4 + 10 from the worker's overflow = 21.
        #expect(store.sorted(.sex).map { "\($0.label)=\($0.count)" } == ["(more distinct labels than sprx keeps)=21", "a=3", "b=1", "c=5"])
        #expect(store.total(.sex) == 30 && store.sorted(.contacted).map(\.label) == ["d"])
        #expect(InputLimits.maxDistinctUnmappedLabelsPerField == UnmappedLabelStore().limit)
    }

    /// tables/unmapped_labels.csv names a label only when seen ≥ 8 times (suppress_up_to
    /// 7 + 1) and ≤ 60 characters, n rounded; the rest is `(other labels)`;
    /// quarantine/unmapped_labels.csv (0600) has every label with its exact count.
    /// Expected rows by hand from the rows written here.
    @Test func unmappedLabelsPublishedOnlyWhenCommonAndShort() throws {
        let base = temporaryDirectory("labels")
        let long = String(repeating: "x", count: 61)
        let sixty = "=" + String(repeating: "y", count: 59)
        var rows = Self.fullHeader
        var id = 0
        func add(_ n: Int, sex: String = "F", source: String = "GP") {
            for _ in 0..<n {
                id += 1
                rows += Self.referral("R\(id)", sex: sex, source: source)
            }
        }
        add(9, source: "Hospice")  // 9 → published as 10
        add(7, source: "Pharmacy")  // 7: too rare
        add(20, source: long)  // common but 61 characters
        add(8, source: sixty)  // 8, exactly 60 characters: published (formula-neutralised)
        add(1, sex: "Q")
        try rows.write(toFile: base + "/in.csv", atomically: true, encoding: .utf8)
        // Most of these referrals have unmapped sources on purpose: the unmapped-share
        // gate (tested in QualityGateRunTests) is opened so the table can be checked.
        let pipeline = try String(contentsOfFile: defaultPipeline, encoding: .utf8)
            .replacingOccurrences(of: "  max_unmapped_share: 0.5", with: "  max_unmapped_share: 1")
            .replacingOccurrences(of: "reference_dir: ../SampleData/reference", with: "reference_dir: \(packageRoot)/SampleData/reference")
            .replacingOccurrences(of: "file: ../SampleData/organisations/", with: "file: \(packageRoot)/SampleData/organisations/")
        try pipeline.write(toFile: base + "/ungated.yaml", atomically: true, encoding: .utf8)
        try RunJob.run(RunOptions(pipelinePath: base + "/ungated.yaml", inputs: [base + "/in.csv"], outputDirectory: base + "/out", quiet: true))
        let published = try String(contentsOfFile: base + "/out/tables/unmapped_labels.csv", encoding: .utf8)
        // sex: 1 other → suppressed; source: 9 → 10, 8 → 10, other 7 + 20 = 27 → 25.
        #expect(
            published == """
                field,label,n,suppressed,disclosure_control
                sex,(other labels),,TRUE,on
                referral_source,'\(sixty),10,FALSE,on
                referral_source,hospice,10,FALSE,on
                referral_source,(other labels),25,FALSE,on

                """)
        let complete = try String(contentsOfFile: base + "/out/quarantine/unmapped_labels.csv", encoding: .utf8)
        #expect(
            complete == """
                field,label,n
                sex,q,1
                referral_source,'\(sixty),8
                referral_source,hospice,9
                referral_source,pharmacy,7
                referral_source,\(long),20

                """)
        let attributes = try FileManager.default.attributesOfItem(atPath: base + "/out/quarantine/unmapped_labels.csv")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/out/manifest.json"))) as! [String: Any]
        let unmapped = try #require(manifest["unmapped_labels"] as? [String: Any])
        let source = try #require((unmapped["fields"] as? [String: Any])?["referral_source"] as? [String: Int])
        #expect(source == ["referrals": 44, "distinct_labels_kept": 4, "labels_published": 2, "referrals_over_limit": 0])
        #expect(unmapped["min_count_published"] as? Int == 8 && unmapped["max_label_characters"] as? Int == 60)
        let disclosure = try #require(manifest["disclosure_control"] as? [String: Any])
        #expect((disclosure["rule"] as? String)?.hasPrefix("NHS Digital HES/ECDS rule") == true)
        #expect(disclosure["statement"] != nil && disclosure["enabled"] as? Bool == true)
    }

    /// The published table by hand from a store: `=cmd` 9 → 10 (formula-neutralised),
    /// `ok` 8 → 10, a data label that reads `(other labels)` is never published by name
    /// (it would be taken for sprx's own row) and joins the rest: 10 + 3 = 13 → 15.
    /// With control off the same labels are named (the rule is about the text) with
    /// exact counts.
    @Test func publishedLabelsFromAStore() {
        var store = UnmappedLabelStore()
        for (label, count) in [("ok", 8), ("=cmd", 9), ("(other labels)", 10), ("rare", 3)] { store.add(field: .sex, label: label, count: count) }
        let on = UnmappedLabelTable.published(store, disclosure: DisclosureSettings()).csv
        #expect(on == "field,label,n,suppressed,disclosure_control\nsex,'=cmd,10,FALSE,on\nsex,ok,10,FALSE,on\nsex,(other labels),15,FALSE,on\n")
        let off = UnmappedLabelTable.published(store, disclosure: DisclosureSettings(enabled: false)).csv
        #expect(off == "field,label,n,suppressed,disclosure_control\nsex,'=cmd,9,FALSE,off\nsex,ok,8,FALSE,off\nsex,(other labels),13,FALSE,off\n")
    }

    /// A declared dimension's unmapped labels are never named, however often seen and
    /// however plain (its column may be free text: a trial declared a notes column and
    /// its sentences were published): by hand, 29 + 12 = 41 → 40 under `(other labels)`;
    /// the canonical field's `ok` (8 → 10) is still named. No warning names them either.
    @Test func aDeclaredDimensionsLabelsAreNeverNamed() {
        let notes = LabelledField(DeclaredDimension(name: "notes", title: "Notes", columns: ["Notes"], levels: [.init(label: "A", values: ["a"])]))
        var store = UnmappedLabelStore(fields: LabelledField.canonical + [notes])
        store.add(field: .sex, label: "ok", count: 8)
        store.add(field: notes, label: "asked us not to share her address", count: 29)
        store.add(field: notes, label: "yes", count: 12)
        let on = UnmappedLabelTable.published(store, disclosure: DisclosureSettings()).csv
        #expect(on == "field,label,n,suppressed,disclosure_control\nsex,ok,10,FALSE,on\nnotes,(other labels),40,FALSE,on\n")
        let off = UnmappedLabelTable.published(store, disclosure: DisclosureSettings(enabled: false)).csv
        #expect(!off.contains("address") && !off.contains("yes") && off.contains("notes,(other labels),41,"))
        var quality = QualityFigures(rowsRead: 100, cleanRows: 100, quarantinedRows: 0)
        quality.dimensions["notes"] = FieldQualityFigures(cleanReferrals: 100, unknown: 41, unmapped: 41)
        let warnings = RunWarnings.unmapped(quality, labels: store, disclosure: DisclosureSettings())
        #expect(warnings.count == 1 && warnings.allSatisfy { !$0.message.contains("address") && !$0.message.contains("\"yes\"") })
        #expect(UnmappedLabelTable.summary(store, disclosure: DisclosureSettings())[notes]?.labelsPublished == 0)
    }

    /// Identifier-shaped labels are never named, however often seen, with control on or
    /// off: an NHS number (10), a postcode (12), an email (9) and a note with a phone
    /// number (20) join `(other labels)` with `Jane` (2): 10 + 12 + 9 + 20 + 2 = 53 →
    /// 55 rounded; `Self` (8 → 10) is named. By hand.
    @Test func identifierShapedLabelsAreNeverNamed() {
        var store = UnmappedLabelStore()
        for (label, count) in [("9434765919", 10), ("sw1a 1aa", 12), ("jane.doe@nhs.net", 9), ("called 07700 900123 re jane", 20), ("Self", 8), ("Jane", 2)] {
            store.add(field: .referralSource, label: label, count: count)
        }
        let on = UnmappedLabelTable.published(store, disclosure: DisclosureSettings()).csv
        #expect(on == "field,label,n,suppressed,disclosure_control\nreferral_source,Self,10,FALSE,on\nreferral_source,(other labels),55,FALSE,on\n")
        let off = UnmappedLabelTable.published(store, disclosure: DisclosureSettings(enabled: false)).csv
        #expect(off == "field,label,n,suppressed,disclosure_control\nreferral_source,Self,8,FALSE,off\nreferral_source,(other labels),53,FALSE,off\n")
        let summary = UnmappedLabelTable.summary(store, disclosure: DisclosureSettings())[.referralSource]
        #expect(summary?.labelsPublished == 1 && summary?.distinctLabelsKept == 6)
    }
}

/// Checks too slow for `make test` (each generates and runs a full-size data set); `make
/// check` runs them (suites named `…SlowChecks`). The fixtures' reconciliation above,
/// with every quarantine reason, is the same check on the data `make test` runs.
@Suite(.serialized, .timeLimit(.minutes(20))) struct RunnerSlowChecks {
    /// The acceptance check: 160,128 generated rows in four gzip files; the clean
    /// stage accounts for every row and its clean count equals what the generator wrote.
    @Test func fullSizeGeneratedDataSetReconciles() throws {
        let data = temporaryDirectory("160k")
        var generator = try ReferralGenerator(
            options: GeneratorOptions(
                rows: 160_128, seed: 2024, files: 4, messy: true, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: data))
        let written = try generator.run()
        let summary = try RunJob.run(RunOptions(pipelinePath: defaultPipeline, inputs: [data], outputDirectory: data + "/out", quiet: true))
        #expect(summary.files.count == 4)
        #expect(summary.rowsRead == 160_128)
        #expect(summary.clean == written.expectedClean)
        #expect(summary.duplicate == written.duplicates)
        #expect(summary.files.allSatisfy { $0.reconciles })
        try? FileManager.default.removeItem(atPath: data)
    }
}
