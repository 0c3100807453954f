import BrokerCore
import Metering

/// The body of a `POST /v1/queries` answer.
struct QueryAnswer: Encodable {
    struct DisclosedItem: Codable, Sendable {
        let item: String
        let records: [AnswerValue]
    }

    struct WithheldItem: Codable, Sendable {
        let item: String
        let reason: WithholdReason
        let unlock: Unlock
        /// `unlock` in English, for people.
        let unlockText: String

        enum CodingKeys: String, CodingKey { case item, reason, unlock, unlockText = "unlock_text" }

        /// The entry a meter event records for it.
        var meterEntry: MeterEvent.Withheld { MeterEvent.Withheld(item: item, reason: reason) }
    }

    let requestID: String
    let partner: String
    let contractVersion: String
    let purpose: String
    let consentID: String?
    let disclosed: [DisclosedItem]
    let withheld: [WithheldItem]

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", partner, contractVersion = "contract_version", purpose, consentID = "consent_id"
        case disclosed, withheld
    }
}
