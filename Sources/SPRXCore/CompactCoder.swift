/// A compact binary form of `Codable` values: their fields in the order they are
/// encoded, without keys, integers as variable-length (LEB128; signed ones zig-zag).
///
/// Design note: a shard's counts (``FlatTable``s of tens of thousands of entries) took
/// the larger part of a merge's time as JSON: parsing text and matching keys. Here a
/// keyed container writes its values one after another and the decoder reads them back
/// in the same order, which every type this is used for keeps (synthesized `Codable`
/// encodes and decodes its properties in declaration order; the hand-written ones in
/// sprx do the same). An unkeyed container writes its element count first (patched in
/// place as elements are added: `Codable` encodes depth first, one container at a
/// time), so a table's `isAtEnd` loop ends where it should. Optionals and keyed
/// dictionaries cannot be carried without keys: encoding one throws (nothing encoded
/// this way has one; a test checks the refusal). Every read is
/// bounds-checked, so damaged bytes are a thrown error, never a trap or a huge
/// allocation.
public enum CompactCoder {
    /// The bytes of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = CompactSink()
        try value.encode(to: CompactEncoderImpl(sink: sink))
        return sink.bytes
    }

    /// A value decoded from `bytes`, which must hold it exactly.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let source = CompactSource(bytes: bytes)
        let value = try T(from: CompactDecoderImpl(source: source))
        guard source.offset == bytes.count else { throw CompactCoderError.trailingBytes }
        return value
    }
}

/// What can go wrong decoding compact bytes.
public enum CompactCoderError: Error, Sendable {
    case truncated, overlong, trailingBytes, notSupported, invalidValue
}

final class CompactSink {
    var bytes: [UInt8] = []

    func unsigned(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    func signed(_ value: Int64) { unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
}

final class CompactSource {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func unsigned() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw CompactCoderError.truncated }
            let byte = bytes[offset]
            offset += 1
            // The tenth byte holds the 64th bit alone.
            guard shift < 63 || (shift == 63 && byte <= 1) else { throw CompactCoderError.overlong }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    func signed() throws -> Int64 {
        let u = try unsigned()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else { throw CompactCoderError.truncated }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Bytes not yet read (an element count above it is damage: each element takes at least one).
    var remaining: Int { bytes.count - offset }
}

/// Writes one value of any primitive type.
private func encodePrimitive<T: Encodable>(_ value: T, to sink: CompactSink) throws -> Bool {
    switch value {
    case let v as Bool: sink.bytes.append(v ? 1 : 0)
    case let v as String:
        let utf8 = Array(v.utf8)
        sink.unsigned(UInt64(utf8.count))
        sink.bytes += utf8
    case let v as Double: sink.unsigned(v.bitPattern)
    case let v as Float: sink.unsigned(UInt64(v.bitPattern))
    case let v as Int: sink.signed(Int64(v))
    case let v as Int8: sink.signed(Int64(v))
    case let v as Int16: sink.signed(Int64(v))
    case let v as Int32: sink.signed(Int64(v))
    case let v as Int64: sink.signed(v)
    case let v as UInt: sink.unsigned(UInt64(v))
    case let v as UInt8: sink.unsigned(UInt64(v))
    case let v as UInt16: sink.unsigned(UInt64(v))
    case let v as UInt32: sink.unsigned(UInt64(v))
    case let v as UInt64: sink.unsigned(v)
    default: return false
    }
    return true
}

/// Reads one value of any primitive type, `nil` when `T` is not one.
private func decodePrimitive<T: Decodable>(_ type: T.Type, from source: CompactSource) throws -> T? {
    func fit<I: FixedWidthInteger>(_ value: Int64, _: I.Type) throws -> I {
        guard let fitted = I(exactly: value) else { throw CompactCoderError.invalidValue }
        return fitted
    }
    func fitUnsigned<I: FixedWidthInteger>(_ value: UInt64, _: I.Type) throws -> I {
        guard let fitted = I(exactly: value) else { throw CompactCoderError.invalidValue }
        return fitted
    }
    switch type {
    case is Bool.Type:
        let byte = try source.take(1).first!
        guard byte <= 1 else { throw CompactCoderError.invalidValue }
        return (byte == 1) as? T
    case is String.Type:
        let count = try source.unsigned()
        guard count <= UInt64(source.remaining) else { throw CompactCoderError.truncated }
        return String(decoding: try source.take(Int(count)), as: UTF8.self) as? T
    case is Double.Type: return Double(bitPattern: try source.unsigned()) as? T
    case is Float.Type: return Float(bitPattern: try fitUnsigned(try source.unsigned(), UInt32.self)) as? T
    case is Int.Type: return try fit(try source.signed(), Int.self) as? T
    case is Int8.Type: return try fit(try source.signed(), Int8.self) as? T
    case is Int16.Type: return try fit(try source.signed(), Int16.self) as? T
    case is Int32.Type: return try fit(try source.signed(), Int32.self) as? T
    case is Int64.Type: return try source.signed() as? T
    case is UInt.Type: return try fitUnsigned(try source.unsigned(), UInt.self) as? T
    case is UInt8.Type: return try fitUnsigned(try source.unsigned(), UInt8.self) as? T
    case is UInt16.Type: return try fitUnsigned(try source.unsigned(), UInt16.self) as? T
    case is UInt32.Type: return try fitUnsigned(try source.unsigned(), UInt32.self) as? T
    case is UInt64.Type: return try source.unsigned() as? T
    default: return nil
    }
}

private struct CompactEncoderImpl: Encoder {
    let sink: CompactSink
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedEncoding<Key>(sink: sink))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedEncoding(sink: sink) }
    func singleValueContainer() -> any SingleValueEncodingContainer { SingleEncoding(sink: sink) }

    static func encode<T: Encodable>(_ value: T, to sink: CompactSink) throws {
        if try encodePrimitive(value, to: sink) { return }
        try value.encode(to: CompactEncoderImpl(sink: sink))
    }

    struct KeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let sink: CompactSink
        var codingPath: [any CodingKey] = []
        mutating func encodeNil(forKey key: Key) throws { throw CompactCoderError.notSupported }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            // A dictionary's keys are its data, and this form drops keys.
            if String(describing: Key.self).contains("DictionaryCodingKey") { throw CompactCoderError.notSupported }
            try CompactEncoderImpl.encode(value, to: sink)
        }
        // An absent optional would leave no trace and shift every later field: refused.
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            guard let value else { throw CompactCoderError.notSupported }
            try encode(value, forKey: key)
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        private mutating func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
            guard let value else { throw CompactCoderError.notSupported }
            try encode(value, forKey: key)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(KeyedEncoding<NestedKey>(sink: sink))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { UnkeyedEncoding(sink: sink) }
        mutating func superEncoder() -> any Encoder { CompactEncoderImpl(sink: sink) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { CompactEncoderImpl(sink: sink) }
    }

    /// Its element count is a fixed 4-byte slot written first and counted up in place.
    struct UnkeyedEncoding: UnkeyedEncodingContainer {
        let sink: CompactSink
        let slot: Int
        var codingPath: [any CodingKey] = []
        var count = 0

        init(sink: CompactSink) {
            self.sink = sink
            slot = sink.bytes.count
            sink.bytes += [0, 0, 0, 0]
        }

        private mutating func counted() {
            count += 1
            let c = UInt32(truncatingIfNeeded: count)
            for i in 0..<4 { sink.bytes[slot + i] = UInt8(truncatingIfNeeded: c >> (8 * UInt32(i))) }
        }
        mutating func encodeNil() throws { throw CompactCoderError.notSupported }
        mutating func encode<T: Encodable>(_ value: T) throws {
            counted()
            try CompactEncoderImpl.encode(value, to: sink)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            counted()
            return KeyedEncodingContainer(KeyedEncoding<NestedKey>(sink: sink))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            counted()
            return UnkeyedEncoding(sink: sink)
        }
        mutating func superEncoder() -> any Encoder {
            counted()
            return CompactEncoderImpl(sink: sink)
        }
    }

    struct SingleEncoding: SingleValueEncodingContainer {
        let sink: CompactSink
        var codingPath: [any CodingKey] = []
        mutating func encodeNil() throws { throw CompactCoderError.notSupported }
        mutating func encode<T: Encodable>(_ value: T) throws { try CompactEncoderImpl.encode(value, to: sink) }
    }
}

private struct CompactDecoderImpl: Decoder {
    let source: CompactSource
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedDecoding<Key>(source: source))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try UnkeyedDecoding(source: source) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleDecoding(source: source) }

    static func decode<T: Decodable>(_ type: T.Type, from source: CompactSource) throws -> T {
        if let value = try decodePrimitive(type, from: source) { return value }
        return try T(from: CompactDecoderImpl(source: source))
    }

    struct KeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let source: CompactSource
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try CompactDecoderImpl.decode(type, from: source) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(KeyedDecoding<NestedKey>(source: source))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try UnkeyedDecoding(source: source) }
        func superDecoder() throws -> any Decoder { CompactDecoderImpl(source: source) }
        func superDecoder(forKey key: Key) throws -> any Decoder { CompactDecoderImpl(source: source) }
    }

    struct UnkeyedDecoding: UnkeyedDecodingContainer {
        let source: CompactSource
        var codingPath: [any CodingKey] = []
        let total: Int
        var currentIndex = 0
        var count: Int? { total }
        var isAtEnd: Bool { currentIndex >= total }

        init(source: CompactSource) throws {
            self.source = source
            let bytes = try source.take(4)
            let count = bytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            // Each element takes at least one byte: a larger count is damage, not a reason to loop.
            guard count <= source.remaining else { throw CompactCoderError.truncated }
            total = count
        }

        private mutating func next() throws {
            guard !isAtEnd else { throw CompactCoderError.truncated }
            currentIndex += 1
        }
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try next()
            return try CompactDecoderImpl.decode(type, from: source)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next()
            return KeyedDecodingContainer(KeyedDecoding<NestedKey>(source: source))
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next()
            return try UnkeyedDecoding(source: source)
        }
        mutating func superDecoder() throws -> any Decoder {
            try next()
            return CompactDecoderImpl(source: source)
        }
    }

    struct SingleDecoding: SingleValueDecodingContainer {
        let source: CompactSource
        var codingPath: [any CodingKey] = []
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try CompactDecoderImpl.decode(type, from: source) }
    }
}
