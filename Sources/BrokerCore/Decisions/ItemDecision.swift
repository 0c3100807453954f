/// The decision for one requested item.
public enum ItemDecision: Sendable, Hashable, Codable {
    /// Disclose, masked with this profile.
    case disclosed(maskingProfile: String)
    /// Withhold, for this reason; `unlock` says what would change that.
    case withheld(WithholdReason, unlock: Unlock)

    public var isDisclosed: Bool {
        if case .disclosed = self { true } else { false }
    }
}
