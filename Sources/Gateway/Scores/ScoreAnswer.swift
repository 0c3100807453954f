import BrokerCore

/// The body of a `POST /v1/scores` answer.
struct ScoreAnswer: Encodable {
    /// A reason code with its texts: a feature that cost points, or the hard-decline rule met.
    struct Reason: Encodable {
        let code: String
        let feature: String?
        /// The subject's value of the feature as text, absent when missing.
        let value: String?
        let pointsLost: Double?
        let zh: String
        let en: String

        enum CodingKeys: String, CodingKey { case code, feature, value, pointsLost = "points_lost", zh, en }
    }

    let requestID: String
    let partner: String
    let contractVersion: String
    let purpose: String
    let consentID: String?
    let modelVersion: String
    /// The card's segment that scored the subject, chosen from the features this partner may see
    /// (absent for an unsegmented card).
    let modelSegment: String?
    let score: Int
    let grade: String
    let probabilityOfDefault: Double
    /// The hard-decline rule met, if any.
    let declined: Reason?
    let reasons: [Reason]
    /// The catalog items the score was computed from.
    let sourcesUsed: [String]
    /// Input items withheld from this partner: the features they feed counted as missing.
    let withheld: [QueryAnswer.WithheldItem]
    /// The card's features that were missing for this subject and partner.
    let missingFeatures: [String]

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partner, contractVersion = "contract_version", purpose, consentID = "consent_id"
        case modelVersion = "model_version", modelSegment = "model_segment", score, grade, probabilityOfDefault = "probability_of_default", declined, reasons
        case sourcesUsed = "sources_used", withheld, missingFeatures = "missing_features"
    }
}
