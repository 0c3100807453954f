import BrokerCore
import Foundation
import PostgresClient

/// Who makes a change to the contracts: an admin certificate, or an OS account on the broker's host.
public struct ChangeActor: Sendable, Hashable {
    /// SHA-256 of the admin certificate, 64 hex digits; empty for the command line.
    public let fingerprint: String
    /// The certificate's subject, or `os-account=…,host=…`.
    public let subject: String
    /// `cli` for the command line, `nil` for the admin API.
    public let via: String?

    public init(fingerprint: String, subject: String, via: String? = nil) {
        self.fingerprint = fingerprint
        self.subject = subject
        self.via = via
    }

    /// The OS account running this process, as the audit chain names it.
    public static var commandLine: ChangeActor {
        let entry = AdminAuditEntry.commandLine("", partner: nil, status: 200, detail: "")
        return ChangeActor(fingerprint: "", subject: entry.actorSubject, via: "cli")
    }

    /// The names a subject gives its holder: its CN values (an OS account's name for the command
    /// line), read as RFC 4514 text (`CN=Li\, Wei` is one name, not `Li\`), compared as X.520 compares
    /// a CN: without regard to case or to runs of spaces. A subject that is no such text is its own name.
    var names: Set<String> {
        guard let text = DistinguishedNameText(subject) else { return [subject] }
        let names = text.values(of: "CN") + text.values(of: "os-account")
        return Set(names.map { $0.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") })
    }

    /// Whether the two are the same certificate or may be the same person: they share a name
    /// (whatever their OU, O or other parts; a person may hold certificates of several roles, or
    /// renew one, each with its own fingerprint). Two people of one name need another approver.
    public func isSamePerson(as other: ChangeActor) -> Bool {
        (!fingerprint.isEmpty && fingerprint == other.fingerprint) || !names.isDisjoint(with: other.names)
    }
}

/// A proposed change to a partner's contract, and what became of it.
public struct ContractProposal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A partner with no version yet.
        case onboard
        /// A new version of a partner's contract.
        case amend
        /// The end of the partnership: every credential refused for good once approved.
        case retire
    }

    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case proposed, approved, rejected
        /// Another version of the partner's contract was activated after it was proposed.
        case stale
    }

    public let id: Int64
    public let partnerID: String
    public let kind: Kind
    /// The proposed contract (with its kind's defaults applied); `nil` for a retirement.
    public let contract: Contract?
    /// The document as proposed (YAML or JSON).
    public let document: String?
    /// When the version is to take effect; `nil`: when approved.
    public let effectiveFrom: Date?
    /// The partner's newest version when proposed (`nil`: none).
    public let baseVersionID: Int64?
    public let reason: String
    public let proposedAt: Date
    public let proposer: ChangeActor
    public let status: Status
    public let decidedAt: Date?
    public let decider: ChangeActor?
    public let decisionReason: String?
    /// The version its approval activated.
    public let versionID: Int64?
}

/// Why a lifecycle step is refused. `field` names what is at fault where a field is.
public struct ContractLifecycleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownPartner = "unknown-partner"
        case unknownProposal = "unknown-proposal"
        case invalidContract = "invalid-contract"
        case noChange = "no-change"
        case labelReused = "label-reused"
        case kindChanged = "kind-changed"
        case credentialTaken = "credential-taken"
        case partnerRetired = "partner-retired"
        case effectiveInPast = "effective-in-past"
        case alreadyDecided = "already-decided"
        case ownProposal = "own-proposal"
        case stale = "proposal-stale"
        case statusUnchanged = "status-unchanged"
    }

    public let code: Code
    public let field: String?
    public let reason: String
    /// Every problem of an invalid document, as `line: message`.
    public let diagnostics: [String]

    init(_ code: Code, field: String? = nil, _ reason: String, diagnostics: [String] = []) {
        self.code = code
        self.field = field
        self.reason = reason
        self.diagnostics = diagnostics
    }

    public var description: String { ([reason] + diagnostics).joined(separator: "\n  ") }
}

/// The steps of a contract change (propose → approve or reject → in effect), suspending and
/// reinstating a partner, and retiring one. Each step runs on the caller's transaction, in which
/// the caller also appends its admin audit row, so a step commits only with its row; each takes the
/// lifecycle lock first, so changes commit in the order of their ids, and announces itself.
public enum ContractLifecycle {
    /// Serialises every change of the ledger ("contract_lifecycle").
    private static let lockKey: Int64 = 0x636F_6E74_7261_6374

    static func lock(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
    }

    /// Checks `document` (the schema of `Contracts/*.yaml`, as YAML or JSON) against the policies and
    /// the partners' contracts, and stores it as a proposal.
    ///
    /// - Parameters:
    ///   - effectiveFrom: when the version is to take effect once approved (not in the past); `nil`: on approval.
    /// - Throws: `ContractLifecycleError` naming what is wrong.
    public static func propose(
        document: String, effectiveFrom: Date?, reason: String, by actor: ChangeActor, policies: PolicyBundle,
        at now: Date = Date(), on connection: PostgresConnection
    ) async throws -> ContractProposal {
        let contract: Contract
        do {
            contract = try Contract(yaml: document, file: "document", policies: policies)
        } catch {
            throw ContractLifecycleError(
                .invalidContract, field: "document", "The document is not a valid contract (\(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s")).",
                diagnostics: error.diagnostics.map { "line \($0.line): \($0.message)" }
            )
        }
        if let effectiveFrom, effectiveFrom < now.addingTimeInterval(-60) {
            throw ContractLifecycleError(.effectiveInPast, field: "effective_from", "effective_from is in the past; give a future instant, or none for on approval.")
        }
        try await lock(connection)
        let partner = contract.partnerID
        let latest = try await connection.query("""
            SELECT id, body FROM contract_versions WHERE partner_id = \(partner) ORDER BY id DESC LIMIT 1
            """).first.map { (id: try $0.decode(Int64.self, at: 0), contract: try $0.decode(PostgresJSON<Contract>.self, at: 1).value) }
        if try await status(of: partner, on: connection) == .retired {
            throw ContractLifecycleError(.partnerRetired, field: "partner", "The partner is retired; a retired partner id is not used again.")
        }
        if let latest {
            guard latest.contract.kind == contract.kind else {
                throw ContractLifecycleError(.kindChanged, field: "kind", "The partner is a \(latest.contract.kind.rawValue); a contract cannot change its kind.")
            }
        }
        let versions = try await connection.query("""
            SELECT label, digest FROM contract_versions WHERE partner_id = \(partner)
            """).map { (label: try $0.decode(String.self, at: 0), digest: try $0.decode(String.self, at: 1)) }
        let version = contract.version
        if latest?.contract.version.digest == version.digest {
            throw ContractLifecycleError(.noChange, "The document is the partner's newest version as it stands; nothing to propose.")
        }
        if versions.contains(where: { $0.label == version.label && $0.digest != version.digest }) {
            throw ContractLifecycleError(.labelReused, field: "version", "Version label '\(version.label)' is already another version of this contract; give the change a new label.")
        }
        try await checkCredentials(contract, on: connection)
        let row = try await connection.query("""
            INSERT INTO contract_proposals (partner_id, kind, label, digest, term_from, term_to, body, document, effective_from,
                                            base_version_id, reason, proposed_at, proposer_fingerprint, proposer_subject, proposer_via)
            VALUES (\(partner), \(latest == nil ? ContractProposal.Kind.onboard.rawValue : ContractProposal.Kind.amend.rawValue),
                    \(version.label), \(version.digest), \(contract.term.from)::date, \(contract.term.to)::date,
                    \(PostgresJSON(contract))::jsonb, \(document), \(effectiveFrom), \(latest?.id), \(reason), \(now),
                    \(actor.fingerprint), \(actor.subject), \(actor.via))
            RETURNING \(unsafeRaw: columns)
            """)[0]
        return try proposal(row)
    }

    /// Proposes to retire `partnerID`: once approved, every credential of the partner is refused for good.
    public static func proposeRetirement(
        of partnerID: String, effectiveFrom: Date?, reason: String, by actor: ChangeActor, at now: Date = Date(), on connection: PostgresConnection
    ) async throws -> ContractProposal {
        if let effectiveFrom, effectiveFrom < now.addingTimeInterval(-60) {
            throw ContractLifecycleError(.effectiveInPast, field: "effective_from", "effective_from is in the past; give a future instant, or none for on approval.")
        }
        try await lock(connection)
        guard let latest = try await connection.query("""
            SELECT max(id) FROM contract_versions WHERE partner_id = \(partnerID)
            """)[0].decode(Int64?.self, at: 0) else {
            throw ContractLifecycleError(.unknownPartner, field: "partner", "No contract names this partner.")
        }
        if try await status(of: partnerID, on: connection) == .retired {
            throw ContractLifecycleError(.partnerRetired, field: "partner", "The partner is already retired.")
        }
        let row = try await connection.query("""
            INSERT INTO contract_proposals (partner_id, kind, effective_from, base_version_id, reason, proposed_at,
                                            proposer_fingerprint, proposer_subject, proposer_via)
            VALUES (\(partnerID), 'retire', \(effectiveFrom), \(latest), \(reason), \(now), \(actor.fingerprint), \(actor.subject), \(actor.via))
            RETURNING \(unsafeRaw: columns)
            """)[0]
        return try proposal(row)
    }

    /// What an approval did.
    public struct Approval: Sendable, Hashable {
        public let proposal: ContractProposal
        /// The version activated (none for a retirement).
        public let versionID: Int64?
        /// When it takes effect.
        public let effectiveFrom: Date
        /// Other open proposals for the partner, now stale.
        public let madeStale: [Int64]
    }

    /// Approves an open proposal: its version (or the retirement) takes effect at its
    /// `effective_from`, or now; other open proposals for the partner go stale.
    /// - Throws: `ContractLifecycleError`: unknown, already decided, proposed by the same person, or
    ///   stale (another version was activated since it was proposed).
    public static func approve(_ id: Int64, reason: String, by actor: ChangeActor, at now: Date = Date(), on connection: PostgresConnection) async throws -> Approval {
        try await lock(connection)
        let open = try await openProposal(id, on: connection)
        guard !actor.isSamePerson(as: open.proposer) else {
            throw ContractLifecycleError(
                .ownProposal, "A proposal is approved by someone other than its proposer (four eyes); this certificate's holder proposed it."
            )
        }
        let newest = try await connection.query("""
            SELECT max(id) FROM contract_versions WHERE partner_id = \(open.partnerID)
            """)[0].decode(Int64?.self, at: 0)
        guard newest == open.baseVersionID else {
            throw ContractLifecycleError(
                .stale, "Another version of the partner's contract was activated after this proposal was made; propose again from it."
            )
        }
        if try await status(of: open.partnerID, on: connection) == .retired {
            throw ContractLifecycleError(.partnerRetired, field: "partner", "The partner is retired.")
        }
        let effectiveFrom = max(now, open.effectiveFrom ?? now)
        var versionID: Int64?
        switch open.kind {
        case .onboard, .amend:
            guard let contract = open.contract else { throw ContractLifecycleError(.invalidContract, "The proposal has no contract.") }
            try await checkCredentials(contract, on: connection)
            versionID = try await ContractStore.activate(contract, from: effectiveFrom, source: "proposal \(id)", proposal: id, on: connection)
        case .retire:
            try await connection.query("""
                INSERT INTO partner_status_changes (partner_id, status, at, reason, actor_fingerprint, actor_subject, via, proposal_id)
                VALUES (\(open.partnerID), 'retired', \(effectiveFrom), \(open.reason), \(actor.fingerprint), \(actor.subject), \(actor.via), \(id))
                """)
        }
        let decided = try await connection.query("""
            UPDATE contract_proposals SET status = 'approved', decided_at = \(now), decider_fingerprint = \(actor.fingerprint),
                   decider_subject = \(actor.subject), decision_reason = \(reason), version_id = \(versionID)
            WHERE id = \(id) RETURNING \(unsafeRaw: columns)
            """)[0]
        let stale = try await connection.query("""
            UPDATE contract_proposals SET status = 'stale', decided_at = \(now),
                   decision_reason = \("proposal \(id) was approved after it was made")
            WHERE partner_id = \(open.partnerID) AND status = 'proposed' AND id <> \(id)
            RETURNING id
            """).map { try $0.decode(Int64.self, at: 0) }
        try await ContractStore.announce(on: connection)
        return Approval(proposal: try proposal(decided), versionID: versionID, effectiveFrom: effectiveFrom, madeStale: stale)
    }

    /// Rejects an open proposal with a reason; it never takes effect.
    public static func reject(_ id: Int64, reason: String, by actor: ChangeActor, at now: Date = Date(), on connection: PostgresConnection) async throws -> ContractProposal {
        try await lock(connection)
        _ = try await openProposal(id, on: connection)
        return try proposal(try await connection.query("""
            UPDATE contract_proposals SET status = 'rejected', decided_at = \(now), decider_fingerprint = \(actor.fingerprint),
                   decider_subject = \(actor.subject), decision_reason = \(reason)
            WHERE id = \(id) RETURNING \(unsafeRaw: columns)
            """)[0])
    }

    /// Suspends (`.suspended`) or reinstates (`.active`) a partner at once: the kill switch.
    /// - Returns: the status change's id.
    public static func setStatus(
        of partnerID: String, to status: PartnerStatus, reason: String, by actor: ChangeActor, at now: Date = Date(), on connection: PostgresConnection
    ) async throws -> Int64 {
        precondition(status != .retired, "retirement is a proposal")
        try await lock(connection)
        guard try await connection.query("SELECT count(*) FROM contract_versions WHERE partner_id = \(partnerID)")[0].decode(Int.self, at: 0) > 0 else {
            throw ContractLifecycleError(.unknownPartner, field: "partner", "No contract names this partner.")
        }
        let current = try await self.status(of: partnerID, on: connection)
        guard current != .retired else { throw ContractLifecycleError(.partnerRetired, field: "partner", "The partner is retired.") }
        guard current != status else {
            throw ContractLifecycleError(.statusUnchanged, "The partner is already \(status == .active ? "active" : "suspended").")
        }
        let id = try await connection.query("""
            INSERT INTO partner_status_changes (partner_id, status, at, reason, actor_fingerprint, actor_subject, via)
            VALUES (\(partnerID), \(status.rawValue), \(now), \(reason), \(actor.fingerprint), \(actor.subject), \(actor.via))
            RETURNING id
            """)[0].decode(Int64.self, at: 0)
        try await ContractStore.announce(on: connection)
        return id
    }

    /// One proposal.
    public static func proposal(_ id: Int64, on connection: PostgresConnection) async throws -> ContractProposal? {
        try await connection.query("SELECT \(unsafeRaw: columns) FROM contract_proposals WHERE id = \(id)").first.map(proposal)
    }

    /// Proposals, newest first, of one status and/or partner if given.
    public static func proposals(status: ContractProposal.Status?, partner: String?, limit: Int, on connection: PostgresConnection) async throws -> [ContractProposal] {
        try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM contract_proposals
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
              AND (\(partner)::text IS NULL OR partner_id = \(partner))
            ORDER BY id DESC LIMIT \(limit)
            """).map(proposal)
    }

    // MARK: Helpers

    private static func openProposal(_ id: Int64, on connection: PostgresConnection) async throws -> ContractProposal {
        guard let found = try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM contract_proposals WHERE id = \(id) FOR UPDATE
            """).first.map(proposal) else {
            throw ContractLifecycleError(.unknownProposal, field: "id", "No proposal has this id.")
        }
        guard found.status == .proposed else {
            throw ContractLifecycleError(.alreadyDecided, "The proposal was \(found.status.rawValue) already; a proposal is decided once.")
        }
        return found
    }

    static func status(of partnerID: String, on connection: PostgresConnection) async throws -> PartnerStatus {
        let text = try await connection.query("""
            SELECT status FROM partner_status_changes WHERE partner_id = \(partnerID) AND at <= now() ORDER BY at DESC, id DESC LIMIT 1
            """).first.map { try $0.decode(String.self, at: 0) }
        return text.flatMap(PartnerStatus.init(rawValue:)) ?? .active
    }

    /// Refuses a certificate fingerprint, subject-only binding or API key id that another partner's
    /// newest version already names.
    private static func checkCredentials(_ contract: Contract, on connection: PostgresConnection) async throws {
        let others = try await connection.query("""
            SELECT DISTINCT ON (partner_id) body FROM contract_versions WHERE partner_id <> \(contract.partnerID)
            ORDER BY partner_id, id DESC
            """).map { try $0.decode(PostgresJSON<Contract>.self, at: 0).value }
        var owners: [String: String] = [:]
        for other in others {
            for credential in other.authentication.credentialNames { owners[credential] = other.partnerID }
        }
        for credential in contract.authentication.credentialNames {
            if let owner = owners[credential] {
                throw ContractLifecycleError(.credentialTaken, field: "authentication", "\(credential) is already the credential of partner '\(owner)'.")
            }
        }
    }

    private static let columns = """
        id, partner_id, kind, body, document, effective_from, base_version_id, reason, proposed_at,
        proposer_fingerprint, proposer_subject, proposer_via, status, decided_at, decider_fingerprint, decider_subject,
        decision_reason, version_id
        """

    private static func proposal(_ row: PostgresRow) throws -> ContractProposal {
        let deciderFingerprint: String? = try row.decode(at: 14)
        let deciderSubject: String? = try row.decode(at: 15)
        return ContractProposal(
            id: try row.decode(at: 0), partnerID: try row.decode(at: 1),
            kind: ContractProposal.Kind(rawValue: try row.decode(at: 2)) ?? .amend,
            contract: try row.decode(PostgresJSON<Contract>?.self, at: 3)?.value, document: try row.decode(at: 4),
            effectiveFrom: try row.decode(at: 5), baseVersionID: try row.decode(at: 6), reason: try row.decode(at: 7),
            proposedAt: try row.decode(at: 8),
            proposer: ChangeActor(fingerprint: try row.decode(at: 9), subject: try row.decode(at: 10), via: try row.decode(at: 11)),
            status: ContractProposal.Status(rawValue: try row.decode(at: 12)) ?? .proposed, decidedAt: try row.decode(at: 13),
            decider: deciderSubject.map { ChangeActor(fingerprint: deciderFingerprint ?? "", subject: $0) },
            decisionReason: try row.decode(at: 16), versionID: try row.decode(at: 17)
        )
    }
}

extension Contract.Authentication {
    /// The credentials a contract names, as the contract checker words them (`sha256 …`,
    /// `subject …`, `API key …`): no two partners may name the same.
    public var credentialNames: [String] {
        certificates.flatMap { certificate in
            [certificate.sha256.map { "sha256 \($0)" }, certificate.sha256 == nil ? certificate.subject.map { "subject \($0)" } : nil].compactMap { $0 }
        } + apiKeyIDs.map { "API key \($0)" }
    }
}
