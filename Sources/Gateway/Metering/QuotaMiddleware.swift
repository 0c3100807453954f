import BrokerCore
import Foundation
import Hummingbird
import Metering

/// Takes one unit of the partner's daily and monthly quotas before a billable route runs, exactly
/// across every gateway process on the database (concurrent requests share one reservation,
/// `QuotaCoalescer`); gives it back if the answer does not leave (`MeterNote.whenWithheld`: a
/// status of 400 or more, or a meter event that could not be committed). A unit spent tells
/// `QuotaAlerts`, which alerts the partner at 80 % and 100 % of a quota.
/// Over quota: 429 with `Retry-After` and no data.
struct QuotaMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let admissions: QuotaCoalescer
    /// Told of each unit spent, for the partner's 80 % and 100 % alerts.
    let alerts: QuotaAlerts
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let partner = try context.requirePartner()
        let limits = QuotaLimits(partner.contract.quotas)
        guard limits.perDay != nil || limits.perMonth != nil else { return try await next(request, context) }
        let now = context.instant
        switch try await admissions.reserve(partner: partner.partnerID, limits: limits, at: now) {
        case .exhausted(let exhaustion):
            await alerts.exhausted(partner: partner.partnerID, period: exhaustion.period, limit: exhaustion.limit, at: now)
            throw Problem.quotaExhausted(exhaustion, now: now)
        case .reserved(let reservation):
            context.meter.whenWithheld { [ledger = admissions.ledger] in try? await ledger.release(reservation) }
            context.meter.whenDelivered { [alerts, partnerID = partner.partnerID] in
                await alerts.check(partner: partnerID, limits: limits, usage: reservation.usageAfter, at: now)
            }
            metrics.quota(partner: partner.partnerID, used: reservation.usageAfter)
            return try await next(request, context)
        }
    }
}
