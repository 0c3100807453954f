import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// The admin API's part in subjects' rights (issue 16), each endpoint behind the roles `AdminEndpoint` names:
///
/// - `GET disputes?status=open|resolved|overdue&source=S&limit=N`: disputes, oldest deadline first;
///   `overdue` lists the open ones past their deadline (20 calendar days after filing, China time).
/// - `POST disputes/{id}/resolve` `{"outcome": "confirmed" | "withdrawn", "reason": …}`: a data
///   source's answer given outside its feed (a correction comes only as the record's next feed line).
/// - `POST consents/{id}/revoke` `{"reason": …}`: revokes any partner's consent (`revoked_by_admin`);
///   the holder gets a `consent_revoked` alert; the reason is kept sealed (`revocation_note`).
/// - `GET consents/{id}`: any partner's consent as its holder sees it, with the holder's id and,
///   if an administrator revoked it, the reason given (`revocation_note`).
///
/// Each change runs in the request's audit transaction.
struct AdminRightsRoutes {
    let services: AdminServer.Services

    func register(on group: RouterGroup<AdminRequestContext>) {
        group.admin(.listDisputes) { request, context in
            let status = request.uri.queryParameters.get("status").map { String($0) }
            guard status == nil || ["open", "resolved", "overdue"].contains(status) else {
                throw Problem.invalidRequest("status", "status is one of open, resolved, overdue.")
            }
            let source = request.uri.queryParameters.get("source").map { String($0) }
            if let source, !services.contracts.policies.catalog.sources.contains(where: { $0.id == source }) {
                throw Problem.invalidRequest("source", "source must be a catalog source id.")
            }
            let limit = try request.integer("limit", in: 1...1_000) ?? 100
            let today = CivilDate(services.contracts.clock.now())
            let found = try await DisputeStore(pool: services.pool, keys: services.keys).list(
                state: status == "resolved" ? .resolved : status == nil ? nil : .open, source: source,
                overdueOn: status == "overdue" ? today : nil, limit: limit
            )
            context.audit.note(partner: nil, "listed \(found.count) disputes\(status.map { " (\($0))" } ?? "")")
            return try JSONResponse.response(DisputeList(disputes: found.map { DisputeView($0, today: today, for: .admin) }))
        }
        group.admin(.resolveDispute) { request, context in
            let id = try context.parameters.require("id")
            guard RandomIdentifier.isValid(id, prefix: "dp_") else { throw Problem(DisputeStore.Refusal.disputeNotFound) }
            let body = try RequestBody(try await request.wholeBody(upTo: 16 * 1024).readableBytesView)
            guard let text = try body.string("outcome"), let outcome = StoredDispute.Outcome(rawValue: text) else {
                throw Problem.invalidRequest("outcome", "outcome is one of confirmed, withdrawn (corrected comes with the record's next feed line).")
            }
            let reason = try AdminChanges.reason(try body.string("reason") ?? "", required: true, why: "the source's answer, in up to 500 characters")
            let now = services.contracts.clock.now()
            let resolved: StoredDispute
            do {
                resolved = try await DisputeStore.resolve(id, as: outcome, note: reason, at: now, keys: services.keys, on: context.requireTransaction())
            } catch let refusal as DisputeStore.Refusal {
                throw Problem(refusal)
            }
            context.audit.note(partner: nil, "resolved \(id) as \(outcome.rawValue)")
            return try JSONResponse.response(DisputeView(resolved, today: CivilDate(now), for: .admin))
        }
        group.admin(.revokeConsent) { request, context in
            let id = try Self.consentID(context)
            let body = try RequestBody(try await request.wholeBody(upTo: 16 * 1024).readableBytesView)
            // Kept sealed beside the revocation (it may name a person); the audit detail stays fixed-form.
            let note = try AdminChanges.reason(try body.string("reason") ?? "", required: true, why: "why the consent is revoked, in up to 500 characters")
            let now = services.contracts.clock.now()
            guard let (revoked, kept) = try await ConsentStore.revokeByAdmin(id: id, note: note, keys: services.keys, at: now, on: context.requireTransaction())
            else {
                throw Problem.consentNotFound
            }
            context.audit.note(partner: revoked.partnerID, "revoked consent \(id): \(revoked.revokedReason?.rawValue ?? "")")
            return try JSONResponse.response(ConsentView(revoked, extensions: [], at: now, holder: revoked.partnerID, revocationNote: kept))
        }
        group.admin(.showConsent) { _, context in
            let id = try Self.consentID(context)
            let store = ConsentStore(pool: services.pool)
            guard let consent = try await store.fetch(id: id) else { throw Problem.consentNotFound }
            let note = try await store.revocationNote(of: id, keys: services.keys)
            context.audit.note(partner: consent.partnerID, "read consent \(id)")
            let now = services.contracts.clock.now()
            let view = ConsentView(consent, extensions: try await store.extensions(of: [id]), at: now, holder: consent.partnerID, revocationNote: note)
            return try JSONResponse.response(view)
        }
    }

    /// The path's consent id; one not of a consent's shape is no consent (404), as an unknown one.
    private static func consentID(_ context: AdminRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard RandomIdentifier.isValid(id, prefix: "cs_") else { throw Problem.consentNotFound }
        return id
    }
}

extension RouterGroup<AdminRequestContext> {
    /// Registers `handler` for `endpoint`, behind its roles (403 `role-not-allowed` for any other).
    func admin(_ endpoint: AdminEndpoint, _ handler: @escaping @Sendable (Request, AdminRequestContext) async throws -> Response) {
        on(RouterPath(endpoint.path), method: endpoint.method) { request, context -> Response in
            try context.require(endpoint.roles)
            return try await handler(request, context)
        }
    }
}
