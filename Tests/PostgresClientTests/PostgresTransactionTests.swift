import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct PostgresTransactionTests {
    struct Abort: Error {}

    @Test func throwingTransactionLeavesNothingBehind() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE ledger (n int)")
        await #expect(throws: Abort.self) {
            try await pool.transaction { connection in
                try await connection.query("INSERT INTO ledger VALUES (\(1))")
                try await connection.query("INSERT INTO ledger VALUES (\(2))")
                throw Abort()
            }
        }
        let count = try await pool.query("SELECT count(*) FROM ledger")[0].decode(Int.self, at: 0)
        #expect(count == 0)
        try await pool.transaction { connection in
            try await connection.query("INSERT INTO ledger VALUES (\(3))")
        }
        let committed = try await pool.query("SELECT count(*) FROM ledger")[0].decode(Int.self, at: 0)
        #expect(committed == 1)
        await pool.close()
    }

    @Test func copyLoadsOneHundredThousandRows() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE bulk (id int PRIMARY KEY, label text, amount numeric)")
        let copied = try await pool.withConnection { connection in
            try await connection.copyFromStdin("COPY bulk (id, label, amount) FROM STDIN WITH (FORMAT csv)") { writer in
                var chunk = ""
                for id in 1...100_000 {
                    chunk += "\(id),\"企业 \(id), \"\"quoted\"\"\",\(id).50\n"
                    if chunk.utf8.count > 64 * 1024 {
                        try writer.write(chunk)
                        chunk = ""
                    }
                }
                try writer.write(chunk)
            }
        }
        #expect(copied == 100_000)
        let summary = try await pool.query("SELECT count(*), sum(id), max(label) FILTER (WHERE id = 42) FROM bulk")[0]
        #expect(try summary.decode(Int.self, at: 0) == 100_000)
        #expect(try summary.decode(Int.self, at: 1) == 5_000_050_000)
        #expect(try summary.decode(String.self, at: 2) == "企业 42, \"quoted\"")
        await pool.close()
    }

    @Test func failedCopyKeepsNothing() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE bulk (id int PRIMARY KEY)")
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try await connection.copyFromStdin("COPY bulk FROM STDIN WITH (FORMAT csv)") { writer in
                    try writer.write("1\n2\nnot-a-number\n")
                }
            }
        }
        await #expect(throws: Abort.self) {
            try await pool.withConnection { connection in
                try await connection.copyFromStdin("COPY bulk FROM STDIN WITH (FORMAT csv)") { writer in
                    try writer.write("1\n2\n")
                    throw Abort()
                }
            }
        }
        #expect(try await pool.query("SELECT count(*) FROM bulk")[0].decode(Int.self, at: 0) == 0)
        // The connection is still usable after both failures.
        try await pool.query("INSERT INTO bulk VALUES (\(7))")
        await pool.close()
    }

    /// Ingest's order: a COPY the server refuses, then at once a statement on the same connection
    /// (`ROLLBACK TO SAVEPOINT`). The refused COPY's reply must be read to its end, or the next
    /// statement is refused with "another command is already in progress".
    @Test func aStatementRightAfterARefusedCopyRunsOnTheSameConnection() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await pool.query("CREATE TABLE bulk (id int PRIMARY KEY)")
        try await pool.transaction { connection in
            try await connection.query("SAVEPOINT bulk_copy")
            await #expect(throws: PostgresError.self) {
                try await connection.copyFromStdin("COPY bulk FROM STDIN WITH (FORMAT csv)") { writer in
                    try writer.write("1\n1\n")
                }
            }
            try await connection.query("ROLLBACK TO SAVEPOINT bulk_copy")
            try await connection.query("INSERT INTO bulk VALUES (\(7))")
        }
        #expect(try await pool.query("SELECT array_agg(id)::text FROM bulk")[0].decode(String.self, at: 0) == "{7}")
        await pool.close()
    }

    /// The second channel's name holds a quote carrying a combining mark: LISTEN takes it as a quoted
    /// identifier, whose quotes must be doubled scalar by scalar (a Character-wise replacement left
    /// that one single, and LISTEN failed).
    @Test(arguments: ["records_changed", "a\"\u{301}b"])
    func listenReceivesNotifications(channel: String) async throws {
        let configuration = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: configuration, maxConnections: 1))
        let listener = PostgresListener(configuration, channels: [channel])
        let received = Task {
            for await event in listener.events {
                if case .notification(let notification) = event { return Optional(notification) }
            }
            return nil
        }
        // The listener connects in the background: notify until it hears one (or give up).
        let sender = Task {
            for _ in 0..<100 where !Task.isCancelled {
                try? await pool.notify(channel, payload: "subject 42")
                try? await Task.sleep(for: .milliseconds(100))
            }
            listener.stop()
        }
        let notification: PostgresNotification? = await received.value
        // Its thread carries its name where operators look (`top -H`, `perf`); it never did before.
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let names = threads.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        sender.cancel()
        listener.stop()
        #expect(notification == PostgresNotification(channel: channel, payload: "subject 42"))
        #expect(names.contains("postgres-listen\n"))
        await pool.close()
    }
}
