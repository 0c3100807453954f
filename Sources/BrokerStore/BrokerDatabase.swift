import EmbeddedPostgres
import Logging
import PostgresClient

/// The broker's database as a process uses it: a pool, migrated, on the configured server or on
/// an embedded PostgreSQL started for this process.
public final class BrokerDatabase: Sendable {
    public let pool: PostgresPool
    /// The embedded server this process started or reused, if `DATABASE_URL` was not given.
    public let embedded: EmbeddedPostgres?

    /// Opens the database.
    /// - Parameters:
    ///   - url: a libpq URL or conninfo; `nil` starts (or reuses) an embedded cluster in `stateFolder/postgres`.
    ///   - migrate: apply pending migrations before returning.
    public static func open(
        url: String?,
        stateFolder: String,
        poolSize: Int,
        migrate: Bool,
        logger: Logger
    ) async throws -> BrokerDatabase {
        let embedded: EmbeddedPostgres?
        let configuration: PostgresConfiguration
        try StateFolder.prepare(stateFolder)
        if let url, !url.isEmpty {
            embedded = nil
            configuration = PostgresConfiguration(url)
        } else {
            let started = try await EmbeddedPostgres.start(.init(folder: stateFolder + "/postgres"), logger: logger)
            embedded = started
            configuration = started.configuration
        }
        let database = BrokerDatabase(pool: PostgresPool(.init(connection: configuration, maxConnections: poolSize), logger: logger), embedded: embedded)
        if migrate {
            do {
                try await Migrator(pool: database.pool, logger: logger).migrate()
            } catch {
                await database.close()
                throw error
            }
        }
        return database
    }

    private init(pool: PostgresPool, embedded: EmbeddedPostgres?) {
        self.pool = pool
        self.embedded = embedded
    }

    /// Closes the pool and stops the embedded server if this process started it.
    public func close() async {
        await pool.close()
        if let embedded, embedded.startedHere { await embedded.stop() }
    }
}
