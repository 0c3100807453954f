import BrokerCore
import Foundation
import Hummingbird
import Metering
import Scoring

/// `POST /v1/scores`: a lending score of one organisation, computed only from what the partner may
/// receive.
///
/// Every catalog item the card's features read is decided from the partner's contract as a query
/// for all of them would be; records are fetched for the disclosed items only, and the features of
/// withheld items are missing (inference control: the score never reflects a withheld record);
/// the card's segment is chosen from those features too, so it never reflects one either.
/// A partner to whom no input item is disclosed may not score. Nothing is graded from nothing: a
/// company the broker holds nothing about is 404 `subject-unknown`, and one for which fewer than
/// half of the features of the card's segment are available to this partner is 422
/// `insufficient-data`; neither is billed (the quota unit goes back, the meter event records the
/// status and no item). Scores take no consent: a request naming a `consent_id` is answered 400
/// `consent-not-found`, as for queries.
struct ScoreRoutes {
    let service: ScoreService
    let queries: QueryService

    func register(on routes: DisclosingRoutes) {
        routes.post("scores") { request, context in
            try await answer(request, context: context)
        }
    }

    private func answer(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        let engine = try context.requireSnapshot().engine
        let json = try await request.wholeBody(upTo: 16 * 1024)
        let query = try ScoreRequest(json: json.readableBytesView, engine: engine)
        if query.consentID != nil {
            throw Problem.queryConsentNotFound
        }
        let subjectKey = query.subject.rawValue
        let now = context.instant
        let itemIDs = service.fusion.items
        let decision = engine.decide(DecisionRequest(
            partner: partner.handle, subject: subjectKey, items: itemIDs.map { engine.item($0)! }, purpose: query.purpose, at: now
        ))
        var used: [String] = []
        var withheld: [QueryAnswer.WithheldItem] = []
        for (id, item) in zip(itemIDs, decision.items) {
            switch item {
            case .disclosed: used.append(id)
            case let .withheld(reason, unlock):
                withheld.append(.init(item: id, reason: reason, unlock: unlock, unlockText: unlock.text))
            }
        }
        let disclosure = Disclosure(
            subjectKey: subjectKey, purpose: query.purposeID, disclosed: used, withheld: withheld.map(\.meterEntry),
            consentID: query.consentID, contractVersion: decision.contractVersion
        )
        context.meter.note(disclosure)
        guard !used.isEmpty else {
            throw Problem(
                "score-not-permitted", title: "Score not permitted", status: .forbidden,
                detail: "The contract discloses none of the scorecard's input items for this purpose."
            )
        }
        // A subject not scored is metered with the items withheld and none disclosed.
        var notScored = disclosure
        notScored.disclosed = []
        guard try await queries.reads.records({ try await $0.subject(query.subject) }) != nil else {
            context.meter.note(notScored)
            throw Problem(
                "subject-unknown", title: "Subject unknown", status: .notFound,
                detail: "The broker holds nothing about this organisation, so it is not scored.", field: "subject"
            )
        }
        let day = CivilDate(now)
        let records = try await queries.reads.records { try await $0.disclosableRecords(of: subjectKey, items: used, on: day) }
        let scored = service.score(records, available: Set(used), on: day)
        let result = scored.result
        guard scored.sufficient else {
            context.meter.note(notScored)
            let segment = result.segment.map { "the card's \($0) segment" } ?? "the card"
            throw Problem(
                "insufficient-data", title: "Insufficient data", status: .unprocessableContent,
                detail: "\(scored.coverage.present) of the \(scored.coverage.of) features of \(segment) are available for this subject to this partner; a grade needs at least \(scored.needed)."
            )
        }
        return try DisclosedAnswer(json: ScoreAnswer(
            requestID: context.id, partner: partner.partnerID, contractVersion: decision.contractVersion.description,
            purpose: query.purposeID, consentID: query.consentID, modelVersion: result.cardVersion, modelSegment: result.segment, score: result.score,
            grade: result.grade.rawValue, probabilityOfDefault: result.probabilityOfDefault,
            declined: scored.declined.map { .init(code: $0.code, feature: nil, value: nil, pointsLost: nil, zh: $0.chinese, en: $0.english) },
            reasons: scored.reasons.map {
                .init(code: $0.code, feature: $0.feature, value: $0.value, pointsLost: $0.pointsLost, zh: $0.chinese, en: $0.english)
            },
            sourcesUsed: used, withheld: withheld, missingFeatures: scored.missingFeatures
        ), disclosure: disclosure)
    }
}
