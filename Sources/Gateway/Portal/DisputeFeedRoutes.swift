import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// `GET /v1/disputes?since=CURSOR&limit=N`: a data source's feed of the disputes on its records.
///
/// Served to partners of kind `data_source` (`source.<catalog source id>`), each seeing the disputes
/// on its own source's records only: every filing and every answer, in the order they committed,
/// each dispute at its latest state (a dispute answered later moves to its new position). Open
/// disputes carry their deadline and whether they are overdue. The source answers a dispute with
/// its next feed line for the record, or through the admin API.
struct DisputeFeedRoutes {
    let service: SubjectRightsService

    func register(on routes: DisclosingRoutes) {
        routes.get("disputes") { request, context in
            try await feed(request, context)
        }
    }

    private struct Page: Encodable {
        let requestID: String
        let partner: String
        let source: String
        let disputes: [DisputeView]
        let nextCursor: String
        let hasMore: Bool

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id", partner, source, disputes, nextCursor = "next_cursor", hasMore = "has_more"
        }
    }

    private func feed(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        let snapshot = try context.requireSnapshot()
        guard partner.contract.kind == .dataSource, let source = Contract.dataSource(of: partner.partnerID, in: snapshot.catalog) else {
            throw Problem.dataSourceOnly
        }
        let page = try FeedPageRequest(request.uri, stream: .disputes)
        let now = context.instant
        let disclosure = Disclosure(purpose: SubjectRightsService.sourcePurpose, contractVersion: partner.contract.version)
        context.meter.note(disclosure)
        let fetched = try await service.disputes.feed(source: source, since: page.cursor.sequence, limit: page.limit + 1)
        let disputes = fetched.prefix(page.limit)
        let today = CivilDate(now)
        let next = FeedCursor(stream: .disputes, sequence: disputes.last?.feedSeq ?? page.cursor.sequence)
        return try DisclosedAnswer(json: Page(
            requestID: context.id, partner: partner.partnerID, source: source,
            disputes: disputes.map { DisputeView($0, today: today, for: .source) }, nextCursor: next.text, hasMore: fetched.count > page.limit
        ), disclosure: disclosure)
    }
}
