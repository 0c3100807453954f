/// A named masking profile that contracts refer to (`bank`, `standard`, `strict`).
public struct MaskingProfile: Sendable, Hashable {
    public let name: String
    public let description: String
    /// Catalog rule name → the rule name this profile applies instead.
    public let substitutions: [String: String]

    /// The rule name applied where the catalog names `rule`.
    public func ruleName(for rule: String) -> String { substitutions[rule] ?? rule }
}
