import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import Metering

/// Batch reviews (信用审查) of up to 10,000 subjects, processed in the background.
///
/// - `POST /v1/batch-reviews`: decides the items once for the whole batch, reserves one quota unit
///   per distinct subject (429 with `Retry-After` if not enough remain; a subject listed twice is
///   reviewed and billed once), stores the batch and answers 202 with its id, `Location` and the
///   repeats.
/// - `GET /v1/batch-reviews/{id}?offset=&limit=`: status, progress, indicator totals and a page of
///   results in list order, with a receipt. Another partner's id is 404.
struct BatchReviewRoutes {
    let service: BatchReviewService
    /// Told of the units a batch reserves, for the partner's 80 % and 100 % quota alerts.
    let alerts: QuotaAlerts

    /// Results per page unless `limit` says otherwise, and the most one page holds.
    static let defaultLimit = 100
    static let maximumLimit = 1_000

    private struct Accepted: Encodable {
        let id: String
        let status: BatchReview.Status
        let total: Int
        let contractVersion: String
        let purpose: String
        let disclosed: [String]
        let withheld: [QueryAnswer.WithheldItem]
        /// Subjects listed more than once: reviewed and billed once, under their first index.
        let repeats: [BatchReviewRequest.Repeat]

        enum CodingKeys: String, CodingKey {
            case id, status, total, contractVersion = "contract_version", purpose, disclosed, withheld, repeats
        }
    }

    private struct Report: Encodable {
        struct Progress: Encodable {
            let done: Int
            let total: Int
        }

        struct Total: Encodable {
            let subjects: Int
            /// Of the subjects processed so far.
            let share: Double
        }

        let id: String
        let status: BatchReview.Status
        let failure: String?
        /// ISO 8601.
        let createdAt: String
        let finishedAt: String?
        let contractVersion: String
        let purpose: String
        let progress: Progress
        /// Per `BatchIndicator` whose items the batch discloses.
        let totals: [String: Total]
        let withheld: [QueryAnswer.WithheldItem]
        let results: [BatchSubjectResult]
        let offset: Int
        /// The offset of the next page, while there are more processed results.
        let nextOffset: Int?

        enum CodingKeys: String, CodingKey {
            case id, status, failure, createdAt = "created_at", finishedAt = "finished_at", contractVersion = "contract_version"
            case purpose, progress, totals, withheld, results, offset, nextOffset = "next_offset"
        }
    }

    func register(on routes: DisclosingRoutes) {
        routes.group.post("batch-reviews") { request, context -> Response in
            try await submit(request, context: context)
        }
        routes.get("batch-reviews/{id}") { request, context in
            try await report(request, context: context)
        }
    }

    private func submit(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let partner = try context.requirePartner()
        let queries = service.queries
        let json = try await request.wholeBody(upTo: 1 << 20)
        let engine = try context.requireSnapshot().engine
        let now = context.instant
        let batch = try BatchReviewRequest(json: json.readableBytesView, engine: engine, catalog: queries.catalog, today: CivilDate(now))
        // No consent: the decision is the same for every subject, so it is made once.
        let decision = engine.decide(DecisionRequest(
            partner: partner.handle, subject: "", items: batch.selection.items, purpose: batch.selection.purpose, at: now
        ))
        let (disclosed, withheld) = queries.partition(decision, of: batch.selection.itemIDs)
        let reservation = switch try await service.quotas.reserve(
            partner: partner.partnerID, units: batch.subjects.count, limits: QuotaLimits(partner.contract.quotas), at: now
        ) {
        case .reserved(let reservation): reservation
        case .exhausted(let exhaustion): throw Problem.quotaExhausted(exhaustion, now: now, batchOf: batch.subjects.count)
        }
        context.meter.whenDelivered { [alerts, partnerID = partner.partnerID, limits = QuotaLimits(partner.contract.quotas)] in
            await alerts.check(partner: partnerID, limits: limits, usage: reservation.usageAfter, at: now)
        }
        context.meter.note(Disclosure(
            purpose: batch.selection.purposeID, disclosed: disclosed, withheld: withheld.map(\.meterEntry), contractVersion: decision.contractVersion
        ))
        let stored = BatchDecision(
            purpose: batch.selection.purposeID, disclosed: disclosed, withheld: withheld,
            contractVersion: decision.contractVersion, maskingProfile: partner.contract.maskingProfile
        )
        let id = "br_" + (0..<16).map { _ in UInt8.random(in: .min ... .max) }.lowercaseHex
        let subjects = batch.subjects.map { position, subject in
            BatchReviewSubject(
                position: position, subjectKey: queries.subjectKey(subject), kind: subject.kind,
                label: service.queries.label(of: subject, profile: partner.contract.maskingProfile)
            )
        }
        do {
            try await service.store.create(
                partnerID: partner.partnerID, id: id, decision: String(decoding: try JSONResponse.encode(stored), as: UTF8.self),
                subjects: subjects, quotaDay: reservation.day, quotaMonth: reservation.month
            )
        } catch {
            try await service.quotas.release(reservation)
            throw error
        }
        service.worker.wake()
        return try JSONResponse.response(
            Accepted(
                id: id, status: .queued, total: subjects.count, contractVersion: decision.contractVersion.description,
                purpose: batch.selection.purposeID, disclosed: disclosed, withheld: withheld, repeats: batch.repeats
            ),
            status: .accepted, headers: [.location: "/v1/batch-reviews/\(id)"]
        )
    }

    private func report(_ request: Request, context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let partner = try context.requirePartner()
        let id = try context.parameters.require("id")
        let offset = try Self.parameter(request, "offset", default: 0, range: 0...BatchReviewRequest.maximumSubjects)
        let limit = try Self.parameter(request, "limit", default: Self.defaultLimit, range: 1...Self.maximumLimit)
        guard let review = try await service.store.review(partner: partner.partnerID, id: id) else {
            throw Problem(
                "batch-review-not-found", title: "Batch review not found", status: .notFound,
                detail: "The partner has no batch review with this id.", field: "id"
            )
        }
        let decision = try JSONDecoder().decode(BatchDecision.self, from: Data(review.decision.utf8))
        let counts = try await service.store.indicatorCounts(partner: partner.partnerID, id: id)
        let results = try await service.store.results(partner: partner.partnerID, id: id, offset: offset, limit: limit).map {
            try JSONDecoder().decode(BatchSubjectResult.self, from: Data($0.utf8))
        }
        let measured = BatchIndicator.allCases.filter { $0.items.contains(where: decision.disclosed.contains) }
        let totals = Dictionary(uniqueKeysWithValues: measured.map { indicator in
            let subjects = counts[indicator.rawValue] ?? 0
            return (indicator.rawValue, Report.Total(subjects: subjects, share: review.done == 0 ? 0 : Double(subjects) / Double(review.done)))
        })
        return try DisclosedAnswer(json: Report(
            id: review.id, status: review.status, failure: review.failure, createdAt: review.createdAt.formatted(.iso8601), finishedAt: review.finishedAt?.formatted(.iso8601),
            contractVersion: decision.contractVersion.description, purpose: decision.purpose,
            progress: .init(done: review.done, total: review.total), totals: totals, withheld: decision.withheld,
            results: results, offset: offset, nextOffset: offset + results.count < review.done ? offset + results.count : nil
        ), disclosure: Disclosure(
            purpose: decision.purpose, disclosed: results.isEmpty ? [] : decision.disclosed, contractVersion: decision.contractVersion
        ), kind: .meteredWhenProduced)
    }

    /// An integer query parameter within `range`, or 400 naming it.
    private static func parameter(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws(Problem) -> Int {
        try request.integer(name, in: range) ?? value
    }

}
