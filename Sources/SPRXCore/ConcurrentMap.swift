import Dispatch
import Foundation

/// `transform` of every index of `0..<count`, run on up to `threads` threads at once
/// (each thread takes every `threads`-th index), the results in index order.
///
/// The one place sprx runs independent pieces of work side by side and collects what
/// each gives; the order of the results never depends on which thread finished first.
public func concurrentMap<Value: Sendable>(
    count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount, _ transform: @Sendable (Int) -> Value
) -> [Value] {
    let slots = ResultSlots<Value>(count: count)
    let threads = max(1, min(threads, count))
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        for index in stride(from: thread, to: count, by: threads) { slots.store(index, transform(index)) }
    }
    return slots.results
}

/// One slot per piece of work.
///
/// `@unchecked Sendable`: `lock` guards `slots`; each piece writes only its own index.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ value: Value) { lock.withLock { slots[index] = value } }

    /// Every slot's value, in index order.
    var results: [Value] {
        // safe: concurrentMap stores every index before it reads them
        lock.withLock { slots.map { $0! } }
    }
}
