import Dispatch
import Foundation
import SPRXAggregate
import SPRXCore
import SPRXEnrich
import SPRXModels
import SPRXPipeline
import SPRXReport
import SPRXRunner

/// What a finished, published run reports back to the command line.
public struct RunSummary: Sendable {
    /// The engine's result: reconciliation, counts, quality figures.
    public var result: RunResult
    /// How each declared model went.
    public var models: [ModelRunSummary]
    public var outputDirectory: String
    /// The report's headline figures in one line.
    public var headline: String
    /// What the person must know (``RunWarning``), as the manifest lists them.
    public var warnings: [RunWarning] = []

    public var files: [FileReconciliation] { result.files }
    public var counts: ReferralCounts { result.counts }
    /// Per mapped field, one line with the share of clean referrals unknown and unmapped.
    public var fieldQuality: [String] { result.fieldQualityLines }
    public var rowsRead: Int { result.rowsRead }
    public var clean: Int { result.clean }
    public var duplicate: Int { result.duplicate }
    public var quarantined: Int { result.quarantined }

    /// The referrals that leave a share field empty, when there are some but its share is
    /// still given (at most ``FieldRecording/blankShareLimit``, or the pipeline's
    /// `columns.empty_means_none`): counted as "no" in that share.
    public var blankLine: String? {
        let recording = result.recording
        let lines = FieldRecording.shareFields.compactMap { field -> String? in
            guard let blank = recording.blankLine(field), !recording.isPartlyBlank(field) else { return nil }
            let counted =
                "\(field.rawValue) empty for \(ProgressFigures.grouped(blank.blank)) of \(ProgressFigures.grouped(blank.of)) clean referrals, counted as \"no\" in its share"
            if recording.emptyMeansNone.contains(field) { return counted + " (the pipeline's columns.empty_means_none); the models leave them out" }
            return counted + " (at most \(Int((100 * FieldRecording.blankShareLimit).rounded()))% may be; above that the share is withheld)"
        }
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }

    /// The optional fields the export leaves out, what that withholds and the models it
    /// leaves unfitted, in one line for the end of the run; `nil` when every field is recorded.
    public var notRecordedLine: String? {
        let recording = result.recording
        guard !recording.isComplete else { return nil }
        var parts: [String] = []
        if !recording.notRecorded.isEmpty {
            parts.append("not recorded in this export: " + recording.notRecorded.map(\.rawValue).joined(separator: ", "))
        }
        for field in recording.partlyBlank { parts.append("\(field.rawValue) \(recording.partlyBlankWording(field))") }
        if !recording.recordedInPart.isEmpty {
            parts.append(
                "missing from some input files (their figures withheld): "
                    + recording.recordedInPart.map { "\($0.field.rawValue) (\($0.filesWithout) of \(recording.files) files)" }.joined(separator: ", "))
        }
        let notFitted = models.filter { $0.status == ModelRunSummary.notRecorded }.map(\.name)
        var withheld: [String] = []
        if recording.contactedShareNote != nil { withheld.append("the share that reached a link worker") }
        if recording.interventionShareNote != nil { withheld.append("the intervention share") }
        if recording.areaNote != nil { withheld.append("rates against the population") }
        if recording.notRecorded.contains(.organisationID) { withheld.append("organisation comparisons") }
        var line = parts.joined(separator: "; ")
        if !withheld.isEmpty { line += "; left empty, not 0: " + withheld.joined(separator: ", ") }
        if recording.isMissing(.contacted) && recording.contactedShareNote == nil { line += "; reached a link worker is read from contacts > 0" }
        if !notFitted.isEmpty { line += "; models not fitted: " + notFitted.joined(separator: ", ") }
        if recording.notRecorded.contains(.organisationID) { line += "; model standard errors are model-based" }
        return line
    }
}

/// Publishing: turns what the engine counted into the output folder's files.
///
/// Design note: the engine (`SPRXRunner`) returns a typed ``RunResult``; everything a
/// person or a program reads (tables, models, report, manifest) is made here from it,
/// so a second way to finish a run (merging shards' results) needs only a second way to
/// build a ``RunResult``. ``RunJob`` holds the folder, its lock and its commit.
public enum Publisher {
    /// Writes the tables, the models, the report and the manifest of a run into
    /// `output`'s staging folder (the caller commits it).
    public static func publish(_ result: RunResult, options: RunOptions, started: Date, into output: OutputFolder) throws -> RunSummary {
        let pipeline = result.pipeline
        // Absent is not zero: figures that depend on a field the export leaves out are withheld.
        let recording = result.recording
        // Every table goes into its typed field; they are written together below, in
        // the one publication order ``PublishedTables`` declares.
        var tables = PublishedTables()
        var equityBuilder = EquityTableBuilder(pipeline: pipeline)
        equityBuilder.recording = recording
        equityBuilder.build(result.counts, into: &tables)
        var modelBuilder = ModelTableBuilder(settings: pipeline.models, groupKey: pipeline.groupKey, disclosure: pipeline.disclosure)
        modelBuilder.recording = recording
        // The models and the organisation table (the two largest parts with thousands of
        // organisations) are built on threads of their own while the other tables are;
        // each is a function of the counts alone, so the files are the same either way.
        let modelCounts = result.counts.models
        let modelWork: @Sendable () -> (built: (table: PublishedTable, summaries: [ModelRunSummary]), seconds: Double) = {
            [modelBuilder] () -> (built: (table: PublishedTable, summaries: [ModelRunSummary]), seconds: Double) in
            let started = DispatchTime.now().uptimeNanoseconds
            let built = modelBuilder.build(modelCounts)
            return (built, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        let modelsDeferred = options.jobs > 1 ? Deferred(modelWork) : Deferred(now: modelWork)
        var organisationBuilder = OrganisationTableBuilder(pipeline: pipeline, recording: recording)
        if recording.contactedShareNote != nil { organisationBuilder.withheld.insert(.contactedShare) }
        if recording.interventionShareNote != nil { organisationBuilder.withheld.insert(.interventionShare) }
        let organisationCounts = result.counts.organisations, directory = result.organisationDirectory
        let organisationWork: @Sendable () -> OrganisationTableBuilder.Built = { [organisationBuilder] in
            organisationBuilder.buildWithFigures(organisationCounts, directory: directory)
        }
        let organisationsDeferred = options.jobs > 1 ? Deferred(organisationWork) : Deferred(now: organisationWork)
        var rateBuilder = RateTableBuilder(pipeline: pipeline)
        rateBuilder.jobs = options.jobs
        rateBuilder.withheld[.contactedShare] = recording.contactedShareNote
        rateBuilder.withheld[.interventionShare] = recording.interventionShareNote
        rateBuilder.ageNote = recording.note(.age)
        // Without area codes every referral's area is unknown: no rate can be computed.
        let rates = rateBuilder.build(
            result.counts, population: recording.areaNote == nil ? result.population : nil, period: result.ratePeriod, periodFixed: result.ratePeriodFixed)
        let (models, modelsSeconds) = try modelsDeferred.value()
        tables.models = models.table
        // A model left out for a field not recorded is said once, in the summary's
        // not-recorded line, the report and the manifest: it is not a warning.
        for failed in models.summaries where failed.status != .fitted && failed.status != ModelRunSummary.notRecorded {
            StandardError.line("sprx: warning: model \(failed.name) not fitted: \(failed.errorCode ?? ""): \(failed.message ?? "")")
        }
        for nation in Nation.known {
            guard let figures = rates.figures, let missing = figures.populationAreasWithoutDecile[nation.label], missing > 0 else { continue }
            let areas = figures.populationAreas[nation.label] ?? 0
            StandardError.line(
                "sprx: warning: \(missing) of the \(areas) \(nation.label) small areas in the population have no decile in the deprivation index; their residents and referrals are in the Unknown decile (are the population and the index on the same small-area vintage?)"
            )
        }
        tables.ratesByGroup = rates.rates
        tables.inequality = rates.inequality
        var trendBuilder = TrendTableBuilder(pipeline: pipeline)
        trendBuilder.recording = recording
        tables.trends = trendBuilder.build(result.counts, period: result.period)
        tables.spc = SPCTableBuilder(settings: pipeline.spc).build(tables.trends)
        let organisations = try organisationsDeferred.value()
        tables.organisations = organisations.table
        var provisionBuilder = ProvisionTableBuilder(disclosure: pipeline.disclosure)
        provisionBuilder.jobs = options.jobs
        let provision = provisionBuilder.build(
            result.counts.organisations, data: result.provision, directory: result.organisationDirectory, period: result.period)
        tables.pcnProvision = provision.provision
        tables.provisionByDeprivation = provision.gradient
        let warnings = RunWarnings.build(
            result, pooled: OrganisationTableBuilder.pooled(result.counts.organisations, directory: result.organisationDirectory),
            rates: rates.figures, disclosure: pipeline.disclosure)
        tables.dataQuality = DataQualityTable.build(result.files, labelledFields: result.unmappedLabels.fields)
        tables.unmappedLabels = UnmappedLabelTable.published(result.unmappedLabels, disclosure: pipeline.disclosure)
        for table in tables.all { try output.write(table.schema.path, table.csv) }
        try UnmappedLabelTable.writeQuarantine(result.unmappedLabels, to: output)
        let period = result.period
        var context = ReportContext(
            toolVersion: sprxVersion, pipelineName: pipeline.name, pipelineSHA256: pipeline.sourceSHA256,
            inputs: result.files.map {
                ReportContext.Input(
                    name: ($0.path as NSString).lastPathComponent, rowsRead: $0.rowsRead, clean: $0.clean, duplicate: $0.duplicate,
                    quarantined: $0.quarantined)
            },
            firstDay: period?.first.description, lastDay: period?.last.description, disclosureEnabled: pipeline.disclosure.enabled,
            disclosureStatement: pipeline.disclosure.statement,
            references: result.reference.map { ReportContext.Reference(name: $0.name, edition: $0.edition, use: $0.use) },
            models: models.summaries, groupKey: pipeline.groupKey, displayNames: pipeline.displayNames, roundTo: pipeline.disclosure.roundTo,
            suppressUpTo: pipeline.disclosure.suppressUpTo, rateFigures: rates.figures, populationEdition: result.population?.edition,
            catchment: result.population?.catchment, recording: recording)
        context.censusCoverage = provision.figures.coverage
        // The strata the table adjusts by: the pipeline's, less those whose field the export does not record.
        context.caseMixStrata = OrganisationTableBuilder.caseMixStrata(pipeline.groupKey, recording: recording).map(\.title)
        for dispersion in organisations.figures.dispersion {
            guard let phi = dispersion.phi, let tau2 = dispersion.tau2, let indicator = OrganisationColumn.Indicator(rawValue: dispersion.indicator) else {
                continue
            }
            context.funnelDispersion[FunnelDispersion.key(indicator, dispersion.kind)] = FunnelDispersion(phi: phi, tau2: tau2)
        }
        if result.population != nil, case .localAuthorities(let names)? = pipeline.enrich.population?.catchment { context.catchmentAuthorities = names }
        context.warnings = warnings
        context.title = pipeline.report.title
        context.organisation = pipeline.report.organisation
        context.asOf = (options.asOf ?? period.map { Report.asOfDefault(lastDay: $0.last) })?.description
        // The two renderings of one report, side by side.
        let (reportTables, reportContext) = (tables, context)
        let markdownWork: @Sendable () -> String = { Report.markdown(tables: reportTables, context: reportContext) }
        let markdown = options.jobs > 1 ? Deferred(markdownWork) : Deferred(now: markdownWork)
        try output.write("report.html", Report.html(tables: tables, context: context))
        try output.write("report.md", markdown.value())
        try output.write("README.md", Codebook.markdown(disclosureStatement: pipeline.disclosure.statement, codes: codebookCodes(pipeline)))
        var manifest = Manifest(
            options: options, pipeline: pipeline, files: result.files, reference: result.reference, outputs: output.written,
            started: started, finished: Date(), disclosure: pipeline.disclosure, models: models.summaries,
            modelsSeconds: modelsSeconds, period: period, unmappedLabels: result.unmappedLabels, rates: rates.figures,
            provision: result.provision == nil ? nil : provision.figures, recording: recording, warnings: warnings,
            organisationFunnels: organisations.figures)
        manifest.shards = result.shards?.map { Manifest.Shard(id: $0.id, inputs: $0.inputs) }
        try output.write("manifest.json", try manifest.json(), record: false)
        return RunSummary(
            result: result, models: models.summaries, outputDirectory: output.target.path, headline: Report.headline(tables: tables),
            warnings: warnings)
    }

    /// The codes of the category columns for the codebook: the pipeline's route types,
    /// routes (with their route type) and reasons, in its order, named as the report
    /// names them (the pipeline's `display_names`, else the report's defaults).
    static func codebookCodes(_ pipeline: PipelineConfiguration) -> [CodeList] {
        typealias Kind = DisplayNames.Kind
        func name(_ kind: Kind, _ id: String) -> String? { pipeline.displayNames[kind.rawValue]?[id] ?? DisplayNames.defaults[kind.rawValue]?[id] }
        return [
            CodeList(column: ShareColumn.routeType, codes: RouteType.allCases.map { CodeList.Code($0.label, name: name(.routeType, $0.label)) }),
            CodeList(
                column: ShareColumn.route,
                codes: pipeline.routes.map { route in
                    CodeList.Code(route.id, name: (name(.route, route.id).map { $0 + " " } ?? "") + "(route type `\(route.type.label)`)")
                }),
            CodeList(column: ShareColumn.reason, codes: pipeline.reasons.map { CodeList.Code($0.id, name: name(.reason, $0.id)) }),
        ] + dimensionCodes(pipeline.groupKey)
    }

    /// The `dimension` codes of the equity tables and of `trends.csv`, from the schema's
    /// groupings (built-in and declared, with their titles), and the reason groups with
    /// the reasons each holds.
    static func dimensionCodes(_ groupKey: GroupKeySchema) -> [CodeList] {
        let equityTables = Set([TableSchema.routeTypeByGroup, .routeByGroup, .reasonsByGroup, .pathwayByGroup].map(\.name))
        let reasonTables = equityTables.subtracting([TableSchema.reasonsByGroup.name])
        let reasons = groupKey.grouping(named: Grouping.Name.reason)?.levels ?? []
        let equity =
            groupKey.tableDimensions.map { dimension in
                CodeList.Code(
                    dimension.name, name: dimension.groupings.isEmpty ? "every referral" : DisplayNames.crossedTitle(dimension.groupings.map(\.title)))
            }
            + (groupKey.reasonGroups.isEmpty
                ? []
                : [
                    CodeList.Code(
                        ReasonGroup.dimension,
                        name: "Reason group (route, route type and pathway tables only; a referral is counted in every group one of its reasons is in)")
                ])
        var lists = [
            CodeList(column: ShareColumn.dimension.rawValue, codes: equity, tables: equityTables),
            CodeList(
                column: TrendColumn.dimension.rawValue,
                codes: [CodeList.Code(TableDimension.all, name: "every referral")] + groupKey.trendGroupings.map { CodeList.Code($0.name, name: $0.title) },
                tables: [TableSchema.trends.name]),
        ]
        if !groupKey.reasonGroups.isEmpty {
            lists.append(
                CodeList(
                    column: ShareColumn.group.rawValue,
                    codes: groupKey.reasonGroups.map { group in
                        CodeList.Code(
                            group.name, name: "`reason_group` rows: referrals giving any of " + group.reasons.map { "`\(reasons[$0])`" }.joined(separator: ", ")
                        )
                    }, tables: reasonTables))
        }
        // Each declared dimension's groups: the export's labels each level stands for, and
        // what Unknown holds (the pipeline's words, never the data's).
        for dimension in groupKey.declared where dimension.tables {
            func quoted(_ labels: [String]) -> String { labels.map { "\"\(DisplayText.escaped($0))\"" }.joined(separator: ", ") }
            let levels = dimension.levels.map { level in
                CodeList.Code(level.label, name: "`\(dimension.name)` rows: the export's " + quoted(level.values))
            }
            let unknown = CodeList.Code(
                DeclaredDimension.unknownLabel,
                name: "`\(dimension.name)` rows: an empty value" + (dimension.unknownValues.isEmpty ? "" : ", " + quoted(dimension.unknownValues))
                    + ", or a label no level lists (counted in data_quality.csv as `unmapped:\(dimension.name)`)")
            lists.append(CodeList(column: ShareColumn.group.rawValue, codes: levels + [unknown], tables: equityTables.union([TableSchema.trends.name])))
        }
        return lists
    }
}

extension EquityTableBuilder {
    /// Builds the four equity tables into their fields of `tables` (each field refuses
    /// a table of another schema, so the order ``build(_:)`` returns them in is checked).
    func build(_ counts: ReferralCounts, into tables: inout PublishedTables) {
        let built = build(counts)
        precondition(built.count == 4, "the equity builder makes four tables")
        tables.routeTypeByGroup = built[0]
        tables.routeByGroup = built[1]
        tables.reasonsByGroup = built[2]
        tables.pathwayByGroup = built[3]
    }
}
