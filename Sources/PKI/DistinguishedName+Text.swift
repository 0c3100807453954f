import Foundation
import SwiftASN1
import X509

extension DistinguishedName {
    /// Parses the RFC 4514-style text contracts use, most specific first: `CN=…,O=…,C=CN`.
    /// Supports CN, O, OU, L, ST and C; values may not contain commas.
    public init(text: String) throws(CertificateAuthority.Failure) {
        var attributes: [RelativeDistinguishedName.Attribute] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, !pair[1].isEmpty else { throw .badSubject(text) }
            let type: ASN1ObjectIdentifier
            switch pair[0].uppercased() {
            case "CN": type = .RDNAttributeType.commonName
            case "O": type = .RDNAttributeType.organizationName
            case "OU": type = .RDNAttributeType.organizationalUnitName
            case "L": type = .RDNAttributeType.localityName
            case "ST": type = .RDNAttributeType.stateOrProvinceName
            case "C": type = .RDNAttributeType.countryName
            default: throw .badSubject(text)
            }
            if type == .RDNAttributeType.countryName {
                do {
                    attributes.append(try .init(type: type, printableString: pair[1]))
                } catch {
                    throw .badSubject(text)
                }
            } else {
                attributes.append(.init(type: type, utf8String: pair[1]))
            }
        }
        guard !attributes.isEmpty else { throw .badSubject(text) }
        self.init(attributes.reversed().map { RelativeDistinguishedName($0) })
    }
}

extension DistinguishedName {
    /// The common name of a subject written as text (`CN=Security Administrator,OU=…` →
    /// `Security Administrator`), for showing a person; the text itself when it names none.
    public static func commonName(ofText subject: String) -> String {
        subject.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) } ?? subject
    }
}
