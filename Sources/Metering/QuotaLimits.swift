import BrokerCore

/// A partner's request quotas; `nil` is unlimited.
public struct QuotaLimits: Sendable, Hashable {
    public var perDay: Int?
    public var perMonth: Int?

    public init(perDay: Int?, perMonth: Int?) {
        self.perDay = perDay
        self.perMonth = perMonth
    }

    /// The quotas of a contract.
    public init(_ quotas: Contract.Quotas) {
        self.init(perDay: quotas.perDay, perMonth: quotas.perMonth)
    }
}
