import SPRXCore

extension PipelineLoader {
    /// The top-level key declaring further dimensions (``DeclaredDimension``).
    static let dimensionsKey = "dimensions"
    /// The top-level key grouping referral reasons (``ReasonGroup``).
    static let reasonGroupsKey = "reason_groups"

    /// Longest declared dimension name, and longest level label or title, in characters.
    public static let maxDimensionName = 40, maxDimensionText = 80

    /// Whether a name is a published code: a lower-case letter, then lower-case letters,
    /// digits or `_`.
    public static func isCodeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.count <= maxDimensionName else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// Parses the `dimensions` section.
    ///
    /// Each dimension needs a code name that no built-in grouping, canonical field or
    /// table dimension uses, a `title`, `column` aliases that no canonical field claims,
    /// and at least one level; a label means one level only, and never also "not known".
    /// A dimension that neither the tables nor the models use is refused (nothing would
    /// read it). Whether the dimensions fit the key is checked with the rest of the schema.
    static func parseDimensions(_ entry: Entry, columns: [CanonicalField: [String]]) throws -> [DeclaredDimension] {
        var claimed: [String: String] = [:]
        for (field, aliases) in columns { for alias in aliases { claimed[alias.headerKey] = field.rawValue } }
        let taken = reservedDimensionNames
        var dimensions: [DeclaredDimension] = []
        for (name, item) in try entry.mappingEntries() {
            guard isCodeName(name) else {
                throw item.fail("a dimension name of lower-case letters, digits and '_', starting with a letter, at most \(maxDimensionName) characters")
            }
            guard !taken.contains(name) else {
                throw item.fail("a name that is not already a grouping, a field or a table dimension ('\(name)' is)")
            }
            try item.allowKeys(["title", "column", "levels", "unknown", "tables", "model"])
            let title = try text(try item.required("title"), "a title of 1 to \(maxDimensionText) characters")
            let columnEntry = try item.required("column")
            let aliases = columnEntry.node.scalar != nil ? [try columnEntry.string()] : try columnNames(columnEntry)
            for alias in aliases {
                let key = alias.headerKey
                guard !key.isEmpty else { throw columnEntry.fail("header names that are not blank") }
                if let owner = claimed[key] {
                    throw columnEntry.fail("header names no other field or dimension reads ('\(DisplayText.escaped(alias))' is \(owner)'s)")
                }
                claimed[key] = name
            }
            let levelsEntry = try item.required("levels")
            var levels: [DeclaredDimension.Level] = []
            var lists: [(Entry, [String])] = []
            for (label, valuesEntry) in try levelsEntry.mappingEntries() {
                guard isLevelLabel(label) else {
                    throw valuesEntry.fail(
                        "a level label of 1 to \(maxDimensionText) characters, without surrounding spaces, '/', control, bidirectional or invisible characters")
                }
                guard normalisedLabel(label) != normalisedLabel(DeclaredDimension.unknownLabel) else {
                    throw valuesEntry.fail("a level other than '\(DeclaredDimension.unknownLabel)': list the values meaning not known under 'unknown'")
                }
                guard !levels.contains(where: { normalisedLabel($0.label) == normalisedLabel(label) }) else {
                    throw valuesEntry.fail("each level once ('\(DisplayText.escaped(label))' repeats, compared ignoring case and spaces)")
                }
                let values = try valuesEntry.stringList(nonEmpty: true)
                for value in values {
                    guard !normalisedLabel(value).isEmpty else { throw valuesEntry.fail("values that are not blank (an empty field is unknown)") }
                    guard normalisedLabel(value).count <= LabelTable.maxLabelLength else {
                        throw valuesEntry.fail("values of at most \(LabelTable.maxLabelLength) bytes")
                    }
                }
                levels.append(DeclaredDimension.Level(label: label, values: values))
                lists.append((valuesEntry, values))
            }
            guard !levels.isEmpty else { throw levelsEntry.fail("at least one level, each with the values that mean it") }
            // A level is a byte of the clean stage's label table; Unknown is the next.
            guard levels.count < LabelTable.maxCodes else {
                throw levelsEntry.fail("at most \(LabelTable.maxCodes - 1) levels (\(levels.count) given); a breakdown with more is not a category")
            }
            try checkEachLabelMeansOneValue(lists)
            var unknown: [String] = []
            if let unknownEntry = try item.optional("unknown") {
                // A blank value is allowed (the issue's own example lists ""): empty is unknown anyway.
                unknown = try unknownEntry.stringList(nonEmpty: false).filter { !normalisedLabel($0).isEmpty }
                for value in unknown {
                    guard normalisedLabel(value).count <= LabelTable.maxLabelLength else {
                        throw unknownEntry.fail("values of at most \(LabelTable.maxLabelLength) bytes")
                    }
                    for (listEntry, list) in lists where list.contains(where: { normalisedLabel($0) == normalisedLabel(value) }) {
                        throw unknownEntry.fail(
                            "values that are not also a level's: '\(DisplayText.escaped(value))' is listed under '\(listEntry.path)' (compared ignoring case and spaces)"
                        )
                    }
                }
            }
            let tables = try item.optional("tables")?.bool() ?? true
            let model = try item.optional("model")?.bool() ?? false
            guard tables || model else { throw item.fail("tables: true or model: true (a dimension nothing publishes would only cost time)") }
            dimensions.append(
                DeclaredDimension(name: name, title: title, columns: aliases, levels: levels, unknownValues: unknown, tables: tables, model: model))
        }
        return dimensions
    }

    /// Names a declared dimension may not take: the built-in groupings, the canonical
    /// fields and the tables' own dimensions.
    public static var reservedDimensionNames: Set<String> {
        Set(
            GroupKeySchema.builtInGroupings(ageBands: [], routes: [], reasons: []).map(\.name) + CanonicalField.allCases.map(\.rawValue)
                + [TableDimension.all, ReasonGroup.dimension, ModelFamilyName.dispersionTerms.theta, ModelFamilyName.dispersionTerms.alpha])
    }

    /// Whether a text may be a declared dimension's level label: 1 to ``maxDimensionText``
    /// characters, no surrounding spaces, no '/', no control, bidirectional or other
    /// invisible formatting characters (a zero-width space would make two labels that read alike)
    /// (whether it is also not ``DeclaredDimension/unknownLabel`` is checked apart).
    public static func isLevelLabel(_ label: String) -> Bool {
        let trimmed = label.trimmingSpaces()
        return !trimmed.isEmpty && trimmed == label && label.count <= maxDimensionText && !label.contains("/")
            && !label.unicodeScalars.contains { DisplayNameDimension.isForbidden($0) || $0.properties.generalCategory == .format }
    }

    /// Parses the `reason_groups` section: group name → the reason ids it holds, each a
    /// reason the pipeline lists; a group once, a reason once per group.
    static func parseReasonGroups(_ entry: Entry, reasons: [ReasonDefinition]) throws -> [ReasonGroup] {
        var groups: [ReasonGroup] = []
        for (name, item) in try entry.mappingEntries() {
            guard isCodeName(name) else {
                throw item.fail("a group name of lower-case letters, digits and '_', starting with a letter, at most \(maxDimensionName) characters")
            }
            guard name != TableDimension.all else { throw item.fail("a group name other than '\(TableDimension.all)' (every referral's group)") }
            var indices: [Int] = []
            for id in try item.stringList(nonEmpty: true) {
                guard let index = reasons.firstIndex(where: { $0.id == id }) else {
                    throw item.fail("reason ids the pipeline lists (\(reasons.map(\.id).joined(separator: ", "))); '\(DisplayText.escaped(id))' is not one")
                }
                guard !indices.contains(index) else { throw item.fail("each reason once ('\(id)' repeats)") }
                indices.append(index)
            }
            groups.append(ReasonGroup(name: name, reasons: indices))
        }
        guard groups.count <= maxReasonGroups else { throw entry.fail("at most \(maxReasonGroups) reason groups") }
        return groups
    }

    /// Most reason groups a pipeline may declare (each is a group of the tables' rows).
    static let maxReasonGroups = 32

    /// A title-like text: not blank, at most ``maxDimensionText`` characters, no control
    /// or bidirectional characters.
    private static func text(_ entry: Entry, _ expected: String) throws -> String {
        let text = try entry.string()
        guard !text.trimmingSpaces().isEmpty, text.count <= maxDimensionText, !text.unicodeScalars.contains(where: DisplayNameDimension.isForbidden) else {
            throw entry.fail(expected)
        }
        return text
    }
}
