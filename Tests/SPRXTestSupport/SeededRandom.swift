import Foundation
import SPRXCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A random generator that a failing test can replay: SplitMix64 from a printed seed.
///
/// Every generator made without a seed starts from the test process's seed
/// (``processSeed``): `SPRX_TEST_SEED` when set (decimal or `0x` hex; CI sets it, so CI
/// runs are repeatable), else a fresh one, so local runs cover new inputs. The process
/// prints that seed once, to standard error, when the first generator is made; put
/// ``description`` in every failure message too, so the failure says how to replay it.
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014) passes BigCrush and needs 8 bytes of state.
/// It is the project's one ``SplitMix64`` (SPRXCore).
public struct SeededRandom: RandomNumberGenerator, CustomStringConvertible, Sendable {
    /// The seed this generator started from.
    public let seed: UInt64
    private var generator: SplitMix64

    /// A generator from `seed`, or else from ``processSeed``.
    public init(seed: UInt64? = nil) {
        let chosen = seed ?? Self.processSeed
        self.seed = chosen
        generator = SplitMix64(seed: chosen)
    }

    /// The seed of every unseeded generator in this process: `SPRX_TEST_SEED`'s, else a
    /// fresh one; chosen and printed (to standard error) once.
    public static let processSeed: UInt64 = {
        let text = getenv(seedVariable).map { String(cString: $0) }
        let seed: UInt64
        if let text {
            guard let parsed = parse(text) else {
                fatalError("\(seedVariable)=\(text) is not a seed: write a decimal or 0x-hex 64-bit unsigned number")
            }
            seed = parsed
        } else {
            seed = UInt64.random(in: .min ... .max)
        }
        let source = text == nil ? "fresh" : "from \(seedVariable)"
        FileHandle.standardError.write(Data("sprx tests: random seed \(seed) (\(source); replay with \(seedVariable)=\(seed))\n".utf8))
        return seed
    }()

    /// The variable that names the seed.
    public static let seedVariable = "SPRX_TEST_SEED"

    /// The seed `text` names (decimal or `0x` hex), if it names one.
    public static func parse(_ text: String) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }

    public mutating func next() -> UInt64 { generator.next() }

    /// How to replay: the seed, as `SPRX_TEST_SEED` takes it.
    public var description: String { "random seed \(seed) (replay with SPRX_TEST_SEED=\(seed))" }
}
