import BrokerCore
import Foundation

/// The outcome of `QuotaLedger.reserve`.
public enum QuotaDecision: Sendable, Hashable {
    /// A period's quota is used up: which one and when it resets.
    public struct Exhaustion: Sendable, Hashable {
        public let period: QuotaPeriod
        public let limit: Int
        /// The first day of the next period (China time), for `Unlock.nextQuotaPeriod`.
        public let nextPeriodStarts: CivilDate
        /// The instant the next period starts (for `Retry-After`).
        public var resetsAt: Date { nextPeriodStarts.start() }
    }

    case reserved(QuotaReservation)
    case exhausted(Exhaustion)
}
