import PropertyBased
import Testing
@testable import BrokerCore

/// Every code built from valid parts validates, and every single-character substitution of a
/// valid code is rejected: both check schemes work modulo a prime (31, 11) with non-zero
/// weights, so no one-character change can leave the weighted sum unchanged.
@Suite struct IdentifierPropertyTests {
    static let today = CivilDate(year: 2026, month: 11, day: 26)!
    static let uscc = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let idCharacters = Array("0123456789X")
    static let divisions = GB2260.jiangsuCounties.keys.sorted() + [320000, 320100, 110105, 440305]

    static let codes = zip(
        Gen<OrganisationType>.case, Gen.int(in: 0...(divisions.count - 1)).map { divisions[$0] },
        Gen.int(in: 0...30).array(of: 8)
    ).map { type, division, symbols in
        try! UnifiedSocialCreditCode(type: type, division: division, organisationCode: String(symbols.map { uscc[$0] }))
    }

    static let idNumbers = zip(
        Gen.int(in: 0...(divisions.count - 1)).map { divisions[$0] }, Gen.int(in: 0...(today.dayNumber + 25_567)), Gen.int(in: 0...999)
    ).map { division, daysSince1900, sequence in
        try! ResidentIDNumber(
            division: division, birthDate: CivilDate(dayNumber: daysSince1900 - 25_567), sequence: sequence, today: today)
    }

    @Test func builtCodesValidateAndEverySubstitutionIsDetected() async {
        await propertyCheck(count: 300, input: Self.codes, Gen.int(in: 0...17), Gen.int(in: 1...30)) { code, position, shift throws in
            #expect(try UnifiedSocialCreditCode(code.rawValue) == code)
            var characters = Array(code.rawValue)
            let index = Self.uscc.firstIndex(of: characters[position])!
            characters[position] = Self.uscc[(index + shift) % 31]
            #expect(throws: IdentifierError.self) { try UnifiedSocialCreditCode(String(characters)) }
        }
    }

    @Test func builtIDNumbersValidateAndEverySubstitutionIsDetected() async {
        await propertyCheck(count: 300, input: Self.idNumbers, Gen.int(in: 0...17), Gen.int(in: 1...10)) { id, position, shift throws in
            #expect(try ResidentIDNumber(id.rawValue, today: Self.today) == id)
            var characters = Array(id.rawValue)
            let index = Self.idCharacters.firstIndex(of: characters[position])!
            characters[position] = Self.idCharacters[(index + shift) % 11]
            #expect(throws: IdentifierError.self) { try ResidentIDNumber(String(characters), today: Self.today) }
        }
    }
}
