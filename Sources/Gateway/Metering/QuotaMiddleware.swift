import BrokerCore
import Foundation
import Hummingbird
import Metering

/// Takes one unit of the partner's daily and monthly quotas before a billable route's answer
/// leaves, exactly across every gateway process on the database (concurrent requests share one
/// reservation, and most draw on units the process leased ahead without one, `QuotaCoalescer`),
/// counted in flight for this process until the request's meter
/// event spends it (`MeterNote.unitInFlight`); gives it
/// back if the answer does not leave (`MeterNote.whenWithheld`: a status of 400 or more, or a meter
/// event that could not be committed), later if the database cannot be reached then
/// (`QuotaHoldSweep`). A unit spent tells `QuotaAlerts`, which alerts the partner at 80 % and 100 %
/// of a quota. Over quota: 429 with `Retry-After` and no data.
///
/// On a route that `overlapsRoute`, the route runs while its unit is being reserved, so the
/// request waits for one database round trip less (the reservation and the route's lookup at once,
/// then the meter event). Such a route spends nothing that `whenWithheld` cannot give back and
/// writes nothing else; if the quota turns out used up, its answer is dropped unseen, what it noted
/// for the meter is retracted, and the partner gets the 429 as before. A partner whose last
/// reservation found its quota used up waits for the reservation first again, so that refused
/// requests cost no lookups.
struct QuotaMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let admissions: QuotaCoalescer
    /// Told of each unit spent, for the partner's 80 % and 100 % alerts.
    let alerts: QuotaAlerts
    let sweep: QuotaHoldSweep
    let metrics: GatewayMetrics
    /// Whether the routes behind it may run while their unit is being reserved (see above).
    let overlapsRoute: Bool

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
        let partnerID = partner.partnerID
        let requestID = context.id
        guard overlapsRoute, !admissions.lastFoundExhausted(partner: partnerID, at: now) else {
            try await admit(try await admissions.reserve(partner: partnerID, limits: limits, at: now, requestID: requestID), partnerID, limits, context)
            return try await next(request, context)
        }
        async let decision = admissions.reserve(partner: partnerID, limits: limits, at: now, requestID: requestID)
        let answer: Result<Response, any Error>
        do {
            answer = .success(try await next(request, context))
        } catch {
            answer = .failure(error)
        }
        do {
            try await admit(try await decision, partnerID, limits, context)
        } catch {
            // Whatever the route answered does not leave; what it noted for the meter is not metered.
            context.meter.retract()
            throw error
        }
        return try answer.get()
    }

    /// Registers what a reserved unit needs (given back if the answer does not leave, an alert once
    /// it has); throws the 429 for a used-up quota.
    private func admit(_ decision: QuotaDecision, _ partnerID: String, _ limits: QuotaLimits, _ context: Context) async throws {
        let now = context.instant
        switch decision {
        case .exhausted(let exhaustion):
            await alerts.exhausted(partner: partnerID, period: exhaustion.period, limit: exhaustion.limit, at: now)
            throw Problem.quotaExhausted(exhaustion, now: now)
        case .reserved(let reservation):
            if reservation.inFlight != nil { context.meter.unitInFlight = reservation }
            context.meter.whenWithheld { [sweep] in await sweep.release(reservation) }
            context.meter.whenDelivered { [alerts] in
                await alerts.check(partner: partnerID, limits: limits, usage: reservation.usageAfter, at: now)
            }
            metrics.quota(partner: partnerID, used: reservation.usageAfter)
        }
    }
}
