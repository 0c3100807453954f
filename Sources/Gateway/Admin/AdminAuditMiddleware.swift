import BrokerStore
import Hummingbird
import Logging

/// Appends one row to the audit chain for every admin request, allowed or refused, before its
/// answer leaves: actor, role, method, path, target partner, status and the route's note. If the
/// row cannot be written the answer is withheld (503): no admin action goes unrecorded.
struct AdminAuditMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    let log: AdminAuditLog

    /// Longest path and partner text stored (the request chose them, so they are bounded).
    private static let maximumText = 200

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            try await record(request, context, status: Int(response.status.code), refusal: nil)
            return response
        } catch {
            let problem = Problem(error, logger: context.logger)
            try await record(request, context, status: Int(problem.status.code), refusal: problem.slug)
            throw problem
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, refusal: String?) async throws(Problem) {
        guard let admin = context.admin else { throw .unauthenticated("The admin API requires an admin client certificate.") }
        let partner = context.audit.partner
            ?? context.parameters.get("partner")
            ?? request.uri.queryParameters.get("partner")
        let entry = AdminAuditEntry(
            actorFingerprint: admin.fingerprint, actorSubject: admin.subject, role: admin.role?.rawValue,
            method: request.method.rawValue, path: String(request.uri.path.prefix(Self.maximumText)),
            targetPartner: partner.map { String($0.prefix(Self.maximumText)) }, status: status,
            detail: refusal ?? context.audit.detail ?? "ok"
        )
        do {
            try await log.append(entry)
        } catch {
            context.logger.error("admin audit append failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw .auditUnavailable()
        }
    }
}
