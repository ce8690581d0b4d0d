import Testing

@testable import SPRXCore

/// Organisation ids longer than 16 bytes (issue 14: they became "no organisation").
@Suite(.timeLimit(.minutes(10))) struct ShortCodeTests {
    /// A long id is held as the first 128 bits of the SHA-256 of its trimmed,
    /// upper-cased text; the expected hex is from coreutils:
    /// `printf '%s' ORGANISATION-LONG-PREFIX-1 | sha256sum | cut -c1-32`.
    @Test func longTextIsItsDigest() throws {
        let code = try #require(ShortCode("  organisation-long-prefix-1\t"))
        #expect(code.isDigest)
        #expect(code.description == "#bfd75e1a65a4888a097ff2650d8ad834")
        #expect(code == ShortCode("ORGANISATION-LONG-PREFIX-1"))
        #expect(code != ShortCode("ORGANISATION-LONG-PREFIX-2"))
        #expect(code.nation == .unknown)
        #expect(code.count > 0, "a digest is an organisation, not none")
        // 16 bytes still fit inline; 17 do not.
        #expect(ShortCode(String(repeating: "A", count: 16))?.isDigest == false)
        #expect(ShortCode(String(repeating: "A", count: 17))?.isDigest == true)
        #expect(ShortCode("   ") == nil)
        #expect(code != ShortCode.vacant)
    }

    /// The allocation-free order agrees with the text's byte order for inline codes
    /// (checked against Swift's own `String` ordering of ASCII text), and puts digests
    /// after them.
    @Test func orderIsTextOrder() throws {
        let texts = [
            "A", "AB", "ABC", "B", "E01000001", "E01000002", "U1", "U10", "U9", "ZZZZZZZZZZZZZZZZ", "0", "95AA01S1", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOA",
        ]
        let codes = try texts.map { try #require(ShortCode($0)) }
        #expect(codes.sorted().map(\.description) == texts.sorted())
        let digest = try #require(ShortCode("A-VERY-LONG-ORGANISATION-IDENTIFIER"))
        #expect(codes.allSatisfy { $0 < digest })
    }
}
