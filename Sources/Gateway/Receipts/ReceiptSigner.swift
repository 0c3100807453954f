import Crypto
import Foundation

/// Signs disclosure receipts with the broker's Ed25519 key.
public struct ReceiptSigner: Sendable {
    /// Kept whole: rebuilding it from its 32 raw bytes for every receipt derives the public key
    /// again, a scalar multiplication as costly as the signature itself. swift-crypto's key types
    /// are not marked `Sendable`, but this one is an immutable value (its bytes are never written
    /// after `init`), so sharing it between concurrent requests is safe.
    private nonisolated(unsafe) let key: Curve25519.Signing.PrivateKey

    public init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
    }

    /// The key stored at `url` (32 raw bytes, base64), created with mode 0600 on first use.
    public static func loadOrCreate(at url: URL) throws -> ReceiptSigner {
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
            }
            return ReceiptSigner(key: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
        }
        let key = Curve25519.Signing.PrivateKey()
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(
            atPath: url.path, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        ) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return ReceiptSigner(key: key)
    }

    /// The public key as PEM (SubjectPublicKeyInfo), for `GET /v1/receipt-key` and offline checks.
    public var publicKeyPEM: String { ReceiptVerifier(publicKey: key.publicKey).publicKeyPEM }

    /// The `Broker-Receipt` header value for `receipt`.
    public func token(for receipt: Receipt) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try encoder.encode(receipt)
        return payload.base64URLEncoded + "." + (try key.signature(for: payload)).base64URLEncoded
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: some StringProtocol) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
