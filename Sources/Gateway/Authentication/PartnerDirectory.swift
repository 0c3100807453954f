import BrokerCore
import X509

/// Which partner a credential belongs to, from the governing contracts.
///
/// Binding rule: a verified client certificate belongs to the partner whose contract lists its
/// SHA-256 fingerprint, or lists its subject exactly (attribute by attribute, `CN=…,O=…,C=CN`).
/// Subjects are trusted only because the certificate already chains to the partner CA. An API key
/// belongs to the partner the key store issued it to, if that partner is a credit agency with a
/// contract and no other partner's contract names the key id.
public struct PartnerDirectory: Sendable {
    private let contracts: [String: Contract]
    private let byFingerprint: [String: String]
    private let bySubject: [String: String]
    private let keyOwners: [String: String]

    /// - Parameter contracts: one contract per partner (e.g. `ContractSet.governing(on:)`).
    public init(contracts: [Contract]) {
        var fingerprints: [String: String] = [:]
        var subjects: [String: String] = [:]
        var keyOwners: [String: String] = [:]
        for contract in contracts {
            for certificate in contract.authentication.certificates {
                if let sha256 = certificate.sha256 { fingerprints[sha256] = contract.partnerID }
                if let subject = certificate.subject, let name = try? DistinguishedName(text: subject) {
                    subjects[name.description] = contract.partnerID
                }
            }
            for key in contract.authentication.apiKeyIDs { keyOwners[key] = contract.partnerID }
        }
        self.contracts = Dictionary(contracts.map { ($0.partnerID, $0) }, uniquingKeysWith: { first, _ in first })
        self.byFingerprint = fingerprints
        self.bySubject = subjects
        self.keyOwners = keyOwners
    }

    /// The partner's contract, if it has one.
    public func contract(for partnerID: String) -> Contract? { contracts[partnerID] }

    /// The contract of the partner a verified certificate is bound to.
    func contract(for certificate: PeerCertificate) -> Contract? {
        (byFingerprint[certificate.fingerprint.hex] ?? bySubject[certificate.subject]).flatMap { contracts[$0] }
    }

    /// The contract of an agency the key store issued `keyID` to.
    func contract(forKey keyID: String, issuedTo partnerID: String) -> Contract? {
        guard let contract = contracts[partnerID], contract.kind == .creditAgency else { return nil }
        if let owner = keyOwners[keyID], owner != partnerID { return nil }
        return contract
    }
}
