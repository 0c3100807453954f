import BrokerCore
import BrokerStore
import Foundation
import Metering

/// The body of a `POST /v1/portal/disclosures` answer: who queried the subject.
struct DisclosureList: Encodable {
    /// One answer about the subject, from the meter ledger.
    struct Entry: Encodable {
        let time: String
        let partner: String
        /// The partner's public (legal) name.
        let partnerName: String
        /// The route: `POST /v1/queries`, `POST /v1/scores`, `GET /v1/batch-reviews/{id}` …
        let endpoint: String
        let purpose: String?
        let purposeTitle: String?
        let itemsDisclosed: [String]
        let itemsWithheld: [MeterEvent.Withheld]
        let consentID: String?
        let contractVersion: String
        let requestID: String

        init(_ disclosure: SubjectDisclosure, partnerName: String, purposeTitle: String?) {
            time = disclosure.occurredAt.formatted(.iso8601)
            partner = disclosure.partnerID
            self.partnerName = partnerName
            endpoint = disclosure.endpoint
            purpose = disclosure.purpose
            self.purposeTitle = purposeTitle
            itemsDisclosed = disclosure.disclosed
            itemsWithheld = disclosure.withheld
            consentID = disclosure.consentID
            contractVersion = ContractVersion.describe(partnerID: disclosure.partnerID, label: disclosure.contractLabel, digest: disclosure.contractDigest)
            requestID = disclosure.requestID
        }

        enum CodingKeys: String, CodingKey {
            case time, partner, partnerName = "partner_name", endpoint, purpose, purposeTitle = "purpose_title"
            case itemsDisclosed = "items_disclosed", itemsWithheld = "items_withheld", consentID = "consent_id"
            case contractVersion = "contract_version", requestID = "request_id"
        }
    }

    /// A day's deliveries of the subject's changes by a paged stream to one partner.
    struct Delivery: Encodable {
        let day: CivilDate
        let partner: String
        let partnerName: String
        /// `changes` (the change feed) or `alerts`.
        let stream: String
        let deliveries: Int
        let items: [String]

        init(_ delivery: StreamDelivery, partnerName: String) {
            day = delivery.day
            partner = delivery.partnerID
            self.partnerName = partnerName
            stream = delivery.stream.rawValue
            deliveries = delivery.deliveries
            items = delivery.items
        }

        enum CodingKeys: String, CodingKey { case day, partner, partnerName = "partner_name", stream, deliveries, items }
    }

    let requestID: String
    /// The subject as the portal's profile masks it.
    let subject: String
    let subjectKind: String
    let disclosures: [Entry]
    /// The period's stream deliveries, on the first page only.
    let streamDeliveries: [Delivery]
    let nextCursor: String?
    let hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", subject, subjectKind = "subject_kind", disclosures, streamDeliveries = "stream_deliveries"
        case nextCursor = "next_cursor", hasMore = "has_more"
    }
}

/// The body of a `POST /v1/portal/records` answer: the subject's own records.
struct OwnRecords: Encodable {
    struct Record: Encodable {
        let item: String
        /// With `sourceRecordID`, the record's key for a dispute.
        let source: String
        let sourceRecordID: String
        let version: Int
        let status: String
        let decisionDate: CivilDate?
        /// Masked with the portal's profile, with the broker's marks.
        let fields: AnswerValue

        init(_ record: StoredRecord, fields: AnswerValue) {
            item = record.item
            source = record.source
            sourceRecordID = record.sourceRecordID
            version = record.version
            status = record.status.rawValue
            decisionDate = record.decisionDate
            self.fields = fields
        }

        enum CodingKeys: String, CodingKey {
            case item, source, sourceRecordID = "source_record_id", version, status, decisionDate = "decision_date", fields
        }
    }

    let requestID: String
    let subject: String
    let records: [Record]

    enum CodingKeys: String, CodingKey { case requestID = "request_id", subject, records }
}

struct DisputeList: Encodable {
    let disputes: [DisputeView]
}

struct ConsentList: Encodable {
    let consents: [ConsentView]
}
