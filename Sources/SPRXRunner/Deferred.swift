import Dispatch
import Foundation

/// A value computed on a background queue, waited for when it is first needed.
///
/// `@unchecked Sendable`: `result` is written once, under `lock`, before `done` is
/// first signalled; ``value()`` reads it after waiting on `done` (each reader passes
/// the signal on) and ``failure`` under `lock`.
public final class Deferred<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)

    /// Starts `work` at once on a global queue.
    public init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async {
            let outcome = Result { try work() }
            self.lock.withLock { self.result = outcome }
            self.done.signal()
        }
    }

    /// A value computed already (or its error), for a run that uses one thread.
    public init(now work: () throws -> Value) {
        result = Result { try work() }
        done.signal()
    }

    /// The value, or the error `work` threw; waits for it the first time.
    public func value() throws -> Value {
        done.wait()
        defer { done.signal() }
        // safe: done is signalled only after result is set
        return try lock.withLock { result! }.get()
    }

    /// The error `work` threw, if it has finished and failed; never waits (so a run can
    /// stop early on a bad file instead of counting every row first).
    public var failure: (any Error)? {
        lock.withLock {
            if case .failure(let error)? = result { return error }
            return nil
        }
    }
}
