/// Why an item is withheld; raw values are the wire names.
public enum WithholdReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The partner's contract does not cover the item.
    case notInContract = "not_in_contract"
    /// The contract classes the item `none`.
    case noSharing = "no_sharing"
    /// The declared purpose is not one the contract (or the item's conditions) allows.
    case purposeNotAllowed = "purpose_not_allowed"
    /// A consent is required and none (valid, unrevoked, for this subject) is on file.
    case consentMissing = "consent_missing"
    /// The consent is outside its validity period.
    case consentExpired = "consent_expired"
    /// The consent's uses are used up.
    case consentExhausted = "consent_exhausted"
    /// The consent does not name the item (or its category) or the purpose.
    case consentOutOfScope = "consent_out_of_scope"
    /// The request falls outside the contract's term.
    case contractNotActive = "contract_not_active"
    /// The partner is suspended.
    case partnerSuspended = "partner_suspended"
    /// A daily or monthly quota is used up.
    case quotaExhausted = "quota_exhausted"
}
