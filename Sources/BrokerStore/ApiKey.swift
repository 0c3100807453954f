import BrokerCore
import Crypto
import Foundation

/// A partner API key as presented: `ak_<16 hex>.<secret>`. The id is public (contracts and logs name
/// it); the secret is shown once at issue and stored only as its SHA-256.
public struct ApiKey: Sendable {
    /// `ak_` and 16 lowercase hex digits.
    public let id: String
    let secret: Substring

    /// Parses a presented key; `nil` when it does not have the key shape.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, Self.isKeyID(parts[0]), (32...128).contains(parts[1].utf8.count) else { return nil }
        self.id = String(parts[0])
        self.secret = Substring(parts[1])
    }

    /// A fresh key: a random id and a 256-bit random secret (64 hex digits) from the system CSPRNG.
    static func generate() -> (key: ApiKey, token: String) {
        var generator = SystemRandomNumberGenerator()
        let id = "ak_" + String(generator.next() as UInt64, radix: 16).leftPadded(to: 16)
        let secret = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        let token = id + "." + secret
        return (ApiKey(token)!, token)
    }

    /// Whether `text` is a key id: `ak_` and 16 lowercase hex digits.
    public static func isKeyID(_ text: some StringProtocol) -> Bool {
        Contract.isAPIKeyID(text)
    }

    /// SHA-256 of the secret, as stored.
    var secretDigest: Data { Data(SHA256.hash(data: Data(secret.utf8))) }

    /// Whether the secret hashes to `digest`, compared in constant time.
    func matches(_ digest: Data) -> Bool {
        let presented = secretDigest
        guard presented.count == digest.count else { return false }
        return zip(presented, digest).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
