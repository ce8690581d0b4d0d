import Foundation
import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXGenerate

/// `sprx generate --extra-column`: how a specification reads, that the other columns
/// keep their bytes, and that the first value follows the route and age as documented.
@Suite(.timeLimit(.minutes(10))) struct ExtraColumnTests {
    static func generate(
        _ layout: GeneratedLayout = .canonical, rows: Int, seed: UInt64, messy: Bool = false, extra: [ExtraColumn] = []
    ) throws -> (rows: CSVTable, summary: GeneratorSummary) {
        let dir = ScratchFolder.make("extra-column")
        var options = GeneratorOptions(
            rows: rows, seed: seed, files: 1, messy: messy, layout: layout, referenceDirectory: "\(packageRoot)/SampleData/reference",
            outputDirectory: dir + "/out")
        options.extraColumns = extra
        var generator = try ReferralGenerator(options: options)
        let summary = try generator.run()
        return (CSVTable(bytes: try PlatformLayoutTests.unzipped(dir + "/out/referrals-001.csv.gz")), summary)
    }

    @Test func aSpecificationReadsAsHeaderValuesAndWeights() throws {
        let column = try ExtraColumn.parse("Disability status=Y:3, N:5,Not stated:1,:0.5,a:b:2")
        #expect(column == ExtraColumn(header: "Disability status", values: ["Y", "N", "Not stated", "", "a:b"], weights: [3, 5, 1, 0.5, 2]))
    }

    @Test(arguments: ["Disability", "=Y:1", "X=Y", "X=Y:0", "X=Y:-1", "X=Y:nan", "X=Y:1,Y:2", "X=", "X=Y:1,", "A,B=Y:1", "X=\"Y\":1"])
    func aBadSpecificationIsAUsageError(_ spec: String) {
        #expect {
            _ = try ExtraColumn.parse(spec)
        } throws: { error in
            (error as? SPRXError)?.code == .usage
        }
    }

    /// A header the layout has (case ignored), or the same header twice, is refused.
    @Test func aHeaderTheLayoutHasIsRefused() throws {
        for extra in [
            [ExtraColumn(header: "AGE", values: ["1"], weights: [1])],
            [ExtraColumn(header: "x", values: ["1"], weights: [1]), ExtraColumn(header: "X", values: ["2"], weights: [1])],
        ] {
            var options = GeneratorOptions(
                rows: 1, seed: 1, referenceDirectory: "\(packageRoot)/SampleData/reference", outputDirectory: ScratchFolder.make("extra-column"))
            options.extraColumns = extra
            #expect { _ = try ReferralGenerator(options: options) } throws: { ($0 as? SPRXError)?.code == .usage }
        }
    }

    /// With the option, every row is the row written without it plus the value, last
    /// (after a layout's own column order), and the summary is the same.
    @Test(arguments: [GeneratedLayout.canonical, .gpsearch, .casemanagement])
    func theOtherColumnsKeepTheirBytes(_ layout: GeneratedLayout) throws {
        let extra = ExtraColumn(header: "Carer", values: ["Yes", "No"], weights: [1, 3])
        let without = try Self.generate(layout, rows: 500, seed: 9)
        let with = try Self.generate(layout, rows: 500, seed: 9, extra: [extra])
        #expect(with.summary == without.summary)
        #expect(with.rows.header == without.rows.header + ["Carer"])
        #expect(with.rows.rows.count == without.rows.rows.count)
        for (a, b) in zip(with.rows.rows, without.rows.rows) {
            #expect(Array(a.dropLast()) == b)
            #expect(extra.values.contains(a.last ?? "-"))
        }
    }

    /// The first value's share against the hand calculation from the weights (Y:1, N:1):
    /// 1/2 for a medical route under 65, 1.5/2.5 = 0.6 at 65 and over, 2.5/3.5 ≈ 0.714 for
    /// a non-medical route under 65. Tolerances are about 4 binomial standard errors at
    /// 20,000 rows (about 12,000, 3,000 and 3,500 referrals in the three cells).
    @Test func theFirstValueFollowsRouteAndAge() throws {
        let generated = try Self.generate(rows: 20_000, seed: 4, extra: [ExtraColumn(header: "flag", values: ["Y", "N"], weights: [1, 1])])
        var cells: [String: (y: Int, n: Int)] = [:]
        for record in generated.rows.records {
            guard let age = record["age"].flatMap({ Int($0) }), let source = record["referral_source"], !source.isEmpty else { continue }
            let medical = source == "GP" || source == "Hospital"
            let cell = (medical ? "medical" : "non_medical") + (age >= 65 ? " 65+" : " <65")
            cells[cell, default: (0, 0)].n += 1
            if record["flag"] == "Y" { cells[cell, default: (0, 0)].y += 1 }
        }
        func share(_ cell: String) -> Double { Double(cells[cell]?.y ?? 0) / Double(max(1, cells[cell]?.n ?? 0)) }
        #expect(abs(share("medical <65") - 0.5) < 0.02, "\(cells)")
        #expect(abs(share("medical 65+") - 0.6) < 0.04, "\(cells)")
        #expect(abs(share("non_medical <65") - 2.5 / 3.5) < 0.035, "\(cells)")
    }
}
