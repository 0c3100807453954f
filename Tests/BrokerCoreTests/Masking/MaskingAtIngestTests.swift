import Foundation
import PropertyBased
import Testing
@testable import BrokerCore

/// The ingest stores every masked field in the form the catalog's own rule gives (nothing about a
/// person is kept recoverable). That changes no answer: under every shipped profile, a value masked
/// from the stored form equals the value masked from the clear one, for every masked field of the
/// catalog.
@Suite struct MaskingAtIngestTests {
    let catalog = PolicyFixtures.policies.catalog
    let policy = PolicyFixtures.policies.masking

    static let surnames = ["李", "王", "张", "欧阳", "司马", "诸葛", "单于", "赵"]
    static let given = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚")
    static let places = [
        "江苏省南京市玄武区", "江苏省苏州市工业园区", "上海市浦东新区", "北京市朝阳区", "江苏省昆山市", "内蒙古自治区呼和浩特市新城区",
        "新疆维吾尔自治区乌鲁木齐市天山区", "南京市鼓楼区", "江苏省", "某地", "",
    ]

    /// A value of `type` as feeds deliver them, and now and then any text at all.
    static func sample(_ type: FieldSpec.FieldType, _ rng: inout SplitMix64) -> String {
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(rng.next() % 10)) }) }
        if rng.next() % 8 == 0 {
            let alphabet = Array("ab 1-*中文区市省") + given
            return String((0..<Int(rng.next() % 14)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        switch type {
        case .personName:
            return surnames[Int(rng.next() % UInt64(surnames.count))] + String((0..<Int(rng.next() % 3)).map { _ in given[Int(rng.next() % UInt64(given.count))] })
        case .mobile: return "1" + digits(10)
        case .bankCard: return "62" + digits(14 + Int(rng.next() % 4))
        case .residentID: return "3201" + digits(13) + (rng.next() % 2 == 0 ? "X" : digits(1))
        case .address:
            return places[Int(rng.next() % UInt64(places.count))] + String((0..<Int(rng.next() % 8)).map { _ in given[Int(rng.next() % UInt64(given.count))] }) + "路" + digits(2) + "号"
        default: return digits(Int(rng.next() % 12))
        }
    }

    @Test func anAnswerMaskedFromTheStoredFormEqualsTheAnswerMaskedFromTheClearValue() async throws {
        let fields = catalog.items.flatMap { item in item.fields.compactMap { field in field.mask.map { (item.id, field, $0) } } }
        #expect(fields.count >= 12)
        #expect(Set(fields.map(\.1.type)) == [.personName, .residentID, .mobile, .bankCard, .address])
        let profiles = policy.profiles.values.sorted { $0.name < $1.name }
        #expect(profiles.map(\.name) == ["bank", "standard", "strict"])
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
            for (item, field, ruleName) in fields {
                let clear = Self.sample(field.type, &rng)
                let stored = policy.rules[ruleName]!.apply(to: clear, compoundSurnames: policy.compoundSurnames)
                for profile in profiles {
                    let rule = policy.rule(ruleName, under: profile)!
                    #expect(
                        rule.apply(to: stored, compoundSurnames: policy.compoundSurnames) == rule.apply(to: clear, compoundSurnames: policy.compoundSurnames),
                        "\(item).\(field.name) under \(profile.name): \(clear) stored as \(stored)"
                    )
                }
            }
        }
    }
}
