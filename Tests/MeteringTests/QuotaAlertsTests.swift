import BrokerCore
import BrokerStore
import Foundation
import Metering
import PostgresClient
import Testing

/// 80 % and 100 % quota alerts: once per partner, period and threshold, whatever the number of
/// gateway processes that see the crossing, and in the partner's alerts feed in order.
@Suite struct QuotaAlertsTests {
    @Test func theCrossingIsTheUnitThatReachesThePercentRoundedUp() {
        #expect(QuotaAlerts.crossing(80, of: 10) == 8 && QuotaAlerts.crossing(100, of: 10) == 10)
        #expect(QuotaAlerts.crossing(80, of: 1) == 1 && QuotaAlerts.crossing(80, of: 7) == 6)
        #expect(QuotaAlerts.crossing(80, of: Int(Int32.max)) == 1_717_986_918)
    }

    @Test func manyRequestsInTwoProcessesRaiseEachAlertOnceInTheFeed() async throws {
        let database = try await MeteringFixtures.database()
        // Two processes: each its own pool and its own QuotaAlerts (its own memory of what it raised).
        let pools = (0..<2).map { _ in PostgresPool(.init(connection: database, maxConnections: 4, acquireTimeout: .seconds(60))) }
        let alerts = pools.map { QuotaAlerts(store: QuotaAlertStore(pool: $0)) }
        let now = Instant.parse("2026-12-30T10:00:00+08:00")!
        let limits = QuotaLimits(perDay: 10, perMonth: 50)
        // Units 1…12 of the day spent by 24 requests at once, each seen by both processes.
        await withTaskGroup(of: Void.self) { group in
            for unit in 1...12 {
                for process in alerts {
                    group.addTask {
                        await process.check(partner: "agency.a", limits: limits, usage: QuotaUsage(today: unit, thisMonth: unit + 35), at: now)
                    }
                }
            }
        }
        // The next day's use raises the day's alerts again, for that day; the month's stay raised.
        await alerts[1].check(partner: "agency.a", limits: limits, usage: QuotaUsage(today: 9, thisMonth: 52), at: now.addingTimeInterval(86_400))
        await alerts[0].exhausted(partner: "agency.b", period: .month, limit: 50, at: now)

        let raised = try await QuotaAlertStore(pool: pools[0]).alerts(partner: nil, since: 0, limit: 100)
        let keys = raised.map { "\($0.partnerID) \($0.period) \($0.periodStart) \($0.threshold)" }
        #expect(keys.sorted() == [
            "agency.a day 2026-12-30 100", "agency.a day 2026-12-30 80", "agency.a day 2026-12-31 80",
            "agency.a month 2026-12-01 100", "agency.a month 2026-12-01 80",
            "agency.b month 2026-12-01 100", "agency.b month 2026-12-01 80",
        ])
        #expect(raised.allSatisfy { $0.used <= $0.limit && $0.used >= QuotaAlerts.crossing($0.threshold, of: $0.limit) })
        // The same alerts are the partner's feed entries, in the feed's order.
        let feed = try await WatchlistStore(pool: pools[1]).alerts(partnerID: "agency.a", since: 0, items: [], listingItems: [], limit: 100)
        #expect(feed.count == 5 && feed.allSatisfy { $0.change == .quotaThreshold && $0.subject == nil && $0.quota != nil })
        #expect(feed.map(\.changeSeq) == feed.map(\.changeSeq).sorted())
        #expect(try await QuotaAlertStore(pool: pools[0]).raise(
            partner: "agency.a", period: "day", periodStart: CivilDate("2026-12-30")!, threshold: 80, limit: 10, used: 8, on: CivilDate("2026-12-30")!
        ) == false)
        for pool in pools { await pool.close() }
    }
}
