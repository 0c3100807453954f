/// The administrative state of a partner, kept outside its contract.
public enum PartnerState: Sendable, Hashable {
    case active
    case suspended
}
