import BrokerStore
import Crypto
import Foundation
import Gateway
import NIOHTTP1
import PKI
import Testing
import X509

/// The partner listener over real TLS against real PostgreSQL: who gets in, as whom, and how refusals
/// look (those that need neither TLS nor the database: `RouterTests`).
@Suite(.serialized) struct GatewayEndToEndTests {
    @Test func aBankCertificateAuthenticatesAsThatBankOverHTTP2() async throws {
        try await TestGateway.run { gateway in
            let reply = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.bank))
            #expect(reply.status == 200)
            #expect(reply.version.major == 2)
            #expect(reply.json["partner"] as? String == TestGateway.bank)
            #expect((reply.json["credential"] as? String)?.hasPrefix("certificate sha256:") == true)
            let other = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.otherBank))
            #expect(other.json["partner"] as? String == TestGateway.otherBank)
            #expect(gateway.counters.snapshot()[.certificateAccepted] == 2)
        }
    }

    @Test func certificatesOfAnUnknownCAOrExpiredAreRefusedInTheHandshake() async throws {
        try await TestGateway.run { gateway in
            let subject = try DistinguishedName(text: "CN=creditbroker-client-1.icbc-jiangsu,O=中国工商银行股份有限公司江苏省分行,C=CN")
            let stranger = try CertificateAuthority(subject: DistinguishedName(text: "CN=Someone Else CA,C=CN"))
            let foreign = try stranger.issue(subject: subject, usage: .client, notBefore: Date() - 60, notAfter: Date() + 86_400)
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/v1/partner", identity: .init(foreign.certificate, foreign.privateKey), timeout: .seconds(2))
            }
            let expired = try gateway.ca.issue(subject: subject, usage: .client, notBefore: Date() - 10 * 86_400, notAfter: Date() - 86_400)
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/v1/partner", identity: .init(expired.certificate, expired.privateKey), timeout: .seconds(2))
            }
            let counts = gateway.counters.snapshot()
            // The client retries a refused handshake; every attempt is counted.
            #expect(counts[.handshakeUntrusted, default: 0] >= 1)
            #expect(counts[.handshakeExpired, default: 0] >= 1)
            #expect(counts[.certificateAccepted] == nil)
        }
    }

    @Test func aRevokedCertificateIsRefusedWithoutARestart() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            #expect(try await gateway.request(.GET, "/v1/partner", identity: identity).status == 200)
            try gateway.pki.revoke(TestGateway.bank)
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/v1/partner", identity: identity, timeout: .seconds(2))
            }
            #expect(gateway.counters.snapshot()[.handshakeRevoked, default: 0] >= 1)
            let other = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.otherBank))
            #expect(other.status == 200)
        }
    }

    @Test func aValidCertificateNoContractBindsIsForbidden() async throws {
        try await TestGateway.run { gateway in
            let unbound = try gateway.ca.issue(
                subject: DistinguishedName(text: "CN=\(TestGateway.agency),O=南京安信征信服务有限公司,C=CN"), usage: .client,
                notBefore: Date() - 60, notAfter: Date() + 86_400
            )
            let reply = try await gateway.request(.GET, "/v1/partner", identity: .init(unbound.certificate, unbound.privateKey))
            #expect(reply.status == 403)
            #expect(reply.json["type"] as? String == "https://credit-broker.example/problems/certificate-not-bound")
        }
    }

    /// A request carrying credentials the broker does not understand is refused, even beside a valid
    /// client certificate: a Basic or Digest header, a bare token, an empty `Bearer`.
    @Test func anAuthorizationHeaderThatIsNoBearerKeyIsRefusedEvenWithACertificate() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            for header in ["Basic dXNlcjpwYXNz", "Digest username=\"bank\"", "ak_0123456789abcdef.secret", "Bearer", "Bearer ", "Negotiate abc"] {
                let reply = try await gateway.request(.GET, "/v1/partner", identity: bank, headers: ["Authorization": header])
                #expect(reply.status == 401, "\(header)")
                #expect(reply.json["type"] as? String == "https://credit-broker.example/problems/unauthenticated", "\(header)")
                #expect(reply.headers.first(name: "WWW-Authenticate") == #"Bearer realm="credit-broker""#)
            }
            #expect(try await gateway.request(.GET, "/v1/partner", identity: bank).status == 200)
            #expect(try await gateway.request(.GET, "/v1/partner", headers: ["Authorization": "Basic dXNlcjpwYXNz"]).status == 401)
            #expect(gateway.counters.snapshot()[.credentialUnsupported] == 7)
        }
    }

    @Test func anAgencyKeyAuthenticatesOnlyItsOwnAgency() async throws {
        try await TestGateway.run { gateway in
            let keys = ApiKeyStore(pool: gateway.pool)
            let (record, token) = try await keys.issue(partnerID: TestGateway.agency, expiresAt: Date() + 86_400)
            let (_, rotated) = try await keys.issue(partnerID: TestGateway.agency, expiresAt: nil)
            let (otherRecord, otherToken) = try await keys.issue(partnerID: TestGateway.otherAgency, expiresAt: nil)

            let reply = try await gateway.request(.GET, "/v1/partner", bearer: token)
            #expect(reply.status == 200)
            #expect(reply.json["partner"] as? String == TestGateway.agency)
            #expect(reply.json["credential"] as? String == "api key \(record.keyID)")
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: rotated).json["partner"] as? String == TestGateway.agency)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: otherToken).json["partner"] as? String == TestGateway.otherAgency)

            // One partner's key id with another's secret, a wrong secret, garbage: all 401.
            let mixed = otherRecord.keyID + "." + token.split(separator: ".")[1]
            let wrong = record.keyID + "." + String(repeating: "0", count: 64)
            for bad in [mixed, wrong, "ak_nothexatall.secret"] {
                let refused = try await gateway.request(.GET, "/v1/partner", bearer: bad)
                #expect(refused.status == 401)
                #expect(refused.json["type"] as? String == "https://credit-broker.example/problems/unauthenticated")
            }

            // A key issued to a bank never authenticates (banks use certificates).
            let (_, bankToken) = try await keys.issue(partnerID: TestGateway.bank, expiresAt: nil)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: bankToken).status == 401)

            // A certificate and another partner's key together: refused.
            let conflict = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.bank), bearer: token)
            #expect(conflict.status == 401)

            // Expired and revoked keys stop working.
            let (_, expiring) = try await keys.issue(partnerID: TestGateway.agency, expiresAt: Date() - 1)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: expiring).status == 401)
            try await keys.revoke(keyID: record.keyID)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: token).status == 401)
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: rotated).status == 200)
            #expect(gateway.counters.snapshot()[.keyRefused] == 6)
        }
    }

    /// The admin listener answers 405 with `Allow` for a path it serves asked with another method,
    /// before its own checks of query parameters (the partner router's 405: `RouterTests`).
    @Test func theAdminListenerAnswers405WithAllowBeforeItsOwnChecks() async throws {
        try await TestGateway.run { gateway in
            let admin = try await gateway.admin(.TRACE, "/admin/v1/partners", as: .system)
            #expect(admin.status == 405)
            #expect(admin.headers.first(name: "Allow") == "GET")
            #expect(admin.headers.first(name: "Content-Type") == "application/problem+json")
            let checked = try await gateway.admin(.TRACE, "/admin/v1/usage?partner=&from=2000-01-01", as: .audit)
            #expect(checked.status == 405)
            #expect(checked.headers.first(name: "Allow") == "GET")
        }
    }

    @Test func aReceiptVerifiesAndATamperedBodyOrReceiptDoesNot() async throws {
        try await TestGateway.run { gateway in
            let key = try await gateway.request(.GET, "/v1/receipt-key")
            let verifier = try ReceiptVerifier(publicKeyPEM: String(decoding: key.body, as: UTF8.self))
            let reply = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.bank))
            let token = try #require(reply.headers.first(name: Receipt.headerName))
            let receipt = try verifier.verify(token: token, body: reply.body)
            #expect(receipt.partnerID == TestGateway.bank)
            #expect(receipt.contractVersion == reply.json["contract_version"] as? String)
            #expect(receipt.itemsDisclosed.isEmpty)

            var body = reply.body
            body[body.startIndex] ^= 0x01
            #expect(throws: ReceiptVerifier.Failure.bodyMismatch(.sha256)) { try verifier.verify(token: token, body: body) }
            var tampered = Array(token)
            tampered[5] = tampered[5] == "A" ? "B" : "A"
            #expect(throws: ReceiptVerifier.Failure.badSignature) { try verifier.verify(token: String(tampered), body: reply.body) }
            let otherKey = ReceiptVerifier(publicKey: Curve25519.Signing.PrivateKey().publicKey)
            #expect(ReceiptVerifier.suite(of: token) == .ed25519)
            #expect(throws: ReceiptVerifier.Failure.badSignature) { try otherKey.verify(token: token, body: reply.body) }
        }
    }
}
