/// The kinds of partner the broker serves, each with its own contract defaults.
public enum PartnerKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A lender, authenticated by mutual TLS.
    case bank
    /// A credit agency, authenticated by API key.
    case creditAgency = "credit_agency"
    /// The joint-credit company, receiving the change feed over mutual TLS.
    case jointCredit = "joint_credit"
    /// The province's credit portal (信用江苏), acting for one subject per call on the subject's own
    /// rights (who queried them, disputes, consents), authenticated by mutual TLS.
    case portal
    /// A data source's account (`source.<catalog source id>`), paging the disputes on its records,
    /// authenticated by mutual TLS.
    case dataSource = "data_source"
}
