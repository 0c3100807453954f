import BrokerCore
import Foundation
import Synchronization

/// Admits requests against partners' quotas, one unit each, exactly, with one database round trip
/// for many concurrent requests, and none for most requests when it leases units ahead.
///
/// The first request of a partner reserves at once; requests of the same partner that arrive while
/// a reservation is in flight wait in arrival order and go together into the next one
/// (`QuotaLedger.reserve(upTo:partner:limits:at:)`, through a `BatchCoalescer`): the first of them
/// get the units that are left, the rest are refused, exactly as if each had been reserved alone in
/// that order.
///
/// With a holder and `leaseUnits` > 0, a reservation also takes up to `leaseUnits` more units for
/// the process (a lease, `QuotaLeaseBook`), and the partner's next requests are handed those with
/// no database call until they run out. Leased units are taken from the counters like any others,
/// so a quota is never exceeded however many processes share it; leasing stops `leaseMargin` units
/// before a limit, so that the last units are reserved request by request. Units not handed out go
/// back (`returnLeases(idleFor:)`, `closeLeases()`, run by `QuotaHoldSweep`) when the partner's
/// lease has not been drawn on for a moment, when the quota period or the limits change (before the
/// first reservation under the new ones), and at shutdown; if the process dies, the sweep of another gives back whatever it still had in flight.
public final class QuotaCoalescer: Sendable {
    public let ledger: QuotaLedger
    /// Units leased ahead per reservation (0: none).
    public let leaseUnits: Int

    /// One request to admit: when it was made, and which request it is (for a unit counted in flight).
    private struct Admission: Sendable {
        let instant: Date
        let requestID: String?
    }

    private typealias Lane = QuotaLeaseBook.Lane

    private let batches: BatchCoalescer<Lane, Admission, QuotaDecision>
    /// Partners whose last reservation found a period used up, and when that period ends.
    private final class Exhausted: Sendable {
        let until = Mutex<[String: Date]>([:])
    }

    private let exhausted: Exhausted

    private final class Leases: Sendable {
        let book = Mutex(QuotaLeaseBook())
    }

    /// The leases, when the coalescer takes them (a holder and `leaseUnits` > 0).
    private let leases: Leases?

    /// - Parameters:
    ///   - maxBatch: most requests in one reservation.
    ///   - holder: the gateway process for which units are counted in flight until their requests'
    ///     meter events spend them (`QuotaLedger.reserve(holding:…)`), so that what a process that
    ///     dies mid-request had in flight comes back (`QuotaHoldSweep`); `nil`: not counted.
    ///   - leaseUnits: units to lease ahead with each reservation of a holder (0: none).
    public init(ledger: QuotaLedger, maxBatch: Int = 256, holder: String? = nil, leaseUnits: Int = 0) {
        precondition(leaseUnits >= 0, "leaseUnits must not be negative")
        self.ledger = ledger
        self.leaseUnits = holder == nil ? 0 : leaseUnits
        let exhausted = Exhausted()
        self.exhausted = exhausted
        let leases = holder != nil && leaseUnits > 0 ? Leases() : nil
        self.leases = leases
        batches = BatchCoalescer(maxBatch: maxBatch) { [leaseUnits] lane, admissions in
            let requestIDs = admissions.compactMap(\.requestID)
            guard let holder, requestIDs.count == admissions.count else {
                let grant = try await ledger.reserve(upTo: admissions.count, partner: lane.partnerID, limits: lane.limits, at: admissions[0].instant)
                exhausted.until.withLock { $0[lane.partnerID] = grant.exhaustion?.resetsAt }
                return admissions.indices.map(grant.decision(forUnit:))
            }
            // A lease may have come in while these waited: they draw on it first.
            let now = ContinuousClock.now
            let (drawn, isOpen) = leases?.book.withLock { book in
                (requestIDs.map { book.handOut(lane, to: $0, at: now).map(QuotaDecision.reserved) }, !book.isClosed)
            } ?? (Array(repeating: nil, count: requestIDs.count), false)
            var decisions = drawn
            let waiting = decisions.indices.filter { decisions[$0] == nil }
            guard !waiting.isEmpty else { return decisions.map { $0! } }
            // A lease of another lane (limits changed by a new contract version, or a new day) goes
            // back first: its unused units would otherwise count against the new limits.
            if let leases {
                try await Self.giveBack(leases.book.withLock { $0.takeRetired(of: lane.partnerID) }, ledger: ledger, to: leases)
            }
            let grant = try await ledger.reserve(
                holding: waiting.map { requestIDs[$0] }, for: holder, partner: lane.partnerID, limits: lane.limits,
                at: admissions[waiting[0]].instant, leasing: isOpen ? leaseUnits : 0, margin: Self.leaseMargin(leaseUnits: leaseUnits)
            )
            exhausted.until.withLock { $0[lane.partnerID] = grant.exhaustion?.resetsAt }
            if let leases, grant.leased > 0, let count = grant.count {
                let lease = QuotaLeaseBook.Lease(lane: lane, count: count, units: grant.leased, usage: grant.usageAfter)
                if !leases.book.withLock({ $0.add(lease, at: .now) }) {
                    // Closed while the reservation was in flight: the lease goes straight back.
                    try await Self.giveBack([lease], ledger: ledger, to: leases)
                }
            }
            for (unit, index) in waiting.enumerated() { decisions[index] = grant.decision(forUnit: unit) }
            return decisions.map { $0! }
        }
    }

    /// How far before a limit leasing stops: eight leases' worth. Within it every unit is reserved
    /// for its request, and no lease is taken, so the leases taken before it are drawn on or given
    /// back (idle) while the last units go request by request; a limit within it leases nothing.
    public static func leaseMargin(leaseUnits: Int) -> Int {
        8 * leaseUnits
    }

    /// Whether the partner's last reservation in this process found a quota used up that has not
    /// reset by `instant`: its next request is then likely refused, and a caller that would do the
    /// request's work while the unit is reserved (`QuotaMiddleware`) had better wait for the answer.
    public func lastFoundExhausted(partner: String, at instant: Date) -> Bool {
        exhausted.until.withLock { $0[partner].map { instant < $0 } ?? false }
    }

    /// Takes one unit of the partner's quotas for the periods that hold `instant` (China time),
    /// counted in flight for `requestID` when the coalescer has a holder: from the process's lease
    /// when it has one for those periods and limits, else by a reservation.
    public func reserve(partner: String, limits: QuotaLimits, at instant: Date, requestID: String? = nil) async throws -> QuotaDecision {
        let lane = Lane(partnerID: partner, day: QuotaPeriod.day.start(at: instant), month: QuotaPeriod.month.start(at: instant), limits: limits)
        if let leases, let requestID,
           let unit = leases.book.withLock({ $0.handOut(lane, to: requestID, at: .now) }) {
            return .reserved(unit)
        }
        return try await batches.submit(Admission(instant: instant, requestID: requestID), in: lane)
    }

    /// Units leased and not yet handed out (or given back).
    public var leasedUnitsOnHand: Int {
        leases?.book.withLock(\.unitsHeld) ?? 0
    }

    /// Units leased and not yet handed out (or given back), by partner; partners with none are left out.
    public var leasedUnitsByPartner: [String: Int] {
        leases?.book.withLock(\.unitsHeldByPartner) ?? [:]
    }

    /// Gives back the units of leases not drawn on for `idle`, and of leases retired (another quota
    /// period or other limits came); returns how many units came back. If the database cannot be
    /// reached, what is left is tried again at the next call and the error is thrown.
    @discardableResult
    public func returnLeases(idleFor idle: Duration) async throws -> Int {
        guard let leases else { return 0 }
        let cutoff = ContinuousClock.now - idle
        return try await Self.giveBack(leases.book.withLock { $0.takeReturns(idleSince: cutoff) }, ledger: ledger, to: leases)
    }

    /// Stops leasing and gives back every unit on hand (at shutdown, once no request is admitted
    /// any more); returns how many came back.
    @discardableResult
    public func closeLeases() async throws -> Int {
        guard let leases else { return 0 }
        return try await Self.giveBack(leases.book.withLock { $0.close() }, ledger: ledger, to: leases)
    }

    /// Drops the leases `unit`'s meter event showed lost (`MeterError.quotaUnitNotCounted`: a crash
    /// of the database lost the reservation), so that no more requests are handed their units.
    public func forgetLeases(after unit: QuotaReservation) {
        leases?.book.withLock { $0.forget(after: unit) }
    }

    /// Gives back `returning`'s units; on an error puts what is left back on the book and throws.
    @discardableResult
    private static func giveBack(_ returning: [QuotaLeaseBook.Lease], ledger: QuotaLedger, to leases: Leases) async throws -> Int {
        var returned = 0
        for (index, lease) in returning.enumerated() {
            do {
                returned += try await ledger.returnLease(lease, units: lease.units)
            } catch {
                leases.book.withLock { $0.returnFailed(Array(returning[index...])) }
                throw error
            }
        }
        return returned
    }
}
