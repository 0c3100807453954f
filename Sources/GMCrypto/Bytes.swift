internal import CLibCrypto
import Foundation

/// Byte buffers handed to libcrypto. An empty Swift buffer may have no address; libcrypto wants a
/// valid pointer even for zero bytes, so an empty input is passed as a pointer to a spare byte.
enum Bytes {
    private static let spare: [UInt8] = [0]

    static func with<Result>(_ data: some ContiguousBytes, _ body: (UnsafePointer<UInt8>, Int) throws -> Result) rethrows -> Result {
        try data.withUnsafeBytes { buffer in
            if let base = buffer.bindMemory(to: UInt8.self).baseAddress, !buffer.isEmpty {
                return try body(base, buffer.count)
            }
            return try spare.withUnsafeBufferPointer { try body($0.baseAddress!, 0) }
        }
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// `count` bytes from libcrypto's CSPRNG.
    static func random(_ count: Int, operation: String) throws(GMCryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        OpenSSLErrorQueue.clear()
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw .library(operation) }
        return bytes
    }
}

/// A memory BIO for PEM text in and out.
enum MemoryBIO {
    /// Runs `body` with a read-only BIO over `text`; the BIO is freed before returning.
    static func reading<Result>(_ text: String, _ body: (OpaquePointer) -> Result?) -> Result? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { buffer -> Result? in
            guard let base = buffer.baseAddress, let bio = BIO_new_mem_buf(base, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// What `body` writes into a fresh memory BIO, as text; nil if it fails.
    static func writing(_ body: (OpaquePointer) -> Bool) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = clibcrypto_bio_mem_data(bio, &data)
        guard let data, length > 0 else { return nil }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

/// DER through OpenSSL's `i2d_…` and `d2i_…` functions.
enum DER {
    /// The bytes an `i2d_…` function writes: asked for the length first, then written into a buffer of it.
    static func encode(_ operation: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws(GMCryptoError) -> [UInt8] {
        let length = i2d(nil)
        guard length > 0 else { throw .library(operation) }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d(&cursor)
        }
        guard written == length else { throw .library(operation) }
        return der
    }

    /// What a `d2i_…` function parses from `bytes` (nil if it refuses them); the caller frees it.
    static func decode(_ bytes: [UInt8], _ d2i: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?) -> OpaquePointer? {
        bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i(&cursor, buffer.count)
        }
    }
}
