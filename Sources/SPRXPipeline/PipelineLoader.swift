import Foundation
import SPRXCore
import Yams

/// Reads and validates a pipeline file before any data is read.
///
/// Every problem is reported as ``SPRXError/Code/invalidPipeline`` with the file, the
/// YAML line, the key path (`labels.route.primary_care`) and what was expected. Unknown
/// keys are errors too, so a typo cannot silently switch a setting off.
public enum PipelineLoader {
    /// Largest pipeline file sprx reads: the shipped ones are a few kilobytes.
    public static let maxFileBytes = 1 << 20

    /// Loads the pipeline file at `path`.
    ///
    /// A file that is missing, unreadable, not a regular file or too large is
    /// ``SPRXError/Code/invalidPipeline`` (exit 78, like every fault of the pipeline)
    /// with one line saying why, never a system error dump.
    ///
    /// The reference folder is the pipeline's own `enrich.reference_dir` (or the
    /// installed default when it has none), whether or not it exists: this is the file as
    /// written. A run uses ``load(path:referenceDirectory:environment:)``.
    public static func load(path: String) throws -> PipelineConfiguration {
        let bytes = try readFile(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SPRXError(.invalidPipeline, "pipeline file is not UTF-8", location: DataLocation(file: path))
        }
        let sha = SHA256.hex(of: bytes)
        let baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, path: path, baseDirectory: baseDirectory, sha256: sha)
    }

    /// Loads the pipeline file at `path` and finds its reference folder in the lookup
    /// order (``ReferenceLookup``): `referenceDirectory` (the `--reference-dir` option),
    /// then `SPRX_REFERENCE_DIR` in `environment`, then the pipeline's
    /// `enrich.reference_dir`, then the installed default.
    ///
    /// - Throws: as ``load(path:)``, and ``SPRXError/Code/invalidReference`` (exit 78)
    ///   when the option or the variable names no folder, or no step gives one.
    public static func load(
        path: String, referenceDirectory: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> PipelineConfiguration {
        var configuration = try load(path: path)
        let declared = configuration.enrich.referenceOrigin == .pipeline ? configuration.enrich.referenceDirectory : nil
        let (folder, origin) = try ReferenceLookup.resolve(
            option: referenceDirectory, environment: environment, fallback: declared.map { ($0, .pipeline) })
        configuration.enrich.referenceDirectory = folder
        configuration.enrich.referenceOrigin = origin
        return configuration
    }

    /// The bytes of the pipeline file, or one clean ``SPRXError/Code/invalidPipeline``.
    static func readFile(_ path: String) throws -> [UInt8] {
        func failure(_ why: String) -> SPRXError {
            SPRXError(.invalidPipeline, "cannot read pipeline file: \(why)", location: DataLocation(file: path))
        }
        func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }
        // O_NONBLOCK: a FIFO named as the pipeline must not block the open.
        let fd: FileDescriptor
        do { fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK) } catch { throw failure(reason(error.code)) }
        defer { fd.close() }
        let info: stat
        do { info = try fd.status() } catch { throw failure(reason(error.code)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw failure((info.st_mode & S_IFMT) == S_IFDIR ? "it is a folder, not a file" : "it is not a regular file")
        }
        guard Int(info.st_size) <= maxFileBytes else { throw failure("larger than \(maxFileBytes >> 20) MiB") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n: Int
            switch chunk.withUnsafeMutableBytes({ chunk in Result { () throws(Errno) in try fd.read(into: chunk) } }) {
            case .success(let count): n = count
            case .failure(let error): throw failure(reason(error.code))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= maxFileBytes else { throw failure("larger than \(maxFileBytes >> 20) MiB") }
        }
        return bytes
    }

    /// Parses pipeline YAML; relative reference paths resolve against `baseDirectory`.
    public static func parse(yaml: String, path: String, baseDirectory: String, sha256: String = "") throws -> PipelineConfiguration {
        let root: Node
        if let depth = flowNestingDepth(yaml), depth > maxNestingDepth {
            throw SPRXError(
                .invalidPipeline, "YAML nested \(depth) levels deep; a pipeline file needs a handful (at most \(maxNestingDepth))",
                location: DataLocation(file: path))
        }
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SPRXError(.invalidPipeline, "pipeline file is empty", location: DataLocation(file: path))
            }
            root = node
        } catch let error as SPRXError {
            throw error
        } catch {
            throw SPRXError(.invalidPipeline, "not valid YAML: \(error)", location: DataLocation(file: path))
        }
        let top = Entry(node: root, path: "", file: path)
        return try build(top, path: path, baseDirectory: baseDirectory, sha256: sha256)
    }

    /// Deepest `[`/`{` nesting a pipeline file may have: the parser recurses per level,
    /// so a 20 KB file of brackets would otherwise overflow the stack (a crash, not 78).
    static let maxNestingDepth = 64

    /// The deepest nesting of flow collections (`[`, `{`) outside quotes and comments, or
    /// `nil` when the text never nests; block nesting needs indentation, which the size
    /// limit already bounds well below what the parser can take.
    static func flowNestingDepth(_ yaml: String) -> Int? {
        var depth = 0, deepest = 0
        var quote: UInt8? = nil
        var comment = false
        var previous: UInt8 = 0x0A
        for byte in yaml.utf8 {
            defer { previous = byte }
            if byte == 0x0A { comment = false; if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") { continue } }
            if comment { continue }
            if let open = quote {
                if byte == open && (open == UInt8(ascii: "'") || previous != UInt8(ascii: "\\")) { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "#") where previous == 0x20 || previous == 0x09 || previous == 0x0A: comment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest == 0 ? nil : deepest
    }

    /// Largest `suppress_up_to` and `round_to`: far above any disclosure rule in use, far
    /// below where arithmetic on them could overflow.
    static let maxDisclosureCount = 1_000_000

    private static let defaultAgeBands = ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]

    private static func build(_ top: Entry, path: String, baseDirectory: String, sha256: String) throws -> PipelineConfiguration {
        try top.allowKeys([
            "version", "name", "input", "columns", "routes", "reasons", "reason_separators", "labels", "dates", "enrich", "population", "disclosure",
            "models", "validate", "quality", "display_names", "organisations", caseMixKey, missingValuesKey, reportKey, dimensionsKey, reasonGroupsKey,
            spcKey,
        ])
        let version = try top.required("version").int()
        guard version == 1 else { throw try top.required("version").fail("version 1 (the only schema this sprx reads)") }
        let name = try top.required("name").string()
        guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: DisplayNameDimension.isForbidden) else {
            throw try top.required("name").fail("a name of 1 to 100 characters without control, line-separator or bidirectional characters")
        }

        // input
        var input = InputDialect.standard
        if let inputEntry = try top.optional("input") {
            try inputEntry.allowKeys(["delimiter", "encoding"])
            if let entry = try inputEntry.optional("delimiter") {
                guard let delimiter = FieldDelimiter(pipelineName: try entry.string()) else {
                    throw entry.fail("one of the delimiters \",\" \";\" \"|\" or tab")
                }
                input.delimiter = delimiter
            }
            if let entry = try inputEntry.optional("encoding") {
                guard let encoding = TextEncoding(rawValue: try entry.string().lowercased()) else {
                    throw entry.fail("one of the encodings \(TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                input.encoding = encoding
            }
        }

        // columns
        let columnsEntry = try top.required("columns")
        try columnsEntry.allowKeys(CanonicalField.allCases.map(\.rawValue) + [optionalColumnsKey, emptyMeansNoneKey])
        var emptyMeansNone: Set<CanonicalField> = []
        if let entry = try columnsEntry.optional(emptyMeansNoneKey) {
            for name in try entry.stringList(nonEmpty: true) {
                guard let field = CanonicalField(rawValue: name), PipelineConfiguration.emptyMeansNoneFields.contains(field) else {
                    throw entry.fail(
                        "fields whose empty cell can mean none: \(PipelineConfiguration.emptyMeansNoneFields.map(\.rawValue).joined(separator: ", ")) (not '\(DisplayText.escaped(name))')"
                    )
                }
                guard emptyMeansNone.insert(field).inserted else { throw entry.fail("each field once ('\(name)' repeats)") }
            }
        }
        var columns: [CanonicalField: [String]] = [:]
        var optionalColumns: Set<CanonicalField> = []
        if let optionalEntry = try columnsEntry.optional(optionalColumnsKey) {
            for name in try optionalEntry.stringList(nonEmpty: false) {
                guard let field = CanonicalField(rawValue: name) else {
                    throw optionalEntry.fail(
                        "canonical fields from \(CanonicalField.allCases.filter { !$0.isRequired }.map(\.rawValue).joined(separator: ", ")) (unknown field '\(name)')"
                    )
                }
                guard !field.isRequired else {
                    let required = CanonicalField.allCases.filter(\.isRequired).map(\.rawValue).joined(separator: ", ")
                    throw optionalEntry.fail("fields other than the required \(required): '\(name)' is required by the contract")
                }
                guard optionalColumns.insert(field).inserted else { throw optionalEntry.fail("each field once ('\(name)' repeats)") }
            }
        }
        var claimedBy: [String: CanonicalField] = [:]
        for field in CanonicalField.allCases {
            if let entry = try columnsEntry.optional(field.rawValue) {
                columns[field] = try entry.stringList(nonEmpty: true)
                // safe: set on the line above
                if columns[field]!.contains(where: { $0.allSatisfy { $0 == " " || $0 == "\t" } }) {
                    throw entry.fail("header names that are not blank")
                }
            } else if field.isRequired {
                throw columnsEntry.fail("a header name list for required field '\(field.rawValue)'", key: field.rawValue)
            } else {
                columns[field] = [field.rawValue]
            }
            // One header means one field: `age: [contacts]` would read contacts as ages.
            // safe: set in both branches above
            for alias in columns[field]! {
                let key = alias.headerKey  // as ColumnLayout matches headers
                if let other = claimedBy[key], other != field {
                    throw columnsEntry.fail(
                        "each header name under one field only: '\(alias)' is also \(other.rawValue)'s (a field not listed uses its own name)",
                        key: field.rawValue)
                }
                claimedBy[key] = field
            }
        }

        // routes
        let routesEntry = try top.required("routes")
        var routes: [RouteDefinition] = []
        var unknownLabels: [String] = []
        var routeLists: [(Entry, [String])] = []
        for (id, entry) in try routesEntry.mappingEntries() {
            try entry.allowKeys(["type", "labels"])
            let typeEntry = try entry.required("type")
            let typeText = try typeEntry.string()
            guard let type = RouteType(label: typeText) else { throw typeEntry.fail("one of medical, non_medical, unknown") }
            let labelsEntry = try entry.required("labels")
            let labels = try labelsEntry.stringList(nonEmpty: false)
            routeLists.append((labelsEntry, labels))
            if type == .unknown {
                guard id == "unknown" else { throw typeEntry.fail("type 'unknown' only on the route named 'unknown'") }
                unknownLabels = labels
            }
            routes.append(RouteDefinition(id: id, type: type, labels: labels))
        }
        if !routes.contains(where: { $0.id == "unknown" }) {
            routes.append(RouteDefinition(id: "unknown", type: .unknown, labels: []))
        }
        guard routes.count < 64 else {
            throw routesEntry.fail("at most 63 routes, counting the 'unknown' route (added when not listed): 62 others")
        }
        try checkEachLabelMeansOneValue(routeLists)

        // reasons
        let reasonsEntry = try top.required("reasons")
        var reasons: [ReasonDefinition] = []
        var reasonLists: [(Entry, [String])] = []
        for (id, entry) in try reasonsEntry.mappingEntries() {
            reasons.append(ReasonDefinition(id: id, labels: try entry.stringList(nonEmpty: true)))
            // safe: appended on the line above
            reasonLists.append((entry, reasons.last!.labels))
        }
        guard reasons.count <= 32 else { throw reasonsEntry.fail("at most 32 reasons") }
        try checkEachLabelMeansOneValue(reasonLists)
        var separators: [UInt8] = [UInt8(ascii: ";")]
        if let sepEntry = try top.optional("reason_separators") {
            let text = try sepEntry.string()
            // Any ASCII, the delimiter too: a field holding it is quoted in the CSV.
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 < 0x80 }) else {
                throw sepEntry.fail("one or more ASCII separator characters")
            }
            separators = Array(text.utf8)
        }

        // labels
        let labelsEntry = try top.required("labels")
        try labelsEntry.allowKeys(["sex", "ethnicity", "ethnicity_nhs_codes", "contacted"])
        var sexLabels: [Sex: [String]] = [:]
        let sexEntry = try labelsEntry.required("sex")
        try sexEntry.allowKeys(Sex.allCases.map { $0.label.lowercased() })
        var sexLists: [(Entry, [String])] = []
        for sex in Sex.allCases {
            let entry = try sexEntry.optional(sex.label.lowercased())
            sexLabels[sex] = try entry?.stringList(nonEmpty: false) ?? []
            // safe: set on the line above
            if let entry { sexLists.append((entry, sexLabels[sex]!)) }
        }
        try checkEachLabelMeansOneValue(sexLists)
        var ethnicityLabels: [Ethnicity: [String]] = [:]
        let ethEntry = try labelsEntry.required("ethnicity")
        try ethEntry.allowKeys(Ethnicity.allCases.map { $0.label.lowercased() })
        var ethnicityLists: [(Entry, [String])] = []
        for eth in Ethnicity.allCases {
            let entry = try ethEntry.optional(eth.label.lowercased())
            ethnicityLabels[eth] = try entry?.stringList(nonEmpty: false) ?? []
            // safe: set on the line above
            if let entry { ethnicityLists.append((entry, ethnicityLabels[eth]!)) }
        }
        try checkEachLabelMeansOneValue(ethnicityLists)
        let nhsCodes = try labelsEntry.optional("ethnicity_nhs_codes")?.bool() ?? true
        var contactedLabels: [ContactFlag: [String]] = [:]
        let contactedEntry = try labelsEntry.required("contacted")
        try contactedEntry.allowKeys(["yes", "no", "unknown"])
        contactedLabels[.yes] = try contactedEntry.required("yes").stringList(nonEmpty: true)
        contactedLabels[.no] = try contactedEntry.required("no").stringList(nonEmpty: true)
        contactedLabels[.unknown] = try contactedEntry.optional("unknown")?.stringList(nonEmpty: false) ?? []
        let contactedLists = try [(ContactFlag.yes, "yes"), (.no, "no"), (.unknown, "unknown")].compactMap { flag, key in
            try contactedEntry.optional(key).map { ($0, contactedLabels[flag] ?? []) }
        }
        try checkEachLabelMeansOneValue(contactedLists)

        // missing values: after the labels, which they must not repeat
        let labelLists: [CanonicalField: [(Entry, [String])]] = [
            .referralSource: routeLists, .referralReasons: reasonLists, .sex: sexLists, .ethnicity: ethnicityLists,
            .contacted: contactedLists,
        ]
        let missingValues = try top.optional(missingValuesKey).map { try parseMissingValues($0, labels: labelLists) } ?? [:]

        // dates
        var forms = DateForm.defaults
        var from: Day? = nil
        var to: Day? = nil
        if let datesEntry = try top.optional("dates") {
            try datesEntry.allowKeys(["formats", "from", "to"])
            if let formsEntry = try datesEntry.optional("formats") {
                forms = []
                for text in try formsEntry.stringList(nonEmpty: true) {
                    let form: DateForm
                    do { form = try DateForm(text) } catch {
                        throw formsEntry.fail("date formats named \(DateForm.names.joined(separator: ", ")) or \(error.description)")
                    }
                    guard !forms.contains(form) else { throw formsEntry.fail("each date format once ('\(text)' repeats)") }
                    forms.append(form)
                }
            }
            from = try datesEntry.optional("from").map { try $0.day() }
            to = try datesEntry.optional("to").map { try $0.day() }
            if let from, let to, from > to { throw try datesEntry.required("to").fail("a date on or after 'from' (\(from))") }
        }

        // enrich
        let enrichEntry = try top.required("enrich")
        try enrichEntry.allowKeys(["reference_dir", "deprivation", "rurality", "age_bands"])
        // Optional: without it, the lookup order goes on to the installed default.
        var referenceDir = ReferenceLookup.installedDefault
        var referenceOrigin = ReferenceLookup.Origin.installed
        if let entry = try enrichEntry.optional("reference_dir") {
            referenceDir = try entry.string()
            guard !referenceDir.isEmpty else { throw entry.fail("a folder (relative to the pipeline file's folder)") }
            if !referenceDir.hasPrefix("/") { referenceDir = baseDirectory + "/" + referenceDir }
            referenceOrigin = .pipeline
        }
        var deprivation: [DeprivationSource] = []
        let deprivationEntry = try enrichEntry.required("deprivation")
        try deprivationEntry.allowKeys(Nation.known.map(\.label))
        for nation in Nation.known {
            guard let entry = try deprivationEntry.optional(nation.label) else { continue }
            try entry.allowKeys(["file", "edition", "code_column", "decile_column", "local_authority_columns"])
            deprivation.append(
                DeprivationSource(
                    nation: nation, file: try entry.required("file").string(), edition: try entry.required("edition").string(),
                    codeColumn: try entry.optional("code_column")?.string() ?? "area_code",
                    decileColumn: try entry.optional("decile_column")?.string() ?? "decile",
                    localAuthorityColumns: try entry.optional("local_authority_columns").map { try columnNames($0) } ?? []))
        }
        var rurality: [RuralitySource] = []
        let ruralityEntry = try enrichEntry.required("rurality")
        try ruralityEntry.allowKeys(Nation.known.map(\.label))
        for nation in Nation.known {
            guard let entry = try ruralityEntry.optional(nation.label) else { continue }
            try entry.allowKeys(["file", "edition", "code_column", "class_column", "urban_rural_column"])
            rurality.append(
                RuralitySource(
                    nation: nation, file: try entry.required("file").string(), edition: try entry.required("edition").string(),
                    codeColumn: try entry.optional("code_column")?.string() ?? "area_code",
                    classColumn: try entry.optional("class_column")?.string() ?? "ruc_name",
                    urbanRuralColumn: try entry.optional("urban_rural_column")?.string() ?? "urban_rural"))
        }
        let bandsEntry = try enrichEntry.optional("age_bands")
        let bandLabels = try bandsEntry?.stringList(nonEmpty: true) ?? defaultAgeBands
        let ageBands = try parseAgeBands(bandLabels, entry: bandsEntry ?? enrichEntry)

        // disclosure
        var disclosure = DisclosureSettings()
        if let entry = try top.optional("disclosure") {
            try entry.allowKeys(["enabled", "suppress_up_to", "round_to"])
            disclosure.enabled = try entry.optional("enabled")?.bool() ?? true
            disclosure.suppressUpTo = try entry.optional("suppress_up_to")?.int() ?? 7
            disclosure.roundTo = try entry.optional("round_to")?.int() ?? 5
            guard (1...maxDisclosureCount).contains(disclosure.roundTo) else {
                throw try entry.required("round_to").fail("a whole number from 1 to \(maxDisclosureCount)")
            }
            guard (0...maxDisclosureCount).contains(disclosure.suppressUpTo) else {
                throw try entry.required("suppress_up_to").fail("a whole number from 0 to \(maxDisclosureCount)")
            }
            // A count above suppress_up_to must never round to 0 (it would read "none"):
            // the smallest published count, suppress_up_to + 1, must be at least round_to / 2.
            guard disclosure.roundTo <= 2 * (disclosure.suppressUpTo + 1) else {
                throw try entry.required("round_to").fail(
                    "at most 2 × (suppress_up_to + 1) = \(2 * (disclosure.suppressUpTo + 1)), so no published count rounds to 0")
            }
        }

        let dimensionsEntry = try top.optional(dimensionsKey)
        let dimensions = try dimensionsEntry.map { try parseDimensions($0, columns: columns) } ?? []
        let reasonGroups = try top.optional(reasonGroupsKey).map { try parseReasonGroups($0, reasons: reasons) } ?? []

        // Every group must fit its field of the aggregation key: derived here, once.
        var groupKey: GroupKeySchema
        do {
            groupKey = try GroupKeySchema(
                ageBands: ageBands, routes: routes.map(\.id), reasons: reasons.map(\.id), declared: dimensions, reasonGroups: reasonGroups)
        } catch {
            if let dimensionsEntry { throw dimensionsEntry.fail("dimensions that fit the aggregation key (\(error.message))") }
            throw (bandsEntry ?? enrichEntry).fail("age bands, routes and reasons that fit the aggregation key (\(error.message))")
        }
        var caseMixStrata = GroupKeySchema.defaultCaseMixStrata
        if let entry = try top.optional(caseMixKey) {
            caseMixStrata = try parseCaseMix(entry, groupKey: groupKey)
            do { groupKey = try groupKey.settingCaseMix(caseMixStrata) } catch { throw entry.fail("case-mix strata (\(error.message))") }
        }
        let models = try top.optional("models").map { try parseModels($0, groupKey: groupKey) } ?? ModelSettings()
        var quality = try top.optional("quality").map { try parseQuality($0, dimensions: dimensions.map(\.name)) } ?? QualityGates()
        quality.declare(dimensions: dimensions.map(\.name))
        let displayNames = try top.optional("display_names").map { try parseDisplayNames($0, routes: routes, reasons: reasons) } ?? [:]

        // validate: tolerances for `sprx validate`
        var validation = ValidationSettings()
        if let entry = try top.optional("validate") {
            try entry.allowKeys(["absolute_tolerance", "relative_tolerance"])
            if let value = try entry.optional("absolute_tolerance") { validation.absoluteTolerance = try value.nonNegativeNumber() }
            if let value = try entry.optional("relative_tolerance") { validation.relativeTolerance = try value.nonNegativeNumber() }
        }

        var enrich = EnrichSettings(referenceDirectory: referenceDir, deprivation: deprivation, rurality: rurality, ageBands: ageBands)
        enrich.referenceOrigin = referenceOrigin
        enrich.population = try parsePopulation(try top.optional("population"), deprivation: deprivation)
        let organisations = try top.optional("organisations").map { try parseOrganisations($0, baseDirectory: baseDirectory) }
        var configuration = PipelineConfiguration(
            name: name, schemaVersion: version, input: input, columns: columns, optionalColumns: optionalColumns, routes: routes,
            unknownRouteLabels: unknownLabels,
            reasons: reasons, reasonSeparators: separators, sexLabels: sexLabels, ethnicityLabels: ethnicityLabels,
            ethnicityNHSCodes: nhsCodes, contactedLabels: contactedLabels, dateForms: forms, dateFrom: from, dateTo: to,
            enrich: enrich,
            disclosure: disclosure, models: models, groupKey: groupKey,
            validation: validation, sourcePath: path, sourceSHA256: sha256, quality: quality, displayNames: displayNames)
        configuration.organisations = organisations
        configuration.caseMixStrata = caseMixStrata
        configuration.missingValues = missingValues
        configuration.emptyMeansNone = emptyMeansNone
        configuration.dimensions = dimensions
        configuration.reasonGroups = reasonGroups
        configuration.report = try top.optional(reportKey).map { try parseReport($0) } ?? ReportSettings()
        configuration.spc = try top.optional(spcKey).map { try parseSPC($0) } ?? SPCSettings()
        return configuration
    }

    /// The top-level key for the case-mix strata of the organisations' standardised ratios.
    static let caseMixKey = "case_mix"

    /// Parses the `case_mix` section: `strata`, a list of the groupings an organisation's
    /// case mix is stratified by (``GroupKeySchema/caseMixProblem(_:)`` says which may;
    /// an empty list means no adjustment: one stratum).
    static func parseCaseMix(_ entry: Entry, groupKey: GroupKeySchema) throws -> [String] {
        try entry.allowKeys(["strata"])
        let strataEntry = try entry.required("strata")
        let names = try strataEntry.stringList(nonEmpty: false)
        if let problem = groupKey.caseMixProblem(names) { throw strataEntry.fail(problem) }
        return names
    }

    /// The top-level key for the report's title and organisation.
    static let reportKey = "report"

    /// Longest `report.title` or `report.organisation`, in characters: a line on a title page.
    static let maxReportText = 200

    /// Parses the `report` section (``ReportSettings``): `title` and `organisation`, each
    /// optional text of 1 to ``maxReportText`` characters without control, line-separator
    /// or bidirectional characters (they are printed on page 1 of the report).
    static func parseReport(_ entry: Entry) throws -> ReportSettings {
        try entry.allowKeys(["title", "organisation"])
        func text(_ key: String) throws -> String? {
            guard let value = try entry.optional(key) else { return nil }
            let expected = "text of 1 to \(maxReportText) characters without control, line-separator or bidirectional characters"
            let text = try nonBlank(value, expected)
            guard text.count <= maxReportText, !text.unicodeScalars.contains(where: DisplayNameDimension.isForbidden) else { throw value.fail(expected) }
            return text
        }
        return ReportSettings(title: try text("title"), organisation: try text("organisation"))
    }

    /// The top-level key that lists, per field, the values meaning "not known".
    static let missingValuesKey = "missing_values"

    /// Parses `missing_values` (``PipelineConfiguration/missingValues``): per canonical
    /// field other than the required three, a non-empty list of values, none blank, each
    /// once and none also a label of the field (`labels`: the field's label lists, as
    /// checked by ``checkEachLabelMeansOneValue(_:)``), all compared as the matcher
    /// compares them.
    static func parseMissingValues(_ entry: Entry, labels: [CanonicalField: [(Entry, [String])]]) throws -> [CanonicalField: [String]] {
        let allowed = CanonicalField.allCases.filter { !$0.isRequired }.map(\.rawValue)
        var result: [CanonicalField: [String]] = [:]
        guard entry.node.mapping != nil else { throw entry.fail("a mapping of fields to lists of values that mean \"not known\"") }
        for (key, item) in try entry.mappingEntries() {
            guard let field = CanonicalField(rawValue: key) else {
                throw item.fail("one of the fields \(allowed.joined(separator: ", ")) (unknown field '\(key)')")
            }
            guard !field.isRequired else {
                throw item.fail(
                    "fields other than referral_id, person_id and referral_date: a referral cannot be counted without its \(key), so a row without one is quarantined (missing_required), never read as unknown"
                )
            }
            let values = try item.stringList(nonEmpty: true)
            var seen: Set<[UInt8]> = []
            for value in values {
                let key = normalisedLabel(value)
                guard !key.isEmpty else { throw item.fail("values that are not blank (an empty field is already unknown)") }
                guard key.count <= LabelTable.maxLabelLength else {
                    throw item.fail("values of at most \(LabelTable.maxLabelLength) bytes")
                }
                guard seen.insert(key).inserted else {
                    throw item.fail("each value once ('\(DisplayText.escaped(value))' repeats, compared ignoring case and spaces)")
                }
                for (listEntry, list) in labels[field] ?? [] where list.contains(where: { normalisedLabel($0) == key }) {
                    throw item.fail(
                        "values that are not also labels: '\(DisplayText.escaped(value))' is listed under '\(listEntry.path)' (compared ignoring case and spaces); keep it in one place"
                    )
                }
            }
            result[field] = values
        }
        return result
    }

    /// The key under `columns` that lists the fields an export may leave out.
    static let optionalColumnsKey = "optional"
    /// The key under `columns` that lists the count fields whose empty cell means none
    /// (``PipelineConfiguration/emptyMeansNone``).
    static let emptyMeansNoneKey = "empty_means_none"

    /// Refuses a label listed under two different values of one vocabulary (two routes,
    /// two sexes, …), compared as the matcher compares them (``LabelTable/normalise``:
    /// case, surrounding and repeated inner spaces), because the matcher would silently
    /// keep the first. A label repeated under the same value is harmless.
    static func checkEachLabelMeansOneValue(_ lists: [(Entry, [String])]) throws {
        var owner: [[UInt8]: Int] = [:]
        for (position, (entry, labels)) in lists.enumerated() {
            for label in labels {
                let key = normalisedLabel(label)
                if let first = owner[key], first != position {
                    throw entry.fail(
                        "each label under one value only ('\(DisplayText.escaped(label))' is also under '\(lists[first].0.path)', compared ignoring case and spaces)"
                    )
                }
                owner[key] = position
            }
        }
    }

    /// A label as the matcher sees it.
    static func normalisedLabel(_ label: String) -> [UInt8] {
        let bytes = Array(label.utf8)
        var out = [UInt8](repeating: 0, count: bytes.count)
        let n = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBytes { LabelTable.normalise(raw, into: $0) } }
        return Array(out[0..<max(0, n)])
    }

    /// Parses the `quality` section (see ``QualityGates``): shares from 0 to 1, a whole
    /// number of rows ≥ 0, per-field forms naming only gated fields.
    static func parseQuality(_ entry: Entry, dimensions: [String] = []) throws -> QualityGates {
        try entry.allowKeys(["min_clean_rows", "max_quarantined_share", "max_unknown_share", "max_unmapped_share"])
        var minCleanRows = QualityGates.defaultMinCleanRows
        if let value = try entry.optional("min_clean_rows") {
            minCleanRows = try value.int()
            guard minCleanRows >= 0 else { throw value.fail("a whole number ≥ 0 (0 switches the gate off)") }
        }
        let quarantined = try entry.optional("max_quarantined_share").map { try $0.share() } ?? QualityGates.defaultMaxQuarantinedShare
        /// Per gated field and per declared dimension (by name): the shares given.
        func perField(_ key: String) throws -> (fields: [CanonicalField: Double], dimensions: [String: Double]) {
            guard let value = try entry.optional(key) else { return ([:], [:]) }
            if value.node.scalar != nil {
                let share = try value.share()
                return (
                    Dictionary(uniqueKeysWithValues: QualityGates.gatedFields.map { ($0, share) }),
                    Dictionary(uniqueKeysWithValues: dimensions.map { ($0, share) })
                )
            }
            guard value.node.mapping != nil else { throw value.fail("a share from 0 to 1, or a mapping of fields to shares") }
            try value.allowKeys(QualityGates.gatedFields.map(\.rawValue) + dimensions)
            var shares: (fields: [CanonicalField: Double], dimensions: [String: Double]) = ([:], [:])
            for (name, item) in try value.mappingEntries() {
                // safe: allowKeys admitted only gated fields' names and the dimensions'
                if let field = CanonicalField(rawValue: name) { shares.fields[field] = try item.share() } else { shares.dimensions[name] = try item.share() }
            }
            return shares
        }
        let unknown = try perField("max_unknown_share"), unmapped = try perField("max_unmapped_share")
        var gates = QualityGates(
            minCleanRows: minCleanRows, maxQuarantinedShare: quarantined, maxUnknownShare: unknown.fields, maxUnmappedShare: unmapped.fields)
        gates.dimensionMaxUnknownShare = unknown.dimensions
        gates.dimensionMaxUnmappedShare = unmapped.dimensions
        return gates
    }

    /// Parses `display_names`: per dimension, the report's label for each id.
    static func parseDisplayNames(_ entry: Entry, routes: [RouteDefinition], reasons: [ReasonDefinition]) throws -> [String: [String: String]] {
        try entry.allowKeys(DisplayNameDimension.allCases.map(\.rawValue))
        var result: [String: [String: String]] = [:]
        for (key, dimensionEntry) in try entry.mappingEntries() {
            // safe: allowKeys above refused any key that is not a dimension's raw value
            let dimension = DisplayNameDimension(rawValue: key)!
            let ids: [String] =
                switch dimension {
                case .routeType: RouteType.allCases.map(\.label)
                case .route: routes.map(\.id)
                case .reason: reasons.map(\.id)
                }
            try dimensionEntry.allowKeys(ids)
            var names: [String: String] = [:]
            var idOfName: [String: String] = [:]
            for (id, value) in try dimensionEntry.mappingEntries() {
                let name = try value.string()
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { throw value.fail("a non-empty display name") }
                // Characters as people count them, and bytes, so one "character" of a
                // thousand combining marks cannot pass as short.
                guard name.count <= DisplayNameDimension.maxLength, name.utf8.count <= 4 * DisplayNameDimension.maxLength else {
                    throw value.fail("a display name of at most \(DisplayNameDimension.maxLength) characters")
                }
                guard !name.unicodeScalars.contains(where: DisplayNameDimension.isForbidden) else {
                    throw value.fail("a display name without control characters")
                }
                if let other = idOfName[trimmed.lowercased()] {
                    throw value.fail("a display name not already given to '\(other)'")
                }
                idOfName[trimmed.lowercased()] = id
                names[id] = name
            }
            result[dimension.rawValue] = names
        }
        return result
    }

    /// Parses the `models` section: clustering, unknown levels, reference levels and
    /// the models to fit. Every name, outcome, family, covariate and reference level is
    /// checked here, before any data is read.
    static func parseModels(_ entry: Entry, groupKey: GroupKeySchema) throws -> ModelSettings {
        try entry.allowKeys(["cluster", "unknown_levels", "reference", "fit"])
        var settings = ModelSettings()
        if let cluster = try entry.optional("cluster") {
            switch try cluster.string() {
            case "organisation_id": settings.clusterByOrganisation = true
            case "none": settings.clusterByOrganisation = false
            default: throw cluster.fail("organisation_id or none")
            }
        }
        if let unknown = try entry.optional("unknown_levels") {
            switch try unknown.string() {
            case "exclude": settings.unknownAsLevel = false
            case "level": settings.unknownAsLevel = true
            default: throw unknown.fail("exclude (leave out referrals with an unknown covariate) or level (keep Unknown as a level)")
            }
        }
        // Any grouping the models' cells keep can be a covariate: the names come from the key.
        let covariateGroupings = groupKey.covariateGroupings
        if let reference = try entry.optional("reference") {
            try reference.allowKeys(covariateGroupings.map(\.name))
            for (key, value) in try reference.mappingEntries() {
                let covariate = ModelCovariate(key)
                guard let grouping = groupKey.grouping(covariate) else { continue }  // allowKeys admits only groupings' names
                let label = try value.string()
                var allowed = grouping.levels
                if !settings.unknownAsLevel, let unknown = grouping.unknownLabel { allowed.removeAll { $0 == unknown } }
                guard allowed.contains(label) else {
                    throw value.fail("one of the levels \(allowed.joined(separator: ", ")) (got '\(label)')")
                }
                settings.references[covariate] = label
            }
        }
        guard let fit = try entry.optional("fit") else { return settings }
        guard let items = fit.node.sequence else { throw fit.fail("a list of models") }
        for (index, node) in items.enumerated() {
            let item = Entry(node: node, path: "\(fit.path)[\(index)]", file: fit.file)
            try item.allowKeys(["name", "outcome", "family", "covariates"])
            let nameEntry = try item.required("name")
            let name = try nameEntry.string()
            guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                throw nameEntry.fail("a model name of lower-case letters, digits and _")
            }
            guard !settings.models.contains(where: { $0.name == name }) else {
                throw nameEntry.fail("a model name not used before ('\(name)' is)")
            }
            let outcomeEntry = try item.required("outcome")
            guard let outcome = ModelOutcome(rawValue: try outcomeEntry.string()) else {
                throw outcomeEntry.fail("one of the outcomes \(ModelOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var family = outcome.family
            if let familyEntry = try item.optional("family") {
                guard let named = ModelFamilyName(rawValue: try familyEntry.string()), named == outcome.family else {
                    throw familyEntry.fail("\(outcome.family.rawValue) (the family for outcome \(outcome.rawValue))")
                }
                family = named
            }
            let covariatesEntry = try item.required("covariates")
            var covariates: [ModelCovariate] = []
            for label in try covariatesEntry.stringList(nonEmpty: true) {
                let covariate = ModelCovariate(label)
                if let problem = groupKey.covariateProblem(covariate) { throw covariatesEntry.fail(problem) }
                guard !covariates.contains(covariate) else { throw covariatesEntry.fail("each covariate once ('\(label)' repeats)") }
                if covariate == .routeType && outcome == .routeNonMedical {
                    throw covariatesEntry.fail("covariates other than route_type: it is the outcome of route_nonmedical")
                }
                covariates.append(covariate)
            }
            settings.models.append(ModelDefinition(name: name, outcome: outcome, family: family, covariates: covariates))
        }
        return settings
    }

    /// Parses the `population` section (``PopulationSettings``): absent, the defaults
    /// (``PopulationSettings/standard``); `none`, no rates (`nil`).
    static func parsePopulation(_ entry: Entry?, deprivation: [DeprivationSource]) throws -> PopulationSettings? {
        guard let entry else { return .standard }
        if let scalar = entry.node.scalar {
            guard scalar.string == "none" else { throw entry.fail("none (no population rates) or a mapping with edition and totals") }
            return nil
        }
        try entry.allowKeys(["edition", "totals", "single_year_of_age", "catchment", "period"])
        let edition = try nonBlank(try entry.required("edition"), "a label for the population edition, such as \"mid-2019\"")

        let totalsEntry = try entry.required("totals")
        try totalsEntry.allowKeys(["file", "edition", "code_column", "population_column"])
        var totals = PopulationTotalsSource(
            file: try nonBlank(try totalsEntry.required("file"), "a file name in the reference folder"),
            edition: try nonBlank(try totalsEntry.required("edition"), "the publication's name"))
        if let column = try totalsEntry.optional("code_column") { totals.codeColumn = try nonBlank(column, "a column name") }
        if let column = try totalsEntry.optional("population_column") { totals.populationColumn = try nonBlank(column, "a column name") }
        var settings = PopulationSettings(edition: edition, totals: totals)

        if let agesEntry = try entry.optional("single_year_of_age") {
            try agesEntry.allowKeys(Nation.known.map(\.label))
            for nation in Nation.known {
                guard let item = try agesEntry.optional(nation.label) else { continue }
                try item.allowKeys(["file", "edition", "code_column", "total_column", "sex_column", "sex"])
                var source = SingleYearOfAgeSource(
                    nation: nation, file: try nonBlank(try item.required("file"), "a file name in the reference folder"),
                    edition: try nonBlank(try item.required("edition"), "the publication's name"))
                if let column = try item.optional("code_column") { source.codeColumn = try nonBlank(column, "a column name") }
                if let column = try item.optional("total_column") { source.totalColumn = try nonBlank(column, "a column name") }
                let sexColumn = try item.optional("sex_column")
                let sex = try item.optional("sex")
                guard (sexColumn == nil) == (sex == nil) else {
                    throw item.fail("sex_column and sex together (the column naming each row's sex and the value to read, such as persons), or neither")
                }
                source.sexColumn = try sexColumn.map { try nonBlank($0, "a column name") }
                source.sex = try sex.map { try nonBlank($0, "the sex value of the rows to read, such as persons") }
                // One file is read once, so every nation it serves must read it alike.
                if let other = settings.singleYearOfAge.first(where: { $0.file == source.file }), !other.readsLike(source) {
                    throw item.fail("the same edition and columns as \(other.nation.label)'s entry, which names the same file")
                }
                settings.singleYearOfAge.append(source)
            }
        }

        if let catchment = try entry.optional("catchment") {
            if let scalar = catchment.node.scalar {
                guard scalar.string == "every_area" else { throw catchment.fail("every_area or a mapping with local_authorities") }
            } else {
                try catchment.allowKeys(["local_authorities"])
                let list = try catchment.required("local_authorities")
                let names = try list.stringList(nonEmpty: true).map { $0.trimmingCharacters(in: .whitespaces) }
                var seen: Set<String> = []
                for name in names {
                    guard !name.isEmpty else { throw list.fail("local authority codes or names that are not blank") }
                    guard seen.insert(name.lowercased()).inserted else { throw list.fail("each local authority once ('\(name)' repeats)") }
                }
                guard deprivation.contains(where: { !$0.localAuthorityColumns.isEmpty }) else {
                    throw list.fail(
                        "local authorities only when a deprivation entry under enrich names its lookup's local_authority_columns (none does)")
                }
                settings.catchment = .localAuthorities(names)
            }
        }

        if let period = try entry.optional("period") {
            try period.allowKeys(["first", "last"])
            let first = try period.required("first").day()
            let last = try period.required("last").day()
            guard first <= last else { throw try period.required("last").fail("a date on or after 'first' (\(first))") }
            settings.period = first...last
        }
        return settings
    }

    /// Parses the `organisations` section (``OrganisationSettings``): the organisation
    /// lookup (a path relative to the pipeline file's folder) and the four provision files
    /// (names in `reference_dir`), each with its edition; either may be left out.
    static func parseOrganisations(_ entry: Entry, baseDirectory: String) throws -> OrganisationSettings {
        try entry.allowKeys(["lookup", "provision"])
        func named(_ entry: Entry, _ place: String) throws -> NamedReferenceFile {
            try entry.allowKeys(["file", "edition"])
            return NamedReferenceFile(
                file: try nonBlank(try entry.required("file"), "a file name \(place)"),
                edition: try nonBlank(try entry.required("edition"), "the publication's name"))
        }
        var settings = OrganisationSettings()
        if let lookup = try entry.optional("lookup") {
            let file = try named(lookup, "(relative to the pipeline file's folder)")
            let path = file.file.hasPrefix("/") ? file.file : baseDirectory + "/" + file.file
            settings.lookup = OrganisationLookupSource(path: path, edition: file.edition)
        }
        if let provision = try entry.optional("provision") {
            try provision.allowKeys(["workforce", "registered_patients", "practices", "practice_deprivation"])
            func file(_ key: String) throws -> NamedReferenceFile { try named(try provision.required(key), "in the reference folder") }
            settings.provision = ProvisionSettings(
                workforce: try file("workforce"), registeredPatients: try file("registered_patients"), practices: try file("practices"),
                practiceDeprivation: try file("practice_deprivation"))
        }
        return settings
    }

    /// A list of column names, none blank, each once.
    static func columnNames(_ entry: Entry) throws -> [String] {
        let names = try entry.stringList(nonEmpty: true)
        guard names.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { throw entry.fail("column names that are not blank") }
        guard Set(names.map { $0.lowercased() }).count == names.count else { throw entry.fail("each column once") }
        return names
    }

    /// The entry's text, refused when blank.
    static func nonBlank(_ entry: Entry, _ expected: String) throws -> String {
        let text = try entry.string()
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw entry.fail(expected) }
        return text
    }

    /// Parses `0-17`, `18-24`, …, `85+` into bands that must not overlap and must cover
    /// 0-120 (``PlausibleCount/maxAge``) without gaps, so every valid age has exactly one band.
    static func parseAgeBands(_ labels: [String], entry: Entry) throws -> [AgeBand] {
        var bands: [AgeBand] = []
        for label in labels {
            let text = label.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("+"), let lower = Int(text.dropLast()) {
                bands.append(AgeBand(label: text, lower: lower, upper: PlausibleCount.maxAge))
            } else {
                let parts = text.split(separator: "-", omittingEmptySubsequences: false)
                guard parts.count == 2, let lower = Int(parts[0]), let upper = Int(parts[1]), lower <= upper else {
                    throw entry.fail("age bands written as 'LOW-HIGH' or 'LOW+' (got a band that is neither)")
                }
                bands.append(AgeBand(label: text, lower: lower, upper: upper))
            }
        }
        var expectedLower = 0
        for band in bands {
            guard band.lower == expectedLower else {
                throw entry.fail("age bands in order from 0 with no gap or overlap (band '\(band.label)' should start at \(expectedLower))")
            }
            expectedLower = band.upper + 1
        }
        guard expectedLower == PlausibleCount.maxAge + 1 else { throw entry.fail("age bands that reach \(PlausibleCount.maxAge) (end with e.g. '85+')") }
        return bands
    }
}

/// A YAML node with the key path that led to it, for error messages.
struct Entry {
    let node: Node
    let path: String
    let file: String

    func fail(_ expected: String, key: String? = nil) -> SPRXError {
        let keyPath = key.map { path.isEmpty ? $0 : "\(path).\($0)" } ?? path
        let line = node.mark.map { $0.line }
        return SPRXError(
            .invalidPipeline, "key '\(keyPath.isEmpty ? "(top level)" : keyPath)': expected \(expected)",
            location: DataLocation(file: file, line: line))
    }

    private func child(_ key: String, _ node: Node) -> Entry {
        Entry(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The mapping's keys and values in file order; a key given twice is an error (YAML
    /// parsers keep one of them silently, so half of what was written would be ignored).
    func mappingEntries() throws -> [(String, Entry)] {
        guard let mapping = node.mapping else { throw fail("a mapping of keys to values") }
        var seen: Set<String> = []
        return try mapping.map { key, value in
            guard let name = key.string else { throw fail("text keys") }
            guard seen.insert(name).inserted else { throw child(name, value).fail("each key once ('\(name)' is given twice)") }
            return (name, child(name, value))
        }
    }

    func allowKeys(_ allowed: [String]) throws {
        for (key, entry) in try mappingEntries() where !allowed.contains(key) {
            throw entry.fail("one of the keys \(allowed.joined(separator: ", ")) (unknown key '\(key)')")
        }
    }

    func optional(_ key: String) throws -> Entry? {
        try mappingEntries().first { $0.0 == key }?.1
    }

    func required(_ key: String) throws -> Entry {
        guard let entry = try optional(key) else { throw fail("a value for '\(key)'", key: key) }
        return entry
    }

    func string() throws -> String {
        guard let scalar = node.scalar else { throw fail("text") }
        return scalar.string
    }

    func int() throws -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string) else { throw fail("a whole number") }
        return value
    }

    func bool() throws -> Bool {
        guard let scalar = node.scalar else { throw fail("true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw fail("true or false")
        }
    }

    func day() throws -> Day {
        let text = try string()
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let day = Day(year: y, month: m, day: d)
        else { throw fail("a date as YYYY-MM-DD") }
        return day
    }

    func nonNegativeNumber() throws -> Double {
        guard let scalar = node.scalar, let value = Double(scalar.string), value >= 0, value.isFinite else {
            throw fail("a number ≥ 0 (such as 1e-6)")
        }
        return value
    }

    func share() throws -> Double {
        guard let scalar = node.scalar, let value = Double(scalar.string), value.isFinite, value >= 0, value <= 1 else {
            throw fail("a share from 0 to 1 (such as 0.5)")
        }
        return value
    }

    func stringList(nonEmpty: Bool) throws -> [String] {
        guard let sequence = node.sequence else { throw fail("a list of text values") }
        let values = try sequence.map { item -> String in
            guard let scalar = item.scalar else { throw fail("a list of text values") }
            return scalar.string
        }
        if nonEmpty && values.isEmpty { throw fail("a non-empty list") }
        return values
    }
}
