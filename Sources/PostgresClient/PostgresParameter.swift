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
    /// keys included, since the server echoes a value it reads from inside (`jsonb_to_recordset`);
    /// for one that is an array literal (`{"a","b"}`, a `text[]` bound as `TextArrayParameter`),
    /// every element, since a cast echoes the element at fault (`$1::date[]`). Read on the error
    /// path only.
    var textValues: [String] {
        parameters.flatMap { parameter -> [String] in
            guard case .text(let text) = parameter else { return [] }
            let json = Self.strings(inJSON: text)
            return [text] + (json.isEmpty ? Self.elements(ofArrayLiteral: text) : json)
        }
    }

    /// The elements of `text` if it is a PostgreSQL array literal (`{"a\"b",c}`: quoted elements
    /// with their backslash escapes undone, unquoted ones as written; nested braces flattened), else none.
    private static func elements(ofArrayLiteral text: String) -> [String] {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return [] }
        var elements: [String] = []
        var current: [UInt8] = []
        var quoted = false, escaped = false
        func finish() {
            if !current.isEmpty { elements.append(String(decoding: current, as: UTF8.self)) }
            current = []
        }
        for byte in bytes {
            if escaped {
                current.append(byte)
                escaped = false
            } else if quoted {
                if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { quoted = false } else { current.append(byte) }
            } else {
                switch byte {
                case UInt8(ascii: "\""): quoted = true
                case UInt8(ascii: ","), UInt8(ascii: "{"), UInt8(ascii: "}"): finish()
                case UInt8(ascii: " "): if !current.isEmpty { current.append(byte) }
                default: current.append(byte)
                }
            }
        }
        finish()
        return elements
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
