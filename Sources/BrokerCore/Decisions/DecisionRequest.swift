import Foundation

/// One request to decide: its partner, subject, items and purpose, as interned by a `DecisionEngine`.
public struct DecisionRequest: Sendable, Hashable {
    public var partner: DecisionEngine.Partner
    /// The subject key the request is about; a consent for another subject is no consent.
    public var subject: String
    public var items: [DecisionEngine.Item]
    public var purpose: DecisionEngine.Purpose
    public var consent: Consent?
    /// When the request is decided.
    public var at: Date
    public var partnerState: PartnerStatus
    /// Usage so far; `nil` when quotas are not checked here.
    public var quotaUsage: QuotaUsage?

    public init(
        partner: DecisionEngine.Partner, subject: String, items: [DecisionEngine.Item], purpose: DecisionEngine.Purpose,
        consent: Consent? = nil, at: Date, partnerState: PartnerStatus = .active, quotaUsage: QuotaUsage? = nil
    ) {
        self.partner = partner
        self.subject = subject
        self.items = items
        self.purpose = purpose
        self.consent = consent
        self.at = at
        self.partnerState = partnerState
        self.quotaUsage = quotaUsage
    }
}
