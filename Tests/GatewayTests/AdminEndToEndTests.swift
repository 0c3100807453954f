import BrokerCore
import BrokerStore
import Crypto
import Foundation
import Gateway
import NIOHTTP1
import PKI
import PostgresClient
import Testing
import X509

/// The admin listener end to end over real mutual TLS: roles, credentials, keys, usage, audit.
@Suite struct AdminEndToEndTests {
    private static let problems = "https://credit-broker.example/problems/"

    /// Every admin endpoint (`AdminEndpoint.all`, the one table the routes enforce) as a concrete
    /// request, and the roles it is allowed to. Requests that change something name what does not
    /// exist (an unknown partner or proposal), so an allowed role gets past the role check and changes nothing.
    private static let endpoints: [(method: HTTPMethod, path: String, body: Data?, roles: [AdminRole])] = AdminEndpoint.all.map { endpoint in
        let partner = endpoint.path.hasSuffix("/keys") ? TestGateway.agency
            : endpoint.path.hasSuffix("/history") ? TestGateway.bank : "bank.nobody"
        var path = "/admin/v1/" + endpoint.path
            .replacingOccurrences(of: "{partner}", with: partner)
            .replacingOccurrences(of: "{keyID}", with: "ak_0123456789abcdef")
            .replacingOccurrences(of: "{id}", with: "999999")
        if endpoint.path == "usage" { path += "?partner=\(TestGateway.bank)" }
        if endpoint.path == "audit" { path += "?since=0&limit=5" }
        let body = endpoint.method == .post && !path.hasSuffix("/keys") && path != "/admin/v1/proposals" ? Data(#"{"reason":"test"}"#.utf8) : nil
        return (HTTPMethod(rawValue: endpoint.method.rawValue), path, body, endpoint.roles)
    }

    @Test func eachRoleReachesItsEndpointsAndIsRefusedTheOthersAndEveryRequestIsAudited() async throws {
        try await TestGateway.run { gateway in
            var requests = 0
            var refusals = 0
            for endpoint in Self.endpoints {
                for role in AdminRole.allCases {
                    let reply = try await gateway.admin(endpoint.method, endpoint.path, as: role, body: endpoint.body)
                    requests += 1
                    if endpoint.roles.contains(role) {
                        // Past the role check: answered by the route (an unknown target is 404, an empty proposal 400).
                        #expect(reply.json["type"] as? String != Self.problems + "role-not-allowed", "\(role) \(endpoint.method) \(endpoint.path)")
                        #expect([200, 201, 400, 404].contains(reply.status), "\(role) \(endpoint.method) \(endpoint.path): \(String(decoding: reply.body, as: UTF8.self))")
                    } else {
                        refusals += 1
                        #expect(reply.status == 403, "\(role) \(endpoint.method) \(endpoint.path)")
                        #expect(reply.headers["Content-Type"].first == "application/problem+json")
                        #expect(reply.json["type"] as? String == Self.problems + "role-not-allowed")
                        let detail = reply.json["detail"] as? String ?? ""
                        #expect(endpoint.roles.allSatisfy { detail.contains($0.rawValue) }, "\(detail)")
                        #expect(detail.contains("the \(role.rawValue) role"), "\(detail)")
                    }
                }
            }
            let log = AdminAuditLog(pool: gateway.pool)
            #expect(try await log.verify() == TestGateway.seedAuditRows + requests)
            let rows = try await log.records(since: 0, limit: 1_000)
            #expect(rows.filter { $0.entry.status == 403 && $0.entry.detail == "role-not-allowed" }.count == refusals)
            let refusedKeyIssue = try #require(rows.first { $0.entry.method == "POST" && $0.entry.role == "audit" })
            #expect(refusedKeyIssue.entry.targetPartner == TestGateway.agency)
            #expect(refusedKeyIssue.entry.actorSubject.contains("OU=admin-audit"))
            #expect(refusedKeyIssue.entry.actorFingerprint == CertificateFingerprint(
                try Certificate(pemEncoded: String(contentsOf: gateway.pki.adminCertificateURL(.audit), encoding: .utf8))
            ).hex)
        }
    }

    @Test func partnerCredentialsNeverReachTheAdminListenerNorAdminCertificatesThePartnerListener() async throws {
        try await TestGateway.run { gateway in
            let adminPort = gateway.adminPort
            // A partner's certificate, a certificate of another CA claiming a role, no certificate and an API key alone.
            let stranger = try CertificateAuthority(subject: DistinguishedName(text: "CN=Stranger CA,O=Elsewhere,C=CN"))
            let impostor = try stranger.issue(
                subject: DistinguishedName(text: "CN=Impostor,OU=admin-audit,O=CreditBroker,C=CN"), usage: .client,
                notBefore: Date() - 60, notAfter: Date() + 86_400
            )
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            for identity in [try gateway.identity(of: TestGateway.bank), try TestGateway.ClientIdentity(impostor.certificate, impostor.privateKey), nil] {
                await #expect(throws: (any Error).self) {
                    try await gateway.request(.GET, "/admin/v1/audit", identity: identity, bearer: token, timeout: .seconds(2), port: adminPort)
                }
            }
            // An admin certificate fails the partner listener's handshake.
            for role in AdminRole.allCases {
                await #expect(throws: (any Error).self) {
                    try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: role), timeout: .seconds(2))
                }
            }
            // The admin CA's certificate without a role is refused everywhere, and audited.
            let adminCA = try CertificateAuthority(
                certificate: Certificate(pemEncoded: String(contentsOf: gateway.pki.adminCAURL, encoding: .utf8)),
                privateKey: P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: gateway.pki.adminCAKeyURL, encoding: .utf8))
            )
            let roleless = try adminCA.issue(
                subject: DistinguishedName(text: "CN=Nobody,O=CreditBroker,C=CN"), usage: .client, notBefore: Date() - 60, notAfter: Date() + 86_400
            )
            for endpoint in Self.endpoints {
                let reply = try await gateway.request(
                    endpoint.method, endpoint.path, identity: .init(roleless.certificate, roleless.privateKey), body: endpoint.body, port: adminPort
                )
                #expect(reply.status == 403)
                #expect(reply.json["type"] as? String == Self.problems + "role-not-allowed")
            }
            let rows = try await AdminAuditLog(pool: gateway.pool).records(since: TestGateway.seedAuditRows, limit: 100)
            #expect(rows.count == Self.endpoints.count)
            #expect(rows.allSatisfy { $0.entry.role == nil && $0.entry.status == 403 })
        }
    }

    /// The four-eyes rule tells people apart by their CN; a certificate of the admin CA whose subject
    /// names no one person plainly (two CNs, or the CN and OU in one part, `CN=…+OU=…`) let one person
    /// approve their own proposal (the comparison read another name). Such a certificate carries no
    /// role now, and says why; a plain one of the same person, its name in another case, is that person.
    @Test func aCertificateThatNamesNoOnePersonPlainlyCarriesNoRole() async throws {
        try await TestGateway.run { gateway in
            let adminPort = gateway.adminPort
            let adminCA = try CertificateAuthority(
                certificate: Certificate(pemEncoded: String(contentsOf: gateway.pki.adminCAURL, encoding: .utf8)),
                privateKey: P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: gateway.pki.adminCAKeyURL, encoding: .utf8))
            )
            func issue(_ subject: DistinguishedName) throws -> TestGateway.ClientIdentity {
                let issued = try adminCA.issue(subject: subject, usage: .client, notBefore: Date() - 60, notAfter: Date() + 86_400)
                return try .init(issued.certificate, issued.privateKey)
            }
            let multiValued = try DistinguishedName([
                RelativeDistinguishedName(.init(type: .RDNAttributeType.countryName, printableString: "CN")),
                RelativeDistinguishedName(.init(type: .RDNAttributeType.organizationName, utf8String: "CreditBroker")),
                RelativeDistinguishedName([
                    .init(type: .RDNAttributeType.commonName, utf8String: "Alice Zhang"),
                    .init(type: .RDNAttributeType.organizationalUnitName, utf8String: "admin-security"),
                ]),
            ])
            let twoNames = try DistinguishedName(text: "CN=Security,CN=Alice Zhang,OU=admin-security,O=CreditBroker,C=CN")
            for subject in [multiValued, twoNames] {
                let reply = try await gateway.request(.GET, "/admin/v1/proposals", identity: issue(subject), port: adminPort)
                #expect(reply.status == 403, "\(subject)")
                #expect(reply.json["type"] as? String == Self.problems + "role-not-allowed")
                #expect((reply.json["detail"] as? String)?.contains("must name one person") == true)
            }

            // One person, two roles: her system certificate proposes, her security one (her name in
            // another case, two spaces) may not approve.
            let system = try issue(DistinguishedName(text: "CN=Alice Zhang,OU=admin-system,O=CreditBroker,C=CN"))
            let security = try issue(DistinguishedName(text: "CN=alice  zhang,OU=admin-security,O=CreditBroker,C=CN"))
            let proposed = try await gateway.request(.POST, "/admin/v1/proposals", identity: system, body: BillingEndToEndTests.planChange(), port: gateway.adminPort)
            #expect(proposed.status == 201, "\(String(decoding: proposed.body, as: UTF8.self))")
            let id = try #require(proposed.json["id"] as? Int)
            let approved = try await gateway.request(
                .POST, "/admin/v1/proposals/\(id)/approve", identity: security, body: Data(#"{"reason":"mine"}"#.utf8), port: adminPort
            )
            #expect(approved.status == 403)
            #expect(approved.json["type"] as? String == Self.problems + "own-proposal")
        }
    }

    @Test func anIssuedKeyWorksOnThePartnerAPIUntilRevokedAndItsTokenIsNeverAudited() async throws {
        try await TestGateway.run { gateway in
            let keys = "/admin/v1/partners/\(TestGateway.agency)/keys"
            let lastDay = CivilDate.today().adding(days: 30).description
            let issued = try await gateway.admin(.POST, keys, as: .security, body: Data(#"{"expires":"\#(lastDay)"}"#.utf8))
            #expect(issued.status == 201)
            let token = try #require(issued.json["token"] as? String)
            let keyID = try #require(issued.json["key_id"] as? String)
            #expect(token.hasPrefix(keyID + "."))
            #expect(issued.json["partner"] as? String == TestGateway.agency)
            #expect(issued.json["expires"] is String)

            let partner = try await gateway.request(.GET, "/v1/partner", bearer: token)
            #expect(partner.status == 200)
            #expect(partner.json["partner"] as? String == TestGateway.agency)

            let listed = try await gateway.admin(.GET, keys, as: .security)
            let entries = try #require(listed.json["keys"] as? [[String: Any]])
            #expect(entries.map { $0["key_id"] as? String } == [keyID])
            #expect(entries[0]["token"] == nil)
            #expect(entries[0]["revoked"] == nil)

            // The agency's call is metered: its usage today counts it.
            let usage = try await gateway.admin(.GET, "/admin/v1/usage?partner=\(TestGateway.agency)", as: .audit)
            #expect(usage.status == 200)
            let days = try #require(usage.json["days"] as? [[String: Any]])
            #expect(days.compactMap { $0["calls"] as? Int }.reduce(0, +) == 1)

            // Issue 13, finding 6: the partner list showed the contract file's key ids, not the keys
            // that authenticate. It shows the live ones: the key just issued, and nothing else.
            func listedKeys() async throws -> [String]? {
                let listed = try await gateway.admin(.GET, "/admin/v1/partners", as: .security)
                let partners = listed.json["partners"] as? [[String: Any]]
                let agency = partners?.first { $0["id"] as? String == TestGateway.agency }
                return (agency?["authentication"] as? [String: Any])?["api_key_ids"] as? [String]
            }
            #expect(try await listedKeys() == [keyID])

            let revoked = try await gateway.admin(.DELETE, "/admin/v1/keys/\(keyID)", as: .security)
            #expect(revoked.status == 200)
            #expect(try await listedKeys() == [])
            #expect(revoked.json["revoked"] is String)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: token).status == 401)

            // Keys are for agencies of the contracts; expiry must be a date, today or later.
            let bank = try await gateway.admin(.POST, "/admin/v1/partners/\(TestGateway.bank)/keys", as: .security)
            #expect(bank.status == 422)
            #expect(bank.json["type"] as? String == Self.problems + "partner-not-agency")
            #expect(try await gateway.admin(.POST, "/admin/v1/partners/agency.nobody/keys", as: .security).status == 404)
            #expect(try await gateway.admin(.GET, "/admin/v1/partners/agency.nobody/keys", as: .security).status == 404)
            let bankKeys = try await gateway.admin(.GET, "/admin/v1/partners/\(TestGateway.bank)/keys", as: .security)
            #expect(bankKeys.status == 200)
            #expect((bankKeys.json["keys"] as? [Any])?.isEmpty == true)
            for body in [#"{"expires":"tomorrow"}"#, #"{"expires":"2001-01-01"}"#, "[]"] {
                let bad = try await gateway.admin(.POST, keys, as: .security, body: Data(body.utf8))
                #expect(bad.status == 400, "\(body)")
                #expect(bad.json["field"] as? String == (body == "[]" ? "body" : "expires"), "\(body)")
            }
            #expect(try await gateway.admin(.DELETE, "/admin/v1/keys/not-a-key", as: .security).status == 400)

            // The chain records the issue and the revocation by key id, never the secret.
            let chain = try await gateway.admin(.GET, "/admin/v1/audit?since=0&limit=100", as: .audit)
            #expect(chain.status == 200)
            let secret = String(token.split(separator: ".")[1])
            #expect(!String(decoding: chain.body, as: UTF8.self).contains(secret))
            let records = try #require(chain.json["records"] as? [[String: Any]])
            #expect(records.map { $0["seq"] as? Int } == (1...records.count).map { Optional($0) })
            #expect(records.contains { $0["detail"] as? String == "issued \(keyID), last day \(lastDay)" && $0["status"] as? Int == 201 })
            #expect(records.contains { $0["detail"] as? String == "revoked \(keyID)" && $0["partner"] as? String == TestGateway.agency })
            #expect(records.allSatisfy { ($0["hash"] as? String)?.count == 64 })
            #expect(chain.json["next"] as? Int == records.count)
        }
    }

    /// `serve --audit-digest sm3` on a new installation: the chain's first row records SM3, the
    /// ledger's seeding and every admin request after it link with SM3, and it verifies so.
    @Test func anInstallationThatChoseSM3LinksItsWholeChainWithSM3() async throws {
        try await TestGateway.run(auditDigest: .sm3) { gateway in
            #expect(try await gateway.admin(.GET, "/admin/v1/partners", as: .security).status == 200)
            let log = AdminAuditLog(pool: gateway.pool)
            #expect(try await log.digest() == .sm3)
            let rows = try await log.records(since: 0, limit: 10)
            #expect(rows.map(\.digest) == [.sm3] + Array(repeating: nil, count: rows.count - 1))
            #expect(rows.first?.entry.detail == "started the admin audit chain, its rows linked with SM3")
            #expect(rows.count >= 3, "the start, the ledger's seeding, the admin request")
            #expect(try await log.verify() == rows.count)
        }
    }

    @Test func theAuditPageFollowsSinceAndATamperedRowBreaksTheChain() async throws {
        try await TestGateway.run { gateway in
            for _ in 0..<3 { _ = try await gateway.admin(.GET, "/admin/v1/partners", as: .system) }
            // Row 1 is the seeding of the contract ledger.
            let page = try await gateway.admin(.GET, "/admin/v1/audit?since=2&limit=2", as: .audit)
            let records = try #require(page.json["records"] as? [[String: Any]])
            #expect(records.map { $0["seq"] as? Int } == [3, 4])
            #expect(page.json["next"] as? Int == 4)
            #expect(try await gateway.admin(.GET, "/admin/v1/audit?limit=0", as: .audit).json["field"] as? String == "limit")

            let log = AdminAuditLog(pool: gateway.pool)
            #expect(try await log.verify() == 6)
            try await gateway.pool.withConnection { connection in
                try await connection.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
                try await connection.query("UPDATE admin_audit SET role = 'security' WHERE seq = 3")
                try await connection.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
            }
            let broken = await #expect(throws: AdminAuditLog.Broken.self) { try await log.verify() }
            #expect(broken?.breaks.map(\.seq) == [3])
        }
    }

    /// Issue 13, finding 1: `usage?partner=x%00y` answered 200 and stored `x` where the chain had
    /// hashed `x\0y`, breaking the chain for good; `audit verify` then stopped at that row.
    @Test func inputTheChainCannotStoreIsRefusedBeforeTheActionAndTheChainStaysIntact() async throws {
        try await TestGateway.run { gateway in
            let refused: [(query: String, field: String)] = [
                ("usage?partner=x%00y", "partner"),
                ("usage?partner=\(TestGateway.bank)%0A", "partner"),
                ("usage?partner=\(String(repeating: "b", count: 65))", "partner"),
                ("usage?partner=\(TestGateway.bank)&from=2026-01-01%00", "from"),
                ("usage?partner=\(TestGateway.bank)&to=\(String(repeating: "9", count: 200))", "to"),
                ("audit?since=1%00", "since"),
                ("audit?limit=%095", "limit"),
                ("audit?seq=1", "query"),
            ]
            for (query, field) in refused {
                let reply = try await gateway.admin(.GET, "/admin/v1/" + query, as: query.hasPrefix("usage") ? .system : .audit)
                #expect(reply.status == 400, "\(query)")
                #expect(reply.json["field"] as? String == field, "\(query)")
                #expect(!String(decoding: reply.body, as: UTF8.self).contains("x\u{0}y"))
            }
            let unknown = try await gateway.admin(.GET, "/admin/v1/usage?partner=bank.nobody", as: .audit)
            #expect(unknown.status == 404)
            #expect(unknown.json["type"] as? String == Self.problems + "unknown-partner")

            let log = AdminAuditLog(pool: gateway.pool)
            #expect(try await log.verify() == TestGateway.seedAuditRows + refused.count + 1)
            let rows = try await log.records(since: TestGateway.seedAuditRows, limit: 100)
            #expect(rows.prefix(refused.count).allSatisfy { $0.entry.status == 400 && $0.entry.detail == "invalid-request" })
            // A partner that is not a partner id is not recorded as the target; the path shows what was asked.
            #expect(rows.prefix(3).allSatisfy { $0.entry.targetPartner == nil })
            #expect(rows.last?.entry.targetPartner == "bank.nobody")
        }
    }

    @Test func auditVerifyReportsEveryBreakNotOnlyTheFirst() async throws {
        try await TestGateway.run { gateway in
            for _ in 0..<6 { _ = try await gateway.admin(.GET, "/admin/v1/partners", as: .system) }
            try await gateway.pool.withConnection { connection in
                try await connection.query("ALTER TABLE admin_audit DISABLE TRIGGER admin_audit_no_update_delete")
                try await connection.query("UPDATE admin_audit SET detail = 'listed 0 partners' WHERE seq = 2")
                try await connection.query("DELETE FROM admin_audit WHERE seq = 4")
                try await connection.query("UPDATE admin_audit SET status = 204 WHERE seq = 6")
                try await connection.query("ALTER TABLE admin_audit ENABLE TRIGGER admin_audit_no_update_delete")
            }
            let broken = await #expect(throws: AdminAuditLog.Broken.self) { try await AdminAuditLog(pool: gateway.pool).verify() }
            // Row 5 links to row 4's hash, which is gone: the gap and the row after it both show.
            #expect(broken?.breaks.map(\.seq) == [2, 4, 5, 6])
            #expect(broken?.rows == TestGateway.seedAuditRows + 5)
        }
    }

    @Test func anActionWhoseAuditRowCannotBeWrittenIsUndone() async throws {
        try await TestGateway.run { gateway in
            let keys = ApiKeyStore(pool: gateway.pool)
            let (existing, token) = try await keys.issue(partnerID: TestGateway.agency, expiresAt: nil)
            // The chain refuses the rows of an issue and of a revocation (as a full disk or a lost
            // connection at that moment would), and nothing else.
            try await gateway.pool.withConnection { connection in
                try await connection.unsafeExecuteScript("""
                    CREATE FUNCTION refuse_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                    CREATE TRIGGER refuse_key_rows BEFORE INSERT ON admin_audit
                        FOR EACH ROW WHEN (NEW.detail LIKE 'issued %' OR NEW.detail LIKE 'revoked %') EXECUTE FUNCTION refuse_audit_row();
                    """)
            }
            let issued = try await gateway.admin(.POST, "/admin/v1/partners/\(TestGateway.agency)/keys", as: .security)
            #expect(issued.status == 503)
            #expect(issued.json["type"] as? String == Self.problems + "audit-unavailable")
            #expect(issued.json["token"] == nil)
            #expect(try await keys.keys(of: TestGateway.agency).map(\.keyID) == [existing.keyID])

            let revoked = try await gateway.admin(.DELETE, "/admin/v1/keys/\(existing.keyID)", as: .security)
            #expect(revoked.status == 503)
            #expect(try await keys.keys(of: TestGateway.agency).first?.revokedAt == nil)
            #expect(try await keys.authenticate(try #require(ApiKey(token))) == .success(TestGateway.agency))

            // Neither attempt left a row; what was recorded still verifies.
            let rows = try await AdminAuditLog(pool: gateway.pool).records(since: 0, limit: 100)
            #expect(rows.allSatisfy { $0.entry.method == "GET" || $0.entry.via == "cli" })
            #expect(try await AdminAuditLog(pool: gateway.pool).verify() == rows.count)
        }
    }
}
