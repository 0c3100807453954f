import Foundation

/// Why a column value could not become the requested Swift type (the row decoder adds the column).
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }
}

/// A Swift type that a result column decodes into, from PostgreSQL's text format.
///
/// `Optional` conforms when its wrapped type does: SQL NULL decodes as `nil`, and decoding NULL
/// into a non-optional type is an error that names the column.
public protocol PostgresDecodable: Sendable {
    /// The column types this Swift type accepts; any other is a type mismatch.
    static var acceptedTypes: Set<PostgresDataType> { get }
    /// Decodes a non-NULL value.
    init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure)
    /// The value SQL NULL decodes to, or `nil` when NULL is not allowed.
    static var decodedNull: Self? { get }
}

extension PostgresDecodable {
    public static var decodedNull: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static var acceptedTypes: Set<PostgresDataType> { Wrapped.acceptedTypes }

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = .some(try Wrapped(postgresText: bytes))
    }

    public static var decodedNull: Self? { .some(.none) }
}

extension String: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = PostgresDataType.texts.union([.uuid, .numeric])

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = String(decoding: bytes, as: UTF8.self)
    }
}

extension Int: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = PostgresDataType.integers

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = try Int(parsingDecimal: bytes)
    }
}

extension Int64: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = PostgresDataType.integers

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = Int64(try Int(parsingDecimal: bytes))
    }
}

extension Int32: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = [.int2, .int4]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = Int32(try Int(parsingDecimal: bytes))
    }
}

extension Double: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = PostgresDataType.integers.union([.float4, .float8, .numeric])

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("not a number")
        }
        self = value
    }
}

extension Decimal: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = PostgresDataType.integers.union([.numeric])

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let value = Decimal(string: String(decoding: bytes, as: UTF8.self), locale: Locale(identifier: "en_US_POSIX"))
        else { throw PostgresDecodingFailure("not a decimal number") }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = [.bool]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        switch bytes.first {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: throw PostgresDecodingFailure("not a boolean")
        }
    }
}

extension Date: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = [.timestamptz, .timestamp, .date]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let date = PostgresTimestamp.parse(bytes) else {
            throw PostgresDecodingFailure("not an ISO timestamp (is the session's DateStyle ISO?)")
        }
        self = date
    }
}

extension UUID: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = [.uuid]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let uuid = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("not a UUID")
        }
        self = uuid
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static let acceptedTypes: Set<PostgresDataType> = [.bytea]

    /// Decodes `bytea` from its hex text form (`\x0a1b…`).
    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw PostgresDecodingFailure("bytea is not in hex format (bytea_output must be 'hex')")
        }
        var result = [UInt8]()
        result.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = Self.nibble(bytes[index]), let low = Self.nibble(bytes[index + 1]) else {
                throw PostgresDecodingFailure("bytea has a non-hex digit")
            }
            result.append(high << 4 | low)
            index += 2
        }
        self = result
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 97...102: byte - 87
        case 65...70: byte - 55
        default: nil
        }
    }
}

extension Data: PostgresDecodable {
    public static let acceptedTypes: Set<PostgresDataType> = [.bytea]

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        self = Data(try [UInt8](postgresText: bytes))
    }
}

extension Int {
    /// Parses optionally signed ASCII decimal digits without creating a String.
    init(parsingDecimal bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        var index = 0
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; index = 1 }
        guard index < bytes.count else { throw PostgresDecodingFailure("not an integer") }
        var value = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte >= 48, byte <= 57 else { throw PostgresDecodingFailure("not an integer") }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(byte - 48))
            guard !overflow1, !overflow2 else { throw PostgresDecodingFailure("integer out of range") }
            value = sum
            index += 1
        }
        self = negative ? -value : value
    }
}
