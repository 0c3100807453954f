import BrokerCore

/// One processed subject of a batch review, as stored and as `GET /v1/batch-reviews/{id}` lists it.
///
/// The subject is named by its index in the submitted list and its label (the USCC, or the ID
/// number masked with the partner's profile), never by a clear ID number.
struct BatchSubjectResult: Codable, Sendable {
    let index: Int
    let subject: String
    let kind: SubjectKind
    /// `BatchIndicator` names the subject shows.
    let indicators: [String]
    /// The items about the subject's kind that the batch discloses, with the subject's masked records.
    let disclosed: [QueryAnswer.DisclosedItem]
}
