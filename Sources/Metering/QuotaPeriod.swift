import BrokerCore
import Foundation

/// A quota period, in China time (UTC+8): the day or the month an instant falls in.
public enum QuotaPeriod: String, Sendable, Hashable, Codable {
    case day
    case month

    /// The first day of the period that holds `instant`.
    public func start(at instant: Date) -> CivilDate {
        let day = CivilDate(instant)
        switch self {
        case .day:
            return day
        case .month:
            let (year, month, _) = day.components
            return CivilDate(year: year, month: month, day: 1)!
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
