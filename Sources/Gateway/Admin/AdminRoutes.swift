import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import Metering

/// The admin API under `/admin/v1`, each endpoint allowed to exactly the roles `AdminEndpoint`
/// names (refused with 403 `role-not-allowed` otherwise, before anything else):
///
/// - Partners: `GET partners` (the contracts in force, statuses and live credentials), agencies'
///   API keys (`POST`/`GET partners/{partner}/keys`, `DELETE keys/{keyID}`).
/// - Contracts: `POST proposals` (a contract document, YAML or JSON), `GET proposals[/{id}]` (with
///   the change against the version in force), `GET proposals/{id}/what-if`, `POST
///   proposals/{id}/approve|reject`; `POST partners/{partner}/suspend|reinstate` (at once),
///   `POST partners/{partner}/retirement` (a proposal); `GET partners/{partner}/history`.
/// - `GET usage`, `GET audit`.
///
/// Every step runs in the request's audit transaction, so it commits only with its audit row. A
/// change of the contracts in force is served by this process at once and, before the answer
/// leaves, by every live gateway process (up to 2 s); `Contract-Served-By: N/M` says how many did.
struct AdminRoutes {
    let services: AdminServer.Services
    let reads: AdminReads
    let changes: AdminChanges

    init(services: AdminServer.Services) {
        self.services = services
        reads = AdminReads(services: services)
        changes = AdminChanges(services: services)
    }

    private var contracts: LiveContracts { services.contracts }

    func register(on group: RouterGroup<AdminRequestContext>) {
        route(.listPartners, on: group) { _, context in
            let list = try await reads.partners()
            context.audit.note(partner: nil, "listed \(list.partners.count) partners")
            return try JSONResponse.response(list)
        }
        route(.issueKey, on: group) { request, context in
            let partner = try changes.agency(context)
            let expiry = try AdminChanges.expiry(try await Self.body(request)?.string("expires"))
            let (record, token) = try await changes.issueKey(for: partner, lastDay: expiry, context)
            return try JSONResponse.response(KeyView(record, token: token), status: .created)
        }
        route(.listKeys, on: group) { _, context in
            let partner = try changes.contract(context).partnerID
            let list = try await reads.keys.keys(of: partner)
            context.audit.note(partner: partner, "listed \(list.count) keys")
            return try JSONResponse.response(KeyList(partner: partner, keys: list.map { KeyView($0) }))
        }
        route(.revokeKey, on: group) { _, context in
            let record = try await changes.revokeKey(try AdminChanges.keyID(context), context)
            return try JSONResponse.response(KeyView(record))
        }
        registerLifecycle(on: group)
        route(.usage, on: group) { request, context in
            guard let partner = request.uri.queryParameters.get("partner"), !partner.isEmpty else {
                throw Problem.invalidRequest("partner", "partner is required: the partner id whose usage to report.")
            }
            let report = try await reads.usageReport(partner: String(partner), from: try request.date("from"), to: try request.date("to"))
            context.audit.note(partner: String(partner), "usage \(report.from)…\(report.to)")
            return try JSONResponse.response(report)
        }
        route(.audit, on: group) { request, context in
            let since = try request.integer("since", in: 0...Int.max) ?? 0
            let before = try request.integer("before", in: 1...Int.max)
            let limit = try request.integer("limit", in: 1...AdminAuditLog.maximumPage) ?? 100
            let filter = AdminAuditLog.Filter(
                actor: request.uri.queryParameters.get("actor").map { String($0) }, action: request.uri.queryParameters.get("action").map { String($0) },
                partner: request.uri.queryParameters.get("partner").map { String($0) },
                from: try request.date("from")?.start(), until: try request.date("to")?.adding(days: 1).start()
            )
            let verify = try request.flag("verify")
            let page = try await reads.auditPage(filter, since: since, before: before, limit: limit, verify: verify)
            context.audit.note(partner: nil, "read \(page.records.count) rows \(before.map { "before seq \($0)" } ?? "after seq \(since)")"
                + (filter.isEmpty ? "" : " (filtered)") + (page.chain.map { $0.intact ? "; chain intact" : "; chain broken" } ?? ""))
            return try JSONResponse.response(page)
        }
    }

    /// Registers `handler` for `endpoint`, behind its roles.
    private func route(
        _ endpoint: AdminEndpoint, on group: RouterGroup<AdminRequestContext>,
        _ handler: @escaping @Sendable (Request, AdminRequestContext) async throws -> Response
    ) {
        group.admin(endpoint, handler)
    }

    // MARK: Contracts

    private func registerLifecycle(on group: RouterGroup<AdminRequestContext>) {
        route(.propose, on: group) { request, context in
            let admin = try context.require(AdminEndpoint.propose.roles)
            let bytes = try await request.wholeBody(upTo: 256 * 1024)
            guard bytes.readableBytes > 0 else {
                throw Problem.invalidRequest("body", "The body is the contract document (the schema of Contracts/*.yaml), as YAML or JSON.")
            }
            guard let document = String(validating: bytes.readableBytesView, as: UTF8.self) else {
                throw Problem.invalidRequest("body", "The document is not UTF-8 text.")
            }
            let proposal = try await changes.propose(
                document: document, effectiveFrom: try request.instant("effective_from"), reason: try request.reason(), by: admin, context
            )
            return try JSONResponse.response(ProposalView(proposal, governing: contracts.snapshot().contracts[proposal.partnerID], full: true), status: .created)
        }
        route(.listProposals, on: group) { request, context in
            let status = try request.uri.queryParameters.get("status").map { text throws(Problem) in
                guard let status = ContractProposal.Status(rawValue: String(text)) else {
                    throw .invalidRequest("status", "status is one of \(ContractProposal.Status.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                return status
            }
            let partner = request.uri.queryParameters.get("partner").map { String($0) }
            let limit = try request.integer("limit", in: 1...500) ?? 100
            let found = try await ContractLifecycle.proposals(status: status, partner: partner, limit: limit, on: context.requireTransaction())
            let governing = contracts.snapshot().contracts
            context.audit.note(partner: partner, "listed \(found.count) proposals")
            return try JSONResponse.response(ProposalList(proposals: found.map { ProposalView($0, governing: governing[$0.partnerID], full: false) }))
        }
        route(.showProposal, on: group) { _, context in
            let proposal = try await AdminChanges.proposal(context)
            context.audit.note(partner: proposal.partnerID, "read proposal \(proposal.id)")
            return try JSONResponse.response(ProposalView(proposal, governing: contracts.snapshot().contracts[proposal.partnerID], full: true))
        }
        route(.whatIf, on: group) { request, context in
            let proposal = try await AdminChanges.proposal(context)
            guard let contract = proposal.contract else {
                throw Problem(
                    "what-if-retirement", title: "Nothing to replay", status: .unprocessableContent,
                    detail: "A retirement refuses every credential of the partner: every request would be refused."
                )
            }
            let days = try request.integer("days", in: 1...UsageQuery.maximumDays) ?? 30
            let whatIf = try await reads.whatIf(proposal, contract: contract, days: days)
            context.audit.note(partner: proposal.partnerID, "what-if \(proposal.id) over \(days) days: \(whatIf.decisions) decisions")
            return try JSONResponse.response(whatIf)
        }
        route(.approve, on: group) { request, context in
            let admin = try context.require(AdminEndpoint.approve.roles)
            let id = try AdminChanges.proposalID(context)
            let approval = try await changes.approve(id, reason: try await Self.reason(request, required: false), by: admin, context)
            return try JSONResponse.response(ApprovalView(approval, governing: nil))
        }
        route(.reject, on: group) { request, context in
            let admin = try context.require(AdminEndpoint.reject.roles)
            let id = try AdminChanges.proposalID(context)
            let rejected = try await changes.reject(id, reason: try await Self.reason(request, required: true), by: admin, context)
            return try JSONResponse.response(ProposalView(rejected, governing: nil, full: false))
        }
        for (endpoint, status) in [(AdminEndpoint.suspend, PartnerStatus.suspended), (.reinstate, .active)] {
            route(endpoint, on: group) { request, context in
                let admin = try context.require(endpoint.roles)
                let partner = try context.parameters.require("partner")
                let reason = try await Self.reason(request, required: true)
                try await changes.setStatus(of: partner, to: status, reason: reason, by: admin, context)
                return try JSONResponse.response(StatusView(partner: partner, status: status.rawValue, reason: reason))
            }
        }
        route(.retire, on: group) { request, context in
            let admin = try context.require(AdminEndpoint.retire.roles)
            let partner = try context.parameters.require("partner")
            let body = try await Self.body(request)
            guard let reason = try body?.string("reason"), !reason.isEmpty else {
                throw Problem.invalidRequest("reason", "reason is required: why the partnership ends.")
            }
            let effective = try body?.string("effective_from").map { text throws(Problem) in
                guard let instant = Instant.parse(text) else {
                    throw .invalidRequest("effective_from", "effective_from must be an RFC 3339 instant or a day (YYYY-MM-DD, China time).")
                }
                return instant
            }
            let proposal = try await AdminChanges.lifecycle {
                try await ContractLifecycle.proposeRetirement(
                    of: partner, effectiveFrom: effective, reason: reason, by: admin.changeActor, at: contracts.clock.now(), on: context.requireTransaction()
                )
            }
            context.audit.note(partner: partner, "proposed \(proposal.id): retire")
            return try JSONResponse.response(ProposalView(proposal, governing: contracts.snapshot().contracts[partner], full: true), status: .created)
        }
        route(.history, on: group) { request, context in
            let partner = try context.parameters.require("partner")
            let history = try await reads.history(of: partner, inForceAt: try request.instant("at"))
            context.audit.note(partner: partner, "history: \(history.versions.count) versions")
            return try JSONResponse.response(history)
        }
    }

    /// The optional JSON body.
    static func body(_ request: Request) async throws -> RequestBody? {
        let bytes = try await request.wholeBody(upTo: 16 * 1024)
        guard bytes.readableBytes > 0 else { return nil }
        return try RequestBody(bytes.readableBytesView)
    }

    /// The body's `reason` (`AdminChanges.reason`).
    private static func reason(_ request: Request, required: Bool) async throws -> String {
        try AdminChanges.reason(try await body(request)?.string("reason") ?? "", required: required)
    }
}

extension AdminActor {
    /// The admin as the contract lifecycle records it.
    var changeActor: ChangeActor { ChangeActor(fingerprint: fingerprint, subject: subject) }
}

extension Request {
    /// The query parameter `name` as an instant (RFC 3339, or a day meaning its start in China time), or 400.
    func instant(_ name: String) throws(Problem) -> Date? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let instant = Instant.parse(text) else {
            throw .invalidRequest(name, "\(name) must be an RFC 3339 instant (2027-01-01T00:00:00+08:00) or a day (YYYY-MM-DD, China time).")
        }
        return instant
    }

    /// The query parameter `reason` (up to 500 characters), or "".
    func reason() throws(Problem) -> String {
        try AdminChanges.reason(uri.queryParameters.get("reason").map { String($0) } ?? "", required: false)
    }
}
