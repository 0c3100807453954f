import BrokerCore

/// The quota units a gateway process reserved ahead of its requests (its leases), per partner:
/// which request gets which unit, and which units go back to the counters.
///
/// No I/O: `QuotaCoalescer` feeds it what the database granted and gives back what it hands over
/// (`QuotaLedger.returnLease`); tests feed it events. A lease's units are counted in flight for the
/// process (`quota_inflight`, m0105): a unit handed to a request is spent by that request's meter
/// event as a unit reserved for it alone would be; a unit never handed out goes back when the
/// partner's lease has not been drawn on for a moment, when a request comes under another lane (a
/// new quota day or month, or changed limits), and when the book closes at shutdown.
public struct QuotaLeaseBook: Sendable {
    /// What a lease's units were reserved under: the partner, the quota periods and the limits.
    public struct Lane: Hashable, Sendable {
        public let partnerID: String
        public let day: CivilDate
        public let month: CivilDate
        public let limits: QuotaLimits

        public init(partnerID: String, day: CivilDate, month: CivilDate, limits: QuotaLimits) {
            self.partnerID = partnerID
            self.day = day
            self.month = month
            self.limits = limits
        }
    }

    /// The units of one reservation not yet handed out.
    public struct Lease: Sendable, Hashable {
        public let lane: Lane
        /// The process's count and the reservation's number in it, which each unit names.
        public let count: QuotaReservation.Count
        public var units: Int
        /// The partner's usage as the next unit's request sees it: the counters after the
        /// reservation less the units leased, plus the units handed out since.
        public var usage: QuotaUsage

        public init(lane: Lane, count: QuotaReservation.Count, units: Int, usage: QuotaUsage) {
            self.lane = lane
            self.count = count
            self.units = units
            self.usage = usage
        }

        public var partnerID: String { lane.partnerID }
        public var day: CivilDate { lane.day }
        public var month: CivilDate { lane.month }
    }

    /// A partner's leases, of one lane, never empty (a partner without a unit on hand has none).
    private struct Held {
        var leases: [Lease]
        var lastDrawn: ContinuousClock.Instant
        var lane: Lane { leases[0].lane }
        var units: Int { leases.reduce(0) { $0 + $1.units } }

        /// Takes one unit of the first lease, in place; returns that lease as it was.
        mutating func draw(at now: ContinuousClock.Instant) -> Lease {
            let lease = leases[0]
            if lease.units > 1 {
                leases[0].units -= 1
                leases[0].usage = QuotaUsage(today: lease.usage.today + 1, thisMonth: lease.usage.thisMonth + 1)
            } else {
                leases.removeFirst()
            }
            lastDrawn = now
            return lease
        }
    }

    private var held: [String: Held] = [:]
    /// Leases taken off the book whose units are to be given back.
    private var returning: [Lease] = []
    /// Once closed, nothing is added or handed out.
    public private(set) var isClosed = false

    public init() {}

    /// Units on hand for `lane`.
    public func unitsOnHand(_ lane: Lane) -> Int {
        guard let entry = held[lane.partnerID], entry.lane == lane else { return 0 }
        return entry.units
    }

    /// Units on the book by partner, handed out to nobody yet, including those waiting to be given back.
    public var unitsHeldByPartner: [String: Int] {
        var units = held.mapValues(\.units)
        for lease in returning { units[lease.partnerID, default: 0] += lease.units }
        return units.filter { $0.value > 0 }
    }

    /// Units on the book, handed out to nobody yet, including those waiting to be given back.
    public var unitsHeld: Int { unitsHeldByPartner.values.reduce(0, +) }

    /// Hands one unit of the partner's lease for `lane` to `requestID`; `nil` if there is none. A
    /// lease of the partner under another lane is retired (to be given back) instead.
    public mutating func handOut(_ lane: Lane, to requestID: String, at now: ContinuousClock.Instant) -> QuotaReservation? {
        guard !isClosed, let heldLane = held[lane.partnerID]?.lane else { return nil }
        guard heldLane == lane else {
            retire(lane.partnerID)
            return nil
        }
        let partner = lane.partnerID
        let lease = held[partner]!.draw(at: now)
        if held[partner]!.leases.isEmpty { held[partner] = nil }
        return QuotaReservation(
            partnerID: partner, units: 1, day: lane.day, month: lane.month, usageBefore: lease.usage,
            inFlight: .init(requestID: requestID, count: lease.count)
        )
    }

    /// Puts a lease just granted on the book; `false` if the book is closed (the caller gives its
    /// units back at once). A lease of the partner under another lane is retired.
    public mutating func add(_ lease: Lease, at now: ContinuousClock.Instant) -> Bool {
        guard !isClosed else { return false }
        guard lease.units > 0 else { return true }
        if held[lease.partnerID]?.lane == lease.lane {
            held[lease.partnerID]!.leases.append(lease)
            held[lease.partnerID]!.lastDrawn = now
            return true
        }
        retire(lease.partnerID)
        held[lease.partnerID] = Held(leases: [lease], lastDrawn: now)
        return true
    }

    /// Takes off the book the leases not drawn on since `cutoff` and those retired: their units are
    /// to be given back (`returnFailed` puts back those that could not be).
    public mutating func takeReturns(idleSince cutoff: ContinuousClock.Instant) -> [Lease] {
        for (partner, entry) in held where entry.lastDrawn <= cutoff { retire(partner) }
        return takeReturning()
    }

    /// Takes off the book the partner's retired leases (of another lane than the one it now asks
    /// under): the caller gives them back before it reserves under the new lane, so that units
    /// reserved under old limits do not count against new ones.
    public mutating func takeRetired(of partner: String) -> [Lease] {
        let retired = returning.filter { $0.partnerID == partner }
        returning.removeAll { $0.partnerID == partner }
        return retired
    }

    /// Closes the book (nothing more is added or handed out) and takes every lease off it.
    public mutating func close() -> [Lease] {
        isClosed = true
        for partner in Array(held.keys) { retire(partner) }
        return takeReturning()
    }

    /// Leases whose units could not be given back (the database was unreachable), to try again.
    public mutating func returnFailed(_ leases: [Lease]) {
        returning += leases.filter { $0.units > 0 }
    }

    /// Forgets the leases whose units the meter no longer counts: `unit`'s reservation and any later
    /// one of its count were lost (a crash of the database since; the meter refused its event). Their
    /// units are neither handed out nor given back; earlier reservations of the count stay.
    public mutating func forget(after unit: QuotaReservation) {
        guard let lost = unit.inFlight?.count else { return }
        func isLost(_ lease: Lease) -> Bool {
            lease.partnerID == unit.partnerID && lease.count.holder == lost.holder && lease.count.generation == lost.generation
                && lease.count.serverStarted == lost.serverStarted && lease.count.reservation >= lost.reservation
        }
        returning.removeAll(where: isLost)
        held[unit.partnerID]?.leases.removeAll(where: isLost)
        if held[unit.partnerID]?.leases.isEmpty == true { held[unit.partnerID] = nil }
    }

    private mutating func retire(_ partner: String) {
        guard let entry = held.removeValue(forKey: partner) else { return }
        returning += entry.leases
    }

    private mutating func takeReturning() -> [Lease] {
        defer { returning = [] }
        return returning
    }
}
