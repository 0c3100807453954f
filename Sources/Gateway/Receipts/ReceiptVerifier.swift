import Crypto
import Foundation

/// Checks a disclosure receipt offline against the broker's public key and the response body.
public struct ReceiptVerifier: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case badKey
        case malformed
        case badSignature
        case bodyMismatch

        public var description: String {
            switch self {
            case .badKey: "the key is not an Ed25519 public key in PEM (SubjectPublicKeyInfo)"
            case .malformed: "the receipt is not base64url(JSON).base64url(signature)"
            case .badSignature: "the receipt's signature does not verify with this key"
            case .bodyMismatch: "the body's SHA-256 differs from the receipt's body_sha256"
            }
        }
    }

    /// The key's raw bytes: swift-crypto's key types are not `Sendable`.
    private let keyBytes: Data

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { AlgId 1.3.101.112, BIT STRING }.
    private static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    public init(publicKey: Curve25519.Signing.PublicKey) {
        keyBytes = publicKey.rawRepresentation
    }

    private var publicKey: Curve25519.Signing.PublicKey {
        // The bytes came from a valid key.
        try! Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
    }

    public init(publicKeyPEM pem: String) throws(Failure) {
        let base64 = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: base64), der.count == 44, Array(der.prefix(12)) == Self.spkiPrefix,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32))
        else { throw .badKey }
        self.init(publicKey: key)
    }

    /// SHA-256 of the key's SubjectPublicKeyInfo (DER), lowercase hex: what a printed report names
    /// the key by.
    public var fingerprint: String { SHA256.hash(data: Data(Self.spkiPrefix) + keyBytes).lowercaseHex }

    public var publicKeyPEM: String {
        let der = Data(Self.spkiPrefix) + publicKey.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(der.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// The receipt, if `token` is signed by this key and names this exact body.
    public func verify(token: some StringProtocol, body: some DataProtocol) throws(Failure) -> Receipt {
        let parts = token.trimmingCharacters(in: .whitespaces).split(separator: ".")
        guard parts.count == 2, let payload = Data(base64URLEncoded: parts[0]), let signature = Data(base64URLEncoded: parts[1]) else {
            throw .malformed
        }
        guard publicKey.isValidSignature(signature, for: payload) else { throw .badSignature }
        guard let receipt = try? JSONDecoder().decode(Receipt.self, from: payload) else { throw .malformed }
        guard receipt.bodySHA256 == Receipt.digest(body) else { throw .bodyMismatch }
        return receipt
    }
}
