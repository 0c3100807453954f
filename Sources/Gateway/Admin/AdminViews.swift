import BrokerCore
import BrokerStore
import Foundation
import Metering

// The JSON the admin API answers with (snake_case, instants as RFC 3339 in UTC). The views of
// partners, proposals, approvals, status changes, what-ifs and histories are public and Codable:
// `credit-broker admin` decodes the same types it prints (`AdminAnswers.swift` in the CLI).

struct KeyView: Encodable {
    let keyID: String
    let partner: String
    let created: String
    let expires: String?
    let revoked: String?
    /// Only in the answer that issues the key.
    let token: String?

    enum CodingKeys: String, CodingKey { case keyID = "key_id", partner, created, expires, revoked, token }

    init(_ record: ApiKeyStore.Record, token: String? = nil) {
        keyID = record.keyID
        partner = record.partnerID
        created = record.createdAt.formatted(.iso8601)
        expires = record.expiresAt?.formatted(.iso8601)
        revoked = record.revokedAt?.formatted(.iso8601)
        self.token = token
    }
}

struct KeyList: Encodable {
    let partner: String
    let keys: [KeyView]
}

public struct PartnerList: Codable, Sendable {
    public let partners: [AdminPartnerView]
}

struct UsageReport: Encodable {
    struct Latency: Encodable {
        let day: CivilDate
        let p50: Double
        let p99: Double

        enum CodingKeys: String, CodingKey { case day, p50 = "p50_ms", p99 = "p99_ms" }
    }

    struct Withheld: Encodable {
        let day: CivilDate
        let item: String
        let reason: String
        let count: Int
    }

    struct Quota: Encodable {
        let used: Int
        /// `nil` when the contract sets no limit.
        let limit: Int?
    }

    let partner: String
    let from: CivilDate
    let to: CivilDate
    let days: [UsageDay]
    /// Per day with calls: the answer time's median and 99th percentile, in milliseconds.
    let latency: [Latency]
    /// Per day, item and reason: how often the item was withheld.
    let withheld: [Withheld]
    let quotaToday: Quota
    let quotaThisMonth: Quota

    enum CodingKeys: String, CodingKey {
        case partner, from, to, days, latency, withheld, quotaToday = "quota_today", quotaThisMonth = "quota_this_month"
    }

    init(partner: String, from: CivilDate, to: CivilDate, days: [UsageDay], breakdown: UsageBreakdown, used: QuotaUsage, quotas: Contract.Quotas) {
        self.partner = partner
        self.from = from
        self.to = to
        self.days = days
        latency = breakdown.latency.map { Latency(day: $0.day, p50: $0.p50, p99: $0.p99) }
        withheld = breakdown.withheld.map { Withheld(day: $0.day, item: $0.item, reason: $0.reason, count: $0.count) }
        quotaToday = Quota(used: used.today, limit: quotas.perDay)
        quotaThisMonth = Quota(used: used.thisMonth, limit: quotas.perMonth)
    }
}

struct AuditPage: Encodable {
    struct Row: Encodable {
        struct Actor: Encodable {
            let fingerprint: String
            let subject: String
        }

        let seq: Int
        let time: String
        let actor: Actor
        let role: String?
        let method: String
        let path: String
        let partner: String?
        let status: Int
        let detail: String
        /// `cli` for a change made with the command line on the broker's host.
        let via: String?
        let hash: String
    }

    /// Whether every row of the chain links to the one before (`verify=true`).
    struct Chain: Encodable {
        struct Break: Encodable {
            let seq: Int
            let reason: String
        }

        let intact: Bool
        let rows: Int
        let breaks: [Break]
    }

    let records: [Row]
    /// Pass as `since` (or `before`, for the newest-first pages) for the next page.
    let next: Int
    let chain: Chain?

    init(_ records: [AdminAuditRecord], since: Int, chain: Chain? = nil) {
        self.chain = chain
        self.records = records.map { record in
            Row(
                seq: record.seq, time: record.time.formatted(.iso8601),
                actor: .init(fingerprint: record.entry.actorFingerprint, subject: record.entry.actorSubject),
                role: record.entry.role, method: record.entry.method, path: record.entry.path,
                partner: record.entry.targetPartner, status: record.entry.status, detail: record.entry.detail,
                via: record.entry.via, hash: record.hash
            )
        }
        next = records.last?.seq ?? since
    }
}

/// A contract proposal, and what changes against the version in force if it is approved.
public struct ProposalView: Codable, Sendable {
    public struct Actor: Codable, Sendable {
        public let subject: String
        public let via: String?
    }

    public struct Change: Codable, Sendable {
        public let effect: String
        public let what: String
        public let old: String?
        public let new: String?
    }

    public let id: Int64
    public let partner: String
    public let kind: String
    public let status: String
    public let contractVersion: String?
    public let term: AdminPartnerView.Term?
    public let effectiveFrom: String?
    public let reason: String
    public let proposedAt: String
    public let proposer: Actor
    public let decidedAt: String?
    public let decider: Actor?
    public let decisionReason: String?
    public let versionID: Int64?
    /// Against the partner's contract in force now (all gains for an onboarding); `nil` when decided.
    public let changes: [Change]?
    /// The document as proposed (in `GET proposals/{id}` and the answer to `POST proposals`).
    public let document: String?

    enum CodingKeys: String, CodingKey {
        case id, partner, kind, status, contractVersion = "contract_version", term, effectiveFrom = "effective_from", reason
        case proposedAt = "proposed_at", proposer, decidedAt = "decided_at", decider, decisionReason = "decision_reason"
        case versionID = "version_id", changes, document
    }

    init(_ proposal: ContractProposal, governing: Contract?, full: Bool) {
        id = proposal.id
        partner = proposal.partnerID
        kind = proposal.kind.rawValue
        status = proposal.status.rawValue
        contractVersion = proposal.contract?.version.description
        term = proposal.contract.map { .init(from: $0.term.from, to: $0.term.to) }
        effectiveFrom = proposal.effectiveFrom?.formatted(.iso8601)
        reason = proposal.reason
        proposedAt = proposal.proposedAt.formatted(.iso8601)
        proposer = Actor(subject: proposal.proposer.subject, via: proposal.proposer.via)
        decidedAt = proposal.decidedAt?.formatted(.iso8601)
        decider = proposal.decider.map { Actor(subject: $0.subject, via: $0.via) }
        decisionReason = proposal.decisionReason
        versionID = proposal.versionID
        if proposal.status == .proposed {
            let old = governing.map { [$0] } ?? []
            let new = proposal.contract.map { [$0] } ?? []
            changes = ContractChange.between(old: old, new: new).map {
                Change(effect: $0.effect.rawValue, what: $0.subject, old: $0.old, new: $0.new)
            }
        } else {
            changes = nil
        }
        document = full ? proposal.document : nil
    }
}

public struct ProposalList: Codable, Sendable {
    public let proposals: [ProposalView]
}

public struct ApprovalView: Codable, Sendable {
    public let proposal: ProposalView
    public let versionID: Int64?
    public let effectiveFrom: String
    public let madeStale: [Int64]

    enum CodingKeys: String, CodingKey { case proposal, versionID = "version_id", effectiveFrom = "effective_from", madeStale = "made_stale" }

    init(_ approval: ContractLifecycle.Approval, governing: Contract?) {
        proposal = ProposalView(approval.proposal, governing: governing, full: false)
        versionID = approval.versionID
        effectiveFrom = approval.effectiveFrom.formatted(.iso8601)
        madeStale = approval.madeStale
    }
}

public struct StatusView: Codable, Sendable {
    public let partner: String
    public let status: String
    public let reason: String
}

/// What a proposal would have changed in the partner's recent decisions.
public struct WhatIfView: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public let item: String
        public let decisions: Int
        public let disclosedToWithheld: Int
        public let withheldToDisclosed: Int
        /// Reason → count, of the disclosed → withheld flips.
        public let newReasons: [String: Int]
        public let examples: Examples

        public struct Examples: Codable, Sendable {
            public let disclosedToWithheld: [String]
            public let withheldToDisclosed: [String]

            enum CodingKeys: String, CodingKey { case disclosedToWithheld = "disclosed_to_withheld", withheldToDisclosed = "withheld_to_disclosed" }
        }

        enum CodingKeys: String, CodingKey {
            case item, decisions, disclosedToWithheld = "disclosed_to_withheld", withheldToDisclosed = "withheld_to_disclosed"
            case newReasons = "new_reasons", examples
        }
    }

    /// The receipts' suite in force and under the proposal.
    public struct Receipts: Codable, Sendable {
        public let inForce: String?
        public let proposed: String

        enum CodingKeys: String, CodingKey { case inForce = "in_force", proposed }
    }

    public let proposal: Int64
    public let partner: String
    public let days: Int
    public let decisions: Int
    public let items: [Item]
    public let receipts: Receipts
    /// How the replay reads the ledger.
    public let assumptions: String

    static let replayAssumptions = "Each recorded answer is decided again for the same items and purpose under the proposal, as if it governed then (inside its term, no quota); a request that named a consent is taken to have had one covering every item it asked for that purpose."

    init(proposal: Int64, partner: String, days: Int, report: DecisionReplay.Report, governing: Contract?, proposed: Contract) {
        self.proposal = proposal
        self.partner = partner
        self.days = days
        assumptions = Self.replayAssumptions
        receipts = Receipts(inForce: governing?.receiptSuite.rawValue, proposed: proposed.receiptSuite.rawValue)
        decisions = report.decisions
        items = report.items.map { flips in
            Item(
                item: flips.item, decisions: flips.decisions, disclosedToWithheld: flips.disclosedToWithheld,
                withheldToDisclosed: flips.withheldToDisclosed,
                newReasons: Dictionary(uniqueKeysWithValues: flips.newReasons.map { ($0.key.rawValue, $0.value) }),
                examples: .init(disclosedToWithheld: flips.disclosedToWithheldExamples, withheldToDisclosed: flips.withheldToDisclosedExamples)
            )
        }
    }
}

/// Every version of a partner's contract with who proposed and approved it, and its status changes.
public struct HistoryView: Codable, Sendable {
    public struct Version: Codable, Sendable {
        public let id: Int64
        public let contractVersion: String
        public let term: AdminPartnerView.Term
        public let effectiveFrom: String
        public let activatedAt: String
        public let source: String
        public let proposal: Int64?
        public let proposer: String?
        public let proposerVia: String?
        public let approver: String?
        public let approvedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, contractVersion = "contract_version", term, effectiveFrom = "effective_from", activatedAt = "activated_at", source
            case proposal, proposer, proposerVia = "proposer_via", approver, approvedAt = "approved_at"
        }
    }

    public struct Status: Codable, Sendable {
        public let status: String
        public let at: String
        public let reason: String
        public let by: String
    }

    public let partner: String
    public let versions: [Version]
    public let statuses: [Status]
    /// The version that governed at the `at` asked for.
    public let inForceAt: Int64?

    enum CodingKeys: String, CodingKey { case partner, versions, statuses, inForceAt = "in_force_at" }

    init(partner: String, versions: [ContractVersionRecord], statuses: [PartnerStatusRecord], inForceAt: Int64?) {
        self.partner = partner
        self.versions = versions.map {
            Version(
                id: $0.id, contractVersion: $0.contract.version.description, term: .init(from: $0.contract.term.from, to: $0.contract.term.to),
                effectiveFrom: $0.effectiveFrom.formatted(.iso8601), activatedAt: $0.appliedAt.formatted(.iso8601), source: $0.sourceFile,
                proposal: $0.proposalID, proposer: $0.proposer, proposerVia: $0.proposerVia, approver: $0.approver,
                approvedAt: $0.approvedAt?.formatted(.iso8601)
            )
        }
        self.statuses = statuses.map { Status(status: $0.status.rawValue, at: $0.at.formatted(.iso8601), reason: $0.reason, by: $0.actor) }
        self.inForceAt = inForceAt
    }
}
