import BrokerCore
import Foundation
@testable import Gateway
import Testing
import X509

/// The binding rule: a certificate belongs to the partner whose contract lists its fingerprint or its exact subject.
struct PartnerDirectoryTests {
    let ca: CertificateAuthority

    init() throws {
        ca = try CertificateAuthority(subject: DistinguishedName(text: "CN=Directory Test CA,C=CN"))
    }

    private func peer(_ subject: String) throws -> PeerCertificate {
        PeerCertificate(try ca.issue(subject: DistinguishedName(text: subject), usage: .client, notBefore: Date(), notAfter: Date() + 3600).certificate)
    }

    @Test func everyShippedMutualTLSPartnerBindsByItsContractSubject() throws {
        let contracts = try TestGateway.loadContracts(TestGateway.loadPolicies())
        let directory = PartnerDirectory(contracts: contracts)
        let certificatePartners = contracts.filter { $0.kind != .creditAgency }
        #expect(certificatePartners.count == 14)
        for contract in certificatePartners {
            for subject in contract.authentication.certificates.compactMap(\.subject) {
                #expect(try directory.contract(for: peer(subject))?.partnerID == contract.partnerID)
            }
        }
        #expect(try directory.contract(for: peer("CN=creditbroker-client-1.icbc-jiangsu,O=Someone Else,C=CN")) == nil)
    }

    @Test func aFingerprintOnlyContractBindsThatCertificateAndNoOtherWithTheSameSubject() throws {
        let subject = "CN=client.example-bank,O=Example Bank,C=CN"
        let bound = try peer(subject)
        let policies = try TestGateway.loadPolicies()
        let yaml = """
            partner: bank.example_fingerprint
            legal_name: Example Bank
            kind: bank
            version: 2026-11-01.1
            term: { from: 2026-01-01, to: 2030-12-31 }
            authentication:
              certificates:
                - { sha256: "\(bound.fingerprint.contractForm)" }
            """
        let contracts = try ContractSet(files: [("example.yaml", yaml)], policies: policies).contracts
        let directory = PartnerDirectory(contracts: contracts)
        #expect(directory.contract(for: bound)?.partnerID == "bank.example_fingerprint")
        #expect(try directory.contract(for: peer(subject)) == nil)
    }
}
