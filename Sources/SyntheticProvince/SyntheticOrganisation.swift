import BrokerCore

/// A generated organisation: its identity, the hidden propensity that drove its data, the drawn
/// outcome, and every record and status event held on it.
public struct SyntheticOrganisation: Sendable {
    /// Position in the province, 0..<organisations.
    public let index: Int
    public let code: UnifiedSocialCreditCode
    public let kind: OrganisationKind
    public let name: String
    public let established: CivilDate
    /// The latent risk (standard normal): higher means more sanctions, worse ratings, later utility
    /// payments, shrinking headcount and tax, fewer patents.
    public let latentRisk: Double
    /// The true probability of default within a year, a function of `latentRisk` alone.
    public let defaultProbability: Double
    /// Whether the organisation defaults, drawn with `defaultProbability`.
    public let defaulted: Bool
    /// Whether a dishonest-debtor or major-tax-violation record is held on it.
    public let hasDishonestyMark: Bool
    public let records: [SyntheticRecord]
    /// Events on its public records, each dated after the record it names.
    public let events: [StatusEvent]
}
