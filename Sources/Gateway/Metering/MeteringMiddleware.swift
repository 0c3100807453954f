import BrokerCore
import Foundation
import Hummingbird
import Metering

/// Exactly one meter event per answered partner request, committed by group commit before the
/// response leaves; the first middleware after authentication, so that every answer below it is
/// metered: the rate limit's refusals, the idempotency checks', the quota's and the route's, an
/// error as the problem it answers as.
///
/// If the meter event cannot be committed the answer is withheld (503); whatever was spent for an
/// answer that does not leave (`MeterNote.whenWithheld`: its quota unit, a consent's use) is given
/// back, and so is an `Idempotency-Key` claimed for it: nothing leaves unmetered, and nothing is
/// spent on an answer that never left. The response an `Idempotency-Key` keeps for retries is
/// completed in the meter event's transaction; a replay of it is not metered again.
struct MeteringMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let writer: MeterWriter
    let idempotency: IdempotencyStore
    let sweep: QuotaHoldSweep
    /// Told when a unit's lease turns out lost.
    let admissions: QuotaCoalescer
    let hasher: PersonKeyHasher
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let partner = try context.requirePartner()
        var response = try await Problem.answer(request, context, next)
        let claimed: (key: IdempotencyKey, kept: StoredResponse)?
        switch context.meter.idempotencyOutcome {
        case .replay: return response
        case .claimed(let key, let kept): claimed = (key, kept)
        case .none: claimed = nil
        }
        // A body of no known length is copied out to count it (the broker's own answers are small).
        var responseBytes = response.body.contentLength
        if responseBytes == nil {
            do {
                responseBytes = try await response.collectBody().readableBytes
            } catch {
                // The answer cannot leave: what it spent comes back, as for any answer withheld.
                await context.meter.undoSpending()
                throw error
            }
        }
        if response.status.code >= 400 { await context.meter.undoSpending() }
        let facts = context.meter.disclosure
        let contract = facts?.contractVersion ?? partner.contract.version
        let event = MeterEvent(
            partnerID: partner.partnerID, requestID: context.id,
            endpoint: RequestMetricsMiddleware<GatewayRequestContext>.route(request, context),
            purpose: facts?.purpose, disclosed: facts?.disclosed ?? [], withheld: facts?.withheld ?? [], consentID: facts?.consentID,
            contractLabel: contract.label, contractDigest: contract.digest, status: Int(response.status.code),
            latency: ContinuousClock.now - started, responseBytes: responseBytes ?? 0,
            subjectHash: facts?.subjectKey.map(hasher.meterHash(ofSubjectKey:)), occurredAt: context.instant
        )
        do {
            // Sealed here, so that a body that cannot be sealed is withheld like one that cannot be metered.
            let completion = try claimed.map { try idempotency.completion(partner: partner.partnerID, key: $0.key, response: $0.kept) }
            try await writer.record(event, completing: completion, spending: context.meter.unitInFlight)
        } catch {
            context.logger.error("meter event not committed; answer withheld", metadata: ["error": "\(error)"])
            if case MeterError.quotaUnitNotCounted = error, let unit = context.meter.unitInFlight {
                // Its reservation was lost (the database crashed since): so was the rest of its lease.
                admissions.forgetLeases(after: unit)
            }
            await context.meter.undoSpending()
            if let claimed { await sweep.abandon(partner: partner.partnerID, key: claimed.key) }
            throw Problem.meteringUnavailable()
        }
        if response.status.code < 400 { await context.meter.delivered() }
        metrics.decisions(disclosed: event.disclosed.count, withheld: event.withheld)
        return response
    }
}
