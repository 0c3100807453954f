import BrokerCore
import BrokerStore
import Foundation

/// The contracts in force over one span of time, compiled: each partner's governing contract and
/// status, the credentials that bind to them, the decision engine, the maskers and the catalog.
///
/// Immutable. A request pins one snapshot at its start (`LiveContracts.snapshot(at:)`) and uses
/// it throughout, so no request mixes two versions of a contract; the engine's partner handles are
/// tied to it (a handle of another snapshot stops the process rather than decide under another row).
public final class ContractSnapshot: Sendable {
    /// The ledger it was built from.
    public let token: LedgerToken
    /// The span it holds for: from `validFrom` until (not including) `validUntil` (`nil`: no end known).
    public let validFrom: Date
    public let validUntil: Date?
    /// Each partner's governing contract, by partner id.
    public let contracts: [String: Contract]
    /// Each partner's governing version's ledger id.
    public let versionIDs: [String: Int64]
    /// Partners not `active` (suspended or retired), by partner id.
    public let statuses: [String: PartnerStatus]
    public let directory: PartnerDirectory
    public let engine: DecisionEngine
    public let policies: PolicyBundle

    public var catalog: Catalog { policies.catalog }

    /// Compiles what governs at `instant` by the ledger's rule.
    init(ledger: ContractLedger, token: LedgerToken, at instant: Date, policies: PolicyBundle) {
        let governing = ledger.governing(at: instant)
        let contracts = governing.map(\.contract)
        let statuses = ledger.statuses(at: instant)
        self.token = token
        self.validFrom = instant
        self.validUntil = ledger.nextTransition(after: instant)
        self.contracts = Dictionary(uniqueKeysWithValues: contracts.map { ($0.partnerID, $0) })
        self.versionIDs = Dictionary(uniqueKeysWithValues: governing.map { ($0.contract.partnerID, $0.id) })
        self.statuses = statuses
        self.directory = PartnerDirectory(contracts: contracts, statuses: statuses)
        self.engine = DecisionEngine(contracts: contracts, catalog: policies.catalog, purposes: policies.purposes)
        self.policies = policies
    }

    /// Whether the snapshot holds at `instant`.
    func holds(at instant: Date) -> Bool {
        validFrom <= instant && validUntil.map { instant < $0 } ?? true
    }

    /// The partner's status (`active` unless suspended or retired).
    public func status(of partnerID: String) -> PartnerStatus { statuses[partnerID] ?? .active }
}
