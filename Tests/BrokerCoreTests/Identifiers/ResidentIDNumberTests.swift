import Foundation
import Testing
@testable import BrokerCore

@Suite struct ResidentIDNumberTests {
    let today = CivilDate(year: 2026, month: 11, day: 26)!

    @Test func standardExampleIsValid() throws {
        let id = try ResidentIDNumber("11010519491231002X", today: today)
        #expect(id.birthDate == CivilDate(year: 1949, month: 12, day: 31))
        #expect(id.sequence == 2)
        #expect(id.sex == .female)
        #expect(id.division.code == 110105)
        #expect(id.division.provinceName == "北京市")
    }

    @Test func thirtiethOfFebruaryIsRejectedDespiteItsCheckCharacter() {
        #expect(throws: IdentifierError.invalidBirthDate(.notACalendarDate)) {
            try ResidentIDNumber("32010219900230001X", today: today)
        }
    }

    @Test func jiangsuPartsAreNamed() throws {
        let id = try ResidentIDNumber("320106199005171239", today: today)
        #expect(id.division.name == "江苏省南京市鼓楼区")
        #expect(id.sex == .male)
        #expect(id.sex.chineseName == "男")
        // 白下区 (320103) was merged into 秦淮区 in 2013 but stays valid in older numbers.
        let historic = try ResidentIDNumber(division: 320103, birthDate: CivilDate(year: 1980, month: 1, day: 1)!, sequence: 1, today: today)
        #expect(historic.division.prefectureName == "南京市")
        #expect(historic.division.countyName == nil)
    }

    @Test func lowerCaseXIsNormalised() throws {
        #expect(try ResidentIDNumber("11010519491231002x", today: today).rawValue == "11010519491231002X")
    }

    @Test func wrongCheckCharacterNamesTheExpectedOne() {
        #expect(throws: IdentifierError.wrongCheckCharacter(.residentIDNumber, expected: "X")) {
            try ResidentIDNumber("110105194912310021", today: today)
        }
    }

    @Test func lenientModeAcceptsAWrongCheckWithAWarning() throws {
        let parsed = try ResidentIDNumber.parseLenient("110105194912310021", today: today)
        #expect(!parsed.isFullyValid)
        #expect(parsed.identifier.sequence == 2)
        #expect(throws: IdentifierError.invalidBirthDate(.notACalendarDate)) {
            try ResidentIDNumber.parseLenient("32010219900230001X", today: today)
        }
    }

    @Test(arguments: [("11010519491231002", 17), ("11010519491231002XX", 19)])
    func wrongLengthIsRejected(text: String, length: Int) {
        #expect(throws: IdentifierError.wrongLength(.residentIDNumber, actual: length)) {
            try ResidentIDNumber(text, today: today)
        }
    }

    @Test func nonDigitsAreRejected() {
        #expect(throws: IdentifierError.invalidCharacter(.residentIDNumber, position: 5)) {
            try ResidentIDNumber("1101A519491231002X", today: today)
        }
        #expect(throws: IdentifierError.invalidCharacter(.residentIDNumber, position: 17)) {
            try ResidentIDNumber("1101051949123100XX", today: today)
        }
        #expect(throws: IdentifierError.invalidCharacter(.residentIDNumber, position: 18)) {
            try ResidentIDNumber("11010519491231002Y", today: today)
        }
    }

    @Test func unknownDivisionIsRejected() {
        #expect(throws: IdentifierError.unknownDivision(.residentIDNumber, .unknownProvince)) {
            try ResidentIDNumber("990106198001010013", today: today)
        }
        #expect(throws: IdentifierError.unknownDivision(.residentIDNumber, .unknownJiangsuPrefecture)) {
            try ResidentIDNumber("329900198001010015", today: today)
        }
    }

    @Test func futureAndAncientBirthDatesAreRejected() throws {
        #expect(throws: IdentifierError.invalidBirthDate(.inTheFuture)) {
            try ResidentIDNumber("320106209901010018", today: today)
        }
        let tomorrow = today.adding(days: 1)
        #expect(throws: IdentifierError.invalidBirthDate(.inTheFuture)) {
            try ResidentIDNumber(division: 320106, birthDate: tomorrow, sequence: 11, today: today)
        }
        _ = try ResidentIDNumber(division: 320106, birthDate: today, sequence: 11, today: today)
        #expect(throws: IdentifierError.invalidBirthDate(.before1800)) {
            try ResidentIDNumber(division: 320106, birthDate: CivilDate(year: 1799, month: 12, day: 31)!, sequence: 11, today: today)
        }
    }

    /// China's oldest residents were born in the 1880s: GB 11643-1999 numbers them like anyone else.
    /// (Rejected as "before 1900" until issue 16.)
    @Test func birthYearsInThe1800sAreValid() throws {
        let id = try ResidentIDNumber("320102188603151239", today: today)
        #expect(id.birthDate == CivilDate(year: 1886, month: 3, day: 15))
        #expect(id.sex == .male)
        let earliest = try ResidentIDNumber(division: 320106, birthDate: CivilDate(year: 1800, month: 1, day: 1)!, sequence: 12, today: today)
        #expect(earliest.birthDate.year == 1800)
        #expect(try ResidentIDNumber(earliest.rawValue, today: today) == earliest)
    }

    @Test func descriptionNeverShowsTheNumber() throws {
        let id = try ResidentIDNumber("11010519491231002X", today: today)
        #expect(!"\(id)".contains("110105"))
        #expect(!String(reflecting: id).contains("110105"))
        let errors: [IdentifierError] = [
            .wrongLength(.residentIDNumber, actual: 17), .invalidCharacter(.residentIDNumber, position: 18),
            .unknownDivision(.residentIDNumber, .unknownJiangsuPrefecture), .invalidBirthDate(.inTheFuture),
            .wrongCheckCharacter(.residentIDNumber, expected: "X"),
        ]
        for error in errors { #expect(error.description.hasPrefix("resident ID number")) }
    }

    @Test func codableAsItsString() throws {
        let id = try ResidentIDNumber("11010519491231002X", today: today)
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == #"["11010519491231002X"]"#)
        #expect(try JSONDecoder().decode([ResidentIDNumber].self, from: json) == [id])
    }
}
