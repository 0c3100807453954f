import BrokerCore
import PKI
import X509

/// Which partner a credential belongs to, in one contract snapshot.
///
/// Binding rule: a verified client certificate belongs to the partner whose contract pins its
/// SHA-256 fingerprint (and, if the entry also names a subject, has that subject); a certificate
/// entry without a fingerprint (`match: subject` in the contract, explicitly) binds any certificate
/// of the partner CA with exactly that subject. Subjects are trusted only because the certificate
/// already chains to the partner CA. An API key belongs to the partner the key store issued it to,
/// if that partner is a credit agency with a contract and no other partner's contract names the key id.
public struct PartnerDirectory: Sendable {
    private let contracts: [String: Contract]
    private let statuses: [String: PartnerStatus]
    /// Fingerprint → (partner, the subject the entry requires, if any).
    private let byFingerprint: [String: (partner: String, subject: String?)]
    private let bySubject: [String: String]
    private let keyOwners: [String: String]

    /// - Parameter contracts: one contract per partner (e.g. `ContractLedger.governing(at:)`).
    /// - Parameter statuses: partners not `active`.
    public init(contracts: [Contract], statuses: [String: PartnerStatus] = [:]) {
        var fingerprints: [String: (partner: String, subject: String?)] = [:]
        var subjects: [String: String] = [:]
        var keyOwners: [String: String] = [:]
        for contract in contracts {
            for certificate in contract.authentication.certificates {
                let subject = certificate.subject.flatMap { try? DistinguishedName(text: $0) }?.description
                if let sha256 = certificate.sha256 {
                    fingerprints[sha256] = (contract.partnerID, subject)
                } else if let subject {
                    subjects[subject] = contract.partnerID
                }
            }
            for key in contract.authentication.apiKeyIDs { keyOwners[key] = contract.partnerID }
        }
        self.contracts = Dictionary(contracts.map { ($0.partnerID, $0) }, uniquingKeysWith: { first, _ in first })
        self.statuses = statuses
        self.byFingerprint = fingerprints
        self.bySubject = subjects
        self.keyOwners = keyOwners
    }

    /// The partner's contract, if it has one.
    public func contract(for partnerID: String) -> Contract? { contracts[partnerID] }

    /// The partner's status (`active` unless suspended or retired).
    public func status(of partnerID: String) -> PartnerStatus { statuses[partnerID] ?? .active }

    /// The contract of the partner a verified certificate is bound to.
    func contract(for certificate: PeerCertificate) -> Contract? {
        if let pinned = byFingerprint[certificate.fingerprint.hex] {
            guard pinned.subject.map({ $0 == certificate.subject }) ?? true else { return nil }
            return contracts[pinned.partner]
        }
        return bySubject[certificate.subject].flatMap { contracts[$0] }
    }

    /// The contract of an agency the key store issued `keyID` to.
    func contract(forKey keyID: String, issuedTo partnerID: String) -> Contract? {
        guard let contract = contracts[partnerID], contract.kind == .creditAgency else { return nil }
        if let owner = keyOwners[keyID], owner != partnerID { return nil }
        return contract
    }
}
