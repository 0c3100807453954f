import BrokerCore
import Foundation

/// The body of `POST /v1/queries`, checked field by field against the catalog and the purposes.
///
/// `{"subject": USCC or resident ID number, "purpose": id, "consent_id": id?, "items": [id…]}` or
/// `"bundle": category id` instead of `items` (every catalog item of that category and the subject's kind).
/// The subject travels in the body, never in the URL, and never appears in a problem.
struct QueryRequest: Sendable {
    let subject: SubjectIdentifier
    let consentID: String?
    /// The purpose and the items.
    let selection: ItemSelection

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
            throw .invalidRequest("body", "The body is not a JSON object with string fields subject, purpose, consent_id and an items array.")
        }
        guard let subjectText = body.subject, !subjectText.isEmpty else { throw .invalidRequest("subject", "subject is required.") }
        do {
            subject = try SubjectIdentifier(subjectText, today: today)
        } catch {
            throw .invalidRequest("subject", "subject is neither a valid unified social credit code nor a valid resident ID number.")
        }
        consentID = try ItemSelection.consentID(body.consentID)
        selection = try ItemSelection(
            purpose: body.purpose, items: body.items, bundle: body.bundle, kinds: [subject.kind], engine: engine, catalog: catalog
        )
    }
}
