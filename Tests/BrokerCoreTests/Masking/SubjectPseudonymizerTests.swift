import Foundation
import Crypto
import Testing
@testable import BrokerCore

@Suite struct SubjectPseudonymizerTests {
    let secret = SymmetricKey(data: Array(repeating: UInt8(7), count: 32))

    @Test func referencesAreStablePerPartnerAndDifferAcrossPartners() {
        let bank = SubjectPseudonymizer(serverSecret: secret, partnerID: "bank.jiangsu_bank")
        let agency = SubjectPseudonymizer(serverSecret: secret, partnerID: "agency.nj_xinheng")
        let subject = "91320100MA1XXXXX0X"
        #expect(bank.reference(forSubject: subject) == bank.reference(forSubject: subject))
        #expect(bank.reference(forSubject: subject) != agency.reference(forSubject: subject))
        #expect(bank.reference(forSubject: subject) != bank.reference(forSubject: subject + "1"))
        #expect(bank.reference(forSubject: subject).count == 64)
        #expect(bank.reference(forSubject: subject).allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func referencesDependOnTheServerSecret() {
        let other = SymmetricKey(data: Array(repeating: UInt8(8), count: 32))
        let subject = "91320100MA1XXXXX0X"
        #expect(SubjectPseudonymizer(serverSecret: secret, partnerID: "p").reference(forSubject: subject)
            != SubjectPseudonymizer(serverSecret: other, partnerID: "p").reference(forSubject: subject))
    }

    @Test func matchesHKDFThenHMAC() {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, salt: SubjectPseudonymizer.salt, info: Array("p".utf8), outputByteCount: 32)
        let expected = HMAC<SHA256>.authenticationCode(for: Array("s".utf8), using: key).map { String(format: "%02x", $0) }.joined()
        #expect(SubjectPseudonymizer(serverSecret: secret, partnerID: "p").reference(forSubject: "s") == expected)
    }

    @Test func referencesHaveTheirForm() {
        let reference = SubjectPseudonymizer(serverSecret: secret, partnerID: "p").reference(forSubject: "s")
        #expect(SubjectPseudonymizer.isReference(reference))
        for text in [reference.uppercased(), String(reference.dropLast()), reference + "0", "", String(repeating: "g", count: 64)] {
            #expect(!SubjectPseudonymizer.isReference(text), "\(text)")
        }
    }
}
