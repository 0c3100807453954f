import Foundation
import PKI
import SwiftASN1
import X509

/// Why a client certificate chain was refused, as the policy that refused it says so: each reason is
/// its policy's own fixed text, read back into the refusal's counter (`outcome`).
enum ClientCertificateRefusal: String, Sendable {
    case outsideValidity = "the client certificate is outside its validity period"
    case notForClients = "the client certificate is not for TLS clients (no EKU clientAuth, or it is a CA)"
    case revoked = "a certificate of the chain is on its CA's CRL"
    case noRevocationList = "the CA's CRL is missing, malformed or not signed by the CA"

    var reason: PolicyFailureReason { PolicyFailureReason(rawValue) }

    /// The counter a refusal with this reason goes to.
    var outcome: AuthenticationCounters.Outcome {
        switch self {
        case .outsideValidity: .handshakeExpired
        case .notForClients: .handshakeWrongUsage
        case .revoked: .handshakeRevoked
        case .noRevocationList: .handshakeNoRevocationList
        }
    }

    /// The refusal a policy failure names (its text is the raw value); nil for RFC 5280's own
    /// reasons (an untrusted chain).
    init?(_ reason: PolicyFailureReason) {
        self.init(rawValue: reason.description)
    }
}

/// The leaf (the partner's or the admin's own certificate) is within its validity at `time`.
///
/// `RFC5280Policy` checks every certificate of the chain too; this policy comes first so that an
/// expired client certificate is counted as expired rather than as untrusted.
struct LeafValidityPolicy: VerifierPolicy {
    let time: Date
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        guard leaf.notValidBefore <= time, time <= leaf.notValidAfter else {
            return .failsToMeetPolicy(reason: ClientCertificateRefusal.outsideValidity.reason)
        }
        return .meetsPolicy
    }
}

/// The leaf is a TLS client's: it carries EKU clientAuth and is not a certificate authority (a CA
/// is no client, whatever its EKU says).
struct ClientUsagePolicy: VerifierPolicy {
    /// This policy enforces the extended key usage, so a certificate may mark it critical.
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        let leaf = chain.leaf
        guard let usage = try? leaf.extensions.extendedKeyUsage, usage.contains(.clientAuth) else {
            return .failsToMeetPolicy(reason: ClientCertificateRefusal.notForClients.reason)
        }
        if case .isCertificateAuthority = try? leaf.extensions.basicConstraints {
            return .failsToMeetPolicy(reason: ClientCertificateRefusal.notForClients.reason)
        }
        return .meetsPolicy
    }
}

/// No certificate of the chain is on the CA's CRL, as it was read for this handshake; without a
/// usable CRL every chain is refused (fail closed).
struct RevocationPolicy: VerifierPolicy {
    let list: Result<CertificateRevocationList, CertificateRevocationList.Failure>
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard case .success(let list) = self.list else {
            return .failsToMeetPolicy(reason: ClientCertificateRefusal.noRevocationList.reason)
        }
        if chain.contains(where: { list.revokes($0.serialNumber) }) {
            return .failsToMeetPolicy(reason: ClientCertificateRefusal.revoked.reason)
        }
        return .meetsPolicy
    }
}
