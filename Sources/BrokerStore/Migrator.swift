import BrokerCore
import Crypto
import Logging
import PostgresClient

/// Applies the shipped migrations to a database.
///
/// Each migration runs in its own transaction and is recorded in `schema_migrations` with the
/// SHA-256 of its text. A session-level advisory lock serialises concurrent migrators: a second
/// process waits, then finds the work done. A recorded migration whose text changed since is an
/// error, not something to skip silently.
public struct Migrator: Sendable {
    /// The advisory lock key ("credit-broker migrations").
    static let lockKey: Int64 = 0x4352_4544_4954_4d47

    public let pool: PostgresPool
    public let migrations: [Migration]
    private let logger: Logger

    public init(pool: PostgresPool, migrations: [Migration] = Migration.all, logger: Logger = Logger(label: "credit-broker.migrations")) {
        self.pool = pool
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is pending; returns the migrations applied by this call.
    ///
    /// When every migration is already recorded with its current digest, nothing is locked or
    /// created, so a role that may not create objects (the gateway's runtime role) can start;
    /// such a role meeting a pending migration is told to run `migrate` as the owner.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        if try await isCurrent() { return [] }
        do {
            return try await migrateLocked()
        } catch let error as PostgresError where error.sqlState == "42501" {
            throw PostgresError(
                .server,
                "\(error.message): a pending migration needs the role that owns the schema; run 'credit-broker migrate' as that role",
                sqlState: error.sqlState
            )
        }
    }

    private func migrateLocked() async throws -> [Migration] {
        try await pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                return applied
            } catch {
                // Closing the session releases the lock as well, if the connection broke.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
                throw error
            }
        }
    }

    /// Migrations not yet applied (an empty list means the schema is current).
    public func pending() async throws -> [Migration] {
        let exists = try await pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else { return migrations }
        let recorded = try await recordedDigests(pool.query("SELECT version, sha256 FROM schema_migrations"))
        return migrations.filter { recorded[$0.version] == nil }
    }

    /// Whether every shipped migration is recorded with the digest of its current text.
    private func isCurrent() async throws -> Bool {
        let exists = try await pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists[0].decode(Bool.self, at: 0) else { return false }
        let recorded = try await recordedDigests(pool.query("SELECT version, sha256 FROM schema_migrations"))
        return migrations.allSatisfy { recorded[$0.version] == Self.digest($0.sql) }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Migration] {
        try await connection.unsafeExecuteScript(migrations[0].sql)
        let recorded = try recordedDigests(await connection.query("SELECT version, sha256 FROM schema_migrations"))
        var applied: [Migration] = []
        for migration in migrations {
            let digest = Self.digest(migration.sql)
            if let existing = recorded[migration.version] {
                guard existing == digest else {
                    throw StoreInconsistency("migration \(migration.version) (\(migration.name)) was changed after it was applied; add a new migration instead")
                }
                continue
            }
            try await connection.query("BEGIN")
            do {
                try await connection.unsafeExecuteScript(migration.sql)
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, sha256) VALUES (\(migration.version), \(migration.name), \(digest))
                    """)
                try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration)
        }
        return applied
    }

    private func recordedDigests(_ result: PostgresResult) throws -> [Int: String] {
        var digests: [Int: String] = [:]
        for row in result {
            digests[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }
        return digests
    }

    static func digest(_ sql: String) -> String {
        SHA256.hash(data: Array(sql.utf8)).lowercaseHex
    }
}
