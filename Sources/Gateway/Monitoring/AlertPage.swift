import BrokerCore
import BrokerStore

/// The body of a `GET /v1/alerts` answer.
struct AlertPage: Encodable {
    /// A change to a record of a watched subject, a consent the partner holds revoked, or its use of
    /// a quota reaching 80 % or 100 %.
    struct Alert: Encodable {
        /// Absent for `quota_threshold`.
        let subjectRef: String?
        /// The USCC of an organisation; the masked ID number of a person.
        let subject: String?
        let subjectKind: SubjectKind?
        /// Absent for `consent_revoked` and `quota_threshold`.
        let item: String?
        let change: WatchedChange
        /// The day the broker recorded the change.
        let date: CivilDate
        /// `consent_revoked`: the consent and the reason code (`revoked_by_subject`, `revoked_by_admin`).
        let consentID: String?
        let reason: String?
        /// `quota_threshold`: `day` or `month`, the period's first day, the percent reached (80 or
        /// 100), the quota and the use that reached it.
        let period: String?
        let periodStart: CivilDate?
        let threshold: Int?
        let limit: Int?
        let used: Int?

        /// - Parameter reference: the partner's reference for a subject it does not watch (a revoked consent's).
        init(_ stored: StoredAlert, reference: (String) -> String) {
            subjectRef = stored.subject.map { $0.reference.isEmpty ? reference($0.subjectKey) : $0.reference }
            subject = stored.subject?.label
            subjectKind = stored.subject?.kind
            item = stored.item
            change = stored.change
            date = stored.recordedOn
            consentID = stored.consentID
            reason = stored.reason
            period = stored.quota?.period
            periodStart = stored.quota?.periodStart
            threshold = stored.quota?.threshold
            limit = stored.quota?.limit
            used = stored.quota?.used
        }

        enum CodingKeys: String, CodingKey {
            case subjectRef = "subject_ref", subject, subjectKind = "subject_kind", item, change, date
            case consentID = "consent_id", reason, period, periodStart = "period_start", threshold, limit, used
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
