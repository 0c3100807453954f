/// The masking rules and profiles of `Policies/masking.yaml`.
public struct MaskingPolicy: Sendable, Hashable {
    /// Rules by name.
    public let rules: [String: MaskingRule]
    /// Profiles by name.
    public let profiles: [String: MaskingProfile]
    /// Two-character surnames kept whole by the `surname` method.
    public let compoundSurnames: Set<String>

    /// The rule a field masked as `catalogRule` gets under `profile`; `nil` when the rule is unknown.
    public func rule(_ catalogRule: String, under profile: MaskingProfile) -> MaskingRule? {
        rules[profile.ruleName(for: catalogRule)]
    }

    /// `text` as the broker stores it: masked by the catalog's own rule `catalogRule` (an unknown
    /// rule hides it). No profile shows more than this form, and masking it again by any shipped
    /// profile gives what masking the clear text would (`MaskingAtIngestTests`).
    public func storedForm(_ text: String, rule catalogRule: String) -> String {
        (rules[catalogRule] ?? .hidden).apply(to: text, compoundSurnames: compoundSurnames)
    }
}
