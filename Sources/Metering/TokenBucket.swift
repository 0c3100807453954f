/// A token bucket: `burst` tokens at most, refilled at `perSecond`; each request takes one.
///
/// Pure value arithmetic: the caller passes the time, so it is exact and testable.
public struct TokenBucket: Sendable, Hashable {
    public let perSecond: Int
    public let burst: Int
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// A full bucket at `now`.
    public init(perSecond: Int, burst: Int, now: ContinuousClock.Instant) {
        precondition(perSecond > 0 && burst > 0, "a rate limit needs a positive rate and burst")
        self.perSecond = perSecond
        self.burst = burst
        self.tokens = Double(burst)
        self.updated = now
    }

    /// Takes a token if there is one at `now`.
    public mutating func take(at now: ContinuousClock.Instant) -> RateLimitDecision {
        if now > updated {
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            tokens = min(Double(burst), tokens + seconds * Double(perSecond))
            updated = now
        }
        let allowed = tokens >= 1
        if allowed { tokens -= 1 }
        let rate = Double(perSecond)
        return RateLimitDecision(
            allowed: allowed,
            limit: burst,
            remaining: Int(tokens.rounded(.down)),
            resetSeconds: Int(((Double(burst) - tokens) / rate).rounded(.up)),
            retryAfterSeconds: allowed ? nil : max(1, Int(((1 - tokens) / rate).rounded(.up)))
        )
    }
}
