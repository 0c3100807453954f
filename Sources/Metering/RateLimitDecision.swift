/// The answer of a token bucket to one request, with the numbers for the rate-limit headers.
public struct RateLimitDecision: Sendable, Hashable {
    public let allowed: Bool
    /// `RateLimit-Limit`: the burst (bucket size).
    public let limit: Int
    /// `RateLimit-Remaining`: whole tokens left after this request.
    public let remaining: Int
    /// `RateLimit-Reset`: seconds until the bucket is full again.
    public let resetSeconds: Int
    /// `Retry-After` for a refused request: seconds until one token is there.
    public let retryAfterSeconds: Int?

    /// The response headers, in order.
    public var headers: [(name: String, value: String)] {
        var headers = [
            (name: "RateLimit-Limit", value: String(limit)),
            (name: "RateLimit-Remaining", value: String(remaining)),
            (name: "RateLimit-Reset", value: String(resetSeconds)),
        ]
        if let retryAfterSeconds { headers.append((name: "Retry-After", value: String(retryAfterSeconds))) }
        return headers
    }
}
