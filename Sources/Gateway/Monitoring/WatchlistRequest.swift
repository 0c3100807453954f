import BrokerCore

/// The body of `POST /v1/watchlist`: `{"purpose": "post_loan_monitoring", "subjects": [USCC or ID number…]}`,
/// 1 to 10,000 subjects, checked one by one; a subject never appears in a problem.
struct WatchlistRequest: Sendable {
    static let maximumSubjects = 10_000

    /// The subjects, in request order, repeats removed.
    let subjects: [SubjectIdentifier]

    init(json: some Collection<UInt8>, today: CivilDate = .today()) throws(Problem) {
        let body = try RequestBody(json)
        guard try body.string(required: "purpose") == FeedService.monitoringPurpose else {
            throw .invalidRequest("purpose", "purpose must be \(FeedService.monitoringPurpose).")
        }
        guard let texts = try body.strings("subjects", of: "subject identifiers"), !texts.isEmpty else {
            throw .invalidRequest("subjects", "subjects must name at least one subject.")
        }
        guard texts.count <= Self.maximumSubjects else {
            throw .invalidRequest("subjects", "subjects may name at most \(Self.maximumSubjects) subjects per call.")
        }
        var seen = Set<SubjectIdentifier>()
        var subjects: [SubjectIdentifier] = []
        for (index, text) in texts.enumerated() {
            guard let subject = try? SubjectIdentifier(text, today: today) else {
                throw .invalidRequest("subjects[\(index)]", "not a valid unified social credit code or resident ID number.")
            }
            if seen.insert(subject).inserted { subjects.append(subject) }
        }
        self.subjects = subjects
    }
}
