import BrokerCore
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
        let receipt = Receipt(
            requestID: "req-1", partnerID: "bank.icbc_jiangsu", issuedAt: Date(timeIntervalSince1970: 1_800_000_000),
            itemsDisclosed: ["enterprise.registration", "enterprise.penalty"], contractVersion: "bank@2026-11-01.1#ab/cd",
            consentID: consentID, body: Data("{}".utf8)
        )
        let signer = try Self.signer()
        let token = try signer.token(for: receipt, suite: suite)
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
}
