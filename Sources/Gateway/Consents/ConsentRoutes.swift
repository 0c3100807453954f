import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// A partner's consents (授权):
///
/// - `POST /v1/consents`: register a subject's authorisation; 201 with `Location` and the consent.
/// - `GET /v1/consents/{id}`: the consent with its subject masked, uses so far and status.
/// - `DELETE /v1/consents/{id}`: revoke it, effective for the next query; 204, again 204 (DELETE
///   is idempotent; a revoked consent is kept, so an id the partner never had is a 404).
///
/// Another partner's consent answers 404 exactly as an unknown id does.
struct ConsentRoutes {
    let service: QueryService

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("consents") { request, context -> Response in
            let partner = try context.requirePartner()
            let json = try await request.wholeBody(upTo: 64 * 1024)
            let body = try ConsentRequest(
                json: json.readableBytesView, engine: context.requireSnapshot().engine, catalog: service.catalog, term: partner.contract.term,
                now: context.instant
            )
            let consent = Consent(
                id: ConsentStore.newID(), subject: service.subjectKey(body.subject), purposes: body.purposes, items: body.items,
                categories: body.categories, validFrom: body.validFrom, validTo: body.validTo, useLimit: body.useLimit,
                documentDigest: body.documentDigest
            )
            let stored = try await service.consents.create(
                consent, partnerID: partner.partnerID,
                maskedSubject: service.maskedIdentifier(body.subject, profile: partner.contract.maskingProfile)
            )
            return try Self.json(ConsentView(stored), status: .created, location: "/v1/consents/\(consent.id)")
        }
        group.get("consents/:id") { _, context -> Response in
            let partner = try context.requirePartner()
            guard let stored = try await service.consents.fetch(id: context.parameters.require("id"), partnerID: partner.partnerID) else {
                throw Problem.consentNotFound
            }
            return try Self.json(ConsentView(stored), status: .ok)
        }
        group.delete("consents/:id") { _, context -> Response in
            let partner = try context.requirePartner()
            guard try await service.consents.revoke(id: context.parameters.require("id"), partnerID: partner.partnerID) != nil else {
                throw Problem.consentNotFound
            }
            return Response(status: .noContent)
        }
    }

    private static func json(_ view: ConsentView, status: HTTPResponse.Status, location: String? = nil) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONResponse.encode(view))))
    }
}
