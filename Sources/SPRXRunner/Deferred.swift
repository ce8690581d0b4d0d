import Dispatch

/// A value computed on a background queue, waited for when it is first needed.
///
/// `@unchecked Sendable`: `result` is written once, before `done` is first signalled,
/// and read only after waiting on `done` (each reader passes the signal on).
final class Deferred<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    /// Starts `work` at once on a global queue.
    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    /// The value, or the error `work` threw; waits for it the first time.
    func value() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result!.get()
    }
}
