#if canImport(Glibc)
import Glibc
#endif

import SPRXCore

/// A random generator that a failing test can replay: SplitMix64 from a printed seed.
///
/// The seed is `SPRX_TEST_SEED` when set (decimal or `0x` hex), else a fresh one; put
/// ``description`` in every failure message, so the failure says how to replay it.
/// It is the project's one ``SplitMix64`` (SPRXCore).
public struct SeededRandom: RandomNumberGenerator, CustomStringConvertible, Sendable {
    /// The seed this generator started from.
    public let seed: UInt64
    private var generator: SplitMix64

    /// A generator from `seed`, or from `SPRX_TEST_SEED`, or from a fresh seed.
    public init(seed: UInt64? = nil) {
        let chosen = seed ?? Self.environmentSeed ?? UInt64.random(in: .min ... .max)
        self.seed = chosen
        generator = SplitMix64(seed: chosen)
    }

    /// The seed `SPRX_TEST_SEED` names, if it names one.
    static var environmentSeed: UInt64? {
        guard let text = getenv("SPRX_TEST_SEED").map({ String(cString: $0) }) else { return nil }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }

    public mutating func next() -> UInt64 { generator.next() }

    /// How to replay: the seed, as `SPRX_TEST_SEED` takes it.
    public var description: String { "random seed \(seed) (replay with SPRX_TEST_SEED=\(seed))" }
}
