import Crypto

/// Derives `PersonKey`s from resident ID numbers with a secret supplied by configuration.
///
/// The secret must never be in the repository; rotating it re-keys every person subject.
public struct PersonKeyHasher: Sendable {
    /// Why a secret is refused.
    public enum SecretError: Error, Sendable, Hashable, CustomStringConvertible {
        /// HMAC-SHA-256 keys shorter than the 32-byte hash output weaken the construction.
        case tooShort(bytes: Int)

        public var description: String {
            switch self {
            case .tooShort(let bytes): "the person-key secret must have at least 32 bytes, not \(bytes)"
            }
        }
    }

    /// The key material; a `SymmetricKey` is made per call because it is not `Sendable`.
    private let secret: [UInt8]

    /// - Parameter secret: at least 32 bytes of secret key material.
    public init(secret: some Collection<UInt8>) throws(SecretError) {
        guard secret.count >= 32 else { throw .tooShort(bytes: secret.count) }
        self.secret = Array(secret)
    }

    /// HMAC-SHA-256 of the number's canonical 18 characters.
    public func key(for id: ResidentIDNumber) -> PersonKey {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(id.rawValue.utf8), using: SymmetricKey(data: secret))
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in mac {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0x0F)])
        }
        // The digits are lower-case hex by construction.
        return PersonKey(hex: String(decoding: hex, as: UTF8.self))!
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
