import BrokerCore
import Foundation

/// The body of `POST /v1/queries`, checked field by field against the catalog and the purposes.
///
/// `{"subject": USCC or resident ID number, "purpose": id, "consent_id": id?, "items": [id…]}` or
/// `"bundle": category id` instead of `items` (every catalog item of that category and the subject's kind).
/// The subject travels in the body, never in the URL, and never appears in a problem.
struct QueryRequest: Sendable {
    let subject: SubjectIdentifier
    let purpose: DecisionEngine.Purpose
    let purposeID: String
    let consentID: String?
    let itemIDs: [String]
    let items: [DecisionEngine.Item]

    private struct Body: Decodable {
        let subject: String?
        let purpose: String?
        let consentID: String?
        let items: [String]?
        let bundle: String?

        enum CodingKeys: String, CodingKey { case subject, purpose, consentID = "consent_id", items, bundle }
    }

    init(json: Data, engine: DecisionEngine, catalog: Catalog, today: CivilDate = .today()) throws(Problem) {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: json)
        } catch {
            throw Self.invalid("body", "The body is not a JSON object with string fields subject, purpose, consent_id and an items array.")
        }
        guard let subjectText = body.subject, !subjectText.isEmpty else { throw Self.invalid("subject", "subject is required.") }
        do {
            subject = try SubjectIdentifier(subjectText, today: today)
        } catch {
            throw Self.invalid("subject", "subject is neither a valid unified social credit code nor a valid resident ID number.")
        }
        guard let purposeID = body.purpose, let purpose = engine.purpose(purposeID) else {
            throw Self.invalid("purpose", body.purpose == nil ? "purpose is required." : "purpose is not in the purpose catalog.")
        }
        self.purpose = purpose
        self.purposeID = purposeID
        if let consent = body.consentID, consent.isEmpty || consent.count > 64 {
            throw Self.invalid("consent_id", "consent_id must be 1 to 64 characters.")
        }
        consentID = body.consentID
        switch (body.items, body.bundle) {
        case (let items?, nil):
            guard !items.isEmpty else { throw Self.invalid("items", "items must name at least one catalog item.") }
            var seen = Set<String>()
            for (index, id) in items.enumerated() {
                guard engine.item(id) != nil else { throw Self.invalid("items[\(index)]", "'\(id)' is not a catalog item.") }
                guard seen.insert(id).inserted else { throw Self.invalid("items[\(index)]", "'\(id)' is listed twice.") }
            }
            itemIDs = items
        case (nil, let bundle?):
            guard catalog.category(bundle) != nil else { throw Self.invalid("bundle", "'\(bundle)' is not a catalog category.") }
            let kind = subject.kind
            itemIDs = catalog.items.filter { $0.category == bundle && $0.subject == kind }.map(\.id)
            guard !itemIDs.isEmpty else { throw Self.invalid("bundle", "category '\(bundle)' has no items about this kind of subject.") }
        default:
            throw Self.invalid("items", "give exactly one of items and bundle.")
        }
        items = itemIDs.map { engine.item($0)! }
    }

    private static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem("invalid-request", title: "Invalid request", status: .badRequest, detail: detail, field: field)
    }
}
