import PostgresClient

/// What the connected database role may do beyond what a gateway needs, for `serve` to refuse an
/// owner's or a superuser's role: a gateway running as one could rewrite the meter ledger and the
/// admin audit chain, which the runtime role of `Deploy/postgres/grants.sql` cannot.
public enum DatabaseRolePowers {
    /// The connected role's powers over the schema and the two insert-only ledgers, one short
    /// phrase each ("is a superuser", "owns meter_events", "may DELETE admin_audit", …); empty for
    /// a runtime role.
    public static func excess(_ pool: PostgresPool) async throws -> [String] {
        // Fixed names only: nothing here comes from outside.
        let result = try await pool.query("""
            SELECT reason FROM (VALUES
                (1, 'is a superuser', (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)),
                (2, 'may create objects in schema ' || current_schema(), has_schema_privilege(current_schema(), 'CREATE')),
                (3, 'owns meter_events', pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'meter_events'::regclass), 'MEMBER')),
                (4, 'owns admin_audit', pg_has_role((SELECT relowner FROM pg_class WHERE oid = 'admin_audit'::regclass), 'MEMBER')),
                (5, 'may UPDATE meter_events', has_table_privilege('meter_events', 'UPDATE')),
                (6, 'may DELETE meter_events', has_table_privilege('meter_events', 'DELETE')),
                (7, 'may TRUNCATE meter_events', has_table_privilege('meter_events', 'TRUNCATE')),
                (8, 'may UPDATE admin_audit', has_table_privilege('admin_audit', 'UPDATE')),
                (9, 'may DELETE admin_audit', has_table_privilege('admin_audit', 'DELETE')),
                (10, 'may TRUNCATE admin_audit', has_table_privilege('admin_audit', 'TRUNCATE'))
            ) AS powers (position, reason, holds)
            WHERE holds
            ORDER BY position
            """)
        return try result.map { try $0.decode(String.self, at: 0) }
    }
}
