import Crypto
import Foundation
import SwiftASN1
import X509

/// A P-256 certificate authority that issues server and partner client certificates: the
/// development PKI and the end-to-end tests build theirs with it.
public struct CertificateAuthority: Sendable {
    /// What a certificate is for.
    public enum Usage: Sendable {
        /// A TLS server certificate for these DNS names and IP addresses (SAN).
        case server(dnsNames: [String], ipAddresses: [[UInt8]])
        /// A TLS client certificate (EKU clientAuth).
        case client
    }

    /// A certificate with its private key.
    public struct Issued: Sendable {
        public let certificate: Certificate
        /// The key's raw bytes: swift-crypto's key types are not `Sendable`.
        private let keyBytes: Data

        init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
            self.certificate = certificate
            self.keyBytes = privateKey.rawRepresentation
        }

        public var privateKey: P256.Signing.PrivateKey {
            // The bytes came from a valid key.
            try! P256.Signing.PrivateKey(rawRepresentation: keyBytes)
        }

        /// SHA-256 of the DER certificate, 64 lowercase hex digits (the form contracts are compiled to).
        public var fingerprint: String { CertificateFingerprint(certificate).hex }
    }

    public enum Failure: Error, CustomStringConvertible {
        case badSubject(String)

        public var description: String {
            switch self {
            case .badSubject(let text): "certificate subject '\(text)' is not of the form CN=…,O=…,C=CN"
            }
        }
    }

    public let certificate: Certificate
    /// The key's raw bytes: swift-crypto's key types are not `Sendable`.
    private let keyBytes: Data

    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.keyBytes = privateKey.rawRepresentation
    }

    public var privateKey: P256.Signing.PrivateKey {
        // The bytes came from a valid key.
        try! P256.Signing.PrivateKey(rawRepresentation: keyBytes)
    }

    /// A new self-signed CA valid from `notBefore` for `years`.
    public init(subject: DistinguishedName, notBefore: Date = Date(), years: Int = 10) throws {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: notBefore.addingTimeInterval(-300),
            notValidAfter: notBefore.addingTimeInterval(Double(years) * 365 * 86_400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        self.init(certificate: certificate, privateKey: key)
    }

    /// Issues a leaf certificate valid from `notBefore` to `notAfter`, with a fresh key.
    public func issue(subject: DistinguishedName, usage: Usage, notBefore: Date, notAfter: Date) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                AuthorityKeyIdentifier(keyIdentifier: try? self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
                switch usage {
                case .client:
                    try ExtendedKeyUsage([.clientAuth])
                case let .server(dnsNames, ipAddresses):
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(
                        dnsNames.map { .dnsName($0) } + ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
                    )
                }
            },
            issuerPrivateKey: .init(privateKey)
        )
        return Issued(certificate: certificate, privateKey: key)
    }
}
