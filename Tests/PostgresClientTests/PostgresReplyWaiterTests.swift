import PostgresClient
import TestSupport
import Testing

/// Statements are sent by their callers and their replies read by the process's one reply waiter
/// (`PostgresReplyWaiter`); large ones go through the thread pool. These check what that must
/// never get wrong: whose reply is whose, a failure on either side, and the hand-over between them.
@Suite struct PostgresReplyWaiterTests {
    /// Sixteen connections with statements in flight at once, answered in whatever order the
    /// server finishes them: each caller gets its own reply, never a neighbour's.
    @Test func manyStatementsInFlightAtOnceEachGetTheirOwnReply() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 16, acquireTimeout: .seconds(120)))
        let echo = PostgresStatement("SELECT $1::int8 * 2, pg_sleep(random() * 0.002)")
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var wrong = 0
                    for n in 0..<100 {
                        let value = task * 1_000 + n
                        let reply = value.isMultiple(of: 2)
                            ? try await pool.execute(echo, [value])
                            : try await pool.query("SELECT \(value)::int8 * 2, pg_sleep(random() * 0.002)")
                        if try reply[0].decode(Int.self, at: 0) != value * 2 { wrong += 1 }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        await pool.close()
    }

    /// A statement the server refuses fails with its SQLSTATE, and the connection it ran on serves
    /// the next statement (its reply was read to the end, nothing left over for the next caller).
    @Test func aRefusedStatementLeavesItsConnectionReadyForTheNext() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let divide = PostgresStatement("SELECT 10 / $1::int")
        let refused = await #expect(throws: PostgresError.self) { try await pool.execute(divide, [0]) }
        #expect(refused?.sqlState == "22012")
        #expect(try await pool.execute(divide, [5])[0].decode(Int.self, at: 0) == 2)
        let unknown = await #expect(throws: PostgresError.self) { try await pool.query("SELECT * FROM no_such_table") }
        #expect(unknown?.sqlState == "42P01")
        #expect(try await pool.query("SELECT pg_backend_pid() > 0")[0].decode(Bool.self, at: 0))
        #expect(pool.openConnections == 1)
        await pool.close()
    }

    /// A statement whose backend is terminated while it runs fails at once as a lost connection
    /// (not after the statement's 30 s), and the pool replaces the connection for the next caller.
    @Test func aBackendTerminatedMidStatementFailsItAsALostConnectionAndThePoolHeals() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        let sleeper = Task { try await pool.query("SELECT pg_sleep(30) /* reply-waiter-victim */") }
        var terminated = false
        for _ in 0..<200 where !terminated {
            try await Task.sleep(for: .milliseconds(25))
            terminated = try await pool.query("""
                SELECT count(pg_terminate_backend(pid)) = 1 FROM pg_stat_activity
                WHERE query LIKE '%reply-waiter-victim%' AND pid <> pg_backend_pid()
                """)[0].decode(Bool.self, at: 0)
        }
        #expect(terminated)
        let started = ContinuousClock.now
        let lost = await #expect(throws: PostgresError.self) { try await sleeper.value }
        #expect(lost?.kind == .connection)
        #expect(ContinuousClock.now - started < .seconds(20))
        for n in 1...4 {
            #expect(try await pool.query("SELECT \(n)::int")[0].decode(Int.self, at: 0) == n)
        }
        await pool.close()
    }

    /// Parameters too large for one write go through the thread pool; a connection moves between
    /// the two paths freely, and a prepared statement made on one is used on the other.
    @Test func parametersLargerThanOneWriteTakeTheThreadPoolAndTheConnectionMovesBetweenPaths() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        let length = PostgresStatement("SELECT length($1::text)")
        let large = String(repeating: "信", count: 300_000)  // 900,000 bytes of UTF-8
        #expect(try await pool.execute(length, ["small"])[0].decode(Int.self, at: 0) == 5)
        #expect(try await pool.execute(length, [large])[0].decode(Int.self, at: 0) == 300_000)
        #expect(try await pool.query("SELECT length(\(large))")[0].decode(Int.self, at: 0) == 300_000)
        #expect(try await pool.execute(length, ["again"])[0].decode(Int.self, at: 0) == 5)
        try await pool.transaction { connection in
            try await connection.query("CREATE TABLE notes (body text)")
            try await connection.query("INSERT INTO notes VALUES (\(large))")
            try await connection.query("INSERT INTO notes VALUES ('short')")
        }
        #expect(try await pool.query("SELECT sum(length(body)) FROM notes")[0].decode(Int.self, at: 0) == 300_005)
        await pool.close()
    }
}
