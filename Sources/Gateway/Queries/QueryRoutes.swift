import BrokerCore
import Foundation
import Hummingbird
import Metering

/// `POST /v1/queries`: decide each requested item from the partner's contract, fetch the disclosed
/// items' records in one round trip, mask them with the partner's profile, and answer with the
/// withheld manifest (reason and unlock per item), the contract version, the request id and a
/// signed receipt.
///
/// A `consent_id` names one of the partner's consents about the same subject (else 400
/// `consent-not-found`); conditional items are decided with it, and it is spent once when an item it
/// unlocked has a record to disclose (`QueryService.decide`). Every disclosed item says whether
/// anything is on file (`on_file`).
struct QueryRoutes {
    let service: QueryService

    func register(on routes: DisclosingRoutes) {
        routes.post("queries") { request, context in
            try await answer(request, context: context)
        }
    }

    private func answer(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        let engine = try context.requireSnapshot().engine
        let json = try await request.wholeBody(upTo: 64 * 1024)
        let now = context.instant
        let query = try QueryRequest(json: json.readableBytesView, engine: engine, catalog: service.catalog, today: CivilDate(now))
        let subjectKey = service.subjectKey(query.subject)
        let (decision, records) = try await service.decide(query, partner: partner, engine: engine, subjectKey: subjectKey, at: now, note: context.meter)
        let (disclosedIDs, withheld) = service.partition(decision, of: query.selection.itemIDs)
        let disclosure = Disclosure(
            subjectKey: subjectKey, purpose: query.selection.purposeID, disclosed: disclosedIDs, withheld: withheld.map(\.meterEntry),
            consentID: query.consentID, contractVersion: decision.contractVersion
        )
        // Noted now, as the score and report routes do: the meter event names the decision even if the answer fails to build.
        context.meter.note(disclosure)
        let disclosed = service.disclosedItems(disclosedIDs, records: records, masker: service.maskers[partner.contract.maskingProfile])
        let body = try QueryAnswer(
            requestID: context.id, partner: partner.partnerID, contractVersion: decision.contractVersion.description,
            purpose: query.selection.purposeID, consentID: query.consentID, disclosed: disclosed, withheld: withheld
        ).json()
        return DisclosedAnswer(body, disclosure: disclosure)
    }
}
