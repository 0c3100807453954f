import BrokerCore

/// Units taken from a partner's day and month quotas; `QuotaLedger.release` gives them back.
public struct QuotaReservation: Sendable, Hashable {
    public let partnerID: String
    public let units: Int
    public let day: CivilDate
    public let month: CivilDate
    /// Usage in the two periods before this reservation (what the decision engine takes).
    public let usageBefore: QuotaUsage
    /// The request the unit is held for (`quota_holds`), when it was reserved with one
    /// (`QuotaCoalescer` with a holder): its meter event spends it, its release gives it back.
    public var requestID: String? = nil

    /// Usage in the two periods with this reservation.
    public var usageAfter: QuotaUsage {
        QuotaUsage(today: usageBefore.today + units, thisMonth: usageBefore.thisMonth + units)
    }
}
