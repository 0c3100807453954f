import BrokerCore
import Foundation

/// One partner's metered month as the statement prices it: counts drawn from the meter ledger,
/// keyed by route and contract digest (the version each call was answered under).
public struct MonthUsage: Sendable, Hashable {
    public struct Calls: Sendable, Hashable {
        public var route: String
        public var digest: String
        /// The index of the band in the plan's `callBands`.
        public var band: Int
        public var count: Int
    }

    public struct Items: Sendable, Hashable {
        public var route: String
        public var digest: String
        public var item: String
        public var count: Int
    }

    public struct Subjects: Sendable, Hashable {
        public var route: String
        public var digest: String
        public var count: Int
    }

    public struct Unbilled: Sendable, Hashable {
        public var route: String
        public var reason: Statement.Unbilled
        public var count: Int
    }

    public var calls: [Calls] = []
    public var items: [Items] = []
    public var batchSubjects: [Subjects] = []
    public var unbilled: [Unbilled] = []
    /// The contract digests the month's events were answered under, by their first event.
    public var digests: [String] = []
    public var events = MonthUsage.noEvents

    /// No events, and the digest of none (computed once, not per value).
    static let noEvents = Statement.Events(count: 0, sha256: BillingStore.eventsDigest(days: []))

    public init() {}
}

/// Prices a month's usage by the plans of the contract versions it was answered under.
public enum StatementPricing {
    /// Why usage cannot be priced.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// An event names a contract digest the ledger does not hold.
        case unknownVersion(partner: String, digest: String)
        /// An amount beyond a 64-bit count of fen.
        case overflow(partner: String)

        public var description: String {
            switch self {
            case let .unknownVersion(partner, digest):
                "meter events of \(partner) name contract version #\(digest.prefix(12)), which the contract ledger does not hold"
            case let .overflow(partner): "\(partner)'s amounts exceed what a 64-bit count of fen holds"
            }
        }
    }

    /// The statement of `usage`, with each line priced by the plan of its contract version, the
    /// adjustments after, and the total.
    public static func statement(
        partner: String, month: CivilMonth, usage: MonthUsage, contracts: [String: Contract], adjustments: [BillingAdjustment],
        previous: String?, closedAt: Date
    ) throws(Failure) -> Statement {
        var versions: [String: (order: Int, contract: Contract)] = [:]
        for (order, digest) in usage.digests.enumerated() {
            guard let contract = contracts[digest] else { throw .unknownVersion(partner: partner, digest: digest) }
            versions[digest] = (order, contract)
        }
        let named = usage.calls.map(\.digest) + usage.batchSubjects.map(\.digest) + usage.items.map(\.digest)
        if let unknown = named.first(where: { versions[$0] == nil }) { throw .unknownVersion(partner: partner, digest: unknown) }
        func order(_ digest: String) -> Int { versions[digest]!.order }
        func contract(_ digest: String) -> Contract { versions[digest]!.contract }
        var lines: [Statement.Line] = []
        do {
            for calls in usage.calls.sorted(by: { (a, b) in (a.route, order(a.digest), a.band) < (b.route, order(b.digest), b.band) }) {
                let bands = contract(calls.digest).prices.callBands
                guard bands.indices.contains(calls.band) else { throw Failure.unknownVersion(partner: partner, digest: calls.digest) }
                let band = bands[calls.band]
                lines.append(Statement.Line(
                    line: 0, kind: .calls, route: calls.route, contractVersion: contract(calls.digest).version.description, band: band.name,
                    quantity: calls.count, unitPrice: band.price, amount: try band.price.times(calls.count)
                ))
            }
            for subjects in usage.batchSubjects.sorted(by: { (a, b) in (a.route, order(a.digest)) < (b.route, order(b.digest)) }) {
                let price = contract(subjects.digest).prices.batchSubjectPrice
                lines.append(Statement.Line(
                    line: 0, kind: .batchSubjects, route: subjects.route, contractVersion: contract(subjects.digest).version.description,
                    quantity: subjects.count, unitPrice: price, amount: try price.times(subjects.count)
                ))
            }
            for items in usage.items.sorted(by: { (a, b) in (a.route, order(a.digest), a.item) < (b.route, order(b.digest), b.item) }) {
                let price = contract(items.digest).prices.itemPrice(items.item)
                lines.append(Statement.Line(
                    line: 0, kind: .items, route: items.route, contractVersion: contract(items.digest).version.description, item: items.item,
                    quantity: items.count, unitPrice: price, amount: try price.times(items.count)
                ))
            }
            for adjustment in adjustments.sorted(by: { $0.id < $1.id }) {
                lines.append(Statement.Line(
                    line: 0, kind: .adjustment, quantity: 1, amount: adjustment.amount, adjustment: adjustment.id, corrects: adjustment.corrects,
                    reason: adjustment.reason, approvedBy: adjustment.decidedBy?.subject
                ))
            }
            for index in lines.indices { lines[index].line = index + 1 }
            let billed = usage.calls.reduce(0) { $0 + $1.count } + usage.batchSubjects.reduce(0) { $0 + $1.count }
            let unbilled = usage.unbilled.reduce(0) { $0 + $1.count }
            return Statement(
                partner: partner, month: month,
                plans: usage.digests.map { Statement.Plan(contractVersion: contract($0).version.description, plan: contract($0).prices.summary) },
                lines: lines,
                notBilled: usage.unbilled.sorted { ($0.route, $0.reason.rawValue) < ($1.route, $1.reason.rawValue) }
                    .map { Statement.UnbilledCalls(route: $0.route, reason: $0.reason, calls: $0.count) },
                calls: Statement.Calls(metered: billed + unbilled, billed: billed, unbilled: unbilled),
                total: try Money.sum(lines.map(\.amount)), events: usage.events, previousStatement: previous, closedAt: closedAt
            )
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .overflow(partner: partner)
        }
    }
}
