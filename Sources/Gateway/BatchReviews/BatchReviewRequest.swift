import BrokerCore

/// The body of `POST /v1/batch-reviews`, checked field by field.
///
/// `{"subjects": [USCC or resident ID number…], "purpose": id, "items": [id…]}` or `"bundle":
/// category id` instead of `items` (as for `POST /v1/queries`, over the kinds of subject listed).
/// At most `maximumSubjects` subjects; a bad one is named by its index (`subjects[17]`), never echoed.
/// A subject listed again (the same USCC or ID number, whatever the case of its check letter) is
/// reviewed once, under the index of its first listing, and reported in `repeats`.
struct BatchReviewRequest: Sendable {
    static let maximumSubjects = 10_000

    /// A subject listed again: its index, and the index of its first listing.
    struct Repeat: Encodable, Sendable, Equatable {
        let index: Int
        let sameAs: Int

        enum CodingKeys: String, CodingKey { case index, sameAs = "same_as" }
    }

    /// Each distinct subject with the index of its first listing, in list order.
    let subjects: [(index: Int, subject: SubjectIdentifier)]
    /// The listings of a subject already listed, in list order.
    let repeats: [Repeat]
    let selection: ItemSelection

    init(json: some Collection<UInt8>, engine: DecisionEngine, catalog: Catalog, today: CivilDate = .today()) throws(Problem) {
        let body = try RequestBody(json)
        guard let texts = try body.strings("subjects", of: "subject identifiers"), !texts.isEmpty else {
            throw .invalidRequest("subjects", "subjects must list at least one subject.")
        }
        guard texts.count <= Self.maximumSubjects else {
            throw .invalidRequest("subjects", "A batch takes at most \(Self.maximumSubjects) subjects, not \(texts.count).")
        }
        var subjects: [(index: Int, subject: SubjectIdentifier)] = []
        var repeats: [Repeat] = []
        var firstListed: [SubjectIdentifier: Int] = [:]
        subjects.reserveCapacity(texts.count)
        for (index, text) in texts.enumerated() {
            guard let subject = try? SubjectIdentifier(text, today: today) else {
                throw .invalidRequest(
                    "subjects[\(index)]", "subjects[\(index)] is neither a valid unified social credit code nor a valid resident ID number."
                )
            }
            if let first = firstListed[subject] {
                repeats.append(Repeat(index: index, sameAs: first))
            } else {
                firstListed[subject] = index
                subjects.append((index, subject))
            }
        }
        self.subjects = subjects
        self.repeats = repeats
        guard try body.value("consent_id") == nil else {
            throw .invalidRequest("consent_id", "Batch reviews take no consent: items that need one are withheld.")
        }
        selection = try ItemSelection(body, kinds: Set(subjects.map(\.subject.kind)), engine: engine, catalog: catalog)
    }
}
