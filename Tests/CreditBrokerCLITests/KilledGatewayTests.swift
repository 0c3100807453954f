import AsyncHTTPClient
import BrokerStore
import ChildProcesses
import Foundation
import NIOCore
import PostgresClient
import TestSupport
import Testing

/// A real `credit-broker serve` killed with SIGKILL while requests are between their quota unit and their meter event (the
/// fault harness's kill scenario, made deterministic): once a gateway runs again, the quota units
/// those requests took are given back, so the counters equal the committed events, and their
/// Idempotency-Keys are free for a retry instead of answering 409 until their lease runs out.
@Suite(.runsGatewayProcesses) struct KilledGatewayTests {
    static let agency = QuotaAcrossProcessesTests.agency
    static let body = #"{"subject":"91350100M000100Y43","purpose":"credit_report","items":["enterprise.registration"]}"#

    /// Once with every request reserving its own unit, once with the units leased ahead (the
    /// default): the dead process's lease comes back with its requests' units.
    @Test(arguments: [0, 32]) func aGatewayKilledWithAnswersInFlightLeavesNoQuotaUnitAndNoClaimBehind(leaseUnits: Int) async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let contracts = QuotaAcrossProcessesTests.root.appending(path: "Contracts").path
        var environment = QuotaAcrossProcessesTests.environment
        environment["CREDIT_BROKER_SEALING_KEYS"] = try TestSealingKeys.file()
        let token = try await QuotaAcrossProcessesTests.issueKey(contracts: contracts, conninfo: conninfo)
        let port = Int.random(in: 20_000...39_999)
        let arguments = [
            "serve", "--database-url", conninfo, "--contracts", contracts, "--port", "\(port)",
            "--state-dir", TestPostgres.temporaryFolder(), "--allow-owner-role", "--quota-lease-units", "\(leaseUnits)",
        ]
        var server = try ChildProcess.start(CommandLineTests.binary, arguments, environment: environment)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let pool = PostgresPool(.init(connection: database, maxConnections: 2))
        @Sendable func query(key: String?) async throws -> Int {
            let request = HTTPClientRequest.agencyQuery("http://127.0.0.1:\(port)", key: token, body: ByteBuffer(string: Self.body), idempotencyKey: key)
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        }
        func counts() async throws -> (used: Int, billable: Int) {
            let used = try await pool.query("""
                SELECT coalesce(sum(used), 0)::bigint FROM quota_counters WHERE partner_id = \(Self.agency) AND period_kind = 'day'
                """)[0].decode(Int.self, at: 0)
            let billable = try await pool.query("""
                SELECT count(*) FROM meter_events WHERE partner_id = \(Self.agency) AND endpoint = 'POST /v1/queries' AND http_status < 400
                """)[0].decode(Int.self, at: 0)
            return (used, billable)
        }
        /// The day's counter and the units counted in flight (for requests under way, or leased ahead
        /// and not handed out), read together: an idle lease going back changes both at once.
        func usedAndInFlight() async throws -> (used: Int, inFlight: Int) {
            let row = try await pool.query("""
                SELECT (SELECT coalesce(sum(used), 0) FROM quota_counters WHERE partner_id = \(Self.agency) AND period_kind = 'day')::bigint,
                       (SELECT coalesce(sum(CASE side WHEN 'taken' THEN units ELSE -units END), 0) FROM quota_inflight
                        WHERE partner_id = \(Self.agency))::bigint
                """)[0]
            return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
        }
        do {
            try await QuotaAcrossProcessesTests.waitUntilReady(client, port: port)
            #expect(try await query(key: nil) == 200)

            // Hold every request in its records read (an open transaction's lock on `records`), so that
            // eight requests have taken their quota units and claimed their keys, and have not reached
            // their meter events, when the process dies. (A request already in its meter insert
            // would commit its event after the kill: metered though never sent, units spent.)
            let blockers = PostgresPool(.init(connection: database, maxConnections: 1))
            try await blockers.withConnection { blocker in
                try await blocker.query("BEGIN")
                try await blocker.query("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
                let inFlight = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for index in 0..<8 {
                            group.addTask { _ = try? await query(key: index < 4 ? "killed-\(index)" : nil) }
                        }
                    }
                }
                if leaseUnits == 0 {
                    var taken = 0
                    for _ in 0..<200 where taken < 9 {
                        try await Task.sleep(for: .milliseconds(50))
                        taken = try await counts().used
                    }
                    #expect(taken == 9, "eight requests and the first one have their units")
                } else {
                    // The eight draw on a lease (the first one's, or one they take if that went back
                    // idle), which the counter holds whole: wait for a lookup to wait on the lock and
                    // for the counter to hold their units, then a moment for the rest to queue.
                    let arrived = try await eventually(within: .seconds(20), every: .milliseconds(50)) {
                        let waiting = try await pool.query("""
                            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                            """)[0].decode(Int.self, at: 0)
                        let used = try await counts().used
                        return waiting >= 1 && used >= 9
                    }
                    #expect(arrived, "a lookup waits on the lock and the units are taken")
                    try await Task.sleep(for: .milliseconds(500))
                }
                server.signal(SIGKILL)
                _ = await server.wait()
                try await blocker.query("ROLLBACK")
                await inFlight.value
            }
            await blockers.close()

            server = try ChildProcess.start(CommandLineTests.binary, arguments, environment: environment)
            try await QuotaAcrossProcessesTests.waitUntilReady(client, port: port)
            var after = try await counts()
            for _ in 0..<100 where after.used != after.billable {
                try await Task.sleep(for: .milliseconds(50))
                after = try await counts()
            }
            #expect(after.used == 1 && after.billable == 1, "the killed requests' units are given back: \(after)")
            // A retry of a key whose request died with the process runs afresh.
            #expect(try await query(key: "killed-0") == 200)
            let final = try await counts()
            let (used, held) = try await usedAndInFlight()
            #expect(used - held == 2 && final.billable == 2, "spent \(used) − \(held) in flight, billable \(final.billable)")
            if leaseUnits == 0 { #expect(used == 2 && held == 0) }
        } catch {
            server.signal(SIGKILL)
            _ = await server.wait()
            await pool.close()
            try await client.shutdown()
            throw error
        }
        server.signal(SIGTERM)
        _ = await server.wait()
        await pool.close()
        try await client.shutdown()
    }
}
