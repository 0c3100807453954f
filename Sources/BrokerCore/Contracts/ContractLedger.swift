import Foundation

/// Every activated version of every partner's contract and every change of a partner's status:
/// from them, and an instant, the one rule for which contract governs each partner then.
///
/// Pure: the contract store reads the ledger from the database (`contract_versions`,
/// `partner_status_changes`), the contract files make one whose versions are all in effect from
/// the beginning of time (`ContractSet.governing(on:)`), and the gateway's snapshot, `contracts
/// show --on`, the admin API's history and the what-if replay all ask the same `governing(at:)`.
public struct ContractLedger: Sendable, Hashable {
    /// One activated version: a contract and the instant from which it may govern.
    public struct Version: Sendable, Hashable {
        /// Activation order (`contract_versions.id`); later wins a tie.
        public let id: Int64
        public let contract: Contract
        /// The version may govern from this instant (its approval, or a later instant the proposal named).
        public let effectiveFrom: Date

        public init(id: Int64, contract: Contract, effectiveFrom: Date) {
            self.id = id
            self.contract = contract
            self.effectiveFrom = effectiveFrom
        }
    }

    /// A change of a partner's administrative status, in force from `at`.
    public struct StatusChange: Sendable, Hashable {
        public let id: Int64
        public let partnerID: String
        public let status: PartnerStatus
        public let at: Date

        public init(id: Int64, partnerID: String, status: PartnerStatus, at: Date) {
            self.id = id
            self.partnerID = partnerID
            self.status = status
            self.at = at
        }
    }

    public let versions: [Version]
    public let statusChanges: [StatusChange]

    public init(versions: [Version], statusChanges: [StatusChange] = []) {
        self.versions = versions.sorted { ($0.contract.partnerID, $0.effectiveFrom, $0.id) < ($1.contract.partnerID, $1.effectiveFrom, $1.id) }
        self.statusChanges = statusChanges.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }

    /// Every partner that has a version, sorted.
    public var partnerIDs: [String] {
        var seen: [String] = []
        for version in versions where seen.last != version.contract.partnerID { seen.append(version.contract.partnerID) }
        return seen
    }

    /// The version of each partner that governs requests at `instant`, by partner id.
    ///
    /// Among the partner's versions in effect by then (`effectiveFrom <= instant`): the one whose
    /// term contains the day (China time), the latest to take effect if several do (an amendment
    /// replaces what it amends); else the next to start (requests are withheld as
    /// `contract_not_active` until it does); else the last to have ended. A partner none of whose
    /// versions is in effect yet has no contract.
    public func governing(at instant: Date) -> [Version] {
        let day = CivilDate(instant)
        var result: [Version] = []
        var index = versions.startIndex
        while index < versions.endIndex {
            let partner = versions[index].contract.partnerID
            var end = index
            while end < versions.endIndex, versions[end].contract.partnerID == partner { end += 1 }
            let effective = versions[index..<end].filter { $0.effectiveFrom <= instant }
            if let chosen = Self.governing(effective, on: day) { result.append(chosen) }
            index = end
        }
        return result
    }

    /// The rule of `governing(at:)` for one partner's versions already in effect (sorted by
    /// effect, then id).
    static func governing(_ effective: [Version], on day: CivilDate) -> Version? {
        if let inForce = effective.last(where: { $0.contract.term.contains(day) }) { return inForce }
        let upcoming = effective.filter { day < $0.contract.term.from }
        if let start = upcoming.map(\.contract.term.from).min() {
            return upcoming.last { $0.contract.term.from == start }
        }
        let ended = effective.filter { $0.contract.term.to < day }
        guard let end = ended.map(\.contract.term.to).max() else { return nil }
        return ended.last { $0.contract.term.to == end }
    }

    /// The status of `partnerID` at `instant` (`active` unless changed).
    public func status(of partnerID: String, at instant: Date) -> PartnerStatus {
        statusChanges.last { $0.partnerID == partnerID && $0.at <= instant }?.status ?? .active
    }

    /// Every partner's status at `instant`, for those not `active`.
    public func statuses(at instant: Date) -> [String: PartnerStatus] {
        var statuses: [String: PartnerStatus] = [:]
        for change in statusChanges where change.at <= instant { statuses[change.partnerID] = change.status }
        return statuses.filter { $0.value != .active }
    }

    /// The first instant after `instant` at which `governing(at:)` or a status may answer
    /// differently by the passing of time alone: a version taking effect, a term starting, a term
    /// ending (midnight China time), a status change dated later. `nil` if none is ahead.
    public func nextTransition(after instant: Date) -> Date? {
        var next: Date?
        func consider(_ candidate: Date) {
            if candidate > instant, next.map({ candidate < $0 }) ?? true { next = candidate }
        }
        for version in versions {
            consider(version.effectiveFrom)
            consider(version.contract.term.from.start())
            consider(version.contract.term.to.adding(days: 1).start())
        }
        for change in statusChanges { consider(change.at) }
        return next
    }
}

/// A partner's administrative status, kept outside its contract (`partner_status_changes`).
public enum PartnerStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Served under its contract.
    case active
    /// Every credential refused until reinstated (the kill switch).
    case suspended
    /// No longer a partner: every credential refused for good.
    case retired
}
