import Foundation

/// A value stored in a `json` or `jsonb` column, as JSON text.
///
/// Bind an `Encodable` value as a parameter (`\(PostgresJSON(value))`, e.g. the rows a statement
/// unpacks with `jsonb_to_recordset`) and decode a `Decodable` one from a row
/// (`row.decode(PostgresJSON<T>.self, at: 0).value`).
public struct PostgresJSON<Value: Sendable>: Sendable {
    public var value: Value

    public init(_ value: Value) {
        self.value = value
    }
}

extension PostgresJSON: PostgresEncodable where Value: Encodable {
    public var postgresParameter: PostgresParameter {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("\(Value.self) failed to encode as JSON")
        }
        return .text(text)
    }
}

extension PostgresJSON: PostgresDecodable where Value: Decodable {
    public static var acceptedTypes: Set<PostgresDataType> { [.json, .jsonb] }

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw PostgresDecodingFailure("JSON does not decode as \(Value.self): \(error)")
        }
    }
}
