import BrokerCore

/// The partner a request comes from, and the credential that proved it.
public struct AuthenticatedPartner: Sendable {
    public enum Credential: Sendable, Hashable {
        /// A client certificate, by SHA-256 fingerprint (hex).
        case certificate(fingerprint: String)
        /// An API key, by key id.
        case apiKey(id: String)
    }

    public let contract: Contract
    public let credential: Credential

    public var partnerID: String { contract.partnerID }
}
