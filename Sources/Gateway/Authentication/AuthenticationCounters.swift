import Prometheus
import Synchronization

/// Counts of refused handshakes and failed and successful authentications on one listener, by
/// outcome: exported as `credit_broker_authentications_total{listener,outcome}` and readable with
/// `snapshot()`.
public final class AuthenticationCounters: Sendable {
    /// The listener whose attempts are counted (the metric's `listener` label).
    public enum Listener: String, Sendable {
        /// The partner API: client certificates of the partner CA and API keys.
        case partner
        /// The admin API: client certificates of the admin CA only.
        case admin

        /// The outcomes that can happen on this listener (each exported from the start, at 0).
        var outcomes: [Outcome] {
            switch self {
            case .partner: Outcome.allCases
            case .admin: Outcome.allCases.filter { $0 == .certificateAccepted || $0.isHandshakeRefusal }
            }
        }
    }

    /// What happened to one attempt.
    public enum Outcome: String, Sendable, CaseIterable {
        case certificateAccepted = "certificate_accepted"
        case handshakeUntrusted = "handshake_untrusted"
        case handshakeExpired = "handshake_expired"
        case handshakeRevoked = "handshake_revoked"
        case handshakeWrongUsage = "handshake_wrong_usage"
        case handshakeNoRevocationList = "handshake_no_revocation_list"
        case certificateNotBound = "certificate_not_bound"
        case keyAccepted = "key_accepted"
        case keyRefused = "key_refused"
        case credentialMissing = "credential_missing"
        /// An `Authorization` header that is not `Bearer` with a token (Basic, Digest, a bare token …).
        case credentialUnsupported = "credential_unsupported"
        case credentialsConflict = "credentials_conflict"
        case partnerSuspended = "partner_suspended"
        case partnerRetired = "partner_retired"

        /// Whether the TLS handshake was refused (by `ClientCertificateVerifier`).
        var isHandshakeRefusal: Bool {
            switch self {
            case .handshakeUntrusted, .handshakeExpired, .handshakeRevoked, .handshakeWrongUsage, .handshakeNoRevocationList: true
            default: false
            }
        }
    }

    public let listener: Listener
    private let counts = Mutex<[Outcome: Int]>([:])
    private let exported: [Outcome: Counter]

    init(listener: Listener, registry: PrometheusCollectorRegistry) {
        self.listener = listener
        exported = Dictionary(uniqueKeysWithValues: listener.outcomes.map { outcome in
            (outcome, registry.makeCounter(
                descriptor: GatewayMetrics.name(
                    "authentications", "total", "TLS handshakes and authentications, by listener (partner or admin) and outcome."
                ),
                labels: [("listener", listener.rawValue), ("outcome", outcome.rawValue)]
            ))
        })
    }

    func record(_ outcome: Outcome) {
        counts.withLock { $0[outcome, default: 0] += 1 }
        exported[outcome]?.increment()
    }

    /// The count of each outcome so far (absent = 0).
    public func snapshot() -> [Outcome: Int] {
        counts.withLock { $0 }
    }
}
