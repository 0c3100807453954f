import BrokerCore
import Foundation
@testable import Gateway
import PKI
import TestSupport
import Testing
import X509

/// The binding rule: a certificate belongs to the partner whose contract lists its fingerprint or its exact subject.
struct PartnerDirectoryTests {
    let ca: CertificateAuthority

    init() throws {
        ca = try CertificateAuthority(subject: DistinguishedName(text: "CN=Directory Test CA,C=CN"))
    }

    /// A bank's contract of `partner` whose one certificate entry is `certificate` (YAML flow text).
    private static func bank(_ partner: String, certificate: String) -> String {
        """
        partner: \(partner)
        legal_name: Example Bank
        kind: bank
        version: 2026-11-01.1
        term: { from: 2026-01-01, to: 2030-12-31 }
        authentication:
          certificates:
            - \(certificate)
        """
    }

    private func peer(_ subject: String) throws -> PeerCertificate {
        PeerCertificate(try ca.issue(subject: DistinguishedName(text: subject), usage: .client, notBefore: Date(), notAfter: Date() + 3600).certificate)
    }

    /// Issue 13, finding 7: the shipped contracts pin `{sha256, subject}`, yet any certificate of the
    /// partner CA with the same subject and another fingerprint was taken for the partner.
    @Test func aPinnedFingerprintIsThePartnerAndAnotherCertificateWithItsSubjectIsNot() throws {
        let contracts = try Fixtures.contracts()
        let certificatePartners = contracts.filter { $0.kind != .creditAgency }
        #expect(certificatePartners.count == 16)
        #expect(certificatePartners.allSatisfy { $0.authentication.certificates.allSatisfy { $0.sha256 != nil } })
        let directory = PartnerDirectory(contracts: contracts)
        for contract in certificatePartners {
            for subject in contract.authentication.certificates.compactMap(\.subject) {
                #expect(try directory.contract(for: peer(subject)) == nil, "\(subject): same subject, another certificate")
            }
        }
        // Pinned to a certificate of ours: that one is the partner; with the pinned fingerprint but
        // another subject than the entry names, it is not.
        let icbc = try #require(contracts.first { $0.partnerID == "bank.icbc_jiangsu" })
        let subject = try #require(icbc.authentication.certificates.first?.subject)
        let ours = try peer(subject)
        let pinned = PartnerDirectory(contracts: [icbc.binding(certificates: [.init(sha256: ours.fingerprint.hex, subject: subject)])])
        #expect(pinned.contract(for: ours)?.partnerID == "bank.icbc_jiangsu")
        #expect(try pinned.contract(for: peer(subject)) == nil)
        let wrongSubject = PartnerDirectory(contracts: [icbc.binding(certificates: [.init(sha256: ours.fingerprint.hex, subject: "CN=other,O=Other,C=CN")])])
        #expect(wrongSubject.contract(for: ours) == nil)
    }

    @Test func subjectOnlyBindingIsExplicitAndBindsAnyCertificateWithThatSubject() throws {
        let policies = try Fixtures.policies()
        func yaml(_ certificate: String) -> String { Self.bank("bank.example_subject", certificate: certificate) }
        let subject = "CN=client.example-bank,O=Example Bank,C=CN"
        #expect(throws: PolicyError.self) { try ContractSet(files: [("implicit.yaml", yaml("{ subject: \"\(subject)\" }"))], policies: policies) }
        let explicit = try ContractSet(files: [("explicit.yaml", yaml("{ subject: \"\(subject)\", match: subject }"))], policies: policies).contracts
        let directory = PartnerDirectory(contracts: explicit)
        #expect(try directory.contract(for: peer(subject))?.partnerID == "bank.example_subject")
        #expect(try directory.contract(for: peer(subject))?.partnerID == "bank.example_subject")
        #expect(try directory.contract(for: peer("CN=client.example-bank,O=Someone Else,C=CN")) == nil)
    }

    /// A legal name with a comma in it is written `\,` in a contract's subject, as swift-certificates
    /// prints it; split at every comma, the subject was refused and the certificate bound to no one.
    @Test func aSubjectWhoseNameHoldsAnEscapedCommaBindsItsCertificate() throws {
        let subject = #"CN=client.example-bank,O=Example Bank\, Jiangsu Branch,C=CN"#
        let yaml = Self.bank("bank.example_comma", certificate: "{ subject: '\(subject)', match: subject }")
        let contracts = try ContractSet(files: [("comma.yaml", yaml)], policies: Fixtures.policies()).contracts
        let certificate = try peer(subject)
        #expect(certificate.subject == subject)
        #expect(try DistinguishedName(text: subject).description == subject)
        #expect(PartnerDirectory(contracts: contracts).contract(for: certificate)?.partnerID == "bank.example_comma")
        #expect(try PartnerDirectory(contracts: contracts).contract(for: peer("CN=client.example-bank,O=Example Bank,C=CN")) == nil)
    }

    @Test func aFingerprintOnlyContractBindsThatCertificateAndNoOtherWithTheSameSubject() throws {
        let subject = "CN=client.example-bank,O=Example Bank,C=CN"
        let bound = try peer(subject)
        let policies = try Fixtures.policies()
        let yaml = Self.bank("bank.example_fingerprint", certificate: "{ sha256: \"\(bound.fingerprint.contractForm)\" }")
        let contracts = try ContractSet(files: [("example.yaml", yaml)], policies: policies).contracts
        let directory = PartnerDirectory(contracts: contracts)
        #expect(directory.contract(for: bound)?.partnerID == "bank.example_fingerprint")
        #expect(try directory.contract(for: peer(subject)) == nil)
    }
}
