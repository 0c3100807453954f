import BrokerCore

/// The body of `POST /v1/queries` (and of `POST /v1/reports`), checked field by field against the
/// catalog and the purposes.
///
/// `{"subject": USCC or resident ID number, "purpose": id, "consent_id": id?, "items": [id…]}` or
/// `"bundle": category id` instead of `items` (every catalog item of that category and the subject's kind).
/// The subject travels in the body, never in the URL, and never appears in a problem.
struct QueryRequest: Sendable {
    let subject: SubjectIdentifier
    let consentID: String?
    /// The purpose and the items.
    let selection: ItemSelection

    /// - Parameter allItemsByDefault: a body with neither `items` nor `bundle` asks for every catalog
    ///   item about the subject's kind (`POST /v1/reports`).
    init(
        json: some Collection<UInt8>, engine: DecisionEngine, catalog: Catalog, today: CivilDate = .today(), allItemsByDefault: Bool = false
    ) throws(Problem) {
        let body = try RequestBody(json)
        subject = try body.subject(today: today)
        consentID = try ItemSelection.consentID(body.string("consent_id"))
        selection = try ItemSelection(body, kinds: [subject.kind], engine: engine, catalog: catalog, allWhenAbsent: allItemsByDefault)
    }
}
