import BrokerCore
import Crypto
import Foundation
@testable import Gateway
import Logging
import NIOSSL
import PKI
import Synchronization
import Testing
import TestSupport
import X509

/// What the handshake verifier logs about a refusal: listener, outcome, serial and fingerprint,
/// never the certificate's subject.
@Suite struct ClientCertificateVerifierTests {
    @Test func aRevokedAdminCertificateIsRefusedAndLoggedWithoutItsSubject() async throws {
        let pki = DevelopmentPKI(folder: URL(filePath: TestPostgres.temporaryFolder()).appending(path: "pki"))
        _ = try pki.create(partners: [])
        try pki.revoke(AdminRole.security.rawValue, of: .admin)
        let records = RecordedLog()
        let counters = GatewayMetrics().adminAuthentication
        let verifier = try ClientCertificateVerifier(
            ca: pki.adminCAURL, revocationList: pki.adminRevocationListURL, counters: counters,
            logger: records.logger
        )
        let certificate = { (role: AdminRole) in try Certificate(pemEncoded: String(contentsOf: pki.adminCertificateURL(role), encoding: .utf8)) }
        let chain = { (role: AdminRole) in try NIOSSLCertificate.fromPEMFile(pki.adminCertificateURL(role).path) }

        #expect(await verifier.verify(try chain(.system)) == .certificateVerified)
        #expect(records.list.withLock { $0.isEmpty })

        #expect(await verifier.verify(try chain(.security)) == .failed)
        #expect(counters.snapshot() == [.handshakeRevoked: 1])
        let record = try #require(records.list.withLock { $0.first })
        #expect(record.level == .notice)
        #expect(record.message == "client certificate refused")
        let security = try certificate(.security)
        #expect(record.metadata == [
            "listener": "admin", "outcome": "handshake_revoked",
            "serial": "\(security.serialNumber)", "fingerprint": "\(CertificateFingerprint(security).hex)",
        ])
        #expect(!"\(record.message) \(record.metadata)".contains("Security Administrator"))

        // A client certificate of the partner CA does not chain to the admin CA.
        let partner = try pki.certificateAuthority(.partner).issue(
            subject: DistinguishedName(text: "CN=Someone,O=Some Bank,C=CN"), usage: .client, notBefore: Date() - 60, notAfter: Date() + 86_400
        )
        let partnerChain = try NIOSSLCertificate(bytes: Array(partner.certificate.serializeAsPEM().pemString.utf8), format: .pem)
        #expect(await verifier.verify([partnerChain]) == .failed)
        #expect(counters.snapshot()[.handshakeUntrusted] == 1)
    }

    @Test func aPKIWithoutAnAdminCRLRefusesEveryAdminUntilItGetsOne() async throws {
        let pki = DevelopmentPKI(folder: URL(filePath: TestPostgres.temporaryFolder()).appending(path: "pki"))
        _ = try pki.create(partners: [])
        // As a PKI made before the admin CRL existed.
        try FileManager.default.removeItem(at: pki.adminRevocationListURL)
        let counters = GatewayMetrics().adminAuthentication
        let verifier = try ClientCertificateVerifier(
            ca: pki.adminCAURL, revocationList: pki.adminRevocationListURL, counters: counters, logger: Logger(label: "test")
        )
        let system = try NIOSSLCertificate.fromPEMFile(pki.adminCertificateURL(.system).path)
        #expect(await verifier.verify(system) == .failed)
        #expect(counters.snapshot() == [.handshakeNoRevocationList: 1])

        try pki.createAdminRevocationList()
        #expect(await verifier.verify(system) == .certificateVerified)
        // Once there, the list is kept: a second call does not undo a revocation.
        try pki.revoke(AdminRole.system.rawValue, of: .admin)
        try pki.createAdminRevocationList()
        #expect(await verifier.verify(system) == .failed)
        #expect(counters.snapshot()[.handshakeRevoked] == 1)
    }

    /// A certificate of the partner CA that is itself a CA (basicConstraints CA:TRUE) is no client:
    /// the fault harness's certificate matrix found one accepted (a bank's officer expects it refused).
    @Test func aCertificateAuthorityIsRefusedAsAClientCertificate() async throws {
        let (ca, verifier, counters) = try partnerListener()
        let (client, authority) = (try issued(by: ca), try issued(by: ca, authority: true))
        #expect(await verifier.verify([client]) == .certificateVerified)
        #expect(await verifier.verify([authority]) == .failed)
        #expect(counters.snapshot() == [.handshakeWrongUsage: 1])
    }

    /// A bank's CA may mark the extended key usage critical (RFC 5280 allows either). The verifier
    /// enforces it (`ClientUsagePolicy`), so such a certificate is a client's like any other: before
    /// the checks were composed as policies, swift-certificates' verifier, which enforced no EKU
    /// itself, refused it as carrying an unhandled critical extension (counted as untrusted).
    @Test func aCriticalExtendedKeyUsageIsEnforcedNotRefusedAsUnknown() async throws {
        let (ca, verifier, counters) = try partnerListener()
        let client = try issued(by: ca, usage: [.clientAuth], criticalUsage: true)
        let server = try issued(by: ca, usage: [.serverAuth], criticalUsage: true)
        #expect(await verifier.verify([client]) == .certificateVerified)
        #expect(await verifier.verify([server]) == .failed)
        #expect(counters.snapshot() == [.handshakeWrongUsage: 1])
    }

    /// Each refusal is counted as the first policy the chain fails says: outside its validity,
    /// not a client's, revoked; a chain to another CA is untrusted whatever else is wrong with it.
    @Test func eachRefusalIsCountedByThePolicyThatRefusedIt() async throws {
        let (ca, verifier, counters) = try partnerListener()

        let expired = try issued(by: ca, notBefore: Date() - 2 * 86_400, notAfter: Date() - 86_400)
        #expect(await verifier.verify([expired]) == .failed)
        #expect(counters.snapshot() == [.handshakeExpired: 1])

        let notYet = try issued(by: ca, notBefore: Date() + 86_400, notAfter: Date() + 2 * 86_400)
        #expect(await verifier.verify([notYet]) == .failed)
        #expect(counters.snapshot() == [.handshakeExpired: 2])

        // Expired and without clientAuth: the validity is checked first.
        let both = try issued(by: ca, usage: [.serverAuth], notBefore: Date() - 2 * 86_400, notAfter: Date() - 86_400)
        #expect(await verifier.verify([both]) == .failed)
        #expect(counters.snapshot() == [.handshakeExpired: 3])

        // Another CA's expired certificate is untrusted, not expired: nothing of it is believed.
        let foreign = try issued(by: try partnerListener().ca, notBefore: Date() - 2 * 86_400, notAfter: Date() - 86_400)
        #expect(await verifier.verify([foreign]) == .failed)
        #expect(counters.snapshot() == [.handshakeExpired: 3, .handshakeUntrusted: 1])

        #expect(await verifier.verify([try issued(by: ca)]) == .certificateVerified)
        #expect(counters.snapshot() == [.handshakeExpired: 3, .handshakeUntrusted: 1])
    }

    /// A new development PKI's partner CA, and the partner listener's verifier of its certificates.
    private func partnerListener() throws -> (ca: CertificateAuthority, verifier: ClientCertificateVerifier, counters: AuthenticationCounters) {
        let pki = DevelopmentPKI(folder: URL(filePath: TestPostgres.temporaryFolder()).appending(path: "pki"))
        _ = try pki.create(partners: [])
        let counters = GatewayMetrics().authentication
        let verifier = try ClientCertificateVerifier(ca: pki.caURL, revocationList: pki.revocationListURL, counters: counters, logger: Logger(label: "test"))
        return (try pki.certificateAuthority(.partner), verifier, counters)
    }

    /// A certificate of `ca` with the given extended key usage and validity, a CA's if `authority`.
    private func issued(
        by ca: CertificateAuthority, usage: [ExtendedKeyUsage.Usage] = [.clientAuth], criticalUsage: Bool = false,
        notBefore: Date = Date() - 60, notAfter: Date = Date() + 86_400, authority: Bool = false
    ) throws -> NIOSSLCertificate {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: ca.certificate.subject, subject: try DistinguishedName(text: "CN=Some Bank,O=Some Bank,C=CN"),
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(authority ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyCertSign: authority))
                if criticalUsage { Critical(try ExtendedKeyUsage(usage)) } else { try ExtendedKeyUsage(usage) }
            },
            issuerPrivateKey: .init(ca.privateKey)
        )
        return try NIOSSLCertificate(bytes: Array(certificate.serializeAsPEM().pemString.utf8), format: .pem)
    }
}
