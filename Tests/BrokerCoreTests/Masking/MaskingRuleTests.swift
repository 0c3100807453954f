import PropertyBased
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

    /// The address prefix is found on characters prepared once; what it keeps is what the first,
    /// plain reading of the rule kept (`ReferenceAddressPrefix`, below), on random addresses made of
    /// the divisions' own characters, so that suffixes overlap, repeat and run into each other.
    @Test func addressMaskingKeepsWhatThePlainReadingOfTheRuleKeeps() async {
        let alphabet = Array("北京上海天津重庆江苏省南州市自治区地盟新县旗特别行政鼓楼中山路8号")
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int.max)) { seed in
            var random = SplitMix64(seed: UInt64(seed))
            for _ in 0..<20 {
                let length = Int.random(in: 0...16, using: &random)
                var address = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
                if Bool.random(using: &random) { address = ["北京市", "江苏省", "内蒙古自治区"].randomElement(using: &random)! + address }
                for level in MaskingRule.AddressLevel.allCases {
                    let characters = Array(address)
                    let kept = ReferenceAddressPrefix.length(of: characters, downTo: level)
                    let expected = String(characters[..<kept]) + String(repeating: "*", count: characters.count - kept)
                    #expect(masked(.address(level: level), address) == expected, "\(level) of \(address)")
                }
            }
        }
    }

    @Test func hiddenRevealsNotEvenTheLength() {
        #expect(masked(.hidden, "13812341234") == "******")
        #expect(masked(.hidden, "1") == "******")
    }
}

/// The address prefix as first written (each suffix broken into characters and reversed for every
/// run tried): the reference `MaskingRule.address` must agree with.
private enum ReferenceAddressPrefix {
    static let municipalities = ["北京市", "上海市", "天津市", "重庆市"]
    static let provinceSuffixes = ["特别行政区", "自治区", "省"]
    static let citySuffixes = ["自治州", "地区", "市", "州", "盟"]
    static let districtSuffixes = ["新区", "区", "县", "市", "旗"]

    static func length(of address: [Character], downTo level: MaskingRule.AddressLevel) -> Int {
        var position = 0
        var kept = 0
        if let municipality = municipalities.first(where: { address.starts(with: Array($0)) }) {
            position = municipality.count
            kept = position
            if level == .province || level == .city { return kept }
        } else {
            if let end = component(in: address, from: position, suffixes: provinceSuffixes, maxLength: 8) {
                position = end
                kept = end
            }
            if level == .province { return kept }
            if let end = component(in: address, from: position, suffixes: citySuffixes, maxLength: 8) {
                position = end
                kept = end
            }
            if level == .city { return kept }
        }
        return component(in: address, from: position, suffixes: districtSuffixes, maxLength: 8) ?? kept
    }

    private static func component(in address: [Character], from start: Int, suffixes: [String], maxLength: Int) -> Int? {
        let limit = min(address.count - 1, start + maxLength)
        guard start + 2 <= limit else { return nil }
        for end in (start + 2)...limit {
            let run = address[start..<end]
            if suffixes.contains(where: { run.count > $0.count && run.reversed().starts(with: Array($0).reversed()) }) {
                return end
            }
        }
        return nil
    }
}
