import BrokerCore
import Crypto
import Foundation

/// One partner's statement of one month (China time), as `billing close` writes it once and every
/// reader gets it: its canonical JSON (`document`) is stored and served byte for byte, and its
/// SHA-256 is the statement's identity, which the partner's next statement cites.
///
/// Amounts are `Money` (exact fen, written as yuan with two decimals); counts are whole numbers.
public struct Statement: Sendable, Hashable, Codable {
    public enum LineKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Billable calls of one route, under one contract version, in one volume band.
        case calls
        /// Disclosures of one item in billed answers of one route, under one contract version.
        case items
        /// Batch-review subjects billed, under one contract version.
        case batchSubjects = "batch_subjects"
        /// A correction of an earlier month, approved by a second administrator.
        case adjustment
    }

    public struct Line: Sendable, Hashable, Codable {
        /// 1, 2, … in the order printed.
        public var line: Int
        public var kind: LineKind
        /// The meter ledger's route (`POST /v1/queries`); absent for an adjustment.
        public var route: String?
        /// `partner@label#digest12`: the contract version, hence the rate plan, in force.
        public var contractVersion: String?
        /// `calls`: the band of the month's billable calls (`1-100`, `1001-`).
        public var band: String?
        /// `items`: the item disclosed.
        public var item: String?
        public var quantity: Int
        public var unitPrice: Money?
        public var amount: Money
        /// `adjustment`: its number, the month it corrects, why, and the approving administrator.
        public var adjustment: Int64?
        public var corrects: CivilMonth?
        public var reason: String?
        public var approvedBy: String?

        enum CodingKeys: String, CodingKey {
            case line, kind, route, contractVersion = "contract_version", band, item, quantity, unitPrice = "unit_price", amount
            case adjustment, corrects, reason, approvedBy = "approved_by"
        }
    }

    /// Why a metered call is not billed.
    public enum Unbilled: String, Sendable, Hashable, Codable, CaseIterable {
        /// Answered with an error status (4xx, 5xx): nothing was delivered.
        case failed
        /// A billable route's answer that disclosed nothing (every item withheld).
        case withheldOnly = "withheld_only"
        /// A route no plan prices (consents, the change feed, usage, statements, …).
        case notBillable = "not_billable"
    }

    /// Metered calls of one route not billed, and why.
    public struct UnbilledCalls: Sendable, Hashable, Codable {
        public var route: String
        public var reason: Unbilled
        public var calls: Int
    }

    /// The month's metered calls: every one is either billed or counted as not billed, so the sum
    /// is what the partner's `GET /v1/usage` counts for the month's days.
    public struct Calls: Sendable, Hashable, Codable {
        public var metered: Int
        /// Billable calls and batch-review subjects billed.
        public var billed: Int
        public var unbilled: Int
    }

    /// The meter events the statement covers: how many, and the digest `BillingStore.eventsDigest` defines.
    public struct Events: Sendable, Hashable, Codable {
        public var count: Int
        public var sha256: String
    }

    /// A contract version whose events the statement prices, with its plan in one line.
    public struct Plan: Sendable, Hashable, Codable {
        public var contractVersion: String
        public var plan: String

        enum CodingKeys: String, CodingKey { case contractVersion = "contract_version", plan }
    }

    public var partner: String
    public var month: CivilMonth
    /// The month's first and last day; its instants are China time's (UTC+08:00).
    public var from: CivilDate
    public var to: CivilDate
    public var currency: String
    public var plans: [Plan]
    public var lines: [Line]
    public var notBilled: [UnbilledCalls]
    public var calls: Calls
    public var total: Money
    public var events: Events
    /// The SHA-256 of the partner's previous statement; `nil` for its first.
    public var previousStatement: String?
    /// RFC 3339, China time.
    public var closedAt: String

    enum CodingKeys: String, CodingKey {
        case partner, month, from, to, currency, plans, lines, notBilled = "not_billed", calls, total, events
        case previousStatement = "previous_statement", closedAt = "closed_at"
    }

    /// The statement's canonical JSON: sorted keys, no insignificant whitespace.
    public var document: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers and arrays of them: encoding cannot fail.
        return try! encoder.encode(self)
    }

    /// The SHA-256 of `document`, 64 lowercase hex digits.
    public static func sha256(of document: Data) -> String {
        SHA256.hash(data: document).lowercaseHex
    }

    /// Reads a stored document.
    public init(document: Data) throws {
        self = try JSONDecoder().decode(Statement.self, from: document)
    }

    public init(
        partner: String, month: CivilMonth, plans: [Plan], lines: [Line], notBilled: [UnbilledCalls], calls: Calls, total: Money,
        events: Events, previousStatement: String?, closedAt: Date
    ) {
        self.partner = partner
        self.month = month
        from = month.firstDay
        to = month.lastDay
        currency = Money.currency
        self.plans = plans
        self.lines = lines
        self.notBilled = notBilled
        self.calls = calls
        self.total = total
        self.events = events
        self.previousStatement = previousStatement
        self.closedAt = closedAt.chinaRFC3339
    }
}
