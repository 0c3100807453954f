/// How sensitive a data item is; drives masking defaults and review, not decisions.
public enum Sensitivity: String, Sendable, Hashable, Codable, CaseIterable {
    case `public`
    case `internal`
    case confidential
    /// Personal financial information, JR/T 0171 class C2.
    case personal
    /// Never leaves the broker without a specific legal basis.
    case restricted
}
