import Foundation

/// A subject's consent (授权) on file for one partner: what it covers, for what, for how long, how often.
public struct Consent: Sendable, Hashable, Codable {
    /// How many times the consent may be used.
    public enum UseLimit: Sendable, Hashable, Codable {
        case once
        case times(Int)
        case unlimited

        /// Whether `uses` uses leave none.
        public func isExhausted(after uses: Int) -> Bool {
            switch self {
            case .once: uses >= 1
            case .times(let limit): uses >= limit
            case .unlimited: false
            }
        }

        /// Encoded as `"once"`, `"unlimited"` or a whole number.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let limit = try? container.decode(Int.self), limit > 0 {
                self = .times(limit)
                return
            }
            switch try container.decode(String.self) {
            case "once": self = .once
            case "unlimited": self = .unlimited
            default:
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "use_limit must be once, unlimited or a positive number")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .once: try container.encode("once")
            case .times(let limit): try container.encode(limit)
            case .unlimited: try container.encode("unlimited")
            }
        }
    }

    /// The consent's identifier, cited in disclosure receipts.
    public var id: String
    /// The subject key: a USCC, or the keyed hash of a resident ID number.
    public var subject: String
    /// Purposes the subject agreed to.
    public var purposes: [String]
    /// Data items the consent names.
    public var items: [String]
    /// Categories the consent names (covering their items where the contract accepts category scope).
    public var categories: [String]
    /// First instant the consent is valid.
    public var validFrom: Date
    /// First instant the consent is no longer valid.
    public var validTo: Date
    public var useLimit: UseLimit
    /// Uses recorded so far.
    public var usesSoFar: Int
    public var revoked: Bool
    /// SHA-256 (hex) of the signed consent document.
    public var documentDigest: String

    public init(
        id: String, subject: String, purposes: [String], items: [String] = [], categories: [String] = [],
        validFrom: Date, validTo: Date, useLimit: UseLimit, usesSoFar: Int = 0, revoked: Bool = false, documentDigest: String
    ) {
        self.id = id
        self.subject = subject
        self.purposes = purposes
        self.items = items
        self.categories = categories
        self.validFrom = validFrom
        self.validTo = validTo
        self.useLimit = useLimit
        self.usesSoFar = usesSoFar
        self.revoked = revoked
        self.documentDigest = documentDigest
    }

    enum CodingKeys: String, CodingKey {
        case id, subject, purposes, items, categories, revoked
        case validFrom = "valid_from"
        case validTo = "valid_to"
        case useLimit = "use_limit"
        case usesSoFar = "uses_so_far"
        case documentDigest = "document_digest"
    }
}
