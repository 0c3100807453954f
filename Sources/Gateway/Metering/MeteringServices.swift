import BrokerCore
import BrokerStore
import Logging
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
    /// Each partner's requests in flight in this process, bounded.
    public let concurrency: ConcurrencyLimiter
    public let hasher: PersonKeyHasher
    /// The largest request body any partner route accepts.
    public let maxBodyBytes: Int
    /// Gives back units and claims that requests of dead processes (or failed releases) left behind.
    public let sweep: QuotaHoldSweep

    /// - Parameter holder: this gateway process (`gateway_processes.process_id`): billable requests'
    ///   units are counted in flight for it until their meter events, and its idempotency claims name it.
    /// - Parameter keys: seal the responses kept for retries.
    /// - Parameter quotaLeaseUnits: quota units each reservation leases ahead for this process (0: none; `QuotaCoalescer`).
    public init(
        writer: MeterWriter, quotas: QuotaLedger, hasher: PersonKeyHasher, keys: SealingKeys, holder: String, logger: Logger,
        concurrency: ConcurrencyLimiter = ConcurrencyLimiter(limit: 128), limiter: RateLimiter = RateLimiter(), maxBodyBytes: Int = 4 << 20,
        quotaLeaseUnits: Int = 0
    ) {
        self.concurrency = concurrency
        self.writer = writer
        admissions = QuotaCoalescer(ledger: quotas, holder: holder, leaseUnits: quotaLeaseUnits)
        idempotency = IdempotencyStore(pool: quotas.pool, keys: keys, holder: holder)
        sweep = QuotaHoldSweep(ledger: quotas, holder: holder, admissions: admissions, logger: logger)
        alerts = QuotaAlerts(store: QuotaAlertStore(pool: quotas.pool))
        self.limiter = limiter
        self.hasher = hasher
        self.maxBodyBytes = maxBodyBytes
    }
}
