@testable import BrokerStore
import PostgresClient
import TestSupport
import Testing

@Suite struct MigratorTests {
    @Test func migratesOnceAndThenIsCurrent() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        let migrator = Migrator(pool: pool)
        #expect(try await migrator.pending().count == Migration.all.count)
        #expect(try await migrator.migrate().count == Migration.all.count)
        #expect(try await migrator.pending().isEmpty)
        #expect(try await migrator.migrate().isEmpty)
        await pool.close()
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pools = (0..<4).map { _ in PostgresPool(.init(connection: database, maxConnections: 1)) }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for pool in pools {
                group.addTask { try await Migrator(pool: pool).migrate().count }
            }
            return try await group.reduce(0, +)
        }
        #expect(applied == Migration.all.count)
        let rows = try await pools[0].query("SELECT count(*), count(DISTINCT version) FROM schema_migrations")[0]
        #expect(try rows.decode(Int.self, at: 0) == Migration.all.count)
        #expect(try rows.decode(Int.self, at: 1) == Migration.all.count)
        for pool in pools { await pool.close() }
    }

    @Test func editedMigrationIsRefused() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        var edited = Migration.all
        edited[0].sql += "\n-- edited"
        let error = await #expect(throws: PostgresError.self) { try await Migrator(pool: pool, migrations: edited).migrate() }
        #expect(error?.description.contains("changed after it was applied") == true)
        await pool.close()
    }
}

@Suite struct EmbeddedPostgresTests {
    @Test func secondStartReusesTheCluster() async throws {
        let folder = TestPostgres.temporaryFolder()
        var options = EmbeddedPostgres.Options(folder: folder)
        options.fastUnsafe = true
        let first = try EmbeddedPostgres.start(options)
        let pool = PostgresPool(.init(connection: first.configuration, maxConnections: 1))
        try await pool.query("CREATE TABLE kept (n int)")
        try await pool.query("INSERT INTO kept VALUES (\(7))")
        await pool.close()
        first.stop()

        let second = try EmbeddedPostgres.start(options)
        defer { second.stop() }
        let again = PostgresPool(.init(connection: second.configuration, maxConnections: 1))
        #expect(try await again.query("SELECT n FROM kept")[0].decode(Int.self, at: 0) == 7)
        // Unix socket only: the server listens on no TCP address.
        #expect(try await again.query("SHOW listen_addresses")[0].decode(String.self, at: 0) == "")
        await again.close()
    }
}
