import BrokerCore
import Crypto
import Foundation
import GMCrypto
import SwiftASN1

/// Checks a disclosure receipt offline against the broker's public keys and the response body, in
/// either suite: the token says which (`sm2-sm3.` before an SM2 receipt), the key file holds one
/// key or both (`GET /v1/receipt-key` serves both, Ed25519 first).
public struct ReceiptVerifier: Sendable {
    public enum Failure: Error, Hashable, CustomStringConvertible {
        case badKey
        case noKey(ReceiptSuite)
        case malformed
        case badSignature
        /// The body's digest (in the hash the receipt's field names) differs from the receipt's.
        case bodyMismatch(Receipt.BodyDigest)

        public var description: String {
            switch self {
            case .badKey: "the key file holds no Ed25519 or SM2 public key in PEM (SubjectPublicKeyInfo)"
            case .noKey(let suite): "the receipt is signed with \(suite.rawValue) and the key file holds no \(suite.rawValue) public key (GET /v1/receipt-key serves both)"
            case .malformed: "the receipt is not base64url(JSON).base64url(signature), nor sm2-sm3.base64url(JSON).base64url(signature)"
            case .badSignature: "the receipt's signature does not verify with this key"
            case .bodyMismatch(let digest): "the body's \(digest.algorithm) differs from the receipt's \(digest.rawValue)"
            }
        }
    }

    /// The Ed25519 key's raw bytes: swift-crypto's key types are not `Sendable`.
    private let ed25519: Data?
    private let sm2: SM2PublicKey?

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { AlgId 1.3.101.112, BIT STRING }.
    private static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    public init(publicKey: Curve25519.Signing.PublicKey) {
        ed25519 = publicKey.rawRepresentation
        sm2 = nil
    }

    public init(sm2 publicKey: SM2PublicKey) {
        ed25519 = nil
        sm2 = publicKey
    }

    /// The keys in `pem`: one or more `PUBLIC KEY` blocks, each an Ed25519 or an SM2 key.
    public init(publicKeyPEM pem: String) throws(Failure) {
        guard let documents = try? PEMDocument.parseMultiple(pemString: pem), !documents.isEmpty else { throw .badKey }
        var ed25519: Data?
        var sm2: SM2PublicKey?
        for document in documents {
            guard document.discriminator == "PUBLIC KEY" else { throw .badKey }
            let der = document.derBytes
            if der.count == 44, Array(der.prefix(12)) == Self.spkiPrefix,
               let key = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32)) {
                ed25519 = key.rawRepresentation
            } else if let key = try? SM2PublicKey(derRepresentation: der) {
                sm2 = key
            } else {
                throw .badKey
            }
        }
        self.ed25519 = ed25519
        self.sm2 = sm2
    }

    /// An Ed25519 public key as PEM (SubjectPublicKeyInfo).
    static func pem(ed25519 key: Curve25519.Signing.PublicKey) -> String {
        PEMDocument(type: "PUBLIC KEY", derBytes: spkiPrefix + key.rawRepresentation).pemString + "\n"
    }

    /// The suite `token` is signed in, by its form; nil if it has neither form.
    public static func suite(of token: some StringProtocol) -> ReceiptSuite? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        switch parts.count {
        case 2 where parts[0] != ReceiptSuite.sm2SM3.rawValue: return .ed25519
        case 3 where parts[0] == ReceiptSuite.sm2SM3.rawValue: return .sm2SM3
        default: return nil
        }
    }

    /// The receipt, if `token` is signed by one of these keys and names this exact body.
    public func verify(token: some StringProtocol, body: some DataProtocol) throws(Failure) -> Receipt {
        let token = token.trimmingCharacters(in: .whitespaces)
        guard let suite = Self.suite(of: token) else { throw .malformed }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).suffix(2)
        guard let payload = Data(base64URLEncoded: parts[parts.startIndex]), let signature = Data(base64URLEncoded: parts[parts.startIndex + 1]) else {
            throw .malformed
        }
        switch suite {
        case .ed25519:
            guard let ed25519 else { throw .noKey(.ed25519) }
            // The bytes came from a valid key.
            let key = try! Curve25519.Signing.PublicKey(rawRepresentation: ed25519)
            guard key.isValidSignature(signature, for: payload) else { throw .badSignature }
        case .sm2SM3:
            guard let sm2 else { throw .noKey(.sm2SM3) }
            guard sm2.isValidSignature(signature, for: payload) else { throw .badSignature }
        }
        guard let receipt = try? JSONDecoder().decode(Receipt.self, from: payload) else { throw .malformed }
        guard receipt.names(body) else { throw .bodyMismatch(receipt.bodyDigestAlgorithm) }
        return receipt
    }
}
