/// The class a contract gives one data item.
public enum ItemGrant: Sendable, Hashable, Codable {
    /// The conditions of a conditional grant; all must hold.
    public struct Conditions: Sendable, Hashable, Codable {
        /// The purposes the item may be requested for (sorted).
        public let purposes: [String]
        /// Whether the subject's consent must be on file.
        public let consentRequired: Bool
        /// What a consent must name to cover the item.
        public let consentScope: ConsentScope

        public init(purposes: [String], consentRequired: Bool, consentScope: ConsentScope) {
            self.purposes = purposes.sorted()
            self.consentRequired = consentRequired
            self.consentScope = consentScope
        }
    }

    /// What a consent must name to cover a conditional item.
    public enum ConsentScope: String, Sendable, Hashable, Codable, CaseIterable {
        /// The item itself.
        case item
        /// The item or its category.
        case category
    }

    case unconditional
    case conditional(Conditions)
    case none

    /// The sharing class of this grant.
    public var sharingClass: SharingClass {
        switch self {
        case .unconditional: .unconditional
        case .conditional: .conditional
        case .none: .none
        }
    }
}
