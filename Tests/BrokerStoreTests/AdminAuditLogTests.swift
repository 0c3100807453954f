@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The admin audit chain: linked, gapless under concurrency, insert-only, and a row changed behind
/// the trigger's back is found by `verify`.
@Suite struct AdminAuditLogTests {
    private static func entry(_ n: Int, role: String? = "security") -> AdminAuditEntry {
        AdminAuditEntry(
            actorFingerprint: String(repeating: "ab", count: 32), actorSubject: "CN=Security Administrator,OU=admin-security,O=CreditBroker,C=CN",
            role: role, method: "POST", path: "/admin/v1/partners/agency.nj_anxin/keys", targetPartner: n.isMultiple(of: 2) ? "agency.nj_anxin" : nil,
            status: 201, detail: "issued ak_\(String(repeating: "0", count: 15))\(n % 10)"
        )
    }

    private static func migratedPool(maxConnections: Int = 4) async throws -> PostgresPool {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: maxConnections))
        try await Migrator(pool: pool).migrate()
        return pool
    }

    /// The bytes each hash covers, as an auditor re-implementing `audit verify` must produce them:
    /// JSON with sorted keys, absent optionals left out, slashes unescaped.
    @Test func theCanonicalEncodingIsSortedJSONOfTheRow() {
        let entry = AdminAuditEntry(
            actorFingerprint: String(repeating: "ab", count: 32), actorSubject: "CN=Auditor,OU=admin-audit,O=CreditBroker,C=CN",
            role: nil, method: "GET", path: "/admin/v1/audit", targetPartner: nil, status: 200, detail: "read 0 rows after seq 0"
        )
        let text = String(decoding: AdminAuditRecord.canonicalEncoding(seq: 7, microseconds: 1_795_768_460_000_001, entry: entry), as: UTF8.self)
        #expect(text == #"{"actor_fingerprint":"\#(String(repeating: "ab", count: 32))","actor_subject":"CN=Auditor,OU=admin-audit,O=CreditBroker,C=CN","detail":"read 0 rows after seq 0","method":"GET","path":"/admin/v1/audit","seq":7,"status":200,"time_us":1795768460000001}"#)
    }

    @Test func appendedRowsLinkAndReadBackAsWritten() async throws {
        let pool = try await Self.migratedPool()
        let log = AdminAuditLog(pool: pool)
        let time = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let first = try await log.append(Self.entry(1, role: nil), at: time)
        let second = try await log.append(Self.entry(2))
        #expect(first.seq == 1 && second.seq == 2)
        #expect(first.hash != second.hash)
        let stored = try await log.records(since: 0, limit: 10)
        #expect(stored == [first, second])
        #expect(stored[0].microseconds == 1_795_000_000_123_456)
        #expect(try await log.records(since: 1, limit: 10) == [second])
        #expect(try await log.verify() == 2)
        await pool.close()
    }

    @Test func concurrentAppendsFromTwoPoolsExtendOneChain() async throws {
        // Appends wait for each other's lock while holding a connection: a busy machine may take a while.
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 4, acquireTimeout: .seconds(120)))
        try await Migrator(pool: pool).migrate()
        let other = PostgresPool(.init(connection: pool.configuration.connection, maxConnections: 4, acquireTimeout: .seconds(120)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<24 {
                let log = AdminAuditLog(pool: n.isMultiple(of: 2) ? pool : other)
                group.addTask { try await log.append(Self.entry(n)) }
            }
            try await group.waitForAll()
        }
        #expect(try await AdminAuditLog(pool: pool).verify() == 24)
        await other.close()
        await pool.close()
    }

    @Test func updateDeleteAndTruncateAreRefused() async throws {
        let pool = try await Self.migratedPool()
        try await AdminAuditLog(pool: pool).append(Self.entry(1))
        for statement in ["UPDATE admin_audit SET detail = 'ok'", "DELETE FROM admin_audit", "TRUNCATE admin_audit"] {
            await #expect(throws: PostgresError.self, "\(statement)") {
                try await pool.query(PostgresQuery(unsafeSQL: statement))
            }
        }
        #expect(try await AdminAuditLog(pool: pool).verify() == 1)
        await pool.close()
    }

    @Test func aRowChangedBehindTheTriggersBackBreaksTheChainThere() async throws {
        let pool = try await Self.migratedPool(maxConnections: 1)
        let log = AdminAuditLog(pool: pool)
        for n in 1...4 { try await log.append(Self.entry(n)) }
        // As the table's owner: the trigger is disabled, one row's status is rewritten, the trigger is back.
        try await pool.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
        try await pool.query("UPDATE admin_audit SET status = 403 WHERE seq = 3")
        try await pool.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
        let broken = await #expect(throws: AdminAuditLog.Broken.self) { try await log.verify() }
        #expect(broken?.breaks.map(\.seq) == [3])
        await pool.close()
    }

    @Test func aDeletedRowIsFoundMissing() async throws {
        let pool = try await Self.migratedPool(maxConnections: 1)
        let log = AdminAuditLog(pool: pool)
        for n in 1...3 { try await log.append(Self.entry(n)) }
        try await pool.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
        try await pool.query("DELETE FROM admin_audit WHERE seq = 2")
        let broken = await #expect(throws: AdminAuditLog.Broken.self) { try await log.verify() }
        // Row 3 linked to row 2's hash, which is gone: the gap and the row after it.
        #expect(broken?.breaks.map(\.seq) == [2, 3])
        #expect(broken?.breaks.first?.reason == "row 2 is missing")
        await pool.close()
    }
}
