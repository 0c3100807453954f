import Billing
import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// The admin API's billing, each endpoint behind the roles `AdminEndpoint` names:
///
/// - `POST billing/months` `{"month": "2026-12"}`: closes a month for every partner (as `credit-broker
///   billing close` does): 201 with the statements written, 200 with the stored ones if it was closed
///   before; 409 before the month has ended (and its grace passed) or after a later month closed.
/// - `GET billing/months`; `GET billing/months/{month}/verification`: each statement's document
///   digest, chain link and the digest of its meter events recomputed from the ledger.
/// - `GET billing/statements?month=&partner=`; `GET billing/statements/{partner}/{month}?format=json|csv`.
/// - `POST billing/adjustments` `{"partner", "corrects": "2026-11", "amount": "-12.50", "reason"}`
///   (a system administrator proposes); `POST billing/adjustments/{id}/approve|reject` `{"reason"}`
///   (a security administrator other than the proposer decides); `GET billing/adjustments?status=&partner=`.
///   An approved adjustment is a line of the partner's next statement.
/// - `GET billing/usage-export?partner=&from=&to=&format=csv|ndjson` and `…/manifest`: a partner's
///   meter events, as the partner's own `GET /v1/usage/export` answers them.
/// - `GET quota-alerts?partner=&since=&limit=`: the partners' 80 % and 100 % quota alerts, in order.
///
/// Each change runs in the request's audit transaction.
struct AdminBillingRoutes {
    let services: AdminServer.Services

    private var billing: BillingStore { BillingStore(pool: services.pool) }

    private struct MonthList: Encodable {
        struct Month: Encodable {
            let month: CivilMonth
        }

        let months: [Month]
    }

    private struct ClosingView: Encodable {
        let month: CivilMonth
        let alreadyClosed: Bool
        let events: Int
        let statements: [BillingStore.Summary]

        enum CodingKeys: String, CodingKey { case month, alreadyClosed = "already_closed", events, statements }
    }

    private struct VerificationView: Encodable {
        struct Entry: Encodable {
            let partner: String
            let documentIntact: Bool
            let chainIntact: Bool
            let eventsMatch: Bool
            let events: Statement.Events

            enum CodingKeys: String, CodingKey {
                case partner, documentIntact = "document_intact", chainIntact = "chain_intact", eventsMatch = "events_match", events
            }
        }

        let month: CivilMonth
        let intact: Bool
        let statements: [Entry]
    }

    private struct StatementList: Encodable {
        let statements: [BillingStore.Summary]
    }

    private struct AdjustmentView: Encodable {
        let id: Int64
        let partner: String
        let corrects: CivilMonth
        let amount: Money
        let reason: String
        let status: String
        let proposedAt: String
        let proposedBy: String
        let decidedAt: String?
        let decidedBy: String?
        let decisionReason: String?
        /// The month whose statement carries it.
        let carriedBy: CivilMonth?

        init(_ adjustment: BillingAdjustment) {
            id = adjustment.id
            partner = adjustment.partnerID
            corrects = adjustment.corrects
            amount = adjustment.amount
            reason = adjustment.reason
            status = adjustment.status.rawValue
            proposedAt = adjustment.proposedAt.chinaRFC3339
            proposedBy = adjustment.proposedBy.subject
            decidedAt = adjustment.decidedAt?.chinaRFC3339
            decidedBy = adjustment.decidedBy?.subject
            decisionReason = adjustment.decisionReason
            carriedBy = adjustment.carriedBy
        }

        enum CodingKeys: String, CodingKey {
            case id, partner, corrects, amount, reason, status, proposedAt = "proposed_at", proposedBy = "proposed_by"
            case decidedAt = "decided_at", decidedBy = "decided_by", decisionReason = "decision_reason", carriedBy = "carried_by"
        }
    }

    private struct AdjustmentList: Encodable {
        let adjustments: [AdjustmentView]
    }

    private struct QuotaAlertList: Encodable {
        struct Alert: Encodable {
            let position: Int64
            let partner: String
            let period: String
            let periodStart: CivilDate
            let threshold: Int
            let limit: Int
            let used: Int
            let date: CivilDate

            enum CodingKeys: String, CodingKey {
                case position, partner, period, periodStart = "period_start", threshold, limit, used, date
            }
        }

        let alerts: [Alert]
        /// Pass as `since` for the alerts after these.
        let next: Int64
    }

    func register(on group: RouterGroup<AdminRequestContext>) {
        group.admin(.closeMonth) { request, context in
            let admin = try context.require(AdminEndpoint.closeMonth.roles)
            let body = try RequestBody(try await request.wholeBody(upTo: 16 * 1024).readableBytesView)
            guard let month = try body.string("month").flatMap({ CivilMonth($0) }) else { throw Problem.invalidMonth("month") }
            let closing = try await refusing {
                try await BillingStore.close(month, by: admin.changeActor, at: services.contracts.clock.now(), on: context.requireTransaction())
            }
            context.audit.note(partner: nil, closing.alreadyClosed
                ? "billing \(month) was closed before"
                : "closed billing \(month): \(closing.statements.count) statements, \(closing.events) events")
            return try JSONResponse.response(
                ClosingView(month: month, alreadyClosed: closing.alreadyClosed, events: closing.events, statements: closing.statements),
                status: closing.alreadyClosed ? .ok : .created
            )
        }
        group.admin(.listMonths) { _, context in
            let months = try await billing.closedMonths()
            context.audit.note(partner: nil, "listed \(months.count) closed months")
            return try JSONResponse.response(MonthList(months: months.map(MonthList.Month.init)))
        }
        group.admin(.verifyMonth) { _, context in
            let month = try Self.month(context)
            let checked = try await billing.verify(month)
            let entries = checked.map {
                VerificationView.Entry(
                    partner: $0.partner, documentIntact: $0.documentIntact, chainIntact: $0.chainIntact, eventsMatch: $0.eventsMatch,
                    events: $0.eventsNow
                )
            }
            let intact = checked.allSatisfy(\.intact)
            context.audit.note(partner: nil, "verified billing \(month): \(checked.count) statements, \(intact ? "intact" : "NOT intact")")
            return try JSONResponse.response(VerificationView(month: month, intact: intact, statements: entries))
        }
        group.admin(.listStatements) { request, context in
            let month = try request.uri.queryParameters.get("month").map { text throws(Problem) in
                guard let month = CivilMonth(text) else { throw .invalidMonth("month") }
                return month
            }
            let partner = request.uri.queryParameters.get("partner").map { String($0) }
            let list = try await billing.statements(partner: partner, month: month)
            context.audit.note(partner: partner, "listed \(list.count) statements")
            return try JSONResponse.response(StatementList(statements: list))
        }
        group.admin(.showStatement) { request, context in
            let partner = try context.parameters.require("partner")
            let month = try Self.month(context)
            let format = try BillingRoutes.statementFormat(request)
            guard let stored = try await billing.statement(partner: partner, month: month) else { throw Problem.statementNotFound() }
            context.audit.note(partner: partner, "read the \(month) statement as \(format)")
            return try BillingRoutes.statement(stored, format: format)
        }
        group.admin(.proposeAdjustment) { request, context in
            let admin = try context.require(AdminEndpoint.proposeAdjustment.roles)
            let body = try RequestBody(try await request.wholeBody(upTo: 16 * 1024).readableBytesView)
            let partner = try body.string(required: "partner")
            guard Contract.isValidPartnerID(partner) else {
                throw Problem.invalidRequest("partner", "partner must be a partner id: lowercase letters, digits, '.', '_' or '-'.")
            }
            guard let corrects = try body.string("corrects").flatMap({ CivilMonth($0) }) else { throw Problem.invalidMonth("corrects") }
            guard let amount = try body.string("amount").flatMap({ Money(yuan: $0, signed: true) }), amount != .zero,
                  amount.fen.magnitude <= 100_000_000_000
            else {
                throw Problem.invalidRequest(
                    "amount", "amount must be a non-zero amount in CNY as a string with at most two decimals, negative for a credit (\"-12.50\"), at most 1,000,000,000."
                )
            }
            let reason = try AdminChanges.reason(try body.string("reason") ?? "", required: true, why: "why the account is corrected")
            let adjustment = try await refusing {
                try await BillingStore.proposeAdjustment(
                    partner: partner, corrects: corrects, amount: amount, reason: reason, by: admin.changeActor, at: services.contracts.clock.now(),
                    on: context.requireTransaction()
                )
            }
            context.audit.note(partner: partner, "proposed adjustment \(adjustment.id) of \(corrects): \(amount) CNY")
            return try JSONResponse.response(AdjustmentView(adjustment), status: .created)
        }
        group.admin(.listAdjustments) { request, context in
            let status = try request.uri.queryParameters.get("status").map { text throws(Problem) in
                guard let status = BillingAdjustment.Status(rawValue: String(text)) else {
                    throw .invalidRequest("status", "status is one of proposed, approved, rejected.")
                }
                return status
            }
            let partner = request.uri.queryParameters.get("partner").map { String($0) }
            let limit = try request.integer("limit", in: 1...1_000) ?? 100
            let found = try await billing.adjustments(partner: partner, status: status, limit: limit)
            context.audit.note(partner: partner, "listed \(found.count) adjustments")
            return try JSONResponse.response(AdjustmentList(adjustments: found.map(AdjustmentView.init)))
        }
        for (endpoint, approve) in [(AdminEndpoint.approveAdjustment, true), (.rejectAdjustment, false)] {
            group.admin(endpoint) { request, context in
                let admin = try context.require(endpoint.roles)
                let text = try context.parameters.require("id")
                guard let id = Int64(text), id > 0 else { throw Problem.invalidRequest("id", "id must be an adjustment number.") }
                let reason = try AdminChanges.reason(
                    try await AdminRoutes.body(request)?.string("reason") ?? "", required: !approve, why: "why the adjustment is rejected"
                )
                let decided = try await refusing {
                    try await BillingStore.decideAdjustment(
                        id, approve: approve, reason: reason, by: admin.changeActor, at: services.contracts.clock.now(), on: context.requireTransaction()
                    )
                }
                context.audit.note(partner: decided.partnerID, "\(approve ? "approved" : "rejected") adjustment \(id)")
                return try JSONResponse.response(AdjustmentView(decided))
            }
        }
        group.admin(.exportUsage) { request, context in
            let partner = try await partner(request)
            let (from, to) = try ExportResponse.period(request)
            let (response, manifest) = try await ExportResponse.make(
                UsageExport(pool: services.pool), partner: partner, from: from, to: to, format: try ExportResponse.format(request)
            )
            context.audit.note(partner: partner, "exported usage \(from)…\(to): \(manifest.count) events as \(manifest.format.rawValue)")
            return response
        }
        group.admin(.exportManifest) { request, context in
            let partner = try await partner(request)
            let (from, to) = try ExportResponse.period(request)
            let manifest = try await ExportResponse.manifest(
                UsageExport(pool: services.pool), partner: partner, from: from, to: to, format: try ExportResponse.format(request)
            )
            context.audit.note(partner: partner, "usage export manifest \(from)…\(to)")
            return ExportResponse.response(manifest)
        }
        group.admin(.quotaAlerts) { request, context in
            let partner = request.uri.queryParameters.get("partner").map { String($0) }
            let since = Int64(try request.integer("since", in: 0...Int.max) ?? 0)
            let limit = try request.integer("limit", in: 1...1_000) ?? 100
            let alerts = try await QuotaAlertStore(pool: services.pool).alerts(partner: partner, since: since, limit: limit)
            context.audit.note(partner: partner, "listed \(alerts.count) quota alerts")
            return try JSONResponse.response(QuotaAlertList(
                alerts: alerts.map {
                    QuotaAlertList.Alert(
                        position: $0.changeSeq, partner: $0.partnerID, period: $0.period, periodStart: $0.periodStart, threshold: $0.threshold,
                        limit: $0.limit, used: $0.used, date: $0.recordedOn
                    )
                },
                next: alerts.last?.changeSeq ?? since
            ))
        }
    }

    /// Runs a billing step, answering its refusal as a problem naming the field and why.
    private func refusing<T>(_ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch let error as BillingError {
            throw Problem(error)
        }
    }

    /// The path's `{month}`, or 400.
    private static func month(_ context: AdminRequestContext) throws -> CivilMonth {
        guard let month = CivilMonth(try context.parameters.require("month")) else { throw Problem.invalidMonth("month") }
        return month
    }

    /// The query's `partner`, required.
    /// The `partner` of a usage export: one the contract ledger has ever named (a retired partner's
    /// past usage included), else 404 `unknown-partner`, as on every admin route (an unknown one
    /// was answered an empty export).
    private func partner(_ request: Request) async throws -> String {
        guard let partner = request.uri.queryParameters.get("partner"), !partner.isEmpty else {
            throw Problem.invalidRequest("partner", "partner is required: the partner id whose usage to export.")
        }
        guard try await ContractStore(pool: services.pool).versionCount(of: String(partner)) > 0 else { throw Problem.unknownPartner() }
        return String(partner)
    }
}
