import BrokerCore
import BrokerStore

/// The body of a `GET /v1/changes` answer.
struct ChangeFeedPage: Encodable {
    /// One record's latest change: its masked state, or its removal.
    struct Change: Encodable {
        enum Operation: String, Encodable {
            /// Store (or replace) the record.
            case upsert
            /// Delete the record: it is no longer disclosable.
            case remove
        }

        let op: Operation
        let item: String
        /// The source and the source's id of the record: the key to store it under.
        let source: String
        let sourceRecordID: String
        /// The partner's pseudonymous reference for the subject.
        let subjectRef: String
        let subjectKind: SubjectKind
        /// An organisation's code; persons are known by `subjectRef` only.
        let uscc: String?
        /// Why a removal: repaired, withdrawn, disputed, expired, not_yet_public, incomplete_record.
        let reason: String?
        let version: Int?
        let disputed: Bool?
        let decisionDate: CivilDate?
        let publicityStart: CivilDate?
        let publicityEnd: CivilDate?
        /// The first day the record is no longer disclosed, if set.
        let disclosedUntil: CivilDate?
        /// The record's fields, masked with the partner's profile.
        let fields: AnswerValue?

        enum CodingKeys: String, CodingKey {
            case op, item, source, sourceRecordID = "source_record_id", subjectRef = "subject_ref", subjectKind = "subject_kind"
            case uscc, reason, version, disputed, decisionDate = "decision_date", publicityStart = "publicity_start"
            case publicityEnd = "publicity_end", disclosedUntil = "disclosed_until", fields
        }

        /// The record to store, with its `fields` already masked.
        static func upsert(_ record: StoredRecord, kind: SubjectKind, subjectRef: String, fields: AnswerValue) -> Change {
            Change(
                op: .upsert, item: record.item, source: record.source, sourceRecordID: record.sourceRecordID,
                subjectRef: subjectRef, subjectKind: kind, uscc: kind == .organisation ? record.subjectKey : nil,
                reason: nil, version: record.version, disputed: record.isDisputed, decisionDate: record.decisionDate,
                publicityStart: record.publicityStart, publicityEnd: record.publicityEnd,
                disclosedUntil: record.discloseUntil, fields: fields
            )
        }

        /// The record to delete, by its key only.
        static func removal(of record: StoredRecord, kind: SubjectKind, subjectRef: String, reason: String) -> Change {
            Change(
                op: .remove, item: record.item, source: record.source, sourceRecordID: record.sourceRecordID,
                subjectRef: subjectRef, subjectKind: kind, uscc: kind == .organisation ? record.subjectKey : nil,
                reason: reason, version: nil, disputed: nil, decisionDate: nil, publicityStart: nil, publicityEnd: nil,
                disclosedUntil: nil, fields: nil
            )
        }
    }

    let requestID: String
    let partner: String
    let contractVersion: String
    let changes: [Change]
    let nextCursor: String
    let hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partner, contractVersion = "contract_version", changes
        case nextCursor = "next_cursor", hasMore = "has_more"
    }
}
