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
/// - `POST /v1/consents/{id}/extensions`: extend it while it is active (`valid_to` later, within the
///   contract term, with the digest of the subject's renewed authorisation); the history keeps each.
/// - `GET /v1/consents/{id}/receipt`: its consent receipt, signed (`Broker-Receipt` of kind `consent`).
///
/// Another partner's consent answers 404 exactly as an unknown id does.
struct ConsentRoutes {
    let service: QueryService

    func register(on routes: DisclosingRoutes) {
        let group = routes.group
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
            return try JSONResponse.response(
                ConsentView(stored, extensions: [], at: context.instant), status: .created, headers: [.location: "/v1/consents/\(consent.id)"]
            )
        }
        group.get("consents/{id}") { _, context -> Response in
            let partner = try context.requirePartner()
            guard let stored = try await service.consents.fetch(id: context.parameters.require("id"), partnerID: partner.partnerID) else {
                throw Problem.consentNotFound
            }
            let extensions = try await service.consents.extensions(of: [stored.consent.id])
            return try JSONResponse.response(ConsentView(stored, extensions: extensions, at: context.instant))
        }
        group.post("consents/{id}/extensions") { request, context -> Response in
            try await extend(request, context)
        }
        routes.get("consents/{id}/receipt") { _, context in
            let partner = try context.requirePartner()
            guard let stored = try await service.consents.fetch(id: context.parameters.require("id"), partnerID: partner.partnerID) else {
                throw Problem.consentNotFound
            }
            return try ConsentReceipt(
                stored, holderName: partner.contract.legalName, purposeTitles: context.requireSnapshot().policies.purposes.titles,
                requestID: context.id, at: context.instant
            ).answer(Disclosure(purpose: nil, contractVersion: partner.contract.version))
        }
        group.delete("consents/{id}") { _, context -> Response in
            let partner = try context.requirePartner()
            guard try await service.consents.revoke(id: context.parameters.require("id"), partnerID: partner.partnerID) != nil else {
                throw Problem.consentNotFound
            }
            return Response(status: .noContent)
        }
    }

    /// `{"valid_to": day or instant, "document_digest": hex}`: the new end (later than the current
    /// one, within the contract term) and the SHA-256 of the subject's renewed authorisation.
    private func extend(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let partner = try context.requirePartner()
        let id = try context.parameters.require("id")
        let body = try RequestBody(try await request.wholeBody(upTo: 16 * 1024).readableBytesView)
        let validTo = try ConsentRequest.instant(body.string(required: "valid_to"), field: "valid_to", endOfDay: true)
        let term = partner.contract.term
        guard validTo <= term.to.adding(days: 1).start() else {
            throw Problem.invalidRequest("valid_to", "valid_to must not be after the partner's contract term, which ends with \(term.to) (China time).")
        }
        let digest = try ConsentRequest.documentDigest(body)
        let extended: StoredConsent
        do {
            extended = try await service.consents.extend(id: id, partnerID: partner.partnerID, validTo: validTo, documentDigest: digest, at: context.instant)
        } catch let refusal as ConsentStore.ExtensionRefusal {
            switch refusal {
            case .notFound: throw Problem.consentNotFound
            case .notActive(let status):
                throw Problem(
                    "consent-not-active", title: "Consent not active", status: .conflict,
                    detail: "Only an active consent is extended; this one is \(status.rawValue). Register a new consent instead."
                )
            case .notLater: throw Problem.invalidRequest("valid_to", "valid_to must be after the consent's current end.")
            }
        }
        let extensions = try await service.consents.extensions(of: [id])
        return try JSONResponse.response(ConsentView(extended, extensions: extensions, at: context.instant))
    }
}
