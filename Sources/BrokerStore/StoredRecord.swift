import BrokerCore

/// One stored record, as the read path and the change feed return it.
public struct StoredRecord: Sendable, Hashable {
    /// The subject's key (`StoredSubject.key`).
    public let subjectKey: String
    public let item: String
    public let source: String
    public let sourceRecordID: String
    public let decisionDate: CivilDate?
    public let publicityStart: CivilDate?
    public let publicityEnd: CivilDate?
    /// The first day the record is no longer disclosed (from the catalog rule); `nil` = no end.
    public let discloseUntil: CivilDate?
    public let status: RecordStatus
    /// The item's fields; resident ID numbers are stored masked.
    public let fields: [String: AnswerValue]
    /// 1 for the first version, counting up with each superseding version.
    public let version: Int
    /// The position of the record's latest change in the change feed.
    public let changeSeq: Int64
    /// The broker's own marks, merged into every answer that discloses the record: `dispute`
    /// (`id`, `filed`, `deadline`) while a dispute filed through the portal is open,
    /// `subject_statement` once one is confirmed with the subject's statement kept. Usually empty.
    public let marks: [String: AnswerValue]

    /// Whether the record is returned marked as disputed.
    public var isDisputed: Bool { status == .disputed }

    /// What the item's disclosure rule looks at.
    public var disclosureFacts: RecordDisclosureFacts {
        RecordDisclosureFacts(
            status: status, decisionDate: decisionDate, publicityStart: publicityStart, publicityEnd: publicityEnd, fields: fields
        )
    }

    /// The record with `marks` instead of its own.
    func marked(_ marks: [String: AnswerValue]) -> StoredRecord {
        StoredRecord(
            subjectKey: subjectKey, item: item, source: source, sourceRecordID: sourceRecordID, decisionDate: decisionDate,
            publicityStart: publicityStart, publicityEnd: publicityEnd, discloseUntil: discloseUntil, status: status, fields: fields,
            version: version, changeSeq: changeSeq, marks: marks
        )
    }
}
