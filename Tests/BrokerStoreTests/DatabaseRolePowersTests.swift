@testable import BrokerStore
import PostgresClient
import TestSupport
import Testing

/// The runtime role's view of the schema: `serve`'s refusal of an owner's role rests on
/// `DatabaseRolePowers`, and a gateway connecting as a role without CREATE must still start on a
/// current schema (Deploy/postgres/grants.sql sets such a role up).
@Suite struct DatabaseRolePowersTests {
    /// A fresh migrated database and a login role holding only what the gateway holds on the ledgers.
    private static func runtimeRole(migrated: Bool = true) async throws -> (owner: PostgresPool, runtime: PostgresPool, role: String) {
        let database = try await TestPostgres.freshDatabase()
        let owner = PostgresPool(.init(connection: database, maxConnections: 2))
        if migrated { try await Migrator(pool: owner).migrate() }
        // An identifier cannot be a parameter; the name is letters and digits only.
        let role = "runtime_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await owner.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN"))
        try await owner.query(PostgresQuery(unsafeSQL: "REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        if migrated {
            try await owner.query(PostgresQuery(unsafeSQL: "GRANT SELECT ON schema_migrations TO \(role)"))
            try await owner.query(PostgresQuery(unsafeSQL: "GRANT SELECT, INSERT ON meter_events, admin_audit TO \(role)"))
        }
        // The test cluster lets only its own account log in (pg_hba), so the runtime role is taken
        // on at connection start instead: privileges are checked against current_user.
        let runtime = PostgresPool(.init(
            connection: PostgresConfiguration(try #require(database.conninfo) + " options='-c role=\(role)'"), maxConnections: 1
        ))
        return (owner, runtime, role)
    }

    private static func close(_ pools: (owner: PostgresPool, runtime: PostgresPool, role: String)) async throws {
        await pools.runtime.close()
        try await pools.owner.query(PostgresQuery(unsafeSQL: "DROP OWNED BY \(pools.role)"))
        try await pools.owner.query(PostgresQuery(unsafeSQL: "DROP ROLE \(pools.role)"))
        await pools.owner.close()
    }

    @Test func theSuperuserThatOwnsTheSchemaHoldsEveryPowerAGatewayMustNot() async throws {
        let pools = try await Self.runtimeRole()
        let powers = try await DatabaseRolePowers.excess(pools.owner)
        #expect(powers == [
            "is a superuser", "may create objects in schema public", "owns meter_events", "owns admin_audit",
            "may UPDATE meter_events", "may DELETE meter_events", "may TRUNCATE meter_events",
            "may UPDATE admin_audit", "may DELETE admin_audit", "may TRUNCATE admin_audit",
        ])
        try await Self.close(pools)
    }

    @Test func aRoleThatMayOnlyAppendToTheLedgersHoldsNone() async throws {
        let pools = try await Self.runtimeRole()
        #expect(try await DatabaseRolePowers.excess(pools.runtime) == [])
        // One privilege too many is named.
        try await pools.owner.query(PostgresQuery(unsafeSQL: "GRANT DELETE ON admin_audit TO \(pools.role)"))
        #expect(try await DatabaseRolePowers.excess(pools.runtime) == ["may DELETE admin_audit"])
        try await Self.close(pools)
    }

    /// Failed before Migrator.migrate skipped a current schema: the runtime role could not run the
    /// ledger's CREATE TABLE IF NOT EXISTS ("permission denied for schema public"), so no gateway
    /// could start as it.
    @Test func aRoleWithoutCreateStartsOnACurrentSchema() async throws {
        let pools = try await Self.runtimeRole()
        #expect(try await Migrator(pool: pools.runtime).migrate().isEmpty)
        try await Self.close(pools)
    }

    @Test func aRoleWithoutCreateMeetingAPendingMigrationIsToldToMigrateAsTheOwner() async throws {
        let pools = try await Self.runtimeRole(migrated: false)
        let error = await #expect(throws: PostgresError.self) { try await Migrator(pool: pools.runtime).migrate() }
        #expect(error?.sqlState == "42501")
        #expect(error?.message.contains("run 'credit-broker migrate' as that role") == true, "\(String(describing: error))")
        try await Self.close(pools)
    }
}
