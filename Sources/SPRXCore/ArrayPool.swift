import Foundation

/// Arrays handed back once used, for the next user to fill again without allocating.
///
/// The engine's per-block arrays (a block's bytes, about a megabyte; its clean rows'
/// traces) are large enough that the allocator takes each from `mmap`, and the kernel
/// faults in and zeroes every page on first write, then unmaps it again when freed:
/// about a tenth of a run's CPU. An array that comes back keeps its pages. At most
/// ``limit`` are kept; an array still shared when it is reused is copied by the array
/// itself (copy on write), never written under its other holder.
public final class ArrayPool<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [[Element]] = []
    /// The most arrays kept idle.
    public let limit: Int

    public init(limit: Int) { self.limit = limit }

    /// An empty array, with the capacity of one handed back if there is one.
    public func take() -> [Element] {
        var array = lock.withLock { idle.popLast() } ?? []
        array.removeAll(keepingCapacity: true)
        return array
    }

    /// Takes `array` back for reuse, leaving it empty.
    public func give(_ array: inout [Element]) {
        var kept: [Element] = []
        swap(&kept, &array)
        guard kept.capacity > 0 else { return }
        lock.withLock {
            if idle.count < limit { idle.append(kept) }
        }
    }
}
