import Foundation
import Synchronization

/// Numbers each compiled engine, so that a handle is only ever used with the engine that made it.
private let compiledEngines = Atomic<UInt64>(0)

/// Contracts compiled into a dense partner × item table: deciding an item is an array lookup, and only
/// conditional cells look at the request's purpose and consent. Pure and deterministic.
///
/// Order of checks: partner suspended, contract term, quota (these withhold every item alike); then per
/// item: not in contract, `none`, purpose outside the contract, then a conditional item's own purposes
/// and consent (missing or revoked or another subject's, outside its validity, used up, out of scope).
public struct DecisionEngine: Sendable {
    /// An interned partner id, valid with the engine that interned it only: engines are compiled
    /// per contract snapshot, and a partner's row differs between them.
    public struct Partner: Sendable, Hashable {
        let index: Int
        let engine: UInt64
    }
    /// An interned catalog item id.
    public struct Item: Sendable, Hashable { let index: Int }
    /// An interned purpose id.
    public struct Purpose: Sendable, Hashable { let index: Int }

    private enum Cell: Sendable {
        case notInContract, noSharing, unconditional
        /// Index into `conditions`.
        case conditional(Int)
    }

    private struct Conditions: Sendable {
        let purposes: UInt64
        let consentRequired: Bool
        let categoryScope: Bool
    }

    private struct Row: Sendable {
        let version: ContractVersion
        let termStart: TimeInterval
        let termEnd: TimeInterval
        let termStartDay: CivilDate
        let purposes: UInt64
        let maskingProfile: String
        let quotas: Contract.Quotas
    }

    /// This engine's number among those compiled in the process (`Partner.engine`).
    private let identity: UInt64
    private let partnerIndices: [String: Int]
    private let itemIDs: [String]
    private let itemIndices: [String: Int]
    private let itemCategories: [Int]
    private let categoryIndices: [String: Int]
    private let purposeIDs: [String]
    private let purposeIndices: [String: Int]
    private let rows: [Row]
    private let cells: [Cell]
    private let conditions: [Conditions]

    /// Compiles `contracts`, one per partner (see `ContractSet.governing(on:)`), already checked against
    /// `catalog` and `purposes`.
    public init(contracts: [Contract], catalog: Catalog, purposes: PurposeCatalog) {
        precondition(purposes.ids.count <= 64, "the purpose catalog allows at most 64 purposes")
        precondition(Set(contracts.map(\.partnerID)).count == contracts.count, "one contract per partner")
        let purposeIndices = Dictionary(uniqueKeysWithValues: purposes.ids.enumerated().map { ($1, $0) })
        func mask(_ ids: [String]) -> UInt64 {
            ids.reduce(0) { bits, id in purposeIndices[id].map { bits | 1 << UInt64($0) } ?? bits }
        }
        let categoryIndices = Dictionary(uniqueKeysWithValues: catalog.categories.enumerated().map { ($1.id, $0) })
        var cells: [Cell] = []
        var conditions: [Conditions] = []
        cells.reserveCapacity(contracts.count * catalog.items.count)
        for contract in contracts {
            for item in catalog.items {
                switch contract.grants[item.id] {
                case nil: cells.append(.notInContract)
                case .none?: cells.append(.noSharing)
                case .unconditional?: cells.append(.unconditional)
                case .conditional(let stated)?:
                    cells.append(.conditional(conditions.count))
                    conditions.append(Conditions(
                        purposes: mask(stated.purposes), consentRequired: stated.consentRequired,
                        categoryScope: stated.consentScope == .category
                    ))
                }
            }
        }
        self.identity = compiledEngines.add(1, ordering: .relaxed).newValue
        self.partnerIndices = Dictionary(uniqueKeysWithValues: contracts.enumerated().map { ($1.partnerID, $0) })
        self.itemIDs = catalog.items.map(\.id)
        self.itemIndices = Dictionary(uniqueKeysWithValues: catalog.items.enumerated().map { ($1.id, $0) })
        self.itemCategories = catalog.items.map { categoryIndices[$0.category] ?? -1 }
        self.categoryIndices = categoryIndices
        self.purposeIDs = purposes.ids
        self.purposeIndices = purposeIndices
        self.rows = contracts.map { contract in
            Row(
                version: contract.version,
                termStart: contract.term.from.start().timeIntervalSince1970,
                termEnd: contract.term.to.adding(days: 1).start().timeIntervalSince1970,
                termStartDay: contract.term.from,
                purposes: mask(contract.purposes),
                maskingProfile: contract.maskingProfile,
                quotas: contract.quotas
            )
        }
        self.cells = cells
        self.conditions = conditions
    }

    /// The interned partner, if it has a contract.
    public func partner(_ id: String) -> Partner? { partnerIndices[id].map { Partner(index: $0, engine: identity) } }
    /// The interned item, if the catalog has it.
    public func item(_ id: String) -> Item? { itemIndices[id].map(Item.init) }
    /// The interned purpose, if the purpose catalog has it.
    public func purpose(_ id: String) -> Purpose? { purposeIndices[id].map(Purpose.init) }
    /// Every catalog item, interned, in catalog order.
    public var allItems: [Item] { itemIDs.indices.map(Item.init) }
    /// The contract version the partner's decisions cite.
    public func contractVersion(of partner: Partner) -> ContractVersion { rows[checked(partner)].version }

    /// The partner's row; a handle from another engine (another contract snapshot) is a programming
    /// error that would decide under another partner's contract, so it stops the process.
    private func checked(_ partner: Partner) -> Int {
        precondition(partner.engine == identity, "a partner handle of one contract snapshot used with another's engine")
        return partner.index
    }

    /// Decides every requested item, compiling the request's consent (if any) for this request only.
    public func decide(_ request: DecisionRequest) -> Decision {
        decide(request, consent: request.consent.map(compile))
    }

    /// Decides every requested item against `consent` (compiled by this engine) instead of the
    /// request's own: for many requests that rely on the same consent.
    public func decide(_ request: DecisionRequest, consent: CompiledConsent?) -> Decision {
        let row = rows[checked(request.partner)]
        if let common = requestLevelDecision(request, row) {
            return Decision(contractVersion: row.version, items: Array(repeating: common, count: request.items.count))
        }
        let consentBlock: WithholdReason? = if let consent { consent.problem(for: request) } else { .consentMissing }
        let base = request.partner.index * itemIDs.count
        let purposeBit: UInt64 = 1 << UInt64(request.purpose.index)
        let disclosed = ItemDecision.disclosed(maskingProfile: row.maskingProfile)
        var items: [ItemDecision] = []
        items.reserveCapacity(request.items.count)
        for item in request.items {
            switch cells[base + item.index] {
            case .notInContract:
                items.append(.withheld(.notInContract, unlock: .contractChange))
            case .noSharing:
                items.append(.withheld(.noSharing, unlock: .contractChange))
            case .unconditional:
                items.append(row.purposes & purposeBit != 0 ? disclosed : .withheld(.purposeNotAllowed, unlock: .contractChange))
            case .conditional(let index):
                let stated = conditions[index]
                guard row.purposes & stated.purposes & purposeBit != 0 else {
                    items.append(.withheld(.purposeNotAllowed, unlock: .contractChange))
                    continue
                }
                guard stated.consentRequired else {
                    items.append(disclosed)
                    continue
                }
                let reason = consentBlock ?? consent.flatMap {
                    scopeProblem($0, item: item.index, categoryScope: stated.categoryScope, purposeBit: purposeBit)
                }
                items.append(reason.map {
                    .withheld($0, unlock: .consent(item: itemIDs[item.index], purpose: purposeIDs[request.purpose.index]))
                } ?? disclosed)
            }
        }
        return Decision(contractVersion: row.version, items: items)
    }

    private func requestLevelDecision(_ request: DecisionRequest, _ row: Row) -> ItemDecision? {
        if request.partnerState != .active {
            return .withheld(.partnerSuspended, unlock: .reinstatement)
        }
        let now = request.at.timeIntervalSince1970
        if now < row.termStart {
            return .withheld(.contractNotActive, unlock: .contractTerm(startsOn: row.termStartDay))
        }
        if now >= row.termEnd {
            return .withheld(.contractNotActive, unlock: .contractChange)
        }
        guard let usage = request.quotaUsage else { return nil }
        let today = CivilDate(request.at)
        if let perMonth = row.quotas.perMonth, usage.thisMonth >= perMonth {
            return .withheld(.quotaExhausted, unlock: .nextQuotaPeriod(startsOn: today.firstDayOfNextMonth))
        }
        if let perDay = row.quotas.perDay, usage.today >= perDay {
            return .withheld(.quotaExhausted, unlock: .nextQuotaPeriod(startsOn: today.adding(days: 1)))
        }
        return nil
    }

    /// `consent` reduced to bit sets over this engine's purposes, items and categories.
    public func compile(_ consent: Consent) -> CompiledConsent {
        func bits(_ ids: [String], count: Int, index: (String) -> Int?) -> [UInt64] {
            var words = [UInt64](repeating: 0, count: (count + 63) / 64)
            for id in ids {
                guard let position = index(id) else { continue }
                words[position >> 6] |= 1 << UInt64(position & 63)
            }
            return words
        }
        return CompiledConsent(
            consent,
            purposes: consent.purposes.reduce(0) { mask, id in purposeIndices[id].map { mask | 1 << UInt64($0) } ?? mask },
            items: bits(consent.items, count: itemIDs.count) { itemIndices[$0] },
            categories: bits(consent.categories, count: categoryIndices.count) { categoryIndices[$0] }
        )
    }

    /// `.consentOutOfScope` unless a usable consent names the item (or its category, where the contract
    /// accepts category scope) and the purpose.
    private func scopeProblem(_ consent: CompiledConsent, item: Int, categoryScope: Bool, purposeBit: UInt64) -> WithholdReason? {
        let named = consent.names(item: item) || categoryScope && consent.names(category: itemCategories[item])
        guard named, consent.purposes & purposeBit != 0 else { return .consentOutOfScope }
        return nil
    }
}
