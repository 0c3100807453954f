import Foundation

/// One bound parameter as it travels to the server: NULL, text format, or binary format.
public enum PostgresParameter: Sendable, Hashable {
    case null
    case text(String)
    /// Raw bytes sent in binary format (used for `bytea`).
    case binary([UInt8])
}

/// The parameters of one statement, in `$1, $2, …` order.
public struct PostgresBindings: Sendable, Hashable, ExpressibleByArrayLiteral {
    public private(set) var parameters: [PostgresParameter] = []

    public init() {}

    public init(arrayLiteral elements: (any PostgresEncodable)?...) {
        for element in elements { append(element) }
    }

    public var count: Int { parameters.count }

    /// Appends a value; `nil` binds SQL NULL.
    public mutating func append(_ value: (any PostgresEncodable)?) {
        parameters.append(value?.postgresParameter ?? .null)
    }

    /// The text of every text parameter, for scrubbing server messages that echo input; for one
    /// that is a JSON array or object (a batch bound as `PostgresJSON`), also every string in it,
    /// keys included, since the server echoes a value it reads from inside (`jsonb_to_recordset`).
    /// Read on the error path only.
    var textValues: [String] {
        parameters.flatMap { parameter -> [String] in
            guard case .text(let text) = parameter else { return [] }
            return [text] + Self.strings(inJSON: text)
        }
    }

    /// Every string in `text` if it is a JSON array or object, else none.
    private static func strings(inJSON text: String) -> [String] {
        guard let first = text.utf8.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "[") || first == UInt8(ascii: "{"),
              let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        else { return [] }
        var strings: [String] = []
        func collect(_ value: Any) {
            switch value {
            case let string as String: strings.append(string)
            case let array as [Any]: array.forEach(collect)
            case let object as [String: Any]:
                for (key, member) in object {
                    strings.append(key)
                    collect(member)
                }
            default: break
            }
        }
        collect(parsed)
        return strings
    }
}
