/// Applies one masking profile to answers, field by field as the catalog's `mask` says, at any depth.
///
/// Wherever an object key names a masked field of the item, every leaf below that key is masked, so an
/// identifier nested in a list or a sub-object is masked too. Built once per profile; `mask` is pure.
public struct Masker: Sendable {
    public let profile: MaskingProfile
    private let rulesByItem: [String: [String: MaskingRule]]
    /// Every masked field name of the catalog, for answers whose item is not in the catalog.
    private let anyItemRules: [String: MaskingRule]
    private let compoundSurnames: Set<String>

    /// A masker for `profile`. A field whose rule the policy lacks is hidden rather than passed.
    public init(catalog: Catalog, policy: MaskingPolicy, profile: MaskingProfile) {
        var rulesByItem: [String: [String: MaskingRule]] = [:]
        var anyItemRules: [String: MaskingRule] = [:]
        for item in catalog.items {
            var rules: [String: MaskingRule] = [:]
            for field in item.fields {
                guard let name = field.mask else { continue }
                let rule = policy.rule(name, under: profile) ?? .hidden
                rules[field.name] = rule
                anyItemRules[field.name] = anyItemRules[field.name] ?? rule
            }
            rulesByItem[item.id] = rules
        }
        self.profile = profile
        self.rulesByItem = rulesByItem
        self.anyItemRules = anyItemRules
        self.compoundSurnames = policy.compoundSurnames
    }

    /// `value` (records of `item`, any shape) with every masked field masked.
    public func mask(_ value: AnswerValue, item: String) -> AnswerValue {
        walk(value, rules: rulesByItem[item] ?? anyItemRules)
    }

    /// An answer keyed by item id, each item's value masked with that item's fields.
    public func mask(answer: [String: AnswerValue]) -> [String: AnswerValue] {
        answer.reduce(into: [:]) { result, entry in result[entry.key] = mask(entry.value, item: entry.key) }
    }

    private func walk(_ value: AnswerValue, rules: [String: MaskingRule]) -> AnswerValue {
        switch value {
        case .object(var fields):
            // Replaced in place, value by value: the keys stay, so nothing is hashed again.
            var index = fields.startIndex
            while index != fields.endIndex {
                let (key, field) = fields[index]
                if let rule = rules[key] {
                    fields.values[index] = maskLeaves(field, with: rule)
                } else if case .object = field {
                    fields.values[index] = walk(field, rules: rules)
                } else if case .array = field {
                    fields.values[index] = walk(field, rules: rules)
                }
                fields.formIndex(after: &index)
            }
            return .object(fields)
        case .array(let elements):
            return .array(elements.map { walk($0, rules: rules) })
        case .null, .bool, .int, .decimal, .string:
            return value
        }
    }

    private func maskLeaves(_ value: AnswerValue, with rule: MaskingRule) -> AnswerValue {
        switch value {
        case .null: .null
        case .string(let text): .string(rule.apply(to: text, compoundSurnames: compoundSurnames))
        case .int(let number): .string(rule.apply(to: String(number), compoundSurnames: compoundSurnames))
        case .decimal, .bool: .string(MaskingRule.hiddenText)
        case .array(let elements): .array(elements.map { maskLeaves($0, with: rule) })
        case .object(let fields): .object(fields.mapValues { maskLeaves($0, with: rule) })
        }
    }
}
