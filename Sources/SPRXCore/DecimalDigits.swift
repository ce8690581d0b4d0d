/// ASCII decimal digits read as a whole number: sprx's one digit parser.
///
/// Counts, dates, reference numbers and profiled values all read digits the same way:
/// `0`…`9` only (no sign, space, point or other script's digits), at most a stated
/// number of them, so a value always fits and an over-long field is refused rather than
/// wrapped. Callers say their own limit and handle signs and padding themselves.
public enum DecimalDigits {
    /// The most digits a caller may allow: 18 digits always fit in an `Int`.
    public static let maxDigits = 18

    /// The value of `byte` as a decimal digit; `nil` when it is not one of `0`…`9`.
    @inlinable @inline(__always) public static func value(of byte: UInt8) -> Int? {
        let digit = byte &- 0x30
        return digit < 10 ? Int(digit) : nil
    }

    /// The whole number all of `bytes` spell: one to `maxDigits` digits and nothing
    /// else; `nil` for an empty field, a longer one or any other byte.
    @inlinable public static func parse<Bytes: Collection>(_ bytes: Bytes, maxDigits: Int) -> Int? where Bytes.Element == UInt8 {
        precondition(maxDigits <= Self.maxDigits, "more digits than an Int holds")
        guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
        var value = 0
        for byte in bytes {
            guard let digit = Self.value(of: byte) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// The run of digits at `start` in `bytes`, taking at most `maxDigits`: its value and
    /// how many digits it has (0 when `bytes[start]` is not a digit or is past the end).
    @inlinable public static func leading(_ bytes: UnsafeRawBufferPointer, from start: Int, maxDigits: Int) -> (value: Int, digits: Int) {
        precondition(maxDigits <= Self.maxDigits, "more digits than an Int holds")
        var value = 0
        var index = start
        while index - start < maxDigits, index < bytes.count, let digit = Self.value(of: bytes[index]) {
            value = value * 10 + digit
            index += 1
        }
        return (value, index - start)
    }
}
