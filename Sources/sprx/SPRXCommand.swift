import ArgumentParser
import Dispatch
import Foundation
import SPRXCore
import SPRXGenerate
import SPRXIngest
import SPRXInspect
import SPRXPipeline
import SPRXPublish
import SPRXRunner
import SPRXValidate

#if canImport(Glibc)
import Glibc
#endif

/// The `sprx` command line: a thin layer over the SPRX libraries.
@main
struct SPRXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sprx",
        abstract: "Social prescribing referral equity tables from platform exports.",
        version: ReferenceEditions.versionText(sprxVersion) + "\n" + Inflater.versionLine,
        subcommands: [Run.self, Merge.self, Generate.self, Validate.self, Inspect.self]
    )

    /// Makes the standard descriptors safe before any command runs, then parses and runs.
    static func main() {
        StandardError.reserveStandardDescriptors()
        signal(SIGPIPE, SIG_IGN)
        main(nil)
    }
}

/// Exit statuses, documented in the README.
enum ExitStatus {
    static let usage: Int32 = 64
    static let inputFormat: Int32 = 65
    static let inputUnreadable: Int32 = 66
    static let internalError: Int32 = 70
    static let outputFailed: Int32 = 73
    /// Another run holds the output's lock (EX_TEMPFAIL: try again later).
    static let outputLocked: Int32 = 75
    /// `sprx run --fail-on-quarantine`: the run succeeded and published, but rows were quarantined.
    static let quarantinedRows: Int32 = 3
    /// `sprx run`: the run failed a quality gate of the pipeline; nothing was published.
    static let qualityGate: Int32 = 4
    /// `sprx validate`: the folders differ beyond tolerance.
    static let outputsDiffer: Int32 = 1
    static let invalidPipeline: Int32 = 78
    /// A run stopped by SIGTERM, SIGINT or SIGHUP ends by that signal: the shell reports 128 + its number.
    static let stoppedBySignal = "128+n"

    /// What each status of `sprx run` means, in the words `run --help` lists them.
    static let runMeanings: [(status: String, meaning: String)] = [
        ("0", "success: the outputs are published"),
        ("\(quarantinedRows)", "rows quarantined and --fail-on-quarantine given (outputs published)"),
        ("\(qualityGate)", "a quality gate of the pipeline failed; nothing published"),
        ("\(usage)", "usage: a bad option or argument"),
        ("\(inputFormat)", "an input file is malformed or corrupt (file, line, column named)"),
        ("\(inputUnreadable)", "an input file or folder is missing or unreadable"),
        ("\(internalError)", "internal error (a bug: please report it)"),
        ("\(outputFailed)", "the output folder cannot be created or written"),
        ("\(outputLocked)", "another run holds the output folder's lock: try again later"),
        ("\(invalidPipeline)", "the pipeline or a reference file is invalid"),
        (stoppedBySignal, "stopped by signal n (130 Ctrl-C, 143 SIGTERM); nothing published"),
    ]

    /// What each status of `sprx generate` means: success, those of ``runMeanings`` that
    /// generating extracts can end with, and its reference files' two statuses in its words.
    static let generateMeanings: [(status: String, meaning: String)] =
        ([("0", "success: the extracts are written")]
        + runMeanings.filter { ["\(usage)", "\(internalError)", "\(outputFailed)", stoppedBySignal].contains($0.status) }
        + [("\(inputUnreadable)", "a reference file is missing or unreadable"), ("\(invalidPipeline)", "a reference file is invalid")]).sorted {
            (Int($0.status) ?? Int.max) < (Int($1.status) ?? Int.max)
        }

    /// ``runMeanings`` as the lines of `run --help`.
    static var runHelp: String { help(runMeanings) }

    /// Statuses and their meanings as the lines of a command's `--help`.
    static func help(_ meanings: [(status: String, meaning: String)]) -> String {
        "Exit status:\n" + meanings.map { "  " + $0.status.padding(toLength: 7, withPad: " ", startingAt: 0) + $0.meaning }.joined(separator: "\n")
    }

    static func code(for error: SPRXError) -> Int32 {
        switch error.code {
        case .usage: usage
        case .invalidPipeline, .invalidReference: invalidPipeline
        case .inputUnreadable: inputUnreadable
        case .inputCorrupt, .inputFormat: inputFormat
        case .outputFailed: outputFailed
        case .outputLocked: outputLocked
        case .qualityGate: qualityGate
        case .internalError: internalError
        }
    }
}

/// Prints an error as `sprx: error[code]: file: line N: message` and exits with its status.
func fail(_ error: SPRXError) -> Never {
    // A stop signal is being handled: it ends the process (by the signal) in a moment.
    while InterruptCleanup.interrupted { pause() }
    StandardError.line("sprx: \(error)")
    exit(ExitStatus.code(for: error))
}

/// Ends a command on an error that is not an ``SPRXError``: the command line's own exits
/// (``ExitCode``, a usage error: 64, `--help`) pass through; anything else is a bug, and
/// leaves with the documented internal status (70) and its type, never the argument
/// parser's generic 1 (its message is not printed: it could quote input).
func failUnexpected(_ error: any Error) throws -> Never {
    if error is ExitCode || error is ValidationError || error is CleanExit { throw error }
    fail(SPRXError(.internalError, "unexpected error of type \(String(reflecting: type(of: error))) (a bug: please report it)"))
}

/// What the process does before any command runs.
///
/// Standard descriptors closed by the caller (`2>&-`) are reopened on `/dev/null`, so no
/// output file can become "stderr"; SIGPIPE is ignored, so a reader that went away is a
/// failed write, not a killed run. SIGTERM, SIGINT and SIGHUP remove the run's staging
/// folder and then take their default action (the process ends by that signal: the
/// shell reports 128 + its number), leaving the previous output as it was.
enum ProcessSetup {
    nonisolated(unsafe) static var signalSources: [any DispatchSourceSignal] = []

    static func prepare() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // Once the finished output is being swapped in, the run completes and its
                // own status (0) is the truth; the signal is not acted on.
                guard InterruptCleanup.removeAll() else { return }
                let name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "SIGHUP"
                StandardError.line("sprx: stopped by \(name): nothing was published; the previous output, if any, is untouched")
                // Default action, delivered to this thread (Dispatch keeps the signal
                // blocked in its threads); if it is somehow still blocked, exit as a
                // shell would report it.
                signal(number, SIG_DFL)
                var only = sigset_t()
                sigemptyset(&only)
                sigaddset(&only, number)
                pthread_sigmask(SIG_UNBLOCK, &only, nil)
                raise(number)
                _exit(128 + number)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline over referral extracts and write tables, quarantine and manifest.",
        discussion: ExitStatus.runHelp)

    @Option(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(name: .customLong("input"), parsing: .upToNextOption, help: "Input files or folders (*.csv, *.csv.gz).")
    var inputs: [String]

    @Option(help: "The output folder; replaced only when the run succeeds.")
    var out: String?

    @Option(
        help:
            "Count the inputs as one shard of a larger run: write this partial file (owner-only; for `sprx merge`) instead of an output folder. No disclosure control, quality gates or repeat detection here: the merge does them."
    )
    var partial: String?

    @Option(
        help:
            "With --partial: this shard's place, counting from 0 (with --shard-count), so the merge refuses a shard missing, repeated or out of order.")
    var shardIndex: Int?

    @Option(help: "With --partial: how many shards the run has (with --shard-index).")
    var shardCount: Int?

    @OptionGroup var publishing: PublishingOptions

    @Flag(help: "No progress or summary on stderr.")
    var quiet = false

    @Option(help: ProgressOptions.help)
    var progress: ProgressMode = .auto

    @Option(help: ProgressOptions.intervalHelp)
    var progressInterval: Double = ProgressLine.lineInterval

    @Option(help: .hidden)
    var blockSize: Int = 1 << 20

    func validate() throws {
        try ProgressOptions.check(interval: progressInterval)
        guard (1...(64 << 20)).contains(blockSize) else { throw ValidationError("--block-size must be from 1 byte to 64 MiB") }
        guard !inputs.isEmpty else { throw ValidationError("give at least one --input") }
        try publishing.checkTarget(
            out: out, partial: partial, partialIs: "a shard's partial file", publishedBy: "`sprx merge`",
            bothWhy: ": a shard writes a partial, `sprx merge` the output folder")
        if shardIndex != nil || shardCount != nil {
            guard partial != nil else { throw ValidationError("--shard-index and --shard-count number a shard: give them with --partial") }
            guard let index = shardIndex, let count = shardCount, ShardNumber(index: index, count: count) != nil else {
                throw ValidationError("give --shard-index and --shard-count together, the index from 0 to the count less 1")
            }
        }
    }

    func run() throws {
        if let partial { return try runShard(partial) }
        let out = out ?? ""
        var options = publishing.runOptions(pipeline: pipeline, inputs: inputs, out: out, quiet: quiet)
        options.blockSize = blockSize
        options.progress = progress
        options.progressInterval = progressInterval
        // A file-size limit (ulimit -f) must fail the write (EFBIG, exit 73) rather than
        // kill the process, so the staging folder is cleaned up like any output error.
        signal(SIGXFSZ, SIG_IGN)
        ProcessSetup.prepare()
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            _ = try Inflater.selected  // SPRX_INFLATE is checked before anything is read (exit 64)
            let summary = try RunJob.run(options)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try RunSummaryLines.finish(summary, first: "\(CountWords.of(summary.rowsRead, "row")) read", seconds: seconds, quiet: quiet, publishing: publishing)
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}

extension Run {
    /// `--partial`: counts the inputs as one shard.
    func runShard(_ partial: String) throws {
        var options = publishing.runOptions(pipeline: pipeline, inputs: inputs, out: "", quiet: quiet)
        options.blockSize = blockSize
        options.progress = progress
        options.progressInterval = progressInterval
        signal(SIGXFSZ, SIG_IGN)
        ProcessSetup.prepare()
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            _ = try Inflater.selected
            let number = shardIndex.flatMap { index in shardCount.flatMap { ShardNumber(index: index, count: $0) } }
            let summary = try RunJob.runShard(options, partialPath: partial, number: number)
            if !quiet {
                RunSummaryLines.partial(
                    summary, first: "\(CountWords.of(summary.rowsRead, "row")) read", heldFor: "the merge (which finds repeats within and across shards)",
                    started: started,
                    path: partial)
            }
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge shards' partial files into the output folder one run over all their inputs would write.",
        discussion:
            "Partials (files, or folders of *.sprxpart files in name order) are merged in the order given: the shards' order is the inputs' order. "
            + "Repeats within and across shards are found here; for a conflict (its raw row is quarantined) or a repeat with an unmapped label, "
            + "the merge reads that input file again (where its shard read it), so keep the inputs until the merge. Number shards with "
            + "`run --shard-index I --shard-count N` and a missing, repeated or misplaced shard is refused. Disclosure control happens here and only here.\n\n"
            + ExitStatus.runHelp)

    @Option(help: "The pipeline file (YAML): the one every shard was counted with.")
    var pipeline: String

    @Argument(help: "Partial files, or folders of *.sprxpart files.")
    var partials: [String] = []

    @Option(help: "The output folder; replaced only when the merge succeeds.")
    var out: String?

    @Option(help: "Write one partial holding every given partial instead of an output folder (a node of a merge tree).")
    var partial: String?

    @OptionGroup var publishing: PublishingOptions

    @Flag(help: "No summary on stderr.")
    var quiet = false

    func validate() throws {
        guard !partials.isEmpty else { throw ValidationError("give at least one partial file or folder") }
        try publishing.checkTarget(out: out, partial: partial, partialIs: "a merged partial file", publishedBy: "the final merge (--out)", bothWhy: "")
    }

    func run() throws {
        let options = publishing.runOptions(pipeline: pipeline, inputs: partials, out: out ?? "", quiet: quiet)
        signal(SIGXFSZ, SIG_IGN)
        ProcessSetup.prepare()
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            _ = try Inflater.selected
            if let partial {
                let summary = try RunJob.mergeToPartial(options, partials: partials, partialPath: partial)
                if !quiet {
                    RunSummaryLines.partial(
                        summary, first: "merged \(CountWords.of(summary.rowsRead, "row")) read", heldFor: "the final merge (which finds repeats)",
                        started: started,
                        path: partial)
                }
                return
            }
            let summary = try RunJob.merge(options, partials: partials)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            try RunSummaryLines.finish(
                summary, first: "merged \(CountWords.of(summary.result.shards?.count ?? 0, "shard")), \(CountWords.of(summary.rowsRead, "row")) read",
                seconds: seconds, quiet: quiet,
                publishing: publishing)
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}

/// The options `run` and `merge` share: how a published output folder is made.
struct PublishingOptions: ParsableArguments {
    @Option(help: "Worker threads (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Publish exact counts (for use inside the secure environment only).")
    var noDisclosureControl = false

    @Flag(help: "Exit with status 3 when any row was quarantined (outputs are still published). For CI.")
    var failOnQuarantine = false

    @Option(help: "The folder of reference lookups (before SPRX_REFERENCE_DIR, the pipeline's enrich.reference_dir and the installed default).")
    var referenceDir: String?

    @Option(
        name: .customLong("as-of"),
        help:
            "The date the report is as of, YYYY-MM-DD, printed on its first page (default: the day after the data period ends, so the same inputs give the same report)."
    )
    var asOf: String?

    func validate() throws {
        if let asOf, Day(iso: asOf) == nil { throw ValidationError("--as-of must be a date as YYYY-MM-DD (got '\(DisplayText.escaped(asOf))')") }
        if let jobs, !(1...RunOptions.maxJobs).contains(jobs) { throw ValidationError("--jobs must be from 1 to \(RunOptions.maxJobs)") }
    }

    /// Exactly one of `--out` and `--partial`; a partial takes none of the publishing options.
    func checkTarget(out: String?, partial: String?, partialIs: String, publishedBy: String, bothWhy: String) throws {
        switch (out, partial) {
        case (nil, nil): throw ValidationError("give --out (an output folder) or --partial (\(partialIs))")
        case (.some, .some): throw ValidationError("give --out or --partial, not both\(bothWhy)")
        case (let out?, nil): guard !out.isEmpty else { throw ValidationError("--out must name a folder") }
        case (nil, let partial?):
            guard !partial.isEmpty else { throw ValidationError("--partial must name a file") }
            if noDisclosureControl || failOnQuarantine || asOf != nil {
                throw ValidationError("--no-disclosure-control, --fail-on-quarantine and --as-of belong to \(publishedBy): a partial publishes nothing")
            }
        }
    }

    /// The engine's options for these publishing options.
    func runOptions(pipeline: String, inputs: [String], out: String, quiet: Bool) -> RunOptions {
        var options = RunOptions(
            pipelinePath: pipeline, inputs: inputs, outputDirectory: out, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            disclosureControl: !noDisclosureControl, quiet: quiet, commandLine: CommandLine.arguments, referenceDirectory: referenceDir)
        options.asOf = asOf.flatMap { Day(iso: $0) }
        return options
    }
}

/// The end-of-run lines on stderr `run` and `merge` print, and `--fail-on-quarantine`'s exit.
enum RunSummaryLines {
    /// The warning for an `--as-of` date before the data period's last day (the report
    /// would be "as of" a day before referrals it counts); `nil` otherwise.
    static func asOfWarning(_ asOf: Day?, lastDay: Day?) -> String? {
        guard let asOf, let lastDay, asOf < lastDay else { return nil }
        return
            "sprx: warning: --as-of \(asOf) is before the data period ends (\(lastDay)): the report says it is as of \(asOf) though it counts referrals up to \(lastDay); give a date on or after \(lastDay), or leave --as-of out for the default"
    }

    /// The line a command that writes a partial prints: rows read, where the partial is.
    static func partial(_ summary: Runner.ShardSummary, first: String, heldFor: String, started: UInt64, path: String) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        StandardError.line(
            "sprx: \(first): \(CountWords.number(summary.quarantined)) quarantined, \(CountWords.number(summary.clean)) held for \(heldFor) in \(String(format: "%.2f", seconds)) s -> \(DisplayText.escaped(path)) (\(summary.partialBytes) bytes)"
        )
    }

    /// Prints the summary (unless `quiet`), then exits 3 when asked to on quarantined rows.
    static func finish(_ summary: RunSummary, first: String, seconds: Double, quiet: Bool, publishing: PublishingOptions) throws {
        // Said even with --quiet: the report's first page carries a date the data contradict.
        if let line = asOfWarning(publishing.asOf.flatMap { Day(iso: $0) }, lastDay: summary.result.period?.last) { StandardError.line(line) }
        if !quiet {
            StandardError.line(
                "sprx: \(first): \(CountWords.number(summary.clean)) clean, \(CountWords.number(summary.duplicate)) duplicate, \(CountWords.number(summary.quarantined)) quarantined in \(String(format: "%.2f", seconds)) s -> \(DisplayText.escaped(summary.outputDirectory))"
            )
            for line in summary.fieldQuality { StandardError.line("sprx: \(line)") }
            if let line = summary.notRecordedLine { StandardError.line("sprx: \(line)") }
            if let line = summary.blankLine { StandardError.line("sprx: \(line)") }
            for warning in summary.warnings { StandardError.line("sprx: warning: \(warning.code.rawValue): \(warning.message)") }
            if publishing.noDisclosureControl {
                StandardError.line("sprx: DISCLOSURE CONTROL IS OFF: the tables hold exact counts; for the secure environment only, do not publish")
            }
            StandardError.line("sprx: \(summary.headline)")
            StandardError.line("sprx: report: \(DisplayText.escaped(summary.outputDirectory))/report.html")
        }
        if publishing.failOnQuarantine && summary.quarantined > 0 {
            StandardError.line(
                "sprx: \(CountWords.of(summary.quarantined, "row")) quarantined and --fail-on-quarantine given: exit \(ExitStatus.quarantinedRows)")
            throw ExitCode(ExitStatus.quarantinedRows)
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic referral extracts calibrated to Bu et al. (2024), over real small areas.",
        discussion: ExitStatus.help(ExitStatus.generateMeanings))

    @Option(help: "Number of rows to write (across all files).")
    var rows: Int

    @Option(help: "Random seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Number of gzip files.")
    var files: Int = 4

    @Flag(help: "Vary spellings, case, date forms, quoting and line ends, and add invalid rows and duplicates.")
    var messy = false

    @Option(help: "Export layout: canonical, casebook, casemanagement, gpsearch or spreadsheet.")
    var layout: String = "canonical"

    @Option(help: "The folder of reference lookups (before SPRX_REFERENCE_DIR, ./SampleData/reference and the installed default).")
    var referenceDir: String?

    @Option(help: "Also write the generated organisations' lookup CSV (code,name,type,parent_code,parent_name,parent_type) here, outside --out.")
    var organisationLookup: String?

    @Option(
        help: ArgumentHelp(
            "Add a categorical column after the layout's: HEADER=VALUE:WEIGHT,... (e.g. \"Disability status=Y:3,N:5,Unknown:1,Not stated:1\"); repeatable. The first value is \(ExtraColumn.nonMedicalFactor)× as likely (by weight) for a non-medical route and \(ExtraColumn.olderFactor)× for ages 65 and over; the other columns keep their bytes.",
            valueName: "spec"))
    var extraColumn: [String] = []

    @Flag(
        help:
            "Organisations that differ only by case mix: the same chance of a non-medical route in every age band × sex × deprivation quintile × nation, different mixes of age and deprivation (for checking the case-mix adjusted comparison)."
    )
    var caseMixOnly = false

    @Option(
        help:
            "With --case-mix-only: give one organisation (among the larger ones, the one whose case mix predicts the fewest non-medical routes; named in generate.json) this real effect on the logit of a non-medical route."
    )
    var plantedEffect: Double?

    @Option(
        help: ArgumentHelp(
            "Write referrals from N organisations, all with ODS-shaped codes (a letter and five digits) and in the lookup: England's real PCN codes at even steps, then synthetic U229xx and X-codes no real practice or PCN has (default: the \(GeneratorOptions.defaultOrganisations) of the usual set).",
            valueName: "N"))
    var organisations: Int?

    @Option(
        help: ArgumentHelp(
            "Write this share of the rows (0 to \(ReferralGenerator.maximumDuplicateShare)) again as exact byte-for-byte copies of recent valid rows (counted in generate.json's duplicates).",
            valueName: "fraction"))
    var duplicates: Double = 0

    @Option(
        help: ArgumentHelp(
            "Spread referral dates over the last N calendar months of 2021-2025 (1 to \(GeneratorOptions.spanMonths); default all \(GeneratorOptions.spanMonths)).",
            valueName: "N"))
    var months: Int = GeneratorOptions.spanMonths

    @Option(help: ProgressOptions.help)
    var progress: ProgressMode = .auto

    @Option(help: ProgressOptions.intervalHelp)
    var progressInterval: Double = ProgressLine.lineInterval

    func validate() throws {
        if let organisations {
            let range = GeneratorOptions.organisationRange
            guard range.contains(organisations) else {
                throw ValidationError("--organisations must be from \(range.lowerBound) to \(range.upperBound)")
            }
        }
        guard duplicates.isFinite, (0...ReferralGenerator.maximumDuplicateShare).contains(duplicates) else {
            throw ValidationError("--duplicates must be a share from 0 to \(ReferralGenerator.maximumDuplicateShare)")
        }
        guard (1...GeneratorOptions.spanMonths).contains(months) else {
            throw ValidationError("--months must be from 1 to \(GeneratorOptions.spanMonths)")
        }
        if let plantedEffect {
            guard caseMixOnly else { throw ValidationError("--planted-effect needs --case-mix-only") }
            guard plantedEffect.isFinite, abs(plantedEffect) <= 10 else { throw ValidationError("--planted-effect must be from -10 to 10") }
        }
        for spec in extraColumn {
            do { _ = try ExtraColumn.parse(spec) } catch let error as SPRXError { throw ValidationError(error.message) }
        }
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
        guard (1...1000).contains(files) else { throw ValidationError("--files must be from 1 to 1000") }
        // safe: validate() refused any other layout
        guard rows <= 1_000_000_000 else { throw ValidationError("--rows must be from 1 to 1,000,000,000") }
        guard GeneratedLayout(rawValue: layout) != nil else {
            throw ValidationError("--layout is one of \(GeneratedLayout.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try ProgressOptions.check(interval: progressInterval)
    }

    func run() throws {
        do {
            // A refused --out (64) is reported before a missing reference folder (78).
            try ReferralGenerator.checkTarget(out)
            let reference = try ReferenceLookup.resolve(option: referenceDir, fallback: ("SampleData/reference", .currentFolder)).path
            var options = GeneratorOptions(
                rows: rows, seed: seed, files: files, messy: messy, layout: GeneratedLayout(rawValue: layout)!,
                referenceDirectory: reference, outputDirectory: out, organisationLookup: organisationLookup)
            options.progress = progress.resolvedForStandardError
            options.progressInterval = progressInterval
            options.extraColumns = try extraColumn.map(ExtraColumn.parse)
            if caseMixOnly { options.caseMix = CaseMixScenario(plantedEffect: plantedEffect ?? 0) }
            options.organisations = organisations
            options.duplicates = duplicates
            options.months = months
            let summary = try ReferralGenerator.generateAtomically(options)
            print(
                "wrote \(CountWords.of(summary.rowsWritten, "row")) in \(CountWords.of(summary.files.count, "file")) to \(out) (expected clean: \(CountWords.number(summary.expectedClean)))"
            )
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}

extension ProgressMode: ExpressibleByArgument {}

/// `--progress` of `run` and `generate`: its help, declared once.
enum ProgressOptions {
    static let help = ArgumentHelp(
        "Progress on stderr: auto (a bar on a terminal, else nothing), bar, lines (a plain line every --progress-interval seconds, for logs) or none.",
        valueName: "mode")

    /// `--progress-interval`'s help.
    static let intervalHelp = ArgumentHelp(
        "With --progress lines: seconds between lines (0: a line at every update).", valueName: "seconds")

    /// `--progress-interval`: seconds between lines, from 0 to a day.
    static func check(interval: Double) throws {
        guard interval.isFinite && interval >= 0 && interval <= 86_400 else {
            throw ValidationError("--progress-interval must be from 0 to 86400 seconds")
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two output folders: counts exactly, estimates within tolerance, order ignored.",
        discussion: """
            Exit status: 0 equal within tolerance; 1 the outputs differ; 66 a folder or its \
            manifest is missing or unreadable; 65 a table or manifest is malformed; 78 the \
            pipeline file is invalid; 64 usage.
            """)

    @Option(help: "The folder holding the expected outputs (tables/ and manifest.json).")
    var expected: String

    @Option(help: "The folder holding the outputs to check.")
    var actual: String

    @Option(help: "A pipeline file whose validate section sets the tolerances.")
    var pipeline: String?

    @Option(help: "Absolute tolerance for estimates (default 1e-9, or the pipeline's).")
    var absoluteTolerance: Double?

    @Option(help: "Relative tolerance for estimates (default 1e-6, or the pipeline's).")
    var relativeTolerance: Double?

    @Option(help: "Differences shown per table.")
    var limit: Int = 10

    @Flag(help: "Print the full report as JSON instead of text.")
    var json = false

    func validate() throws {
        for (name, value) in [("--absolute-tolerance", absoluteTolerance), ("--relative-tolerance", relativeTolerance)] {
            if let value, !(value.isFinite && value >= 0) { throw ValidationError("\(name) must be a finite number ≥ 0") }
        }
        guard (0...100_000).contains(limit) else { throw ValidationError("--limit must be from 0 to 100000") }
    }

    func run() throws {
        do {
            var tolerance = Tolerance()
            if let pipeline {
                let configuration = try PipelineLoader.load(path: pipeline)
                tolerance = Tolerance(absolute: configuration.validation.absoluteTolerance, relative: configuration.validation.relativeTolerance)
            }
            if let absoluteTolerance { tolerance.absolute = absoluteTolerance }
            if let relativeTolerance { tolerance.relative = relativeTolerance }
            let report = try OutputValidator.compare(expected: expected, actual: actual, tolerance: tolerance)
            // Table cells are data: each printed line has control characters escaped and
            // is cut to a screenful, so a table cannot drive the terminal or flood it.
            let text =
                json
                ? try report.json()
                : report.text(limit: limit).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                    let escaped = DisplayText.escaped(String(line))
                    return escaped.count > 500 ? String(escaped.prefix(500)) + "… (cut)" : escaped
                }.joined(separator: "\n")
            print(text, terminator: "")
            // A CI job saving the report must not get 0 when nothing could be written.
            if fflush(nil) != 0 {
                fail(SPRXError(.outputFailed, "cannot write the comparison to standard output: \(String(cString: strerror(errno)))"))
            }
            if !report.equal { throw ExitCode(ExitStatus.outputsDiffer) }
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an export for writing its pipeline: shape, headers, fields, labels, dates, areas; never ids or free text.",
        discussion: """
            Reads every row. Labels are shown only for categorical fields, and only when seen \
            at least suppress_up_to + 1 (8) times. --draft-pipeline writes a commented pipeline \
            with every guess marked REVIEW; it never replaces a file (73).
            """)

    @Option(name: .customLong("input"), parsing: .upToNextOption, help: "Input files or folders (*.csv, *.csv.gz).")
    var inputs: [String]

    @Option(help: "A pipeline to judge the export against (mapped fields, labels, reference files).")
    var pipeline: String?

    @Option(help: "Folder with the reference lookups (default: the pipeline's, else SampleData/reference or the installed one).")
    var referenceDir: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Write a draft pipeline for this export to this new file.")
    var draftPipeline: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one --input") }
    }

    func run() throws {
        do {
            let inspection = try Inspector.inspect(InspectOptions(inputs: inputs, pipelinePath: pipeline, referenceDirectory: referenceDir))
            let report = InspectionReport(inspection)
            print(json ? try report.json() : report.text(), terminator: "")
            if let draftPipeline {
                try DraftPipeline.write(inspection, to: draftPipeline)
                StandardError.line(
                    "sprx: draft pipeline written to \(DisplayText.escaped(draftPipeline)): review every REVIEW mark, then sprx run --pipeline \(DisplayText.escaped(draftPipeline))"
                )
                for line in DraftPipeline.check(draftPipeline, inputs: inputs, referenceDirectory: referenceDir) { StandardError.line(line) }
            }
            for line in DraftPipeline.notes(inspection) { StandardError.line(line) }
            if fflush(nil) != 0 {
                fail(SPRXError(.outputFailed, "cannot write the report to standard output: \(String(cString: strerror(errno)))"))
            }
        } catch let error as SPRXError {
            fail(error)
        } catch {
            try failUnexpected(error)
        }
    }
}
