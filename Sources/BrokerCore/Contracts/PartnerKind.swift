/// The kinds of partner the broker serves, each with its own contract defaults.
public enum PartnerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A lender, authenticated by mutual TLS.
    case bank
    /// A credit agency, authenticated by API key.
    case creditAgency = "credit_agency"
    /// The joint-credit company, receiving the change feed over mutual TLS.
    case jointCredit = "joint_credit"
}
