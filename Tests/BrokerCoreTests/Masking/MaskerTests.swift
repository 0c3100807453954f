import Foundation
import PropertyBased
import Testing
@testable import BrokerCore
import TestSupport

@Suite struct MaskerTests {
    let catalog: Catalog
    let policy: MaskingPolicy

    init() throws {
        policy = try MaskingPolicy(yaml: Fixtures.text("Policies/masking.yaml"), file: "masking.yaml")
        catalog = try Catalog(yaml: Fixtures.text("Policies/catalog.yaml"), file: "catalog.yaml", knownMaskRules: Set(policy.rules.keys))
    }

    func masker(_ profile: String) -> Masker { Masker(catalog: catalog, policy: policy, profile: policy.profiles[profile]!) }

    @Test func masksFieldsAtAnyDepth() {
        let record: AnswerValue = .array([.object([
            "name": .string("南京某某科技有限公司"),
            "legal_representative": .string("欧阳娜娜"),
            "history": .array([.object(["legal_representative_id": .string("320106199001011234")])]),
            "address": .object(["registered": .string("江苏省南京市鼓楼区中山北路8号"), "verified": .bool(true)]),
        ])])
        let expected: AnswerValue = .array([.object([
            "name": .string("南京某某科技有限公司"),
            "legal_representative": .string("欧阳**"),
            "history": .array([.object(["legal_representative_id": .string("320106********1234")])]),
            "address": .object(["registered": .string("江苏省南京市鼓楼区******"), "verified": .string("******")]),
        ])])
        #expect(masker("bank").mask(record, item: "enterprise.registration") == expected)
    }

    @Test func profilesSubstituteRules() {
        let contact: AnswerValue = .object([
            "name": .string("张小明"), "mobile": .string("13812341234"), "bank_card": .string("6228480012345671234"),
            "address": .string("江苏省南京市鼓楼区中山北路8号"),
        ])
        #expect(masker("bank").mask(contact, item: "person.contact") == .object([
            "name": .string("张**"), "mobile": .string("138****1234"), "bank_card": .string("622848*********1234"),
            "address": .string("江苏省南京市鼓楼区******"),
        ]))
        #expect(masker("strict").mask(contact, item: "person.contact") == .object([
            "name": .string("张**"), "mobile": .string("******"), "bank_card": .string("******"),
            "address": .string("江苏省南京市*********"),
        ]))
    }

    @Test func sameFieldNameFollowsItsItem() {
        // `name` is a person's name in person.contact but a company's in enterprise.registration.
        let answer: [String: AnswerValue] = [
            "enterprise.registration": .object(["name": .string("南京某某科技有限公司")]),
            "person.dishonest_debtor": .object(["name": .string("张小明"), "id_number": .int(320106199001011234)]),
        ]
        #expect(masker("standard").mask(answer: answer) == [
            "enterprise.registration": .object(["name": .string("南京某某科技有限公司")]),
            "person.dishonest_debtor": .object(["name": .string("张**"), "id_number": .string("320106********1234")]),
        ])
        // An item unknown to the catalog gets every masked field name of the catalog.
        #expect(masker("standard").mask(.object(["mobile": .string("13812341234")]), item: "unknown") == .object(["mobile": .string("138****1234")]))
    }

    /// Builds a random tree around identifiers placed under masked field names at random depths.
    static func tree(seed: Int, identifiers: inout [String]) -> AnswerValue {
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        func node(depth: Int) -> AnswerValue {
            switch rng.next() % (depth > 4 ? 2 : 5) {
            case 0:
                let id = "3201" + String(format: "%014llu", rng.next() % 100_000_000_000_000)
                identifiers.append(id)
                let key = ["legal_representative_id", "legal_representative", "address"][Int(rng.next() % 3)]
                return .object([key: rng.next() % 2 == 0 ? .string(id) : .array([.string(id)])])
            case 1: return .string("plain \(rng.next() % 100)")
            case 2: return .array((0..<Int(rng.next() % 4)).map { _ in node(depth: depth + 1) })
            default:
                return .object(Dictionary((0..<Int(rng.next() % 4)).map { ("k\($0)", node(depth: depth + 1)) }, uniquingKeysWith: { $1 }))
            }
        }
        return node(depth: 0)
    }

    @Test func noIdentifierSurvivesAnyProfile() async {
        let maskers = ["bank", "standard", "strict"].map(masker)
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var identifiers: [String] = []
            let tree = Self.tree(seed: seed, identifiers: &identifiers)
            for masker in maskers {
                let leaves = Self.strings(in: masker.mask(tree, item: "enterprise.registration"))
                for id in identifiers {
                    #expect(!leaves.contains(id), "an identifier passed profile \(masker.profile.name)")
                }
            }
        }
    }

    static func strings(in value: AnswerValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let elements): elements.flatMap(strings)
        case .object(let fields): fields.values.flatMap(strings)
        case .null, .bool, .int, .decimal: []
        }
    }
}
