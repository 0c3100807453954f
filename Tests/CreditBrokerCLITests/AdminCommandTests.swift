import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The admin parts of the command line: `audit verify`, the admin certificates of `pki init`, and
/// `serve --admin-port` refusing to run without TLS.
@Suite struct AdminCommandTests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func auditVerifyPassesAnIntactChainAndNamesTheFirstTamperedSeq() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let log = AdminAuditLog(pool: pool)
        for status in [200, 403, 201] {
            try await log.append(AdminAuditEntry(
                actorFingerprint: String(repeating: "0f", count: 32), actorSubject: "CN=Security Auditor,OU=admin-audit,O=CreditBroker,C=CN",
                role: "audit", method: "GET", path: "/admin/v1/audit", targetPartner: nil, status: status, detail: "ok"
            ))
        }
        let intact = try ContractsCommandTests.run(["audit", "verify", "--database-url", conninfo])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("audit chain intact: 3 rows"), "\(intact.output)")

        try await pool.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
        try await pool.query("UPDATE admin_audit SET detail = 'nothing to see' WHERE seq = 2")
        try await pool.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
        let broken = try ContractsCommandTests.run(["audit", "verify", "--database-url", conninfo])
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("the audit chain breaks at seq 2"), "\(broken.output)")
        await pool.close()
    }

    @Test func pkiInitWritesAnAdminCAAndOneCertificatePerRole() throws {
        let folder = TestPostgres.temporaryFolder() + "/pki"
        let result = try ContractsCommandTests.run([
            "pki", "init", "--out", folder, "--contracts", Self.root.appending(path: "Contracts").path,
            "--policies", Self.root.appending(path: "Policies").path, "--catalog", Self.root.appending(path: "Policies/catalog.yaml").path,
        ])
        #expect(result.status == 0, "\(result.output)")
        for file in ["admin-ca.pem", "admin-ca-key.pem"] + ["system", "security", "audit"].flatMap({ ["admins/\($0).pem", "admins/\($0)-key.pem"] }) {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file)")
        }
        #expect(result.output.contains("admin certificates \(folder)/admins/system.pem"), "\(result.output)")
    }

    @Test func serveRefusesAnAdminPortWithoutTLS() throws {
        let result = try ContractsCommandTests.run(["serve", "--state-dir", TestPostgres.temporaryFolder(), "--admin-port", "0"])
        #expect(result.status != 0)
        #expect(result.output.contains("the admin API serves mutual TLS only"), "\(result.output)")
    }
}
