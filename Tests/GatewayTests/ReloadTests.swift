import BrokerCore
import Foundation
import Gateway
import NIOCore
import NIOPosix
import NIOSSL
import PKI
import PostgresClient
import TestSupport
import Testing
import X509

/// `Broker.reload()`, what SIGHUP runs (`ReloadSignalTests` sends the signal to a real `serve`):
/// the server certificate and key for new connections, a CRL even when its file looks unchanged,
/// the contract ledger at once, and the sealing keys (`SealingKeyRotationTests`).
@Suite struct ReloadTests {
    @Test func aReplacedServerCertificateIsServedToNewConnectionsAndABadOneLeavesItInPlace() async throws {
        try await TestGateway.run { gateway in
            let original = try Certificate(pemEncoded: String(contentsOf: gateway.pki.serverCertificateURL, encoding: .utf8))
            #expect(try await Self.servedCertificate(port: gateway.port) == original)
            let other = DevelopmentPKI(folder: URL(filePath: TestPostgres.temporaryFolder()).appending(path: "other"))
            _ = try other.create(partners: [])
            let renewed = try Certificate(pemEncoded: String(contentsOf: other.serverCertificateURL, encoding: .utf8))
            #expect(renewed != original)
            try Self.replace(gateway.pki.serverCertificateURL, with: Data(contentsOf: other.serverCertificateURL))
            try Self.replace(gateway.pki.serverKeyURL, with: Data(contentsOf: other.serverKeyURL))
            #expect(try await Self.servedCertificate(port: gateway.port) == original, "nothing changes before the reload")

            var outcome = try #require(await gateway.broker.reload().first { $0.part == "server certificate" })
            #expect(!outcome.failed, "\(outcome)")
            #expect(outcome.detail.hasPrefix("new connections get server.pem"), "\(outcome)")
            #expect(try await Self.servedCertificate(port: gateway.port) == renewed)
            // The admin listener serves the same files, so the same pair.
            #expect(try await Self.servedCertificate(port: gateway.adminPort) == renewed)

            // The first certificate with the second's key: not taken, the renewed pair stays.
            try Self.replace(gateway.pki.serverCertificateURL, with: Data(original.serializeAsPEM().pemString.utf8))
            outcome = try #require(await gateway.broker.reload().first { $0.part == "server certificate" })
            #expect(outcome.failed)
            #expect(outcome.detail.contains("is not the key of the certificate"), "\(outcome)")
            #expect(try await Self.servedCertificate(port: gateway.port) == renewed)
            // No certificate at all.
            try Self.replace(gateway.pki.serverCertificateURL, with: Data("not a certificate\n".utf8))
            outcome = try #require(await gateway.broker.reload().first { $0.part == "server certificate" })
            #expect(outcome.failed)
            #expect(outcome.detail.contains("holds no PEM certificate"), "\(outcome)")
            #expect(try await Self.servedCertificate(port: gateway.port) == renewed)
            // The same pair again: nothing to change.
            try Self.replace(gateway.pki.serverCertificateURL, with: Data(contentsOf: other.serverCertificateURL))
            outcome = try #require(await gateway.broker.reload().first { $0.part == "server certificate" })
            #expect(!outcome.failed && outcome.detail.hasPrefix("unchanged"), "\(outcome)")
        }
    }

    /// The CRL is re-read whenever its time, size or inode changes; a reload reads it even when
    /// none did (rewritten in place, the same length, its time set back).
    @Test func aReloadReadsTheCRLEvenWhenTheFileLooksUnchanged() async throws {
        try await TestGateway.run { gateway in
            let crl = gateway.pki.revocationListURL(of: .partner)
            let serial = { (partner: String) in
                try Certificate(pemEncoded: String(contentsOf: gateway.pki.clientCertificateURL(partner), encoding: .utf8)).serialNumber
            }
            let now = Date()
            let list = { (revoked: Certificate.SerialNumber) in
                try CertificateRevocationList(
                    issuer: gateway.ca.certificate.subject, thisUpdate: now, nextUpdate: now + 86_400, entries: [.init(serial: revoked, revokedAt: now)]
                ).pemEncoded(signedBy: gateway.ca.privateKey)
            }
            // One list revoking a serial of no certificate, as long as the bank's, one revoking the
            // bank's, of equal length (ECDSA signatures vary by a byte or two: sign both again
            // until they match).
            let bankSerial = try serial(TestGateway.bank)
            var unknown = Array(bankSerial.bytes)
            unknown[unknown.count - 1] ^= 0x01
            var otherRevoked = try list(Certificate.SerialNumber(bytes: unknown))
            var bankRevoked = try list(bankSerial)
            for _ in 0..<500 where bankRevoked.utf8.count != otherRevoked.utf8.count {
                otherRevoked = try list(Certificate.SerialNumber(bytes: unknown))
                bankRevoked = try list(bankSerial)
            }
            try #require(bankRevoked.utf8.count == otherRevoked.utf8.count)
            let stamp = Date(timeIntervalSince1970: (now.timeIntervalSince1970 - 120).rounded(.down))

            try Self.replace(crl, with: Data(otherRevoked.utf8), modified: stamp)
            let bank = try gateway.identity(of: TestGateway.bank)
            #expect(try await gateway.request(.GET, "/v1/partner", identity: bank).status == 200)
            let before = try FileManager.default.attributesOfItem(atPath: crl.path)
            try Self.replace(crl, with: Data(bankRevoked.utf8), modified: stamp)
            let after = try FileManager.default.attributesOfItem(atPath: crl.path)
            for key in [FileAttributeKey.modificationDate, .size, .systemFileNumber] {
                try #require("\(before[key] ?? "-")" == "\(after[key] ?? "-")", "\(key) changed")
            }
            #expect(try await gateway.request(.GET, "/v1/partner", identity: bank).status == 200, "the watch cannot tell the file changed")

            let outcome = try #require(await gateway.broker.reload().first { $0.part == "partner CRL" })
            #expect(!outcome.failed && outcome.detail.contains("1 certificates revoked"), "\(outcome)")
            await #expect(throws: (any Error).self) {
                try await gateway.request(.GET, "/v1/partner", identity: bank, timeout: .seconds(2))
            }
            #expect(gateway.counters.snapshot()[.handshakeRevoked, default: 0] >= 1)
            #expect(try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.otherBank)).status == 200)
        }
    }

    /// A change to the ledger whose notification never came, with the once-a-second check off:
    /// served only after the reload, which reads the ledger at once.
    @Test func aReloadReadsTheContractLedgerAtOnce() async throws {
        try await TestGateway.run(configuring: { configuration, _ in configuration.contractPollInterval = .seconds(3_600) }) { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            #expect(try await gateway.request(.GET, "/v1/partner", identity: bank).status == 200)
            // A suspension written straight into the ledger: no NOTIFY, so no process hears of it.
            try await gateway.pool.query("""
                INSERT INTO partner_status_changes (partner_id, status, at, reason, actor_fingerprint, actor_subject, via)
                VALUES (\(TestGateway.bank), 'suspended', now(), 'reload test', 'test', 'test', 'cli')
                """)
            #expect(try await gateway.request(.GET, "/v1/partner", identity: bank).status == 200)

            let outcomes = await gateway.broker.reload()
            let contracts = try #require(outcomes.first { $0.part == "contracts" })
            #expect(!contracts.failed && contracts.detail.contains("now served"), "\(contracts)")
            let refused = try await gateway.request(.GET, "/v1/partner", identity: bank)
            #expect(refused.status == 403)
            #expect(refused.json["type"] as? String == LiveContractsEndToEndTests.problems + "partner-suspended")
            #expect(Set(outcomes.map(\.part)) == ["server certificate", "partner CRL", "admin CRL", "contracts", "sealing keys"])
            #expect(outcomes.filter(\.failed).isEmpty, "\(outcomes)")
        }
    }

    /// Writes `data` into the file in place (same inode), then sets its modification time if given.
    static func replace(_ url: URL, with data: Data, modified: Date? = nil) throws {
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
        try handle.close()
        if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: url.path) }
    }

    /// The leaf certificate a new TLS connection to `port` is shown (no client certificate is sent;
    /// the server presents its own before it asks for one).
    static func servedCertificate(port: Int) async throws -> Certificate {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: tls)
        let (leaves, leaf) = AsyncStream.makeStream(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: "localhost") { chain, verification in
                        leaf.yield((try? chain.first?.toDERBytes()) ?? [])
                        leaf.finish()
                        verification.succeed(.certificateVerified)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { _ in leaf.finish() }
        defer { channel.close(promise: nil) }
        for await der in leaves where !der.isEmpty { return try Certificate(derEncoded: der) }
        throw ChannelError.alreadyClosed
    }
}
