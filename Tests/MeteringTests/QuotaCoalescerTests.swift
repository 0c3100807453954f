import BrokerCore
import Foundation
import Metering
import PostgresClient
import Testing

@Suite struct QuotaCoalescerTests {
    @Test func reserveUpToGrantsWhatIsLeftInOrder() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        guard case .reserved = try await ledger.reserve(partner: "p", limits: QuotaLimits(perDay: 5, perMonth: nil), at: now) else {
            Issue.record("the first unit was refused"); return
        }
        let grant = try await ledger.reserve(upTo: 8, partner: "p", limits: QuotaLimits(perDay: 5, perMonth: nil), at: now)
        #expect(grant.granted == 4 && grant.requested == 8)
        #expect(grant.exhaustion?.period == .day && grant.exhaustion?.limit == 5)
        #expect(grant.usageAfter == QuotaUsage(today: 5, thisMonth: 5))
        let befores = (0..<8).map { index -> Int? in
            if case .reserved(let reservation) = grant.decision(forUnit: index) { return reservation.usageBefore.today }
            return nil
        }
        #expect(befores == [1, 2, 3, 4, nil, nil, nil, nil])
        #expect(try await ledger.usage(partner: "p", at: now) == QuotaUsage(today: 5, thisMonth: 5))

        // The month runs out first: the day keeps only what was granted.
        let monthly = try await ledger.reserve(upTo: 3, partner: "q", limits: QuotaLimits(perDay: 10, perMonth: 2), at: now)
        #expect(monthly.granted == 2 && monthly.exhaustion?.period == .month)
        let none = try await ledger.reserve(upTo: 3, partner: "q", limits: QuotaLimits(perDay: 10, perMonth: 2), at: now)
        #expect(none.granted == 0 && none.exhaustion?.period == .month)
        #expect(try await ledger.usage(partner: "q", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        await #expect(throws: MeteringInputError.self) {
            try await ledger.reserve(upTo: 0, partner: "q", limits: QuotaLimits(perDay: 10, perMonth: 2), at: now)
        }
        await pool.close()
    }

    /// The coalescer remembers a partner whose quota it found used up until that period resets, and
    /// forgets it as soon as a reservation is granted again (a raised limit, another process's release).
    @Test func aPartnerFoundExhaustedIsRememberedUntilItsPeriodResetsOrAUnitIsGranted() async throws {
        let pool = try await MeteringFixtures.pool()
        let coalescer = QuotaCoalescer(ledger: QuotaLedger(pool: pool))
        let now = Date()
        let tight = QuotaLimits(perDay: 1, perMonth: nil)
        #expect(!coalescer.lastFoundExhausted(partner: "p", at: now))
        guard case .reserved = try await coalescer.reserve(partner: "p", limits: tight, at: now) else {
            Issue.record("the first unit was refused"); return
        }
        #expect(!coalescer.lastFoundExhausted(partner: "p", at: now))
        guard case .exhausted(let exhaustion) = try await coalescer.reserve(partner: "p", limits: tight, at: now) else {
            Issue.record("a second unit of one a day was granted"); return
        }
        #expect(coalescer.lastFoundExhausted(partner: "p", at: now))
        #expect(!coalescer.lastFoundExhausted(partner: "other", at: now))
        #expect(!coalescer.lastFoundExhausted(partner: "p", at: exhaustion.resetsAt))
        guard case .reserved = try await coalescer.reserve(partner: "p", limits: QuotaLimits(perDay: 2, perMonth: nil), at: now) else {
            Issue.record("a raised limit's unit was refused"); return
        }
        #expect(!coalescer.lastFoundExhausted(partner: "p", at: now))
        await pool.close()
    }

    /// 300 concurrent requests through two coalescers (two gateway processes), each on a pool of
    /// one connection, against a daily quota of 200.
    @Test func twoProcessesAdmitExactlyTheQuotaAsIfOneByOne() async throws {
        let database = try await MeteringFixtures.database()
        let pools = (0..<2).map { _ in PostgresPool(.init(connection: database, maxConnections: 1)) }
        let coalescers = pools.map { QuotaCoalescer(ledger: QuotaLedger(pool: $0)) }
        let limits = QuotaLimits(perDay: 200, perMonth: 1_000)
        let now = Date()
        let decisions = try await withThrowingTaskGroup(of: QuotaDecision.self) { group in
            for request in 0..<300 {
                group.addTask { try await coalescers[request % 2].reserve(partner: "agency-7", limits: limits, at: now) }
            }
            return try await group.reduce(into: [QuotaDecision]()) { $0.append($1) }
        }
        let befores = decisions.compactMap { decision -> Int? in
            if case .reserved(let reservation) = decision { return reservation.usageBefore.today }
            return nil
        }
        // Every granted unit saw a distinct count before it: none was granted twice or past 200.
        #expect(befores.sorted() == Array(0..<200))
        #expect(decisions.count == 300)
        for decision in decisions {
            if case .exhausted(let exhaustion) = decision { #expect(exhaustion.period == .day) }
        }
        #expect(try await coalescers[0].ledger.usage(partner: "agency-7", at: now) == QuotaUsage(today: 200, thisMonth: 200))
        for pool in pools { await pool.close() }
    }

    @Test func partnersAndLimitsDoNotShareABatch() async throws {
        let pool = try await MeteringFixtures.pool(connections: 1)
        let coalescer = QuotaCoalescer(ledger: QuotaLedger(pool: pool), maxBatch: 4)
        let now = Date()
        let granted = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for request in 0..<40 {
                let partner = request % 2 == 0 ? "a" : "b"
                group.addTask {
                    let decision = try await coalescer.reserve(partner: partner, limits: QuotaLimits(perDay: partner == "a" ? 7 : 13, perMonth: nil), at: now)
                    if case .reserved = decision { return (partner, true) }
                    return (partner, false)
                }
            }
            return try await group.reduce(into: [String: Int]()) { counts, outcome in
                if outcome.1 { counts[outcome.0, default: 0] += 1 }
            }
        }
        #expect(granted == ["a": 7, "b": 13])
        await pool.close()
    }
}
