import Crypto
import SwiftASN1
import X509

/// The SHA-256 fingerprint of a DER certificate.
public struct CertificateFingerprint: Sendable, Hashable {
    /// 64 lowercase hex digits, no separators: the form contracts compile fingerprints to.
    public let hex: String

    public init(derBytes: some Sequence<UInt8>) {
        hex = SHA256.hash(data: Array(derBytes)).lowercaseHex
    }

    public init(_ certificate: Certificate) {
        var coder = DER.Serializer()
        // Re-serialising a parsed or freshly signed certificate cannot fail.
        try! coder.serialize(certificate)
        self.init(derBytes: coder.serializedBytes)
    }

    /// Upper-case, colon-separated pairs, as contract files write fingerprints.
    public var contractForm: String {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return hex[start..<hex.index(start, offsetBy: 2)].uppercased()
        }.joined(separator: ":")
    }
}
