import BrokerCore

/// One alert for a partner: a change to a record of a subject it watches, a consent it holds
/// revoked by the subject or an administrator, or its use of a quota reaching 80 % or 100 %.
public struct StoredAlert: Sendable, Hashable {
    /// A quota threshold reached.
    public struct Quota: Sendable, Hashable {
        /// `day` or `month` (China time).
        public let period: String
        public let periodStart: CivilDate
        /// Percent of the limit: 80 or 100.
        public let threshold: Int
        public let limit: Int
        public let used: Int
    }

    /// The alert's position in the record change sequence (the alerts cursor).
    public let changeSeq: Int64
    /// The subject; a revoked consent's subject has no watchlist reference (`reference` is empty);
    /// `nil` for a quota alert.
    public let subject: WatchedSubject?
    /// The item whose record changed; `nil` for a revoked consent and a quota alert.
    public let item: String?
    public let change: WatchedChange
    /// The day the broker recorded the change.
    public let recordedOn: CivilDate
    /// The revoked consent and the reason code of its revocation.
    public let consentID: String?
    public let reason: String?
    /// The quota threshold reached (`quota_threshold`).
    public let quota: Quota?
}
