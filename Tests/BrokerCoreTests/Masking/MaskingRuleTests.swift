import Testing
@testable import BrokerCore

@Suite struct MaskingRuleTests {
    let surnames: Set<String> = ["欧阳", "司马"]

    func masked(_ rule: MaskingRule, _ text: String) -> String { rule.apply(to: text, compoundSurnames: surnames) }

    @Test func keepsEndsOfIdentifiers() {
        #expect(masked(.keepEnds(first: 6, last: 4), "320106199001011234") == "320106********1234")
        #expect(masked(.keepEnds(first: 3, last: 4), "13812341234") == "138****1234")
        #expect(masked(.keepEnds(first: 6, last: 4), "6228480012345671234") == "622848*********1234")
        // Too short to keep anything without revealing it all.
        #expect(masked(.keepEnds(first: 3, last: 4), "1381234") == "*******")
        #expect(masked(.keepEnds(first: 3, last: 4), "") == "")
        // Characters, not bytes: CJK text, and CR LF (one character) are counted as characters.
        #expect(masked(.keepEnds(first: 2, last: 1), "甲乙丙丁") == "甲乙*丁")
        #expect(masked(.keepEnds(first: 1, last: 1), "a\r\nb") == "a*b")
    }

    @Test func keepsSurnamesIncludingCompoundOnes() {
        #expect(masked(.surname, "张三") == "张*")
        #expect(masked(.surname, "张小明") == "张**")
        #expect(masked(.surname, "欧阳娜娜") == "欧阳**")
        #expect(masked(.surname, "司马光") == "司马*")
        // Two characters are a surname and a given name, even when they form a compound surname.
        #expect(masked(.surname, "欧阳") == "欧*")
        #expect(masked(.surname, "张") == "*")
    }

    @Test func keepsAddressesToTheRequestedLevel() {
        let address = "江苏省南京市鼓楼区中山北路8号"
        #expect(masked(.address(level: .district), address) == "江苏省南京市鼓楼区******")
        #expect(masked(.address(level: .city), address) == "江苏省南京市*********")
        #expect(masked(.address(level: .province), address) == "江苏省************")
        #expect(masked(.address(level: .district), "南京市鼓楼区中山北路8号") == "南京市鼓楼区******")
        #expect(masked(.address(level: .district), "苏州市昆山市前进中路1号") == "苏州市昆山市******")
        #expect(masked(.address(level: .district), "上海市浦东新区世纪大道100号") == "上海市浦东新区********")
        #expect(masked(.address(level: .city), "上海市浦东新区世纪大道100号") == "上海市************")
        #expect(masked(.address(level: .district), "某某路8号") == "*****")
    }

    @Test func hiddenRevealsNotEvenTheLength() {
        #expect(masked(.hidden, "13812341234") == "******")
        #expect(masked(.hidden, "1") == "******")
    }
}
