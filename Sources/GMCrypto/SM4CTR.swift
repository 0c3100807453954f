internal import CLibCrypto
import Foundation

/// The two keys of an SM4-CTR seal: one for SM4 (GB/T 32907-2016), one for HMAC-SM3. Separate
/// keys, never one key for both purposes. A value type of bytes, immutable once made; printing,
/// dumping or interpolating it shows no key byte.
public struct SM4SealingKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let encryptionByteCount = 16
    public static let authenticationByteCount = 32
    /// Both keys as one: the SM4 key, then the HMAC-SM3 key (what a key file holds, base64).
    public static let byteCount = encryptionByteCount + authenticationByteCount

    let encryption: [UInt8]
    let authentication: [UInt8]

    public init(encryption: [UInt8], authentication: [UInt8]) throws(GMCryptoError) {
        guard encryption.count == Self.encryptionByteCount else {
            throw .invalid("SM4 key", "the SM4 key is \(encryption.count) bytes; it must be \(Self.encryptionByteCount)")
        }
        guard authentication.count == Self.authenticationByteCount else {
            throw .invalid("SM4 key", "the HMAC-SM3 key is \(authentication.count) bytes; it must be \(Self.authenticationByteCount)")
        }
        self.encryption = encryption
        self.authentication = authentication
    }

    /// Both keys from `byteCount` bytes: the first 16 are the SM4 key, the other 32 the HMAC-SM3 key.
    public init(bytes: [UInt8]) throws(GMCryptoError) {
        guard bytes.count == Self.byteCount else {
            throw .invalid("SM4 key", "the key is \(bytes.count) bytes; it must be \(Self.byteCount) (16 for SM4, then 32 for HMAC-SM3)")
        }
        try self.init(encryption: Array(bytes.prefix(Self.encryptionByteCount)), authentication: Array(bytes.suffix(Self.authenticationByteCount)))
    }

    /// Both keys fresh from libcrypto's CSPRNG.
    public static func generate() throws(GMCryptoError) -> SM4SealingKey {
        try SM4SealingKey(
            encryption: Bytes.random(encryptionByteCount, operation: "SM4 key generation"),
            authentication: Bytes.random(authenticationByteCount, operation: "SM4 key generation")
        )
    }

    /// Both keys as `init(bytes:)` takes them, for writing a new key file.
    public var bytes: [UInt8] { encryption + authentication }

    /// Whether `other` holds the same key bytes, compared in constant time.
    public func isSame(as other: SM4SealingKey) -> Bool {
        Bytes.constantTimeEqual(bytes, other.bytes)
    }

    public var description: String { "SM4SealingKey(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// SM4 in counter mode, and seal/open as encrypt-then-MAC: `nonce ‖ ciphertext ‖ tag`, where the
/// nonce is the 16-byte initial counter block (random per seal) and the tag is HMAC-SM3 over the
/// associated data's length (8 bytes, big-endian), the associated data, the nonce and the
/// ciphertext. OpenSSL 3.0 has no SM4-GCM, hence the generic composition.
public enum SM4CTR {
    public static let nonceByteCount = 16
    public static let tagByteCount = HMACSM3.byteCount

    /// `data` XORed with SM4-CTR's key stream from `counter` (the initial counter block): encrypts
    /// and decrypts alike. No authentication: use `seal` and `open` for stored values.
    public static func apply(key: [UInt8], counter: [UInt8], to data: some ContiguousBytes) throws(GMCryptoError) -> [UInt8] {
        guard key.count == SM4SealingKey.encryptionByteCount else {
            throw .invalid("SM4-CTR", "the key is \(key.count) bytes; it must be \(SM4SealingKey.encryptionByteCount)")
        }
        guard counter.count == nonceByteCount else {
            throw .invalid("SM4-CTR", "the counter block is \(counter.count) bytes; it must be \(nonceByteCount)")
        }
        let count = data.withUnsafeBytes(\.count)
        guard count <= Int(Int32.max) - nonceByteCount else {
            throw .invalid("SM4-CTR", "the data is \(count) bytes; at most \(Int(Int32.max) - nonceByteCount) are taken at once")
        }
        OpenSSLErrorQueue.clear()
        guard let context = EVP_CIPHER_CTX_new() else { throw .library("SM4-CTR") }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_EncryptInit_ex2(context, EVP_sm4_ctr(), key, counter, nil) == 1 else { throw .library("SM4-CTR") }
        var output = [UInt8](repeating: 0, count: count + nonceByteCount)
        var written: Int32 = 0
        let updated = Bytes.with(data) { base, count in EVP_EncryptUpdate(context, &output, &written, base, Int32(count)) }
        guard updated == 1 else { throw .library("SM4-CTR") }
        var tail: Int32 = 0
        let finished = output.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context, $0.baseAddress! + Int(written), &tail) }
        guard finished == 1, Int(written + tail) == count else { throw .library("SM4-CTR") }
        output.removeSubrange(count...)
        return output
    }

    /// `plaintext` sealed under `key`: `nonce ‖ ciphertext ‖ tag`. `associatedData` (a key id, a
    /// column name) is authenticated, not stored: `open` must be given the same.
    public static func seal(_ plaintext: some ContiguousBytes, using key: SM4SealingKey, authenticating associatedData: [UInt8] = []) throws(GMCryptoError) -> [UInt8] {
        let nonce = try Bytes.random(nonceByteCount, operation: "SM4-CTR seal")
        let ciphertext = try apply(key: key.encryption, counter: nonce, to: plaintext)
        let tag = try HMACSM3.authenticationCode(for: macInput(associatedData, nonce, ciphertext), key: key.authentication)
        return nonce + ciphertext + tag
    }

    /// The plaintext of `sealed`, if its tag verifies under `key` with `associatedData`; the tag is
    /// checked (in constant time) before anything is decrypted.
    public static func open(_ sealed: [UInt8], using key: SM4SealingKey, authenticating associatedData: [UInt8] = []) throws(GMCryptoError) -> [UInt8] {
        guard sealed.count >= nonceByteCount + tagByteCount else {
            throw .invalid("SM4-CTR open", "a sealed value is at least \(nonceByteCount + tagByteCount) bytes; this one is \(sealed.count)")
        }
        let nonce = Array(sealed.prefix(nonceByteCount))
        let ciphertext = Array(sealed[nonceByteCount..<(sealed.count - tagByteCount)])
        let tag = Array(sealed.suffix(tagByteCount))
        guard try HMACSM3.isValid(tag, for: macInput(associatedData, nonce, ciphertext), key: key.authentication) else {
            throw GMCryptoError(.authenticationFailure, "SM4-CTR open", ["the tag does not match: the value was altered, or sealed under another key or context"])
        }
        return try apply(key: key.encryption, counter: nonce, to: ciphertext)
    }

    private static func macInput(_ associatedData: [UInt8], _ nonce: [UInt8], _ ciphertext: [UInt8]) -> [UInt8] {
        let length = UInt64(associatedData.count).bigEndian
        return withUnsafeBytes(of: length) { Array($0) } + associatedData + nonce + ciphertext
    }
}
