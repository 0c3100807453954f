import PostgresClient
import TestSupport
import Testing

@Suite struct PostgresPoolTests {
    @Test func sixtyFourTasksShareFourConnections() async throws {
        // A generous wait: the suite runs in parallel on two shared cores; the timeout has its own test.
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 4, acquireTimeout: .seconds(120)))
        try await pool.query("CREATE TABLE hits (task int, n int)")
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for n in 0..<20 {
                        try await pool.query("INSERT INTO hits VALUES (\(task), \(n))")
                    }
                    // Hold a connection across a server-side sleep to force waiting in line.
                    try await pool.query("SELECT pg_sleep(0.01)")
                    return task
                }
            }
            var done = 0
            for try await _ in group { done += 1 }
            return done
        }
        #expect(finished == 64)
        #expect(pool.openConnections <= 4)
        #expect(try await pool.query("SELECT count(*) FROM hits")[0].decode(Int.self, at: 0) == 64 * 20)
        await pool.close()
    }

    /// A connection handed back inside a transaction is closed, not lent to the next caller, whose
    /// statements would otherwise run inside it: uncommitted, invisible to other sessions, and lost
    /// when that transaction ends.
    @Test func aConnectionHandedBackInsideATransactionIsNotLentAgain() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: database, maxConnections: 1, acquireTimeout: .seconds(120)))
        let other = PostgresPool(.init(connection: database, maxConnections: 1, acquireTimeout: .seconds(120)))
        try await pool.query("CREATE TABLE entries (n int)")
        try await pool.withConnection { connection in
            try await connection.query("BEGIN")
            try await connection.query("INSERT INTO entries VALUES (1)")
        }
        try await pool.query("INSERT INTO entries VALUES (2)")
        let seen = try await other.query("SELECT coalesce(array_agg(n ORDER BY n), '{}')::text FROM entries")[0].decode(String.self, at: 0)
        #expect(seen == "{2}")
        #expect(pool.openConnections == 1)
        await other.close()
        await pool.close()
    }

    @Test func waiterTimesOutWithAClearError() async throws {
        let pool = PostgresPool(.init(
            connection: try await TestPostgres.freshDatabase(), maxConnections: 1, acquireTimeout: .milliseconds(200)
        ))
        // The only connection is taken before the second query asks (not after a fixed sleep: on a
        // loaded machine the holder's connect took longer than one, and the second query got it first).
        // It is held until the second query has had its answer (not for a fixed time: at load 4
        // the test's task ran more than 2 s after the signal, and found the connection free again).
        let holder = try await HeldConnection(pool)
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(error?.kind == .poolTimeout)
        #expect(error?.description.contains("no database connection became free") == true)
        try await holder.release()
        // The pool works again once the connection is back.
        #expect(try await pool.query("SELECT 41 + 1")[0].decode(Int.self, at: 0) == 42)
        await pool.close()
    }

    @Test func aCancelledWaiterStopsWaitingEvenIfCancelledBeforeItWaits() async throws {
        // The pool's wait for a free connection is cancelled at once, also when the task was
        // cancelled before the wait began (as a time limit's loser on a loaded machine is: its
        // work had not started when the limit passed). Before, such a waiter missed its
        // cancellation and waited for a connection to come free or the acquire timeout.
        let pool = PostgresPool(.init(
            connection: try await TestPostgres.freshDatabase(), maxConnections: 1, acquireTimeout: .seconds(60)
        ))
        let holder = try await HeldConnection(pool)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.query("SELECT 1")
        }
        let started = ContinuousClock.now
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(ContinuousClock.now - started < .seconds(30))
        try await holder.release()
        #expect(try await pool.query("SELECT 41 + 1")[0].decode(Int.self, at: 0) == 42)
        await pool.close()
    }

    @Test func poolRecoversAfterServerRestart() async throws {
        let cluster = try await TestPostgres.privateCluster()
        try await withCleanup { () async throws in
            let pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 4, acquireTimeout: .seconds(30)))
            try await pool.query("CREATE TABLE beats (n int)")
            // Keep 8 workers inserting while the server restarts underneath them.
            let workers = (0..<8).map { worker in
                Task { () -> (ok: Int, failed: Int) in
                    var ok = 0, failed = 0
                    let end = ContinuousClock.now + .milliseconds(1500)
                    var n = 0
                    while ContinuousClock.now < end {
                        n += 1
                        do {
                            try await pool.query("INSERT INTO beats VALUES (\(worker * 100_000 + n))")
                            ok += 1
                            try await Task.sleep(for: .milliseconds(2))
                        } catch {
                            failed += 1
                            try? await Task.sleep(for: .milliseconds(20))
                        }
                    }
                    return (ok, failed)
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.restart()
            var totalOK = 0
            for worker in workers { totalOK += await worker.value.ok }
            // After the restart every worker gets through again: the pool replaced its connections.
            for n in 0..<20 {
                try await pool.query("INSERT INTO beats VALUES (\(-1 - n))")
            }
            let stored = try await pool.query("SELECT count(*) FROM beats")[0].decode(Int.self, at: 0)
            #expect(stored == totalOK + 20)
            #expect(totalOK > 0)
            await pool.close()
        } cleanup: {
            await cluster.stop()
        }
    }
}
