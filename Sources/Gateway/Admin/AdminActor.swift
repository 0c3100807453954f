import BrokerCore

/// The admin behind a request: the verified certificate and the role it carries.
public struct AdminActor: Sendable, Hashable {
    /// SHA-256 of the certificate (DER), 64 lowercase hex digits.
    public let fingerprint: String
    /// The certificate's subject, `CN=…,OU=admin-…,O=…,C=CN`.
    public let subject: String
    /// `nil` when the certificate carries no role, or more than one.
    public let role: AdminRole?

    init(_ peer: PeerCertificate) {
        fingerprint = peer.fingerprint.hex
        subject = peer.subject
        role = AdminRole(organizationalUnits: peer.organizationalUnits)
    }
}
