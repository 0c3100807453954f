import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// `GET /v1/changes?since=CURSOR&limit=N`: the joint-credit company's change feed.
///
/// The records of every item its contract discloses for `change_feed` without a consent, in the
/// order their latest changes committed, each once: a record that is disclosable today comes
/// masked with the partner's profile (`upsert`), one that no longer is (repaired, withdrawn,
/// withheld while disputed, period ended) comes as a `remove` with its key. Subjects appear under
/// the partner's pseudonymous reference; organisations also under their code. A record changed
/// again later moves to its new position, so a reader that resumes from any `next_cursor` neither
/// skips nor repeats a change.
struct ChangeFeedRoutes {
    let service: FeedService
    let rights: SubjectRightsService

    func register(on routes: DisclosingRoutes) {
        routes.get("changes") { request, context in
            try await changes(request, context: context)
        }
    }

    private func changes(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        guard partner.contract.kind == .jointCredit else {
            throw Problem(
                "feed-not-in-contract", title: "No change feed", status: .forbidden,
                detail: "The change feed is served to the joint-credit company only."
            )
        }
        let page = try FeedPageRequest(request.uri, stream: .changes)
        let now = context.instant
        let today = CivilDate(now)
        let covered = try service.coveredItems(partner, engine: context.requireSnapshot().engine, purpose: FeedService.feedPurpose, at: now)
        try await service.sweepIfDue(today)
        let fetched = try await service.queries.reads.records { try await $0.changes(since: page.cursor.sequence, items: covered.items, limit: page.limit + 1) }
        let records = fetched.prefix(page.limit)
        let references = service.pseudonymizer(for: partner)
        let masker = service.queries.maskers[partner.contract.maskingProfile]
        var disclosedItems: [String] = []
        var delivered: [(subjectKey: String, item: String)] = []
        let changes = records.compactMap { record in
            let change = change(record, today: today, references: references, masker: masker)
            if change?.op == .upsert {
                if !disclosedItems.contains(record.item) { disclosedItems.append(record.item) }
                delivered.append((record.subjectKey, record.item))
            }
            return change
        }
        let disclosure = Disclosure(purpose: FeedService.feedPurpose, disclosed: disclosedItems, contractVersion: covered.version)
        context.meter.note(disclosure)
        // The page names many subjects: each one's deliveries are counted for its "who queried me".
        try await rights.recordDeliveries(
            of: delivered, stream: .changes, partnerID: partner.partnerID, day: today, note: context.meter
        )
        let next = FeedCursor(stream: .changes, sequence: records.last?.changeSeq ?? page.cursor.sequence)
        return try DisclosedAnswer(json: ChangeFeedPage(
            requestID: context.id, partner: partner.partnerID, contractVersion: covered.version.description,
            changes: changes, nextCursor: next.text, hasMore: fetched.count > page.limit
        ), disclosure: disclosure)
    }

    /// The record as the feed sends it today: masked, or removed with the reason.
    private func change(
        _ record: StoredRecord, today: CivilDate, references: SubjectPseudonymizer, masker: Masker?
    ) -> ChangeFeedPage.Change? {
        let catalog = service.queries.catalog
        // Only covered items, which are catalog items, are fetched.
        guard let item = catalog.item(record.item) else { return nil }
        let reference = references.reference(forSubject: record.subjectKey)
        if case .hidden(let reason) = catalog.disclosure(of: record.disclosureFacts, item: item, on: today).state {
            return .removal(of: record, kind: item.subject, subjectRef: reference, reason: reason.rawValue)
        }
        // A profile the policy lacks hides everything rather than disclosing unmasked.
        let fields = QueryService.withMarks(masker.map { $0.mask(.object(record.fields), item: record.item) } ?? .null, of: record)
        return .upsert(record, kind: item.subject, subjectRef: reference, fields: fields)
    }
}
