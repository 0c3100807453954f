import Testing
@testable import BrokerCore

@Suite struct SubjectIdentifierTests {
    let today = CivilDate(year: 2026, month: 11, day: 26)!

    @Test func tellsTheKindsApart() throws {
        #expect(try SubjectIdentifier("91350100M000100Y43", today: today).kind == .organisation)
        #expect(try SubjectIdentifier("11010519491231002X", today: today).kind == .person)
        // All digits, department 1 type 2, division 100000: shaped like an ID number from Beijing (12…),
        // but only valid as a USCC.
        #expect(try SubjectIdentifier("121000004000112007", today: today).kind == .organisation)
    }

    @Test func reportsTheErrorOfTheLikelyKind() {
        #expect(throws: IdentifierError.invalidBirthDate(.notACalendarDate)) {
            try SubjectIdentifier("32010219900230001X", today: today)
        }
        #expect(throws: IdentifierError.wrongCheckCharacter(.unifiedSocialCreditCode, expected: "3")) {
            try SubjectIdentifier("91350100M000100Y4Z", today: today)
        }
    }
}
