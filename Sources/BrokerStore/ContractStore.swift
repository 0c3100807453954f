import BrokerCore
import Foundation
import PostgresClient

/// The contracts in the database, the source of truth for what governs each partner: the
/// activated versions (`contract_versions`), the partners' statuses (`partner_status_changes`) and,
/// in `ContractLifecycle`, the proposals that lead to them.
///
/// The gateway reads the whole ledger (a few hundred rows) and decides in memory, by
/// `ContractLedger.governing(at:)`, which version governs; so do `contracts show` and the admin
/// API's history. Every change to the ledger sends `NOTIFY credit_broker_contracts`.
public struct ContractStore: Sendable {
    /// The channel every ledger change is announced on.
    public static let channel = "credit_broker_contracts"

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The ledger and the token of what it holds, read from one snapshot of the database.
    public func ledger() async throws -> (ledger: ContractLedger, token: LedgerToken) {
        try await pool.transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let versions = try await connection.query("""
                SELECT id, body, effective_from FROM contract_versions ORDER BY id
                """).map { row in
                ContractLedger.Version(
                    id: try row.decode(at: 0), contract: try row.decode(PostgresJSON<Contract>.self, at: 1).value,
                    effectiveFrom: try row.decode(at: 2)
                )
            }
            let changes = try await connection.query("""
                SELECT id, partner_id, status, at FROM partner_status_changes ORDER BY id
                """).map { row in
                ContractLedger.StatusChange(
                    id: try row.decode(at: 0), partnerID: try row.decode(at: 1),
                    status: PartnerStatus(rawValue: try row.decode(at: 2)) ?? .active, at: try row.decode(at: 3)
                )
            }
            let token = LedgerToken(versionID: versions.last?.id ?? 0, statusID: changes.last?.id ?? 0)
            return (ContractLedger(versions: versions, statusChanges: changes), token)
        }
    }

    /// The token of the ledger as it stands: cheap enough to ask every second.
    public func token() async throws -> LedgerToken {
        let row = try await pool.query("""
            SELECT coalesce((SELECT max(id) FROM contract_versions), 0), coalesce((SELECT max(id) FROM partner_status_changes), 0)
            """)[0]
        return LedgerToken(versionID: try row.decode(at: 0), statusID: try row.decode(at: 1))
    }

    /// Seeds an empty ledger (a new installation) with `contracts` (from `Contracts/`), in effect at
    /// once, and records it in the admin audit chain as `detail`. Does nothing if any version exists.
    /// - Returns: the number of versions added (0 when the ledger was not empty).
    @discardableResult
    public func seedIfEmpty(
        _ load: () throws -> [(contract: Contract, file: String)], by actor: AdminAuditEntry, at time: Date = Date()
    ) async throws -> Int {
        try await pool.transaction { connection in
            try await ContractLifecycle.lock(connection)
            guard try await connection.query("SELECT count(*) FROM contract_versions")[0].decode(Int.self, at: 0) == 0 else { return 0 }
            let contracts = try load()
            for (contract, file) in contracts {
                _ = try await Self.activate(contract, from: time, source: file, proposal: nil, on: connection)
            }
            try await AdminAuditLog.append(actor, at: time, on: connection)
            try await Self.announce(on: connection)
            return contracts.count
        }
    }

    /// Inserts `contract` as a version in effect from `effectiveFrom`.
    static func activate(_ contract: Contract, from effectiveFrom: Date, source: String, proposal: Int64?, on connection: PostgresConnection) async throws -> Int64 {
        let version = contract.version
        return try await connection.query("""
            INSERT INTO contract_versions (partner_id, label, digest, term_from, term_to, body, source_file, effective_from, proposal_id)
            VALUES (\(contract.partnerID), \(version.label), \(version.digest), \(contract.term.from)::date,
                    \(contract.term.to)::date, \(PostgresJSON(contract))::jsonb, \(source), \(effectiveFrom), \(proposal))
            RETURNING id
            """)[0].decode(at: 0)
    }

    /// `NOTIFY credit_broker_contracts`, delivered when the transaction commits.
    static func announce(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_notify(\(Self.channel), '')")
    }

    /// What governed `partnerID` at `instant` by the ledger's rule, with how it got there.
    public func version(of partnerID: String, at instant: Date) async throws -> ContractVersionRecord? {
        let (ledger, _) = try await ledger()
        guard let governing = ledger.governing(at: instant).first(where: { $0.contract.partnerID == partnerID }) else { return nil }
        return try await history(of: partnerID).first { $0.id == governing.id }
    }

    /// Every version of the partner's contract, oldest first, with who proposed and approved it.
    public func history(of partnerID: String) async throws -> [ContractVersionRecord] {
        try await pool.query("""
            SELECT v.id, v.body, v.effective_from, v.applied_at, v.source_file, v.proposal_id,
                   p.proposer_subject, p.proposer_via, p.decider_subject, p.decided_at, p.reason, p.decision_reason
            FROM contract_versions v LEFT JOIN contract_proposals p ON p.id = v.proposal_id
            WHERE v.partner_id = \(partnerID) ORDER BY v.id
            """).map { row in
            ContractVersionRecord(
                id: try row.decode(at: 0), contract: try row.decode(PostgresJSON<Contract>.self, at: 1).value,
                effectiveFrom: try row.decode(at: 2), appliedAt: try row.decode(at: 3), sourceFile: try row.decode(at: 4),
                proposalID: try row.decode(at: 5), proposer: try row.decode(at: 6), proposerVia: try row.decode(at: 7),
                approver: try row.decode(at: 8), approvedAt: try row.decode(at: 9),
                proposalReason: try row.decode(at: 10), approvalReason: try row.decode(at: 11)
            )
        }
    }

    /// The partner's status changes, oldest first.
    public func statusHistory(of partnerID: String) async throws -> [PartnerStatusRecord] {
        try await pool.query("""
            SELECT id, status, at, reason, actor_subject, via, proposal_id FROM partner_status_changes
            WHERE partner_id = \(partnerID) ORDER BY id
            """).map { row in
            PartnerStatusRecord(
                id: try row.decode(at: 0), status: PartnerStatus(rawValue: try row.decode(at: 1)) ?? .active, at: try row.decode(at: 2),
                reason: try row.decode(at: 3), actor: try row.decode(at: 4), via: try row.decode(at: 5), proposalID: try row.decode(at: 6)
            )
        }
    }

    /// How many versions are on file for `partnerID`.
    public func versionCount(of partnerID: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM contract_versions WHERE partner_id = \(partnerID)")[0].decode(at: 0)
    }
}

/// What a gateway process has loaded of the ledger: its newest version id and status change id.
/// Ids are assigned in commit order (every change takes the lifecycle lock), so a process whose
/// token covers a change's serves it.
public struct LedgerToken: Sendable, Hashable, Codable, CustomStringConvertible {
    public let versionID: Int64
    public let statusID: Int64

    public init(versionID: Int64, statusID: Int64) {
        self.versionID = versionID
        self.statusID = statusID
    }

    /// Whether a ledger with this token holds everything `other`'s does.
    public func covers(_ other: LedgerToken) -> Bool { versionID >= other.versionID && statusID >= other.statusID }

    public var description: String { "v\(versionID).s\(statusID)" }
}

/// One activated version as `contracts show` and the admin API's history tell it.
public struct ContractVersionRecord: Sendable, Hashable {
    public let id: Int64
    public let contract: Contract
    public let effectiveFrom: Date
    public let appliedAt: Date
    /// The file it was seeded or applied from, or `proposal N`.
    public let sourceFile: String
    public let proposalID: Int64?
    /// The proposer's certificate subject or OS account (`nil` for a seeded version).
    public let proposer: String?
    /// `cli` when proposed with the command line.
    public let proposerVia: String?
    public let approver: String?
    public let approvedAt: Date?
    public let proposalReason: String?
    public let approvalReason: String?
}

/// One change of a partner's status.
public struct PartnerStatusRecord: Sendable, Hashable {
    public let id: Int64
    public let status: PartnerStatus
    public let at: Date
    public let reason: String
    public let actor: String
    public let via: String?
    public let proposalID: Int64?
}
