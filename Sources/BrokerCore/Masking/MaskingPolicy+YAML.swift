import Formats
import Yams

extension MaskingPolicy {
    /// Parses the masking policy from YAML `text` that the caller read from `file`.
    /// - Throws: `PolicyError` listing every problem as `file:line: message`.
    public init(yaml text: String, file: String) throws(PolicyError) {
        var reader = YAMLReader(file: file)
        guard let root = reader.root(of: text),
              let top = reader.mapping(root, "the masking policy", required: ["rules", "profiles"], optional: ["compound_surnames"])
        else { throw PolicyError(reader.diagnostics) }
        let surnames = reader.strings(top["compound_surnames"], "compound_surnames") ?? []
        for (surname, node) in surnames where surname.count != 2 {
            reader.fail(node, "compound surname '\(surname)' must have two characters")
        }
        var rules: [String: MaskingRule] = [:]
        for (name, _, value) in top["rules"].flatMap({ reader.entries($0, "rules") }) ?? [] {
            rules[name] = reader.maskingRule(value, "rule '\(name)'")
        }
        var profiles: [String: MaskingProfile] = [:]
        for (name, _, value) in top["profiles"].flatMap({ reader.entries($0, "profiles") }) ?? [] {
            let what = "profile '\(name)'"
            guard let map = reader.mapping(value, what, required: ["description", "substitute"]) else { continue }
            var substitutions: [String: String] = [:]
            for (from, keyNode, target) in map["substitute"].flatMap({ reader.entries($0, "\(what) substitute") }) ?? [] {
                guard let to = reader.string(target, "\(what) substitute for '\(from)'") else { continue }
                if rules[from] == nil { reader.fail(keyNode, "\(what) substitutes unknown rule '\(from)'") }
                if rules[to] == nil { reader.fail(target, "\(what) substitutes unknown rule '\(to)' for '\(from)'") }
                substitutions[from] = to
            }
            let description = reader.string(map["description"], "\(what) description") ?? ""
            profiles[name] = MaskingProfile(name: name, description: description, substitutions: substitutions)
        }
        guard reader.diagnostics.isEmpty else { throw PolicyError(reader.diagnostics) }
        self.init(rules: rules, profiles: profiles, compoundSurnames: Set(surnames.map(\.value)))
    }
}

extension YAMLReader {
    fileprivate mutating func maskingRule(_ node: Node, _ what: String) -> MaskingRule? {
        guard let map = mapping(node, what, required: ["method"], optional: ["first", "last", "level"]),
              let method = string(map["method"], "\(what) method")
        else { return nil }
        let allowed: Set<String>
        let rule: MaskingRule?
        switch method {
        case "keep_ends":
            allowed = ["first", "last"]
            let first = int(map["first"], "\(what) first", in: 0...32)
            let last = int(map["last"], "\(what) last", in: 0...32)
            if first == nil || last == nil { fail(node, "\(what) keep_ends needs whole numbers 'first' and 'last'") }
            rule = first.flatMap { first in last.map { .keepEnds(first: first, last: $0) } }
        case "surname":
            (allowed, rule) = ([], .surname)
        case "address":
            allowed = ["level"]
            if map["level"] == nil { fail(node, "\(what) address needs a 'level'") }
            rule = choice(map["level"], "\(what) level", as: MaskingRule.AddressLevel.self).map { .address(level: $0) }
        case "hidden":
            (allowed, rule) = ([], .hidden)
        default:
            fail(map["method"], "\(what) method must be one of keep_ends, surname, address, hidden, not '\(method)'")
            return nil
        }
        for key in ["first", "last", "level"] where !allowed.contains(key) {
            if let extra = map[key] { fail(extra, "\(what) method \(method) takes no '\(key)'") }
        }
        return rule
    }
}
