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
            throw Self.invalid("body", "The body is not a JSON object with string fields subject, purpose and consent_id.")
        }
        guard let subjectText = body.subject, !subjectText.isEmpty else { throw Self.invalid("subject", "subject is required.") }
        do {
            subject = try UnifiedSocialCreditCode(subjectText)
        } catch {
            throw Self.invalid("subject", "subject is not a valid unified social credit code (scores cover organisations).")
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
    }

    private static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem("invalid-request", title: "Invalid request", status: .badRequest, detail: detail, field: field)
    }
}
