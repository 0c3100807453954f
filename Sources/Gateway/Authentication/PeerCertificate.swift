import PKI
import X509

/// What the broker keeps of a verified client certificate: enough to bind it to a contract.
struct PeerCertificate: Sendable, Hashable {
    let fingerprint: CertificateFingerprint
    /// The subject as text, most specific first (`CN=…,O=…,C=CN`).
    let subject: String
    /// The subject's OU values (admin certificates carry their role in one).
    let organizationalUnits: [String]
    /// Whether the subject names one person plainly: exactly one CN, and every part of the subject
    /// a single attribute (no multi-valued RDN such as `CN=…+OU=…`). An admin certificate that does
    /// not carries no role: the four-eyes rule tells people apart by their CN.
    let namesOnePerson: Bool

    init(_ certificate: Certificate) {
        fingerprint = CertificateFingerprint(certificate)
        subject = certificate.subject.description
        let attributes = certificate.subject.flatMap { $0 }
        organizationalUnits = attributes
            .filter { $0.type == .RDNAttributeType.organizationalUnitName }
            .map { String(describing: $0.value) }
        namesOnePerson = attributes.count { $0.type == .RDNAttributeType.commonName } == 1
            && certificate.subject.allSatisfy { $0.count == 1 }
    }
}
