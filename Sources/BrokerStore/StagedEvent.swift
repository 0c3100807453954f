import BrokerCore

/// One validated status-event line, ready to be applied to the record it names.
public struct StagedEvent: Sendable, Hashable {
    /// What happened to a record.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// 信用修复 granted: the record becomes `repaired` for good.
        case repaired
        /// The subject contests the record: `active` becomes `disputed`.
        case disputed
        /// The objection is settled: `disputed` becomes `active` again.
        case disputeResolved = "dispute_resolved"
        /// The source withdraws the record for good.
        case withdrawn
    }

    public var line: Int
    public var kind: Kind
    /// The record's subject key, item and id: an event whose three do not match a stored record is refused.
    public var subjectKey: String
    public var item: String
    public var sourceRecordID: String
    public var date: CivilDate

    public init(line: Int, kind: Kind, subjectKey: String, item: String, sourceRecordID: String, date: CivilDate) {
        self.line = line
        self.kind = kind
        self.subjectKey = subjectKey
        self.item = item
        self.sourceRecordID = sourceRecordID
        self.date = date
    }
}
