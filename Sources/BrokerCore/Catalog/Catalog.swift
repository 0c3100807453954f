/// The data catalog (`Policies/catalog.yaml`): every data item the broker serves, defined once.
public struct Catalog: Sendable, Hashable {
    /// The catalog's own version label, e.g. `2026-11-26.1`.
    public let version: String
    public let sources: [DataSource]
    public let categories: [DataCategory]
    /// Penalty disclosure regimes in decision-date order.
    public let penaltyRegimes: [PenaltyRegime]
    /// The items in catalog order; an item's position is its stable index for this catalog.
    public let items: [DataItem]
    private let itemIndices: [String: Int]

    init(version: String, sources: [DataSource], categories: [DataCategory], penaltyRegimes: [PenaltyRegime], items: [DataItem]) {
        self.version = version
        self.sources = sources
        self.categories = categories
        self.penaltyRegimes = penaltyRegimes
        self.items = items
        self.itemIndices = Dictionary(items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The position of the item `id` in `items`.
    public func index(ofItem id: String) -> Int? { itemIndices[id] }

    /// The item `id`.
    public func item(_ id: String) -> DataItem? { itemIndices[id].map { items[$0] } }

    /// The category `id`.
    public func category(_ id: String) -> DataCategory? { categories.first { $0.id == id } }

    /// Whether `record` of `item` may be disclosed on `today`, under this catalog's penalty regimes.
    public func disclosure(of record: RecordDisclosureFacts, item: DataItem, on today: CivilDate) -> DisclosureVerdict {
        item.disclosure.verdict(for: record, on: today, regimes: penaltyRegimes)
    }
}
