import BrokerCore
import BrokerStore
import Foundation

/// A dispute as the portal (for its subject), the data source's feed and the admin API show it.
///
/// The subject is never named by its identifier: the portal already knows it; the source and the
/// admin API see an organisation's USCC (a public code) and a person only as `person`.
struct DisputeView: Encodable {
    let id: String
    let state: String
    /// Open past its deadline.
    let overdue: Bool
    let item: String
    let source: String
    let sourceRecordID: String
    let recordVersion: Int
    let subjectKind: String?
    let uscc: String?
    let reason: String
    let statement: String?
    let keepStatement: Bool
    let filedAt: String
    let filedOn: CivilDate
    let deadline: CivilDate
    let outcome: String?
    let resolvedAt: String?
    let resolvedVia: String?
    let resolutionNote: String?
    let filedBy: String?

    /// How much of the dispute a viewer sees besides what the portal does.
    enum Viewer {
        /// The portal, for the subject.
        case portal
        /// The data source (its feed) or an administrator: the subject's kind, an organisation's USCC, who filed.
        case source
        case admin
    }

    init(_ dispute: StoredDispute, today: CivilDate, for viewer: Viewer) {
        id = dispute.id
        state = dispute.state.rawValue
        overdue = dispute.isOverdue(on: today)
        item = dispute.item
        source = dispute.source
        sourceRecordID = dispute.sourceRecordID
        recordVersion = dispute.recordVersion
        let isPerson = PersonKey(hex: dispute.subjectKey) != nil
        subjectKind = viewer == .portal ? nil : (isPerson ? SubjectKind.person : .organisation).rawValue
        uscc = viewer == .portal || isPerson ? nil : dispute.subjectKey
        reason = dispute.reason
        statement = dispute.statement
        keepStatement = dispute.keepStatement
        filedAt = dispute.filedAt.formatted(.iso8601)
        filedOn = dispute.filedOn
        deadline = dispute.deadline
        outcome = dispute.outcome?.rawValue
        resolvedAt = dispute.resolvedAt?.formatted(.iso8601)
        resolvedVia = dispute.resolvedVia?.rawValue
        resolutionNote = viewer == .admin ? dispute.resolutionNote : nil
        filedBy = viewer == .admin ? dispute.filedBy : nil
    }

    enum CodingKeys: String, CodingKey {
        case id, state, overdue, item, source, sourceRecordID = "source_record_id", recordVersion = "record_version"
        case subjectKind = "subject_kind", uscc, reason, statement, keepStatement = "keep_statement", filedAt = "filed_at"
        case filedOn = "filed_on", deadline, outcome, resolvedAt = "resolved_at", resolvedVia = "resolved_via"
        case resolutionNote = "resolution_note", filedBy = "filed_by"
    }
}

/// Disputes as a data source reads them outside the partner API (`credit-broker disputes export`):
/// the feed's view, one JSON object per line.
public enum DisputeExport {
    /// `dispute` as one line of JSON (no line break), as `GET /v1/disputes` shows it on `today`.
    public static func line(_ dispute: StoredDispute, today: CivilDate) throws -> String {
        String(decoding: try JSONResponse.encode(DisputeView(dispute, today: today, for: .source)), as: UTF8.self)
    }
}
