import BrokerCore
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
    static let showConsent = Self(.get, "consents/{id}", [.security, .audit])
    static let revokeConsent = Self(.post, "consents/{id}/revoke", [.security])

    // Billing: months closed, statements, adjustments (proposed, then decided by another), usage exports, quota alerts.
    static let closeMonth = Self(.post, "billing/months", [.system])
    static let listMonths = Self(.get, "billing/months", [.system, .audit])
    static let verifyMonth = Self(.get, "billing/months/{month}/verification", [.system, .audit])
    static let listStatements = Self(.get, "billing/statements", [.system, .audit])
    static let showStatement = Self(.get, "billing/statements/{partner}/{month}", [.system, .audit])
    static let proposeAdjustment = Self(.post, "billing/adjustments", [.system])
    static let listAdjustments = Self(.get, "billing/adjustments", [.system, .security, .audit])
    static let approveAdjustment = Self(.post, "billing/adjustments/{id}/approve", [.security])
    static let rejectAdjustment = Self(.post, "billing/adjustments/{id}/reject", [.security])
    static let exportUsage = Self(.get, "billing/usage-export", [.system, .audit])
    static let exportManifest = Self(.get, "billing/usage-export/manifest", [.system, .audit])
    static let quotaAlerts = Self(.get, "quota-alerts", [.system, .security, .audit])

    /// Every endpoint the admin listener serves.
    public static let all: [AdminEndpoint] = [
        listPartners, issueKey, listKeys, revokeKey,
        propose, listProposals, showProposal, whatIf, approve, reject, suspend, reinstate, retire, history,
        usage, audit,
        listDisputes, resolveDispute, showConsent, revokeConsent,
        closeMonth, listMonths, verifyMonth, listStatements, showStatement, proposeAdjustment, listAdjustments, approveAdjustment,
        rejectAdjustment, exportUsage, exportManifest, quotaAlerts,
    ]
}
