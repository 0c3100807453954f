import BrokerCore

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

    init(json: some Collection<UInt8>, engine: DecisionEngine, catalog: Catalog, today: CivilDate = .today()) throws(Problem) {
        let body = try RequestBody(json)
        guard let subjectText = try body.string("subject"), !subjectText.isEmpty else {
            throw .invalidRequest("subject", "subject is required.")
        }
        do {
            subject = try SubjectIdentifier(subjectText, today: today)
        } catch {
            throw .invalidRequest("subject", "subject is neither a valid unified social credit code nor a valid resident ID number.")
        }
        consentID = try ItemSelection.consentID(body.string("consent_id"))
        selection = try ItemSelection(body, kinds: [subject.kind], engine: engine, catalog: catalog)
    }
}
