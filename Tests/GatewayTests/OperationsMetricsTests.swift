import BrokerStore
import Foundation
@testable import Gateway
import Hummingbird
import Metering
import HummingbirdTesting
import PostgresClient
import Testing
import TestSupport

/// The operations listener answers at once when every pool connection is busy: neither a
/// `/metrics` scrape (the disputes' counts) nor a `/readyz` check waits in line behind partner
/// traffic for a connection.
@Suite struct OperationsMetricsTests {
    /// A migrated database behind a pool of one connection, whose waiters wait two minutes: far
    /// beyond the tests' 60 s bound, itself far beyond the 1 s patience (a full run at load 25
    /// took 7 s).
    private static func withOneConnectionPool(_ body: (PostgresPool) async throws -> Void) async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1, acquireTimeout: .seconds(120)))
        do {
            try await Migrator(pool: pool).migrate()
            try await body(pool)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    @Test func aScrapeDoesNotWaitForABusyPool() async throws {
        try await Self.withOneConnectionPool { pool in
            let app = Application(router: OperationsServer.router(pool: pool, metrics: GatewayMetrics(), databasePatience: .seconds(1)))
            // The pool's one connection is busy (as under load: every connection in use) until the
            // scrape has answered; held, not slept on, so that it is taken before the scrape asks.
            let busy = try await HeldConnection(pool)
            let started = ContinuousClock.now
            let whileBusy = try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { ($0.status, String(buffer: $0.body)) }
            }
            let waited = ContinuousClock.now - started
            #expect(whileBusy.0 == .ok)
            #expect(whileBusy.1.contains("credit_broker_") && !whileBusy.1.contains("credit_broker_disputes_open"))
            #expect(waited < .seconds(60), "the scrape waited \(waited) for the busy pool")
            try await busy.release()
            let afterwards = try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            }
            #expect(afterwards.contains("credit_broker_disputes_open 0") && afterwards.contains("credit_broker_disputes_overdue 0"))
        }
    }

    /// The quota units the process holds leased ahead, by partner, read at each scrape: an operator
    /// can tell them from units spent when a partner's counter reads above its usage.
    @Test func aScrapeShowsTheQuotaUnitsLeasedAheadByPartner() async throws {
        try await Self.withOneConnectionPool { pool in
            let admissions = QuotaCoalescer(ledger: QuotaLedger(pool: pool), holder: "process-a", leaseUnits: 9)
            let app = Application(router: OperationsServer.router(pool: pool, metrics: GatewayMetrics(), admissions: admissions))
            func leased() async throws -> [Substring] {
                let text = try await app.test(.router) { client in
                    try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                }
                return text.split(separator: "\n").filter { $0.hasPrefix("credit_broker_quota_leased_units{") }
            }
            #expect(try await leased() == [])
            let limits = QuotaLimits(perDay: 1_000, perMonth: nil)
            for request in 0..<3 {
                _ = try await admissions.reserve(partner: "bank-x", limits: limits, at: Date(), requestID: "r-\(request)")
            }
            #expect(try await leased() == [#"credit_broker_quota_leased_units{partner="bank-x"} 7.0"#], "one reservation: a unit and 9 leased, 2 handed out")
            #expect(try await admissions.returnLeases(idleFor: .zero) == 7)
            #expect(try await leased() == [#"credit_broker_quota_leased_units{partner="bank-x"} 0.0"#], "given back: 0, not a stale 7")
        }
    }

    /// `/readyz` with every pool connection busy answers within its patience: ready while a
    /// connection came back working within the grace span (busy, not broken; a load balancer must
    /// not take the busiest gateway out), not ready once none has for longer.
    @Test func readinessDoesNotWaitForABusyPool() async throws {
        try await Self.withOneConnectionPool { pool in
            func readiness(busyGrace: Duration) async throws -> (HTTPResponse.Status, String, Duration) {
                let router = Router()
                HealthRoutes<BasicRequestContext>(pool: pool, patience: .seconds(1), busyGrace: busyGrace).register(on: router)
                let app = Application(router: router)
                let started = ContinuousClock.now
                return try await app.test(.router) { client in
                    // The first check has the pool free (asked again while it answers late: on a
                    // loaded machine opening the pool's connection can outlast the 1 s patience);
                    // the second finds it held.
                    let first = try await eventually(within: .seconds(30)) {
                        try await client.execute(uri: "/readyz", method: .get) { $0.status } == .ok
                    }
                    #expect(first)
                    let busy = try await HeldConnection(pool)
                    let second = try await client.execute(uri: "/readyz", method: .get) { ($0.status, String(buffer: $0.body)) }
                    let waited = ContinuousClock.now - started
                    try await busy.release()
                    return (second.0, second.1, waited)
                }
            }
            let recent = try await readiness(busyGrace: .seconds(600))
            #expect(recent.0 == .ok && recent.1 == "ready (database busy: no answer within 1.0 seconds)\n", "\(recent)")
            #expect(recent.2 < .seconds(60))
            let stale = try await readiness(busyGrace: .zero)
            #expect(stale.0 == .serviceUnavailable && stale.1 == "not ready: no database answer within 1.0 seconds\n", "\(stale)")
            #expect(stale.2 < .seconds(60))
        }
    }

    /// `/readyz` while the database is slow to answer (the migrations' table locked by another
    /// session, as during a long migration): the check's statement is stopped when its patience
    /// runs out, so the answer comes within it. Before, the time limit waited for its loser, the
    /// blocked statement, and the check answered only when the lock was let go (here 20 s).
    @Test func readinessDoesNotWaitForALockedDatabase() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: database, maxConnections: 2, acquireTimeout: .seconds(120)))
        let locker = PostgresPool(.init(connection: database, maxConnections: 1, acquireTimeout: .seconds(120)))
        try await Migrator(pool: pool).migrate()
        let router = Router()
        HealthRoutes<BasicRequestContext>(pool: pool, patience: .seconds(1), busyGrace: .zero).register(on: router)
        let app = Application(router: router)
        let (locked, signal) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await PostgresCancellation.stoppingStatements {
                try await locker.transaction { connection in
                    try await connection.query("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")
                    signal.yield()
                    try await connection.query("SELECT pg_sleep(20)")
                }
            }
        }
        var iterator = locked.makeAsyncIterator()
        _ = await iterator.next()
        let started = ContinuousClock.now
        let answer = try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { ($0.status, String(buffer: $0.body)) }
        }
        let waited = ContinuousClock.now - started
        holder.cancel()
        _ = await holder.result
        #expect(answer.0 == .serviceUnavailable && answer.1 == "not ready: no database answer within 1.0 seconds\n", "\(answer)")
        #expect(waited < .seconds(15), "the check waited \(waited) for the lock")
        // The pool's connections are usable afterwards, and the check is ready again: within a few
        // seconds, since on a loaded machine (a full run beside other work) one answer of the check's
        // own query took longer than its 1 s patience and was 503, as it should be.
        var after: [HTTPResponse.Status] = []
        let ready = try await eventually(within: .seconds(30), every: .milliseconds(500)) {
            after.append(try await app.test(.router) { client in try await client.execute(uri: "/readyz", method: .get) { $0.status } })
            return after.last == .ok
        }
        #expect(ready, "\(after)")
        await locker.close()
        await pool.close()
    }
}
