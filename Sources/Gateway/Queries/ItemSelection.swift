import BrokerCore

/// The purpose and the items a request asks for, checked against the purpose catalog and the data
/// catalog: `"purpose": id` and exactly one of `"items": [id…]` and `"bundle": category id`
/// (every catalog item of that category about the request's kinds of subject).
///
/// Shared by `POST /v1/queries` and `POST /v1/batch-reviews`.
struct ItemSelection: Sendable {
    let purpose: DecisionEngine.Purpose
    let purposeID: String
    let itemIDs: [String]
    let items: [DecisionEngine.Item]

    /// - Parameter kinds: the kinds of subject the request is about (a bundle takes their items).
    init(
        purpose purposeID: String?, items requested: [String]?, bundle: String?, kinds: Set<SubjectKind>,
        engine: DecisionEngine, catalog: Catalog
    ) throws(Problem) {
        guard let purposeID, let purpose = engine.purpose(purposeID) else {
            throw .invalidRequest("purpose", purposeID == nil ? "purpose is required." : "purpose is not in the purpose catalog.")
        }
        self.purpose = purpose
        self.purposeID = purposeID
        switch (requested, bundle) {
        case (let requested?, nil):
            guard !requested.isEmpty else { throw .invalidRequest("items", "items must name at least one catalog item.") }
            var seen = Set<String>()
            for (index, id) in requested.enumerated() {
                guard engine.item(id) != nil else { throw .invalidRequest("items[\(index)]", "'\(id)' is not a catalog item.") }
                guard seen.insert(id).inserted else { throw .invalidRequest("items[\(index)]", "'\(id)' is listed twice.") }
            }
            itemIDs = requested
        case (nil, let bundle?):
            guard catalog.category(bundle) != nil else { throw .invalidRequest("bundle", "'\(bundle)' is not a catalog category.") }
            itemIDs = catalog.items.filter { $0.category == bundle && kinds.contains($0.subject) }.map(\.id)
            guard !itemIDs.isEmpty else {
                throw .invalidRequest("bundle", "category '\(bundle)' has no items about this kind of subject.")
            }
        default:
            throw .invalidRequest("items", "give exactly one of items and bundle.")
        }
        items = itemIDs.map { engine.item($0)! }
    }
}
