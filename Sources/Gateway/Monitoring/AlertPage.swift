import BrokerCore
import BrokerStore

/// The body of a `GET /v1/alerts` answer.
struct AlertPage: Encodable {
    /// A change to a record of a watched subject.
    struct Alert: Encodable {
        let subjectRef: String
        /// The USCC of an organisation; the masked ID number of a person.
        let subject: String
        let subjectKind: SubjectKind
        let item: String
        let change: WatchedChange
        /// The day the broker recorded the change.
        let date: CivilDate

        init(_ stored: StoredAlert) {
            subjectRef = stored.subject.reference
            subject = stored.subject.label
            subjectKind = stored.subject.kind
            item = stored.item
            change = stored.change
            date = stored.recordedOn
        }

        enum CodingKeys: String, CodingKey {
            case subjectRef = "subject_ref", subject, subjectKind = "subject_kind", item, change, date
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
