import BrokerCore
import BrokerStore
import Foundation
import Hummingbird

/// What the admin API's changing endpoints do, in one place for the API routes (`AdminRoutes`) and
/// the console's forms (`ConsoleRoutes`), so that the two check alike, record the same audit note
/// and serve a change of the contracts in force alike: they differ only in where they read the
/// arguments (a JSON body or a form) and in what they answer (JSON or a page).
///
/// Every step runs in the request's audit transaction, so it commits only with its audit row.
struct AdminChanges: Sendable {
    let services: AdminServer.Services

    private var contracts: LiveContracts { services.contracts }

    // MARK: Arguments

    /// The path's `{id}`, a proposal number.
    static func proposalID(_ context: AdminRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw Problem.invalidRequest("id", "id must be a proposal number.") }
        return id
    }

    /// The path's `{id}`'s proposal, or 404.
    static func proposal(_ context: AdminRequestContext) async throws -> ContractProposal {
        guard let found = try await ContractLifecycle.proposal(proposalID(context), on: context.requireTransaction()) else {
            throw Problem("unknown-proposal", title: "Unknown proposal", status: .notFound, detail: "No proposal has this id.", field: "id")
        }
        return found
    }

    /// The path's `{partner}`'s contract in force, or 404.
    func contract(_ context: AdminRequestContext) throws -> Contract {
        let partner = try context.parameters.require("partner")
        guard let contract = contracts.snapshot().contracts[partner] else { throw Problem.unknownPartner() }
        return contract
    }

    /// The path's `{partner}`, which must be a credit agency (the partners that use API keys).
    func agency(_ context: AdminRequestContext) throws -> String {
        let contract = try contract(context)
        guard contract.kind == .creditAgency else { throw Problem.partnerNotAgency(contract.kind.rawValue) }
        return contract.partnerID
    }

    /// The path's `{keyID}`, an API key's id.
    static func keyID(_ context: AdminRequestContext) throws -> String {
        let keyID = try context.parameters.require("keyID")
        guard ApiKey.isKeyID(keyID) else { throw Problem.invalidRequest("keyID", "keyID must be ak_ and 16 lowercase hex digits.") }
        return keyID
    }

    /// A change's `reason`: up to 500 characters, no control character but line breaks and tabs
    /// (`WrittenText`), and not empty when `required`.
    ///
    /// Characters as PostgreSQL counts them (`length`, code points), whose CHECK on a billing
    /// adjustment's reason is the same 500: counted as Swift's grapheme clusters, a reason of 300
    /// thumbs with a skin tone passed here and failed there (a 500 answer). A NUL was a 500 too:
    /// libpq ended the text there, and the audit row read back differed from the row hashed.
    /// - Parameter why: what a required reason must say, for the refusal of an empty one.
    static func reason(_ reason: String, required: Bool, why: String = "a short account for the audit trail") throws(Problem) -> String {
        if required, reason.isEmpty { throw .invalidRequest("reason", "reason is required: \(why).") }
        try WrittenText.check(reason, field: "reason", maximum: 500)
        return reason
    }

    /// A key's `expires` (`YYYY-MM-DD`, nil: none): its last day (China time), today or later.
    static func expiry(_ text: String?) throws(Problem) -> CivilDate? {
        guard let text else { return nil }
        guard let day = CivilDate(text) else { throw .invalidRequest("expires", "expires must be a date as YYYY-MM-DD.") }
        guard day >= CivilDate(Date()) else { throw .invalidRequest("expires", "expires (\(day)) is in the past.") }
        return day
    }

    // MARK: API keys

    func issueKey(for partner: String, lastDay expiry: CivilDate?, _ context: AdminRequestContext) async throws -> (record: ApiKeyStore.Record, token: String) {
        let issued = try await ApiKeyStore.issue(partnerID: partner, expiresAt: expiry?.adding(days: 1).start(), on: context.requireTransaction())
        context.audit.note(partner: partner, "issued \(issued.record.keyID)\(expiry.map { ", last day \($0)" } ?? "")")
        return issued
    }

    func revokeKey(_ keyID: String, _ context: AdminRequestContext) async throws -> ApiKeyStore.Record {
        guard let record = try await ApiKeyStore.revoke(keyID: keyID, on: context.requireTransaction()) else { throw Problem.unknownKey() }
        context.audit.note(partner: record.partnerID, "revoked \(record.keyID)")
        return record
    }

    // MARK: Contracts

    func propose(
        document: String, effectiveFrom: Date?, reason: String, by admin: AdminActor, _ context: AdminRequestContext
    ) async throws -> ContractProposal {
        let proposal = try await Self.lifecycle {
            try await ContractLifecycle.propose(
                document: document, effectiveFrom: effectiveFrom, reason: reason, by: admin.changeActor, policies: contracts.policies,
                at: contracts.clock.now(), on: context.requireTransaction()
            )
        }
        context.audit.note(partner: proposal.partnerID, "proposed \(proposal.id): \(proposal.kind.rawValue) \(proposal.contract?.versionLabel ?? "")")
        return proposal
    }

    func approve(_ id: Int64, reason: String, by admin: AdminActor, _ context: AdminRequestContext) async throws -> ContractLifecycle.Approval {
        let approval = try await Self.lifecycle {
            try await ContractLifecycle.approve(id, reason: reason, by: admin.changeActor, at: contracts.clock.now(), on: context.requireTransaction())
        }
        context.audit.note(
            partner: approval.proposal.partnerID,
            "approved \(id): version \(approval.versionID.map(String.init) ?? "retirement") from \(approval.effectiveFrom.formatted(.iso8601))"
                + (approval.madeStale.isEmpty ? "" : "; stale: \(approval.madeStale.map(String.init).joined(separator: ", "))")
        )
        servedAfterCommit(context)
        return approval
    }

    func reject(_ id: Int64, reason: String, by admin: AdminActor, _ context: AdminRequestContext) async throws -> ContractProposal {
        let rejected = try await Self.lifecycle {
            try await ContractLifecycle.reject(id, reason: reason, by: admin.changeActor, at: contracts.clock.now(), on: context.requireTransaction())
        }
        context.audit.note(partner: rejected.partnerID, "rejected \(id)")
        return rejected
    }

    /// Suspends (`.suspended`) or reinstates (`.active`) the partner at once.
    func setStatus(of partner: String, to status: PartnerStatus, reason: String, by admin: AdminActor, _ context: AdminRequestContext) async throws {
        _ = try await Self.lifecycle {
            try await ContractLifecycle.setStatus(
                of: partner, to: status, reason: reason, by: admin.changeActor, at: contracts.clock.now(), on: context.requireTransaction()
            )
        }
        context.audit.note(partner: partner, status == .suspended ? "suspended" : "reinstated")
        servedAfterCommit(context)
    }

    /// After the change commits: served here at once, then by every live process (up to 2 s).
    private func servedAfterCommit(_ context: AdminRequestContext) {
        context.audit.afterCommit { [watcher = services.watcher] in
            guard let serving = await watcher.served() else { return [] }
            return [("Contract-Served-By", "\(serving.serving)/\(serving.live)")]
        }
    }

    /// Runs a lifecycle step, answering its refusal as a problem naming the field and why.
    static func lifecycle<T>(_ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch let error as ContractLifecycleError {
            throw Problem(error)
        }
    }
}
