#if canImport(Glibc)
import Glibc
#endif

/// A random generator that a failing test can replay: SplitMix64 from a printed seed.
///
/// The seed is `SPRX_TEST_SEED` when set (decimal or `0x` hex), else a fresh one; put
/// ``description`` in every failure message, so the failure says how to replay it.
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014) passes BigCrush and needs 8 bytes of state.
public struct SeededRandom: RandomNumberGenerator, CustomStringConvertible, Sendable {
    /// The seed this generator started from.
    public let seed: UInt64
    private var state: UInt64

    /// A generator from `seed`, or from `SPRX_TEST_SEED`, or from a fresh seed.
    public init(seed: UInt64? = nil) {
        let chosen = seed ?? Self.environmentSeed ?? UInt64.random(in: .min ... .max)
        self.seed = chosen
        state = chosen
    }

    /// The seed `SPRX_TEST_SEED` names, if it names one.
    static var environmentSeed: UInt64? {
        guard let text = getenv("SPRX_TEST_SEED").map({ String(cString: $0) }) else { return nil }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// How to replay: the seed, as `SPRX_TEST_SEED` takes it.
    public var description: String { "random seed \(seed) (replay with SPRX_TEST_SEED=\(seed))" }
}
