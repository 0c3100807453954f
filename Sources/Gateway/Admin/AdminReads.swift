import BrokerCore
import BrokerStore
import Foundation
import Metering

/// What the admin API's reading endpoints answer, computed in one place for the API routes
/// (`AdminRoutes`) and the console's pages (`ConsoleRoutes`), so that the two never disagree.
struct AdminReads: Sendable {
    let services: AdminServer.Services
    let keys: ApiKeyStore
    let usage: UsageQuery
    let quotas: QuotaLedger
    let audit: AdminAuditLog

    init(services: AdminServer.Services) {
        self.services = services
        keys = ApiKeyStore(pool: services.pool)
        usage = UsageQuery(pool: services.pool)
        quotas = QuotaLedger(pool: services.pool)
        audit = AdminAuditLog(pool: services.pool)
    }

    private var contracts: LiveContracts { services.contracts }

    /// `GET partners`: every partner in force, by id, with its live keys and today's and this month's quota use.
    func partners() async throws -> PartnerList {
        let snapshot = contracts.snapshot()
        let live = try await keys.liveKeyIDs()
        let used = try await quotas.spentUsageOfAll(at: contracts.clock.now())
        let partners = snapshot.contracts.values.sorted { $0.partnerID < $1.partnerID }
        return PartnerList(partners: partners.map {
            AdminPartnerView(
                $0, status: snapshot.status(of: $0.partnerID), liveKeyIDs: live[$0.partnerID] ?? [],
                quotaUse: used[$0.partnerID] ?? QuotaUsage(today: 0, thisMonth: 0)
            )
        })
    }

    /// `GET usage`: the partner's usage per day and item from `from` to `to` (default today, China
    /// time), its answer times and withholding reasons, and its quota use against its quotas now.
    func usageReport(partner: String, from: CivilDate?, to: CivilDate?) async throws -> UsageReport {
        guard let contract = contracts.snapshot().contracts[partner] else { throw Problem.unknownPartner() }
        let now = contracts.clock.now()
        let today = CivilDate(now)
        let from = from ?? today
        let to = to ?? today
        do {
            let days = try await usage.usage(partner: partner, from: from, to: to)
            let breakdown = try await usage.breakdown(partner: partner, from: from, to: to)
            let used = try await quotas.spentUsage(partner: partner, at: now)
            return UsageReport(partner: partner, from: from, to: to, days: days, breakdown: breakdown, used: used, quotas: contract.quotas)
        } catch let error as MeteringInputError {
            throw Problem.invalidRequest(error.field, "\(error.field) \(error.reason).")
        }
    }

    /// `GET proposals/{id}/what-if`: the partner's metered answers of the last `days` decided again
    /// under the proposal's `contract`.
    func whatIf(_ proposal: ContractProposal, contract: Contract, days: Int) async throws -> WhatIfView {
        let now = contracts.clock.now()
        let recorded = try await usage.decisions(partner: proposal.partnerID, since: now.addingTimeInterval(-Double(days) * 86_400), until: now)
        let report = DecisionReplay.replay(recorded, against: contract, catalog: contracts.policies.catalog, purposes: contracts.policies.purposes)
        return WhatIfView(
            proposal: proposal.id, partner: proposal.partnerID, days: days, report: report,
            governing: contracts.snapshot().contracts[proposal.partnerID], proposed: contract
        )
    }

    /// `GET partners/{partner}/history`: every version of the partner's contract and its status changes.
    func history(of partner: String, inForceAt at: Date?) async throws -> HistoryView {
        let store = ContractStore(pool: services.pool)
        let versions = try await store.history(of: partner)
        guard !versions.isEmpty else { throw Problem.unknownPartner() }
        let statuses = try await store.statusHistory(of: partner)
        var inForce: Int64?
        if let at {
            inForce = ContractLedger(versions: versions.map { .init(id: $0.id, contract: $0.contract, effectiveFrom: $0.effectiveFrom) })
                .governing(at: at).first?.id
        }
        return HistoryView(partner: partner, versions: versions, statuses: statuses, inForceAt: inForce)
    }

    /// `GET audit`: rows matching `filter` after `since` (or the newest before `before`), and, if
    /// asked, whether the whole chain verifies.
    func auditPage(_ filter: AdminAuditLog.Filter, since: Int, before: Int?, limit: Int, verify: Bool) async throws -> AuditPage {
        let records = try await audit.records(matching: filter, since: since, before: before, limit: limit)
        var chain: AuditPage.Chain?
        if verify {
            do {
                chain = .init(intact: true, rows: try await audit.verify(), breaks: [])
            } catch let broken as AdminAuditLog.Broken {
                chain = .init(intact: false, rows: broken.rows, breaks: broken.breaks.map { .init(seq: $0.seq, reason: $0.reason) })
            }
        }
        return AuditPage(records, since: since, chain: chain)
    }
}
