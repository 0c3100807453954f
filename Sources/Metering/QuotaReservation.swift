import BrokerCore

/// Units taken from a partner's day and month quotas; `QuotaLedger.release` gives them back.
public struct QuotaReservation: Sendable, Hashable {
    public let partnerID: String
    public let units: Int
    public let day: CivilDate
    public let month: CivilDate
    /// Usage in the two periods before this reservation (what the decision engine takes).
    public let usageBefore: QuotaUsage
    /// The request and the gateway process the unit is in flight for (`quota_inflight`), when it
    /// was reserved so (`QuotaCoalescer` with a holder): the request's meter event spends it
    /// (`MeterWriter.record(_:completing:spending:)`), its release gives it back.
    public var inFlight: InFlight? = nil

    /// A unit counted in flight until `requestID`'s meter event spends it, in `count`.
    public struct InFlight: Sendable, Hashable {
        public let requestID: String
        public let count: Count

        public init(requestID: String, count: Count) {
            self.requestID = requestID
            self.count = count
        }
    }

    /// The count of a gateway process that one reservation's units are in (`quota_inflight`).
    public struct Count: Sendable, Hashable {
        public let holder: String
        /// A count the sweep has ended is not the next one of the same periods.
        public let generation: Int
        /// The PostgreSQL server start (µs since the epoch) the count was made under, and the
        /// reservation's number in it: a crash may lose a reservation (it commits asynchronously),
        /// and a count that never reached the number says it did.
        public let serverStarted: Int
        public let reservation: Int

        public init(holder: String, generation: Int, serverStarted: Int, reservation: Int) {
            self.holder = holder
            self.generation = generation
            self.serverStarted = serverStarted
            self.reservation = reservation
        }
    }

    /// The request the unit is in flight for, if any.
    public var requestID: String? { inFlight?.requestID }

    /// Usage in the two periods with this reservation.
    public var usageAfter: QuotaUsage {
        QuotaUsage(today: usageBefore.today + units, thisMonth: usageBefore.thisMonth + units)
    }
}
