import BrokerCore
import Metering

/// What the partner routes' metering needs: the group-commit meter writer, the exact quota ledger's
/// coalescer that admits billable requests, the per-process rate limiter, the idempotency store and
/// the keyed hash for subjects.
public struct MeteringServices: Sendable {
    public let writer: MeterWriter
    /// Admits billable requests against the quotas of `QuotaLedger` (`admissions.ledger`).
    public let admissions: QuotaCoalescer
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
        self.idempotency = idempotency
        self.limiter = limiter
        self.hasher = hasher
        self.maxBodyBytes = maxBodyBytes
    }
}
