import BrokerCore
import Foundation
import Metering
import PostgresClient
import Testing

@Suite struct QuotaLedgerTests {
    /// Fifty tasks over two pools (two gateway processes) reserve until refused.
    private func contend(limits: QuotaLimits, label: String = #function) async throws -> (granted: Int, refusals: [QuotaPeriod], ledger: QuotaLedger, pools: [PostgresPool]) {
        let database = try await MeteringFixtures.database(label)
        // Twenty-five tasks queue for each pool's four connections, behind one row lock: on a loaded
        // machine a turn can take longer than the default 10 s wait, and exactness is the point here.
        let pools = (0..<2).map { _ in PostgresPool(.init(connection: database, maxConnections: 4, acquireTimeout: .seconds(120))) }
        let now = Date()
        let results = try await withThrowingTaskGroup(of: (Int, QuotaPeriod?).self) { group in
            for task in 0..<50 {
                let ledger = QuotaLedger(pool: pools[task % 2])
                group.addTask {
                    var granted = 0
                    while true {
                        switch try await ledger.reserve(partner: "agency-7", limits: limits, at: now) {
                        case .reserved: granted += 1
                        case .exhausted(let exhaustion): return (granted, exhaustion.period)
                        }
                    }
                }
            }
            return try await group.reduce(into: [(Int, QuotaPeriod?)]()) { $0.append($1) }
        }
        return (results.map { $0.0 }.reduce(0, +), results.compactMap { $0.1 }, QuotaLedger(pool: pools[0]), pools)
    }

    @Test func twoProcessesNeverGrantOverTheDailyQuota() async throws {
        let (granted, refusals, ledger, pools) = try await contend(limits: QuotaLimits(perDay: 1_000, perMonth: 50_000))
        #expect(granted == 1_000)
        #expect(refusals == Array(repeating: .day, count: 50))
        #expect(try await ledger.usage(partner: "agency-7", at: Date()) == QuotaUsage(today: 1_000, thisMonth: 1_000))
        for pool in pools { await pool.close() }
    }

    @Test func twoProcessesNeverGrantOverTheMonthlyQuota() async throws {
        let (granted, refusals, ledger, pools) = try await contend(limits: QuotaLimits(perDay: nil, perMonth: 300))
        #expect(granted == 300)
        #expect(refusals == Array(repeating: .month, count: 50))
        // Refused month reservations left the day counter as it was.
        #expect(try await ledger.usage(partner: "agency-7", at: Date()) == QuotaUsage(today: 300, thisMonth: 300))
        for pool in pools { await pool.close() }
    }

    @Test func releaseGivesTheUnitBack() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let limits = QuotaLimits(perDay: 2, perMonth: nil)
        let now = Date()
        guard case .reserved(let first) = try await ledger.reserve(partner: "p", limits: limits, at: now),
              case .reserved(let second) = try await ledger.reserve(partner: "p", limits: limits, at: now)
        else { Issue.record("two reservations within the quota were refused"); return }
        #expect(first.usageBefore == QuotaUsage(today: 0, thisMonth: 0))
        #expect(second.usageBefore == QuotaUsage(today: 1, thisMonth: 1))
        guard case .exhausted = try await ledger.reserve(partner: "p", limits: limits, at: now) else {
            Issue.record("a third reservation over a quota of 2 was granted"); return
        }
        try await ledger.release(second)
        #expect(try await ledger.usage(partner: "p", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        guard case .reserved = try await ledger.reserve(partner: "p", limits: limits, at: now) else {
            Issue.record("the released unit was not given back"); return
        }
        // Another partner's counters are its own.
        guard case .reserved = try await ledger.reserve(partner: "q", limits: limits, at: now) else {
            Issue.record("one partner's usage counted against another"); return
        }
        await pool.close()
    }

    /// Releases lock the day row before the month row like every reservation, so concurrent
    /// reservations (single and coalesced) and releases on two pools never deadlock.
    @Test func concurrentReservationsAndReleasesNeverDeadlock() async throws {
        let database = try await MeteringFixtures.database()
        // Twenty-five tasks queue for each pool's four connections, behind one row lock: on a loaded
        // machine a turn can take longer than the default 10 s wait, and exactness is the point here.
        let pools = (0..<2).map { _ in PostgresPool(.init(connection: database, maxConnections: 4, acquireTimeout: .seconds(120))) }
        let limits = QuotaLimits(perDay: 1_000, perMonth: 5_000)
        let now = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<24 {
                let ledger = QuotaLedger(pool: pools[task % 2])
                let coalescer = QuotaCoalescer(ledger: ledger)
                group.addTask {
                    for round in 0..<15 {
                        let decision = round % 2 == 0
                            ? try await ledger.reserve(partner: "p", limits: limits, at: now)
                            : try await coalescer.reserve(partner: "p", limits: limits, at: now)
                        guard case .reserved(let reservation) = decision else { throw MeteringInputError(field: "test", reason: "refused") }
                        try await ledger.release(reservation)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await QuotaLedger(pool: pools[0]).usage(partner: "p", at: now) == QuotaUsage(today: 0, thisMonth: 0))
        for pool in pools { await pool.close() }
    }

    @Test func daysTurnAtMidnightChinaTime() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let limits = QuotaLimits(perDay: 1, perMonth: nil)
        // 23:59:59 on 10 May in China is 15:59:59 UTC; midnight of 11 May is 16:00 UTC on 10 May.
        let lastSecond = MeteringFixtures.instant("2026-05-10T15:59:59Z")
        let midnight = MeteringFixtures.instant("2026-05-10T16:00:00Z")
        guard case .reserved = try await ledger.reserve(partner: "p", limits: limits, at: lastSecond) else {
            Issue.record("the day's first reservation was refused"); return
        }
        guard case .exhausted(let exhaustion) = try await ledger.reserve(partner: "p", limits: limits, at: lastSecond.addingTimeInterval(0.9)) else {
            Issue.record("a second reservation on a quota of 1 was granted"); return
        }
        #expect(exhaustion.period == .day && exhaustion.limit == 1)
        #expect(exhaustion.nextPeriodStarts == CivilDate(year: 2026, month: 5, day: 11))
        #expect(exhaustion.resetsAt == midnight)
        guard case .reserved(let next) = try await ledger.reserve(partner: "p", limits: limits, at: midnight) else {
            Issue.record("the new China day did not start at 16:00 UTC"); return
        }
        #expect(next.day == CivilDate(year: 2026, month: 5, day: 11))
        #expect(next.usageBefore == QuotaUsage(today: 0, thisMonth: 1))
        await pool.close()
    }

    @Test func monthsTurnAtMidnightChinaTime() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let limits = QuotaLimits(perDay: 10, perMonth: 2)
        for instant in ["2026-03-01T00:00:00Z", "2026-03-31T15:59:59Z"] {
            guard case .reserved = try await ledger.reserve(partner: "p", limits: limits, at: MeteringFixtures.instant(instant)) else {
                Issue.record("a reservation within March's quota was refused"); return
            }
        }
        // Still 31 March in UTC, but 1 April in China: a new month.
        let aprilInChina = MeteringFixtures.instant("2026-03-31T16:00:00Z")
        guard case .exhausted(let exhaustion) = try await ledger.reserve(partner: "p", limits: limits, at: aprilInChina.addingTimeInterval(-0.5)) else {
            Issue.record("a third reservation in March was granted"); return
        }
        #expect(exhaustion.period == .month)
        #expect(exhaustion.nextPeriodStarts == CivilDate(year: 2026, month: 4, day: 1))
        #expect(exhaustion.resetsAt == aprilInChina)
        guard case .reserved(let april) = try await ledger.reserve(partner: "p", limits: limits, at: aprilInChina) else {
            Issue.record("April (China time) did not start a new month"); return
        }
        #expect(april.month == CivilDate(year: 2026, month: 4, day: 1))
        #expect(april.usageBefore == QuotaUsage(today: 0, thisMonth: 0))
        await pool.close()
    }

    @Test func requestLargerThanTheQuotaIsRefusedWithoutCounting() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        guard case .exhausted(let exhaustion) = try await ledger.reserve(partner: "p", units: 6, limits: QuotaLimits(perDay: 5, perMonth: nil), at: Date()) else {
            Issue.record("6 units were granted on a quota of 5"); return
        }
        #expect(exhaustion.period == .day)
        #expect(try await ledger.usage(partner: "p", at: Date()) == QuotaUsage(today: 0, thisMonth: 0))
        await #expect(throws: MeteringInputError.self) { try await ledger.reserve(partner: "p", units: 0, limits: QuotaLimits(perDay: 5, perMonth: nil), at: Date()) }
        await pool.close()
    }
}
