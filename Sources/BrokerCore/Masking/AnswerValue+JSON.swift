import Formats

/// JSON text (RFC 8259) to and from `AnswerValue`, for the records on the query path: several
/// times faster than `JSONDecoder`/`JSONEncoder`, which go through `Codable`'s generic containers
/// for every node.
extension AnswerValue {
    /// Nesting deeper than this is refused (it would only serve to exhaust the stack).
    public static let maximumJSONDepth = 256

    /// Parses one JSON text (`JSONParser`); whitespace may surround it, nothing else may follow.
    public init(json bytes: [UInt8]) throws(JSONParser.SyntaxError) {
        self.init(try JSONParser.parse(bytes, maximumDepth: Self.maximumJSONDepth))
    }

    /// Parses one JSON value from UTF-8 text.
    public init(json text: String) throws(JSONParser.SyntaxError) {
        try self.init(json: Array(text.utf8))
    }

    /// A parsed JSON value as an answer value: integers that fit `Int64` (no fraction, no exponent)
    /// become `.int`, other numbers `.decimal` (beyond `Double`'s range, infinite: written as null);
    /// of duplicate keys in an object, the last wins.
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .number(let text): self = Int64(text).map(AnswerValue.int) ?? .decimal(Double(text) ?? .infinity)
        case .string(let value): self = .string(value)
        case .array(let values): self = .array(values.map(AnswerValue.init))
        case .object(let members):
            self = .object(Dictionary(members.map { ($0.key, AnswerValue($0.value)) }, uniquingKeysWith: { $1 }))
        }
    }

    /// The value as compact JSON text; object keys in ascending byte order (as `JSONEncoder` with
    /// `.sortedKeys`), slashes unescaped, non-finite numbers as `null`.
    public var json: [UInt8] {
        var bytes: [UInt8] = []
        writeJSON(to: &bytes)
        return bytes
    }

    /// Appends the value as compact JSON text to `bytes` (see `json`).
    public func writeJSON(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): bytes.append(contentsOf: String(value).utf8)
        case .decimal(let value): bytes.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        case .string(let value): JSONString.write(value, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.writeJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            // Members in the byte order of their names (JSONEncoder's sortedKeys), each taken with its value
            // (no second look-up by name).
            for (index, member) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONString.write(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.writeJSON(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

