import Foundation
import Logging
import NIOSSL
import PKI
import X509

/// Verifies a client certificate chain during the TLS handshake of one listener: it must chain to
/// that listener's CA (the partner CA or the admin CA), be within its validity, carry EKU
/// clientAuth, and not be on the CA's CRL: swift-certificates' `Verifier` with `RFC5280Policy` and
/// this module's policies (`ClientCertificatePolicies.swift`). Every refusal is counted
/// (`counters`, labelled with the listener) and logged (listener, outcome, serial and fingerprint;
/// never a subject, which may name a person).
struct ClientCertificateVerifier: Sendable {
    let roots: CertificateStore
    let revocations: RevocationListFile
    let counters: AuthenticationCounters
    let logger: Logger

    /// A verifier for the CA in the PEM file `ca` and its CRL `revocationList` (re-read when it changes).
    init(ca: URL, revocationList: URL, counters: AuthenticationCounters, logger: Logger) throws {
        let certificate = try Certificate(pemEncoded: String(contentsOf: ca, encoding: .utf8))
        roots = CertificateStore([certificate])
        revocations = RevocationListFile(url: revocationList, ca: certificate)
        self.counters = counters
        self.logger = logger
    }

    /// The swift-nio-ssl custom verification callback: BoringSSL calls it only when the client
    /// presents a certificate. Refusals are counted here, acceptances per request by the listener's
    /// authenticator.
    func verify(_ chain: [NIOSSLCertificate]) async -> NIOSSLVerificationResult {
        let outcome = await check(chain)
        guard outcome == .certificateAccepted else {
            counters.record(outcome)
            var metadata: Logger.Metadata = ["listener": "\(counters.listener.rawValue)", "outcome": "\(outcome.rawValue)"]
            if let leaf = chain.first, let der = try? leaf.toDERBytes() {
                metadata["fingerprint"] = "\(CertificateFingerprint(derBytes: der).hex)"
                if let certificate = try? Certificate(derEncoded: der) { metadata["serial"] = "\(certificate.serialNumber)" }
            }
            logger.notice("client certificate refused", metadata: metadata)
            return .failed
        }
        return .certificateVerified
    }

    /// The chain must reach the listener's CA and meet every policy below, checked in this order;
    /// the first a chain fails names the refusal's counter. A chain that reaches no root, or fails
    /// one of RFC 5280's own rules, is untrusted.
    private func check(_ chain: [NIOSSLCertificate]) async -> AuthenticationCounters.Outcome {
        guard let certificates = try? chain.map({ try Certificate(derEncoded: $0.toDERBytes()) }), let leaf = certificates.first else {
            return .handshakeUntrusted
        }
        let now = Date()
        let revocationList = revocations.current()
        var verifier = Verifier(rootCertificates: roots) {
            LeafValidityPolicy(time: now)
            ClientUsagePolicy()
            RFC5280Policy()
            RevocationPolicy(list: revocationList)
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst())) {
        case .validCertificate:
            return .certificateAccepted
        case .couldNotValidate(let failures):
            // One failure per candidate chain; the listener's one CA makes one chain at most.
            guard let refusal = failures.lazy.compactMap({ ClientCertificateRefusal($0.policyFailureReason) }).first else {
                return .handshakeUntrusted
            }
            if refusal == .noRevocationList, case .failure(let failure) = revocationList {
                logger.error(
                    "\(counters.listener.rawValue) CA's CRL unusable: every client certificate is refused",
                    metadata: ["listener": "\(counters.listener.rawValue)", "crl": "\(revocations.url.path)", "reason": "\(failure)"]
                )
            }
            return refusal.outcome
        }
    }
}
