/// A provider of records: the public credit platform or a market-data firm.
public struct DataSource: Sendable, Hashable {
    /// Whether the data is public-platform data or bought from the market.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case `public`
        case market
    }

    /// Stable identifier, e.g. `jiangsu_public_credit`.
    public let id: String
    /// Chinese and English name.
    public let title: String
    public let kind: Kind
}
