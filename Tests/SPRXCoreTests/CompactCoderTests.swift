import Foundation
import SPRXCore
import Testing

/// ``CompactCoder``: values survive, the bytes are as LEB128 says, damage is an error.
@Suite(.timeLimit(.minutes(10))) struct CompactCoderTests {
    struct Sample: Codable, Equatable {
        var small: Int64
        var negative: Int64
        var extremes: [Int64]
        var unsigned: [UInt64]
        var flag: Bool
        var text: String
        var nested: [[UInt32]]
        var ratio: Double
    }

    @Test func valuesRoundTrip() throws {
        let sample = Sample(
            small: 5, negative: -3, extremes: [.min, .max, 0, -1], unsigned: [0, 127, 128, .max], flag: true, text: "Wells–Next-the-Sea",
            nested: [[], [1, 2, 3], [.max]], ratio: -0.125)
        #expect(try CompactCoder.decode(Sample.self, from: CompactCoder.encode(sample)) == sample)
    }

    /// By hand from the LEB128 rule: 300 = 0b1_0010_1100 → 0xAC 0x02; zig-zag −3 → 5;
    /// an array: its count as 4 little-endian bytes, then the elements.
    @Test func bytesAreLEB128() throws {
        #expect(try CompactCoder.encode(UInt64(300)) == [0xAC, 0x02])
        #expect(try CompactCoder.encode(Int64(-3)) == [0x05])
        #expect(try CompactCoder.encode([UInt8(1), 2]) == [2, 0, 0, 0, 1, 2])
    }

    /// Without keys an absent optional or a dictionary's keys would be lost, shifting
    /// every later field: encoding one is refused.
    @Test func optionalsAndDictionariesAreRefused() throws {
        struct WithOptional: Codable { var x: Int64?; var y: Int64 }
        struct WithDictionary: Codable { var labels: [String: Int] }
        #expect(throws: CompactCoderError.self) { try CompactCoder.encode(WithOptional(x: nil, y: 1)) }
        #expect(throws: CompactCoderError.self) { try CompactCoder.encode(WithDictionary(labels: ["a": 1])) }
    }

    @Test func damageIsAnError() throws {
        let bytes = try CompactCoder.encode([UInt64(1), 2, 300])
        // Cut short anywhere, a count beyond the bytes, trailing bytes, a varint too long.
        for cut in 0..<bytes.count {
            #expect(throws: CompactCoderError.self) { try CompactCoder.decode([UInt64].self, from: Array(bytes.prefix(cut))) }
        }
        #expect(throws: CompactCoderError.self) { try CompactCoder.decode([UInt64].self, from: [0xFF, 0xFF, 0xFF, 0x7F, 1]) }
        #expect(throws: CompactCoderError.self) { try CompactCoder.decode([UInt64].self, from: bytes + [0]) }
        #expect(throws: CompactCoderError.self) { try CompactCoder.decode(UInt64.self, from: [UInt8](repeating: 0xFF, count: 11) + [1]) }
        // UInt64.max takes ten bytes, the tenth 0x01; a tenth byte above 1 overflows.
        #expect(try CompactCoder.encode(UInt64.max) == [UInt8](repeating: 0xFF, count: 9) + [0x01])
        #expect(throws: CompactCoderError.self) { try CompactCoder.decode(UInt64.self, from: [UInt8](repeating: 0xFF, count: 9) + [0x02]) }
        #expect(throws: CompactCoderError.self) { try CompactCoder.decode(UInt8.self, from: [0xAC, 0x02]) }
    }
}
