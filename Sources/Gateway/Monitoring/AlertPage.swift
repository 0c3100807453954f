import BrokerCore
import BrokerStore

/// The body of a `GET /v1/alerts` answer.
struct AlertPage: Encodable {
    /// A change to a record of a watched subject, or a consent the partner holds revoked.
    struct Alert: Encodable {
        let subjectRef: String
        /// The USCC of an organisation; the masked ID number of a person.
        let subject: String
        let subjectKind: SubjectKind
        /// Absent for `consent_revoked`.
        let item: String?
        let change: WatchedChange
        /// The day the broker recorded the change.
        let date: CivilDate
        /// `consent_revoked`: the consent and the reason code (`revoked_by_subject`, `revoked_by_admin`).
        let consentID: String?
        let reason: String?

        /// - Parameter reference: the partner's reference for a subject it does not watch (a revoked consent's).
        init(_ stored: StoredAlert, reference: (String) -> String) {
            subjectRef = stored.subject.reference.isEmpty ? reference(stored.subject.subjectKey) : stored.subject.reference
            subject = stored.subject.label
            subjectKind = stored.subject.kind
            item = stored.item
            change = stored.change
            date = stored.recordedOn
            consentID = stored.consentID
            reason = stored.reason
        }

        enum CodingKeys: String, CodingKey {
            case subjectRef = "subject_ref", subject, subjectKind = "subject_kind", item, change, date
            case consentID = "consent_id", reason
        }
    }

    let requestID: String
    let partner: String
    let contractVersion: String
    let alerts: [Alert]
    let nextCursor: String
    let hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partner, contractVersion = "contract_version", alerts
        case nextCursor = "next_cursor", hasMore = "has_more"
    }
}
