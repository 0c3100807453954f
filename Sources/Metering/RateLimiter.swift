import Synchronization

/// Token buckets per partner, in this process only.
///
/// Each gateway process limits on its own: behind a load balancer spreading over N processes a
/// partner may reach N times its rate. (Exact limits across processes are the quotas' job.)
public final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])

    public init() {}

    /// Takes a token from the partner's bucket; a changed limit starts a new, full bucket.
    public func check(partner: String, perSecond: Int, burst: Int, now: ContinuousClock.Instant = .now) -> RateLimitDecision {
        buckets.withLock { buckets in
            var bucket = buckets[partner].flatMap { $0.perSecond == perSecond && $0.burst == burst ? $0 : nil }
                ?? TokenBucket(perSecond: perSecond, burst: burst, now: now)
            let decision = bucket.take(at: now)
            buckets[partner] = bucket
            return decision
        }
    }
}
