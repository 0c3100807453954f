/// A group of data items, named by consents and by contracts' category-wide classes.
public struct DataCategory: Sendable, Hashable {
    /// Stable identifier, e.g. `sanctions`.
    public let id: String
    /// Chinese and English name.
    public let title: String
}
