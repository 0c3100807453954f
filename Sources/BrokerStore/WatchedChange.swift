/// What happened to a record of a watched subject, to a consent the partner holds, or to its quota.
public enum WatchedChange: String, Sendable, Hashable, Codable, CaseIterable {
    /// A new record (a penalty, a dishonest listing, …).
    case listed
    case repaired
    case disputed
    case withdrawn
    /// A dispute resolved: the record is active again.
    case reinstated
    /// A consent the partner holds was revoked by the subject or an administrator (no record changed).
    case consentRevoked = "consent_revoked"
    /// The partner's use of a daily or monthly quota reached 80 % or 100 % of it (no subject).
    case quotaThreshold = "quota_threshold"
}
