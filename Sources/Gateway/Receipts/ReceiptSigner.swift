import BrokerCore
import BrokerStore
import Crypto
import Foundation
import GMCrypto
import SwiftASN1

/// Signs disclosure receipts in the suite the partner's contract chooses: Ed25519 (the default) or
/// SM2 with SM3. Every route that answers with a receipt signs through this one type, with the
/// suite of the contract its request pinned.
///
/// Tokens: Ed25519 is `base64url(JSON).base64url(signature)`, the JSON naming the body by
/// `body_sha256`; SM2 is `sm2-sm3.base64url(JSON).base64url(DER signature)`, the JSON naming the
/// body by `body_sm3`, signed with SM3 and the GM/T 0009 default user id (what `openssl pkeyutl
/// -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678` checks).
public struct ReceiptSigner: Sendable {
    /// Kept whole: rebuilding it from its 32 raw bytes for every receipt derives the public key
    /// again, a scalar multiplication as costly as the signature itself. swift-crypto's key types
    /// are not marked `Sendable`, but this one is an immutable value (its bytes are never written
    /// after `init`), so sharing it between concurrent requests is safe.
    private nonisolated(unsafe) let key: Curve25519.Signing.PrivateKey
    /// An immutable value (its PKCS#8 bytes), `Sendable` as it is.
    private let sm2: SM2PrivateKey
    /// Each suite's public key as PEM, made once.
    private let publicKeys: [ReceiptSuite: String]

    public init(ed25519 key: Curve25519.Signing.PrivateKey, sm2: SM2PrivateKey) throws {
        self.key = key
        self.sm2 = sm2
        publicKeys = [.ed25519: ReceiptVerifier.pem(ed25519: key.publicKey), .sm2SM3: try sm2.publicKey.pemRepresentation]
    }

    /// Where a receipt key file is: its default place under the state folder, where it is created
    /// (mode 0600) on first use, or a path an operator gave, which must hold a key already: a
    /// mistyped path would otherwise make this gateway sign with a key of its own.
    public enum KeyLocation: Sendable {
        case byDefault(URL)
        /// `option` names where the path was given (`--receipt-key`, …), for the error.
        case given(URL, option: String)

        var url: URL {
            switch self {
            case .byDefault(let url), .given(let url, _): url
            }
        }
    }

    /// The keys stored at `url` (Ed25519: 32 raw bytes, base64) and `sm2URL` (SM2: PKCS#8 PEM, as
    /// `openssl genpkey -algorithm SM2` writes it), each created with mode 0600 on first use.
    public static func loadOrCreate(at url: URL, sm2 sm2URL: URL) throws -> ReceiptSigner {
        try load(ed25519: .byDefault(url), sm2: .byDefault(sm2URL))
    }

    /// The keys at `ed25519Location` and `sm2Location`: each read under the rule of every secret
    /// file (`SecretFile`: refused when other accounts may read it or its group may write it), or,
    /// when missing at its default place, created there.
    /// - Throws: `KeyFileError` (missing where given, or not a key of its suite), `SealingKeyring.Failure` (the file's mode).
    public static func load(ed25519 ed25519Location: KeyLocation, sm2 sm2Location: KeyLocation) throws -> ReceiptSigner {
        // Both read before either is created: a key given wrongly leaves nothing made.
        let ed25519Text = try existingKey(ed25519Location), sm2Text = try existingKey(sm2Location)
        let ed25519: Curve25519.Signing.PrivateKey
        if let text = ed25519Text {
            guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
                throw KeyFileError(
                    path: ed25519Location.url.path,
                    problem: "not an Ed25519 receipt key (the base64 of 32 bytes, as 'openssl rand -base64 32' writes it)")
            }
            ed25519 = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } else {
            ed25519 = Curve25519.Signing.PrivateKey()
            try create(ed25519Location.url, Data((ed25519.rawRepresentation.base64EncodedString() + "\n").utf8))
        }
        let sm2: SM2PrivateKey
        if let text = sm2Text {
            do {
                sm2 = try SM2PrivateKey(pemRepresentation: text)
            } catch {
                throw KeyFileError(path: sm2Location.url.path, problem: error.description)
            }
        } else {
            sm2 = try SM2PrivateKey()
            try create(sm2Location.url, Data(try sm2.pemRepresentation.utf8))
        }
        return try ReceiptSigner(ed25519: ed25519, sm2: sm2)
    }

    /// The text of the key file at `location`, or `nil` when there is none at its default place.
    private static func existingKey(_ location: KeyLocation) throws -> String? {
        let path = location.url.path
        var status = stat()
        if stat(path, &status) != 0, errno == ENOENT {
            switch location {
            case .byDefault: return nil
            case .given(_, let option):
                throw KeyFileError(
                    path: path,
                    problem: "no such file (given by \(option)); a receipt key is created only at its default place in the state folder, a given one must exist")
            }
        }
        return try SecretFile.read(path)
    }

    /// A key file that is there but is not a key of its suite, or is not there where given.
    public struct KeyFileError: Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    private static func create(_ url: URL, _ contents: Data) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: contents, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }

    /// The public key of `suite` as PEM (SubjectPublicKeyInfo), for `GET /v1/receipt-key` and offline checks.
    public func publicKeyPEM(_ suite: ReceiptSuite) -> String {
        publicKeys[suite]!
    }

    /// SHA-256 of `suite`'s public key (its SubjectPublicKeyInfo, DER), lowercase hex: what a
    /// printed report names the key by.
    public func publicKeyFingerprint(_ suite: ReceiptSuite) -> String {
        let der = (try? PEMDocument(pemString: publicKeyPEM(suite)).derBytes) ?? []
        return SHA256.hash(data: Data(der)).lowercaseHex
    }

    /// Both public keys, Ed25519 first, as consecutive PEM blocks.
    public var publicKeysPEM: String {
        ReceiptSuite.allCases.map(publicKeyPEM).joined()
    }

    /// The `Broker-Receipt` header value for `receipt`, signed in the suite it was made for (the
    /// partner's contract's `receiptSuite`, whose hash names the body).
    public func token(for receipt: Receipt) throws -> String {
        let payload = receipt.payload
        switch receipt.suite {
        case .ed25519:
            return payload.base64URLEncoded + "." + (try key.signature(for: payload)).base64URLEncoded
        case .sm2SM3:
            return ReceiptSuite.sm2SM3.rawValue + "." + payload.base64URLEncoded + "." + Data(try sm2.signature(for: payload)).base64URLEncoded
        }
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
