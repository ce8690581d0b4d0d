import SPRXIngest

/// Checks that a streaming decoder's output does not depend on how its input is cut.
///
/// Modelled on NIOTestUtils' `ByteToMessageDecoderVerifier`: the input is decoded whole
/// (one read), then fed one byte at a time, then in random cuts; every way must give
/// what the whole input gave. A decoder is any function from a ``ByteSource`` to an
/// `Equatable` output; ``ChunkedByteSource`` hands out the pieces, one a read.
public enum SplitVerifier {
    /// Decodes `input` whole, byte by byte and in `randomCuts` random splits.
    ///
    /// - Returns: the output of the whole input, for the caller to check against an
    ///   independent expectation.
    /// - Throws: ``SplitMismatch`` naming the cut points and the seed when a split gives
    ///   other output (or an error the whole input did not give).
    @discardableResult
    public static func verify<Output: Equatable>(
        _ input: [UInt8], randomCuts: Int = 24, random: inout SeededRandom,
        decode: (ChunkedByteSource) throws -> Output
    ) throws -> Output {
        let whole = try decode(ChunkedByteSource(input, cuts: []))
        var splits: [[Int]] = [Array(1..<max(1, input.count))]
        for _ in 0..<randomCuts where input.count > 1 {
            let count = Int.random(in: 1...min(input.count - 1, 16), using: &random)
            splits.append(Set((0..<count).map { _ in Int.random(in: 1..<input.count, using: &random) }).sorted())
        }
        for cuts in splits {
            let output: Output
            do {
                output = try decode(ChunkedByteSource(input, cuts: cuts))
            } catch {
                throw SplitMismatch(cuts: cuts, inputCount: input.count, random: random, detail: "threw \(error)")
            }
            guard output == whole else {
                throw SplitMismatch(cuts: cuts, inputCount: input.count, random: random, detail: "output differs from the whole input's")
            }
        }
        return whole
    }
}

/// A split of the input that decoded differently from the whole.
public struct SplitMismatch: Error, CustomStringConvertible {
    /// Offsets where the input was cut.
    public let cuts: [Int]
    let inputCount: Int
    let random: SeededRandom
    let detail: String

    public var description: String {
        let shown = cuts.count == inputCount - 1 ? "every byte" : "\(cuts)"
        return "input of \(inputCount) bytes cut at \(shown): \(detail); \(random)"
    }
}

/// Bytes handed out in given pieces: each read returns at most the rest of one piece.
public final class ChunkedByteSource: ByteSource {
    private let bytes: [UInt8]
    private let ends: [Int]
    private var offset = 0
    private var piece = 0

    /// `bytes` cut at the sorted offsets `cuts`.
    public init(_ bytes: [UInt8], cuts: [Int]) {
        self.bytes = bytes
        ends = cuts + [bytes.count]
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while piece < ends.count && offset >= ends[piece] { piece += 1 }
        guard piece < ends.count, offset < bytes.count else { return 0 }
        let n = min(buffer.count, ends[piece] - offset)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}
