import BrokerCore

/// The body of `POST /v1/scores`: `{"subject": USCC, "purpose": id, "consent_id": id?}`.
///
/// Scores cover organisations. The subject travels in the body, never in the URL, and never
/// appears in a problem.
struct ScoreRequest: Sendable {
    let subject: UnifiedSocialCreditCode
    let purpose: DecisionEngine.Purpose
    let purposeID: String
    let consentID: String?

    init(json: some Collection<UInt8>, engine: DecisionEngine) throws(Problem) {
        let body = try RequestBody(json)
        guard let subjectText = try body.string("subject"), !subjectText.isEmpty else {
            throw .invalidRequest("subject", "subject is required.")
        }
        do {
            subject = try UnifiedSocialCreditCode(subjectText)
        } catch {
            throw .invalidRequest("subject", "subject is not a valid unified social credit code (scores cover organisations).")
        }
        (purpose, purposeID) = try ItemSelection.purpose(body.string("purpose"), engine: engine)
        consentID = try ItemSelection.consentID(body.string("consent_id"))
    }
}
