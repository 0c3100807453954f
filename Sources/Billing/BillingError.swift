import BrokerCore

/// Why a billing step is refused: a stable code, the field at fault where one is, and a reason that
/// names what is wrong (never a personal identifier: billing holds none).
public struct BillingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The month has not ended (and its grace passed) yet: its events may still arrive.
        case monthNotOver = "month-not-over"
        /// A later month is closed: months close in order.
        case laterMonthClosed = "later-month-closed"
        /// An earlier month that holds metered calls is not closed: closing this one first would
        /// leave those calls unbillable for good.
        case earlierMonthOpen = "earlier-month-open"
        /// The month is not closed (an adjustment corrects a closed month).
        case monthNotClosed = "month-not-closed"
        /// The ledger's events cannot be priced (a version the ledger lacks, an overflow).
        case unpriceable
        case unknownPartner = "unknown-partner"
        case unknownAdjustment = "unknown-adjustment"
        case alreadyDecided = "already-decided"
        /// The proposer may not approve their own adjustment.
        case ownAdjustment = "own-adjustment"
    }

    public let code: Code
    public let field: String?
    public let reason: String

    init(_ code: Code, field: String? = nil, _ reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String { reason }
}
