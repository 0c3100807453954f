import BrokerCore

/// The purpose and the items a request asks for, checked against the purpose catalog and the data
/// catalog: `"purpose": id` and exactly one of `"items": [id…]` and `"bundle": category id`
/// (every catalog item of that category about the request's kinds of subject).
///
/// Shared by `POST /v1/queries` and `POST /v1/batch-reviews`; its `purpose` and `consentID` checks
/// also serve `POST /v1/scores`.
struct ItemSelection: Sendable {
    let purpose: DecisionEngine.Purpose
    let purposeID: String
    let itemIDs: [String]
    let items: [DecisionEngine.Item]

    /// Reads `purpose`, `items` and `bundle` from `body`.
    ///
    /// - Parameters:
    ///   - kinds: the kinds of subject the request is about (a bundle takes their items).
    ///   - allWhenAbsent: with neither `items` nor `bundle`, every catalog item about those kinds (a
    ///     report's default) instead of a 400.
    init(_ body: RequestBody, kinds: Set<SubjectKind>, engine: DecisionEngine, catalog: Catalog, allWhenAbsent: Bool = false) throws(Problem) {
        (purpose, purposeID) = try Self.purpose(body.string("purpose"), engine: engine)
        switch try (body.strings("items", of: "item ids"), body.string("bundle")) {
        case (let requested?, nil):
            guard !requested.isEmpty else { throw .invalidRequest("items", "items must name at least one catalog item.") }
            var seen = Set<String>()
            for (index, id) in requested.enumerated() {
                guard engine.item(id) != nil else { throw .invalidRequest("items[\(index)]", "items[\(index)] is not a catalog item id.") }
                guard seen.insert(id).inserted else {
                    throw .invalidRequest("items[\(index)]", "items[\(index)] repeats an item listed before it; list each item once.")
                }
            }
            itemIDs = requested
        case (nil, let bundle?):
            guard catalog.category(bundle) != nil else { throw .invalidRequest("bundle", "bundle is not a catalog category id.") }
            itemIDs = catalog.items.filter { $0.category == bundle && kinds.contains($0.subject) }.map(\.id)
            guard !itemIDs.isEmpty else {
                throw .invalidRequest("bundle", "The bundle's category has no items about this kind of subject.")
            }
        case (nil, nil) where allWhenAbsent:
            itemIDs = catalog.items.filter { kinds.contains($0.subject) }.map(\.id)
        default:
            throw .invalidRequest("items", allWhenAbsent ? "give at most one of items and bundle." : "give exactly one of items and bundle.")
        }
        items = itemIDs.map { engine.item($0)! }
    }

    /// The request's `purpose`, which must be in the purpose catalog.
    static func purpose(_ id: String?, engine: DecisionEngine) throws(Problem) -> (DecisionEngine.Purpose, String) {
        guard let id, let purpose = engine.purpose(id) else {
            throw .invalidRequest("purpose", id == nil ? "purpose is required." : "purpose is not in the purpose catalog.")
        }
        return (purpose, id)
    }

    /// The request's optional `consent_id`: 1 to 64 characters when present.
    static func consentID(_ text: String?) throws(Problem) -> String? {
        if let text, text.isEmpty || text.count > 64 {
            throw .invalidRequest("consent_id", "consent_id must be 1 to 64 characters.")
        }
        return text
    }
}
