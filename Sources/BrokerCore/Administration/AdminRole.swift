/// The three separated admin roles (三员分立): none can both act and cover its tracks.
///
/// An admin certificate carries its role as one subject OU `admin-<role>`; a certificate with
/// none, or with more than one, has no role and is refused everywhere.
public enum AdminRole: String, Sendable, CaseIterable {
    /// 系统管理员: runs the platform; sees partners and usage.
    case system
    /// 安全管理员: manages credentials (API keys); sees partners.
    case security
    /// 安全审计员: reads the audit chain and usage; changes nothing.
    case audit

    /// The subject OU that binds the role, e.g. `admin-security`.
    public var organizationalUnit: String { "admin-" + rawValue }

    /// The role's title, as the development PKI names its certificate (CN).
    public var title: String {
        switch self {
        case .system: "System Administrator"
        case .security: "Security Administrator"
        case .audit: "Security Auditor"
        }
    }

    /// The one role among a certificate's OUs; `nil` if there is none or more than one.
    public init?(organizationalUnits: [String]) {
        let roles = organizationalUnits.compactMap { unit in Self.allCases.first { $0.organizationalUnit == unit } }
        guard roles.count == 1 else { return nil }
        self = roles[0]
    }
}
