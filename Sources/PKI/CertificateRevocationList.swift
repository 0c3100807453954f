import Crypto
import Foundation
import SwiftASN1
import X509

/// An X.509 v2 certificate revocation list (RFC 5280 §5) of a CA (the partner CA or the admin CA),
/// signed with ECDSA P-256 / SHA-256: the serial numbers the CA has revoked. PEM type `X509 CRL`,
/// readable by `openssl crl`.
public struct CertificateRevocationList: Sendable, Hashable {
    /// One revoked certificate.
    public struct Entry: Sendable, Hashable {
        public let serial: Certificate.SerialNumber
        public let revokedAt: Date

        public init(serial: Certificate.SerialNumber, revokedAt: Date) {
            self.serial = serial
            self.revokedAt = revokedAt
        }
    }

    /// Why a CRL file was not accepted.
    public enum Failure: Error, CustomStringConvertible {
        case malformed(String)
        case badSignature

        public var description: String {
            switch self {
            case .malformed(let why): "malformed CRL: \(why)"
            case .badSignature: "the CRL is not signed by its CA"
            }
        }
    }

    public let issuer: DistinguishedName
    public let thisUpdate: Date
    public let nextUpdate: Date
    public let entries: [Entry]

    public init(issuer: DistinguishedName, thisUpdate: Date, nextUpdate: Date, entries: [Entry]) {
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.entries = entries
    }

    /// Whether the list revokes the certificate with this serial number.
    public func revokes(_ serial: Certificate.SerialNumber) -> Bool {
        entries.contains { $0.serial == serial }
    }

    private static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]

    /// The list signed by the CA key, as PEM.
    public func pemEncoded(signedBy key: P256.Signing.PrivateKey) throws -> String {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try Self.serializeAlgorithm(into: &coder)
            try issuer.serialize(into: &coder)
            try coder.serialize(UTCTime(thisUpdate))
            try coder.serialize(UTCTime(nextUpdate))
            if !entries.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in entries {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(entry.serial.bytes)
                            try coder.serialize(UTCTime(entry.revokedAt))
                        }
                    }
                }
            }
        }
        let signature = try key.signature(for: tbs.serializedBytes).derRepresentation
        var list = DER.Serializer()
        try list.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbs.serializedBytes)
            try Self.serializeAlgorithm(into: &coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return PEMDocument(type: "X509 CRL", derBytes: list.serializedBytes).pemString
    }

    private static func serializeAlgorithm(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ecdsaWithSHA256) }
    }

    /// Parses a PEM CRL and checks that `issuer` (the CA certificate) signed it.
    public init(pemEncoded text: String, issuer ca: Certificate) throws {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: text)
        } catch {
            throw Failure.malformed("not PEM")
        }
        guard document.discriminator == "X509 CRL" else { throw Failure.malformed("PEM type is \(document.discriminator), not X509 CRL") }
        do {
            let root = try DER.parse(document.derBytes)
            var tbsBytes = ArraySlice<UInt8>()
            var signature = ASN1BitString(bytes: [])
            var parsed: CertificateRevocationList?
            try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbs = nodes.next() else { throw Failure.malformed("no tbsCertList") }
                tbsBytes = tbs.encodedBytes
                _ = nodes.next()
                signature = try ASN1BitString(derEncoded: &nodes)
                parsed = try Self.parseTBS(tbs)
            }
            guard let key = P256.Signing.PublicKey(ca.publicKey) else { throw Failure.malformed("the CA key is not P-256") }
            let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: signature.bytes)
            guard key.isValidSignature(ecdsa, for: tbsBytes) else { throw Failure.badSignature }
            guard let parsed, parsed.issuer == ca.subject else { throw Failure.malformed("the issuer is not the CA") }
            self.init(issuer: parsed.issuer, thisUpdate: parsed.thisUpdate, nextUpdate: parsed.nextUpdate, entries: parsed.entries)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.malformed("\(error)")
        }
    }

    /// The fields of a tbsCertList (its signature is checked by the caller).
    private static func parseTBS(_ node: ASN1Node) throws -> CertificateRevocationList {
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard try Int(derEncoded: &nodes) == 1 else { throw Failure.malformed("not a v2 CRL") }
            _ = nodes.next()
            guard let issuerNode = nodes.next() else { throw Failure.malformed("no issuer") }
            let issuer = try DistinguishedName(derEncoded: issuerNode)
            let thisUpdate = try Date(UTCTime(derEncoded: &nodes))
            let nextUpdate = try Date(UTCTime(derEncoded: &nodes))
            var entries: [Entry] = []
            if let revoked = nodes.next(), revoked.identifier == .sequence {
                try DER.sequence(revoked, identifier: .sequence) { list in
                    while let entry = list.next() {
                        entries.append(try DER.sequence(entry, identifier: .sequence) { fields in
                            let serial = try ArraySlice<UInt8>(derEncoded: &fields)
                            return Entry(serial: Certificate.SerialNumber(bytes: serial), revokedAt: try Date(UTCTime(derEncoded: &fields)))
                        })
                    }
                }
            }
            return CertificateRevocationList(issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate, entries: entries)
        }
    }
}

extension UTCTime {
    /// The UTC time of `date`, to the second.
    init(_ date: Date) throws {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        try self.init(
            year: parts.year!, month: parts.month!, day: parts.day!,
            hours: parts.hour!, minutes: parts.minute!, seconds: parts.second!
        )
    }
}

extension Date {
    init(_ time: UTCTime) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = DateComponents(
            year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes, second: time.seconds
        )
        self = calendar.date(from: parts)!
    }
}
