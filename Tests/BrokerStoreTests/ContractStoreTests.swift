import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The contract ledger and its lifecycle against a real PostgreSQL: seeding, propose → approve or
/// reject, four eyes, staleness, suspension and retirement, insert-only history, one rule for what governs.
@Suite struct ContractStoreTests {
    static let icbcFile = "Contracts/bank.icbc_jiangsu.yaml"

    /// The shipped ICBC contract document, relabelled and with `market.real_estate` changed if asked.
    static func icbc(label: String? = nil, realEstate: String? = nil) throws -> String {
        var document = try Fixtures.file(icbcFile).text
        if let label { document = document.replacingOccurrences(of: "version: 2026-11-01.1", with: "version: \(label)") }
        if let realEstate {
            document = document.replacingOccurrences(
                of: "market.real_estate: { class: conditional, purposes: [credit_approval], consent: required }", with: "market.real_estate: \(realEstate)"
            )
        }
        return document
    }

    static let system = ChangeActor(fingerprint: String(repeating: "a", count: 64), subject: "CN=System Administrator,OU=admin-system,O=CreditBroker,C=CN")
    static let security = ChangeActor(fingerprint: String(repeating: "b", count: 64), subject: "CN=Security Administrator,OU=admin-security,O=CreditBroker,C=CN")
    static func audit(_ detail: String) -> AdminAuditEntry { .commandLine("test", partner: nil, status: 200, detail: detail) }

    static func migratedPool() async throws -> PostgresPool {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        return pool
    }

    /// A fresh database seeded with the shipped ICBC contract.
    static func seeded() async throws -> (PostgresPool, ContractStore) {
        let pool = try await migratedPool()
        let store = ContractStore(pool: pool)
        let v1 = try Contract(yaml: icbc(), file: icbcFile, policies: Fixtures.policies())
        #expect(try await store.seedIfEmpty({ [(v1, icbcFile)] }, by: audit("seeded")) == 1)
        return (pool, store)
    }

    @Test func anEmptyLedgerIsSeededOnceAndTheSeedIsAudited() async throws {
        let (pool, store) = try await Self.seeded()
        #expect(try await store.seedIfEmpty({ Issue.record("a seeded ledger reads no files"); return [] }, by: Self.audit("again")) == 0)
        let (ledger, token) = try await store.ledger()
        #expect(ledger.versions.map(\.contract.partnerID) == ["bank.icbc_jiangsu"])
        #expect(token == LedgerToken(versionID: ledger.versions[0].id, statusID: 0))
        #expect(try await store.token() == token)
        let rows = try await AdminAuditLog(pool: pool).records(since: 0, limit: 10)
        #expect(rows.map(\.entry.detail) == ["seeded"])
        await pool.close()
    }

    @Test func aProposalTakesEffectOnlyWhenApprovedBySomeoneElseAndThenGoverns() async throws {
        let (pool, store) = try await Self.seeded()
        let policies = try Fixtures.policies()
        let proposal = try await pool.transaction { connection in
            try await ContractLifecycle.propose(
                document: Self.icbc(label: "2026-12-01.1", realEstate: "none"), effectiveFrom: nil, reason: "narrow real estate",
                by: Self.system, policies: policies, on: connection
            )
        }
        #expect(proposal.kind == .amend && proposal.status == .proposed)
        #expect(try await store.ledger().ledger.versions.count == 1, "a proposal changes nothing")

        // The proposer may not approve, nor another certificate of the same person.
        let samePerson = ChangeActor(fingerprint: String(repeating: "c", count: 64), subject: "CN=System Administrator,OU=admin-security,O=CreditBroker,C=CN")
        for actor in [Self.system, samePerson] {
            let refused = await #expect(throws: ContractLifecycleError.self) {
                try await pool.transaction { try await ContractLifecycle.approve(proposal.id, reason: "", by: actor, on: $0) }
            }
            #expect(refused?.code == .ownProposal)
        }
        let approval = try await pool.transaction { try await ContractLifecycle.approve(proposal.id, reason: "ok", by: Self.security, on: $0) }
        #expect(approval.proposal.status == .approved && approval.versionID != nil)
        let (ledger, _) = try await store.ledger()
        let governing = try #require(ledger.governing(at: Date()).first)
        #expect(governing.contract.versionLabel == "2026-12-01.1")
        #expect(governing.contract.grants["market.real_estate"] == ItemGrant.none)
        // Decided once.
        let again = await #expect(throws: ContractLifecycleError.self) {
            try await pool.transaction { try await ContractLifecycle.reject(proposal.id, reason: "late", by: Self.security, on: $0) }
        }
        #expect(again?.code == .alreadyDecided)
        let history = try await store.history(of: "bank.icbc_jiangsu")
        #expect(history.map(\.proposer) == [nil, Self.system.subject])
        #expect(history.last?.approver == Self.security.subject)
        await pool.close()
    }

    @Test func aProposalMadeBeforeAnotherVersionWasActivatedIsStaleAndARejectedOneNeverTakesEffect() async throws {
        let (pool, store) = try await Self.seeded()
        let policies = try Fixtures.policies()
        func propose(_ label: String, _ realEstate: String) async throws -> ContractProposal {
            try await pool.transaction { connection in
                try await ContractLifecycle.propose(
                    document: Self.icbc(label: label, realEstate: realEstate), effectiveFrom: nil, reason: "", by: Self.system, policies: policies, on: connection
                )
            }
        }
        let first = try await propose("2026-12-01.1", "none")
        let second = try await propose("2026-12-02.1", "unconditional")
        let third = try await propose("2026-12-03.1", "none")
        let rejected = try await pool.transaction { try await ContractLifecycle.reject(third.id, reason: "no", by: Self.security, on: $0) }
        #expect(rejected.status == .rejected)
        let approval = try await pool.transaction { try await ContractLifecycle.approve(first.id, reason: "", by: Self.security, on: $0) }
        #expect(approval.madeStale == [second.id])
        let stale = await #expect(throws: ContractLifecycleError.self) {
            try await pool.transaction { try await ContractLifecycle.approve(second.id, reason: "", by: Self.security, on: $0) }
        }
        #expect(stale?.code == .alreadyDecided)
        let labels = try await store.ledger().ledger.versions.map(\.contract.versionLabel)
        #expect(labels == ["2026-11-01.1", "2026-12-01.1"])
        await pool.close()
    }

    @Test func proposalsAreCheckedFieldByField() async throws {
        let (pool, _) = try await Self.seeded()
        let policies = try Fixtures.policies()
        func refusal(_ document: String, effectiveFrom: Date? = nil) async -> ContractLifecycleError? {
            await #expect(throws: ContractLifecycleError.self) {
                try await pool.transaction { connection in
                    try await ContractLifecycle.propose(
                        document: document, effectiveFrom: effectiveFrom, reason: "", by: Self.system, policies: policies, on: connection
                    )
                }
            }
        }
        let invalid = await refusal(try Self.icbc().replacingOccurrences(of: "kind: bank", with: "kind: lender"))
        #expect(invalid?.code == .invalidContract)
        #expect(invalid?.diagnostics.first?.hasPrefix("line 4:") == true, "\(invalid?.diagnostics ?? [])")
        #expect(await refusal(try Self.icbc())?.code == .noChange)
        #expect(await refusal(try Self.icbc(realEstate: "none"))?.code == .labelReused)
        #expect(await refusal(try Self.icbc(label: "2027-01-01.1"), effectiveFrom: Date() - 3_600)?.code == .effectiveInPast)
        // Another partner claiming ICBC's certificate.
        let thief = try Self.icbc().replacingOccurrences(of: "partner: bank.icbc_jiangsu", with: "partner: bank.thief")
        let taken = await refusal(thief)
        #expect(taken?.code == .credentialTaken)
        // JSON is read as well as YAML (a JSON document is YAML), with the same checks.
        let json = #"{"partner": "bank.json_only", "legal_name": "x", "kind": "bank", "version": "1", "term": {"from": "2026-01-01", "to": "2026-12-31"}, "authentication": {"certificates": [{"subject": "CN=x,O=x,C=CN"}]}}"#
        let unbound = await refusal(json)
        #expect(unbound?.code == .invalidContract)
        #expect(unbound?.diagnostics.contains { $0.contains("match: subject") } == true, "\(unbound?.diagnostics ?? [])")
        await pool.close()
    }

    @Test func suspensionAndRetirementAreStatusChangesOfTheLedger() async throws {
        let (pool, store) = try await Self.seeded()
        let partner = "bank.icbc_jiangsu"
        _ = try await pool.transaction { try await ContractLifecycle.setStatus(of: partner, to: .suspended, reason: "incident", by: Self.security, on: $0) }
        #expect(try await store.ledger().ledger.status(of: partner, at: Date()) == .suspended)
        let twice = await #expect(throws: ContractLifecycleError.self) {
            try await pool.transaction { try await ContractLifecycle.setStatus(of: partner, to: .suspended, reason: "again", by: Self.security, on: $0) }
        }
        #expect(twice?.code == .statusUnchanged)
        _ = try await pool.transaction { try await ContractLifecycle.setStatus(of: partner, to: .active, reason: "fixed", by: Self.security, on: $0) }
        let retirement = try await pool.transaction {
            try await ContractLifecycle.proposeRetirement(of: partner, effectiveFrom: nil, reason: "contract ended", by: Self.system, on: $0)
        }
        _ = try await pool.transaction { try await ContractLifecycle.approve(retirement.id, reason: "", by: Self.security, on: $0) }
        #expect(try await store.ledger().ledger.status(of: partner, at: Date()) == .retired)
        #expect(try await store.statusHistory(of: partner).map(\.status) == [.suspended, .active, .retired])
        let unknown = await #expect(throws: ContractLifecycleError.self) {
            try await pool.transaction { try await ContractLifecycle.setStatus(of: "bank.nobody", to: .suspended, reason: "x", by: Self.security, on: $0) }
        }
        #expect(unknown?.code == .unknownPartner)
        await pool.close()
    }

    @Test func versionsStatusChangesAndDecidedProposalsAreNeverRewritten() async throws {
        let (pool, _) = try await Self.seeded()
        let proposal = try await pool.transaction { connection in
            try await ContractLifecycle.propose(
                document: Self.icbc(label: "2027-01-01.1"), effectiveFrom: nil, reason: "", by: Self.system, policies: Fixtures.policies(), on: connection
            )
        }
        _ = try await pool.transaction { try await ContractLifecycle.reject(proposal.id, reason: "no", by: Self.security, on: $0) }
        _ = try await pool.transaction {
            try await ContractLifecycle.setStatus(of: "bank.icbc_jiangsu", to: .suspended, reason: "x", by: Self.security, on: $0)
        }
        for statement in [
            "UPDATE contract_versions SET label = 'x'", "DELETE FROM contract_versions",
            "UPDATE partner_status_changes SET status = 'active'", "DELETE FROM partner_status_changes",
            "UPDATE contract_proposals SET status = 'approved'", "DELETE FROM contract_proposals",
        ] {
            await #expect(throws: PostgresError.self, "\(statement)") { try await pool.query(PostgresQuery(unsafeSQL: statement)) }
        }
        await pool.close()
    }
}
