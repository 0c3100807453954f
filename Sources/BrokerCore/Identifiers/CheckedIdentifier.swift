/// An identifier that is its checked, canonical text (`rawValue`): equal and hashed by that text,
/// encoded as that string, and decoded from a string strictly, a failed rule becoming
/// `DecodingError.dataCorrupted` with the rule's description (never the value itself).
public protocol CheckedIdentifier: Hashable, Codable {
    /// The canonical text.
    var rawValue: String { get }
    /// Parses strictly, as the type's own initialiser does.
    init(checking text: String) throws(IdentifierError)
}

extension CheckedIdentifier {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(checking: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
