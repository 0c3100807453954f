import Hummingbird
import Metering

/// The partner's rate limit (its contract's, per process: `RateLimiter`) and its requests in flight
/// in this process (`ConcurrencyLimiter`): over either, 429 with `Retry-After` before anything is
/// read. Every answer below it carries the `RateLimit-*` headers, a refusal and an error included.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let limiter: RateLimiter
    let concurrency: ConcurrencyLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let partner = try context.requirePartner()
        let limit = partner.contract.rateLimit
        let rate = limiter.check(partner: partner.partnerID, perSecond: limit.perSecond, burst: limit.burst)
        var response: Response
        if !rate.allowed {
            response = try Problem.rateLimited(retryAfterSeconds: rate.retryAfterSeconds ?? 1).response(from: request, context: context)
        } else if !concurrency.enter(partner.partnerID) {
            response = try Problem.tooManyInFlight(concurrency.limit).response(from: request, context: context)
        } else {
            defer { concurrency.leave(partner.partnerID) }
            response = try await Problem.answer(request, context, next)
        }
        for header in rate.headers { response.headers[.init(header.name)!] = header.value }
        return response
    }
}
