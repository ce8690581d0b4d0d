import Foundation
import SPRXTestSupport
import Testing

@testable import SPRXCore

/// The progress line's figures and text (``ProgressFigures``) and its timing, file count
/// and modes (``ProgressLine``) on a hand-driven clock. Expected values are calculated
/// by hand in each comment.
@Suite(.timeLimit(.minutes(10))) struct ProgressLineTests {
    /// 250 of 1,000 bytes and 5,000 rows in 2 s: 25%; 5,000 / 2 = 2,500 rows/s;
    /// 2 s × 750 / 250 = 6 s left.
    @Test func quarterDoneInTwoSeconds() {
        let figures = ProgressFigures(done: 250, total: 1000, rows: 5000, elapsedSeconds: 2)
        #expect(figures.percent == 25)
        #expect(figures.rowsPerSecond == 2500)
        #expect(figures.secondsLeft == 6)
        #expect(figures.text(verb: "read") == "25% read, 5,000 rows, 2,500 rows/s, 6 s left")
        #expect(figures.text(verb: "read", detail: "files 1/4 done") == "25% read (files 1/4 done), 5,000 rows, 2,500 rows/s, 6 s left")
    }

    /// 1,234,567 of 3,000,000 in 100 s: 41.15…% shown as 41 (never rounded up to a
    /// figure not reached); 12,345.67 rows/s shown as 12,346; 100 × 1,765,433 / 1,234,567
    /// = 143.0009 s, rounded up to 144 s = 2 min 24 s.
    @Test func largeFiguresAreGroupedAndTimeLeftRoundsUp() {
        let figures = ProgressFigures(done: 1_234_567, total: 3_000_000, rows: 1_234_567, elapsedSeconds: 100)
        #expect(figures.text(verb: "written") == "41% written, 1,234,567 rows, 12,346 rows/s, 2 min 24 s left")
    }

    /// Nothing done yet: 0%, no time left to estimate; an unknown total: no percentage;
    /// no time passed: no rate; done beyond the total (a file grew): 100%, 0 s left.
    @Test func edgesSayUnknownRatherThanGuess() {
        let start = ProgressFigures(done: 0, total: 1000, rows: 0, elapsedSeconds: 1)
        #expect(start.percent == 0 && start.secondsLeft == nil)
        #expect(start.text(verb: "read") == "0% read, 0 rows, 0 rows/s, time left unknown")
        let unknownTotal = ProgressFigures(done: 10, total: 0, rows: 10, elapsedSeconds: 1)
        #expect(unknownTotal.percent == nil && unknownTotal.secondsLeft == nil)
        #expect(unknownTotal.text(verb: "read", detail: "files 0/2 done") == "files 0/2 done, 10 rows, 10 rows/s, time left unknown")
        let instant = ProgressFigures(done: 10, total: 100, rows: 10, elapsedSeconds: 0)
        #expect(instant.rowsPerSecond == nil && instant.secondsLeft == nil)
        let grown = ProgressFigures(done: 1200, total: 1000, rows: 10, elapsedSeconds: 3)
        #expect(grown.percent == 100 && grown.secondsLeft == 0)
        #expect(grown.text(verb: "read") == "100% read, 10 rows, 3 rows/s, done in 3 s")
    }

    /// Durations as people say them, rounded up to the whole second.
    @Test func durations() {
        #expect(ProgressFigures.duration(0) == "under 1 s")
        #expect(ProgressFigures.duration(0.2) == "1 s")
        #expect(ProgressFigures.duration(59) == "59 s")
        #expect(ProgressFigures.duration(59.1) == "1 min 0 s")
        #expect(ProgressFigures.duration(125) == "2 min 5 s")
        #expect(ProgressFigures.duration(3600) == "1 h 00 min")
        // 3,661 s is 61 min 1 s: whole minutes rounded up, 62 min = 1 h 02 min.
        #expect(ProgressFigures.duration(3661) == "1 h 02 min")
        #expect(ProgressFigures.duration(.infinity) == "unknown")
        #expect(ProgressFigures.grouped(0) == "0" && ProgressFigures.grouped(999) == "999" && ProgressFigures.grouped(1000) == "1,000")
    }

    /// `lines`: nothing before the interval, one line at each interval, a last line at
    /// the end; the file count is files finished, so parallel readers finishing out of
    /// order never move it backwards.
    @Test func linesModeOnAHandDrivenClock() {
        let clock = ManualClock(), sink = Sink()
        let progress = ProgressLine(
            mode: .lines, verb: "read", total: 3000, parts: 3, files: 3, interval: 10, clock: clock.now, write: sink.write)
        progress.set(done: 500, part: 2)
        progress.add(rows: 50)
        #expect(sink.text.isEmpty)
        clock.advance(seconds: 10)
        // Parts 1 and 2 at 500 bytes each: 1,000 of 3,000 = 33.3% → 33; 50 rows / 10 s =
        // 5 rows/s; 10 s × 2,000 / 1,000 = 20 s left.
        progress.set(done: 500, part: 1)
        #expect(sink.lines == ["sprx: 33% read (files 0/3 done), 50 rows, 5 rows/s, 20 s left"])
        progress.fileFinished()  // (part 2 finished first)
        clock.advance(seconds: 10)
        progress.set(done: 1000, part: 2)
        // 1,500 of 3,000 in 20 s: 50%, 50 rows / 20 s = 3 rows/s (2.5 rounded), 20 s left.
        #expect(sink.lines.last == "sprx: 50% read (files 1/3 done), 50 rows, 3 rows/s, 20 s left")
        progress.fileFinished()
        progress.fileFinished()
        progress.fileFinished()  // a fourth finish cannot count past the files there are
        progress.set(done: 1000, part: 0)
        progress.set(done: 1000, part: 1)
        progress.set(done: 10, part: 1)  // a part's bytes never go backwards either
        progress.add(rows: 250)
        #expect(sink.lines.count == 2)
        clock.advance(seconds: 5)
        progress.finish()
        // 3,000 of 3,000 in 25 s: 100%, 300 rows / 25 s = 12 rows/s, done in 25 s.
        #expect(sink.lines.last == "sprx: 100% read (files 3/3 done), 300 rows, 12 rows/s, done in 25 s")
        #expect(sink.lines.count == 3)
    }

    /// `bar`: redrawn in place (carriage return, erase to end of line) at most every
    /// quarter second, and erased at the end so the command's summary takes its place;
    /// `generate` counts rows as the units done.
    @Test func barModeRedrawsInPlaceAndIsErased() {
        let clock = ManualClock(), sink = Sink()
        let progress = ProgressLine(mode: .bar, verb: "written", total: 400, totalIsRows: true, clock: clock.now, write: sink.write)
        progress.add(rows: 100)
        clock.advance(seconds: 0.1)
        progress.add(rows: 100)
        #expect(sink.text.isEmpty)
        clock.advance(seconds: 0.15)
        progress.add(rows: 100)
        // 300 of 400 rows in 0.25 s: 75%, 1,200 rows/s, 0.25 × 100 / 300 = 0.083 s → 1 s.
        #expect(sink.text == "\rsprx: 75% written, 300 rows, 1,200 rows/s, 1 s left\u{1B}[K")
        progress.finish()
        #expect(sink.text.hasSuffix("\u{1B}[K\r\u{1B}[K"))
        #expect(!sink.text.contains("\n"))
        // With what comes next, the final figures stay on a line of their own: 400 of 400
        // rows in 0.25 s, 1,600 rows/s.
        let next = Sink()
        let reading = ProgressLine(mode: .bar, verb: "read", total: 400, totalIsRows: true, clock: clock.now, write: next.write)
        reading.add(rows: 400)
        clock.advance(seconds: 0.25)
        reading.finish(next: "tables next")
        #expect(next.text == "\rsprx: 100% read, 400 rows, 1,600 rows/s, done in 1 s; tables next\u{1B}[K\n")
    }

    /// `none` writes nothing, even at the end; `auto` off a terminal is `none`, on one a bar.
    @Test func noneIsSilentAndAutoFollowsTheTerminal() {
        let clock = ManualClock(), sink = Sink()
        let progress = ProgressLine(mode: .none, verb: "read", total: 10, clock: clock.now, write: sink.write)
        clock.advance(seconds: 100)
        progress.add(rows: 5)
        progress.finish()
        #expect(sink.text.isEmpty && !progress.isShown)
        #expect(ProgressMode.auto.resolved(stderrIsTerminal: false) == .none)
        #expect(ProgressMode.auto.resolved(stderrIsTerminal: true) == .bar)
        #expect(ProgressMode.lines.resolved(stderrIsTerminal: true) == .lines)
        #expect(ProgressMode.bar.resolved(stderrIsTerminal: false) == .bar)
    }
}

/// A clock the test moves by hand.
///
/// `@unchecked Sendable`: `nanoseconds` is guarded by `lock`.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 1_000_000_000
    func advance(seconds: Double) { lock.withLock { nanoseconds += UInt64(seconds * 1e9) } }
    var now: ProgressLine.Clock { { self.lock.withLock { self.nanoseconds } } }
}

/// Collects what a progress line writes.
///
/// `@unchecked Sendable`: `written` is guarded by `lock`.
final class Sink: @unchecked Sendable {
    private let lock = NSLock()
    private var written = ""
    var write: @Sendable (String) -> Void { { text in self.lock.withLock { self.written += text } } }
    var text: String { lock.withLock { written } }
    var lines: [String] { text.split(separator: "\n").map(String.init) }
}
