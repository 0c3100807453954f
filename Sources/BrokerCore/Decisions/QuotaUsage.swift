/// Requests a partner has made in the current quota periods (China time), before this one.
public struct QuotaUsage: Sendable, Hashable {
    public var today: Int
    public var thisMonth: Int

    public init(today: Int, thisMonth: Int) {
        self.today = today
        self.thisMonth = thisMonth
    }
}
