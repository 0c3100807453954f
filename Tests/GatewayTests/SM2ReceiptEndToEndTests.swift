import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation
import Gateway
import GMCrypto
import PKI
import TestSupport
import Testing
import X509

/// Receipts in the suite of the partner's contract, over real TLS and PostgreSQL: a bank whose
/// contract (approved through the admin API, so the live ledger carries it) says `receipts:
/// sm2-sm3` gets SM2 receipts that verify offline with `credit-broker receipts verify` and with the
/// README's `openssl` commands, run as they are written; a tampered body fails; the other partners
/// keep Ed25519.
@Suite struct SM2ReceiptEndToEndTests {
    static let company = QueryEndToEndTests.company
    static let query = Data(#"{"subject":"\#(company)","purpose":"credit_approval","items":["enterprise.registration"]}"#.utf8)

    /// The bank's shipped contract bound to the test PKI's certificate, with a new label and
    /// `receipts: sm2-sm3`.
    static func sm2Document(_ gateway: TestGateway) throws -> Data {
        let certificate = try Certificate(pemEncoded: String(contentsOf: gateway.pki.clientCertificateURL(TestGateway.bank), encoding: .utf8))
        let shipped = try String(contentsOf: Repository.root.appending(path: "Contracts/\(TestGateway.bank).yaml"), encoding: .utf8)
        var lines = shipped.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeAll { $0.hasPrefix("    - { sha256:") }
        let index = try #require(lines.firstIndex(of: "  certificates:"))
        lines.insert(#"    - { sha256: "\#(CertificateFingerprint(certificate).hex)", subject: "\#(certificate.subject.description)" }"#, at: index + 1)
        let text = lines.joined(separator: "\n").replacingOccurrences(of: "version: 2026-11-01.1", with: "version: 2026-12-01.1")
        return Data((text + "receipts: sm2-sm3\n").utf8)
    }

    @Test func aBankWhoseContractSaysSM2GetsSM2ReceiptsThatVerifyOfflineAndOthersKeepEd25519() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(QueryEndToEndTests.feed)
            let bank = try gateway.identity(of: TestGateway.bank)
            let keys = try await gateway.request(.GET, "/v1/receipt-key")
            #expect(keys.status == 200)
            let both = try ReceiptVerifier(publicKeyPEM: String(decoding: keys.body, as: UTF8.self))
            let sm2Key = try await gateway.request(.GET, "/v1/receipt-key?suite=sm2-sm3")
            let ed25519Key = try await gateway.request(.GET, "/v1/receipt-key?suite=ed25519")
            #expect(String(decoding: keys.body, as: UTF8.self) == String(decoding: ed25519Key.body + sm2Key.body, as: UTF8.self))
            let onlySM2 = try ReceiptVerifier(publicKeyPEM: String(decoding: sm2Key.body, as: UTF8.self))
            let onlyEd25519 = try ReceiptVerifier(publicKeyPEM: String(decoding: ed25519Key.body, as: UTF8.self))
            let unknown = try await gateway.request(.GET, "/v1/receipt-key?suite=rsa")
            #expect(unknown.status == 400)
            #expect(unknown.json["field"] as? String == "suite")

            // Before: the default suite.
            let before = try await gateway.request(.POST, "/v1/queries", identity: bank, body: Self.query)
            let beforeToken = try #require(before.headers.first(name: Receipt.headerName))
            #expect(ReceiptVerifier.suite(of: beforeToken) == .ed25519)
            #expect(try onlyEd25519.verify(token: beforeToken, body: before.body).partnerID == TestGateway.bank)

            let id = try await LiveContractsEndToEndTests.propose(gateway, try Self.sm2Document(gateway))
            let shown = try await gateway.admin(.GET, "/admin/v1/proposals/\(id)", as: .audit)
            let changes = try #require(shown.json["changes"] as? [[String: Any]])
            #expect(changes.contains { $0["what"] as? String == "receipts" && $0["old"] as? String == "ed25519" && $0["new"] as? String == "sm2-sm3" }, "\(changes)")
            let whatIf = try await gateway.admin(.GET, "/admin/v1/proposals/\(id)/what-if", as: .security)
            #expect(whatIf.json["receipts"] as? [String: String] == ["in_force": "ed25519", "proposed": "sm2-sm3"])
            #expect(try await LiveContractsEndToEndTests.approve(gateway, id).status == 200)

            let reply = try await gateway.request(.POST, "/v1/queries", identity: bank, body: Self.query)
            #expect(reply.status == 200)
            let token = try #require(reply.headers.first(name: Receipt.headerName))
            #expect(token.hasPrefix("sm2-sm3."))
            let receipt = try both.verify(token: token, body: reply.body)
            #expect(receipt.partnerID == TestGateway.bank)
            #expect(receipt.itemsDisclosed == ["enterprise.registration"])
            #expect(receipt.contractVersion.hasPrefix("\(TestGateway.bank)@2026-12-01.1#"))
            #expect(try onlySM2.verify(token: token, body: reply.body) == receipt)
            #expect(throws: ReceiptVerifier.Failure.noKey(.sm2SM3)) { try onlyEd25519.verify(token: token, body: reply.body) }
            var body = reply.body
            body[body.startIndex + 2] ^= 0x01
            #expect(throws: ReceiptVerifier.Failure.bodyMismatch(.sm3)) { try both.verify(token: token, body: body) }
            let parts = token.split(separator: ".")
            var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let forged = String(decoding: try #require(Data(base64Encoded: base64)), as: UTF8.self)
                .replacingOccurrences(of: "enterprise.registration", with: "enterprise.penalty")
            let forgedToken = "sm2-sm3." + Data(forged.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "") + "." + parts[2]
            #expect(throws: ReceiptVerifier.Failure.badSignature) { try both.verify(token: forgedToken, body: reply.body) }

            // The other bank and an agency: unchanged, Ed25519.
            let other = try await gateway.request(.GET, "/v1/partner", identity: gateway.identity(of: TestGateway.otherBank))
            let otherToken = try #require(other.headers.first(name: Receipt.headerName))
            #expect(ReceiptVerifier.suite(of: otherToken) == .ed25519)
            #expect(try onlyEd25519.verify(token: otherToken, body: other.body).partnerID == TestGateway.otherBank)
            let (_, apiKey) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let agency = try await gateway.request(.GET, "/v1/partner", bearer: apiKey)
            #expect(ReceiptVerifier.suite(of: try #require(agency.headers.first(name: Receipt.headerName))) == .ed25519)

            // Offline, as a bank would: the CLI, and the README's openssl commands as written.
            let folder = URL(filePath: NSTemporaryDirectory()).appending(path: "sm2-receipt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try keys.body.write(to: folder.appending(path: "receipt-key.pem"))
            let saved = Self.curlSaved(reply)
            try saved.write(to: folder.appending(path: "answer.http"))
            let cli = try await ChildProcess.run(Self.binary, ["receipts", "verify", folder.appending(path: "answer.http").path, "--key", folder.appending(path: "receipt-key.pem").path])
            #expect(cli.hasPrefix("receipt OK (sm2-sm3): request \(receipt.requestID), partner \(TestGateway.bank)"), "\(cli)")
            // The body saved alone, its headers beside it (curl -o, curl -D), and the SM2 key alone.
            try reply.body.write(to: folder.appending(path: "answer.json"))
            try Self.curlHead(reply).write(to: folder.appending(path: "answer.headers"))
            try sm2Key.body.write(to: folder.appending(path: "receipt-key-sm2.pem"))
            let headersOnly = try await ChildProcess.run(Self.binary, [
                "receipts", "verify", folder.appending(path: "answer.json").path, "--headers", folder.appending(path: "answer.headers").path,
                "--key", folder.appending(path: "receipt-key-sm2.pem").path,
            ])
            #expect(headersOnly.hasPrefix("receipt OK (sm2-sm3): request \(receipt.requestID)"), "\(headersOnly)")

            let script = try Self.readmeScript(port: gateway.port)
            let environment = [
                "PKI": gateway.pki.folder.path,
                "BANK": "--cacert \(gateway.pki.caURL.path) --cert \(gateway.pki.clientCertificateURL(TestGateway.bank).path) --key \(gateway.pki.clientKeyURL(TestGateway.bank).path)",
            ]
            let verified = try await ChildProcess.start("/bin/bash", ["-ec", "cd '\(folder.path)'\n" + script], environment: environment).wait()
            #expect(verified.status == 0, "\(verified.output)")
            #expect(verified.output.contains("Signature Verified Successfully"), "\(verified.output)")
            #expect(verified.output.contains("Body matches the receipt"), "\(verified.output)")

            // The same commands over a tampered answer: the body no longer matches.
            let tamperedScript = script.replacingOccurrences(of: "curl -si", with: "true # curl -si")
            var tampered = saved
            tampered[tampered.count - 3] ^= 0x01
            try tampered.write(to: folder.appending(path: "answer.http"))
            let refused = try await ChildProcess.start("/bin/bash", ["-ec", "cd '\(folder.path)'\n" + tamperedScript], environment: environment).wait()
            #expect(refused.status != 0)
            #expect(!refused.output.contains("Body matches the receipt"), "\(refused.output)")
            let cliRefused = try await ChildProcess.start(Self.binary, ["receipts", "verify", folder.appending(path: "answer.http").path, "--key", folder.appending(path: "receipt-key.pem").path]).wait()
            #expect(cliRefused.status != 0)
            #expect(cliRefused.output.contains("receipt INVALID: the body's SM3 differs from the receipt's body_sm3"), "\(cliRefused.output)")
        }
    }

    /// The `credit-broker` built beside the tests.
    static let binary = CommandLineBinary.path

    /// A reply as `curl -si` saves it: status line, headers, a blank line, the body.
    static func curlSaved(_ reply: TestGateway.Reply) -> Data {
        curlHead(reply) + reply.body
    }

    /// A reply's status line, headers and blank line, as `curl -D` saves them.
    static func curlHead(_ reply: TestGateway.Reply) -> Data {
        var head = "HTTP/1.1 \(reply.status) OK\r\n"
        for header in reply.headers { head += "\(header.name): \(header.value)\r\n" }
        return Data((head + "\r\n").utf8)
    }

    /// The README's SM2 verification commands (between `<!-- sm2-verify:begin -->` and `<!-- sm2-verify:end -->`),
    /// pointed at the test gateway's port and bank.
    static func readmeScript(port: Int) throws -> String {
        let readme = try String(contentsOf: Repository.root.appending(path: "README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- sm2-verify:begin -->"))
        let end = try #require(readme.range(of: "<!-- sm2-verify:end -->"))
        let block = readme[begin.upperBound..<end.lowerBound].split(separator: "\n").filter { !$0.hasPrefix("```") }.joined(separator: "\n")
        return block.replacingOccurrences(of: "https://localhost:8443", with: "https://localhost:\(port)")
            .replacingOccurrences(of: "bank.jiangsu_rcu", with: TestGateway.bank)
    }
}
