import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation
import Logging
import Metering
import PostgresClient
import Testing

/// Units held for their requests (`quota_holds`): a meter event spends its request's unit, a
/// release gives it back once, and a sweep gives back what a gone process held.
@Suite struct QuotaHoldTests {
    static let limits = QuotaLimits(perDay: 10, perMonth: nil)

    private func holds(_ pool: PostgresPool) async throws -> Int {
        try await MeteringFixtures.count(pool, "SELECT count(*) FROM quota_holds")
    }

    @Test func aMeterEventSpendsItsUnitAndAReleaseGivesOneBackOnlyOnce() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let grant = try await ledger.reserve(holding: ["r-1", "r-2"], for: "process-a", partner: "bank-a", limits: Self.limits, at: now)
        #expect(grant.granted == 2)
        #expect(try await holds(pool) == 2)
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await writer.record(MeteringFixtures.event(partner: "bank-a", requestID: "r-1", at: now))
        await writer.close()
        #expect(try await holds(pool) == 1, "the event spent r-1's unit")
        guard case .reserved(let second) = grant.decision(forUnit: 1) else { Issue.record("r-2 was not reserved"); return }
        #expect(second.requestID == "r-2")
        try await ledger.release(second)
        try await ledger.release(second)
        #expect(try await ledger.releaseHolds(["r-1"]) == 0, "a spent unit is not given back")
        #expect(try await ledger.usage(partner: "bank-a", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        #expect(try await holds(pool) == 0)
        await pool.close()
    }

    @Test func aSweepGivesBackWhatAProcessGoneFromThisMachineHeld() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        // A process that has exited: its pid no longer runs.
        let exited = try ChildProcess.start("/bin/true", [])
        _ = await exited.wait()
        try await pool.query("""
            INSERT INTO gateway_processes (process_id, host, pid, started_at, seen_at, version_id, status_id)
            VALUES ('gone', \(GatewayProcesses.host), \(Int(exited.pid)), now(), now(), 0, 0)
            """)
        _ = try await ledger.reserve(holding: ["g-1", "g-2", "g-3"], for: "gone", partner: "agency-b", limits: Self.limits, at: now)
        _ = try await ledger.reserve(holding: ["a-1"], for: "alive", partner: "agency-b", limits: Self.limits, at: now)
        let sweep = QuotaHoldSweep(ledger: ledger, holder: "alive", logger: Logger(label: "test"))
        #expect(await sweep.sweep() == 3)
        #expect(try await ledger.usage(partner: "agency-b", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM gateway_processes WHERE process_id = 'gone'") == 0)
        #expect(await sweep.sweep() == 0, "this process's own unit stays held")
        await pool.close()
    }
}
