import PKI
import X509

/// What the broker keeps of a verified client certificate: enough to bind it to a contract.
struct PeerCertificate: Sendable, Hashable {
    let fingerprint: CertificateFingerprint
    /// The subject as text, most specific first (`CN=…,O=…,C=CN`).
    let subject: String
    /// The subject's OU values (admin certificates carry their role in one).
    let organizationalUnits: [String]

    init(_ certificate: Certificate) {
        fingerprint = CertificateFingerprint(certificate)
        subject = certificate.subject.description
        organizationalUnits = certificate.subject.flatMap { $0 }
            .filter { $0.type == .RDNAttributeType.organizationalUnitName }
            .map { String(describing: $0.value) }
    }
}
