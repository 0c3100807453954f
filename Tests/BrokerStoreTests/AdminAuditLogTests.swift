@testable import BrokerStore
import Crypto
import Foundation
import GMCrypto
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

    /// The row `serve --audit-digest` starts a chain with.
    private static let start = AdminAuditEntry.commandLine("serve", partner: nil, status: 201, detail: "started the admin audit chain")

    /// An installation that chose SM3: the chain's first row records it (inside its own hash), every
    /// link is SM3 of the previous hash and the row, as an auditor recomputes it with SM3 alone;
    /// `verify` checks it so, a changed row breaks it, and so does erasing the first row's choice.
    @Test func aChainStartedWithSM3LinksEveryRowWithSM3() async throws {
        let pool = try await Self.migratedPool(maxConnections: 1)
        let log = AdminAuditLog(pool: pool)
        try await log.start(linkingWith: .sm3, entry: Self.start)
        try await log.start(linkingWith: .sm3, entry: Self.start)  // a started SM3 chain: nothing to add
        for n in 2...4 { try await log.append(Self.entry(n)) }
        #expect(try await log.digest() == .sm3)
        let rows = try await log.records(since: 0, limit: 10)
        #expect(rows.map(\.digest) == [.sm3, nil, nil, nil])
        var previous = AdminAuditRecord.genesis
        for row in rows {
            let encoding = AdminAuditRecord.canonicalEncoding(seq: row.seq, microseconds: row.microseconds, entry: row.entry, digest: row.digest)
            #expect(row.seq != 1 || String(decoding: encoding, as: UTF8.self).contains(#""digest":"sm3""#))
            let sm3 = try SM3.hash(Data(previous.utf8) + encoding).map { String(format: "%02x", $0) }.joined()
            #expect(row.hash == sm3)
            #expect(row.hash != SHA256.hash(data: Data(previous.utf8) + encoding).map { String(format: "%02x", $0) }.joined())
            previous = row.hash
        }
        #expect(try await log.verify() == 4)
        // A SHA-256 chain cannot be asked for now, nor SM3 of a chain that started with SHA-256.
        let mismatch = await #expect(throws: AdminAuditLog.DigestMismatch.self) { try await log.start(linkingWith: .sha256, entry: Self.start) }
        #expect(mismatch?.description.hasPrefix("the admin audit chain links its rows with SM3 since its first row") == true)

        try await pool.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
        try await pool.query("UPDATE admin_audit SET detail = 'edited' WHERE seq = 3")
        let broken = await #expect(throws: AdminAuditLog.Broken.self) { try await log.verify() }
        #expect(broken?.breaks.map(\.seq) == [3])
        #expect(broken?.breaks.first?.reason == "its hash is not SM3 of the previous hash and the row as stored")
        try await pool.query("UPDATE admin_audit SET detail = \(rows[2].entry.detail) WHERE seq = 3")
        #expect(try await log.verify() == 4)
        // Erasing the first row's choice: the chain would be read as SHA-256, and no row holds.
        try await pool.query("UPDATE admin_audit SET digest = NULL WHERE seq = 1")
        try await pool.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
        let erased = await #expect(throws: AdminAuditLog.Broken.self) { try await log.verify() }
        #expect(erased?.breaks.map(\.seq) == [1, 2, 3, 4])
        await pool.close()
    }

    @Test func aChainStartedWithSHA256RefusesSM3AndRecordsNoChoice() async throws {
        let pool = try await Self.migratedPool(maxConnections: 1)
        let log = AdminAuditLog(pool: pool)
        try await log.start(linkingWith: .sha256, entry: Self.start)
        #expect(try await log.records(since: 0, limit: 10).isEmpty, "a SHA-256 chain needs no first row of its own")
        try await log.append(Self.entry(1))
        #expect(try await log.digest() == .sha256)
        #expect(try await log.records(since: 0, limit: 10).map(\.digest) == [nil])
        let mismatch = await #expect(throws: AdminAuditLog.DigestMismatch.self) { try await log.start(linkingWith: .sm3, entry: Self.start) }
        #expect(mismatch?.chain == .sha256 && mismatch?.asked == .sm3)
        #expect(try await log.verify() == 1)
        // Only the first row may record a digest.
        await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO admin_audit SELECT 2, occurred_at, actor_fingerprint, actor_subject, role, method, path, target_partner, status, detail, repeat('0', 64), via, 'sm3' FROM admin_audit")
        }
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
