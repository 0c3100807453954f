import BrokerCore
import BrokerStore
import ChildProcesses
import Crypto
import Foundation
import Gateway
import GMCrypto
import Testing

@Suite struct ReceiptTests {
    static func signer() throws -> ReceiptSigner {
        try ReceiptSigner(ed25519: Curve25519.Signing.PrivateKey(), sm2: SM2PrivateKey())
    }

    /// The JSON inside a token of either suite.
    static func payload(of token: String) throws -> Data {
        let parts = token.split(separator: ".")
        var base64 = String(parts[parts.count - 2]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return try #require(Data(base64Encoded: base64))
    }

    /// The signed payload is exactly what `JSONEncoder` would write for the receipt (sorted keys,
    /// unescaped slashes), with and without a consent, in both suites: the same fields, the same bytes.
    @Test(arguments: [nil, "cs_7/\"典\""], ReceiptSuite.allCases)
    func thePayloadIsTheCodableEncoding(consentID: String?, suite: ReceiptSuite) throws {
        let receipt = try Receipt(
            requestID: "req-1", partnerID: "bank.icbc_jiangsu", issuedAt: Date(timeIntervalSince1970: 1_800_000_000),
            itemsDisclosed: ["enterprise.registration", "enterprise.penalty"], contractVersion: "bank@2026-11-01.1#ab/cd",
            consentID: consentID, body: Data("{}".utf8), suite: suite
        )
        let signer = try Self.signer()
        let token = try signer.token(for: receipt)
        #expect(ReceiptVerifier.suite(of: token) == suite)
        #expect(token.hasPrefix("sm2-sm3.") == (suite == .sm2SM3))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try Self.payload(of: token), as: UTF8.self) == String(decoding: try encoder.encode(receipt), as: UTF8.self))
        let verifier = try ReceiptVerifier(publicKeyPEM: signer.publicKeysPEM)
        #expect(try verifier.verify(token: token, body: Data("{}".utf8)) == receipt)
        // The key of the other suite alone does not verify it: the token names its suite.
        let other = ReceiptSuite.allCases.first { $0 != suite }!
        let wrong = try ReceiptVerifier(publicKeyPEM: signer.publicKeyPEM(other))
        #expect(throws: ReceiptVerifier.Failure.noKey(suite)) { try wrong.verify(token: token, body: Data("{}".utf8)) }
        // Another signer's key of the same suite: a bad signature.
        let stranger = try ReceiptVerifier(publicKeyPEM: Self.signer().publicKeyPEM(suite))
        #expect(throws: ReceiptVerifier.Failure.badSignature) { try stranger.verify(token: token, body: Data("{}".utf8)) }
    }

    /// Each suite names the body by its own hash, in a field that says which: an Ed25519 receipt by
    /// `body_sha256`, an SM2 one by `body_sm3` (SM3 as the `openssl dgst -sm3` command computes it);
    /// a changed body fails naming the hash. An SM2 receipt made before (naming the body by
    /// `body_sha256`) still verifies by SHA-256; one naming it twice is refused.
    @Test func eachSuiteNamesTheBodyByItsOwnHash() async throws {
        let body = Data(#"{"disclosed":[],"request_id":"req-2","text":"国密"}"#.utf8)
        let folder = URL(filePath: NSTemporaryDirectory()).appending(path: "receipt-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body.write(to: folder.appending(path: "body.json"))
        func openssl(_ digest: String) async throws -> String {
            String(try await ChildProcess.run("/usr/bin/openssl", ["dgst", "-\(digest)", "-r", folder.appending(path: "body.json").path]).prefix(64))
        }
        let signer = try Self.signer()
        let verifier = try ReceiptVerifier(publicKeyPEM: signer.publicKeysPEM)
        for (suite, field, digest) in [(ReceiptSuite.ed25519, "body_sha256", "sha256"), (.sm2SM3, "body_sm3", "sm3")] {
            let receipt = try Receipt(
                requestID: "req-2", partnerID: "bank.jiangsu_rcu", issuedAt: Date(), itemsDisclosed: ["enterprise.registration"],
                contractVersion: "bank.jiangsu_rcu@2026-12-01.1#0a1b2c3d4e5f", consentID: nil, body: body, suite: suite
            )
            let token = try signer.token(for: receipt)
            let json = try #require(try JSONSerialization.jsonObject(with: Self.payload(of: token)) as? [String: Any])
            let expected = try await openssl(digest)
            #expect(json[field] as? String == expected, "\(json)")
            #expect(json.keys.filter { $0.hasPrefix("body_") } == [field])
            #expect(try verifier.verify(token: token, body: body) == receipt)
            var changed = body
            changed[changed.startIndex + 3] ^= 0x01
            #expect(throws: ReceiptVerifier.Failure.bodyMismatch(Receipt.BodyDigest(suite))) { try verifier.verify(token: token, body: changed) }
            let failure = ReceiptVerifier.Failure.bodyMismatch(Receipt.BodyDigest(suite))
            #expect(failure.description == "the body's \(digest == "sm3" ? "SM3" : "SHA-256") differs from the receipt's \(field)")
        }

        // Signed with SM2 by hand over a payload naming the body by SHA-256 (as SM2 receipts once did), and over one naming it twice.
        let key = try SM2PrivateKey()
        let sm2 = ReceiptVerifier(sm2: key.publicKey)
        func sm2Token(_ json: String) throws -> String {
            func base64url(_ bytes: Data) -> String {
                bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            return "sm2-sm3." + base64url(Data(json.utf8)) + "." + base64url(Data(try key.signature(for: Data(json.utf8))))
        }
        let fields = #""contract_version":"v","issued_at":"2026-12-01T00:00:00Z","items_disclosed":[],"partner":"p","request_id":"r""#
        let sha256 = try await openssl("sha256"), sm3 = try await openssl("sm3")
        let older = try sm2Token(#"{"body_sha256":"\#(sha256)",\#(fields)}"#)
        #expect(try sm2.verify(token: older, body: body).bodyDigestAlgorithm == .sha256)
        #expect(throws: ReceiptVerifier.Failure.bodyMismatch(.sha256)) { try sm2.verify(token: older, body: Data("{}".utf8)) }
        let twice = try sm2Token(#"{"body_sha256":"\#(sha256)","body_sm3":"\#(sm3)",\#(fields)}"#)
        #expect(throws: ReceiptVerifier.Failure.malformed) { try sm2.verify(token: twice, body: body) }
    }

    @Test func aKeyFileOfNeitherSuiteOrATokenOfNeitherFormIsRefused() throws {
        #expect(throws: ReceiptVerifier.Failure.badKey) { try ReceiptVerifier(publicKeyPEM: "no key here") }
        let p256 = P256.Signing.PrivateKey().publicKey.pemRepresentation
        #expect(throws: ReceiptVerifier.Failure.badKey) { try ReceiptVerifier(publicKeyPEM: p256) }
        let verifier = try ReceiptVerifier(publicKeyPEM: Self.signer().publicKeysPEM)
        for token in ["abc", "rsa.abc.def", "a.b.c.d", "sm2-sm3.abc"] {
            #expect(throws: ReceiptVerifier.Failure.malformed) { try verifier.verify(token: token, body: Data()) }
        }
    }

    /// The SM2 key file is PKCS#8 PEM as openssl writes it, created once (0600) and read back after.
    @Test func theKeysAreCreatedOnceAndReadBack() throws {
        let folder = URL(filePath: NSTemporaryDirectory()).appending(path: "receipt-keys-\(UUID().uuidString)")
        let (ed25519, sm2) = (folder.appending(path: "receipt-signing-key"), folder.appending(path: "receipt-signing-key-sm2.pem"))
        let first = try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2)
        let again = try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2)
        #expect(first.publicKeysPEM == again.publicKeysPEM)
        #expect(try String(contentsOf: sm2, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let mode = try FileManager.default.attributesOfItem(atPath: sm2.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try Data("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8).write(to: sm2)
        let error = #expect(throws: ReceiptSigner.KeyFileError.self) { try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2) }
        #expect(error?.description.hasPrefix("\(sm2.path): SM2 private key failed") == true)
    }

    /// A receipt key other accounts may read is refused as a sealing key is (`SecretFile`'s rule and
    /// message), in either suite: before, a 0644 key was used.
    @Test(arguments: ["ed25519", "sm2"])
    func aKeyFileOtherAccountsMayReadIsRefused(_ suite: String) throws {
        let folder = URL(filePath: NSTemporaryDirectory()).appending(path: "receipt-keys-\(UUID().uuidString)")
        let (ed25519, sm2) = (folder.appending(path: "receipt-signing-key"), folder.appending(path: "receipt-signing-key-sm2.pem"))
        _ = try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2)
        let loose = suite == "ed25519" ? ed25519 : sm2
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: loose.path)
        let error = #expect(throws: SealingKeyring.Failure.self) { try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2) }
        #expect(error?.description == "\(loose.path) is mode 0644: other accounts may use it; a key file must be mode 0600 (or 0640 with the broker's group): chmod 600 \(loose.path)")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: loose.path)
        _ = try ReceiptSigner.loadOrCreate(at: ed25519, sm2: sm2)
    }

    /// A mistyped key path given by an option is an error naming the option; nothing is created.
    /// Before, the folders and a new key were made, and the gateway signed with a key of its own.
    @Test func aGivenKeyPathThatDoesNotExistIsAnErrorNamingTheOption() throws {
        let folder = URL(filePath: NSTemporaryDirectory()).appending(path: "receipt-keys-\(UUID().uuidString)")
        let sm2 = folder.appending(path: "receipt-signing-key-sm2.pem")
        let mistyped = folder.appending(path: "nonexistent/dir/key")
        let error = #expect(throws: ReceiptSigner.KeyFileError.self) {
            try ReceiptSigner.load(ed25519: .given(mistyped, option: "--receipt-key"), sm2: .byDefault(sm2))
        }
        #expect(error?.description == "\(mistyped.path): no such file (given by --receipt-key); a receipt key is created only at its default place in the state folder, a given one must exist")
        #expect(!FileManager.default.fileExists(atPath: folder.appending(path: "nonexistent").path))
        let sm2Error = #expect(throws: ReceiptSigner.KeyFileError.self) {
            try ReceiptSigner.load(ed25519: .byDefault(folder.appending(path: "receipt-signing-key")), sm2: .given(mistyped, option: "CREDIT_BROKER_RECEIPT_SM2_KEY"))
        }
        #expect(sm2Error?.description.contains("(given by CREDIT_BROKER_RECEIPT_SM2_KEY)") == true)
    }
}
