import BrokerCore
import Hummingbird
import NIOCore
import PostgresClient

/// The request context of the admin API: the connection, the admin once `AdminAuthenticator` has
/// established it, and the note the audit chain records.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's channel (the HTTP/1 connection, which holds the TLS handler).
    let channel: any Channel
    /// Set by `AdminAuthenticator` before the audit middleware and any route run.
    public var admin: AdminActor?
    /// What the route did, for the request's audit row.
    public let audit = AdminAuditNote()
    /// What a console page leaves for its error page when it refuses (`ConsoleMiddleware`).
    let consoleRefusal = ConsoleRefusal()
    /// The transaction the request's audit row is appended in (set by the audit middleware): a
    /// route writes on it, so that what it does commits only with its row.
    public var transaction: PostgresConnection?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The request's audit transaction; only the audit middleware's routes run without one (never).
    func requireTransaction() throws(Problem) -> PostgresConnection {
        guard let transaction else { throw .auditUnavailable() }
        return transaction
    }

    /// The admin, if its role is one of `roles`; otherwise 403 `role-not-allowed` naming them.
    @discardableResult
    func require(_ roles: [AdminRole]) throws(Problem) -> AdminActor {
        guard let admin else { throw .unauthenticated("The request carries no admin certificate.") }
        guard let role = admin.role, roles.contains(role) else { throw .roleNotAllowed(roles, had: admin) }
        return admin
    }
}
