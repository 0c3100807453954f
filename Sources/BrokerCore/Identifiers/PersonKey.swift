/// The key under which a person subject is stored: HMAC-SHA-256 of the canonical resident ID
/// number under a server secret, as 64 lower-case hex digits.
///
/// Stable for a given secret, and useless without it: a partner that brings the clear number in a
/// query finds the subject, while the database alone cannot be reversed by enumerating the
/// (small) space of valid ID numbers. Made by `PersonKeyHasher`.
public struct PersonKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 64 lower-case hex digits.
    public let hex: String

    /// Wraps a stored key; `nil` unless `hex` is 64 lower-case hex digits.
    public init?(hex: String) {
        guard hex.utf8.count == 64,
              hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        self.hex = hex
    }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let key = PersonKey(hex: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a person key is 64 lower-case hex digits")
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
