import BrokerCore

/// The admin behind a request: the verified certificate and the role it carries.
public struct AdminActor: Sendable, Hashable {
    /// SHA-256 of the certificate (DER), 64 lowercase hex digits.
    public let fingerprint: String
    /// The certificate's subject, `CN=…,OU=admin-…,O=…,C=CN`.
    public let subject: String
    /// `nil` when the certificate carries no role, or more than one, or its subject does not name
    /// one person plainly (not exactly one CN, or a multi-valued part): see `subjectIsAmbiguous`.
    public let role: AdminRole?
    /// The subject has no CN, several, or a part of several attributes (`CN=…+OU=…`): the
    /// certificate is given no role, since the four-eyes rule could not tell its holder apart.
    public let subjectIsAmbiguous: Bool

    init(_ peer: PeerCertificate) {
        fingerprint = peer.fingerprint.hex
        subject = peer.subject
        subjectIsAmbiguous = !peer.namesOnePerson
        role = peer.namesOnePerson ? AdminRole(organizationalUnits: peer.organizationalUnits) : nil
    }
}
