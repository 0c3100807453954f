import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The admin parts of the command line: `audit verify`, the admin certificates and CRL of `pki init`,
/// `pki revoke --admin`, and `serve --admin-port` refusing to run without TLS or without an admin CRL.
@Suite struct AdminCommandTests {
    static let root = Repository.root

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
        let intact = try await ContractsCommandTests.run(["audit", "verify", "--database-url", conninfo])
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("audit chain intact: 3 rows"), "\(intact.output)")

        try await pool.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
        try await pool.query("UPDATE admin_audit SET detail = 'nothing to see' WHERE seq = 2")
        try await pool.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
        let broken = try await ContractsCommandTests.run(["audit", "verify", "--database-url", conninfo])
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("the audit chain breaks at seq 2"), "\(broken.output)")
        await pool.close()
    }

    /// Issue 13, finding 5: `keys issue` and `keys revoke` changed credentials with no audit row, and
    /// `keys issue --expires 2020-01-01` printed a key that had already expired.
    @Test func keysIssueAndRevokeAreInTheAuditChainAndAPastExpiryIsRefused() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let contracts = ["--contracts", Self.root.appending(path: "Contracts").path, "--policies", Self.root.appending(path: "Policies").path,
                         "--catalog", Self.root.appending(path: "Policies/catalog.yaml").path]
        let past = try await ContractsCommandTests.run(["keys", "issue", "agency.nj_anxin", "--expires", "2020-01-01", "--database-url", conninfo] + contracts)
        #expect(past.status != 0)
        #expect(past.output.contains("in the past"), "\(past.output)")
        #expect(!past.output.contains("ak_"), "\(past.output)")

        let issued = try await ContractsCommandTests.run(["keys", "issue", "agency.nj_anxin", "--database-url", conninfo] + contracts)
        #expect(issued.status == 0, "\(issued.output)")
        let token = try #require(issued.output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("ak_") })
        let keyID = String(token.prefix(19))
        let revoked = try await ContractsCommandTests.run(["keys", "revoke", keyID, "--database-url", conninfo])
        #expect(revoked.status == 0, "\(revoked.output)")

        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        let log = AdminAuditLog(pool: pool)
        #expect(try await log.verify() == 2)
        let rows = try await log.records(since: 0, limit: 10)
        #expect(rows.map(\.entry.detail) == ["issued \(keyID)", "revoked \(keyID)"])
        #expect(rows.allSatisfy { $0.entry.via == "cli" && $0.entry.actorSubject.hasPrefix("os-account=") && $0.entry.targetPartner == "agency.nj_anxin" })
        #expect(rows.map(\.entry.path) == ["credit-broker keys issue", "credit-broker keys revoke"])
        // The secret never reaches the chain.
        let secret = try #require(token.split(separator: ".").last)
        #expect(!rows.contains { "\($0.entry)".contains(secret) })
        await pool.close()
    }

    /// A new development PKI made by `pki init`; its folder and what the command printed.
    private static func pkiInit() async throws -> (folder: String, output: String) {
        let folder = TestPostgres.temporaryFolder() + "/pki"
        let result = try await ContractsCommandTests.run([
            "pki", "init", "--out", folder, "--contracts", Self.root.appending(path: "Contracts").path,
            "--policies", Self.root.appending(path: "Policies").path, "--catalog", Self.root.appending(path: "Policies/catalog.yaml").path,
        ])
        #expect(result.status == 0, "\(result.output)")
        return (folder, result.output)
    }

    /// The serial numbers a CRL lists, as `openssl` prints them (upper-case hex), after checking its signature by `ca`.
    private static func revokedSerials(crl: String, ca: String) async throws -> [String] {
        let text = try await ChildProcess.run("/usr/bin/openssl", ["crl", "-in", crl, "-CAfile", ca, "-noout", "-text"])
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "Serial Number" else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
    }

    /// A certificate's serial number as `openssl x509 -serial` prints it.
    private static func serial(of certificate: String) async throws -> String {
        try await ChildProcess.run("/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-serial"])
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
    }

    @Test func pkiInitWritesAnAdminCAItsEmptyCRLAndOneCertificatePerRole() async throws {
        let (folder, output) = try await Self.pkiInit()
        for file in ["admin-ca.pem", "admin-ca-key.pem", "admin-crl.pem"] + ["system", "security", "audit"].flatMap({ ["admins/\($0).pem", "admins/\($0)-key.pem"] }) {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file)")
        }
        #expect(output.contains("admin CRL \(folder)/admin-crl.pem"), "\(output)")
        #expect(output.contains("admin certificates \(folder)/admins/system.pem"), "\(output)")
        await #expect(try Self.revokedSerials(crl: folder + "/admin-crl.pem", ca: folder + "/admin-ca.pem") == [])
    }

    @Test func pkiRevokeAdminPutsAnAdminCertificateOnTheAdminCRLByRoleOrSerial() async throws {
        let (folder, _) = try await Self.pkiInit()
        let byRole = try await ContractsCommandTests.run(["pki", "revoke", "--dir", folder, "--admin", "security"])
        #expect(byRole.status == 0, "\(byRole.output)")
        #expect(byRole.output.contains("in \(folder)/admin-crl.pem"), "\(byRole.output)")
        let security = try await Self.serial(of: folder + "/admins/security.pem")
        await #expect(try Self.revokedSerials(crl: folder + "/admin-crl.pem", ca: folder + "/admin-ca.pem") == [security])

        let audit = try await Self.serial(of: folder + "/admins/audit.pem")
        let bySerial = try await ContractsCommandTests.run(["pki", "revoke", "--dir", folder, "--admin", audit.lowercased()])
        #expect(bySerial.status == 0, "\(bySerial.output)")
        await #expect(try Self.revokedSerials(crl: folder + "/admin-crl.pem", ca: folder + "/admin-ca.pem") == [security, audit])
        // The partner CA's CRL is untouched; a role name means nothing to it, nor an unknown name to the admin CA.
        await #expect(try Self.revokedSerials(crl: folder + "/crl.pem", ca: folder + "/ca.pem") == [])
        let partnerRole = try await ContractsCommandTests.run(["pki", "revoke", "--dir", folder, "security"])
        #expect(partnerRole.status != 0)
        #expect(partnerRole.output.contains("'security' is neither a serial number (hex) nor a partner with a certificate in clients/"), "\(partnerRole.output)")
        let unknown = try await ContractsCommandTests.run(["pki", "revoke", "--dir", folder, "--admin", "root"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("'root' is neither a serial number (hex) nor an admin role (system, security, audit)"), "\(unknown.output)")
    }

    @Test func serveRefusesAnAdminPortWithoutTLS() async throws {
        let result = try await ContractsCommandTests.run(["serve", "--state-dir", TestPostgres.temporaryFolder(), "--admin-port", "0"])
        #expect(result.status != 0)
        #expect(result.output.contains("the admin API serves mutual TLS only"), "\(result.output)")
    }

    @Test func serveRefusesAnAdminPortWithoutAnAdminCRL() async throws {
        let (folder, _) = try await Self.pkiInit()
        try FileManager.default.removeItem(atPath: folder + "/admin-crl.pem")
        let result = try await ContractsCommandTests.run(["serve", "--state-dir", TestPostgres.temporaryFolder(), "--tls-dir", folder, "--admin-port", "0"])
        #expect(result.status != 0)
        #expect(result.output.contains("the admin API needs --admin-crl"), "\(result.output)")
    }
}
