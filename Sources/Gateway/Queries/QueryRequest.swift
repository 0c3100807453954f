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
        subject = try body.subject(today: today)
        consentID = try ItemSelection.consentID(body.string("consent_id"))
        selection = try ItemSelection(body, kinds: [subject.kind], engine: engine, catalog: catalog)
    }
}
