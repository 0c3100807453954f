import BrokerCore

/// The outcome of `QuotaLedger.reserve(upTo:partner:limits:at:)`: the first `granted` of the
/// `requested` units were taken, the others refused.
public struct QuotaGrant: Sendable, Hashable {
    public let partnerID: String
    public let requested: Int
    public let granted: Int
    public let day: CivilDate
    public let month: CivilDate
    /// Usage in the two periods after the grant.
    public let usageAfter: QuotaUsage
    /// The period that ran out, when fewer units than requested were granted.
    public let exhaustion: QuotaDecision.Exhaustion?
    /// The requests the units are in flight for, in order (`QuotaLedger.reserve(holding:…)`); empty
    /// for units reserved without.
    public var requestIDs: [String] = []
    /// The process's count the units are in, with `requestIDs`.
    public var count: QuotaReservation.Count? = nil
    /// Units taken beyond the requests' for the process's lease, in `count`
    /// (`QuotaLedger.reserve(holding:for:…leasing:margin:)`); `usageAfter` leaves them out.
    public var leased: Int = 0

    /// The decision for the unit at `index` (from 0), as if each unit had been reserved alone, in order.
    public func decision(forUnit index: Int) -> QuotaDecision {
        precondition((0..<requested).contains(index), "unit \(index) of \(requested) requested")
        guard index < granted else {
            guard let exhaustion else { preconditionFailure("\(granted) of \(requested) granted without an exhausted period") }
            return .exhausted(exhaustion)
        }
        let before = granted - index
        return .reserved(QuotaReservation(
            partnerID: partnerID, units: 1, day: day, month: month,
            usageBefore: QuotaUsage(today: usageAfter.today - before, thisMonth: usageAfter.thisMonth - before),
            inFlight: requestIDs.isEmpty ? nil : count.map { .init(requestID: requestIDs[index], count: $0) }
        ))
    }
}
