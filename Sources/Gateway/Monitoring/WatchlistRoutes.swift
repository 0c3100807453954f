import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// Post-loan monitoring, scoped to the calling partner:
///
/// - `POST /v1/watchlist`: watch up to 10,000 subjects for `post_loan_monitoring` (a purpose the
///   contract must allow); answers each subject's pseudonymous reference.
/// - `GET /v1/watchlist?after=REF&limit=N`: a page of the partner's watched subjects in order of
///   reference (references, codes, masked ID numbers).
/// - `DELETE /v1/watchlist/{ref}`: stop watching; 204, again 204 (DELETE is idempotent). A removed
///   reference leaves no trace, so any reference of the right form that names none of the
///   partner's watched subjects answers 204 too; 404 is for a text that is no reference.
/// - `GET /v1/alerts?since=CURSOR&limit=N`: changes to watched subjects' records after they were
///   watched (new records of items the catalog marks `alert_on_new_record`: penalties, dishonesty
///   and black lists; repairs, disputes, withdrawals), in commit order,
///   only of items the contract discloses for post-loan monitoring; and, in the same order, the
///   partner's consents revoked by their subject or an administrator (`consent_revoked`) and its
///   quotas reaching 80 % and 100 % (`quota_threshold`), which every partner gets, monitoring or not.
struct WatchlistRoutes {
    let service: FeedService
    let rights: SubjectRightsService

    func register(on routes: DisclosingRoutes) {
        let group = routes.group
        group.post("watchlist") { request, context -> Response in
            try await watch(request, context: context)
        }
        group.get("watchlist") { request, context -> Response in
            try await list(request, context: context)
        }
        group.delete("watchlist/{ref}") { _, context -> Response in
            let partner = try context.requirePartner()
            let reference = try context.parameters.require("ref")
            guard SubjectPseudonymizer.isReference(reference) else {
                throw Problem(
                    "not-watched", title: "Not watched", status: .notFound,
                    detail: "A watchlist reference is 64 lowercase hex digits, as POST /v1/watchlist answers it.", field: "ref"
                )
            }
            try await service.watchlist.remove(reference: reference, partnerID: partner.partnerID)
            return Response(status: .noContent)
        }
        routes.get("alerts") { request, context in
            try await alerts(request, context: context)
        }
    }

    private func watch(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let partner = try context.requirePartner()
        let json = try await request.wholeBody(upTo: 1 << 20)
        let body = try WatchlistRequest(json: json.readableBytesView)
        let covered = try service.coveredItems(
            partner, engine: context.requireSnapshot().engine, purpose: FeedService.monitoringPurpose, at: context.instant
        )
        let references = service.pseudonymizer(for: partner)
        let watched = body.subjects.map { subject in
            let key = service.queries.subjectKey(subject)
            let label = service.queries.label(of: subject, profile: partner.contract.maskingProfile)
            return WatchedSubject(reference: references.reference(forSubject: key), subjectKey: key, kind: subject.kind, label: label)
        }
        let added = try await service.watchlist.watch(watched, partnerID: partner.partnerID)
        context.meter.note(Disclosure(
            subjectKey: watched.count == 1 ? watched[0].subjectKey : nil, purpose: FeedService.monitoringPurpose, contractVersion: covered.version
        ))
        return try JSONResponse.response(WatchlistAnswer(subjects: watched.map(WatchlistAnswer.Subject.init), added: added))
    }

    private func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let partner = try context.requirePartner()
        let limit = try FeedPageRequest.limit(request.uri)
        let after = request.uri.queryParameters.get("after")
        if let after, after.isEmpty || after.utf8.count > 128 {
            throw Problem(
                "invalid-request", title: "Invalid request", status: .badRequest,
                detail: "after must be a ref from an earlier page (1 to 128 characters).", field: "after"
            )
        }
        let fetched = try await service.watchlist.subjects(partnerID: partner.partnerID, after: after, limit: limit + 1)
        let page = fetched.prefix(limit)
        let hasMore = fetched.count > limit
        return try JSONResponse.response(WatchlistPage(
            subjects: page.map(WatchlistAnswer.Subject.init), nextAfter: hasMore ? page.last?.reference : nil, hasMore: hasMore
        ))
    }

    private func alerts(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        let page = try FeedPageRequest(request.uri, stream: .alerts)
        let now = context.instant
        let monitoring: (items: [String], version: ContractVersion)?
        do {
            monitoring = try service.coveredItems(partner, engine: context.requireSnapshot().engine, purpose: FeedService.monitoringPurpose, at: now)
        } catch let problem as Problem where problem.slug == "purpose-not-allowed" {
            // No monitoring in the contract: the partner still learns of its revoked consents.
            monitoring = nil
        }
        let covered = monitoring ?? ([], partner.contract.version)
        let catalog = service.queries.catalog
        let listing = covered.items.filter { catalog.item($0)?.alertsOnNewRecords ?? false }
        let fetched = try await service.watchlist.alerts(
            partnerID: partner.partnerID, since: page.cursor.sequence, items: covered.items, listingItems: listing,
            limit: page.limit + 1
        )
        let alerts = fetched.prefix(page.limit)
        var disclosedItems: [String] = []
        for item in alerts.compactMap(\.item) where !disclosedItems.contains(item) {
            disclosedItems.append(item)
        }
        let subjects = Set(alerts.compactMap(\.subject?.subjectKey))
        let disclosure = Disclosure(
            subjectKey: subjects.count == 1 ? subjects.first : nil, purpose: monitoring == nil ? nil : FeedService.monitoringPurpose,
            disclosed: disclosedItems, contractVersion: covered.version
        )
        context.meter.note(disclosure)
        try await rights.recordDeliveries(
            of: alerts.compactMap { alert in alert.item.flatMap { item in alert.subject.map { ($0.subjectKey, item) } } }, stream: .alerts,
            partnerID: partner.partnerID, day: CivilDate(now), note: context.meter
        )
        let references = service.pseudonymizer(for: partner)
        let next = FeedCursor(stream: .alerts, sequence: alerts.last?.changeSeq ?? page.cursor.sequence)
        return try DisclosedAnswer(json: AlertPage(
            requestID: context.id, partner: partner.partnerID, contractVersion: covered.version.description,
            alerts: alerts.map { AlertPage.Alert($0, reference: references.reference(forSubject:)) }, nextCursor: next.text,
            hasMore: fetched.count > page.limit
        ), disclosure: disclosure)
    }
}
