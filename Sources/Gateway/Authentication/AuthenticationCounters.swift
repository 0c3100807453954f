import Prometheus
import Synchronization

/// Counts of refused handshakes and failed and successful authentications, by outcome: exported as
/// `credit_broker_authentications_total{outcome}` and readable with `snapshot()`.
public final class AuthenticationCounters: Sendable {
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
        case credentialsConflict = "credentials_conflict"
    }

    private let counts = Mutex<[Outcome: Int]>([:])
    private let exported: [Outcome: Counter]

    init(registry: PrometheusCollectorRegistry) {
        exported = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { outcome in
            (outcome, registry.makeCounter(
                descriptor: GatewayMetrics.name("authentications", "total", "TLS handshakes and partner authentications, by outcome."),
                labels: [("outcome", outcome.rawValue)]
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
