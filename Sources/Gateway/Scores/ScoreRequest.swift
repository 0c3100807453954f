import BrokerCore
import Foundation

/// The body of `POST /v1/scores`: `{"subject": USCC, "purpose": id, "consent_id": id?}`.
///
/// Scores cover organisations. The subject travels in the body, never in the URL, and never
/// appears in a problem.
struct ScoreRequest: Sendable {
    let subject: UnifiedSocialCreditCode
    let purpose: DecisionEngine.Purpose
    let purposeID: String
    let consentID: String?

    private struct Body: Decodable {
        let subject: String?
        let purpose: String?
        let consentID: String?

        enum CodingKeys: String, CodingKey { case subject, purpose, consentID = "consent_id" }
    }

    init(json: Data, engine: DecisionEngine) throws(Problem) {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: json)
        } catch {
            throw .invalidRequest("body", "The body is not a JSON object with string fields subject, purpose and consent_id.")
        }
        guard let subjectText = body.subject, !subjectText.isEmpty else { throw .invalidRequest("subject", "subject is required.") }
        do {
            subject = try UnifiedSocialCreditCode(subjectText)
        } catch {
            throw .invalidRequest("subject", "subject is not a valid unified social credit code (scores cover organisations).")
        }
        (purpose, purposeID) = try ItemSelection.purpose(body.purpose, engine: engine)
        consentID = try ItemSelection.consentID(body.consentID)
    }
}
