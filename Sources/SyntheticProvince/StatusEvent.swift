import BrokerCore

/// A status event on an earlier public record: credit repair and objection handling.
public struct StatusEvent: Sendable, Hashable {
    /// The event kinds of the feed format.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case repaired, disputed, disputeResolved = "dispute_resolved", withdrawn
    }

    public let kind: Kind
    /// The record the event names.
    public let item: SyntheticItem
    public let subject: String
    public let sourceRecordID: String
    public let date: CivilDate
}
