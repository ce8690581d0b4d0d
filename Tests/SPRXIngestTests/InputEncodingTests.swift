import Foundation
import SPRXCore
import Testing

@testable import SPRXIngest

/// `InputOpener` reads the encoding a pipeline declares, and refuses a file whose first
/// bytes contradict it, naming the setting that would read it. Raw bytes come from
/// Foundation's encoders; the expected text is the string they encoded.
@Suite(.timeLimit(.minutes(10))) struct InputEncodingTests {
    static let text = "referral_id,name\n1,Zoë – café\n"

    static func decoded(_ bytes: [UInt8], name: String = "x.csv", encoding: TextEncoding) throws -> [UInt8] {
        let path = try writeTemp(bytes, name: name)
        let (source, _) = try InputOpener.open(path: path, encoding: encoding, maxRead: 5)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    static func refusal(_ bytes: [UInt8], name: String = "x.csv", encoding: TextEncoding) -> String {
        do {
            _ = try decoded(bytes, name: name, encoding: encoding)
            return "read"
        } catch let error as SPRXError {
            #expect(error.code == .inputFormat)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    /// UTF-16 with either byte-order mark, plain or inside gzip, is read as UTF-8 when
    /// the pipeline says `utf-16`; the mark is not part of the text.
    @Test func utf16WithAByteOrderMarkIsRead() throws {
        let little = [0xFF, 0xFE] + Array(Self.text.data(using: .utf16LittleEndian)!)
        let big = [0xFE, 0xFF] + Array(Self.text.data(using: .utf16BigEndian)!)
        #expect(try Self.decoded(little, encoding: .utf16) == Array(Self.text.utf8))
        #expect(try Self.decoded(big, encoding: .utf16) == Array(Self.text.utf8))
        #expect(try Self.decoded(try systemGzip(little), name: "x.csv.gz", encoding: .utf16) == Array(Self.text.utf8))
    }

    /// Windows-1252 is converted; UTF-8 stays as it is.
    @Test func windows1252AndUTF8() throws {
        let cp1252 = Array(Self.text.data(using: .windowsCP1252)!)
        #expect(cp1252.count < Self.text.utf8.count, "the sample must hold non-ASCII text")
        #expect(try Self.decoded(cp1252, encoding: .windows1252) == Array(Self.text.utf8))
        #expect(try Self.decoded(Array(Self.text.utf8), encoding: .utf8) == Array(Self.text.utf8))
    }

    /// Without `encoding: utf-16`, a UTF-16 file is refused with the setting to add; with
    /// it, a file without a UTF-16 mark is refused, and so is a UTF-8 mark declared as
    /// Windows-1252.
    @Test func contradictionsAreRefusedNamingTheSetting() {
        let little = [0xFF, 0xFE] + Array(Self.text.data(using: .utf16LittleEndian)!)
        #expect(Self.refusal(little, encoding: .utf8).contains("input: {encoding: utf-16}"))
        #expect(Self.refusal(little, encoding: .windows1252).contains("input: {encoding: utf-16}"))
        let unmarked = Array(Self.text.data(using: .utf16LittleEndian)!)
        #expect(Self.refusal(unmarked, encoding: .utf16).contains("without a byte-order mark"))
        #expect(Self.refusal(unmarked, encoding: .utf8).contains("without a byte-order mark"))
        #expect(Self.refusal(Array(Self.text.utf8), encoding: .utf16).contains("input.encoding: utf-16"))
        #expect(Self.refusal([0xEF, 0xBB, 0xBF] + Array(Self.text.utf8), encoding: .windows1252).contains("windows-1252"))
    }
}
