import BrokerCore
import Foundation

/// A quota period, in China time (UTC+8): the day or the month an instant falls in.
public enum QuotaPeriod: String, Sendable, Hashable, Codable {
    case day
    case month

    /// The first day of the period that holds `instant`.
    public func start(at instant: Date) -> CivilDate {
        switch self {
        case .day: CivilDate(instant)
        case .month: CivilMonth(containing: instant).firstDay
        }
    }

    /// The first day of the next period after the one that holds `instant`.
    public func nextStart(at instant: Date) -> CivilDate {
        switch self {
        case .day: CivilDate(instant).adding(days: 1)
        case .month: CivilDate(instant).firstDayOfNextMonth
        }
    }
}
