import Metering
import Testing

@Suite struct TokenBucketTests {
    @Test func burstThenRefillAtTheRate() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(perSecond: 2, burst: 3, now: start)
        let burst = (0..<3).map { _ in bucket.take(at: start) }
        #expect(burst.map(\.allowed) == [true, true, true])
        #expect(burst.map(\.remaining) == [2, 1, 0])
        let refused = bucket.take(at: start)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(refused.resetSeconds == 2)
        #expect(refused.headers.map { $0.name } == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"])
        #expect(refused.headers.map { $0.value } == ["3", "0", "2", "1"])
        #expect(!bucket.take(at: start + .milliseconds(400)).allowed)
        let refilled = bucket.take(at: start + .milliseconds(600))
        #expect(refilled.allowed && refilled.retryAfterSeconds == nil)
        #expect(refilled.headers.count == 3)
        // Idle for long: full again, never more than the burst.
        #expect(bucket.take(at: start + .seconds(60)).remaining == 2)
    }

    @Test func limiterKeepsABucketPerPartnerAndRestartsOnANewLimit() {
        let limiter = RateLimiter()
        let now = ContinuousClock.now
        #expect(limiter.check(partner: "a", perSecond: 1, burst: 1, now: now).allowed)
        #expect(!limiter.check(partner: "a", perSecond: 1, burst: 1, now: now).allowed)
        #expect(limiter.check(partner: "b", perSecond: 1, burst: 1, now: now).allowed)
        let raised = limiter.check(partner: "a", perSecond: 5, burst: 10, now: now)
        #expect(raised.allowed && raised.limit == 10 && raised.remaining == 9)
    }
}
