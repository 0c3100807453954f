import Foundation
import Testing
@testable import BrokerCore

@Suite struct UnifiedSocialCreditCodeTests {
    @Test func standardExampleIsValid() throws {
        let code = try UnifiedSocialCreditCode("91350100M000100Y43")
        #expect(code.rawValue == "91350100M000100Y43")
        #expect(code.registeringDepartment == .marketRegulation)
        #expect(code.organisationType == .enterprise)
        #expect(code.division.code == 350100)
        #expect(code.division.provinceName == "福建省")
        #expect(code.organisationCode == "M000100Y4")
    }

    /// Z is outside the alphabet, but at position 18 any letter reads as a wrong check character.
    @Test func standardCounterExampleNamesTheExpectedCheckCharacter() {
        #expect(throws: IdentifierError.wrongCheckCharacter(.unifiedSocialCreditCode, expected: "3")) {
            try UnifiedSocialCreditCode("91350100M000100Y4Z")
        }
    }

    @Test func jiangsuPartsAreNamed() throws {
        let enterprise = try UnifiedSocialCreditCode("91320106MA1N2B3C83")
        #expect(enterprise.division.name == "江苏省南京市鼓楼区")
        let socialGroup = try UnifiedSocialCreditCode("5132000050987654X5")
        #expect(socialGroup.organisationType == .socialGroup)
        #expect(socialGroup.registeringDepartment.chineseName == "民政")
        #expect(socialGroup.organisationType.englishName == "social group")
        #expect(socialGroup.division.prefectureName == nil)
        let individual = try UnifiedSocialCreditCode("92320583L123456740")
        #expect(individual.organisationType.chineseName == "个体工商户")
        #expect(individual.division.name == "江苏省苏州市昆山市")
    }

    @Test func lowerCaseIsNormalised() throws {
        #expect(try UnifiedSocialCreditCode("91320106ma1n2b3c83").rawValue == "91320106MA1N2B3C83")
    }

    @Test(arguments: [("91320106MA1N2B3C8", 17), ("91320106MA1N2B3C833", 19), ("", 0)])
    func wrongLengthIsRejected(text: String, length: Int) {
        #expect(throws: IdentifierError.wrongLength(.unifiedSocialCreditCode, actual: length)) {
            try UnifiedSocialCreditCode(text)
        }
    }

    @Test(arguments: ["I", "O", "S", "V", "Z", "-", "中"])
    func charactersOutsideTheAlphabetAreRejected(character: String) {
        var text = Array("91320106MA1N2B3C83")
        text[9] = Character(character)
        #expect(throws: IdentifierError.invalidCharacter(.unifiedSocialCreditCode, position: 10)) {
            try UnifiedSocialCreditCode(String(text))
        }
    }

    @Test func divisionMustBeDigits() {
        #expect(throws: IdentifierError.invalidCharacter(.unifiedSocialCreditCode, position: 4)) {
            try UnifiedSocialCreditCode("913A0106MA1N2B3C83")
        }
    }

    @Test func unknownDepartmentAndTypeAreRejected() {
        #expect(throws: IdentifierError.unknownRegisteringDepartment) { try UnifiedSocialCreditCode("B1320106MA1N2B3C83") }
        #expect(throws: IdentifierError.unknownOrganisationType) { try UnifiedSocialCreditCode("94320106MA1N2B3C83") }
        #expect(throws: IdentifierError.unknownOrganisationType) { try UnifiedSocialCreditCode("99320106MA1N2B3C83") }
    }

    @Test func unknownDivisionsAreRejected() throws {
        #expect(throws: IdentifierError.unknownDivision(.unifiedSocialCreditCode, .unknownProvince)) {
            try UnifiedSocialCreditCode(type: .enterprise, division: 990106, organisationCode: "MA1N2B3C")
        }
        #expect(throws: IdentifierError.unknownDivision(.unifiedSocialCreditCode, .unknownJiangsuPrefecture)) {
            try UnifiedSocialCreditCode(type: .enterprise, division: 322006, organisationCode: "MA1N2B3C")
        }
        let national = try UnifiedSocialCreditCode(type: .publicInstitution, division: 100000, organisationCode: "40001120")
        #expect(national.division.provinceName == "全国")
    }

    @Test func badEmbeddedOrganisationCodeCheckIsRejected() {
        // Position 17 changed from 8 to 5 and position 18 recomputed, so only the GB 11714 check fails.
        let body = Array("91320106MA1N2B3C5".utf8)
        let check = Character(Unicode.Scalar(UnifiedSocialCreditCode.checkCharacter(forFirst17: body[...])))
        #expect(throws: IdentifierError.wrongOrganisationCodeCheck(expected: "8")) {
            try UnifiedSocialCreditCode("91320106MA1N2B3C5" + String(check))
        }
    }

    /// Position 18 checks positions 1–17, so with both wrong the organisation-code check comes
    /// first: following each message in turn gives a valid code.
    @Test func bothChecksWrongNameTheOrganisationCodeCheckFirst() throws {
        #expect(throws: IdentifierError.wrongOrganisationCodeCheck(expected: "9")) {
            try UnifiedSocialCreditCode("91320102MA1XXXXX0X")
        }
        #expect(throws: IdentifierError.wrongCheckCharacter(.unifiedSocialCreditCode, expected: "N")) {
            try UnifiedSocialCreditCode("91320102MA1XXXXX9X")
        }
        #expect(try UnifiedSocialCreditCode("91320102MA1XXXXX9N").rawValue == "91320102MA1XXXXX9N")
    }

    @Test func lenientModeAcceptsAFailedCheckWithAWarning() throws {
        let parsed = try UnifiedSocialCreditCode.parseLenient("91350100M000100Y4Z")
        #expect(parsed.identifier.rawValue == "91350100M000100Y4Z")
        #expect(!parsed.isFullyValid)
        #expect(parsed.checkWarning?.isCheckCharacterFailure == true)
        #expect(try UnifiedSocialCreditCode.parseLenient("91350100M000100Y43").isFullyValid)
        #expect(throws: IdentifierError.invalidCharacter(.unifiedSocialCreditCode, position: 18)) {
            try UnifiedSocialCreditCode.parseLenient("91350100M000100Y4-")
        }
    }

    @Test func builderComputesBothCheckCharacters() throws {
        let code = try UnifiedSocialCreditCode(type: .enterprise, division: 320106, organisationCode: "MA1N2B3C")
        #expect(code.rawValue == "91320106MA1N2B3C83")
    }

    @Test func errorsNeverEchoTheCode() {
        let errors: [IdentifierError] = [
            .wrongLength(.unifiedSocialCreditCode, actual: 17), .invalidCharacter(.unifiedSocialCreditCode, position: 3),
            .unknownRegisteringDepartment, .unknownOrganisationType,
            .unknownDivision(.unifiedSocialCreditCode, .unknownProvince), .wrongOrganisationCodeCheck(expected: "8"),
            .wrongCheckCharacter(.unifiedSocialCreditCode, expected: "3"),
        ]
        for error in errors {
            #expect(!error.description.contains("91350100"))
            #expect(error.description.hasPrefix("unified social credit code"))
        }
    }

    @Test func codableAsItsString() throws {
        let code = try UnifiedSocialCreditCode("91350100M000100Y43")
        let json = try JSONEncoder().encode([code])
        #expect(String(decoding: json, as: UTF8.self) == #"["91350100M000100Y43"]"#)
        #expect(try JSONDecoder().decode([UnifiedSocialCreditCode].self, from: json) == [code])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([UnifiedSocialCreditCode].self, from: Data(#"["91350100M000100Y4Z"]"#.utf8))
        }
    }
}
