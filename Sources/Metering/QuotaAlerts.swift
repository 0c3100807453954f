import BrokerCore
import BrokerStore
import Foundation
import Logging
import Synchronization

/// Tells a partner when its use of a daily or monthly quota reaches 80 % and 100 % of the limit:
/// a `quota_threshold` alert in its alerts feed, once per period and threshold across every gateway
/// process (`QuotaAlertStore`: a unique key in the database says "once", not this process).
///
/// Called after a request's unit is spent (its meter event committed) with the use that unit
/// brought, and with the limit itself when a request is refused over quota, so an alert whose
/// raising failed (the merge lock busy, the database away) is raised by a later request.
public final class QuotaAlerts: Sendable {
    /// Percent of the limit.
    public static let thresholds = [80, 100]

    private struct Key: Hashable {
        let partner: String
        let period: QuotaPeriod
        let start: CivilDate
        let threshold: Int
    }

    private let store: QuotaAlertStore
    private let logger: Logger
    /// Alerts this process knows are raised: a shortcut past the database, never the record.
    private let raised = Mutex<Set<Key>>([])

    public init(store: QuotaAlertStore, logger: Logger = Logger(label: "credit-broker.quota-alerts")) {
        self.store = store
        self.logger = logger
    }

    /// The use at which `threshold` percent of `limit` is reached (rounded up: 80 % of 10 is the 8th unit).
    public static func crossing(_ threshold: Int, of limit: Int) -> Int {
        (limit * threshold + 99) / 100
    }

    /// Raises every alert the partner's use at `instant` has reached and that is not raised yet.
    /// Never throws: a failure is logged, and the next request reaching the threshold tries again.
    public func check(partner: String, limits: QuotaLimits, usage: QuotaUsage, at instant: Date) async {
        let periods: [(QuotaPeriod, Int?, Int)] = [(.day, limits.perDay, usage.today), (.month, limits.perMonth, usage.thisMonth)]
        for (period, limit, used) in periods {
            guard let limit, limit > 0 else { continue }
            for threshold in Self.thresholds where used >= Self.crossing(threshold, of: limit) {
                let key = Key(partner: partner, period: period, start: period.start(at: instant), threshold: threshold)
                guard !raised.withLock({ $0.contains(key) }) else { continue }
                do {
                    try await store.raise(
                        partner: partner, period: period.rawValue, periodStart: key.start, threshold: threshold, limit: limit,
                        used: min(used, limit), on: CivilDate(instant)
                    )
                    remember(key, at: instant)
                } catch {
                    logger.warning("quota alert not raised yet", metadata: [
                        "partner": "\(partner)", "period": "\(period.rawValue)", "threshold": "\(threshold)",
                        "error": "\(String(reflecting: type(of: error)))",
                    ])
                }
            }
        }
    }

    /// The partner was refused over quota in `period`: its use is at the limit.
    public func exhausted(partner: String, period: QuotaPeriod, limit: Int, at instant: Date) async {
        let usage = period == .day ? QuotaUsage(today: limit, thisMonth: 0) : QuotaUsage(today: 0, thisMonth: limit)
        let limits = period == .day ? QuotaLimits(perDay: limit, perMonth: nil) : QuotaLimits(perDay: nil, perMonth: limit)
        await check(partner: partner, limits: limits, usage: usage, at: instant)
    }

    private func remember(_ key: Key, at instant: Date) {
        raised.withLock { raised in
            // Past periods' keys go once there are many: their alerts can no longer be reached.
            if raised.count >= 4_096 {
                let month = QuotaPeriod.month.start(at: instant)
                raised = raised.filter { $0.start >= month }
            }
            raised.insert(key)
        }
    }
}
