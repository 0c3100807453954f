internal import CLibCrypto
import Foundation

/// SM3 (GB/T 32905-2016), the national hash function: 256-bit digests.
public enum SM3 {
    public static let byteCount = 32

    /// The SM3 digest of `data`.
    public static func hash(_ data: some ContiguousBytes) throws(GMCryptoError) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        OpenSSLErrorQueue.clear()
        let status = Bytes.with(data) { base, count in EVP_Digest(base, count, &digest, &length, EVP_sm3(), nil) }
        guard status == 1, Int(length) == byteCount else { throw .library("SM3 digest") }
        return Array(digest.prefix(byteCount))
    }
}

/// HMAC (RFC 2104) over SM3: 256-bit authentication codes.
public enum HMACSM3 {
    public static let byteCount = SM3.byteCount
    /// The shortest key taken: the digest's length, as RFC 2104 recommends.
    public static let minimumKeyByteCount = SM3.byteCount

    /// The HMAC-SM3 of `data` under `key` (at least 32 bytes).
    public static func authenticationCode(for data: some ContiguousBytes, key: some ContiguousBytes) throws(GMCryptoError) -> [UInt8] {
        var code = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        OpenSSLErrorQueue.clear()
        let keyCount = key.withUnsafeBytes(\.count)
        guard keyCount >= minimumKeyByteCount else {
            throw .invalid("HMAC-SM3", "the key is \(keyCount) bytes; it takes at least \(minimumKeyByteCount)")
        }
        let result = Bytes.with(key) { keyBase, keyCount in
            Bytes.with(data) { dataBase, dataCount in
                HMAC(EVP_sm3(), keyBase, Int32(keyCount), dataBase, dataCount, &code, &length)
            }
        }
        guard result != nil, Int(length) == byteCount else { throw .library("HMAC-SM3") }
        return Array(code.prefix(byteCount))
    }

    /// Whether `code` is the HMAC-SM3 of `data` under `key`, compared in constant time.
    public static func isValid(_ code: [UInt8], for data: some ContiguousBytes, key: some ContiguousBytes) throws(GMCryptoError) -> Bool {
        Bytes.constantTimeEqual(code, try authenticationCode(for: data, key: key))
    }
}
