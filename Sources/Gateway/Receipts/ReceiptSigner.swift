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

    /// The public key's fingerprint (`ReceiptVerifier.fingerprint`).
    public var publicKeyFingerprint: String { ReceiptVerifier(publicKey: key.publicKey).fingerprint }

    /// The `Broker-Receipt` header value for `receipt`.
    public func token(for receipt: Receipt) throws -> String {
        let payload = receipt.payload
        return payload.base64URLEncoded + "." + (try key.signature(for: payload)).base64URLEncoded
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    var base64URLEncoded: String {
        var bytes = Array(base64EncodedString().utf8)
        while bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "+"): bytes[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): bytes[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes base64url with or without padding; nil if `text` is not base64url.
    init?(base64URLEncoded text: some StringProtocol) {
        var bytes: [UInt8] = text.utf8.map {
            switch $0 {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: $0
            }
        }
        bytes += repeatElement(UInt8(ascii: "="), count: (4 - bytes.count % 4) % 4)
        self.init(base64Encoded: Data(bytes))
    }
}
