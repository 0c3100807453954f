import Foundation

/// A Codable value stored in a `json` or `jsonb` column.
///
/// Bind it as a parameter (`\(PostgresJSON(value))`) and decode it from a row
/// (`row.decode(PostgresJSON<T>.self, at: 0).value`).
public struct PostgresJSON<Value: Codable & Sendable>: Sendable, PostgresEncodable, PostgresDecodable {
    public var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public var postgresParameter: PostgresParameter {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            preconditionFailure("\(Value.self) failed to encode as JSON")
        }
        return .text(text)
    }

    public static var acceptedTypes: Set<PostgresDataType> { [.json, .jsonb] }

    public init(postgresText bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) {
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw PostgresDecodingFailure("JSON does not decode as \(Value.self): \(error)")
        }
    }
}
