/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a deterministic pseudo-random source with 8 bytes of state that passes
/// BigCrush. Same seed, same numbers, on any machine.
///
/// sprx's one copy: the generator draws its exports from it, the inequality simulation
/// seeds xoshiro256** with it, and the tests' seeded random source is it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// A generator whose first output is the mix of `seed` + the golden-ratio increment.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
