import BrokerCore
import BrokerStore
import Foundation
import Gateway
import PKI
import Testing
import X509

/// The admin listener's handshake over real mutual TLS: admin certificates are checked as partner
/// certificates are (admin CA, validity, EKU clientAuth, the admin CRL reloaded without a restart),
/// and every refusal is counted under `listener="admin"` in the gateway's `/metrics`.
@Suite struct AdminCertificateEndToEndTests {
    /// The subject of the development PKI's security administrator.
    private static let security = "CN=Security Administrator,OU=admin-security,O=CreditBroker,C=CN"

    @Test func aRevokedAdminCertificateIsRefusedWithoutARestartAndTheRefusalShowsInTheMetrics() async throws {
        try await TestGateway.run { gateway in
            let counters = gateway.partners.metrics.adminAuthentication
            #expect(try await gateway.admin(.GET, "/admin/v1/partners", as: .security).status == 200)
            #expect(counters.snapshot()[.certificateAccepted] == 1)

            let serial = try gateway.pki.revoke(AdminRole.security.rawValue, of: .admin)
            #expect(serial == (try Certificate(pemEncoded: String(contentsOf: gateway.pki.adminCertificateURL(.security), encoding: .utf8)).serialNumber))
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/admin/v1/partners", identity: gateway.identity(of: .security), timeout: .seconds(2), port: gateway.adminPort)
            }
            let refused = try #require(counters.snapshot()[.handshakeRevoked])
            #expect(refused >= 1)
            // The other roles still get in; the partner listener counted nothing of this.
            #expect(try await gateway.admin(.GET, "/admin/v1/partners", as: .system).status == 200)
            #expect(gateway.counters.snapshot()[.handshakeRevoked] == nil)

            let metrics = try await gateway.metrics()
            #expect(metrics.contains(#"credit_broker_authentications_total{listener="admin",outcome="handshake_revoked"} \#(refused)"#), "\(metrics)")
            #expect(metrics.contains(#"credit_broker_authentications_total{listener="admin",outcome="certificate_accepted"} 2"#))
            #expect(metrics.contains(#"credit_broker_authentications_total{listener="partner",outcome="handshake_revoked"} 0"#))
            // Only the two admitted requests reached the audit chain.
            #expect(try await AdminAuditLog(pool: gateway.pool).verify() == TestGateway.seedAuditRows + 2)
        }
    }

    @Test func anExpiredAdminCertificateAndOneWithoutClientAuthAreRefusedInTheHandshake() async throws {
        try await TestGateway.run { gateway in
            let adminCA = try gateway.pki.certificateAuthority(.admin)
            let subject = try DistinguishedName(text: Self.security)
            let expired = try adminCA.issue(subject: subject, usage: .client, notBefore: Date() - 10 * 86_400, notAfter: Date() - 86_400)
            let serverOnly = try adminCA.issue(
                subject: subject, usage: .server(dnsNames: ["localhost"], ipAddresses: []), notBefore: Date() - 60, notAfter: Date() + 86_400
            )
            for issued in [expired, serverOnly] {
                await #expect(throws: (any Error).self) {
                    try await gateway.request(
                        .GET, "/admin/v1/partners", identity: .init(issued.certificate, issued.privateKey), timeout: .seconds(2), port: gateway.adminPort
                    )
                }
            }
            let counts = gateway.partners.metrics.adminAuthentication.snapshot()
            #expect(counts[.handshakeExpired, default: 0] >= 1)
            #expect(counts[.handshakeWrongUsage, default: 0] >= 1)
            #expect(counts[.certificateAccepted] == nil)
            #expect(try await AdminAuditLog(pool: gateway.pool).verify() == TestGateway.seedAuditRows)
            // The same subject in a valid client certificate of the admin CA gets in.
            let valid = try adminCA.issue(subject: subject, usage: .client, notBefore: Date() - 60, notAfter: Date() + 86_400)
            let reply = try await gateway.request(.GET, "/admin/v1/partners", identity: .init(valid.certificate, valid.privateKey), port: gateway.adminPort)
            #expect(reply.status == 200)
        }
    }

    @Test func anUnusableAdminCRLRefusesEveryAdminUntilAGoodOneIsBack() async throws {
        try await TestGateway.run { gateway in
            let crl = gateway.pki.adminRevocationListURL
            let good = try Data(contentsOf: crl)
            try Data("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n".utf8).write(to: crl, options: .atomic)
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/admin/v1/partners", identity: gateway.identity(of: .system), timeout: .seconds(2), port: gateway.adminPort)
            }
            #expect(gateway.partners.metrics.adminAuthentication.snapshot()[.handshakeNoRevocationList, default: 0] >= 1)
            // The partner CA's CRL signs nothing here: a partner CRL in the admin CRL's place is refused too.
            try Data(contentsOf: gateway.pki.revocationListURL).write(to: crl, options: .atomic)
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/admin/v1/partners", identity: gateway.identity(of: .system), timeout: .seconds(2), port: gateway.adminPort)
            }
            try good.write(to: crl, options: .atomic)
            #expect(try await gateway.admin(.GET, "/admin/v1/partners", as: .system).status == 200)
        }
    }
}
