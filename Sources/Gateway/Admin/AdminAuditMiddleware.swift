import BrokerCore
import BrokerStore
import Hummingbird
import Logging

/// Appends one row to the audit chain for every admin request, allowed or refused, before its
/// answer leaves: actor, role, method, path, target partner, status and the route's note.
///
/// The route runs inside the transaction that appends its row, and a route that writes does so on
/// that transaction (`AdminRequestContext.transaction`): an admin action commits only with its
/// audit row. A refused or failed request is rolled back and recorded in a transaction of its own.
/// If the row cannot be written the answer is withheld (503) and the action undone: no admin
/// action goes unrecorded.
struct AdminAuditMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    let log: AdminAuditLog

    /// Longest path stored (the request chose it, so it is bounded).
    private static let maximumText = 200

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.admin != nil else { throw Problem.unauthenticated("The admin API requires an admin client certificate.") }
        var refusal: (any Error)?
        do {
            return try await log.recording({ connection in
                var context = context
                context.transaction = connection
                do {
                    return try await next(request, context)
                } catch {
                    refusal = error
                    throw error
                }
            }, entry: { response in entry(request, context, status: Int(response.status.code), refusal: nil) })
        } catch {
            guard let refusal else { throw unrecorded(error, context) }
            let problem = Problem(refusal, logger: context.logger)
            do {
                try await log.append(entry(request, context, status: Int(problem.status.code), refusal: problem.slug))
            } catch {
                throw unrecorded(error, context)
            }
            throw problem
        }
    }

    private func entry(_ request: Request, _ context: Context, status: Int, refusal: String?) -> AdminAuditEntry {
        // The request chose the path's and query's partner: recorded only if it is a partner id (the
        // path itself, percent-encoded as received, shows what was asked).
        let partner = context.audit.partner
            ?? [context.parameters.get("partner"), request.uri.queryParameters.get("partner").map { String($0) }]
            .lazy.compactMap { $0 }.first { Contract.isValidPartnerID($0) }
        return AdminAuditEntry(
            actorFingerprint: context.admin?.fingerprint ?? "", actorSubject: context.admin?.subject ?? "", role: context.admin?.role?.rawValue,
            method: request.method.rawValue, path: String(request.uri.path.prefix(Self.maximumText)),
            targetPartner: partner, status: status,
            detail: refusal ?? context.audit.detail ?? "ok"
        )
    }

    /// The 503 for a request whose audit row could not be written (the error's type is logged, not its text).
    private func unrecorded(_ error: any Error, _ context: Context) -> Problem {
        context.logger.error("admin audit append failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        return .auditUnavailable()
    }
}
