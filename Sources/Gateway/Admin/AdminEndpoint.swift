import HTTPTypes

/// Every admin endpoint and the roles it is allowed to: the one place that says who may do what.
/// The routes enforce it (`AdminRoutes`), `Contracts/api/admin-openapi.yaml` states it as `x-roles`
/// (kept equal by a test) and the end-to-end role table walks it.
public struct AdminEndpoint: Sendable, Hashable, CustomStringConvertible {
    public let method: HTTPRequest.Method
    /// Under `/admin/v1`, with `{name}` path parameters.
    public let path: String
    public let roles: [AdminRole]

    init(_ method: HTTPRequest.Method, _ path: String, _ roles: [AdminRole]) {
        self.method = method
        self.path = path
        self.roles = roles
    }

    /// `GET /admin/v1/partners`, as the OpenAPI file names it.
    public var description: String { "\(method.rawValue) /admin/v1/\(path)" }

    // Partners and their credentials.
    static let listPartners = Self(.get, "partners", [.system, .security, .audit])
    static let issueKey = Self(.post, "partners/{partner}/keys", [.security])
    static let listKeys = Self(.get, "partners/{partner}/keys", [.security])
    static let revokeKey = Self(.delete, "keys/{keyID}", [.security])
    // Contracts: propose → approve or reject → in effect; suspend, reinstate, retire; history.
    static let propose = Self(.post, "proposals", [.system])
    static let listProposals = Self(.get, "proposals", [.system, .security, .audit])
    static let showProposal = Self(.get, "proposals/{id}", [.system, .security, .audit])
    static let whatIf = Self(.get, "proposals/{id}/what-if", [.system, .security])
    static let approve = Self(.post, "proposals/{id}/approve", [.security])
    static let reject = Self(.post, "proposals/{id}/reject", [.security])
    static let suspend = Self(.post, "partners/{partner}/suspend", [.security, .system])
    static let reinstate = Self(.post, "partners/{partner}/reinstate", [.security])
    static let retire = Self(.post, "partners/{partner}/retirement", [.system])
    static let history = Self(.get, "partners/{partner}/history", [.system, .security, .audit])
    // Usage and the audit chain.
    static let usage = Self(.get, "usage", [.audit, .system])
    static let audit = Self(.get, "audit", [.audit])
    // Subjects' rights: disputes (the data sources' answers given outside their feeds), consents.
    static let listDisputes = Self(.get, "disputes", [.security, .audit, .system])
    static let resolveDispute = Self(.post, "disputes/{id}/resolve", [.security])
    static let revokeConsent = Self(.post, "consents/{id}/revoke", [.security])

    /// Every endpoint the admin listener serves.
    public static let all: [AdminEndpoint] = [
        listPartners, issueKey, listKeys, revokeKey,
        propose, listProposals, showProposal, whatIf, approve, reject, suspend, reinstate, retire, history,
        usage, audit,
        listDisputes, resolveDispute, revokeConsent,
    ]
}
