import SPRXCore
import SPRXTestSupport
import Testing

@testable import SPRXPipeline

/// The `dimensions` and `reason_groups` sections (issue 26): a declared dimension is one
/// declaration in the pipeline, checked when the pipeline is loaded, and becomes a
/// grouping, a table dimension, a trend dimension and (with `model: true`) a field of the
/// models' cells; a declaration the key cannot hold is refused naming it.
@Suite(.timeLimit(.minutes(10))) struct DimensionSettingsTests: ShippedPipelineEditing {
    /// The issue's own example.
    static let disability = """
        dimensions:
          disability:
            title: "Disability"
            column: [disability, "Disability status"]
            levels:
              "Yes": ["Y", "Yes", "Disabled"]
              "No": ["N", "No"]
            unknown: ["", "Unknown", "Not stated"]
            tables: true
            model: false

        """

    func withSection(_ section: String) -> String { valid + "\n" + section }

    /// The error parsing `yaml` throws (a failed expectation, not the whole configuration, when none).
    func failure(_ yaml: String) -> SPRXError? {
        do {
            _ = try parse(yaml)
            Issue.record("the pipeline loaded")
            return nil
        } catch {
            return error as? SPRXError
        }
    }

    @Test func theIssuesExampleLoadsAsAGroupingOfItsOwn() throws {
        let config = try parse(withSection(Self.disability))
        let dimension = try #require(config.dimensions.first)
        #expect(config.dimensions.count == 1)
        #expect(dimension.name == "disability" && dimension.title == "Disability")
        #expect(dimension.columns == ["disability", "Disability status"])
        #expect(dimension.levels.map(\.label) == ["Yes", "No"] && dimension.levels[0].values == ["Y", "Yes", "Disabled"])
        #expect(dimension.unknownValues == ["Unknown", "Not stated"], "a blank value is unknown anyway and is dropped")
        let grouping = try #require(config.groupKey.grouping(named: "disability"))
        #expect(grouping.levels == ["Yes", "No", "Unknown"] && grouping.unknownLevel == 2 && grouping.title == "Disability")
        #expect(grouping.axis == .declared(0))
        // Published after the built-in dimensions, in tables and trends.
        #expect(config.groupKey.tableDimensions.last?.name == "disability")
        #expect(config.groupKey.trendGroupings.map(\.name) == ["route_type", "nation", "imd_quintile", "disability"])
        // The outcomes and months keep it; the models' cells do not (model: false).
        #expect(config.groupKey.axes(of: .outcomes).contains(.declared(0)))
        #expect(config.groupKey.axes(of: .months).contains(.declared(0)))
        #expect(!config.groupKey.axes(of: .modelCells).contains(.declared(0)))
        #expect(config.groupKey.demographicMask & config.groupKey.field(.declared(0)).mask != 0)
    }

    /// Without a `dimensions` section the layout is exactly the built-in one (the shipped
    /// pipelines' outputs do not change).
    @Test func withoutDeclarationsTheLayoutIsTheBuiltInOne() throws {
        let config = try parse(valid)
        #expect(config.dimensions.isEmpty && config.reasonGroups.isEmpty)
        #expect(config.groupKey.layoutOrder == GroupAxis.demographic + [.routeType, .contacted, .route, .reason, .month, .standardAge, .resident])
    }

    /// A dimension the models adjust for sits in the model cell's low bits, before the
    /// route type; one the tables publish only sits above the contact flag.
    @Test func modelDimensionsAreInTheModelCell() throws {
        let both =
            Self.disability.replacingOccurrences(of: "model: false", with: "model: true")
            + "  carer:\n    title: Carer\n    column: carer\n    levels: {\"Yes\": [Y], \"No\": [N]}\n"
        let key = try parse(withSection(both)).groupKey
        #expect(key.layoutOrder.prefix(8) == ArraySlice(GroupAxis.demographic + [.declared(0), .routeType]))
        #expect(key.modelCellMask & key.field(.declared(0)).mask != 0)
        #expect(key.modelCellMask & key.field(.declared(1)).mask == 0)
        #expect(key.field(.declared(1)).shift > key.field(.contacted).shift)
        // A model-only dimension publishes no table rows, but the outcomes keep it, so its
        // unknowns are counted exactly for the quality gates (they were its unmapped count).
        let modelOnly = try parse(withSection(both.replacingOccurrences(of: "tables: true", with: "tables: false"))).groupKey
        #expect(!modelOnly.tableDimensions.contains { $0.name == "disability" })
        #expect(modelOnly.axes(of: .outcomes).contains(.declared(0)))
    }

    @Test(arguments: [
        ("  Disability:\n", "dimensions.Disability", "lower-case"),
        ("  sex:\n", "dimensions.sex", "not already"),
        ("  all:\n", "dimensions.all", "not already"),
        ("  referral_source:\n", "dimensions.referral_source", "not already"),
        // The dispersion rows of models.csv are terms `theta` and `alpha`.
        ("  theta:\n", "dimensions.theta", "not already"), ("  alpha:\n", "dimensions.alpha", "not already"),
    ])
    func aDimensionNeedsAFreeCodeName(line: String, keyPath: String, expected: String) {
        let yaml = withSection(Self.disability.replacingOccurrences(of: "  disability:\n", with: line))
        let error = failure(yaml)
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(keyPath) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        // A header another field reads (the shipped pipeline maps `sex` to the column "sex").
        ("column: [disability, \"Disability status\"]", "column: [SEX]", "sex's"),
        ("\"No\": [\"N\", \"No\"]", "\"Unknown\": [\"N\", \"No\"]", "under 'unknown'"),
        ("\"No\": [\"N\", \"No\"]", "\"No\": [\"N\", \"yes\"]", "also under"),
        ("\"No\": [\"N\", \"No\"]", "\"No\": [\"N\", \"No\", \"not  stated\"]", "not also a level's"),
        ("\"No\": [\"N\", \"No\"]", "\"a/b\": [\"N\", \"No\"]", "'/'"),
        ("tables: true", "tables: false", "tables: true or model: true"),
        ("title: \"Disability\"", "title: \"  \"", "a title"),
        // Labels that would read alike on the page: case and inner spaces, a zero-width space.
        ("\"No\": [\"N\", \"No\"]", "\"yes\": [\"N\", \"No\"]", "each level once"),
        ("\"No\": [\"N\", \"No\"]", "\"Y es\": [\"N\"]\n      \"Y  es\": [\"No\"]", "each level once"),
        ("\"No\": [\"N\", \"No\"]", "\"Yes\\u200B\": [\"N\", \"No\"]", "invisible"),
        ("\"No\": [\"N\", \"No\"]", "\"UNKNOWN\": [\"N\", \"No\"]", "under 'unknown'"),
    ])
    func aDeclarationThatCannotMeanOneThingIsRefused(old: String, new: String, expected: String) {
        let error = failure(withSection(Self.disability.replacingOccurrences(of: old, with: new)))
        #expect(error?.code == .invalidPipeline)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.location?.line != nil)
    }

    /// The built-in groups of the shipped pipeline take 52 bits (age bands 9 + Unknown →
    /// 4, sex 2, ethnicity 3, nation 3, decile 4, rurality 2, route type 2, contacted 1,
    /// routes 8 → 3, reasons 10 → 4, month 17, standard age 5, resident 2, by hand),
    /// leaving 12 for declared dimensions: three of 4 bits (10 levels + Unknown) fit, a
    /// fourth does not and is named.
    @Test func dimensionsThatDoNotFitTheKeyAreNamed() throws {
        let shipped = try parse(valid).groupKey
        #expect(shipped.bits == 52)
        func dimension(_ name: String) -> String {
            "  \(name):\n    title: \(name)\n    column: \(name)\n    levels: {" + (1...10).map { "\"L\($0)\": [\(name)\($0)]" }.joined(separator: ", ") + "}\n"
        }
        let three = "dimensions:\n" + dimension("first") + dimension("second") + dimension("third")
        #expect(try parse(withSection(three)).groupKey.bits == 64)
        let error = failure(withSection(three + dimension("fourth")))
        #expect(error?.code == .invalidPipeline)
        let message = error?.message ?? ""
        #expect(message.contains("'dimensions'") && message.contains("fourth (4 bits for 11 levels)") && !message.contains("third ("), "\(message)")
    }

    /// A level is a byte of the clean stage's label table: 255 levels load (with Unknown,
    /// 8 bits of the key), 256 are refused naming the limit (they crashed the clean stage).
    @Test func atMost255Levels() throws {
        func levels(_ n: Int) -> String {
            "dimensions:\n  many:\n    title: Many\n    column: many\n    levels: {" + (1...n).map { "\"L\($0)\": [v\($0)]" }.joined(separator: ", ") + "}\n"
        }
        #expect(try parse(withSection(levels(255))).groupKey.grouping(named: "many")?.levels.count == 256)
        let error = failure(withSection(levels(256)))
        #expect(error?.code == .invalidPipeline && error?.message.contains("at most 255 levels (256 given)") == true, "\(error?.message ?? "")")
    }

    /// Many dimensions that do not fit are named up to ten, then counted.
    @Test func theOverflowMessageNamesTenAtMost() {
        let many = (1...40).map { "  d\($0):\n    title: D\($0)\n    column: c\($0)\n    levels: {\"A\": [a], \"B\": [b], \"C\": [c]}\n" }.joined()
        let message = failure(withSection("dimensions:\n" + many))?.message ?? ""
        // 12 bits left, 2 each: d1-d6 fit, d7-d40 (34) do not: ten named, 24 counted.
        #expect(
            message.contains("d7 (2 bits for 4 levels)") && message.contains("d16 (2 bits") && !message.contains("d17 (") && message.contains("and 24 more"),
            "\(message)")
    }

    @Test func reasonGroupsNameListedReasons() throws {
        let config = try parse(withSection("reason_groups:\n  mental_wellbeing: [mental_health, loneliness_isolation]\n  money: [financial]\n"))
        #expect(config.reasonGroups.map(\.name) == ["mental_wellbeing", "money"])
        let ids = config.reasons.map(\.id)
        #expect(config.reasonGroups[0].reasons.map { ids[$0] } == ["mental_health", "loneliness_isolation"])
        #expect(config.reasonGroups[1].reasonMask == 1 << UInt32(ids.firstIndex(of: "financial")!))
        #expect(config.groupKey.reasonGroups == config.reasonGroups, "the layout (so merging) knows the groups")
        let other = try parse(withSection("reason_groups:\n  mental_wellbeing: [mental_health]\n"))
        #expect(other.groupKey.layoutDescription != config.groupKey.layoutDescription)
        for (section, expected) in [
            ("reason_groups:\n  g: [housing, nonsense]\n", "'nonsense' is not one"), ("reason_groups:\n  g: [housing, housing]\n", "repeats"),
            ("reason_groups:\n  G: [housing]\n", "lower-case"), ("reason_groups:\n  g: []\n", "non-empty"),
            ("reason_groups:\n  all: [housing]\n", "other than 'all'"),
        ] {
            let error = failure(withSection(section))
            #expect(error?.code == .invalidPipeline)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
    }

    /// A declared dimension is gated like a canonical field: the defaults (unknown off,
    /// unmapped 50%), a share of its own in the per-field form, the scalar form for all.
    @Test func declaredDimensionsAreGatedLikeFields() throws {
        let defaults = try parse(withSection(Self.disability)).quality
        #expect(defaults.dimensions == ["disability"])
        #expect(defaults.dimensionMaxUnmappedShare["disability"] == 0.5 && defaults.dimensionMaxUnknownShare["disability"] == 1)
        var figures = QualityFigures(rowsRead: 100, cleanRows: 100, quarantinedRows: 0)
        // 60 of 100 unmapped: over the default 50%.
        figures.dimensions["disability"] = FieldQualityFigures(cleanReferrals: 100, unknown: 70, unmapped: 60)
        #expect(defaults.evaluate(figures).map(\.gate) == ["max_unmapped_share.disability"])
        let own = try parse(
            withSection(Self.disability).replacingOccurrences(of: "  max_unknown_share: 1\n", with: "  max_unknown_share: {disability: 0.25}\n"))
        #expect(own.quality.dimensionMaxUnknownShare["disability"] == 0.25)
        #expect(own.quality.evaluate(figures).map(\.gate) == ["max_unknown_share.disability", "max_unmapped_share.disability"])
        // A dimension the pipeline does not declare is an unknown key.
        let error = failure(edited("  max_unknown_share: 1\n", "  max_unknown_share: {disability: 0.25}\n"))
        #expect(error?.message.contains("unknown key 'disability'") == true, "\(error?.message ?? "")")
    }
}
