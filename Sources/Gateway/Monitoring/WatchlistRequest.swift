import BrokerCore
import Foundation

/// The body of `POST /v1/watchlist`: `{"purpose": "post_loan_monitoring", "subjects": [USCC or ID number…]}`,
/// 1 to 10,000 subjects, checked one by one; a subject never appears in a problem.
struct WatchlistRequest: Sendable {
    static let maximumSubjects = 10_000

    /// The subjects, in request order, repeats removed.
    let subjects: [SubjectIdentifier]

    private struct Body: Decodable {
        let purpose: String?
        let subjects: [String]?
    }

    init(json: Data, today: CivilDate = .today()) throws(Problem) {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: json)
        } catch {
            throw Self.invalid("body", "The body is not a JSON object with a string purpose and a subjects array of strings.")
        }
        guard let purpose = body.purpose else { throw Self.invalid("purpose", "purpose is required.") }
        guard purpose == FeedService.monitoringPurpose else {
            throw Self.invalid("purpose", "purpose must be \(FeedService.monitoringPurpose).")
        }
        guard let texts = body.subjects, !texts.isEmpty else { throw Self.invalid("subjects", "subjects must name at least one subject.") }
        guard texts.count <= Self.maximumSubjects else {
            throw Self.invalid("subjects", "subjects may name at most \(Self.maximumSubjects) subjects per call.")
        }
        var seen = Set<SubjectIdentifier>()
        var subjects: [SubjectIdentifier] = []
        for (index, text) in texts.enumerated() {
            guard let subject = try? SubjectIdentifier(text, today: today) else {
                throw Self.invalid("subjects[\(index)]", "not a valid unified social credit code or resident ID number.")
            }
            if seen.insert(subject).inserted { subjects.append(subject) }
        }
        self.subjects = subjects
    }

    private static func invalid(_ field: String, _ detail: String) -> Problem {
        Problem("invalid-request", title: "Invalid request", status: .badRequest, detail: detail, field: field)
    }
}
