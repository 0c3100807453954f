import Crypto
import Foundation
import Gateway
import Testing

@Suite struct ReceiptTests {
    /// The signed payload is exactly what `JSONEncoder` would write for the receipt (sorted keys,
    /// unescaped slashes), with and without a consent.
    @Test(arguments: [nil, "cs_7/\"典\""])
    func thePayloadIsTheCodableEncoding(consentID: String?) throws {
        let receipt = Receipt(
            requestID: "req-1", partnerID: "bank.icbc_jiangsu", issuedAt: Date(timeIntervalSince1970: 1_800_000_000),
            itemsDisclosed: ["enterprise.registration", "enterprise.penalty"], contractVersion: "bank@2026-11-01.1#ab/cd",
            consentID: consentID, body: Data("{}".utf8)
        )
        let signer = ReceiptSigner(key: Curve25519.Signing.PrivateKey())
        let token = try signer.token(for: receipt)
        var base64 = String(token.prefix { $0 != "." }).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let payload = try #require(Data(base64Encoded: base64))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: payload, as: UTF8.self) == String(decoding: try encoder.encode(receipt), as: UTF8.self))
        let verifier = try ReceiptVerifier(publicKeyPEM: signer.publicKeyPEM)
        #expect(try verifier.verify(token: token, body: Data("{}".utf8)) == receipt)
    }
}
