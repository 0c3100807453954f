import BrokerCore
import Foundation
import Hummingbird
import Metering

/// Takes one unit of the partner's daily and monthly quotas before a billable route runs, exactly
/// across every gateway process on the database (concurrent requests share one reservation,
/// `QuotaCoalescer`); gives it back if the route fails (a thrown error or a status of 400 or more).
/// Over quota: 429 with `Retry-After` and no data.
struct QuotaMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let admissions: QuotaCoalescer
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let partner = try context.requirePartner()
        let limits = QuotaLimits(partner.contract.quotas)
        guard limits.perDay != nil || limits.perMonth != nil else { return try await next(request, context) }
        let now = Date()
        switch try await admissions.reserve(partner: partner.partnerID, limits: limits, at: now) {
        case .exhausted(let exhaustion):
            throw Problem.quotaExhausted(exhaustion, now: now)
        case .reserved(let reservation):
            context.meter.reserved(reservation)
            metrics.quota(partner: partner.partnerID, used: QuotaUsage(
                today: reservation.usageBefore.today + reservation.units, thisMonth: reservation.usageBefore.thisMonth + reservation.units
            ))
            let response: Response
            do {
                response = try await next(request, context)
            } catch {
                try await release(context)
                throw error
            }
            if response.status.code >= 400 { try await release(context) }
            return response
        }
    }

    private func release(_ context: Context) async throws {
        if let reservation = context.meter.takeReservation() {
            try await admissions.ledger.release(reservation)
        }
    }
}
