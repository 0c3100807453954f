import BrokerCore
import Foundation
import Synchronization

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

    /// One request to admit: when it was made, and which request it is (for a unit counted in flight).
    private struct Admission: Sendable {
        let instant: Date
        let requestID: String?
    }

    private let batches: BatchCoalescer<Lane, Admission, QuotaDecision>
    /// Partners whose last reservation found a period used up, and when that period ends.
    private final class Exhausted: Sendable {
        let until = Mutex<[String: Date]>([:])
    }

    private let exhausted: Exhausted

    /// - Parameters:
    ///   - maxBatch: most requests in one reservation.
    ///   - holder: the gateway process for which units are counted in flight until their requests'
    ///     meter events spend them (`QuotaLedger.reserve(holding:…)`), so that what a process that
    ///     dies mid-request had in flight comes back (`QuotaHoldSweep`); `nil`: not counted.
    public init(ledger: QuotaLedger, maxBatch: Int = 256, holder: String? = nil) {
        self.ledger = ledger
        let exhausted = Exhausted()
        self.exhausted = exhausted
        batches = BatchCoalescer(maxBatch: maxBatch) { lane, admissions in
            let requestIDs = admissions.compactMap(\.requestID)
            let grant = if let holder, requestIDs.count == admissions.count {
                try await ledger.reserve(holding: requestIDs, for: holder, partner: lane.partner, limits: lane.limits, at: admissions[0].instant)
            } else {
                try await ledger.reserve(upTo: admissions.count, partner: lane.partner, limits: lane.limits, at: admissions[0].instant)
            }
            exhausted.until.withLock { $0[lane.partner] = grant.exhaustion?.resetsAt }
            return admissions.indices.map(grant.decision(forUnit:))
        }
    }

    /// Whether the partner's last reservation in this process found a quota used up that has not
    /// reset by `instant`: its next request is then likely refused, and a caller that would do the
    /// request's work while the unit is reserved (`QuotaMiddleware`) had better wait for the answer.
    public func lastFoundExhausted(partner: String, at instant: Date) -> Bool {
        exhausted.until.withLock { $0[partner].map { instant < $0 } ?? false }
    }

    /// Takes one unit of the partner's quotas for the periods that hold `instant` (China time),
    /// counted in flight for `requestID` when the coalescer has a holder.
    public func reserve(partner: String, limits: QuotaLimits, at instant: Date, requestID: String? = nil) async throws -> QuotaDecision {
        let lane = Lane(partner: partner, day: QuotaPeriod.day.start(at: instant), month: QuotaPeriod.month.start(at: instant), limits: limits)
        return try await batches.submit(Admission(instant: instant, requestID: requestID), in: lane)
    }
}
