import BrokerCore
import Foundation
import Hummingbird
import Metering

/// Takes one unit of the partner's daily and monthly quotas before a billable route runs, exactly
/// across every gateway process on the database (concurrent requests share one reservation,
/// `QuotaCoalescer`), held for the request until its meter event spends it; gives it back if the
/// answer does not leave (`MeterNote.whenWithheld`: a status of 400 or more, or a meter event that
/// could not be committed), later if the database cannot be reached then (`QuotaHoldSweep`).
/// A unit spent tells `QuotaAlerts`, which alerts the partner at 80 % and 100 % of a quota.
/// Over quota: 429 with `Retry-After` and no data.
struct QuotaMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let admissions: QuotaCoalescer
    /// Told of each unit spent, for the partner's 80 % and 100 % alerts.
    let alerts: QuotaAlerts
    let sweep: QuotaHoldSweep
    let metrics: GatewayMetrics

    /// The largest body of a billable route (`POST /v1/queries` takes 64 KB, `POST /v1/scores` 16 KB).
    static let maxBodyBytes = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let partner = try context.requirePartner()
        // The request arrives whole before it costs a quota unit: a client that opens requests and
        // never finishes them (an HTTP/2 stream flood) makes the database do nothing.
        var request = request
        _ = try await request.collectWholeBody(upTo: Self.maxBodyBytes)
        let limits = QuotaLimits(partner.contract.quotas)
        guard limits.perDay != nil || limits.perMonth != nil else { return try await next(request, context) }
        let now = context.instant
        switch try await admissions.reserve(partner: partner.partnerID, limits: limits, at: now, requestID: context.id) {
        case .exhausted(let exhaustion):
            await alerts.exhausted(partner: partner.partnerID, period: exhaustion.period, limit: exhaustion.limit, at: now)
            throw Problem.quotaExhausted(exhaustion, now: now)
        case .reserved(let reservation):
            context.meter.whenWithheld { [sweep] in await sweep.release(reservation) }
            context.meter.whenDelivered { [alerts, partnerID = partner.partnerID] in
                await alerts.check(partner: partnerID, limits: limits, usage: reservation.usageAfter, at: now)
            }
            metrics.quota(partner: partner.partnerID, used: reservation.usageAfter)
            return try await next(request, context)
        }
    }
}
