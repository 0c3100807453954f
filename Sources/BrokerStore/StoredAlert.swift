import BrokerCore

/// One alert for a partner: a change to a record of a subject it watches, or a consent it holds
/// revoked by the subject or an administrator.
public struct StoredAlert: Sendable, Hashable {
    /// The alert's position in the record change sequence (the alerts cursor).
    public let changeSeq: Int64
    /// The subject; a revoked consent's subject has no watchlist reference (`reference` is empty).
    public let subject: WatchedSubject
    /// The item whose record changed; `nil` for a revoked consent.
    public let item: String?
    public let change: WatchedChange
    /// The day the broker recorded the change.
    public let recordedOn: CivilDate
    /// The revoked consent and the reason code of its revocation.
    public let consentID: String?
    public let reason: String?
}
