internal import CLibCrypto
import Foundation
import Synchronization

/// SM2 (GB/T 32918-2016) signatures over SM3, through the system's libcrypto.
///
/// A signature covers SM3(Z ‖ message), where Z hashes the signer's distinguishing identifier (the
/// user id) with the curve and the public key. GM/T 0009-2012 fixes the default id as
/// `1234567812345678`; this module uses it unless told otherwise. (OpenSSL 3.0's command line uses
/// an empty id unless given `-pkeyopt distid:1234567812345678`.) Signatures are DER
/// `SEQUENCE { r INTEGER, s INTEGER }`, as GM/T 0009 and OpenSSL write them.
public enum SM2 {
    /// The default user id of GM/T 0009-2012.
    public static let defaultUserID: [UInt8] = Array("1234567812345678".utf8)
}

/// An SM2 private key: an immutable value, safe to share between tasks.
///
/// It holds the key's PKCS#8 bytes and a few slots, each a mutex around a key parsed into libcrypto
/// (parsed on a slot's first use: OpenSSL 3.0's decoder costs more than a signature). An operation
/// takes a free slot, so concurrent signatures run in parallel on separate libcrypto keys and no
/// libcrypto object is ever shared between threads; the parsed keys are freed with the last copy
/// of the value.
public struct SM2PrivateKey: Sendable {
    private let keys: ParsedKeys
    public let publicKey: SM2PublicKey

    /// A new key from libcrypto's generator.
    public init() throws(GMCryptoError) {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "SM2", nil) else { throw .library("SM2 key generation") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &key) == 1, let key else {
            throw .library("SM2 key generation")
        }
        defer { EVP_PKEY_free(key) }
        try self.init(key)
    }

    /// A key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`, as `openssl genpkey -algorithm SM2` writes it)
    /// or SEC 1 (`BEGIN EC PRIVATE KEY`) on the SM2 curve. An encrypted key is refused.
    public init(pemRepresentation pem: String) throws(GMCryptoError) {
        OpenSSLErrorQueue.clear()
        let key = MemoryBIO.reading(pem) { bio in
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else {
            throw GMCryptoError(.invalidInput, "SM2 private key", ["not an unencrypted private key in PEM"] + OpenSSLErrorQueue.drain())
        }
        defer { EVP_PKEY_free(key) }
        try self.init(key)
    }

    private init(_ key: OpaquePointer) throws(GMCryptoError) {
        guard EVP_PKEY_is_a(key, "SM2") == 1 else { throw .invalid("SM2 private key", "the key is not an SM2 key") }
        guard let info = EVP_PKEY2PKCS8(key) else { throw .library("SM2 private key") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        keys = ParsedKeys(pkcs8: try DER.encode("SM2 private key") { i2d_PKCS8_PRIV_KEY_INFO(info, $0) })
        publicKey = try SM2PublicKey(key)
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), which `openssl pkey` and `openssl pkeyutl` read.
    public var pemRepresentation: String {
        get throws(GMCryptoError) {
            try keys.withKey("SM2 private key") { key throws(GMCryptoError) in
                guard let pem = MemoryBIO.writing({ PEM_write_bio_PKCS8PrivateKey($0, key, nil, nil, 0, nil, nil) == 1 }) else {
                    throw .library("SM2 private key")
                }
                return pem
            }
        }
    }

    /// The DER signature of `message` with SM3 and `userID`.
    public func signature(for message: some ContiguousBytes, userID: [UInt8] = SM2.defaultUserID) throws(GMCryptoError) -> [UInt8] {
        let message = message.withUnsafeBytes { [UInt8]($0) }
        return try keys.withKey("SM2 signing") { key throws(GMCryptoError) in
            try withDigestContext(key: key, userID: userID, "SM2 signing") { context throws(GMCryptoError) in
                var length = Int(EVP_PKEY_get_size(key))
                var signature = [UInt8](repeating: 0, count: length)
                guard EVP_DigestSignInit_ex(context, nil, "SM3", nil, nil, key, nil) == 1 else { throw .library("SM2 signing") }
                let status = Bytes.with(message) { base, count in EVP_DigestSign(context, &signature, &length, base, count) }
                guard status == 1 else { throw .library("SM2 signing") }
                signature.removeSubrange(length...)
                return signature
            }
        }
    }
}

/// A private key parsed into libcrypto, owned by one slot and used only under its lock.
private final class ParsedKey {
    let pointer: OpaquePointer

    init(pkcs8: [UInt8], _ operation: String) throws(GMCryptoError) {
        guard let parsed = DER.decode(pkcs8, { d2i_AutoPrivateKey(nil, $0, $1) }) else { throw .library(operation) }
        pointer = parsed
    }

    deinit {
        EVP_PKEY_free(pointer)
    }
}

/// One parsed key behind a mutex; parsed on first use.
private final class ParsedKeySlot: Sendable {
    let key = Mutex<ParsedKey?>(nil)
}

/// The slots of one private key: as many as the machine has cores.
private final class ParsedKeys: Sendable {
    let pkcs8: [UInt8]
    private let slots: [ParsedKeySlot]
    private let next = Atomic<Int>(0)

    init(pkcs8: [UInt8]) {
        self.pkcs8 = pkcs8
        slots = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map { _ in ParsedKeySlot() }
    }

    /// Runs `body` with a parsed key no other thread is using: the first free slot from a rotating
    /// start, or, when all are busy, the start slot once it is free.
    func withKey<Result: Sendable>(_ operation: String, _ body: @Sendable (OpaquePointer) throws(GMCryptoError) -> Result) throws(GMCryptoError) -> Result {
        OpenSSLErrorQueue.clear()
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        for offset in 0..<slots.count {
            let slot = slots[index(start &+ offset)]
            if let result = try slot.key.withLockIfAvailable({ key throws(GMCryptoError) -> Result in
                try use(&key, operation, body)
            }) {
                return result
            }
        }
        return try slots[index(start)].key.withLock { key throws(GMCryptoError) -> Result in
            try use(&key, operation, body)
        }
    }

    private func index(_ counter: Int) -> Int {
        Int(UInt(bitPattern: counter) % UInt(slots.count))
    }

    private func use<Result>(
        _ key: inout ParsedKey?, _ operation: String, _ body: @Sendable (OpaquePointer) throws(GMCryptoError) -> Result
    ) throws(GMCryptoError) -> Result {
        if key == nil { key = try ParsedKey(pkcs8: pkcs8, operation) }
        return try body(key!.pointer)
    }
}

/// An SM2 public key, held as its SubjectPublicKeyInfo DER.
public struct SM2PublicKey: Sendable, Hashable {
    public let derRepresentation: [UInt8]

    /// A key from SubjectPublicKeyInfo DER on the SM2 curve.
    public init(derRepresentation der: [UInt8]) throws(GMCryptoError) {
        OpenSSLErrorQueue.clear()
        guard let key = DER.decode(der, { d2i_PUBKEY(nil, $0, $1) }) else {
            throw GMCryptoError(.invalidInput, "SM2 public key", ["not a SubjectPublicKeyInfo"] + OpenSSLErrorQueue.drain())
        }
        defer { EVP_PKEY_free(key) }
        try self.init(key)
    }

    /// A key from PEM (`BEGIN PUBLIC KEY`, as `openssl pkey -pubout` writes it).
    public init(pemRepresentation pem: String) throws(GMCryptoError) {
        OpenSSLErrorQueue.clear()
        guard let key = MemoryBIO.reading(pem, { PEM_read_bio_PUBKEY($0, nil, nil, nil) }) else {
            throw GMCryptoError(.invalidInput, "SM2 public key", ["not a public key in PEM"] + OpenSSLErrorQueue.drain())
        }
        defer { EVP_PKEY_free(key) }
        try self.init(key)
    }

    init(_ key: OpaquePointer) throws(GMCryptoError) {
        guard EVP_PKEY_is_a(key, "SM2") == 1 else { throw .invalid("SM2 public key", "the key is not an SM2 key") }
        derRepresentation = try DER.encode("SM2 public key") { i2d_PUBKEY(key, $0) }
    }

    /// PEM (`BEGIN PUBLIC KEY`), as `openssl pkey -pubout` writes it.
    public var pemRepresentation: String {
        get throws(GMCryptoError) {
            try withKey("SM2 public key") { key throws(GMCryptoError) in
                guard let pem = MemoryBIO.writing({ PEM_write_bio_PUBKEY($0, key) == 1 }) else { throw .library("SM2 public key") }
                return pem
            }
        }
    }

    /// Runs `body` with the key parsed into libcrypto, freed when `body` returns.
    private func withKey<Result>(_ operation: String, _ body: (OpaquePointer) throws(GMCryptoError) -> Result) throws(GMCryptoError) -> Result {
        OpenSSLErrorQueue.clear()
        guard let key = DER.decode(derRepresentation, { d2i_PUBKEY(nil, $0, $1) }) else { throw .library(operation) }
        defer { EVP_PKEY_free(key) }
        return try body(key)
    }

    /// Whether `signature` (DER) is this key's SM2 signature of `message` with SM3 and `userID`.
    public func isValidSignature(_ signature: some ContiguousBytes, for message: some ContiguousBytes, userID: [UInt8] = SM2.defaultUserID) -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        let verified = try? withKey("SM2 verification") { key throws(GMCryptoError) -> Bool in
            try withDigestContext(key: key, userID: userID, "SM2 verification") { context throws(GMCryptoError) -> Bool in
                guard EVP_DigestVerifyInit_ex(context, nil, "SM3", nil, nil, key, nil) == 1 else { return false }
                let status = Bytes.with(signature) { signatureBase, signatureCount in
                    Bytes.with(message) { base, count in EVP_DigestVerify(context, signatureBase, signatureCount, base, count) }
                }
                return status == 1
            }
        }
        return verified == true
    }
}

/// Runs `body` with a digest context whose key context carries the SM2 user id; both are freed
/// when `body` returns.
private func withDigestContext<Result>(
    key: OpaquePointer, userID: [UInt8], _ name: String, _ body: (OpaquePointer) throws(GMCryptoError) -> Result
) throws(GMCryptoError) -> Result {
    guard let keyContext = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { throw .library(name) }
    defer { EVP_PKEY_CTX_free(keyContext) }
    guard EVP_PKEY_CTX_set1_id(keyContext, userID, Int32(userID.count)) == 1, let context = EVP_MD_CTX_new() else {
        throw .library(name)
    }
    // The digest context borrows the key context (it does not free it), so this order: context first.
    defer { EVP_MD_CTX_free(context) }
    EVP_MD_CTX_set_pkey_ctx(context, keyContext)
    return try body(context)
}
