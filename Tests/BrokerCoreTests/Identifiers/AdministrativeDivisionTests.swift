import Testing
@testable import BrokerCore

@Suite struct AdministrativeDivisionTests {
    @Test func tableHoldsEveryJiangsuPrefectureAndItsCounties() {
        #expect(GB2260.provinces.count == 34)
        #expect(GB2260.jiangsuPrefectures.keys.sorted() == Array(3201...3213))
        #expect(GB2260.jiangsuCounties.count == 95)
        for prefecture in GB2260.jiangsuPrefectures.keys {
            #expect(!GB2260.jiangsuCounties(inPrefecture: prefecture).isEmpty)
        }
        #expect(GB2260.jiangsuCounties(inPrefecture: 3213).map(\.name) == ["宿城区", "宿豫区", "沭阳县", "泗阳县", "泗洪县"])
    }

    @Test func namesAreResolvedToTheKnownLevel() throws {
        let county = try AdministrativeDivision(code: 320583, for: .residentIDNumber)
        #expect(county.name == "江苏省苏州市昆山市")
        let prefecture = try AdministrativeDivision(code: 321300, for: .residentIDNumber)
        #expect(prefecture.name == "江苏省宿迁市")
        let elsewhere = try AdministrativeDivision(code: 440305, for: .residentIDNumber)
        #expect(elsewhere.name == "广东省")
        #expect(elsewhere.prefectureName == nil)
    }

    @Test func nationalCodeIsOnlyForOrganisations() throws {
        #expect(try AdministrativeDivision(code: 100000, for: .unifiedSocialCreditCode).provinceName == "全国")
        #expect(throws: IdentifierError.unknownDivision(.residentIDNumber, .unknownProvince)) {
            try AdministrativeDivision(code: 100000, for: .residentIDNumber)
        }
    }

    @Test(arguments: [0, 99_999, 1_000_000, 190_000, 660_000, 900_000])
    func unknownProvincesAreRejected(code: Int) {
        #expect(throws: IdentifierError.unknownDivision(.residentIDNumber, .unknownProvince)) {
            try AdministrativeDivision(code: code, for: .residentIDNumber)
        }
    }

    @Test(arguments: [321401, 329901, 325000])
    func unknownJiangsuPrefecturesAreRejected(code: Int) {
        #expect(throws: IdentifierError.unknownDivision(.unifiedSocialCreditCode, .unknownJiangsuPrefecture)) {
            try AdministrativeDivision(code: code, for: .unifiedSocialCreditCode)
        }
    }
}
