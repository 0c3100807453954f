import BrokerCore

/// The four kinds of organisation in the synthetic province (the catalog's `org_type` values).
public enum OrganisationKind: String, Sendable, Hashable, CaseIterable {
    case enterprise
    case individualBusiness = "individual_business"
    case cooperative
    case socialOrganisation = "social_organisation"

    /// Shares of registered organisations in Jiangsu: 3.7 M enterprises, 8.6 M individual
    /// businesses, and some tens of thousands each of cooperatives and social organisations.
    static let shares: [Double] = [0.297, 0.688, 0.008, 0.007]

    /// The USCC organisation types the kind is registered under.
    var organisationTypes: [OrganisationType] {
        switch self {
        case .enterprise: [.enterprise]
        case .individualBusiness: [.individualBusiness]
        case .cooperative: [.farmersCooperative]
        case .socialOrganisation: [.socialGroup, .socialGroup, .privateNonEnterpriseUnit, .privateNonEnterpriseUnit, .foundation]
        }
    }

    /// How strongly the kind attracts penalties, relative to an enterprise.
    var sanctionExposure: Double {
        switch self {
        case .enterprise: 1
        case .individualBusiness: 0.35
        case .cooperative: 0.25
        case .socialOrganisation: 0.15
        }
    }

    /// The share of the kind that market-data providers cover with monthly data.
    var marketCoverage: Double {
        switch self {
        case .enterprise: 0.45
        case .individualBusiness: 0.06
        case .cooperative: 0.15
        case .socialOrganisation: 0.10
        }
    }
}
