import BrokerCore

/// What a batch review's submission decided, once for all its subjects (batch reviews take no
/// consent, so no decision depends on the subject); stored with the batch for the worker.
struct BatchDecision: Codable, Sendable {
    let purpose: String
    /// The items disclosed, in request order; each subject gets those about its kind.
    let disclosed: [String]
    let withheld: [QueryAnswer.WithheldItem]
    let contractVersion: ContractVersion
    /// The partner's masking profile at submission.
    let maskingProfile: String

    enum CodingKeys: String, CodingKey {
        case purpose, disclosed, withheld, contractVersion = "contract_version", maskingProfile = "masking_profile"
    }
}
