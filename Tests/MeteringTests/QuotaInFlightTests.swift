import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation
import Logging
import Metering
import PostgresClient
import Testing

/// Units counted in flight per gateway process (`quota_inflight`): a meter event spends its
/// request's unit in the statement that inserts it, a release gives it back once and never after
/// the event, and a sweep gives back what a gone process (or a count that has not moved for ten
/// minutes) still had in flight.
@Suite struct QuotaInFlightTests {
    static let limits = QuotaLimits(perDay: 10, perMonth: nil)

    /// The units `process` has in flight, over all partners and periods.
    private func inFlight(_ pool: PostgresPool, _ process: String) async throws -> Int {
        try await MeteringFixtures.count(pool, """
            SELECT coalesce(sum(CASE side WHEN 'taken' THEN units ELSE -units END), 0)::bigint
            FROM quota_inflight WHERE process_id = \(process)
            """)
    }

    private func reservations(_ grant: QuotaGrant) -> [QuotaReservation] {
        (0..<grant.granted).compactMap { index in
            guard case .reserved(let reservation) = grant.decision(forUnit: index) else { return nil }
            return reservation
        }
    }

    @Test func aMeterEventSpendsItsUnitAndAReleaseGivesOneBackOnlyOnce() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let grant = try await ledger.reserve(holding: ["r-1", "r-2", "r-3"], for: "process-a", partner: "bank-a", limits: Self.limits, at: now)
        #expect(grant.granted == 3)
        #expect(try await inFlight(pool, "process-a") == 3)
        let units = reservations(grant)
        #expect(units.map(\.requestID) == ["r-1", "r-2", "r-3"])
        #expect(units.allSatisfy { $0.inFlight?.count.holder == "process-a" })

        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await writer.record(MeteringFixtures.event(partner: "bank-a", requestID: "r-1", at: now), spending: units[0])
        #expect(try await inFlight(pool, "process-a") == 2, "the event spent r-1's unit")

        // A retried release (its first reply lost) gives nothing back the second time, although
        // the process still has r-3 in flight.
        try await ledger.release(units[1])
        try await ledger.release(units[1])
        #expect(try await ledger.usage(partner: "bank-a", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        #expect(try await inFlight(pool, "process-a") == 1)
        // A release after the event committed (its commit's reply lost) gives nothing back.
        #expect(try await ledger.releaseInFlight(units[0]) == 0, "a spent unit is not given back")
        #expect(try await ledger.usage(partner: "bank-a", at: now) == QuotaUsage(today: 2, thisMonth: 2))

        try await writer.record(MeteringFixtures.event(partner: "bank-a", requestID: "r-3", at: now), spending: units[2])
        await writer.close()
        #expect(try await inFlight(pool, "process-a") == 0)
        #expect(try await ledger.usage(partner: "bank-a", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        await pool.close()
    }

    @Test func aWithheldAnswerGivesItsUnitBackAndItsEventSpendsNothing() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let grant = try await ledger.reserve(holding: ["w-1", "w-2"], for: "process-a", partner: "bank-a", limits: Self.limits, at: now)
        let units = reservations(grant)
        // A 4xx answer: its unit comes back first, then its event is metered without it.
        try await ledger.release(units[0])
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        var refused = MeteringFixtures.event(partner: "bank-a", requestID: "w-1", at: now)
        refused.status = 400
        try await writer.record(refused)
        // An event may spend only its own request's unit.
        await #expect(throws: MeteringInputError.self) {
            try await writer.record(MeteringFixtures.event(partner: "bank-a", requestID: "other", at: now), spending: units[1])
        }
        await writer.close()
        #expect(try await ledger.usage(partner: "bank-a", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        #expect(try await inFlight(pool, "process-a") == 1, "w-2 is still in flight")
        await pool.close()
    }

    @Test func aSweepGivesBackWhatAProcessGoneFromThisMachineHadInFlight() async throws {
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
        let gone = reservations(try await ledger.reserve(holding: ["g-1", "g-2", "g-3"], for: "gone", partner: "agency-b", limits: Self.limits, at: now))
        _ = try await ledger.reserve(holding: ["a-1"], for: "alive", partner: "agency-b", limits: Self.limits, at: now)
        // The gone process had spent g-1 before it died.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        try await writer.record(MeteringFixtures.event(partner: "agency-b", requestID: "g-1", at: now), spending: gone[0])
        await writer.close()
        let sweep = QuotaHoldSweep(ledger: ledger, holder: "alive", logger: Logger(label: "test"))
        #expect(await sweep.sweep() == 2)
        #expect(try await ledger.usage(partner: "agency-b", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM gateway_processes WHERE process_id = 'gone'") == 0)
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM quota_inflight WHERE process_id = 'gone'") == 0)
        #expect(await sweep.sweep() == 0, "this process's own unit stays in flight")
        #expect(try await inFlight(pool, "alive") == 1)
        // The gone process's release, were it to come after all, gives nothing back twice.
        #expect(try await ledger.releaseInFlight(gone[1]) == 0)
        #expect(try await ledger.usage(partner: "agency-b", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        await pool.close()
    }

    @Test func countsThatHaveNotMovedAreSweptAfterAMinuteWithoutARowAndAfterTenMinutesWhoeverHoldsThem() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        _ = try await ledger.reserve(holding: ["u-1", "u-2"], for: "unregistered", partner: "bank-c", limits: Self.limits, at: now)
        _ = try await ledger.reserve(holding: ["s-1"], for: "stuck", partner: "bank-c", limits: Self.limits, at: now)
        _ = try await ledger.reserve(holding: ["m-1"], for: "me", partner: "bank-c", limits: Self.limits, at: now)
        try await pool.query("""
            INSERT INTO gateway_processes (process_id, host, pid, started_at, seen_at, version_id, status_id)
            VALUES ('stuck', 'another-host', 1, now(), now(), 0, 0)
            """)
        let sweep = QuotaHoldSweep(ledger: ledger, holder: "me", logger: Logger(label: "test"))
        #expect(await sweep.sweep() == 0, "every count moved just now")
        // Half a minute on: nothing; a minute and a half: the process with no row is gone.
        try await pool.query("UPDATE quota_inflight SET touched_at = now() - interval '30 seconds'")
        #expect(await sweep.sweep() == 0)
        try await pool.query("UPDATE quota_inflight SET touched_at = now() - interval '90 seconds'")
        #expect(await sweep.sweep() == 2)
        #expect(try await inFlight(pool, "unregistered") == 0)
        // Ten minutes without a move: whoever holds the units, this process too, they come back.
        try await pool.query("UPDATE quota_inflight SET touched_at = now() - interval '11 minutes'")
        #expect(await sweep.sweep() == 2)
        #expect(try await ledger.usage(partner: "bank-c", at: now) == QuotaUsage(today: 0, thisMonth: 0))
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM quota_inflight") == 0)
        await pool.close()
    }

    @Test func aLateReleaseAfterTheSweepEndedItsCountGivesNothingBackFromTheNextCount() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let first = reservations(try await ledger.reserve(holding: ["l-1"], for: "me", partner: "bank-e", limits: Self.limits, at: now))
        // The count does not move for ten minutes (a database outage, say): the sweep ends it and
        // gives l-1's unit back.
        try await pool.query("UPDATE quota_inflight SET touched_at = now() - interval '11 minutes'")
        let sweep = QuotaHoldSweep(ledger: ledger, holder: "me", logger: Logger(label: "test"))
        #expect(await sweep.sweep() == 1)
        // The process goes on: a new request of the same partner and day starts a new count.
        let second = reservations(try await ledger.reserve(holding: ["l-2"], for: "me", partner: "bank-e", limits: Self.limits, at: now))
        #expect(second[0].inFlight?.count.generation != first[0].inFlight?.count.generation)
        // l-1's release, retried at last, must not take l-2's unit.
        #expect(try await ledger.releaseInFlight(first[0]) == 0)
        // Nor may l-1's event, were it to come now, spend l-2's unit: it is refused (its unit was given
        // back, so it would be billed without one).
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        await #expect(throws: MeterError.self) {
            try await writer.record(MeteringFixtures.event(partner: "bank-e", requestID: "l-1", at: now), spending: first[0])
        }
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM meter_events WHERE request_id = 'l-1'") == 0)
        #expect(try await inFlight(pool, "me") == 1, "l-2 is still in flight")
        try await writer.record(MeteringFixtures.event(partner: "bank-e", requestID: "l-2", at: now), spending: second[0])
        await writer.close()
        #expect(try await inFlight(pool, "me") == 0)
        #expect(try await ledger.usage(partner: "bank-e", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        await pool.close()
    }

    @Test func aUnitWhoseReservationACrashLostIsNeitherSpentNorGivenBackAndOneThatSurvivedIs() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let kept = reservations(try await ledger.reserve(holding: ["k-1", "k-2"], for: "me", partner: "bank-g", limits: Self.limits, at: now))
        let lost = reservations(try await ledger.reserve(holding: ["c-1", "c-2"], for: "me", partner: "bank-g", limits: Self.limits, at: now))
        // A crash of the server: the second reservation (committed asynchronously) is lost with it,
        // the first survived; the count is of the server start before.
        try await pool.query("""
            UPDATE quota_counters SET used = used - 2 WHERE partner_id = 'bank-g';
            """)
        try await pool.query("""
            UPDATE quota_inflight SET units = units - 2, reservations = reservations - 1,
                                      server_started = server_started - 1000000 WHERE partner_id = 'bank-g'
            """)
        func before(_ reservation: QuotaReservation) throws -> QuotaReservation {
            let unit = try #require(reservation.inFlight)
            var earlier = reservation
            earlier.inFlight = .init(requestID: unit.requestID, count: .init(
                holder: unit.count.holder, generation: unit.count.generation,
                serverStarted: unit.count.serverStarted - 1_000_000, reservation: unit.count.reservation))
            return earlier
        }
        #expect(try await ledger.usage(partner: "bank-g", at: now) == QuotaUsage(today: 2, thisMonth: 2))
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        // The lost unit's event is refused (its answer is withheld), and its release gives nothing.
        await #expect(throws: MeterError.self) {
            try await writer.record(MeteringFixtures.event(partner: "bank-g", requestID: "c-1", at: now), spending: try before(lost[0]))
        }
        #expect(try await ledger.releaseInFlight(try before(lost[1])) == 0)
        // The surviving units are spent and given back as ever.
        try await writer.record(MeteringFixtures.event(partner: "bank-g", requestID: "k-1", at: now), spending: try before(kept[0]))
        #expect(try await ledger.releaseInFlight(try before(kept[1])) == 1)
        // An event without a unit is not held back by a refused one.
        try await writer.record(MeteringFixtures.event(partner: "bank-g", requestID: "other", at: now))
        await writer.close()
        #expect(try await MeteringFixtures.count(pool, "SELECT count(*) FROM meter_events WHERE partner_id = 'bank-g'") == 2)
        #expect(try await ledger.usage(partner: "bank-g", at: now) == QuotaUsage(today: 1, thisMonth: 1), "the counters equal the billable events")
        #expect(try await inFlight(pool, "me") == 0)
        await pool.close()
    }

    @Test func aRefusedAnswersEventDoesNotStopItsUnitComingBack() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let units = reservations(try await ledger.reserve(holding: ["x-1"], for: "me", partner: "bank-f", limits: Self.limits, at: now))
        // The release failed first (the pool was busy), the 400 event was metered, then the retry.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        var refused = MeteringFixtures.event(partner: "bank-f", requestID: "x-1", at: now)
        refused.status = 400
        try await writer.record(refused)
        await writer.close()
        #expect(try await ledger.releaseInFlight(units[0]) == 1, "a 400 answer spent nothing")
        #expect(try await ledger.usage(partner: "bank-f", at: now) == QuotaUsage(today: 0, thisMonth: 0))
        await pool.close()
    }

    @Test func aReleaseTheDatabaseRefusedIsRetriedByTheSweep() async throws {
        let pool = try await MeteringFixtures.pool()
        let ledger = QuotaLedger(pool: pool)
        let now = Date()
        let units = reservations(try await ledger.reserve(holding: ["p-1"], for: "me", partner: "bank-d", limits: Self.limits, at: now))
        let sweep = QuotaHoldSweep(ledger: ledger, holder: "me", logger: Logger(label: "test"))
        // The release function is out of reach for a moment (as if the database were).
        try await pool.query("ALTER FUNCTION quota_release_inflight(text, text, date, date, bigint, bigint, bigint, text[]) RENAME TO quota_release_inflight_away")
        await sweep.release(units[0])
        #expect(try await ledger.usage(partner: "bank-d", at: now) == QuotaUsage(today: 1, thisMonth: 1))
        try await pool.query("ALTER FUNCTION quota_release_inflight_away(text, text, date, date, bigint, bigint, bigint, text[]) RENAME TO quota_release_inflight")
        #expect(await sweep.sweep() == 1)
        #expect(try await ledger.usage(partner: "bank-d", at: now) == QuotaUsage(today: 0, thisMonth: 0))
        #expect(await sweep.sweep() == 0, "given back once")
        await pool.close()
    }
}

