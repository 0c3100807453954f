import BrokerCore
import Foundation
import SwiftASN1
import X509

extension DistinguishedName {
    /// Parses the RFC 4514 text contracts use, most specific first: `CN=…,O=…,C=CN`
    /// (`DistinguishedNameText`: a comma or plus sign inside a value is escaped, `\,`). Supports CN,
    /// O, OU, L, ST and C.
    public init(text: String) throws(CertificateAuthority.Failure) {
        guard let parsed = DistinguishedNameText(text) else { throw .badSubject(text) }
        var attributes: [RelativeDistinguishedName.Attribute] = []
        for part in parsed.attributes {
            guard !part.value.isEmpty else { throw .badSubject(text) }
            let type: ASN1ObjectIdentifier
            switch part.type.uppercased() {
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
                    attributes.append(try .init(type: type, printableString: part.value))
                } catch {
                    throw .badSubject(text)
                }
            } else {
                attributes.append(.init(type: type, utf8String: part.value))
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
        DistinguishedNameText(subject)?.commonName ?? subject
    }
}
