import BrokerCore

/// The partner a request comes from, the credential that proved it, and its contract in the
/// request's pinned snapshot.
public struct AuthenticatedPartner: Sendable {
    public enum Credential: Sendable, Hashable {
        /// A client certificate, by SHA-256 fingerprint (hex).
        case certificate(fingerprint: String)
        /// An API key, by key id.
        case apiKey(id: String)
    }

    /// The partner's governing contract in the request's snapshot.
    public let contract: Contract
    public let credential: Credential
    /// The partner in the snapshot's decision engine.
    public let handle: DecisionEngine.Partner

    public var partnerID: String { contract.partnerID }
}
