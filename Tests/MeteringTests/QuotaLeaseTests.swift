import BrokerCore
import Foundation
import Logging
import Metering
import PostgresClient
import ServiceLifecycle
import Testing

/// Quota leases (m0105): the book that hands out a process's leased units (fed events, no
/// database), the ledger's lease reservation and return, and the coalescer that puts them together,
/// exact across processes.
@Suite struct QuotaLeaseTests {
    static let day = CivilDate(year: 2026, month: 12, day: 7)!
    static let month = CivilDate(year: 2026, month: 12, day: 1)!
    static let limits = QuotaLimits(perDay: 1_000, perMonth: nil)
    static let lane = QuotaLeaseBook.Lane(partnerID: "bank-a", day: day, month: month, limits: limits)

    static func count(_ reservation: Int, generation: Int = 1) -> QuotaReservation.Count {
        .init(holder: "process-a", generation: generation, serverStarted: 42, reservation: reservation)
    }

    // MARK: The book, fed events

    @Test func theBookHandsOutALeaseUnitByUnitInOrder() {
        var book = QuotaLeaseBook()
        let now = ContinuousClock.now
        let unit1 = book.handOut(Self.lane, to: "r-0", at: now)
        #expect(unit1 == nil, "nothing leased yet")
        let added1 = book.add(.init(lane: Self.lane, count: Self.count(1), units: 2, usage: QuotaUsage(today: 5, thisMonth: 9)), at: now)
        #expect(added1)
        let added2 = book.add(.init(lane: Self.lane, count: Self.count(2), units: 1, usage: QuotaUsage(today: 8, thisMonth: 12)), at: now)
        #expect(added2)
        #expect(book.unitsOnHand(Self.lane) == 3)
        let units = (1...3).compactMap { book.handOut(Self.lane, to: "r-\($0)", at: now) }
        #expect(units.map(\.requestID) == ["r-1", "r-2", "r-3"])
        #expect(units.map { $0.inFlight?.count.reservation } == [1, 1, 2], "each unit names the reservation that leased it")
        #expect(units.map(\.usageBefore.today) == [5, 6, 8])
        #expect(units.map(\.usageAfter.thisMonth) == [10, 11, 13])
        #expect(units.allSatisfy { $0.units == 1 && $0.partnerID == "bank-a" && $0.day == Self.day })
        let unit2 = book.handOut(Self.lane, to: "r-4", at: now)
        #expect(unit2 == nil, "the lease is used up")
        #expect(book.unitsHeld == 0)
        let returned1 = book.takeReturns(idleSince: now + .seconds(60))
        #expect(returned1.isEmpty, "nothing is left to give back")
    }

    @Test func anotherDayOrOtherLimitsRetireTheLeaseToBeGivenBack() {
        var book = QuotaLeaseBook()
        let now = ContinuousClock.now
        let added3 = book.add(.init(lane: Self.lane, count: Self.count(1), units: 5, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added3)
        let nextDay = QuotaLeaseBook.Lane(partnerID: "bank-a", day: Self.day.adding(days: 1), month: Self.month, limits: Self.limits)
        let unit3 = book.handOut(nextDay, to: "r-1", at: now)
        #expect(unit3 == nil, "a unit of yesterday's lease is not today's")
        #expect(book.unitsOnHand(Self.lane) == 0)
        let unit4 = book.handOut(Self.lane, to: "r-2", at: now)
        #expect(unit4 == nil, "the retired lease hands out nothing more")
        let returned2 = book.takeReturns(idleSince: now - .seconds(60))
        #expect(returned2.map(\.units) == [5], "retired leases go back at once, idle or not")

        let added4 = book.add(.init(lane: Self.lane, count: Self.count(2), units: 3, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added4)
        let lowered = QuotaLeaseBook.Lane(partnerID: "bank-a", day: Self.day, month: Self.month, limits: QuotaLimits(perDay: 10, perMonth: nil))
        let added5 = book.add(.init(lane: lowered, count: Self.count(3), units: 1, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added5)
        #expect(book.unitsOnHand(lowered) == 1)
        let returned3 = book.takeReturns(idleSince: now - .seconds(60))
        #expect(returned3.map(\.count.reservation) == [2], "the lease under the old limits goes back")
    }

    @Test func leasesNotDrawnOnGoBackAndOthersStay() {
        var book = QuotaLeaseBook()
        let start = ContinuousClock.now
        let other = QuotaLeaseBook.Lane(partnerID: "agency-b", day: Self.day, month: Self.month, limits: Self.limits)
        let added6 = book.add(.init(lane: Self.lane, count: Self.count(1), units: 4, usage: QuotaUsage(today: 0, thisMonth: 0)), at: start)
        #expect(added6)
        let added7 = book.add(.init(lane: other, count: Self.count(1), units: 4, usage: QuotaUsage(today: 0, thisMonth: 0)), at: start)
        #expect(added7)
        let unit5 = book.handOut(other, to: "r-1", at: start + .seconds(2))
        #expect(unit5 != nil)
        let returned = book.takeReturns(idleSince: start + .seconds(1))
        #expect(returned.map(\.partnerID) == ["bank-a"])
        #expect(returned.map(\.units) == [4])
        #expect(book.unitsOnHand(other) == 3)
        // A return that failed is tried again at the next pass.
        book.returnFailed(returned)
        #expect(book.unitsHeld == 7)
        let returned4 = book.takeReturns(idleSince: start)
        #expect(returned4.map(\.units) == [4])
    }

    @Test func aClosedBookGivesEverythingBackAndTakesNothingMore() {
        var book = QuotaLeaseBook()
        let now = ContinuousClock.now
        let added8 = book.add(.init(lane: Self.lane, count: Self.count(1), units: 4, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added8)
        let closed1 = book.close()
        #expect(closed1.map(\.units) == [4])
        #expect(book.isClosed)
        let added9 = book.add(.init(lane: Self.lane, count: Self.count(2), units: 4, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(!added9)
        let unit6 = book.handOut(Self.lane, to: "r-1", at: now)
        #expect(unit6 == nil)
        #expect(book.unitsHeld == 0)
    }

    @Test func aLostReservationTakesItsLeaseAndLaterOnesOfTheCountButNotEarlierOnes() {
        var book = QuotaLeaseBook()
        let now = ContinuousClock.now
        let added10 = book.add(.init(lane: Self.lane, count: Self.count(1), units: 1, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added10)
        let added11 = book.add(.init(lane: Self.lane, count: Self.count(2), units: 2, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added11)
        let added12 = book.add(.init(lane: Self.lane, count: Self.count(3), units: 2, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added12)
        let first = book.handOut(Self.lane, to: "r-1", at: now)!
        let second = book.handOut(Self.lane, to: "r-2", at: now)!
        #expect(first.inFlight?.count.reservation == 1)
        #expect(second.inFlight?.count.reservation == 2)
        book.forget(after: second)
        #expect(book.unitsOnHand(Self.lane) == 0, "reservations 2 and 3 were lost with it")
        let returned5 = book.takeReturns(idleSince: now + .seconds(1))
        #expect(returned5.isEmpty, "a lost reservation has nothing to give back")
        // Another count (a new generation) is not touched.
        let added13 = book.add(.init(lane: Self.lane, count: Self.count(5, generation: 2), units: 1, usage: QuotaUsage(today: 0, thisMonth: 0)), at: now)
        #expect(added13)
        book.forget(after: first)
        #expect(book.unitsOnHand(Self.lane) == 1)
    }

    // MARK: The ledger, on PostgreSQL

    /// The counters' `used` for the partner's day.
    /// `QuotaHoldSweep` as the broker runs it, a service of a group: while it runs, its own clock
    /// gives back a lease not drawn on for `leaseIdle`; at graceful shutdown it gives back every
    /// lease still held and returns (its clock, a child task, ends with it).
    @Test func theRunningSweepGivesBackIdleLeasesThenEveryLeaseAtShutdown() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let logger = Logger(label: "test")
        let now = Date()
        func run(_ sweep: QuotaHoldSweep, _ body: (ServiceGroup) async throws -> Void) async throws {
            let group = ServiceGroup(services: [sweep], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await body(group)
                try await tasks.waitForAll()
            }
        }

        let idle = QuotaCoalescer(ledger: ledger, holder: "process-idle", leaseUnits: 9)
        let idleSweep = QuotaHoldSweep(
            ledger: ledger, holder: "process-idle", interval: .seconds(3_600), admissions: idle, leaseIdle: .milliseconds(200), logger: logger)
        try await run(idleSweep) { group in
            _ = try await idle.reserve(partner: "bank-s", limits: Self.limits, at: now, requestID: "r-1")
            #expect(try await dayCounter(pool, "bank-s") == 10, "one unit spent and nine leased")
            var counter = 10
            for _ in 0..<100 where counter != 1 {
                try await Task.sleep(for: .milliseconds(50))
                counter = try await dayCounter(pool, "bank-s")
            }
            #expect(counter == 1, "the lease went back on the sweep's own clock, with no shutdown")
            #expect(idle.leasedUnitsOnHand == 0)
            await group.triggerGracefulShutdown()
        }

        let held = QuotaCoalescer(ledger: ledger, holder: "process-held", leaseUnits: 9)
        let heldSweep = QuotaHoldSweep(
            ledger: ledger, holder: "process-held", interval: .seconds(3_600), admissions: held, leaseIdle: .seconds(3_600), logger: logger)
        let started = ContinuousClock.now
        try await run(heldSweep) { group in
            _ = try await held.reserve(partner: "bank-u", limits: Self.limits, at: now, requestID: "r-1")
            #expect(held.leasedUnitsOnHand == 9, "not idle for an hour: kept while the sweep runs")
            await group.triggerGracefulShutdown()
        }
        #expect(ContinuousClock.now - started < .seconds(30), "the run ended with the shutdown, not with an hour's clock")
        #expect(try await dayCounter(pool, "bank-u") == 1, "the held lease went back at shutdown")
        #expect(held.leasedUnitsOnHand == 0)
        await pool.close()
    }

    private func dayCounter(_ pool: PostgresPool, _ partner: String) async throws -> Int {
        try await MeteringFixtures.count(pool, "SELECT coalesce(sum(used), 0)::bigint FROM quota_counters WHERE partner_id = \(partner) AND period_kind = 'day'")
    }

    @Test func aLeaseStopsItsMarginShortOfTheLimitAndComesBackAtMostOnce() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let limits = QuotaLimits(perDay: 100, perMonth: 1_000)
        let first = try await ledger.reserve(holding: ["r-1"], for: "process-a", partner: "bank-a", limits: limits, at: now, leasing: 32, margin: 80)
        #expect(first.granted == 1)
        #expect(first.leased == 19, "100 − 1 − 80: the last 80 units are not leased")
        #expect(first.usageAfter == QuotaUsage(today: 1, thisMonth: 1), "the requests' usage leaves the lease out")
        #expect(try await dayCounter(pool, "bank-a") == 20)
        #expect(try await ledger.usage(partner: "bank-a", at: now).today == 20)
        #expect(try await ledger.spentUsage(partner: "bank-a", at: now).today == 0, "nothing is spent until a meter event spends it")

        let second = try await ledger.reserve(holding: ["r-2", "r-3"], for: "process-a", partner: "bank-a", limits: limits, at: now, leasing: 32, margin: 80)
        #expect(second.granted == 2)
        #expect(second.leased == 0, "within the margin, units are reserved request by request")
        #expect(second.count?.reservation == 2)

        // r-1's unit is spent by its event; the lease's 19 come back, and only once.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        guard case .reserved(let unit) = first.decision(forUnit: 0) else { Issue.record("r-1 not reserved"); return }
        try await writer.record(MeteringFixtures.event(partner: "bank-a", requestID: "r-1", at: now), spending: unit)
        await writer.close()
        #expect(try await ledger.spentUsage(partner: "bank-a", at: now).today == 1)
        let lease = QuotaLeaseBook.Lease(lane: .init(partnerID: "bank-a", day: first.day, month: first.month, limits: limits),
                                         count: first.count!, units: 19, usage: first.usageAfter)
        #expect(try await ledger.returnLease(lease, units: 19) == 19)
        #expect(try await dayCounter(pool, "bank-a") == 3, "r-1 spent, r-2 and r-3 in flight")
        #expect(try await ledger.returnLease(lease, units: 19) == 2, "never more than the count still has in flight")
        #expect(try await ledger.returnLease(lease, units: 19) == 0)
        #expect(try await dayCounter(pool, "bank-a") == 1)
        await pool.close()
    }

    @Test func aLeaseNeverTakesPastTheLimitNorWhenARequestIsRefused() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let limits = QuotaLimits(perDay: 5, perMonth: nil)
        let first = try await ledger.reserve(holding: ["r-1"], for: "process-a", partner: "bank-b", limits: limits, at: now, leasing: 100, margin: 0)
        #expect(first.leased == 4, "up to the limit and not one past it")
        let refused = try await ledger.reserve(holding: ["r-2", "r-3"], for: "process-a", partner: "bank-b", limits: limits, at: now, leasing: 100, margin: 0)
        #expect(refused.granted == 0)
        #expect(refused.leased == 0)
        #expect(refused.exhaustion?.period == .day)
        #expect(try await dayCounter(pool, "bank-b") == 5)
        await #expect(throws: MeteringInputError.self) {
            try await ledger.reserve(holding: ["r-4"], for: "process-a", partner: "bank-b", limits: limits, at: now, leasing: -1, margin: 0)
        }
        await pool.close()
    }

    @Test func aLeaseOfAGoneProcessComesBackWithTheSweepAndNotTwice() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let grant = try await ledger.reserve(holding: ["r-1"], for: "gone", partner: "bank-c", limits: Self.limits, at: now, leasing: 10, margin: 0)
        #expect(grant.leased == 10)
        // What the sweep of another process runs once it knows "gone" is gone.
        _ = try await pool.query("SELECT quota_sweep_inflight(ARRAY['gone'], 'me')")
        #expect(try await dayCounter(pool, "bank-c") == 0, "the request's unit and the lease's all came back")
        let lease = QuotaLeaseBook.Lease(lane: .init(partnerID: "bank-c", day: grant.day, month: grant.month, limits: Self.limits),
                                         count: grant.count!, units: 10, usage: grant.usageAfter)
        #expect(try await ledger.returnLease(lease, units: 10) == 0, "the count has ended")
        #expect(try await dayCounter(pool, "bank-c") == 0)
        await pool.close()
    }

    // MARK: The coalescer

    @Test func requestsDrawOnTheLeaseWithoutAReservationEach() async throws {
        let pool = try await MeteringFixtures.pool()
        let coalescer = QuotaCoalescer(ledger: QuotaLedger(pool: pool), holder: "process-a", leaseUnits: 9)
        let now = Date()
        var units: [QuotaReservation] = []
        for request in 0..<100 {
            guard case .reserved(let unit) = try await coalescer.reserve(partner: "bank-d", limits: Self.limits, at: now, requestID: "r-\(request)") else {
                Issue.record("request \(request) refused"); return
            }
            units.append(unit)
        }
        let reservations = try await MeteringFixtures.count(pool, """
            SELECT coalesce(max(reservations), 0)::bigint FROM quota_inflight WHERE process_id = 'process-a' AND side = 'taken'
            """)
        #expect(reservations == 10, "one reservation per ten requests: one unit and nine leased")
        #expect(Set(units.map(\.requestID)).count == 100)
        #expect(units.map(\.usageBefore.today) == Array(0..<100), "each request sees the usage before it, as if reserved alone")
        #expect(coalescer.leasedUnitsOnHand == 0)
        #expect(try await dayCounter(pool, "bank-d") == 100)
        _ = try await coalescer.reserve(partner: "bank-d", limits: Self.limits, at: now, requestID: "r-100")
        #expect(coalescer.leasedUnitsOnHand == 9)
        #expect(try await dayCounter(pool, "bank-d") == 110)
        #expect(try await coalescer.returnLeases(idleFor: .seconds(3_600)) == 0, "drawn on just now: kept")
        #expect(try await coalescer.returnLeases(idleFor: .zero) == 9)
        #expect(try await dayCounter(pool, "bank-d") == 101)
        #expect(try await coalescer.closeLeases() == 0)
        guard case .reserved(let after) = try await coalescer.reserve(partner: "bank-d", limits: Self.limits, at: now, requestID: "r-101") else {
            Issue.record("refused after closing"); return
        }
        #expect(after.inFlight != nil)
        #expect(coalescer.leasedUnitsOnHand == 0, "a closed coalescer leases nothing more")
        #expect(try await dayCounter(pool, "bank-d") == 102)
        await pool.close()
    }

    /// A contract change that lowers a quota (a new plan approved at noon): the lease taken under the
    /// old limits goes back before the first reservation under the new ones, so that its unused
    /// units do not count against the new limit. (Before, they stayed in flight until the sweep's
    /// next tick, and a day's quota of 10 with 4 used refused every request in that second: the
    /// counter read 4 + 32 leased.)
    @Test func aLeaseUnderLimitsThatChangedGoesBackBeforeTheNextReservation() async throws {
        let pool = try await MeteringFixtures.pool()
        let coalescer = QuotaCoalescer(ledger: QuotaLedger(pool: pool), holder: "process-a", leaseUnits: 32)
        let now = Date()
        let before = QuotaLimits(perDay: 5_000, perMonth: 100_000)
        for request in 0..<4 {
            guard case .reserved = try await coalescer.reserve(partner: "agency-e", limits: before, at: now, requestID: "r-\(request)") else {
                Issue.record("request \(request) refused under the old limits"); return
            }
        }
        #expect(coalescer.leasedUnitsOnHand == 29)
        #expect(try await dayCounter(pool, "agency-e") == 33)

        let after = QuotaLimits(perDay: 10, perMonth: 1_000)
        var statuses: [Bool] = []
        for request in 4..<12 {
            if case .reserved = try await coalescer.reserve(partner: "agency-e", limits: after, at: now, requestID: "r-\(request)") {
                statuses.append(true)
            } else {
                statuses.append(false)
            }
        }
        #expect(statuses == [true, true, true, true, true, true, false, false], "6 more units under the new day's limit of 10")
        #expect(coalescer.leasedUnitsOnHand == 0, "within the margin of the new limit nothing is leased")
        #expect(try await dayCounter(pool, "agency-e") == 10)
        await pool.close()
    }

    /// A new quota day (midnight, China time): the day before's lease goes back before the first
    /// reservation of the new day, so the day before's counter ends at the units its requests took
    /// and the month's counter holds no unit of the old lease while the new day reserves.
    @Test func aLeaseOfTheDayBeforeGoesBackBeforeTheNewDaysFirstReservation() async throws {
        let pool = try await MeteringFixtures.pool()
        let coalescer = QuotaCoalescer(ledger: QuotaLedger(pool: pool), holder: "process-a", leaseUnits: 32)
        let limits = QuotaLimits(perDay: 1_000, perMonth: 50_000)
        let evening = try #require(Instant.parse("2026-12-07T23:59:58+08:00"))
        let morning = try #require(Instant.parse("2026-12-08T00:00:01+08:00"))
        for request in 0..<3 {
            guard case .reserved = try await coalescer.reserve(partner: "agency-f", limits: limits, at: evening, requestID: "e-\(request)") else {
                Issue.record("evening request \(request) refused"); return
            }
        }
        #expect(coalescer.leasedUnitsOnHand == 30)
        guard case .reserved(let first) = try await coalescer.reserve(partner: "agency-f", limits: limits, at: morning, requestID: "m-0") else {
            Issue.record("the new day's first request refused"); return
        }
        #expect(first.usageBefore == QuotaUsage(today: 0, thisMonth: 3), "the month counts the day before's 3 requests, not its lease")
        let days = try await pool.query("""
            SELECT period_start::text, used FROM quota_counters WHERE partner_id = 'agency-f' AND period_kind = 'day' ORDER BY 1
            """).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int.self, at: 1))" }
        #expect(days == ["2026-12-07 3", "2026-12-08 33"], "the day before keeps its 3; the new day has its unit and a new lease")
        #expect(coalescer.leasedUnitsOnHand == 32)
        await pool.close()
    }

    /// The fault topology's race in small: three processes, each with clients that query until
    /// they are refused; leasing stops before the limit, so exactly the quota is granted, never a
    /// unit more, and once the leases are given back the counter is what the requests took.
    @Test func threeProcessesRacingUntilRefusedAreGrantedExactlyTheQuota() async throws {
        let database = try await MeteringFixtures.database()
        let pools = (0..<3).map { _ in PostgresPool(.init(connection: database, maxConnections: 2)) }
        let coalescers = pools.enumerated().map { QuotaCoalescer(ledger: QuotaLedger(pool: $1), holder: "process-\($0)", leaseUnits: 8) }
        let limits = QuotaLimits(perDay: 600, perMonth: nil)
        let now = Date()
        let granted = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<30 {
                group.addTask {
                    var granted = 0
                    var request = 0
                    while true {
                        request += 1
                        let decision = try await coalescers[client % 3].reserve(
                            partner: "agency-e", limits: limits, at: now, requestID: "c\(client)-\(request)"
                        )
                        guard case .reserved = decision else { return granted }
                        granted += 1
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(granted == 600)
        for coalescer in coalescers { try await coalescer.closeLeases() }
        #expect(try await dayCounter(pools[0], "agency-e") == 600)
        let reservations = try await MeteringFixtures.count(pools[0], """
            SELECT coalesce(sum(reservations), 0)::bigint FROM quota_inflight WHERE partner_id = 'agency-e' AND side = 'taken'
            """)
        #expect(reservations < 600, "leases spared reservations (\(reservations) for 600 units)")
        for pool in pools { await pool.close() }
    }
}
