import BrokerCore
import Foundation

/// Admits requests against partners' quotas, one unit each, exactly, with one database round trip
/// for many concurrent requests.
///
/// The first request of a partner reserves at once; requests of the same partner that arrive while
/// a reservation is in flight wait in arrival order and go together into the next one
/// (`QuotaLedger.reserve(upTo:partner:limits:at:)`, through a `BatchCoalescer`): the first of them
/// get the units that are left, the rest are refused, exactly as if each had been reserved alone in
/// that order. No unit is held in the process, so any number of gateway processes on one database
/// still share the quotas exactly.
public final class QuotaCoalescer: Sendable {
    public let ledger: QuotaLedger

    /// Requests reserved together share a partner, the quota periods and the limits.
    private struct Lane: Hashable {
        let partner: String
        let day: CivilDate
        let month: CivilDate
        let limits: QuotaLimits
    }

    private let batches: BatchCoalescer<Lane, Date, QuotaDecision>

    /// - Parameter maxBatch: most requests in one reservation.
    public init(ledger: QuotaLedger, maxBatch: Int = 256) {
        self.ledger = ledger
        batches = BatchCoalescer(maxBatch: maxBatch) { lane, instants in
            let grant = try await ledger.reserve(upTo: instants.count, partner: lane.partner, limits: lane.limits, at: instants[0])
            return instants.indices.map(grant.decision(forUnit:))
        }
    }

    /// Takes one unit of the partner's quotas for the periods that hold `instant` (China time).
    public func reserve(partner: String, limits: QuotaLimits, at instant: Date) async throws -> QuotaDecision {
        let lane = Lane(partner: partner, day: QuotaPeriod.day.start(at: instant), month: QuotaPeriod.month.start(at: instant), limits: limits)
        return try await batches.submit(instant, in: lane)
    }
}
