import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `run` and `generate` show on stderr that they are working (`--progress`).
///
/// Progress is numbers only (bytes, rows, seconds, file counts): it never shows a data
/// value or a file name, and it never touches an output file.
public enum ProgressMode: String, CaseIterable, Sendable {
    /// A bar on a terminal (stderr is a tty), nothing otherwise: the default.
    case auto
    /// One line, rewritten in place with a carriage return, about four times a second.
    case bar
    /// A plain line every ``ProgressLine/lineInterval`` seconds, for logs.
    case lines
    /// Nothing.
    case none

    /// What this mode means for a stderr that is, or is not, a terminal: `auto` becomes
    /// `bar` or `none`; the others are kept.
    public func resolved(stderrIsTerminal: Bool) -> ProgressMode {
        self == .auto ? (stderrIsTerminal ? .bar : .none) : self
    }

    /// This mode as the current process's stderr resolves it (``resolved(stderrIsTerminal:)``).
    public var resolvedForStandardError: ProgressMode { resolved(stderrIsTerminal: isatty(2) == 1) }
}

/// One moment of a job: how much of its total is done, rows so far and time taken; and
/// the percentage, rate and time left they give.
///
/// The unit of `done` and `total` is the job's own: bytes of the input files as stored
/// (compressed bytes for `.csv.gz`) for `run`, rows for `generate`.
public struct ProgressFigures: Sendable, Equatable {
    /// Units done so far.
    public var done: Int64
    /// Units in the whole job; 0 when unknown.
    public var total: Int64
    /// Rows read (run) or written (generate) so far.
    public var rows: Int
    /// Seconds since the job started.
    public var elapsedSeconds: Double

    public init(done: Int64, total: Int64, rows: Int, elapsedSeconds: Double) {
        self.done = done
        self.total = total
        self.rows = rows
        self.elapsedSeconds = elapsedSeconds
    }

    /// Percentage done, 0-100; `nil` when the total is unknown.
    public var percent: Double? {
        guard total > 0 else { return nil }
        return min(100, max(0, 100 * Double(done) / Double(total)))
    }

    /// Rows per second so far; `nil` before any time has passed.
    public var rowsPerSecond: Double? {
        elapsedSeconds > 0 ? Double(rows) / elapsedSeconds : nil
    }

    /// Seconds left at the rate so far (time taken × units left ÷ units done); `nil`
    /// until something is done and the total is known.
    public var secondsLeft: Double? {
        guard total > 0, done > 0, elapsedSeconds > 0 else { return nil }
        return elapsedSeconds * Double(max(0, total - done)) / Double(done)
    }

    /// The line shown: `42% read, 1,234,567 rows, 250,000 rows/s, 1 min 20 s left`
    /// (`verb` is "read" or "written"), with `detail` (such as `files 2/8 done`) after the
    /// percentage when given; once the total is reached, the time taken instead of the time left.
    public func text(verb: String, detail: String? = nil) -> String {
        var parts: [String] = []
        if let percent {
            parts.append("\(Int(percent.rounded(.down)))% \(verb)" + (detail.map { " (\($0))" } ?? ""))
        } else if let detail {
            parts.append(detail)
        }
        parts.append("\(Self.grouped(rows)) rows")
        if let rate = rowsPerSecond { parts.append("\(Self.grouped(Int(rate.rounded()))) rows/s") }
        if total > 0 && done >= total {
            parts.append("done in " + Self.duration(elapsedSeconds))
        } else {
            parts.append(secondsLeft.map { Self.duration($0) + " left" } ?? "time left unknown")
        }
        return parts.joined(separator: ", ")
    }

    /// A whole number with thousands separators: 1234567 → "1,234,567".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "−" + out : out
    }

    /// A duration as people say it, rounded up to the second: "under 1 s", "45 s",
    /// "1 min 20 s", "2 h 05 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "unknown" }
        let whole = Int(seconds.rounded(.up))
        if whole < 1 { return "under 1 s" }
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        let minutes = (whole + 59) / 60
        return "\(minutes / 60) h " + (minutes % 60 < 10 ? "0" : "") + "\(minutes % 60) min"
    }
}

/// The progress of one job on stderr, as its ``ProgressMode`` says: a bar rewritten in
/// place, or a plain line every ``lineInterval`` seconds.
///
/// Thread-safe: readers report bytes and workers rows from their own threads. The file
/// count shown is the number of files finished, so it never goes backwards whatever
/// order parallel readers finish in.
///
/// `@unchecked Sendable`: every mutable property is guarded by `lock`.
public final class ProgressLine: @unchecked Sendable {
    /// Seconds between plain lines in `lines` mode, unless the caller sets another.
    public static let lineInterval: Double = 10
    /// Seconds between redraws of the bar.
    public static let barInterval: Double = 0.25

    /// Monotonic nanoseconds; a test passes its own clock.
    public typealias Clock = @Sendable () -> UInt64

    private let mode: ProgressMode
    private let verb: String
    private let interval: Double
    private let clock: Clock
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let started: UInt64
    private var lastShown: UInt64
    private let total: Int64
    private let totalIsRows: Bool
    private var doneByPart: [Int64]
    private var rows = 0
    private let files: Int
    private var filesDone = 0
    private var shownBar = false
    /// Units done, rows and files finished at the last plain line, so the end does not
    /// repeat a line with nothing new.
    private var lastLineState: [Int64] = []

    /// A progress line for a job of `total` units (0 unknown) spread over `parts` parts
    /// (input files) and `files` files shown as finished (0 or 1: no file count shown).
    /// When `totalIsRows`, the rows added are the units done (generate); otherwise
    /// ``set(done:part:)`` reports them (bytes read). `auto` is resolved against stderr;
    /// `interval` is the seconds between plain lines.
    public init(
        mode: ProgressMode, verb: String, total: Int64, totalIsRows: Bool = false, parts: Int = 1, files: Int = 0,
        interval: Double = ProgressLine.lineInterval,
        clock: @escaping Clock = { DispatchTime.now().uptimeNanoseconds },
        write: @escaping @Sendable (String) -> Void = { StandardError.raw($0) }
    ) {
        self.mode = mode == .auto ? ProgressMode.auto.resolvedForStandardError : mode
        self.verb = verb
        self.total = total
        self.totalIsRows = totalIsRows
        self.files = files
        self.interval = mode == .lines ? max(0, interval) : Self.barInterval
        self.clock = clock
        self.write = write
        doneByPart = Array(repeating: 0, count: max(1, parts))
        started = clock()
        lastShown = started
    }

    /// Whether anything is shown at all (callers skip work that only feeds the line).
    public var isShown: Bool { mode == .bar || mode == .lines }

    /// Sets the units done so far in one part (a file's bytes read so far).
    public func set(done: Int64, part: Int) {
        guard isShown else { return }
        lock.withLock {
            if doneByPart.indices.contains(part) { doneByPart[part] = max(doneByPart[part], done) }
            showIfDue()
        }
    }

    /// Adds rows done.
    public func add(rows added: Int) {
        guard isShown else { return }
        lock.withLock {
            rows += added
            showIfDue()
        }
    }

    /// Counts one more file finished.
    public func fileFinished() {
        guard isShown else { return }
        lock.withLock {
            filesDone = min(files, filesDone + 1)
            showIfDue()
        }
    }

    /// Ends the line. With `next` (what the command does now, such as "tables, models and
    /// report next"), a last line with the final figures and `next` is left in place;
    /// without it, the bar is erased (the command's own summary follows) and in `lines`
    /// mode a last line gives the final figures.
    public func finish(next: String? = nil) {
        guard isShown else { return }
        lock.withLock {
            let last = "sprx: " + figures(at: clock()).text(verb: verb, detail: fileDetail) + (next.map { "; " + $0 } ?? "")
            let state = [doneByPart.reduce(0, +), Int64(rows), Int64(filesDone)]
            switch mode {
            case .bar: write(next == nil ? (shownBar ? "\r\u{1B}[K" : "") : "\r" + last + "\u{1B}[K\n")
            case .lines: if next != nil || lastLineState != state { write(last + "\n") }
            case .auto, .none: break
            }
        }
    }

    /// The figures now (for tests and the line).
    public var figures: ProgressFigures { lock.withLock { figures(at: clock()) } }

    private func figures(at now: UInt64) -> ProgressFigures {
        ProgressFigures(
            done: totalIsRows ? Int64(rows) : doneByPart.reduce(0, +), total: total, rows: rows, elapsedSeconds: Double(now &- started) / 1e9)
    }

    private var fileDetail: String? { files > 1 ? "files \(filesDone)/\(files) done" : nil }

    /// Shows the line when its interval has passed. Called with `lock` held.
    private func showIfDue() {
        let now = clock()
        guard Double(now &- lastShown) / 1e9 >= interval else { return }
        lastShown = now
        let text = figures(at: now).text(verb: verb, detail: fileDetail)
        switch mode {
        case .bar:
            shownBar = true
            write("\rsprx: " + text + "\u{1B}[K")
        case .lines:
            lastLineState = [doneByPart.reduce(0, +), Int64(rows), Int64(filesDone)]
            write("sprx: " + text + "\n")
        case .auto, .none:
            break
        }
    }
}
