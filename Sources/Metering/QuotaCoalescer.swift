import BrokerCore
import Foundation
import Synchronization

/// Admits requests against partners' quotas, one unit each, exactly, with one database round trip
/// for many concurrent requests.
///
/// The first request of a partner reserves at once and leads; requests of the same partner that
/// arrive while a reservation is in flight wait in arrival order and go together into the next one
/// (`QuotaLedger.reserve(upTo:partner:limits:at:)`): the first of them get the units that are left,
/// the rest are refused, exactly as if each had been reserved alone in that order. No unit is held
/// in the process, so any number of gateway processes on one database still share the quotas exactly.
public final class QuotaCoalescer: Sendable {
    public let ledger: QuotaLedger
    /// Most requests in one reservation.
    public let maxBatch: Int

    /// Requests reserved together share a partner, the quota periods and the limits.
    private struct Lane: Hashable {
        let partner: String
        let day: CivilDate
        let month: CivilDate
        let limits: QuotaLimits
    }

    private enum Turn {
        case decided(QuotaDecision)
        case lead
    }

    private typealias Waiter = CheckedContinuation<Turn, any Error>

    /// A lane is present while a reservation of it is in flight; its value is who waits for the next.
    private let lanes = Mutex([Lane: [Waiter]]())

    public init(ledger: QuotaLedger, maxBatch: Int = 256) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.ledger = ledger
        self.maxBatch = maxBatch
    }

    /// Takes one unit of the partner's quotas for the periods that hold `instant` (China time).
    public func reserve(partner: String, limits: QuotaLimits, at instant: Date) async throws -> QuotaDecision {
        let lane = Lane(partner: partner, day: QuotaPeriod.day.start(at: instant), month: QuotaPeriod.month.start(at: instant), limits: limits)
        let turn = try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let leads = lanes.withLock { lanes in
                guard lanes[lane] != nil else {
                    lanes[lane] = []
                    return true
                }
                lanes[lane]!.append(waiter)
                return false
            }
            if leads { waiter.resume(returning: .lead) }
        }
        switch turn {
        case .decided(let decision): return decision
        case .lead: return try await lead(lane, at: instant)
        }
    }

    /// Reserves for the leader and those waiting, passes the lead to the next waiter, then answers.
    private func lead(_ lane: Lane, at instant: Date) async throws -> QuotaDecision {
        let followers = lanes.withLock { lanes in
            let batch = Array(lanes[lane, default: []].prefix(maxBatch - 1))
            lanes[lane]?.removeFirst(batch.count)
            return batch
        }
        let outcome: Result<QuotaGrant, any Error>
        do {
            outcome = .success(try await ledger.reserve(upTo: 1 + followers.count, partner: lane.partner, limits: lane.limits, at: instant))
        } catch {
            outcome = .failure(error)
        }
        let next = lanes.withLock { lanes -> Waiter? in
            guard let waiting = lanes[lane], !waiting.isEmpty else {
                lanes[lane] = nil
                return nil
            }
            return lanes[lane]!.removeFirst()
        }
        next?.resume(returning: .lead)
        switch outcome {
        case .success(let grant):
            for (index, follower) in followers.enumerated() {
                follower.resume(returning: .decided(grant.decision(forUnit: index + 1)))
            }
            return grant.decision(forUnit: 0)
        case .failure(let error):
            for follower in followers { follower.resume(throwing: error) }
            throw error
        }
    }
}
