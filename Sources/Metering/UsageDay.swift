import BrokerCore

/// A partner's metered usage on one day (China time), for `GET /v1/usage`.
public struct UsageDay: Sendable, Hashable, Codable {
    /// One data item's counts on the day.
    public struct Item: Sendable, Hashable, Codable {
        public let item: String
        /// Times the item was disclosed.
        public let disclosed: Int
        /// Times the item was asked for and withheld.
        public let withheld: Int
    }

    public let day: CivilDate
    /// Metered requests.
    public let calls: Int
    /// By item id, sorted.
    public let items: [Item]
}
