import BrokerCore
import Foundation

/// Everything the broker held for one record: each version with the time it was held, and the
/// status events received for it (`RecordStore.history(source:sourceRecordID:)`).
public struct RecordHistory: Sendable, Hashable {
    /// One version and when the broker held it: from `heldFrom` until `heldUntil` (`nil`: held now).
    public struct Version: Sendable, Hashable {
        public let record: StoredRecord
        public let heldFrom: Date
        public let heldUntil: Date?
    }

    /// A status event as received.
    public struct Event: Sendable, Hashable {
        public let kind: StagedEvent.Kind
        /// The date the feed gave for the event.
        public let date: CivilDate
        /// When the broker recorded it.
        public let recordedAt: Date
    }

    /// Oldest first; the last one is the record as stored now. A status change is a version too.
    public let versions: [Version]
    /// In the order they were recorded.
    public let events: [Event]

    /// The version the broker held at `instant`, or `nil` before the record first arrived.
    public func version(heldAt instant: Date) -> Version? {
        versions.last { $0.heldFrom <= instant && ($0.heldUntil.map { instant < $0 } ?? true) }
    }
}
