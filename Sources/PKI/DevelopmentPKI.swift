import BrokerCore
import Crypto
import Foundation
import SwiftASN1
import X509

/// The development PKI in a folder: a partner CA, a server certificate, one client certificate per
/// mutual-TLS partner, and the CA's CRL; and a separate admin CA with one certificate per admin role
/// and its own CRL.
///
/// Layout: `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`, `crl.pem`,
/// `clients/<partner>.pem`, `clients/<partner>-key.pem`, `admin-ca.pem`, `admin-ca-key.pem`,
/// `admin-crl.pem`, `admins/<role>.pem`, `admins/<role>-key.pem`. Keys are PKCS#8 PEM, mode 0600.
///
/// A client certificate's subject is the first subject the partner's contract names, so the contract
/// binds it by subject as shipped; its fingerprint is printed for contracts that bind by fingerprint.
public struct DevelopmentPKI: Sendable {
    /// A partner that authenticates by certificate, and the subject its certificate must carry.
    public struct Partner: Sendable {
        public let partnerID: String
        public let subject: DistinguishedName

        public init(partnerID: String, subject: DistinguishedName) {
            self.partnerID = partnerID
            self.subject = subject
        }
    }

    /// A client certificate the PKI issued.
    public struct Client: Sendable {
        public let partnerID: String
        public let subject: String
        public let serial: Certificate.SerialNumber
        public let fingerprint: CertificateFingerprint
    }

    /// One of the PKI's two CAs, each with its own CRL.
    public enum Authority: String, Sendable {
        /// `ca.pem`: the server certificate and partner client certificates; CRL `crl.pem`.
        case partner
        /// `admin-ca.pem`: admin certificates; CRL `admin-crl.pem`.
        case admin
    }

    public enum Failure: Error, CustomStringConvertible {
        case exists(String)
        case unknownCertificate(String, Authority)

        public var description: String {
            switch self {
            case .exists(let path): "\(path) already holds a PKI; choose another --out folder or remove it"
            case .unknownCertificate(let what, .partner):
                "'\(what)' is neither a serial number (hex) nor a partner with a certificate in clients/"
            case .unknownCertificate(let what, .admin):
                "'\(what)' is neither a serial number (hex) nor an admin role (\(AdminRole.allCases.map(\.rawValue).joined(separator: ", ")))"
            }
        }
    }

    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    public var caURL: URL { folder.appending(path: "ca.pem") }
    public var caKeyURL: URL { folder.appending(path: "ca-key.pem") }
    public var serverCertificateURL: URL { folder.appending(path: "server.pem") }
    public var serverKeyURL: URL { folder.appending(path: "server-key.pem") }
    public var revocationListURL: URL { folder.appending(path: "crl.pem") }
    public func clientCertificateURL(_ partnerID: String) -> URL { folder.appending(path: "clients/\(partnerID).pem") }
    public func clientKeyURL(_ partnerID: String) -> URL { folder.appending(path: "clients/\(partnerID)-key.pem") }
    public var adminCAURL: URL { folder.appending(path: "admin-ca.pem") }
    public var adminCAKeyURL: URL { folder.appending(path: "admin-ca-key.pem") }
    public var adminRevocationListURL: URL { folder.appending(path: "admin-crl.pem") }
    public func adminCertificateURL(_ role: AdminRole) -> URL { folder.appending(path: "admins/\(role.rawValue).pem") }
    public func adminKeyURL(_ role: AdminRole) -> URL { folder.appending(path: "admins/\(role.rawValue)-key.pem") }

    /// One client certificate per partner that authenticates by certificate (every kind but credit
    /// agencies: banks, the joint-credit company, the credit portal, data sources' accounts), carrying
    /// the first subject its contract names so that the contract binds it as shipped.
    public static func mutualTLSPartners(of contracts: [Contract]) throws -> [Partner] {
        try contracts.compactMap { contract in
            guard contract.kind != .creditAgency else { return nil }
            let subject = contract.authentication.certificates.lazy.compactMap(\.subject).first
                ?? "CN=\(contract.partnerID),O=\(contract.legalName),C=CN"
            return Partner(partnerID: contract.partnerID, subject: try DistinguishedName(text: subject))
        }
    }

    /// `contracts` with each mutual-TLS partner's certificate binding replaced by the certificate this
    /// PKI issued it (pinned by fingerprint, with its subject), for a development database seeded with
    /// the shipped contracts; partners without a certificate here are left as they are.
    public func binding(_ contracts: [(contract: Contract, file: String)]) throws -> [(contract: Contract, file: String)] {
        try contracts.map { contract, file in
            let url = clientCertificateURL(contract.partnerID)
            guard contract.kind != .creditAgency, FileManager.default.fileExists(atPath: url.path) else { return (contract, file) }
            let certificate = try Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8))
            let binding = Contract.Certificate(sha256: CertificateFingerprint(certificate).hex, subject: certificate.subject.description)
            return (contract.binding(certificates: [binding]), file)
        }
    }

    /// Creates the PKI; refuses to overwrite an existing CA.
    public func create(partners: [Partner], now: Date = Date()) throws -> [Client] {
        guard !FileManager.default.fileExists(atPath: caURL.path) else { throw Failure.exists(folder.path) }
        try FileManager.default.createDirectory(at: folder.appending(path: "clients"), withIntermediateDirectories: true)
        try createAdmins(now: now)
        let ca = try CertificateAuthority(
            subject: DistinguishedName(text: "CN=CreditBroker Development Partner CA,O=CreditBroker,C=CN"), notBefore: now
        )
        try write(ca.certificate, ca.privateKey, to: caURL, keyURL: caKeyURL)
        let server = try ca.issue(
            subject: DistinguishedName(text: "CN=localhost,O=CreditBroker,C=CN"),
            usage: .server(dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]]),
            notBefore: now.addingTimeInterval(-300), notAfter: now.addingTimeInterval(825 * 86_400)
        )
        try write(server.certificate, server.privateKey, to: serverCertificateURL, keyURL: serverKeyURL)
        try writeRevocationList(entries: [], of: .partner, ca: ca, now: now)
        return try partners.map { partner in
            let issued = try issueClient(
                partner.subject, by: ca, now: now, to: clientCertificateURL(partner.partnerID), keyURL: clientKeyURL(partner.partnerID)
            )
            return Client(
                partnerID: partner.partnerID, subject: partner.subject.description,
                serial: issued.certificate.serialNumber, fingerprint: CertificateFingerprint(issued.certificate)
            )
        }
    }

    /// Creates the admin CA, its empty CRL and one certificate per role, its subject
    /// `CN=<title>,OU=admin-<role>,O=CreditBroker,C=CN`; refuses to overwrite an existing admin CA
    /// (`create` calls it; a PKI made before admins existed can add them).
    public func createAdmins(now: Date = Date()) throws {
        guard !FileManager.default.fileExists(atPath: adminCAURL.path) else { throw Failure.exists(folder.path) }
        try FileManager.default.createDirectory(at: folder.appending(path: "admins"), withIntermediateDirectories: true)
        let ca = try CertificateAuthority(
            subject: DistinguishedName(text: "CN=CreditBroker Development Admin CA,O=CreditBroker,C=CN"), notBefore: now
        )
        try write(ca.certificate, ca.privateKey, to: adminCAURL, keyURL: adminCAKeyURL)
        try writeRevocationList(entries: [], of: .admin, ca: ca, now: now)
        for role in AdminRole.allCases {
            let subject = try DistinguishedName(text: "CN=\(role.title),OU=\(role.organizationalUnit),O=CreditBroker,C=CN")
            _ = try issueClient(subject, by: ca, now: now, to: adminCertificateURL(role), keyURL: adminKeyURL(role))
        }
    }

    /// Writes an empty admin CRL if there is none (a PKI whose admin CA was made before the admin CRL
    /// existed); an existing one is left as it is.
    public func createAdminRevocationList(now: Date = Date()) throws {
        guard !FileManager.default.fileExists(atPath: adminRevocationListURL.path) else { return }
        try writeRevocationList(entries: [], of: .admin, ca: certificateAuthority(.admin), now: now)
    }

    /// The CA of `authority` with its key, read from the folder.
    public func certificateAuthority(_ authority: Authority) throws -> CertificateAuthority {
        let (certificate, key) = switch authority {
        case .partner: (caURL, caKeyURL)
        case .admin: (adminCAURL, adminCAKeyURL)
        }
        return try CertificateAuthority(
            certificate: Certificate(pemEncoded: String(contentsOf: certificate, encoding: .utf8)),
            privateKey: P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: key, encoding: .utf8))
        )
    }

    /// The CA certificate of `authority`: `ca.pem` or `admin-ca.pem`.
    public func caURL(of authority: Authority) -> URL {
        switch authority {
        case .partner: caURL
        case .admin: adminCAURL
        }
    }

    /// The CRL file of `authority`: `crl.pem` or `admin-crl.pem`.
    public func revocationListURL(of authority: Authority) -> URL {
        switch authority {
        case .partner: revocationListURL
        case .admin: adminRevocationListURL
        }
    }

    /// Adds a certificate to the CRL of `authority`, by serial number (hex, colons allowed) or by name:
    /// a partner id for the partner CA, an admin role (`system`, `security`, `audit`) for the admin CA.
    /// A running server refuses the certificate from its next handshake.
    /// - Returns: the revoked serial number.
    @discardableResult
    public func revoke(_ certificate: String, of authority: Authority = .partner, now: Date = Date()) throws -> Certificate.SerialNumber {
        let ca = try certificateAuthority(authority)
        let serial: Certificate.SerialNumber
        if let named = issuedCertificateURL(named: certificate, by: authority), FileManager.default.fileExists(atPath: named.path) {
            serial = try Certificate(pemEncoded: String(contentsOf: named, encoding: .utf8)).serialNumber
        } else if let bytes = Self.hexBytes(certificate) {
            serial = Certificate.SerialNumber(bytes: bytes)
        } else {
            throw Failure.unknownCertificate(certificate, authority)
        }
        let current = try CertificateRevocationList(
            pemEncoded: String(contentsOf: revocationListURL(of: authority), encoding: .utf8), issuer: ca.certificate
        )
        var entries = current.entries
        if !current.revokes(serial) { entries.append(.init(serial: serial, revokedAt: now)) }
        try writeRevocationList(entries: entries, of: authority, ca: ca, now: now)
        return serial
    }

    /// The certificate the PKI issued under `name` (a partner id or an admin role), if `name` can be one.
    private func issuedCertificateURL(named name: String, by authority: Authority) -> URL? {
        switch authority {
        case .partner: name.contains("/") ? nil : clientCertificateURL(name)
        case .admin: AdminRole(rawValue: name).map(adminCertificateURL)
        }
    }

    /// Writes the CRL of `authority`, valid for 30 days from `now`, atomically (a reader never sees half a file).
    private func writeRevocationList(
        entries: [CertificateRevocationList.Entry], of authority: Authority, ca: CertificateAuthority, now: Date
    ) throws {
        let list = CertificateRevocationList(
            issuer: ca.certificate.subject, thisUpdate: now, nextUpdate: now.addingTimeInterval(30 * 86_400), entries: entries
        )
        try list.pemEncoded(signedBy: ca.privateKey).write(to: revocationListURL(of: authority), atomically: true, encoding: .utf8)
    }

    /// Issues a client certificate valid for 397 days and writes it and its key.
    private func issueClient(
        _ subject: DistinguishedName, by ca: CertificateAuthority, now: Date, to url: URL, keyURL: URL
    ) throws -> CertificateAuthority.Issued {
        let issued = try ca.issue(
            subject: subject, usage: .client, notBefore: now.addingTimeInterval(-300), notAfter: now.addingTimeInterval(397 * 86_400)
        )
        try write(issued.certificate, issued.privateKey, to: url, keyURL: keyURL)
        return issued
    }

    private func write(_ certificate: Certificate, _ key: P256.Signing.PrivateKey, to url: URL, keyURL: URL) throws {
        try certificate.serializeAsPEM().pemString.write(to: url, atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(to: keyURL, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyURL.path)
    }

    /// Hex digits in pairs (`0a1b…`), or colon-separated bytes as swift-certificates prints
    /// serial numbers (`a:1b:…`, leading zeros dropped).
    private static func hexBytes(_ text: String) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        guard text.contains(":") else { return [UInt8](hex: text) }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        guard groups.allSatisfy({ (1...2).contains($0.count) }) else { return nil }
        return [UInt8](hex: groups.map { $0.count == 1 ? "0" + $0 : String($0) }.joined())
    }
}
