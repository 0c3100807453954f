/// A `String`-backed enum stored as text: it binds as its raw value and decodes from it, and a
/// value it does not know is a decoding error that names the column (`PostgresRow.decode`) and
/// the type, never the value. Declare the conformance beside the store that reads the column.
public protocol PostgresTextEnum: RawRepresentable, PostgresEncodable, PostgresDecodable where RawValue == String {}

extension PostgresTextEnum {
    public static var acceptedTypes: Set<PostgresDataType> { PostgresDataType.texts }

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        guard let value = Self(rawValue: String(decoding: bytes, as: UTF8.self)) else {
            throw PostgresDecodingFailure("not a value \(Self.self) knows")
        }
        self = value
    }

    public var postgresParameter: PostgresParameter { .text(rawValue) }
}
