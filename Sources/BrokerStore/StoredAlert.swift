import BrokerCore

/// One change to a record of a subject a partner watches.
public struct StoredAlert: Sendable, Hashable {
    /// The change's position in the record change sequence (the alerts cursor).
    public let changeSeq: Int64
    public let subject: WatchedSubject
    public let item: String
    public let change: WatchedChange
    /// The day the broker recorded the change.
    public let recordedOn: CivilDate
}
