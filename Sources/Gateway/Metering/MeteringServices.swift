import BrokerCore
import BrokerStore
import Metering

/// What the partner routes' metering needs: the group-commit meter writer, the exact quota ledger's
/// coalescer that admits billable requests, the quota alerts, the per-process rate limiter, the
/// idempotency store and the keyed hash for subjects.
public struct MeteringServices: Sendable {
    public let writer: MeterWriter
    /// Admits billable requests against the quotas of `QuotaLedger` (`admissions.ledger`).
    public let admissions: QuotaCoalescer
    /// The partners' 80 % and 100 % quota alerts.
    public let alerts: QuotaAlerts
    public let idempotency: IdempotencyStore
    public let limiter: RateLimiter
    public let hasher: PersonKeyHasher
    /// The largest request body any partner route accepts.
    public let maxBodyBytes: Int

    public init(
        writer: MeterWriter, quotas: QuotaLedger, idempotency: IdempotencyStore, hasher: PersonKeyHasher,
        limiter: RateLimiter = RateLimiter(), maxBodyBytes: Int = 4 << 20
    ) {
        self.writer = writer
        admissions = QuotaCoalescer(ledger: quotas)
        alerts = QuotaAlerts(store: QuotaAlertStore(pool: quotas.pool))
        self.idempotency = idempotency
        self.limiter = limiter
        self.hasher = hasher
        self.maxBodyBytes = maxBodyBytes
    }
}
